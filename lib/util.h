/*
 * util.h - the few things every file in winnow needs: exit codes, error
 * reporting that returns instead of exiting, allocation that cannot fail,
 * timestamps and a fast 64-bit hash.
 *
 * Library code reports and returns (error() prints and returns -1); only a
 * cmd_* function decides the process exit code.
 */
#ifndef WINNOW_UTIL_H
#define WINNOW_UTIL_H

#include <stddef.h>
#include <stdint.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,	/* something failed; message says what */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_DATAERR = 65,	/* bad input data (sysexits EX_DATAERR) */
	EXIT_TEMPFAIL = 75	/* try again later (sysexits EX_TEMPFAIL) */
};

/* Prints "error: ..." on stderr; returns -1 so callers can `return error(..)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "fatal: ..." and exits with status 1; for bugs and impossible states. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Allocation that aborts with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* malloc'd printf; never NULL. */
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds since an arbitrary fixed point, monotonic, for rates and timeouts. */
double now_seconds(void);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" in buf (at least 21 bytes). */
void now_iso(char *buf, size_t size);

/* A bijective 64-bit finaliser (MurmurHash3's fmix64): spreads keys for hash tables. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* 64-bit non-cryptographic hash with a seed; stable across runs and builds. */
uint64_t hash64(const void *data, size_t len, uint64_t seed);

/* Strict number parsing: whole string, range checked. Return 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);

/* Creates the folders leading to the file at path (like mkdir -p of its
 * dirname). Returns 0, or prints an error and returns -1. */
int make_parent_dirs(const char *path);

/* 1 if s ends with suffix (case-insensitive). */
int ends_with_ci(const char *s, const char *suffix);

#endif
