/*
 * bpe.h - the BPE model inside a tokenizer (private to train/tokenizer*.c):
 * the vocabulary as a hash map from token bytes to id, the merge table
 * keyed on id pairs, and the merge loop for one pre-token ("word").
 *
 * Byte-level vocabularies (GPT-2, Qwen, Llama 3) are stored as the raw
 * bytes their strings stand for (the "Ġ" of "Ġthe" is stored as a space),
 * so encoding never builds the mapped string and decoding is a memcpy.
 *
 * Invariants:
 *  1. Every id in [0, n_ids) either has token bytes (len != BPE_NO_TOKEN)
 *     or none; the map finds exactly the ids that have bytes.
 *  2. A merge (a, b) -> m exists only when a, b and m are all vocabulary ids.
 *  3. The cache is only ever a shortcut: bpe_encode_word() gives the same ids
 *     with and without it.
 */
#ifndef WINNOW_BPE_H
#define WINNOW_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

#define BPE_NO_TOKEN UINT32_MAX

struct bpe_cache;

struct bpe_model {
	/* token bytes of each id: arena + (offset, length) */
	char *arena;
	size_t arena_len, arena_alloc;
	uint32_t *tok_off, *tok_len;	/* (n_ids) */
	size_t n_ids, ids_alloc;

	int32_t *map;			/* open addressing, -1 = empty (map_mask + 1) */
	size_t map_mask, map_used;

	uint64_t *merge_key;		/* (a << 32 | b), UINT64_MAX = empty */
	uint32_t *merge_rank;
	int32_t *merge_result;
	size_t merge_mask, merge_used;

	int byte_level;		/* initial symbols are bytes, not characters */
	int byte_fallback;	/* unknown characters become <0xNN> tokens */
	int ignore_merges;	/* a whole word found in the vocabulary is one token */
	int fuse_unk;
	int32_t unk_id;		/* -1 when none */
	int32_t byte_id[256];	/* byte-level: the token of each byte; fallback: <0xNN>; -1 if none */

	struct bpe_cache *cache;	/* mutable even through a const model */
};

void bpe_init(struct bpe_model *m);
void bpe_release(struct bpe_model *m);

/* Sizes the tables for about n_tokens tokens and n_merges merges (optional; saves rehashing). */
void bpe_reserve(struct bpe_model *m, size_t n_tokens, size_t n_merges);
/* Sets the bytes of id (first definition wins on duplicates). Returns 0 or -1 if the bytes are taken. */
int bpe_set_token(struct bpe_model *m, int32_t id, const char *s, size_t len);
/* Id of exactly these bytes, or -1. */
int32_t bpe_lookup(const struct bpe_model *m, const char *s, size_t len);
/* Bytes of id, or NULL (len untouched) when id has none. */
const char *bpe_token(const struct bpe_model *m, int32_t id, size_t *len);
/* Adds merge number rank; returns 0, or -1 when a piece or the result is not in the vocabulary. */
int bpe_add_merge(struct bpe_model *m, const char *a, size_t alen, const char *b, size_t blen, uint32_t rank);
/* Fills byte_id[] once the vocabulary is complete. */
void bpe_finish(struct bpe_model *m);

/*
 * Appends the ids of one pre-token. Returns 0, or -1 after an error when
 * a byte has no token and there is no unk token to stand for it.
 */
int bpe_encode_word(const struct bpe_model *m, const char *s, size_t len, struct token_ids *out);

#endif
