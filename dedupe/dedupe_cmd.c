/*
 * dedupe_cmd.c - `winnow dedupe`: clean records become unique, or
 * duplicate with the id of the record kept in their place.
 *
 * One run is one transaction: decontamination (--against), then loading
 * and hashing (cluster.c), linking exact copies, near duplicates and, with
 * --rouge, similar instructions, then deciding each cluster's keeper and
 * the conflicts, and finally writing stages and signatures. --dry-run does
 * all of it, prints the clusters, and rolls back, so what it shows is
 * exactly what a real run would do.
 *
 * The record kept in a cluster is the best one: approved > higher quality
 * score > longer output > older (smaller id). Approved records are never
 * moved: a human said yes to them.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum conflict_policy { CONFLICT_KEEP, CONFLICT_FIRST, CONFLICT_REJECT };

struct dedupe_opts {
	double threshold, rouge_threshold;
	int rouge, rouge_exact, dry_run, across_languages;
	long batch;
	enum conflict_policy conflicts;
	const char *against;
};

struct dedupe_counts {
	long contaminated, fresh, unique, exact, near, similar, demoted, conflicts,
		conflict_groups, conflict_rejected;
};

static const struct command_help dedupe_help = {
	"winnow dedupe [options]",
	"Remove exact and near-duplicate records (clean -> unique | duplicate).",
	"Every clean record is compared with the records kept before (unique and\n"
	"approved) and with the other clean ones. Exact: the same instruction+input+\n"
	"output after folding case, full/half width, spaces and punctuation. Near:\n"
	"MinHash over character 5-grams (Chinese needs no word splitting) with LSH\n"
	"banding tuned for --threshold; every candidate pair is verified by its exact\n"
	"Jaccard similarity, and clusters are formed by union-find. Near copies are\n"
	"compared within a language (records.lang, set by clean): a record and its\n"
	"translation share code and numbers but are not copies (--across-languages\n"
	"to join them anyway). In each cluster\n"
	"the best record is kept: approved > higher quality > longer output > older;\n"
	"the others move to stage duplicate with duplicate_of = the kept record and\n"
	"reason dedupe:exact, dedupe:near or dedupe:rouge.\n\n"
	"Conflicts are kept records with the same instruction+input but different\n"
	"outputs. --conflicts keep (default) leaves them and sets their reason to\n"
	"conflict:N (N = the oldest record of the group; query them with\n"
	"`reason LIKE 'conflict:%'`); first keeps the oldest and rejects the rest;\n"
	"reject rejects all of them. Approved records are never moved.\n\n"
	"--rouge also treats records as duplicates when their instructions'\n"
	"character-level ROUGE-L exceeds --rouge-threshold (Self-Instruct's rule).\n"
	"--against FILE (Alpaca JSON or JSON Lines) rejects clean, unique and\n"
	"approved records sharing a 13-gram (CJK characters, or words) with that\n"
	"evaluation set, with reason contaminated:FILE.\n\n"
	"Signatures of kept records are stored (table dedupe_signatures), so a\n"
	"nightly run hashes and verifies only the new records. Clean records are\n"
	"taken --batch at a time (default 20000), each batch compared with everything\n"
	"kept before and committed before the next starts: a killed run keeps its\n"
	"finished batches, and running dedupe again carries on.",
	"  winnow dedupe\n"
	"  winnow dedupe --dry-run --threshold 0.7\n"
	"  winnow dedupe --rouge --conflicts first\n"
	"  winnow dedupe --against eval/test.json",
};

/* ---- decontamination ---- */

static int decontaminate(sqlite3 *db, const struct ngram_set *eval, const char *reason,
			 struct dedupe_counts *c, int dry_run)
{
	sqlite3_stmt *scan = corpus_prepare(db,
		"SELECT id, stage, instruction, input, output FROM records "
		"WHERE stage IN ('clean', 'unique', 'approved') ORDER BY id");
	sqlite3_stmt *move = corpus_prepare(db,
		"UPDATE records SET stage = 'rejected', reason = ?1, "
		"updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?2");
	int64_t *ids = NULL;
	size_t nr = 0, alloc = 0;
	int rc = 0, step;
	if (!scan || !move) {
		sqlite3_finalize(scan);
		sqlite3_finalize(move);
		return -1;
	}
	while ((step = sqlite3_step(scan)) == SQLITE_ROW) {
		int hit = 0;
		for (int k = 2; k < 5 && !hit; k++)
			hit = ngram_set_hits(eval, (const char *)sqlite3_column_text(scan, k),
					     (size_t)sqlite3_column_bytes(scan, k));
		if (!hit)
			continue;
		if (nr == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			ids = xrealloc(ids, alloc * sizeof(*ids));
		}
		ids[nr++] = sqlite3_column_int64(scan, 0);
		if (dry_run) {
			struct strbuf line = STRBUF_INIT;
			text_fit(&line, (const char *)sqlite3_column_text(scan, 2),
				 (size_t)sqlite3_column_bytes(scan, 2), 60);
			printf("contaminated #%lld (%s): %s\n", (long long)ids[nr - 1],
			       (const char *)sqlite3_column_text(scan, 1), line.buf);
			strbuf_release(&line);
		}
	}
	if (step != SQLITE_DONE)
		rc = error("cannot read records: %s", sqlite3_errmsg(db));
	for (size_t i = 0; i < nr && !rc; i++) {
		sqlite3_reset(move);
		sqlite3_bind_text(move, 1, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(move, 2, ids[i]);
		if (sqlite3_step(move) != SQLITE_DONE)
			rc = error("cannot reject record %lld: %s", (long long)ids[i], sqlite3_errmsg(db));
	}
	c->contaminated = (long)nr;
	free(ids);
	sqlite3_finalize(scan);
	sqlite3_finalize(move);
	return rc;
}

/* ---- deciding ---- */

/* 1 when a is a better record to keep than b. */
static int better(const struct dedupe_item *a, const struct dedupe_item *b)
{
	int aa = a->stage == STAGE_APPROVED, ba = b->stage == STAGE_APPROVED;
	if (aa != ba)
		return aa;
	if (a->quality != b->quality)
		return a->quality > b->quality;
	if (a->output_len != b->output_len)
		return a->output_len > b->output_len;
	return a->id < b->id;
}

/* Picks each cluster's keeper and sets every item's target stage. Returns best[] by root. */
static uint32_t *decide_clusters(struct dedupe_run *d, struct dedupe_counts *c)
{
	uint32_t *best = xmalloc((d->nr ? d->nr : 1) * sizeof(*best));
	for (size_t i = 0; i < d->nr; i++)
		best[i] = UINT32_MAX;
	for (size_t i = 0; i < d->nr; i++) {
		uint32_t r = union_find_find(&d->uf, (uint32_t)i);
		if (best[r] == UINT32_MAX || better(&d->items[i], &d->items[best[r]]))
			best[r] = (uint32_t)i;
	}
	for (size_t i = 0; i < d->nr; i++) {
		struct dedupe_item *it = &d->items[i];
		const struct dedupe_item *keep = &d->items[best[union_find_find(&d->uf, (uint32_t)i)]];
		if (it == keep || it->stage == STAGE_APPROVED) {
			if (it->stage == STAGE_CLEAN) {
				it->target = STAGE_UNIQUE;
				c->unique++;
			}
			continue;
		}
		it->target = STAGE_DUPLICATE;
		it->duplicate_of = keep->id;
		const struct dedupe_item *rep = &d->items[it->rep];
		if (it->exact == keep->exact) {
			it->reason = "dedupe:exact";
			c->exact++;
		} else if ((it->flags | rep->flags) & ITEM_NEAR) {
			it->reason = "dedupe:near";
			c->near++;
		} else {
			it->reason = "dedupe:rouge";
			c->similar++;
		}
		if (it->stage == STAGE_UNIQUE)
			c->demoted++;
	}
	return best;
}

struct prompt_index {
	uint64_t prompt;
	uint32_t item;
};

static int by_prompt_then_id(const void *a, const void *b)
{
	const struct prompt_index *x = a, *y = b;
	if (x->prompt != y->prompt)
		return x->prompt < y->prompt ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

/*
 * Kept records sharing instruction+input with different outputs. reasons
 * holds the "conflict:N" strings (owned by the caller's string_list).
 */
static void decide_conflicts(struct dedupe_run *d, enum conflict_policy policy,
			     struct string_list *reasons, struct dedupe_counts *c)
{
	struct prompt_index *p = xmalloc((d->nr ? d->nr : 1) * sizeof(*p));
	size_t n = 0;
	for (size_t i = 0; i < d->nr; i++) {
		const struct dedupe_item *it = &d->items[i];
		int kept = it->target == STAGE_UNIQUE || it->target == STAGE_APPROVED;
		if (kept && it->prompt)
			p[n++] = (struct prompt_index){ it->prompt, (uint32_t)i };
	}
	/* items are in id order within the stored and the fresh part; sort by id for "oldest" */
	qsort(p, n, sizeof(*p), by_prompt_then_id);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, fresh = 0;
		uint32_t oldest = p[i].item;
		while (j < n && p[j].prompt == p[i].prompt)
			j++;
		for (size_t k = i; k < j; k++) {
			const struct dedupe_item *it = &d->items[p[k].item];
			fresh += (it->flags & ITEM_FRESH) != 0;
			if (it->id < d->items[oldest].id)
				oldest = p[k].item;
		}
		if (j - i < 2 || !fresh) {
			i = j;
			continue;
		}
		char *reason = xstrfmt("conflict:%lld", (long long)d->items[oldest].id);
		string_list_append(reasons, reason);
		free(reason);
		reason = reasons->items[reasons->nr - 1];
		c->conflict_groups++;
		for (size_t k = i; k < j; k++) {
			struct dedupe_item *it = &d->items[p[k].item];
			it->reason = reason;
			c->conflicts++;
			if (it->stage == STAGE_APPROVED || policy == CONFLICT_KEEP ||
			    (policy == CONFLICT_FIRST && p[k].item == oldest))
				continue;
			if (it->target == STAGE_UNIQUE && it->stage == STAGE_CLEAN)
				c->unique--;
			it->target = STAGE_REJECTED;
			c->conflict_rejected++;
		}
		i = j;
	}
	free(p);
}

/* ---- writing ---- */

static int write_results(struct dedupe_run *d, struct progress *progress)
{
	sqlite3_stmt *move = corpus_prepare(d->db,
		"UPDATE records SET stage = ?1, reason = coalesce(?2, reason), duplicate_of = ?3, "
		"updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?4");
	sqlite3_stmt *flag = corpus_prepare(d->db, "UPDATE records SET reason = ?1 WHERE id = ?2");
	sqlite3_stmt *repoint = corpus_prepare(d->db,
		"UPDATE records SET duplicate_of = ?1 WHERE duplicate_of = ?2 AND stage = 'duplicate'");
	sqlite3_stmt *store = corpus_prepare(d->db,
		"INSERT OR REPLACE INTO dedupe_signatures (record_id, exact_hash, prompt_hash, scheme, bands) "
		"VALUES (?1, ?2, ?3, ?4, ?5)");
	sqlite3_stmt *forget = corpus_prepare(d->db, "DELETE FROM dedupe_signatures WHERE record_id = ?1");
	size_t nbands = (size_t)d->lsh.bands;
	unsigned char *blob = xmalloc(nbands * 4);
	int rc = 0;
	if (!move || !flag || !repoint || !store || !forget)
		rc = -1;
	progress_start(progress, "dedupe: writing", d->nr, "records");
	for (size_t i = 0; i < d->nr && !rc; i++) {
		const struct dedupe_item *it = &d->items[i];
		int kept = it->target == STAGE_UNIQUE || it->target == STAGE_APPROVED;
		if (it->target != it->stage) {
			sqlite3_reset(move);
			sqlite3_bind_text(move, 1, stage_name((enum record_stage)it->target), -1, SQLITE_STATIC);
			if (it->reason)
				sqlite3_bind_text(move, 2, it->reason, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(move, 2);
			if (it->duplicate_of)
				sqlite3_bind_int64(move, 3, it->duplicate_of);
			else
				sqlite3_bind_null(move, 3);
			sqlite3_bind_int64(move, 4, it->id);
			if (sqlite3_step(move) != SQLITE_DONE)
				rc = error("cannot move record %lld to %s: %s", (long long)it->id,
					   stage_name((enum record_stage)it->target), sqlite3_errmsg(d->db));
		} else if (it->reason) {
			sqlite3_reset(flag);
			sqlite3_bind_text(flag, 1, it->reason, -1, SQLITE_STATIC);
			sqlite3_bind_int64(flag, 2, it->id);
			if (sqlite3_step(flag) != SQLITE_DONE)
				rc = error("cannot flag record %lld: %s", (long long)it->id, sqlite3_errmsg(d->db));
		}
		if (!rc && it->target == STAGE_DUPLICATE && it->stage == STAGE_UNIQUE) {
			/* its own duplicates now point at the record that replaced it */
			sqlite3_reset(repoint);
			sqlite3_bind_int64(repoint, 1, it->duplicate_of);
			sqlite3_bind_int64(repoint, 2, it->id);
			if (sqlite3_step(repoint) != SQLITE_DONE)
				rc = error("cannot update duplicates of %lld: %s", (long long)it->id,
					   sqlite3_errmsg(d->db));
		}
		if (!rc && kept && (it->flags & ITEM_FRESH)) {
			const uint32_t *bands = d->bands + i * nbands;
			for (size_t b = 0; b < nbands; b++) {
				blob[4 * b] = (unsigned char)bands[b];
				blob[4 * b + 1] = (unsigned char)(bands[b] >> 8);
				blob[4 * b + 2] = (unsigned char)(bands[b] >> 16);
				blob[4 * b + 3] = (unsigned char)(bands[b] >> 24);
			}
			sqlite3_reset(store);
			sqlite3_bind_int64(store, 1, it->id);
			sqlite3_bind_int64(store, 2, (sqlite3_int64)it->exact);
			sqlite3_bind_int64(store, 3, (sqlite3_int64)it->prompt);
			sqlite3_bind_int64(store, 4, d->scheme);
			sqlite3_bind_blob(store, 5, blob, (int)(nbands * 4), SQLITE_STATIC);
			if (sqlite3_step(store) != SQLITE_DONE)
				rc = error("cannot store the signature of %lld: %s", (long long)it->id,
					   sqlite3_errmsg(d->db));
		} else if (!rc && !kept && it->stage != STAGE_CLEAN) {
			sqlite3_reset(forget);
			sqlite3_bind_int64(forget, 1, it->id);
			if (sqlite3_step(forget) != SQLITE_DONE)
				rc = error("cannot forget the signature of %lld: %s", (long long)it->id,
					   sqlite3_errmsg(d->db));
		}
		if (!(i & 1023))
			progress_update(progress, i);
	}
	progress_finish(progress);
	free(blob);
	sqlite3_finalize(move);
	sqlite3_finalize(flag);
	sqlite3_finalize(repoint);
	sqlite3_finalize(store);
	sqlite3_finalize(forget);
	return rc;
}

/* ---- --dry-run ---- */

struct member {
	uint32_t root, item;
	int keeper;
};

static int by_cluster(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->keeper != y->keeper)
		return y->keeper - x->keeper;
	return x->item < y->item ? -1 : x->item > y->item;
}

static void print_member(struct dedupe_run *d, const char *label, const struct dedupe_item *it)
{
	struct strbuf line = STRBUF_INIT;
	const char *f[3];
	size_t len[3];
	if (!dedupe_fetch_text(d, it->id, f, len))
		text_fit(&line, f[0], len[0], 60);
	printf("  %-9s #%-8lld %s\n", label, (long long)it->id, line.buf);
	strbuf_release(&line);
}

/* Prints each cluster in which something would change, and the conflicts. */
static void print_plan(struct dedupe_run *d, const uint32_t *best)
{
	struct member *m = xmalloc((d->nr ? d->nr : 1) * sizeof(*m));
	size_t n = 0, clusters = 0;
	for (size_t i = 0; i < d->nr; i++) {
		uint32_t r = union_find_find(&d->uf, (uint32_t)i);
		if (d->uf.size[r] < 2)
			continue;
		m[n++] = (struct member){ r, (uint32_t)i, best[r] == i };
	}
	qsort(m, n, sizeof(*m), by_cluster);
	for (size_t i = 0; i < n;) {
		size_t j = i, changes = 0;
		while (j < n && m[j].root == m[i].root) {
			changes += d->items[m[j].item].target != d->items[m[j].item].stage;
			j++;
		}
		if (changes) {
			printf("cluster %zu: %zu records, keep #%lld\n", ++clusters, j - i,
			       (long long)d->items[m[i].item].id);
			for (size_t k = i; k < j; k++) {
				const struct dedupe_item *it = &d->items[m[k].item];
				const char *label = m[k].keeper ? "keep"
					: it->target != STAGE_DUPLICATE ? "approved"
					: !strcmp(it->reason, "dedupe:exact") ? "exact" :
					!strcmp(it->reason, "dedupe:near") ? "near" : "rouge";
				print_member(d, label, it);
			}
		}
		i = j;
	}
	for (size_t i = 0; i < d->nr; i++) {
		const struct dedupe_item *it = &d->items[i];
		if (it->reason && !strncmp(it->reason, "conflict:", 9))
			printf("%s #%lld -> %s\n", it->reason, (long long)it->id,
			       stage_name((enum record_stage)it->target));
	}
	free(m);
}

/* ---- the command ---- */

static int parse_policy(const char *s, enum conflict_policy *p)
{
	if (!s || !strcmp(s, "keep"))
		*p = CONFLICT_KEEP;
	else if (!strcmp(s, "first"))
		*p = CONFLICT_FIRST;
	else if (!strcmp(s, "reject"))
		*p = CONFLICT_REJECT;
	else
		return -1;
	return 0;
}

/* What the batches of one run add up to. */
struct dedupe_totals {
	struct dedupe_counts c;
	long verified, other_language, batches;
	double hash_s, compare_s, cpu_s, write_s;
};

/* Records the run's counts and timings in runs.counts. */
static void count_run(struct run *run, const struct dedupe_totals *t)
{
	const struct dedupe_counts *c = &t->c;
	run_count(run, "hashed", c->fresh);
	run_count(run, "unique", c->unique);
	run_count(run, "exact", c->exact);
	run_count(run, "near", c->near);
	run_count(run, "rouge", c->similar);
	run_count(run, "replaced", c->demoted);
	run_count(run, "conflicts", c->conflicts);
	run_count(run, "conflicts_rejected", c->conflict_rejected);
	run_count(run, "contaminated", c->contaminated);
	run_count(run, "pairs_verified", t->verified);
	run_count(run, "pairs_other_language", t->other_language);
	run_count(run, "batches", t->batches);
	run_count(run, "hash_ms", (int64_t)(t->hash_s * 1000));
	run_count(run, "compare_ms", (int64_t)(t->compare_s * 1000));
	/* processor time of both phases (all threads): what the work costs on an idle machine */
	run_count(run, "hash_compare_cpu_ms", (int64_t)(t->cpu_s * 1000));
	run_count(run, "write_ms", (int64_t)(t->write_s * 1000));
}

/* Reads the evaluation set of --against into *eval. Returns 0, or an exit code after a message. */
static int load_against(const struct dedupe_opts *o, struct ngram_set **eval, char **reason)
{
	long items, short_items;
	int bad_data;
	*eval = ngram_set_new();
	if (ngram_set_load_alpaca(*eval, o->against, &items, &short_items, &bad_data))
		return bad_data ? EXIT_DATAERR : EXIT_FAILURE_;
	if (short_items)
		warning("%ld of the %ld items in '%s' have no field of %d or more tokens; "
			"contamination by those cannot be detected", short_items, items, o->against,
			DECONTAM_NGRAM);
	*reason = xstrfmt("contaminated:%s", o->against);
	return 0;
}

/*
 * One batch: the clean records up to last_id (0: all) against each other and
 * everything kept before, decided and written (or, in a dry run, printed)
 * inside the transaction the caller opened. Returns 0 or -1.
 */
static int dedupe_batch(const struct dedupe_opts *o, sqlite3 *db, int64_t last_id, struct dedupe_totals *t)
{
	struct dedupe_run d;
	struct string_list reasons = STRING_LIST_INIT;
	struct progress progress;
	uint32_t *best = NULL;
	double t0 = now_seconds(), t1, t2;
	clock_t c0 = clock();
	int rc = -1;

	memset(&d, 0, sizeof(d));
	lsh_params_for(&d.lsh, o->threshold);
	d.scheme = lsh_scheme(&d.lsh);
	d.across_languages = o->across_languages;
	d.last_id = last_id;
	d.db = db;
	if (dedupe_load(&d))
		goto out;
	t->c.fresh += (long)d.fresh;
	t1 = now_seconds();
	dedupe_link_exact(&d);
	if (dedupe_link_near(&d))
		goto out;
	if (o->rouge && (o->rouge_exact ? dedupe_link_rouge_exact : dedupe_link_rouge)(&d, o->rouge_threshold))
		goto out;
	best = decide_clusters(&d, &t->c);
	decide_conflicts(&d, o->conflicts, &reasons, &t->c);
	t2 = now_seconds();
	t->hash_s += t1 - t0;
	t->compare_s += t2 - t1;
	t->cpu_s += (double)(clock() - c0) / CLOCKS_PER_SEC;
	t->verified += d.verified;
	t->other_language += d.other_language;
	t->batches++;
	if (o->dry_run)
		print_plan(&d, best);
	else if (write_results(&d, &progress))
		goto out;
	t->write_s += now_seconds() - t2;
	rc = 0;
out:
	free(best);
	string_list_clear(&reasons);
	d.db = NULL;
	dedupe_run_release(&d);
	return rc;
}

/* The id that ends the next batch of up to n clean records, 0 when none are left, -1 on error. */
static int64_t next_batch_end(sqlite3 *db, long n)
{
	char *sql = xstrfmt("SELECT coalesce(max(id), 0) FROM (SELECT id FROM records WHERE stage = 'clean' "
			    "ORDER BY id LIMIT %ld)", n);
	int64_t last = corpus_int(db, sql);
	free(sql);
	return last;
}

/*
 * Batches of --batch clean records, each committed before the next starts,
 * so a killed run keeps what it finished and the next run carries on with
 * what is still clean (each batch is compared with every record kept
 * before, through the stored signatures). A dry run is one batch, rolled back.
 */
static int dedupe_batches(const struct dedupe_opts *o, sqlite3 *db, const struct ngram_set *eval,
			  const char *reason, struct dedupe_totals *t)
{
	int64_t last = 0, prev = 0;
	if (corpus_begin_write(db))
		return EXIT_TEMPFAIL;
	if (eval && decontaminate(db, eval, reason, &t->c, o->dry_run))
		goto failed;
	if (o->dry_run) {
		if (dedupe_batch(o, db, 0, t))
			goto failed;
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return EXIT_OK;
	}
	if (corpus_exec(db, "COMMIT"))
		goto failed;
	/* at least one batch, even with nothing clean: kept records may need new signatures */
	do {
		last = next_batch_end(db, o->batch);
		if (last < 0)
			return EXIT_FAILURE_;
		if (last && last == prev)
			return error("dedupe: records up to %lld are still clean after their batch", (long long)last),
			       EXIT_FAILURE_;
		if (corpus_begin_write(db))
			return EXIT_TEMPFAIL;
		if (dedupe_batch(o, db, last, t) || corpus_exec(db, "COMMIT"))
			goto failed;
		prev = last;
	} while (last > 0 && next_batch_end(db, 1) > 0);
	return EXIT_OK;
failed:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return EXIT_FAILURE_;
}

/* Deduplicates the corpus as o asks. Returns an exit code. */
static int dedupe_corpus(const struct dedupe_opts *o)
{
	struct dedupe_totals t;
	struct ngram_set *eval = NULL;
	struct run run;
	char *contaminated_reason = NULL;
	const struct dedupe_counts *c = &t.c;
	sqlite3 *db = corpus_open(corpus_path(), 0);
	int rc;

	if (!db)
		return EXIT_FAILURE_;
	memset(&t, 0, sizeof(t));
	run_begin(&run, db, "dedupe");
	if (o->against && (rc = load_against(o, &eval, &contaminated_reason))) {
		rc = run_end(&run, rc, "nothing changed: the evaluation set '%s' could not be read", o->against);
		goto out;
	}
	/* a batch touches many rows: keep its pages in memory instead of spilling them
	 * to the WAL again and again (SQLite allocates this only as needed) */
	corpus_exec(db, "PRAGMA cache_size = -262144");
	rc = dedupe_batches(o, db, eval, contaminated_reason, &t);
	count_run(&run, &t);
	if (rc == EXIT_TEMPFAIL)
		rc = run_end(&run, rc, "corpus busy after %ld committed batches; run dedupe again later to carry on",
			     t.batches);
	else if (rc != EXIT_OK)
		rc = run_end(&run, rc, "dedupe failed after %ld committed batches of %ld records; run it again "
			     "to carry on", t.batches, o->batch);
	else if (o->dry_run)
		rc = run_end(&run, EXIT_OK, "dry run, nothing changed: %ld hashed, would keep %ld, "
			     "%ld exact + %ld near + %ld similar-instruction duplicates, %ld conflicts, "
			     "%ld contaminated", c->fresh, c->unique, c->exact, c->near, c->similar,
			     c->conflicts, c->contaminated);
	else
		rc = run_end(&run, EXIT_OK, "%ld records hashed: %ld unique, %ld exact + %ld near + "
			     "%ld similar-instruction duplicates (%ld kept records replaced), %ld in conflict "
			     "(%ld rejected), %ld contaminated; %ld %s committed", c->fresh, c->unique, c->exact,
			     c->near, c->similar, c->demoted, c->conflicts, c->conflict_rejected, c->contaminated,
			     t.batches, t.batches == 1 ? "batch" : "batches");
out:
	free(contaminated_reason);
	ngram_set_free(eval);
	corpus_close(db);
	return rc;
}

int cmd_dedupe(int argc, char **argv)
{
	struct dedupe_opts o = { .threshold = 0.8, .rouge_threshold = 0.7, .conflicts = CONFLICT_KEEP,
				 .batch = 20000 };
	const char *conflicts = NULL;
	struct option opts[] = {
		OPT_DOUBLE('t', "threshold", &o.threshold, "J", 0.3, 1.0,
			   "Jaccard similarity of character 5-grams that makes a near duplicate (default 0.8)"),
		OPT_CHOICE(0, "conflicts", &conflicts, "keep|first|reject",
			   "same instruction, different output: keep and flag (default), keep the "
			   "oldest, or reject all"),
		OPT_FLAG(0, "rouge", &o.rouge, "also dedupe by instruction: character ROUGE-L above "
			 "--rouge-threshold is a duplicate"),
		OPT_DOUBLE(0, "rouge-threshold", &o.rouge_threshold, "R", 0.01, 1.0,
			   "ROUGE-L F-measure for --rouge (default 0.7, Self-Instruct's rule)"),
		OPT_FLAG(0, "rouge-exact", &o.rouge_exact, "with --rouge: compare every pair that could score above "
			 "the threshold instead of MinHash candidates (slow on large corpora; for checking)"),
		OPT_FLAG(0, "across-languages", &o.across_languages, "near copies in different languages "
			 "(records.lang) are duplicates too; by default a translation is not a copy"),
		OPT_STRING(0, "against", &o.against, "FILE",
			   "evaluation set (Alpaca JSON/JSONL): reject records sharing a 13-gram with it"),
		OPT_FLAG('n', "dry-run", &o.dry_run, "print the clusters (size and a sample) and change nothing"),
		OPT_INT(0, "batch", &o.batch, "N", 1, 1e9, "clean records per committed batch (default 20000); "
			"a killed run keeps the batches it finished"),
		OPT_END(),
	};

	argc = parse_options(argc, argv, opts, &dedupe_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&dedupe_help, "dedupe takes no arguments, only options (got '%s')", argv[0]);
	if (parse_policy(conflicts, &o.conflicts))
		return usage_error(&dedupe_help, "option '--conflicts' takes keep, first or reject");
	o.rouge |= o.rouge_exact;
	return dedupe_corpus(&o);
}
