/*
 * rouge.c - character-level ROUGE-L and an index that finds instructions
 * too similar to a new one without comparing against all of them.
 *
 * Self-Instruct drops a generated instruction whose ROUGE-L F against any
 * existing one exceeds 0.7; its tokenizer keeps only [a-z0-9], which makes
 * every Chinese score 0, so here the units are normalised characters.
 *
 * The longest common subsequence is computed bit-parallel (Allison-Dix /
 * Hyyrö): one bit per character of the query, 64 characters per machine
 * word, so a pair costs O(n * m / 64). Because U = V & match is a subset of
 * V, V - U needs no borrow and only the addition carries across words.
 *
 * The index (invariants):
 *  1. every entry's normalised text is pool[off .. off+len);
 *  2. postings[c] lists each entry containing character c exactly once, in
 *     the order entries were added.
 * A match above threshold t with a query of m characters shares more than
 * t*m/(2-t) characters with it (LCS <= shared characters, and the entry's
 * length is bounded by the score), so only the query's rarest characters -
 * enough that the rest could not reach that many - are looked up.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- bit-parallel LCS ---- */

static inline size_t cp_slot(uint32_t c, size_t size)
{
	return (size_t)((c * 0x9E3779B1U) >> 7) & (size - 1);
}

void lcs_query_init(struct lcs_query *q, const uint32_t *a, size_t m)
{
	size_t distinct = 0;
	q->a = a;
	q->m = m;
	q->words = (m + 63) / 64;
	q->table_size = 16;
	while (q->table_size < 2 * m + 2)
		q->table_size *= 2;
	q->chars = xmalloc(q->table_size * sizeof(*q->chars));
	q->slot_mask = xmalloc(q->table_size * sizeof(*q->slot_mask));
	memset(q->chars, 0xff, q->table_size * sizeof(*q->chars));
	q->masks = xcalloc((m ? m : 1) * (q->words ? q->words : 1), sizeof(*q->masks));
	q->v = xmalloc((q->words ? q->words : 1) * sizeof(*q->v));
	for (size_t i = 0; i < m; i++) {
		size_t s = cp_slot(a[i], q->table_size);
		while (q->chars[s] != UINT32_MAX && q->chars[s] != a[i])
			s = (s + 1) & (q->table_size - 1);
		if (q->chars[s] == UINT32_MAX) {
			q->chars[s] = a[i];
			q->slot_mask[s] = (uint32_t)distinct++;
		}
		q->masks[(size_t)q->slot_mask[s] * q->words + i / 64] |= 1ULL << (i % 64);
	}
}

void lcs_query_release(struct lcs_query *q)
{
	free(q->chars);
	free(q->slot_mask);
	free(q->masks);
	free(q->v);
}

static const uint64_t *lcs_mask(const struct lcs_query *q, uint32_t c)
{
	size_t s = cp_slot(c, q->table_size);
	while (q->chars[s] != UINT32_MAX) {
		if (q->chars[s] == c)
			return q->masks + (size_t)q->slot_mask[s] * q->words;
		s = (s + 1) & (q->table_size - 1);
	}
	return NULL;
}

/* Length of the longest common subsequence of the query and b[0..n). */
size_t lcs_length(const struct lcs_query *q, const uint32_t *b, size_t n)
{
	size_t W = q->words, zeros = 0;
	uint64_t *v = q->v;
	if (!q->m || !n)
		return 0;
	for (size_t w = 0; w < W; w++)
		v[w] = ~0ULL;
	for (size_t j = 0; j < n; j++) {
		const uint64_t *pm = lcs_mask(q, b[j]);
		unsigned carry = 0;
		if (!pm)
			continue;
		for (size_t w = 0; w < W; w++) {
			uint64_t u = v[w] & pm[w];
			uint64_t sum = v[w] + u;
			unsigned c1 = sum < v[w];
			uint64_t sum2 = sum + carry;
			unsigned c2 = sum2 < sum;
			v[w] = sum2 | (v[w] & ~u);
			carry = c1 | c2;
		}
	}
	for (size_t i = 0; i < q->m; i++)
		zeros += !((v[i / 64] >> (i % 64)) & 1);
	return zeros;
}

double rouge_l_codepoints(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	struct lcs_query q;
	size_t l;
	if (!na || !nb)
		return 0.0;
	lcs_query_init(&q, a, na);
	l = lcs_length(&q, b, nb);
	lcs_query_release(&q);
	return 2.0 * (double)l / (double)(na + nb);
}

double rouge_l(const char *a, size_t alen, const char *b, size_t blen)
{
	struct codepoints ca = CODEPOINTS_INIT, cb = CODEPOINTS_INIT;
	dedupe_normalize(&ca, a, alen);
	dedupe_normalize(&cb, b, blen);
	double f = rouge_l_codepoints(ca.cp, ca.nr, cb.cp, cb.nr);
	codepoints_release(&ca);
	codepoints_release(&cb);
	return f;
}

/* ---- the index ---- */

struct rouge_entry {
	int64_t id;
	size_t off;
	uint32_t len;
};

struct posting {
	uint32_t cp;		/* UINT32_MAX: empty slot */
	uint32_t nr, alloc;
	uint32_t *entries;
};

struct rouge_index {
	struct rouge_entry *entries;
	size_t nr, alloc;
	uint32_t *pool;
	size_t pool_nr, pool_alloc;
	struct posting *postings;	/* open addressing on cp */
	size_t post_size, post_nr;
	struct codepoints scratch;
};

struct rouge_index *rouge_index_new(void)
{
	struct rouge_index *idx = xcalloc(1, sizeof(*idx));
	idx->post_size = 1024;
	idx->postings = xmalloc(idx->post_size * sizeof(*idx->postings));
	for (size_t i = 0; i < idx->post_size; i++)
		idx->postings[i].cp = UINT32_MAX;
	return idx;
}

void rouge_index_free(struct rouge_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->post_size; i++)
		if (idx->postings[i].cp != UINT32_MAX)
			free(idx->postings[i].entries);
	free(idx->postings);
	free(idx->entries);
	free(idx->pool);
	codepoints_release(&idx->scratch);
	free(idx);
}

size_t rouge_index_size(const struct rouge_index *idx)
{
	return idx->nr;
}

static struct posting *posting_find(const struct rouge_index *idx, uint32_t c)
{
	size_t s = cp_slot(c, idx->post_size);
	while (idx->postings[s].cp != UINT32_MAX) {
		if (idx->postings[s].cp == c)
			return &idx->postings[s];
		s = (s + 1) & (idx->post_size - 1);
	}
	return NULL;
}

static struct posting *posting_add(struct rouge_index *idx, uint32_t c)
{
	struct posting *p = posting_find(idx, c);
	if (p)
		return p;
	if (2 * (idx->post_nr + 1) > idx->post_size) {
		struct posting *old = idx->postings;
		size_t old_size = idx->post_size;
		idx->post_size *= 2;
		idx->postings = xmalloc(idx->post_size * sizeof(*idx->postings));
		for (size_t i = 0; i < idx->post_size; i++)
			idx->postings[i].cp = UINT32_MAX;
		for (size_t i = 0; i < old_size; i++) {
			if (old[i].cp == UINT32_MAX)
				continue;
			size_t s = cp_slot(old[i].cp, idx->post_size);
			while (idx->postings[s].cp != UINT32_MAX)
				s = (s + 1) & (idx->post_size - 1);
			idx->postings[s] = old[i];
		}
		free(old);
	}
	size_t s = cp_slot(c, idx->post_size);
	while (idx->postings[s].cp != UINT32_MAX)
		s = (s + 1) & (idx->post_size - 1);
	p = &idx->postings[s];
	p->cp = c;
	p->nr = p->alloc = 0;
	p->entries = NULL;
	idx->post_nr++;
	return p;
}

void rouge_index_add(struct rouge_index *idx, int64_t id, const char *text, size_t len)
{
	struct codepoints *cp = &idx->scratch;
	cp->nr = 0;
	dedupe_normalize(cp, text, len);
	if (idx->nr == idx->alloc) {
		idx->alloc = idx->alloc ? 2 * idx->alloc : 256;
		idx->entries = xrealloc(idx->entries, idx->alloc * sizeof(*idx->entries));
	}
	if (idx->pool_nr + cp->nr > idx->pool_alloc) {
		while (idx->pool_nr + cp->nr > idx->pool_alloc)
			idx->pool_alloc = idx->pool_alloc ? 2 * idx->pool_alloc : 4096;
		idx->pool = xrealloc(idx->pool, idx->pool_alloc * sizeof(*idx->pool));
	}
	uint32_t e = (uint32_t)idx->nr++;
	idx->entries[e].id = id;
	idx->entries[e].off = idx->pool_nr;
	idx->entries[e].len = (uint32_t)cp->nr;
	memcpy(idx->pool + idx->pool_nr, cp->cp, cp->nr * sizeof(*cp->cp));
	idx->pool_nr += cp->nr;
	for (size_t i = 0; i < cp->nr; i++) {
		struct posting *p = posting_add(idx, cp->cp[i]);
		if (p->nr && p->entries[p->nr - 1] == e)
			continue;	/* already listed for this entry */
		if (p->nr == p->alloc) {
			p->alloc = p->alloc ? 2 * p->alloc : 4;
			p->entries = xrealloc(p->entries, p->alloc * sizeof(*p->entries));
		}
		p->entries[p->nr++] = e;
	}
}

struct char_count {
	uint32_t cp, count, df;
};

static int by_df(const void *a, const void *b)
{
	const struct char_count *x = a, *y = b;
	if (x->df != y->df)
		return x->df < y->df ? -1 : 1;
	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int by_cp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

size_t rouge_index_query(const struct rouge_index *idx, const char *text, size_t len,
			 double threshold, int (*fn)(int64_t id, double score, void *ctx), void *ctx)
{
	struct codepoints q = CODEPOINTS_INIT;
	struct char_count *counts = NULL;
	uint32_t *sorted = NULL, *cand = NULL;
	size_t ncounts = 0, ncand = 0, cand_alloc = 0, reported = 0;
	struct lcs_query lq;
	size_t m;

	dedupe_normalize(&q, text, len);
	m = q.nr;
	if (!m || !idx->nr || threshold <= 0) {
		codepoints_release(&q);
		return 0;
	}

	/* the query's distinct characters with their counts and document frequency */
	sorted = xmalloc(m * sizeof(*sorted));
	memcpy(sorted, q.cp, m * sizeof(*sorted));
	qsort(sorted, m, sizeof(*sorted), by_cp);
	counts = xmalloc(m * sizeof(*counts));
	for (size_t i = 0; i < m; i++) {
		if (ncounts && counts[ncounts - 1].cp == sorted[i]) {
			counts[ncounts - 1].count++;
			continue;
		}
		const struct posting *p = posting_find(idx, sorted[i]);
		counts[ncounts].cp = sorted[i];
		counts[ncounts].count = 1;
		counts[ncounts++].df = p ? p->nr : 0;
	}
	qsort(counts, ncounts, sizeof(*counts), by_df);

	/* a match shares more than need_low characters; look up just enough rare ones */
	double need_low = threshold * (double)m / (2.0 - threshold);
	size_t covered = 0;
	for (size_t k = 0; k < ncounts && (double)(m - covered) > need_low; k++) {
		const struct posting *p = posting_find(idx, counts[k].cp);
		covered += counts[k].count;
		if (!p)
			continue;
		if (ncand + p->nr > cand_alloc) {
			cand_alloc = 2 * (ncand + p->nr);
			cand = xrealloc(cand, cand_alloc * sizeof(*cand));
		}
		memcpy(cand + ncand, p->entries, p->nr * sizeof(*cand));
		ncand += p->nr;
	}
	if (ncand)
		qsort(cand, ncand, sizeof(*cand), by_u32);

	lcs_query_init(&lq, q.cp, m);
	double len_lo = threshold * (double)m / (2.0 - threshold);
	double len_hi = (2.0 - threshold) * (double)m / threshold;
	for (size_t i = 0; i < ncand; i++) {
		if (i && cand[i] == cand[i - 1])
			continue;
		const struct rouge_entry *e = &idx->entries[cand[i]];
		if ((double)e->len <= len_lo || (double)e->len >= len_hi)
			continue;
		size_t l = lcs_length(&lq, idx->pool + e->off, e->len);
		double f = 2.0 * (double)l / (double)(m + e->len);
		if (f > threshold) {
			reported++;
			if (fn(e->id, f, ctx))
				break;
		}
	}
	lcs_query_release(&lq);
	free(cand);
	free(counts);
	free(sorted);
	codepoints_release(&q);
	return reported;
}

struct best_match {
	int64_t id;
	double score;
	int found;
};

static int keep_best(int64_t id, double score, void *ctx)
{
	struct best_match *b = ctx;
	if (!b->found || score > b->score) {
		b->id = id;
		b->score = score;
		b->found = 1;
	}
	return 0;
}

int rouge_index_best(const struct rouge_index *idx, const char *text, size_t len,
		     double threshold, int64_t *id, double *score)
{
	struct best_match b = { 0, 0.0, 0 };
	rouge_index_query(idx, text, len, threshold, keep_best, &b);
	if (b.found) {
		if (id)
			*id = b.id;
		if (score)
			*score = b.score;
	}
	return b.found;
}
