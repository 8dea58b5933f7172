/*
 * search.c - full-text search over records and documents (`winnow search`)
 * and the lazy index behind it.
 *
 * Trigram indexing costs ~30x a plain insert, so imports do not index.
 * Instead fts_sync() catches the index up when someone searches: new rows
 * (id above fts_state.indexed_upto) are added in batches with a progress
 * bar, and rows changed or deleted after indexing (their old text waits in
 * fts_pending_*, put there by triggers) are removed and re-added.
 * Invariant: after fts_sync(), X_fts holds exactly the current text of
 * every row of X.
 */
#define _GNU_SOURCE
#include "corpus.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#define FTS_BATCH 5000
#define SYNC_BUDGET 0.25	/* seconds a search indexes before it scans instead */

struct fts_table {
	const char *name;	/* records or documents */
	const char *columns;	/* indexed columns, in FTS order */
};

static const struct fts_table fts_tables[] = {
	{ "records", "instruction, input, output" },
	{ "documents", "title, text" },
};

static int64_t count_sql(sqlite3 *db, const char *fmt, const char *name, int64_t arg)
{
	char *sql = xstrfmt(fmt, name, (long long)arg);
	int64_t n = corpus_int(db, sql);
	free(sql);
	return n;
}

static int exec_fmt(sqlite3 *db, char *sql)
{
	int rc = corpus_exec(db, sql);
	free(sql);
	return rc;
}

/* BEGIN IMMEDIATE: 0, 1 if nowait and a writer holds the corpus, -1 on error. */
static int begin_write(sqlite3 *db, int nowait)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	if (nowait && (rc & 0xff) == SQLITE_BUSY)
		return 1;
	return error("corpus: %s", sqlite3_errmsg(db));
}

/* Catches one index up. Returns 0, 1 if left behind (nowait and busy), -1 on error. */
static int sync_one(sqlite3 *db, const struct fts_table *t, int nowait)
{
	int busy;
	double give_up_at = now_seconds() + SYNC_BUDGET;
	const char *n = t->name, *c = t->columns;
	int64_t upto = count_sql(db, "SELECT indexed_upto FROM fts_state WHERE name = '%s' -- %lld", n, 0);
	int64_t pending = count_sql(db, "SELECT count(*) FROM fts_pending_%s -- %lld", n, 0);
	int64_t fresh = count_sql(db, "SELECT count(*) FROM %s WHERE id > %lld", n, upto);
	struct progress progress;
	uint64_t done = 0;
	char title[64];

	if (upto < 0 || pending < 0 || fresh < 0)
		return -1;
	if (!pending && !fresh)
		return 0;
	snprintf(title, sizeof(title), "indexing %s for search", n);
	progress_start(&progress, title, (uint64_t)(pending + fresh), n);
	if (pending) {
		if ((busy = begin_write(db, nowait))) {
			progress_finish(&progress);
			return busy;
		}
		if (exec_fmt(db, xstrfmt("INSERT INTO %s_fts(%s_fts, rowid, %s) "
					 "SELECT 'delete', id, %s FROM fts_pending_%s", n, n, c, c, n)) ||
		    exec_fmt(db, xstrfmt("INSERT INTO %s_fts(rowid, %s) SELECT id, %s FROM %s "
					 "WHERE id IN (SELECT id FROM fts_pending_%s)", n, c, c, n, n)) ||
		    exec_fmt(db, xstrfmt("DELETE FROM fts_pending_%s", n)) ||
		    corpus_exec(db, "COMMIT")) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		done += (uint64_t)pending;
		progress_update(&progress, done);
	}
	while (fresh > 0) {
		int64_t next = count_sql(db, "SELECT max(id) FROM (SELECT id FROM %s WHERE id > %lld "
					 "ORDER BY id LIMIT " "5000" ")", n, upto);
		if (next <= upto)
			break;
		/* a reader spends at most a moment indexing; the rest is scanned this time */
		if (nowait && now_seconds() > give_up_at) {
			progress_finish(&progress);
			return 1;
		}
		if ((busy = begin_write(db, nowait))) {
			progress_finish(&progress);
			return busy;
		}
		if (exec_fmt(db, xstrfmt("INSERT INTO %s_fts(rowid, %s) SELECT id, %s FROM %s "
					 "WHERE id > %lld AND id <= %lld", n, c, c, n,
					 (long long)upto, (long long)next)) ||
		    exec_fmt(db, xstrfmt("UPDATE fts_state SET indexed_upto = %lld WHERE name = '%s'",
					 (long long)next, n)) ||
		    corpus_exec(db, "COMMIT")) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			progress_finish(&progress);
			return -1;
		}
		done += FTS_BATCH;
		fresh -= FTS_BATCH;
		upto = next;
		progress_update(&progress, done);
	}
	progress.done = (uint64_t)progress.total;
	progress_finish(&progress);
	return 0;
}

int fts_sync(sqlite3 *db, int nowait)
{
	int rc = 0;
	if (nowait)
		sqlite3_busy_timeout(db, 0);
	for (size_t i = 0; !rc && i < sizeof(fts_tables) / sizeof(fts_tables[0]); i++)
		rc = sync_one(db, &fts_tables[i], nowait);
	if (nowait)
		sqlite3_busy_timeout(db, 10000);
	return rc < 0 ? error("cannot update the search index") : rc;
}

/* Characters (not bytes) in a UTF-8 string. */
static size_t char_count(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/*
 * Snippet for a match found without the index (terms under three
 * characters): the first field holding the term, ~30 characters around it.
 */
static void like_snippet(struct strbuf *out, sqlite3_stmt *st, int first_col, int ncols,
			 const char *term, const char *open, const char *close)
{
	for (int c = first_col; c < first_col + ncols; c++) {
		const char *text = (const char *)sqlite3_column_text(st, c);
		const char *hit = text ? strcasestr(text, term) : NULL;
		if (!hit)
			continue;
		const char *b = hit;
		for (int k = 0; k < 30 && b > text; k++)
			do
				b--;
			while (b > text && ((unsigned char)*b & 0xC0) == 0x80);
		const char *e = hit + strlen(term);
		for (int k = 0; k < 30 && *e; k++)
			do
				e++;
			while (*e && ((unsigned char)*e & 0xC0) == 0x80);
		if (b > text)
			strbuf_addstr(out, "…");
		strbuf_add(out, b, (size_t)(hit - b));
		strbuf_addstr(out, open);
		strbuf_add(out, hit, strlen(term));
		strbuf_addstr(out, close);
		strbuf_add(out, hit + strlen(term), (size_t)(e - hit - (long)strlen(term)));
		if (*e)
			strbuf_addstr(out, "…");
		return;
	}
}

static const struct command_help search_help = {
	"winnow search [options] TEXT...",
	"Find records (or documents) containing the given text; Chinese substrings work.",
	"Each word is matched as a substring anywhere in instruction, input or output\n"
	"(title or text with --documents); all words must match. Words of three or more\n"
	"characters use the full-text index, which is brought up to date first (the first\n"
	"search after a large import indexes it, with a progress bar); shorter words are\n"
	"matched by scanning. Best matches come first.",
	"  winnow search 季度会发财\n"
	"  winnow search --stage rejected \"lorem ipsum\"\n"
	"  winnow search --documents 退货 流程 --limit 5",
};

/* What a search asks for, from the command line. */
struct search_opts {
	const char *stage, *format;
	long limit;
	int documents;
	struct string_list terms;	/* every word, bound as ?10, ?11, ... */
	int nfts;			/* words of 3+ characters (matched through the index) */
	const char *mark_open, *mark_close;	/* around matches in snippets */
};

#define PARAM_OPEN 1
#define PARAM_CLOSE 2
#define PARAM_MATCH 3
#define PARAM_STAGE 4
#define PARAM_LIMIT 5
#define PARAM_UPTO 6
#define PARAM_TERM0 10

static int is_fts_term(const char *term)
{
	return char_count(term) >= 3;
}

/* " AND (instr(lower(col), lower(?N)) OR ...)" for word i, over the searched columns. */
static void add_scan_filter(struct strbuf *sql, const struct search_opts *o, size_t i)
{
	static const char *const record_cols[] = { "instruction", "input", "output" };
	static const char *const document_cols[] = { "title", "text" };
	const char *const *cols = o->documents ? document_cols : record_cols;
	int ncols = o->documents ? 2 : 3;
	strbuf_addstr(sql, " AND (");
	for (int c = 0; c < ncols; c++)
		strbuf_addf(sql, "%sinstr(lower(%s.%s), lower(?%zu))", c ? " OR " : "",
			    o->documents ? "d" : "r", cols[c], PARAM_TERM0 + i);
	strbuf_addch(sql, ')');
}

/* SELECT id, stage|url, source, snippet|NULL, searched columns FROM ... WHERE 1 */
static void add_select(struct strbuf *sql, const struct search_opts *o, int through_index)
{
	const char *t = o->documents ? "documents" : "records", *a = o->documents ? "d" : "r";
	strbuf_addf(sql, "SELECT %s.id, %s, coalesce(s.name, ''), ", a,
		    o->documents ? "coalesce(d.url, '')" : "r.stage");
	if (through_index)
		strbuf_addf(sql, "snippet(%s_fts, -1, ?%d, ?%d, '…', 24), ", t, PARAM_OPEN, PARAM_CLOSE);
	else
		strbuf_addstr(sql, "NULL, ");
	strbuf_addstr(sql, o->documents ? "d.title, d.text FROM " : "r.instruction, r.input, r.output FROM ");
	if (through_index)
		strbuf_addf(sql, "%s_fts JOIN %s %s ON %s.id = %s_fts.rowid ", t, t, a, a, t);
	else
		strbuf_addf(sql, "%s %s ", t, a);
	strbuf_addf(sql, "LEFT JOIN sources s ON s.id = %s.source_id WHERE 1", a);
	if (o->stage)
		strbuf_addf(sql, " AND r.stage = ?%d", PARAM_STAGE);
}

/*
 * The query. With words for the index, rows the index covers are matched
 * through it; when the index could not be brought up to date (a writer
 * holds the corpus), rows past it (id > ?UPTO) and rows changed since
 * indexing (fts_pending_*) are scanned instead, so nothing is missed.
 */
static void build_query(struct strbuf *sql, const struct search_opts *o, int index_stale)
{
	const char *t = o->documents ? "documents" : "records", *a = o->documents ? "d" : "r";
	if (!o->nfts) {
		add_select(sql, o, 0);
		for (size_t i = 0; i < o->terms.nr; i++)
			add_scan_filter(sql, o, i);
		strbuf_addf(sql, " LIMIT ?%d", PARAM_LIMIT);
		return;
	}
	if (index_stale)
		strbuf_addstr(sql, "SELECT * FROM (");
	add_select(sql, o, 1);
	strbuf_addf(sql, " AND %s_fts MATCH ?%d", t, PARAM_MATCH);
	for (size_t i = 0; i < o->terms.nr; i++)
		if (!is_fts_term(o->terms.items[i]))
			add_scan_filter(sql, o, i);
	if (index_stale)
		strbuf_addf(sql, " AND %s.id <= ?%d AND %s.id NOT IN (SELECT id FROM fts_pending_%s)",
			    a, PARAM_UPTO, a, t);
	strbuf_addf(sql, " ORDER BY rank LIMIT ?%d", PARAM_LIMIT);
	if (!index_stale)
		return;
	strbuf_addstr(sql, ") UNION ALL SELECT * FROM (");
	add_select(sql, o, 0);
	strbuf_addf(sql, " AND (%s.id > ?%d OR %s.id IN (SELECT id FROM fts_pending_%s))", a, PARAM_UPTO, a, t);
	for (size_t i = 0; i < o->terms.nr; i++)
		add_scan_filter(sql, o, i);
	strbuf_addf(sql, " LIMIT ?%d) LIMIT ?%d", PARAM_LIMIT, PARAM_LIMIT);
}

static void bind_query(sqlite3_stmt *st, const struct search_opts *o, sqlite3 *db)
{
	struct strbuf match = STRBUF_INIT;
	for (size_t i = 0, n = 0; i < o->terms.nr; i++) {
		if (!is_fts_term(o->terms.items[i]))
			continue;
		strbuf_addstr(&match, n++ ? " AND \"" : "\"");
		for (const char *p = o->terms.items[i]; *p; p++) {
			if (*p == '"')
				strbuf_addch(&match, '"');
			strbuf_addch(&match, *p);
		}
		strbuf_addch(&match, '"');
	}
	sqlite3_bind_text(st, PARAM_OPEN, o->mark_open, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, PARAM_CLOSE, o->mark_close, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, PARAM_MATCH, match.buf, -1, SQLITE_TRANSIENT);
	if (o->stage)
		sqlite3_bind_text(st, PARAM_STAGE, o->stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, PARAM_LIMIT, o->limit);
	char *upto = xstrfmt("SELECT indexed_upto FROM fts_state WHERE name = '%s'",
			     o->documents ? "documents" : "records");
	sqlite3_bind_int64(st, PARAM_UPTO, corpus_int(db, upto));
	free(upto);
	for (size_t i = 0; i < o->terms.nr; i++)
		sqlite3_bind_text(st, (int)(PARAM_TERM0 + i), o->terms.items[i], -1, SQLITE_STATIC);
	strbuf_release(&match);
}

/* One result line in the chosen format, into line. */
static void format_row(struct strbuf *line, sqlite3_stmt *st, const struct search_opts *o)
{
	struct strbuf snip = STRBUF_INIT;
	const char *c1 = (const char *)sqlite3_column_text(st, 1);
	const char *c2 = (const char *)sqlite3_column_text(st, 2);
	const char *like_term = o->terms.items[0];
	for (size_t i = 0; i < o->terms.nr; i++)
		if (!is_fts_term(o->terms.items[i])) {
			like_term = o->terms.items[i];
			break;
		}
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		strbuf_addstr(&snip, (const char *)sqlite3_column_text(st, 3));
	else
		like_snippet(&snip, st, 4, o->documents ? 2 : 3, like_term, o->mark_open, o->mark_close);
	strbuf_reset(line);
	if (!strcmp(o->format, "json")) {
		strbuf_addf(line, "{\"id\":%lld,\"%s\":", (long long)sqlite3_column_int64(st, 0),
			    o->documents ? "url" : "stage");
		json_write_string(line, c1, strlen(c1));
		strbuf_addstr(line, ",\"source\":");
		json_write_string(line, c2, strlen(c2));
		strbuf_addstr(line, ",\"snippet\":");
		json_write_string(line, snip.buf, snip.len);
		strbuf_addch(line, '}');
	} else {
		if (!strcmp(o->format, "table")) {
			strbuf_addf(line, "%-7lld ", (long long)sqlite3_column_int64(st, 0));
			size_t w = text_fit(line, c1, strlen(c1), 9);
			strbuf_addf(line, "%*s ", (int)(9 - w), "");
			w = text_fit(line, c2, strlen(c2), 14);
			strbuf_addf(line, "%*s ", (int)(14 - w), "");
		} else {
			strbuf_addf(line, "%lld\t%s\t%s\t", (long long)sqlite3_column_int64(st, 0), c1, c2);
		}
		/* escape sequences must not be cut, so the snippet is only flattened */
		for (size_t k = 0; k < snip.len; k++)
			strbuf_addch(line, snip.buf[k] == '\n' || snip.buf[k] == '\t' ? ' ' : snip.buf[k]);
	}
	strbuf_release(&snip);
}

/* Parses the command line into o. Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int parse_search_options(int argc, char **argv, struct search_opts *o)
{
	int is_tty = isatty(1);
	struct option opts[] = {
		OPT_FLAG('d', "documents", &o->documents, "search crawled documents instead of records"),
		OPT_STRING(0, "stage", &o->stage, "STAGE", "only records at this stage"),
		OPT_INT('n', "limit", &o->limit, "N", 1, 1000000, "show at most N results (default 20)"),
		OPT_CHOICE(0, "format", &o->format, "table|tsv|json", "output format (default: table on a terminal, else tsv)"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &search_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (o->stage && (o->documents || stage_from_name(o->stage) < 0))
		return usage_error(&search_help, o->documents ? "option '--stage' is for records, not documents"
							      : "option '--stage' does not know '%s'", o->stage);
	if (!o->format)
		o->format = is_tty ? "table" : "tsv";
	o->mark_open = !strcmp(o->format, "table") && is_tty ? "\033[1;33m" : "[";
	o->mark_close = !strcmp(o->format, "table") && is_tty ? "\033[0m" : "]";
	for (int i = 0; i < argc; i++)
		string_list_split(&o->terms, argv[i], ' ');
	if (!o->terms.nr)
		return usage_error(&search_help, "say what to search for");
	for (size_t i = 0; i < o->terms.nr; i++)
		o->nfts += is_fts_term(o->terms.items[i]);
	return OPTIONS_GO_ON;
}

int cmd_search(int argc, char **argv)
{
	struct search_opts o = { .limit = 20, .terms = STRING_LIST_INIT };
	struct strbuf sql = STRBUF_INIT, line = STRBUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct run run;
	int rc, stale, step;
	long found = 0;

	rc = parse_search_options(argc, argv, &o);
	if (rc != OPTIONS_GO_ON)
		goto out;
	db = corpus_open(corpus_path(), 0);
	if (!db) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	run_begin_read(&run, db, "search");
	stale = fts_sync(db, 1);
	if (stale < 0) {
		rc = run_end(&run, EXIT_FAILURE_, "search index could not be updated");
		goto out;
	}
	build_query(&sql, &o, stale);
	st = corpus_prepare(db, sql.buf);
	if (!st) {
		rc = run_end(&run, EXIT_FAILURE_, "search failed");
		goto out;
	}
	bind_query(st, &o, db);
	if (!strcmp(o.format, "table"))
		printf("%-7s %-9s %-14s %s\n", "id", o.documents ? "url" : "stage", "source", "match");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		format_row(&line, st, &o);
		puts(line.buf);
		found++;
	}
	run_count(&run, "found", found);
	if (stale)
		run_count(&run, "index_behind", 1);
	if (step != SQLITE_DONE) {
		error("search failed: %s", sqlite3_errmsg(db));
		rc = run_end(&run, EXIT_FAILURE_, "search failed");
	} else {
		rc = run_end(&run, EXIT_OK, "%ld %s%s found%s%s", found, o.documents ? "document" : "record",
			     found == 1 ? "" : "s", found == o.limit ? " (limit reached; --limit shows more)" : "",
			     stale ? " (a writer holds the corpus: newest rows scanned, not indexed)" : "");
	}
out:
	sqlite3_finalize(st);
	corpus_close(db);
	strbuf_release(&sql);
	strbuf_release(&line);
	string_list_clear(&o.terms);
	return rc;
}
