/*
 * cluster.c - the work of a dedupe run before anything is written: load
 * what earlier runs stored, hash the records that are new, and link
 * duplicates into union-find clusters (exact copies, verified LSH
 * candidates, similar instructions).
 *
 * Items 0..stored-1 come from dedupe_signatures (kept records hashed by an
 * earlier run: no text is read for them); the rest are "fresh": clean
 * records, and kept ones whose stored signature is missing or was made
 * with other settings. Every candidate pair has at least one fresh item,
 * so a nightly run's hashing and verification grow with the new records;
 * the only per-corpus work is reading the compact stored band keys.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../db/corpus.h"
#include "../lib/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define SEED_EXACT 0x65786163ULL
#define SEED_PROMPT 0x70726f6dULL

static struct dedupe_item *item_new(struct dedupe_run *d)
{
	if (d->nr == d->alloc) {
		d->alloc = d->alloc ? 2 * d->alloc : 1024;
		d->items = xrealloc(d->items, d->alloc * sizeof(*d->items));
		d->bands = xrealloc(d->bands, d->alloc * (size_t)d->lsh.bands * sizeof(*d->bands));
	}
	struct dedupe_item *it = &d->items[d->nr++];
	memset(it, 0, sizeof(*it));
	it->quality = -INFINITY;
	return it;
}

int dedupe_fetch_text(struct dedupe_run *d, int64_t id, const char *f[3], size_t len[3])
{
	sqlite3_reset(d->text);
	sqlite3_bind_int64(d->text, 1, id);
	if (sqlite3_step(d->text) != SQLITE_ROW)
		return error("record %lld vanished during dedupe: %s", (long long)id, sqlite3_errmsg(d->db));
	for (int k = 0; k < 3; k++) {
		f[k] = (const char *)sqlite3_column_text(d->text, k);
		len[k] = (size_t)sqlite3_column_bytes(d->text, k);
		if (!f[k])
			f[k] = "";
	}
	return 0;
}

/* What one hashing thread needs of its own. */
struct hasher {
	struct codepoints cp;
	uint32_t *shingles;
	size_t shingle_alloc;
};

/* Hashes one record's text into it and its band keys. */
static void item_hash(const struct lsh_params *lsh, struct hasher *h, struct dedupe_item *it,
		      uint32_t *bands, const char *f[3], const size_t len[3])
{
	uint32_t sig[DEDUPE_MINHASH_K];
	struct codepoints *cp = &h->cp;
	cp->nr = 0;
	dedupe_normalize(cp, f[0], len[0]);
	dedupe_normalize(cp, f[1], len[1]);
	it->prompt = cp->nr ? dedupe_hash_codepoints(cp->cp, cp->nr, SEED_PROMPT) : 0;
	dedupe_normalize(cp, f[2], len[2]);
	it->exact = dedupe_hash_codepoints(cp->cp, cp->nr, SEED_EXACT);
	if (!cp->nr)
		it->flags |= ITEM_EMPTY;
	if (h->shingle_alloc < cp->nr + 1) {
		h->shingle_alloc = 2 * (cp->nr + 1);
		h->shingles = xrealloc(h->shingles, h->shingle_alloc * sizeof(*h->shingles));
	}
	size_t n = dedupe_shingle_hashes(cp->cp, cp->nr, h->shingles);
	minhash_signature(h->shingles, n, sig);
	lsh_band_keys(lsh, sig, bands);
}

/*
 * Records are read in batches (SQLite is used from one thread only) and
 * each batch is hashed by HASH_THREADS threads, the reading thread
 * included. Text is copied out of SQLite into the batch's arena.
 */
#define HASH_THREADS 2
#define HASH_BATCH 4096

struct hash_batch {
	const struct lsh_params *lsh;
	struct dedupe_run *d;
	size_t first;			/* item index of the batch's first record */
	size_t nr;
	struct strbuf arena;		/* the texts, NUL-separated */
	size_t (*off)[3], (*len)[3];	/* (HASH_BATCH, 3) */
};

struct hash_share {
	struct hash_batch *b;
	struct hasher h;
	size_t from, to;		/* records [from, to) of the batch */
};

static void hash_range(struct hash_share *s)
{
	struct hash_batch *b = s->b;
	for (size_t i = s->from; i < s->to; i++) {
		const char *f[3];
		size_t item = b->first + i;
		for (int k = 0; k < 3; k++)
			f[k] = b->arena.buf + b->off[i][k];
		item_hash(b->lsh, &s->h, &b->d->items[item],
			  b->d->bands + item * (size_t)b->lsh->bands, f, b->len[i]);
	}
}

static void *hash_thread(void *arg)
{
	hash_range(arg);
	return NULL;
}

static void hash_batch_run(struct hash_batch *b, struct hash_share *shares)
{
	pthread_t tid[HASH_THREADS];
	int started[HASH_THREADS] = { 0 };
	size_t per = (b->nr + HASH_THREADS - 1) / HASH_THREADS;
	for (int t = 0; t < HASH_THREADS; t++) {
		shares[t].b = b;
		shares[t].from = (size_t)t * per < b->nr ? (size_t)t * per : b->nr;
		shares[t].to = shares[t].from + per < b->nr ? shares[t].from + per : b->nr;
	}
	/* small batches, or no thread to be had: do it all here */
	for (int t = 1; t < HASH_THREADS && b->nr >= 256; t++)
		started[t] = !pthread_create(&tid[t], NULL, hash_thread, &shares[t]);
	hash_range(&shares[0]);
	for (int t = 1; t < HASH_THREADS; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			hash_range(&shares[t]);
	}
	b->d->fresh += b->nr;
	b->nr = 0;
	strbuf_reset(&b->arena);
	progress_update(&b->d->progress, b->d->fresh);
}

/* records.lang as one byte: 0 when clean has not said. */
static uint8_t item_lang(const unsigned char *lang)
{
	return lang && lang[0] ? lang[0] : 0;
}

static int load_stored(struct dedupe_run *d)
{
	sqlite3_stmt *st = corpus_prepare(d->db,
		"SELECT s.record_id, s.exact_hash, s.prompt_hash, s.bands, r.stage, r.quality, "
		"length(r.output), r.lang FROM dedupe_signatures s JOIN records r ON r.id = s.record_id "
		"WHERE s.scheme = ?1 AND r.stage IN ('unique', 'approved') ORDER BY s.record_id");
	size_t band_bytes = (size_t)d->lsh.bands * sizeof(uint32_t);
	int rc;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->scheme);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 3) != band_bytes)
			continue;	/* damaged row: the record is hashed again as fresh */
		struct dedupe_item *it = item_new(d);
		const unsigned char *blob = sqlite3_column_blob(st, 3);
		uint32_t *bands = d->bands + (d->nr - 1) * (size_t)d->lsh.bands;
		it->id = sqlite3_column_int64(st, 0);
		it->exact = (uint64_t)sqlite3_column_int64(st, 1);
		it->prompt = (uint64_t)sqlite3_column_int64(st, 2);
		for (int b = 0; b < d->lsh.bands; b++)
			bands[b] = (uint32_t)blob[4 * b] | (uint32_t)blob[4 * b + 1] << 8 |
				   (uint32_t)blob[4 * b + 2] << 16 | (uint32_t)blob[4 * b + 3] << 24;
		it->stage = (uint8_t)stage_from_name((const char *)sqlite3_column_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			it->quality = sqlite3_column_double(st, 5);
		it->output_len = (uint32_t)sqlite3_column_int64(st, 6);
		it->lang = item_lang(sqlite3_column_text(st, 7));
		it->target = it->stage;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : error("cannot read stored signatures: %s", sqlite3_errmsg(d->db));
}

/* Hashes the records selected by sql (columns id, stage, quality, length(output), instruction, input, output, lang). */
static int load_fresh(struct dedupe_run *d, const char *sql)
{
	sqlite3_stmt *st = corpus_prepare(d->db, sql);
	struct hash_batch b;
	struct hash_share shares[HASH_THREADS];
	int rc;
	if (!st)
		return -1;
	if (sqlite3_bind_parameter_count(st) == 2) {
		sqlite3_bind_int64(st, 1, d->scheme);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)d->lsh.bands * 4);
	}
	memset(&b, 0, sizeof(b));
	memset(shares, 0, sizeof(shares));
	b.lsh = &d->lsh;
	b.d = d;
	strbuf_init(&b.arena, 1 << 20);
	b.off = xmalloc(HASH_BATCH * sizeof(*b.off));
	b.len = xmalloc(HASH_BATCH * sizeof(*b.len));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dedupe_item *it = item_new(d);
		if (!b.nr)
			b.first = d->nr - 1;
		it->id = sqlite3_column_int64(st, 0);
		it->stage = (uint8_t)stage_from_name((const char *)sqlite3_column_text(st, 1));
		it->target = it->stage;
		it->flags = ITEM_FRESH;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			it->quality = sqlite3_column_double(st, 2);
		it->output_len = (uint32_t)sqlite3_column_int64(st, 3);
		it->lang = item_lang(sqlite3_column_text(st, 7));
		for (int k = 0; k < 3; k++) {
			const char *f = (const char *)sqlite3_column_text(st, 4 + k);
			size_t len = (size_t)sqlite3_column_bytes(st, 4 + k);
			b.off[b.nr][k] = b.arena.len;
			b.len[b.nr][k] = f ? len : 0;
			strbuf_add(&b.arena, f ? f : "", f ? len : 0);
			strbuf_addch(&b.arena, 0);
		}
		if (++b.nr == HASH_BATCH)
			hash_batch_run(&b, shares);	/* items may move on realloc: only between batches */
	}
	if (b.nr)
		hash_batch_run(&b, shares);
	for (int t = 0; t < HASH_THREADS; t++) {
		codepoints_release(&shares[t].h.cp);
		free(shares[t].h.shingles);
	}
	strbuf_release(&b.arena);
	free(b.off);
	free(b.len);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : error("cannot read records: %s", sqlite3_errmsg(d->db));
}

int dedupe_load(struct dedupe_run *d)
{
	int64_t total;
	d->text = corpus_prepare(d->db, "SELECT instruction, input, output FROM records WHERE id = ?1");
	if (!d->text || load_stored(d))
		return -1;
	char *fresh_sql = xstrfmt("SELECT id, stage, quality, length(output), instruction, input, output, lang "
				  "FROM records WHERE stage = 'clean' AND id <= %lld ORDER BY id",
				  (long long)(d->last_id ? d->last_id : INT64_MAX));
	char *count_sql = xstrfmt("SELECT count(*) FROM records WHERE stage = 'clean' AND id <= %lld",
				  (long long)(d->last_id ? d->last_id : INT64_MAX));
	total = corpus_int(d->db, count_sql);
	free(count_sql);
	progress_start(&d->progress, "dedupe: hashing", total > 0 ? (uint64_t)total : 0, "records");
	/* kept records without a usable signature (first run, new settings), then the new ones */
	if (load_fresh(d, "SELECT r.id, r.stage, r.quality, length(r.output), r.instruction, r.input, "
			  "r.output, r.lang FROM records r WHERE r.stage IN ('unique', 'approved') AND NOT EXISTS "
			  "(SELECT 1 FROM dedupe_signatures s WHERE s.record_id = r.id AND s.scheme = ?1 "
			  "AND length(s.bands) = ?2) ORDER BY r.id") ||
	    load_fresh(d, fresh_sql)) {
		progress_finish(&d->progress);
		free(fresh_sql);
		return -1;
	}
	free(fresh_sql);
	progress_finish(&d->progress);
	union_find_init(&d->uf, d->nr);
	d->cache = xmalloc(SHINGLE_CACHE_SIZE * sizeof(*d->cache));
	for (size_t i = 0; i < SHINGLE_CACHE_SIZE; i++) {
		d->cache[i].item = UINT32_MAX;
		memset(&d->cache[i].set, 0, sizeof(d->cache[i].set));
	}
	return 0;
}

void dedupe_run_release(struct dedupe_run *d)
{
	if (d->cache) {
		for (size_t i = 0; i < SHINGLE_CACHE_SIZE; i++)
			shingle_set_release(&d->cache[i].set);
		free(d->cache);
	}
	sqlite3_finalize(d->text);
	union_find_release(&d->uf);
	codepoints_release(&d->cp);
	free(d->items);
	free(d->bands);
	memset(d, 0, sizeof(*d));
}

/* ---- exact copies ---- */

struct hash_index {
	uint64_t hash;
	uint32_t item;
};

static int by_hash_then_item(const void *a, const void *b)
{
	const struct hash_index *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

void dedupe_link_exact(struct dedupe_run *d)
{
	struct hash_index *h = xmalloc((d->nr ? d->nr : 1) * sizeof(*h));
	for (size_t i = 0; i < d->nr; i++) {
		h[i].hash = d->items[i].exact;
		h[i].item = (uint32_t)i;
	}
	qsort(h, d->nr, sizeof(*h), by_hash_then_item);
	for (size_t i = 0; i < d->nr; i++) {
		size_t first = i && h[i - 1].hash == h[i].hash ? d->items[h[i - 1].item].rep : h[i].item;
		d->items[h[i].item].rep = (uint32_t)first;
		if (first != h[i].item)
			union_find_union(&d->uf, (uint32_t)first, h[i].item);
	}
	free(h);
}

/* ---- near duplicates ---- */

static const struct shingle_set *cached_shingles(struct dedupe_run *d, uint32_t item)
{
	struct shingle_cache_entry *e = &d->cache[item % SHINGLE_CACHE_SIZE];
	const char *f[3];
	size_t len[3];
	if (e->item == item)
		return &e->set;
	if (dedupe_fetch_text(d, d->items[item].id, f, len))
		return NULL;
	d->cp.nr = 0;
	for (int k = 0; k < 3; k++)
		dedupe_normalize(&d->cp, f[k], len[k]);
	shingle_set_build(&e->set, d->cp.cp, d->cp.nr);
	e->item = item;
	return &e->set;
}

/* Pairs already verified and found too far apart, so other bands skip them. */
struct pair_set {
	uint64_t *slots;
	size_t size, nr;
};

static int pair_seen(struct pair_set *ps, uint64_t key, int add)
{
	if (add && 2 * (ps->nr + 1) > ps->size) {
		uint64_t *old = ps->slots;
		size_t old_size = ps->size;
		ps->size = ps->size ? 2 * ps->size : 4096;
		ps->slots = xcalloc(ps->size, sizeof(*ps->slots));
		ps->nr = 0;
		for (size_t i = 0; i < old_size; i++)
			if (old[i])
				pair_seen(ps, old[i], 1);
		free(old);
	}
	if (!ps->size)
		return 0;
	size_t s = (size_t)mix64(key) & (ps->size - 1);
	while (ps->slots[s]) {
		if (ps->slots[s] == key)
			return 1;
		s = (s + 1) & (ps->size - 1);
	}
	if (add) {
		ps->slots[s] = key;
		ps->nr++;
	}
	return 0;
}

/* Verifies one candidate pair; returns -1 only when a record cannot be read. */
static int verify_pair(struct dedupe_run *d, struct pair_set *rejected, uint32_t a, uint32_t b)
{
	if (union_find_find(&d->uf, a) == union_find_find(&d->uf, b))
		return 0;
	/*
	 * A record and its translation share their code and numbers, so the
	 * shingles of a short instruction around a long code output match: in
	 * different languages they are not copies unless asked.
	 */
	if (!d->across_languages && d->items[a].lang && d->items[b].lang && d->items[a].lang != d->items[b].lang) {
		d->other_language++;
		return 0;
	}
	uint64_t key = a < b ? ((uint64_t)a << 32 | b) : ((uint64_t)b << 32 | a);
	key += 1;	/* never 0, the empty slot */
	if (pair_seen(rejected, key, 0))
		return 0;
	const struct shingle_set *sa = cached_shingles(d, a);
	if (!sa)
		return -1;
	/* b may evict a from the cache only if they share a slot; copy-free check first */
	if ((a % SHINGLE_CACHE_SIZE) == (b % SHINGLE_CACHE_SIZE)) {
		struct shingle_set keep = SHINGLE_SET_INIT;
		keep.nr = keep.alloc = sa->nr;
		keep.hash = xmalloc((sa->nr ? sa->nr : 1) * sizeof(*keep.hash));
		memcpy(keep.hash, sa->hash, sa->nr * sizeof(*keep.hash));
		const struct shingle_set *sb = cached_shingles(d, b);
		double j = sb ? shingle_jaccard(&keep, sb) : 0;
		shingle_set_release(&keep);
		if (!sb)
			return -1;
		d->verified++;
		if (j >= d->lsh.threshold)
			goto join;
		pair_seen(rejected, key, 1);
		return 0;
	}
	const struct shingle_set *sb = cached_shingles(d, b);
	if (!sb)
		return -1;
	d->verified++;
	if (shingle_jaccard(sa, sb) < d->lsh.threshold) {
		pair_seen(rejected, key, 1);
		return 0;
	}
join:
	union_find_union(&d->uf, a, b);
	d->items[a].flags |= ITEM_NEAR;
	d->items[b].flags |= ITEM_NEAR;
	d->near_edges++;
	return 0;
}

static inline size_t key_slot(uint32_t key, size_t size)
{
	return (size_t)(mix64(key) & (size - 1));
}

int dedupe_link_near(struct dedupe_run *d)
{
	size_t nbands = (size_t)d->lsh.bands, fresh_reps = 0, size = 16;
	uint32_t *keys, *heads, *next;
	struct pair_set rejected = { NULL, 0, 0 };
	int rc = 0;

	for (size_t i = 0; i < d->nr; i++)
		if ((d->items[i].flags & (ITEM_FRESH | ITEM_EMPTY)) == ITEM_FRESH && d->items[i].rep == i)
			fresh_reps++;
	if (!fresh_reps)
		return 0;
	while (size < 2 * fresh_reps)
		size *= 2;
	keys = xmalloc(size * sizeof(*keys));
	heads = xmalloc(size * sizeof(*heads));
	next = xmalloc(d->nr * sizeof(*next));
	progress_start(&d->progress, "dedupe: comparing", nbands, "bands");
	for (size_t b = 0; b < nbands && !rc; b++) {
		memset(heads, 0xff, size * sizeof(*heads));
		/* chains of fresh representatives sharing this band's key */
		for (size_t i = 0; i < d->nr; i++) {
			const struct dedupe_item *it = &d->items[i];
			if ((it->flags & (ITEM_FRESH | ITEM_EMPTY)) != ITEM_FRESH || it->rep != i)
				continue;
			uint32_t k = d->bands[i * nbands + b];
			size_t s = key_slot(k, size);
			while (heads[s] != UINT32_MAX && keys[s] != k)
				s = (s + 1) & (size - 1);
			keys[s] = k;
			next[i] = heads[s];
			heads[s] = (uint32_t)i;
		}
		/* fresh with fresh: every pair within a chain */
		for (size_t s = 0; s < size && !rc; s++)
			for (uint32_t x = heads[s]; x != UINT32_MAX && !rc; x = next[x])
				for (uint32_t y = next[x]; y != UINT32_MAX && !rc; y = next[y])
					rc = verify_pair(d, &rejected, y, x);
		/* stored with fresh: probe the chains */
		for (size_t i = 0; i < d->nr && !rc; i++) {
			const struct dedupe_item *it = &d->items[i];
			if ((it->flags & (ITEM_FRESH | ITEM_EMPTY)) || it->rep != i)
				continue;
			uint32_t k = d->bands[i * nbands + b];
			size_t s = key_slot(k, size);
			while (heads[s] != UINT32_MAX && keys[s] != k)
				s = (s + 1) & (size - 1);
			for (uint32_t x = heads[s]; x != UINT32_MAX && !rc; x = next[x])
				rc = verify_pair(d, &rejected, (uint32_t)i, x);
		}
		progress_update(&d->progress, b + 1);
	}
	progress_finish(&d->progress);
	free(rejected.slots);
	free(keys);
	free(heads);
	free(next);
	return rc;
}
