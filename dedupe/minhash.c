/*
 * minhash.c - character shingles, MinHash signatures and LSH banding.
 *
 * A record becomes the set of its character 5-grams (after normalisation),
 * each hashed to 32 bits. MinHash keeps, for each of K = 128 hash functions,
 * the smallest hash over the set; two sets agree at a position with
 * probability equal to their Jaccard similarity. The shingle hashes are
 * already well mixed, so the K functions can be cheap bijections on 32
 * bits: (x ^ seed_i) * odd_multiplier_i. One multiply per lane keeps the
 * inner loop (K independent lanes, vectorised, with an AVX2 clone when the
 * compiler can build one) at a third of the cost of a full finaliser; the
 * unit test checks that the estimates have the binomial spread that
 * independent functions give, which correlated functions would not.
 *
 * LSH cuts the signature into b bands of r rows; a pair that agrees on a
 * whole band is a candidate. r and b are chosen from the threshold so that
 * a pair right at the threshold is a candidate with probability >= 0.98;
 * candidates are verified afterwards, so extra candidates cost time, not
 * precision.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- shingles ---- */

static inline uint32_t shingle_hash(const uint32_t *cp, size_t n)
{
	/* code points are below 2^21, so five of them pack into two words exactly */
	uint64_t w0 = 0, w1 = 0;
	for (size_t k = 0; k < n && k < 3; k++)
		w0 |= (uint64_t)cp[k] << (21 * k);
	for (size_t k = 3; k < n; k++)
		w1 |= (uint64_t)cp[k] << (21 * (k - 3));
	w1 |= (uint64_t)n << 58;
	uint64_t h = mix64(w0 * 0x9e3779b97f4a7c15ULL ^ mix64(w1 + 0x632be59bd9b4e019ULL));
	return (uint32_t)(h >> 32);
}

size_t dedupe_shingle_hashes(const uint32_t *cp, size_t n, uint32_t *out)
{
	if (n == 0)
		return 0;
	if (n < DEDUPE_SHINGLE) {
		out[0] = shingle_hash(cp, n);
		return 1;
	}
	size_t count = n - DEDUPE_SHINGLE + 1;
	for (size_t i = 0; i < count; i++) {
		const uint32_t *c = cp + i;
		uint64_t w0 = (uint64_t)c[0] | (uint64_t)c[1] << 21 | (uint64_t)c[2] << 42;
		uint64_t w1 = ((uint64_t)c[3] | (uint64_t)c[4] << 21) | (uint64_t)DEDUPE_SHINGLE << 58;
		uint64_t h = mix64(w0 * 0x9e3779b97f4a7c15ULL ^
					  mix64(w1 + 0x632be59bd9b4e019ULL));
		out[i] = (uint32_t)(h >> 32);
	}
	return count;
}

void shingle_set_release(struct shingle_set *set)
{
	free(set->hash);
	set->hash = NULL;
	set->nr = set->alloc = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void shingle_set_build(struct shingle_set *set, const uint32_t *cp, size_t n)
{
	size_t need = n ? n : 1;
	if (set->alloc < need) {
		free(set->hash);
		set->hash = xmalloc(need * sizeof(*set->hash));
		set->alloc = need;
	}
	set->nr = dedupe_shingle_hashes(cp, n, set->hash);
	if (set->nr < 2)
		return;
	if (set->nr < 64) {
		qsort(set->hash, set->nr, sizeof(*set->hash), cmp_u32);
	} else {	/* radix sort, 8 bits a pass: verification sorts many sets */
		uint32_t *tmp = xmalloc(set->nr * sizeof(*tmp)), *src = set->hash, *dst = tmp;
		for (int shift = 0; shift < 32; shift += 8) {
			size_t count[257] = { 0 };
			for (size_t i = 0; i < set->nr; i++)
				count[((src[i] >> shift) & 0xff) + 1]++;
			for (int k = 0; k < 256; k++)
				count[k + 1] += count[k];
			for (size_t i = 0; i < set->nr; i++)
				dst[count[(src[i] >> shift) & 0xff]++] = src[i];
			uint32_t *t = src;
			src = dst;
			dst = t;
		}
		free(tmp);	/* four passes: the sorted data is back in set->hash */
	}
	size_t w = 1;
	for (size_t i = 1; i < set->nr; i++)
		if (set->hash[i] != set->hash[w - 1])
			set->hash[w++] = set->hash[i];
	set->nr = w;
}

double shingle_jaccard(const struct shingle_set *a, const struct shingle_set *b)
{
	size_t i = 0, j = 0, common = 0;
	if (!a->nr && !b->nr)
		return 1.0;
	while (i < a->nr && j < b->nr) {
		if (a->hash[i] < b->hash[j]) {
			i++;
		} else if (a->hash[i] > b->hash[j]) {
			j++;
		} else {
			common++;
			i++;
			j++;
		}
	}
	return (double)common / (double)(a->nr + b->nr - common);
}

/* ---- MinHash ---- */

static const uint32_t minhash_seeds[DEDUPE_MINHASH_K] = {
	0x9b9b1325, 0xd1a6e55e, 0xc55a45f8, 0x566bf9d7, 0x4243ed52, 0xcf0c26ef,
	0x265beda9, 0x5d96cf7f, 0xb7decc0c, 0xc1d77cff, 0xdd70e34d, 0x5e6a0a2e,
	0x55ac0ecd, 0x04635137, 0x3b4a3ee2, 0xb37523a5, 0xad915a36, 0x4de45321,
	0xe6ba3ad7, 0x9823beb1, 0x1fcfb980, 0xdd4eabbd, 0x0cc8af11, 0x683447c1,
	0x5bae2d26, 0xbfb637dd, 0x4ca87fc2, 0xaed09b82, 0x9a0b2361, 0x158d003d,
	0x2e825ce1, 0x1ff13534, 0x07f0cbd4, 0x33f5f288, 0x53a2f2b6, 0x00d9f4ad,
	0x3c234038, 0x4cc34636, 0x4d14cf1a, 0xd330a549, 0x6a423cf9, 0x668dc8f4,
	0x35c9a8c4, 0xd1784030, 0xf94855d0, 0x765890e0, 0x9f2e9ea4, 0xaf5d8bb0,
	0xbaecde5b, 0xa9dfdec6, 0x5fd8e665, 0x699f071a, 0xef7d9967, 0xf82d5644,
	0xd6fad8db, 0xfdfb462f, 0x3f20134c, 0xdb18bd76, 0xb5fa5b0c, 0x0e46c215,
	0xf1f0742a, 0xbf416c30, 0x9248b974, 0x422acab5, 0x5ed08d6b, 0x476354b6,
	0x6088155f, 0x3a7cfb36, 0xd57dcafd, 0x37c990fa, 0x88c279d9, 0x26ad41ef,
	0xef65ed78, 0x6dbb8cb8, 0xafbec9a6, 0x0e0bc896, 0xd1764460, 0xdd63d2a5,
	0xaa72870b, 0xda0aea0e, 0x604af42a, 0x07bda21c, 0x5438a5b5, 0xd1773781,
	0xf585675f, 0xeee45145, 0xb2e73ae0, 0x84d0c3f0, 0x67fd4c1e, 0x5c80f9be,
	0x18677db7, 0xaa5bf365, 0x6a42ed19, 0xea394aba, 0xb78eda4f, 0x70faf36f,
	0x54c6c4b3, 0xca1ab215, 0xe1030fe1, 0x0f4bf777, 0x1dd257d5, 0x908a3e29,
	0x9a72180d, 0x2e012631, 0xaf1ac6da, 0xfed5ce26, 0x0ff191f0, 0xcc31d7b9,
	0xa91b4e9d, 0xf768f221, 0xab8474cc, 0x4a66b263, 0xb6b81ec6, 0xc689c846,
	0xb9f7f89e, 0x535f2002, 0xb3c7b88e, 0x355cca5d, 0xf9a21be1, 0x857ce06b,
	0xe98c5884, 0x02c89680, 0x559d7e79, 0xd6442260, 0x8ac03649, 0x0473b824,
	0xf339a684, 0x3cc89b41,
};

/* odd, so each x -> (x ^ seed) * multiplier is a bijection on 32 bits */
static const uint32_t minhash_multipliers[DEDUPE_MINHASH_K] = {
	0x65f8c557, 0xb4b42001, 0x740b4b73, 0xb5ebee9b, 0xa02da9dd, 0x33d6f24d,
	0xeb4681e1, 0x36a50509, 0x46b0abfd, 0x3a790727, 0x7db86877, 0x2f63047f,
	0xeeef8547, 0xca8ef335, 0x25fc0aef, 0xadec2ea5, 0x18a6e4fd, 0x3d3ece69,
	0xb479fdc1, 0x6338d9bd, 0x73938dd9, 0xcd7cb821, 0x0e02bc61, 0x8bcae09d,
	0x64862161, 0xff9a721d, 0xabe85a0b, 0x616f04a1, 0x92c7fcf1, 0x1ddcdf6f,
	0x56021711, 0x01d839c7, 0x9650acdb, 0x36248c3b, 0x05452259, 0xe085ef0d,
	0xe59a4f21, 0x6aca7c1d, 0x6b6d9571, 0x55ce5aaf, 0xc28c4aff, 0xaeabe32f,
	0x1bedff5b, 0x1c575315, 0xfff4be13, 0x06525ebb, 0x9cf3b23f, 0x2331ee2d,
	0x679fff1f, 0x606dfe91, 0xc4734191, 0x7a60dac5, 0x6c56ccfb, 0xbf16f8d1,
	0xde94a9bb, 0x428a02f9, 0xce521007, 0x65ad1db3, 0x7ac4072f, 0x73b1b039,
	0xa923f55b, 0x21781705, 0x44b2e885, 0x1d5f53f9, 0x55d89001, 0x90d547d1,
	0x03ae9111, 0x2c937b23, 0x82ce434b, 0xaefe25cb, 0xb1c83593, 0x83ed86ef,
	0x5a68ebfd, 0xac989d89, 0xecbb34ab, 0x4e4d0a59, 0x57006155, 0xfd05a1b5,
	0x1b709f6b, 0xf7e29697, 0x191acda1, 0xed0c178b, 0xae33a565, 0x0524d3ef,
	0xa6efb539, 0xff1e9b93, 0x2f86022d, 0x6581621d, 0x8d734759, 0x51d02085,
	0xc45abf87, 0xf87c4d29, 0x733df60f, 0x534d82c1, 0x74afa2d1, 0xe0ed6eff,
	0x10645e4b, 0x8d81fe6b, 0x78b500b3, 0x0c177163, 0x78b1a31b, 0x8902fc73,
	0xbb6dbfd7, 0x56b213fd, 0x22a76019, 0xa517a675, 0x8284fd3f, 0xbb6883ab,
	0xb5e580e7, 0xd103b4a7, 0x4b7ede9d, 0x79740937, 0x5b2a9ddb, 0xf846ec89,
	0xbb772d7b, 0x857806c1, 0xa3bebce7, 0x635929a3, 0xe8d3c0c7, 0x056ab749,
	0x4cdb9fe1, 0x20e93095, 0x2e1c6a9d, 0x31681af3, 0x62b6088d, 0x6accdf87,
	0xe85c5aff, 0x448ba457,
};

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define MINHASH_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MINHASH_CLONES
#endif

MINHASH_CLONES
void minhash_signature(const uint32_t *shingles, size_t n, uint32_t sig[DEDUPE_MINHASH_K])
{
	uint32_t acc[DEDUPE_MINHASH_K];
	for (int i = 0; i < DEDUPE_MINHASH_K; i++)
		acc[i] = UINT32_MAX;
	for (size_t s = 0; s < n; s++) {
		uint32_t x = shingles[s];
		for (int i = 0; i < DEDUPE_MINHASH_K; i++) {
			uint32_t v = (x ^ minhash_seeds[i]) * minhash_multipliers[i];
			acc[i] = v < acc[i] ? v : acc[i];
		}
	}
	memcpy(sig, acc, sizeof(acc));
}

double minhash_estimate(const uint32_t *a, const uint32_t *b)
{
	int same = 0;
	for (int i = 0; i < DEDUPE_MINHASH_K; i++)
		same += a[i] == b[i];
	return (double)same / DEDUPE_MINHASH_K;
}

/* ---- LSH banding ---- */

double lsh_candidate_probability(const struct lsh_params *p, double jaccard)
{
	return 1.0 - pow(1.0 - pow(jaccard, p->rows), p->bands);
}

void lsh_params_for(struct lsh_params *p, double threshold)
{
	p->threshold = threshold;
	for (int rows = DEDUPE_MINHASH_K; rows >= 1; rows--) {
		p->rows = rows;
		p->bands = DEDUPE_MINHASH_K / rows;
		if (p->bands > DEDUPE_LSH_MAX_BANDS)
			p->bands = DEDUPE_LSH_MAX_BANDS;
		if (lsh_candidate_probability(p, threshold) >= DEDUPE_LSH_RECALL)
			return;
	}
	/* rows = 1 with every value a band: the most candidates possible */
}

void lsh_band_keys(const struct lsh_params *p, const uint32_t *sig, uint32_t *keys)
{
	for (int b = 0; b < p->bands; b++) {
		uint64_t h = hash64(sig + b * p->rows, (size_t)p->rows * sizeof(*sig),
				    0x5eed0000ULL + (uint64_t)b);
		keys[b] = (uint32_t)(h >> 32);
	}
}

int64_t lsh_scheme(const struct lsh_params *p)
{
	/* bump the version when normalisation, shingling or hashing changes */
	uint64_t parts[5] = { 1, DEDUPE_SHINGLE, DEDUPE_MINHASH_K,
			      (uint64_t)p->bands, (uint64_t)p->rows };
	return (int64_t)(hash64(parts, sizeof(parts), 0x77696e6e6f77ULL) >> 1);
}
