/*
 * dedupe_internal.h - what the files of dedupe/ share among themselves and
 * nobody else uses.
 */
#ifndef WINNOW_DEDUPE_INTERNAL_H
#define WINNOW_DEDUPE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "dedupe.h"
#include "../lib/util.h"
#include "../lib/progress.h"

/*
 * Decodes one UTF-8 character at s[*pos..len) and advances *pos. Returns
 * the code point, or -1 for an invalid byte (skipped).
 */
int32_t dedupe_utf8_next(const unsigned char *s, size_t len, size_t *pos);

/*
 * Folds one code point (compatibility decomposition and case folding) and
 * writes the letters, marks and digits it becomes to out (room for
 * DEDUPE_FOLD_MAX). Returns how many; 0 for whitespace, punctuation,
 * symbols and controls.
 */
#define DEDUPE_FOLD_MAX 32
size_t dedupe_fold_char(int32_t c, uint32_t *out);


/*
 * Writes the hash of every shingle of cp[0..n) to out (room for n, at
 * least 1), in text order and with repeats. Returns how many.
 */
size_t dedupe_shingle_hashes(const uint32_t *cp, size_t n, uint32_t *out);


/* ---- bit-parallel longest common subsequence (rouge.c) ---- */

/* One side of many LCS computations, prepared once; owns its arrays. */
struct lcs_query {
	const uint32_t *a;
	size_t m, words;
	uint32_t *chars;	/* open-addressed table of a's distinct characters */
	uint32_t *slot_mask;	/* index into masks for each table slot */
	size_t table_size;	/* power of two */
	uint64_t *masks;	/* (distinct, words): bit i set where a[i] == char */
	uint64_t *v;		/* (words) scratch */
};
void lcs_query_init(struct lcs_query *q, const uint32_t *a, size_t m);
void lcs_query_release(struct lcs_query *q);
/* Length of the longest common subsequence of the query and b[0..n). */
size_t lcs_length(const struct lcs_query *q, const uint32_t *b, size_t n);

/* ---- one run of `winnow dedupe` (cluster.c, dedupe_cmd.c) ---- */

enum item_flags {
	ITEM_FRESH = 1 << 0,	/* hashed in this run: compare it with everything */
	ITEM_EMPTY = 1 << 1,	/* nothing left after normalisation: no shingles */
	ITEM_NEAR = 1 << 2,	/* joined a cluster through a near-duplicate edge */
	ITEM_ROUGE = 1 << 3,	/* joined a cluster through a similar instruction */
};

/* A record taking part in the run: clean ones, and the unique/approved ones kept before. */
struct dedupe_item {
	int64_t id;
	uint64_t exact;		/* hash of normalised instruction+input+output */
	uint64_t prompt;	/* hash of normalised instruction+input */
	double quality;		/* -INFINITY when the record has none */
	uint32_t output_len;	/* characters */
	uint32_t rep;		/* first item with the same exact hash (itself if none before) */
	uint8_t stage;		/* enum record_stage now */
	uint8_t target;		/* enum record_stage after the run */
	uint8_t flags;		/* enum item_flags */
	uint8_t lang;		/* records.lang as set by clean: 0 unknown, else a letter ('z', 'e', 'o') */
	int64_t duplicate_of;	/* record kept instead, for target duplicate */
	const char *reason;	/* static string or owned by reasons, NULL to keep */
};

struct shingle_cache_entry {
	uint32_t item;		/* UINT32_MAX when empty */
	struct shingle_set set;
};
#define SHINGLE_CACHE_SIZE 4096

struct dedupe_run {
	sqlite3 *db;
	struct lsh_params lsh;
	int64_t scheme;
	struct dedupe_item *items;
	size_t nr, alloc, fresh;
	uint32_t *bands;	/* (alloc, lsh.bands): band keys of each item */
	struct union_find uf;
	sqlite3_stmt *text;	/* instruction, input, output of the record with id ?1 */
	struct shingle_cache_entry *cache;	/* (SHINGLE_CACHE_SIZE) */
	struct codepoints cp;
	long verified, near_edges, rouge_edges, other_language;
	int across_languages;	/* near copies in different languages count too (a translation) */
	int64_t last_id;	/* compare the clean records up to this id (0: all of them) */
	struct progress progress;
};

/* Loads stored signatures and hashes the records that need it (clean ones up to last_id). Returns 0 or -1. */
int dedupe_load(struct dedupe_run *d);
/* Joins exact copies, sets each item's rep. */
void dedupe_link_exact(struct dedupe_run *d);
/* Finds LSH candidates with at least one fresh item, verifies them by exact Jaccard. */
int dedupe_link_near(struct dedupe_run *d);
/*
 * Joins fresh items whose instruction's ROUGE-L with an earlier one exceeds
 * threshold: candidates from MinHash on character 3-grams (similar.c).
 */
int dedupe_link_rouge(struct dedupe_run *d, double threshold);
/* The same comparing every pair that could score above threshold (slow; the reference for the above). */
int dedupe_link_rouge_exact(struct dedupe_run *d, double threshold);
/* Fetches a record's three text fields into f/len (valid until the next call). */
int dedupe_fetch_text(struct dedupe_run *d, int64_t id, const char *f[3], size_t len[3]);
void dedupe_run_release(struct dedupe_run *d);

#endif
