/*
 * similar.c - `dedupe --rouge`: records whose instructions have a
 * character-level ROUGE-L above the threshold (Self-Instruct's rule) join
 * one cluster.
 *
 * Comparing every new instruction with every other is quadratic: 100,000
 * instructions are 5 billion pairs. Candidates come instead from MinHash
 * over character 3-grams of the normalised instruction, banded for a
 * Jaccard of RESEMBLE_JACCARD, and every candidate is verified by its exact
 * ROUGE-L (bit-parallel LCS). A pair above the ROUGE-L threshold whose
 * 3-gram sets overlap less than that can be missed; bench/dedupe_rouge.sh
 * measures how many against the exact all-pairs answer on real data.
 *
 * Invariants:
 *  1. text[i] is item i's normalised instruction, pool[off[i] .. off[i]+len[i]);
 *  2. a bucket lists items in item order, so a fresh item is compared with
 *     kept items and earlier fresh ones only, each pair once per bucket.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

#define RESEMBLE_GRAM 3
#define RESEMBLE_JACCARD 0.3

struct band_entry {
	uint32_t key, item;
};

static int by_key_then_item(const void *a, const void *b)
{
	const struct band_entry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

/* The hashes of cp[0..n)'s character 3-grams (the whole text when shorter) into out (room for n + 1). */
static size_t gram_hashes(const uint32_t *cp, size_t n, uint32_t *out)
{
	size_t k = 0;
	if (n < RESEMBLE_GRAM)
		out[k++] = (uint32_t)dedupe_hash_codepoints(cp, n, 0x3e5e);
	for (size_t i = 0; i + RESEMBLE_GRAM <= n; i++)
		out[k++] = (uint32_t)dedupe_hash_codepoints(cp + i, RESEMBLE_GRAM, 0x3e5e);
	return k;
}

struct similar {
	struct dedupe_run *d;
	double threshold;
	uint32_t *pool;
	size_t *off, pool_nr, pool_alloc;
	uint32_t *len;
	struct lsh_params lsh;
	struct band_entry *bands;	/* (nr * lsh.bands) sorted by key, then item */
	size_t nbands;
	uint32_t *seen;			/* per item: the last query that compared it */
};

/* Normalises every item's instruction into the pool and bands its MinHash signature. Returns 0 or -1. */
static int similar_load(struct similar *s)
{
	struct dedupe_run *d = s->d;
	struct codepoints cp = CODEPOINTS_INIT;
	uint32_t *grams = NULL, sig[DEDUPE_MINHASH_K], keys[DEDUPE_LSH_MAX_BANDS];
	size_t gram_alloc = 0;
	const char *f[3];
	size_t len[3];
	s->off = xmalloc((d->nr + 1) * sizeof(*s->off));
	s->len = xmalloc((d->nr + 1) * sizeof(*s->len));
	s->bands = xmalloc((d->nr + 1) * (size_t)s->lsh.bands * sizeof(*s->bands));
	progress_start(&d->progress, "dedupe: instructions", d->nr, "records");
	for (size_t i = 0; i < d->nr; i++) {
		if (dedupe_fetch_text(d, d->items[i].id, f, len))
			return -1;
		cp.nr = 0;
		dedupe_normalize(&cp, f[0], len[0]);
		if (s->pool_nr + cp.nr > s->pool_alloc) {
			s->pool_alloc = 2 * (s->pool_nr + cp.nr) + 1024;
			s->pool = xrealloc(s->pool, s->pool_alloc * sizeof(*s->pool));
		}
		memcpy(s->pool + s->pool_nr, cp.cp, cp.nr * sizeof(*cp.cp));
		s->off[i] = s->pool_nr;
		s->len[i] = (uint32_t)cp.nr;
		s->pool_nr += cp.nr;
		if (!cp.nr)
			continue;	/* no letters: nothing to compare */
		if (gram_alloc < cp.nr + 1) {
			gram_alloc = 2 * (cp.nr + 1);
			grams = xrealloc(grams, gram_alloc * sizeof(*grams));
		}
		minhash_signature(grams, gram_hashes(cp.cp, cp.nr, grams), sig);
		lsh_band_keys(&s->lsh, sig, keys);
		for (int b = 0; b < s->lsh.bands; b++)
			s->bands[s->nbands++] = (struct band_entry){ keys[b] ^ (uint32_t)b * 0x9E3779B1U, (uint32_t)i };
		progress_update(&d->progress, i + 1);
	}
	progress_finish(&d->progress);
	qsort(s->bands, s->nbands, sizeof(*s->bands), by_key_then_item);
	codepoints_release(&cp);
	free(grams);
	return 0;
}

/* Verifies item b against the query (item a): joins them when their ROUGE-L is above the threshold. */
static void similar_verify(struct similar *s, const struct lcs_query *q, uint32_t a, uint32_t b)
{
	struct dedupe_run *d = s->d;
	double m = q->m, n = s->len[b], t = s->threshold;
	if (s->seen[b] == a + 1 || union_find_find(&d->uf, a) == union_find_find(&d->uf, b))
		return;
	s->seen[b] = a + 1;
	if (n <= t * m / (2.0 - t) || n >= (2.0 - t) * m / t)
		return;	/* lengths too far apart for the score */
	size_t l = lcs_length(q, s->pool + s->off[b], s->len[b]);
	if (2.0 * (double)l / (m + n) > t && union_find_union(&d->uf, a, b)) {
		d->items[a].flags |= ITEM_ROUGE;
		d->items[b].flags |= ITEM_ROUGE;
		d->rouge_edges++;
	}
}

int dedupe_link_rouge(struct dedupe_run *d, double threshold)
{
	struct similar s = { .d = d, .threshold = threshold };
	int rc;
	lsh_params_for(&s.lsh, RESEMBLE_JACCARD);
	rc = similar_load(&s);
	s.seen = xcalloc(d->nr + 1, sizeof(*s.seen));
	/* each bucket once: every fresh item against the items before it */
	progress_start(&d->progress, "dedupe: similar instructions", s.nbands, "band entries");
	for (size_t lo = 0, hi; !rc && lo < s.nbands; lo = hi) {
		for (hi = lo + 1; hi < s.nbands && s.bands[hi].key == s.bands[lo].key; hi++)
			;
		for (size_t k = lo + 1; k < hi; k++) {
			uint32_t a = s.bands[k].item;
			struct lcs_query q;
			if (!(d->items[a].flags & ITEM_FRESH))
				continue;
			lcs_query_init(&q, s.pool + s.off[a], s.len[a]);
			for (size_t j = lo; j < k; j++)
				similar_verify(&s, &q, a, s.bands[j].item);
			lcs_query_release(&q);
		}
		progress_update(&d->progress, hi);
	}
	progress_finish(&d->progress);
	free(s.seen);
	free(s.bands);
	free(s.pool);
	free(s.off);
	free(s.len);
	return rc;
}

/* ---- the exact answer, for checking the above ---- */

struct rouge_link {
	struct dedupe_run *d;
	uint32_t item;
};

static int join_similar(int64_t other, double score, void *ctx)
{
	struct rouge_link *l = ctx;
	(void)score;
	if (union_find_union(&l->d->uf, l->item, (uint32_t)other)) {
		l->d->items[l->item].flags |= ITEM_ROUGE;
		l->d->items[other].flags |= ITEM_ROUGE;
		l->d->rouge_edges++;
	}
	return 0;
}

int dedupe_link_rouge_exact(struct dedupe_run *d, double threshold)
{
	struct rouge_index *idx = rouge_index_new();
	const char *f[3];
	size_t len[3];
	int rc = 0;
	/* kept records first, so new ones are compared with all of them */
	for (size_t i = 0; i < d->nr && !rc; i++) {
		if (d->items[i].flags & ITEM_FRESH)
			continue;
		rc = dedupe_fetch_text(d, d->items[i].id, f, len);
		if (!rc)
			rouge_index_add(idx, (int64_t)i, f[0], len[0]);
	}
	progress_start(&d->progress, "dedupe: instructions (exact)", d->fresh, "records");
	for (size_t i = 0, done = 0; i < d->nr && !rc; i++) {
		if (!(d->items[i].flags & ITEM_FRESH))
			continue;
		rc = dedupe_fetch_text(d, d->items[i].id, f, len);
		if (rc)
			break;
		struct rouge_link l = { d, (uint32_t)i };
		rouge_index_query(idx, f[0], len[0], threshold, join_similar, &l);
		rouge_index_add(idx, (int64_t)i, f[0], len[0]);
		progress_update(&d->progress, ++done);
	}
	progress_finish(&d->progress);
	rouge_index_free(idx);
	return rc;
}
