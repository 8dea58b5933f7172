/*
 * rng.h - splitmix64 random numbers: a state word, stateless-friendly
 * (rng_mix of any counter is a good hash).
 */
#ifndef WINNOW_RNG_H
#define WINNOW_RNG_H

#include <stdint.h>

static inline uint64_t rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static inline uint64_t rng_next(uint64_t *s)
{
	return rng_mix(*s += 0x9e3779b97f4a7c15ULL);
}
/* Uniform in [0, 1) with 24 bits. */
static inline float rng_uniform(uint64_t *s)
{
	return (float)(rng_next(s) >> 40) * (1.0f / 16777216.0f);
}

#endif
