/*
 * bpe.c - byte-pair encoding of one pre-token, as Hugging Face tokenizers'
 * BPE model does it: start from bytes (byte-level) or characters (with
 * <0xNN> byte fallback or unk), then repeatedly merge the adjacent pair
 * with the lowest merge rank, leftmost first.
 *
 * The merge loop is a binary heap of candidate pairs over a linked list of
 * symbols, so a word of n symbols costs O(n log n), not O(n^2). Entries go
 * stale when a neighbour merges; they are recognised on pop because a
 * symbol's id only ever grows into a longer token, so a pair (pos, left,
 * right) that still matches the ids at pos and its successor is current.
 * Short words are remembered in a direct-mapped cache, since text repeats.
 */
#include "bpe.h"
#include "../lib/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BPE_CACHE_SLOTS 16384	/* power of two */
#define BPE_CACHE_MAX_WORD 64	/* longer words are not cached */

struct bpe_cache_slot {
	uint64_t hash;
	char *word;
	uint32_t word_len, n;
	int32_t *ids;
};

struct bpe_cache {
	pthread_mutex_t lock;
	struct bpe_cache_slot slot[BPE_CACHE_SLOTS];
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	return hash64(s, len, 0x9e3779b97f4a7c15ULL);
}


static void merge_grow(struct bpe_model *m);

void bpe_init(struct bpe_model *m)
{
	memset(m, 0, sizeof(*m));
	m->unk_id = -1;
	for (int i = 0; i < 256; i++)
		m->byte_id[i] = -1;
	m->cache = xcalloc(1, sizeof(*m->cache));
	pthread_mutex_init(&m->cache->lock, NULL);
}

void bpe_release(struct bpe_model *m)
{
	if (m->cache) {
		for (size_t i = 0; i < BPE_CACHE_SLOTS; i++) {
			free(m->cache->slot[i].word);
			free(m->cache->slot[i].ids);
		}
		pthread_mutex_destroy(&m->cache->lock);
		free(m->cache);
	}
	free(m->arena);
	free(m->tok_off);
	free(m->tok_len);
	free(m->map);
	free(m->merge_key);
	free(m->merge_rank);
	free(m->merge_result);
	memset(m, 0, sizeof(*m));
	m->unk_id = -1;
}

const char *bpe_token(const struct bpe_model *m, int32_t id, size_t *len)
{
	if (id < 0 || (size_t)id >= m->n_ids || m->tok_len[id] == BPE_NO_TOKEN)
		return NULL;
	*len = m->tok_len[id];
	return m->arena + m->tok_off[id];
}

int32_t bpe_lookup(const struct bpe_model *m, const char *s, size_t len)
{
	if (!m->map)
		return -1;
	for (size_t i = hash_bytes(s, len) & m->map_mask;; i = (i + 1) & m->map_mask) {
		int32_t id = m->map[i];
		if (id < 0)
			return -1;
		if (m->tok_len[id] == len && !memcmp(m->arena + m->tok_off[id], s, len))
			return id;
	}
}

static void map_insert(int32_t *map, size_t mask, const struct bpe_model *m, int32_t id)
{
	size_t i = hash_bytes(m->arena + m->tok_off[id], m->tok_len[id]) & mask;
	while (map[i] >= 0)
		i = (i + 1) & mask;
	map[i] = id;
}

static void map_grow(struct bpe_model *m)
{
	size_t size = m->map ? (m->map_mask + 1) * 2 : 1024;
	int32_t *map = xmalloc(size * sizeof(*map));

	for (size_t i = 0; i < size; i++)
		map[i] = -1;
	for (size_t i = 0; m->map && i <= m->map_mask; i++)
		if (m->map[i] >= 0)
			map_insert(map, size - 1, m, m->map[i]);
	free(m->map);
	m->map = map;
	m->map_mask = size - 1;
}

void bpe_reserve(struct bpe_model *m, size_t n_tokens, size_t n_merges)
{
	while ((m->map ? m->map_mask + 1 : 0) < 2 * n_tokens + 2)
		map_grow(m);
	while ((m->merge_key ? m->merge_mask + 1 : 0) < 2 * n_merges + 2)
		merge_grow(m);
}

int bpe_set_token(struct bpe_model *m, int32_t id, const char *s, size_t len)
{
	if (id < 0 || len >= BPE_NO_TOKEN)
		return -1;
	if (bpe_lookup(m, s, len) >= 0)
		return -1;
	if ((size_t)id >= m->ids_alloc) {
		size_t alloc = m->ids_alloc ? m->ids_alloc : 1024;
		while (alloc <= (size_t)id)
			alloc *= 2;
		m->tok_off = xrealloc(m->tok_off, alloc * sizeof(*m->tok_off));
		m->tok_len = xrealloc(m->tok_len, alloc * sizeof(*m->tok_len));
		for (size_t i = m->ids_alloc; i < alloc; i++)
			m->tok_len[i] = BPE_NO_TOKEN;
		m->ids_alloc = alloc;
	}
	if ((size_t)id >= m->n_ids)
		m->n_ids = (size_t)id + 1;
	if (m->tok_len[id] != BPE_NO_TOKEN)
		return -1;
	if (m->arena_len + len + 1 > m->arena_alloc) {
		m->arena_alloc = (m->arena_len + len + 1) * 2;
		m->arena = xrealloc(m->arena, m->arena_alloc);
	}
	if (m->arena_len + len >= UINT32_MAX)
		die("tokenizer vocabulary larger than 4 GB");
	memcpy(m->arena + m->arena_len, s, len);
	m->tok_off[id] = (uint32_t)m->arena_len;
	m->tok_len[id] = (uint32_t)len;
	m->arena_len += len;
	m->arena[m->arena_len] = '\0';
	if ((m->map_used + 1) * 2 > (m->map ? m->map_mask + 1 : 0))
		map_grow(m);
	map_insert(m->map, m->map_mask, m, id);
	m->map_used++;
	return 0;
}

static long merge_find(const struct bpe_model *m, uint64_t key)
{
	if (!m->merge_key)
		return -1;
	for (size_t i = mix64(key) & m->merge_mask;; i = (i + 1) & m->merge_mask) {
		if (m->merge_key[i] == key)
			return (long)i;
		if (m->merge_key[i] == UINT64_MAX)
			return -1;
	}
}

static void merge_slot_put(uint64_t *keys, uint32_t *ranks, int32_t *results, size_t mask,
			   uint64_t key, uint32_t rank, int32_t result)
{
	size_t i = mix64(key) & mask;
	while (keys[i] != UINT64_MAX)
		i = (i + 1) & mask;
	keys[i] = key;
	ranks[i] = rank;
	results[i] = result;
}

static void merge_grow(struct bpe_model *m)
{
	size_t size = m->merge_key ? (m->merge_mask + 1) * 2 : 4096;
	uint64_t *keys = xmalloc(size * sizeof(*keys));
	uint32_t *ranks = xmalloc(size * sizeof(*ranks));
	int32_t *results = xmalloc(size * sizeof(*results));

	for (size_t i = 0; i < size; i++)
		keys[i] = UINT64_MAX;
	for (size_t i = 0; m->merge_key && i <= m->merge_mask; i++)
		if (m->merge_key[i] != UINT64_MAX)
			merge_slot_put(keys, ranks, results, size - 1, m->merge_key[i],
				       m->merge_rank[i], m->merge_result[i]);
	free(m->merge_key);
	free(m->merge_rank);
	free(m->merge_result);
	m->merge_key = keys;
	m->merge_rank = ranks;
	m->merge_result = results;
	m->merge_mask = size - 1;
}

int bpe_add_merge(struct bpe_model *m, const char *a, size_t alen, const char *b, size_t blen, uint32_t rank)
{
	int32_t ia = bpe_lookup(m, a, alen), ib = bpe_lookup(m, b, blen), ir;
	char stack[256], *joined = alen + blen <= sizeof(stack) ? stack : xmalloc(alen + blen);
	uint64_t key;

	memcpy(joined, a, alen);
	memcpy(joined + alen, b, blen);
	ir = bpe_lookup(m, joined, alen + blen);
	if (joined != stack)
		free(joined);
	if (ia < 0 || ib < 0 || ir < 0)
		return -1;
	key = (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib;
	if (merge_find(m, key) >= 0)
		return 0;	/* a repeated merge keeps its first (best) rank */
	if ((m->merge_used + 1) * 2 > (m->merge_key ? m->merge_mask + 1 : 0))
		merge_grow(m);
	merge_slot_put(m->merge_key, m->merge_rank, m->merge_result, m->merge_mask, key, rank, ir);
	m->merge_used++;
	return 0;
}

void bpe_finish(struct bpe_model *m)
{
	for (int b = 0; b < 256; b++) {
		char c = (char)b, hex[8];
		if (m->byte_level) {
			m->byte_id[b] = bpe_lookup(m, &c, 1);
		} else {
			snprintf(hex, sizeof(hex), "<0x%02X>", b);
			m->byte_id[b] = bpe_lookup(m, hex, strlen(hex));
		}
	}
}

/* --- the merge loop --------------------------------------------------- */

struct symbol {
	int32_t id;		/* -1 once merged into its left neighbour */
	int32_t prev, next;	/* -1 at the ends */
};

struct candidate {
	uint32_t rank, pos;
	int32_t left, right;
};

static int candidate_less(const struct candidate *a, const struct candidate *b)
{
	return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(struct candidate *heap, size_t *n, struct candidate c)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!candidate_less(&c, &heap[parent]))
			break;
		heap[i] = heap[parent];
		i = parent;
	}
	heap[i] = c;
}

static struct candidate heap_pop(struct candidate *heap, size_t *n)
{
	struct candidate top = heap[0], last = heap[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= *n)
			break;
		if (child + 1 < *n && candidate_less(&heap[child + 1], &heap[child]))
			child++;
		if (!candidate_less(&heap[child], &last))
			break;
		heap[i] = heap[child];
		i = child;
	}
	if (*n)
		heap[i] = last;
	return top;
}

static void push_pair(const struct bpe_model *m, const struct symbol *sym, int32_t pos,
		      struct candidate *heap, size_t *n)
{
	int32_t next = sym[pos].next;
	uint64_t key;
	long slot;

	if (next < 0)
		return;
	key = (uint64_t)(uint32_t)sym[pos].id << 32 | (uint32_t)sym[next].id;
	slot = merge_find(m, key);
	if (slot < 0)
		return;
	heap_push(heap, n, (struct candidate){ m->merge_rank[slot], (uint32_t)pos,
					       sym[pos].id, sym[next].id });
}

static size_t utf8_char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/* The starting symbols of a word. Returns their number, or -1 on error. */
static long initial_symbols(const struct bpe_model *m, const char *s, size_t len, struct symbol *sym)
{
	long n = 0;
	int last_unk = 0;

	for (size_t i = 0; i < len;) {
		size_t cl = m->byte_level ? 1 : utf8_char_len((unsigned char)s[i]);
		int32_t id;
		if (cl > len - i)
			cl = len - i;
		id = m->byte_level ? m->byte_id[(unsigned char)s[i]] : bpe_lookup(m, s + i, cl);
		if (id < 0 && m->byte_fallback) {
			size_t k;
			for (k = 0; k < cl && m->byte_id[(unsigned char)s[i + k]] >= 0; k++)
				;
			if (k == cl) {
				for (k = 0; k < cl; k++)
					sym[n++].id = m->byte_id[(unsigned char)s[i + k]];
				i += cl;
				last_unk = 0;
				continue;
			}
		}
		if (id < 0) {
			if (m->unk_id < 0)
				return error("tokenizer has no token for byte 0x%02x and no unk token",
					     (unsigned char)s[i]);
			if (!(m->fuse_unk && last_unk))
				sym[n++].id = m->unk_id;
			last_unk = 1;
		} else {
			sym[n++].id = id;
			last_unk = 0;
		}
		i += cl;
	}
	return n;
}

static int cache_get(const struct bpe_model *m, uint64_t h, const char *s, size_t len, struct token_ids *out)
{
	struct bpe_cache *c = m->cache;
	struct bpe_cache_slot *slot = &c->slot[h & (BPE_CACHE_SLOTS - 1)];
	int found = 0;

	if (pthread_mutex_trylock(&c->lock))
		return 0;
	if (slot->word && slot->hash == h && slot->word_len == len && !memcmp(slot->word, s, len)) {
		for (uint32_t i = 0; i < slot->n; i++)
			token_ids_push(out, slot->ids[i]);
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void cache_put(const struct bpe_model *m, uint64_t h, const char *s, size_t len,
		      const int32_t *ids, size_t n)
{
	struct bpe_cache *c = m->cache;
	struct bpe_cache_slot *slot = &c->slot[h & (BPE_CACHE_SLOTS - 1)];

	if (pthread_mutex_trylock(&c->lock))
		return;
	free(slot->word);
	free(slot->ids);
	slot->hash = h;
	slot->word = xstrndup(s, len);
	slot->word_len = (uint32_t)len;
	slot->ids = xmalloc((n ? n : 1) * sizeof(*ids));
	memcpy(slot->ids, ids, n * sizeof(*ids));
	slot->n = (uint32_t)n;
	pthread_mutex_unlock(&c->lock);
}

int bpe_encode_word(const struct bpe_model *m, const char *s, size_t len, struct token_ids *out)
{
	struct symbol stack_sym[64], *sym;
	struct candidate stack_heap[192], *heap;
	size_t nheap = 0, first_out = out->n;
	uint64_t h = 0;
	long n;
	int32_t id;

	if (!len)
		return 0;
	if (m->ignore_merges && (id = bpe_lookup(m, s, len)) >= 0) {
		token_ids_push(out, id);
		return 0;
	}
	if (len <= BPE_CACHE_MAX_WORD) {
		h = hash_bytes(s, len);
		if (cache_get(m, h, s, len, out))
			return 0;
	}
	sym = len <= 64 ? stack_sym : xmalloc(len * sizeof(*sym));
	heap = len <= 64 ? stack_heap : xmalloc(3 * len * sizeof(*heap));
	n = initial_symbols(m, s, len, sym);
	if (n < 0)
		goto done;
	for (long i = 0; i < n; i++) {
		sym[i].prev = (int32_t)i - 1;
		sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
	}
	for (long i = 0; i + 1 < n; i++)
		push_pair(m, sym, (int32_t)i, heap, &nheap);
	while (nheap) {
		struct candidate c = heap_pop(heap, &nheap);
		int32_t pos = (int32_t)c.pos, next = sym[pos].next;
		long slot;
		if (sym[pos].id != c.left || next < 0 || sym[next].id != c.right)
			continue;	/* stale: a neighbour merged since */
		slot = merge_find(m, (uint64_t)(uint32_t)c.left << 32 | (uint32_t)c.right);
		sym[pos].id = m->merge_result[slot];
		sym[pos].next = sym[next].next;
		if (sym[next].next >= 0)
			sym[sym[next].next].prev = pos;
		sym[next].id = -1;
		if (sym[pos].prev >= 0)
			push_pair(m, sym, sym[pos].prev, heap, &nheap);
		push_pair(m, sym, pos, heap, &nheap);
	}
	for (long i = 0; i >= 0 && i < n; i = sym[i].next)
		token_ids_push(out, sym[i].id);
	if (len <= BPE_CACHE_MAX_WORD)
		cache_put(m, h, s, len, out->ids + first_out, out->n - first_out);
done:
	if (sym != stack_sym)
		free(sym);
	if (heap != stack_heap)
		free(heap);
	return n < 0 ? -1 : 0;
}
