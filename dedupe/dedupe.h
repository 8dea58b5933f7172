/*
 * dedupe.h - the public API of dedupe/: normalised text, character
 * shingles and MinHash, LSH banding, union-find clusters, character-level
 * ROUGE-L with an index for instruction similarity, 13-gram
 * decontamination, and the `winnow dedupe` command.
 *
 * Everything works on Unicode code points after normalisation, so Chinese
 * needs no word segmentation: a character 5-gram is as meaningful in 中文
 * as in English. Nothing here touches the corpus except cmd_dedupe.
 *
 * Memory: every struct below that owns memory has a *_release (or *_free
 * for opaque ones) that frees it; none of them keep pointers to the text
 * they were given.
 */
#ifndef WINNOW_DEDUPE_H
#define WINNOW_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

/* ---- normalised text ---- */

/* A growable array of code points; owns cp. */
struct codepoints {
	uint32_t *cp;
	size_t nr, alloc;
};
#define CODEPOINTS_INIT { NULL, 0, 0 }
void codepoints_release(struct codepoints *c);

/*
 * Appends the normalised form of the UTF-8 text s[0..len) to out: full and
 * half width folded (NFKC compatibility mapping), case-folded, and only
 * letters, marks and digits kept (whitespace, punctuation and symbols are
 * dropped). Invalid UTF-8 bytes are dropped. Returns how many code points
 * were appended.
 */
size_t dedupe_normalize(struct codepoints *out, const char *s, size_t len);

/* A 64-bit hash of n code points (stable across runs and builds). */
uint64_t dedupe_hash_codepoints(const uint32_t *cp, size_t n, uint64_t seed);

/* ---- shingles and MinHash ---- */

#define DEDUPE_SHINGLE 5	/* characters per shingle */
#define DEDUPE_MINHASH_K 128	/* MinHash values per signature */

/* The distinct 32-bit hashes of a text's shingles, sorted; owns hash. */
struct shingle_set {
	uint32_t *hash;
	size_t nr, alloc;
};
#define SHINGLE_SET_INIT { NULL, 0, 0 }
void shingle_set_release(struct shingle_set *set);
/*
 * Replaces set with the shingles of cp[0..n): every run of DEDUPE_SHINGLE
 * consecutive code points; a text shorter than that is one shingle, an
 * empty text none.
 */
void shingle_set_build(struct shingle_set *set, const uint32_t *cp, size_t n);
/* |a ∩ b| / |a ∪ b| of two built sets; 1 when both are empty. */
double shingle_jaccard(const struct shingle_set *a, const struct shingle_set *b);

/*
 * The MinHash signature of a set of shingle hashes: for each of the K
 * hash functions, the smallest value over the set (all ones for an empty
 * set). The fraction of equal positions estimates the Jaccard similarity.
 */
void minhash_signature(const uint32_t *shingles, size_t n, uint32_t sig[DEDUPE_MINHASH_K]);
double minhash_estimate(const uint32_t *a, const uint32_t *b);

/*
 * LSH banding: the signature is cut into `bands` bands of `rows` values;
 * two texts become a candidate pair when any band matches, which happens
 * with probability 1 - (1 - J^rows)^bands.
 */
#define DEDUPE_LSH_MAX_BANDS DEDUPE_MINHASH_K
#define DEDUPE_LSH_RECALL 0.98	/* wanted candidate probability at the threshold */
struct lsh_params {
	double threshold;
	int bands, rows;
};
/*
 * Tunes bands and rows for a Jaccard threshold in (0, 1]: the most rows per
 * band (fewest chance candidates) for which a pair exactly at the
 * threshold is still a candidate with probability >= DEDUPE_LSH_RECALL.
 */
void lsh_params_for(struct lsh_params *p, double threshold);
double lsh_candidate_probability(const struct lsh_params *p, double jaccard);
/* Fills keys[0..bands) with one 32-bit hash per band of sig. */
void lsh_band_keys(const struct lsh_params *p, const uint32_t *sig, uint32_t *keys);
/*
 * Identifies the normalisation, shingling, hash functions and banding, so
 * stored band keys made with other settings are recognised and redone.
 */
int64_t lsh_scheme(const struct lsh_params *p);

/* ---- union-find ---- */

/* Disjoint sets over 0..nr-1 with path halving and union by size. */
struct union_find {
	uint32_t *parent, *size;
	size_t nr;
};
void union_find_init(struct union_find *uf, size_t nr);
void union_find_release(struct union_find *uf);
uint32_t union_find_find(struct union_find *uf, uint32_t x);
/* Joins the sets of a and b; returns 1 if they were apart, 0 if already one. */
int union_find_union(struct union_find *uf, uint32_t a, uint32_t b);

/* ---- instruction similarity: character-level ROUGE-L ---- */

/*
 * ROUGE-L F-measure (beta 1) on code points: with L the longest common
 * subsequence, 2L / (len a + len b). 0 when either is empty.
 */
double rouge_l_codepoints(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
/* The same on UTF-8 text, normalised first (dedupe_normalize). */
double rouge_l(const char *a, size_t alen, const char *b, size_t blen);

/*
 * An index of instructions answering "is this new instruction too similar
 * to one already there?" without comparing against all of them: candidates
 * come from an inverted index of characters with prefix filtering (a pair
 * above the threshold must share enough characters, so only the rarest
 * characters of the query are looked up) and the exact ROUGE-L is computed
 * only for candidates that pass the character-count bound.
 *
 *	struct rouge_index *idx = rouge_index_new();
 *	rouge_index_add(idx, 1, "写一首关于春天的诗", len);
 *	if (rouge_index_best(idx, text, len, 0.7, &match, &score))
 *		... too similar to instruction `match` ...
 *	rouge_index_free(idx);
 */
struct rouge_index;
struct rouge_index *rouge_index_new(void);
void rouge_index_free(struct rouge_index *idx);
size_t rouge_index_size(const struct rouge_index *idx);
/* Adds text under id (ids need not be unique or ordered). */
void rouge_index_add(struct rouge_index *idx, int64_t id, const char *text, size_t len);
/*
 * Calls fn(id, score, ctx) for every indexed instruction whose ROUGE-L
 * against text exceeds threshold (in (0, 1]); stops early when fn returns
 * non-zero. Returns the number of matches reported.
 */
size_t rouge_index_query(const struct rouge_index *idx, const char *text, size_t len,
			 double threshold, int (*fn)(int64_t id, double score, void *ctx), void *ctx);
/*
 * 1 when some indexed instruction scores above threshold, with the best
 * one's id and score in *id and *score; 0 otherwise.
 */
int rouge_index_best(const struct rouge_index *idx, const char *text, size_t len,
		     double threshold, int64_t *id, double *score);

/* ---- decontamination: shared 13-grams with an evaluation set ---- */

#define DECONTAM_NGRAM 13	/* tokens: one per CJK character, one per Latin word */

/* A set of hashed n-grams; opaque. */
struct ngram_set;
struct ngram_set *ngram_set_new(void);
void ngram_set_free(struct ngram_set *set);
size_t ngram_set_size(const struct ngram_set *set);
/* Adds every DECONTAM_NGRAM-token window of text. Returns how many windows it had. */
size_t ngram_set_add_text(struct ngram_set *set, const char *text, size_t len);
/* 1 if some window of text is in the set. */
int ngram_set_hits(const struct ngram_set *set, const char *text, size_t len);
/*
 * Adds the instruction, input and output of every item of an Alpaca JSON
 * array or JSON Lines file. Returns 0; or -1 after printing an error naming
 * the file, line and field, with *bad_data set when the file is readable
 * but malformed. *items and *short_items (items with no window at all) are
 * counted.
 */
int ngram_set_load_alpaca(struct ngram_set *set, const char *path, long *items,
			  long *short_items, int *bad_data);

/* ---- the command ---- */
int cmd_dedupe(int argc, char **argv);

#endif
