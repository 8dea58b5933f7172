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

static int sync_one(sqlite3 *db, const struct fts_table *t)
{
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
		if (corpus_exec(db, "BEGIN IMMEDIATE") ||
		    exec_fmt(db, xstrfmt("INSERT INTO %s_fts(%s_fts, rowid, %s) "
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
		if (corpus_exec(db, "BEGIN IMMEDIATE") ||
		    exec_fmt(db, xstrfmt("INSERT INTO %s_fts(rowid, %s) SELECT id, %s FROM %s "
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

int fts_sync(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof(fts_tables) / sizeof(fts_tables[0]); i++)
		if (sync_one(db, &fts_tables[i]))
			return error("cannot update the search index");
	return 0;
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

int cmd_search(int argc, char **argv)
{
	const char *stage = NULL, *format = NULL;
	long limit = 20;
	int documents = 0;
	struct option opts[] = {
		OPT_FLAG('d', "documents", &documents, "search crawled documents instead of records"),
		OPT_STRING(0, "stage", &stage, "STAGE", "only records at this stage"),
		OPT_INT('n', "limit", &limit, "N", 1, 1000000, "show at most N results (default 20)"),
		OPT_CHOICE(0, "format", &format, "table|tsv|json", "output format (default: table on a terminal, else tsv)"),
		OPT_END(),
	};
	struct string_list terms = STRING_LIST_INIT, fts_terms = STRING_LIST_INIT, like_terms = STRING_LIST_INIT;
	struct strbuf sql = STRBUF_INIT, match = STRBUF_INIT, line = STRBUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct run run;
	int rc = EXIT_OK, bind = 1, is_tty = isatty(1);
	long found = 0;

	argc = parse_options(argc, argv, opts, &search_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (!argc)
		return usage_error(&search_help, "say what to search for");
	if (stage && (documents || stage_from_name(stage) < 0))
		return usage_error(&search_help, documents ? "option '--stage' is for records, not documents"
							   : "option '--stage' does not know '%s'", stage);
	if (!format)
		format = is_tty ? "table" : "tsv";
	for (int i = 0; i < argc; i++)
		string_list_split(&terms, argv[i], ' ');
	for (size_t i = 0; i < terms.nr; i++)
		string_list_append(char_count(terms.items[i]) >= 3 ? &fts_terms : &like_terms, terms.items[i]);
	if (!terms.nr)
		return usage_error(&search_help, "say what to search for");

	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "search");
	if (fts_sync(db)) {
		rc = run_end(&run, EXIT_FAILURE_, "search index could not be updated");
		goto out;
	}

	const char *t = documents ? "documents" : "records";
	const char *cols = documents ? "d.title, d.text" : "r.instruction, r.input, r.output";
	int ncols = documents ? 2 : 3;
	const char *open = !strcmp(format, "table") && is_tty ? "\033[1;33m" : "[";
	const char *close = !strcmp(format, "table") && is_tty ? "\033[0m" : "]";
	const char *alias = documents ? "d" : "r";

	strbuf_addf(&sql, "SELECT %s.id, %s, coalesce(s.name, ''), ", alias,
		    documents ? "coalesce(d.url, '')" : "r.stage");
	if (fts_terms.nr)
		strbuf_addf(&sql, "snippet(%s_fts, -1, ?1, ?2, '…', 24), ", t);
	else
		strbuf_addstr(&sql, "NULL, ");
	strbuf_addf(&sql, "%s FROM ", cols);
	if (fts_terms.nr)
		strbuf_addf(&sql, "%s_fts JOIN %s %s ON %s.id = %s_fts.rowid ", t, t, alias, alias, t);
	else
		strbuf_addf(&sql, "%s %s ", t, alias);
	strbuf_addf(&sql, "LEFT JOIN sources s ON s.id = %s.source_id WHERE 1", alias);
	bind = 3;
	if (fts_terms.nr) {
		for (size_t i = 0; i < fts_terms.nr; i++) {
			strbuf_addstr(&match, i ? " AND \"" : "\"");
			for (const char *p = fts_terms.items[i]; *p; p++) {
				if (*p == '"')
					strbuf_addch(&match, '"');
				strbuf_addch(&match, *p);
			}
			strbuf_addch(&match, '"');
		}
		strbuf_addf(&sql, " AND %s_fts MATCH ?%d", t, bind++);
	}
	for (size_t i = 0; i < like_terms.nr; i++) {
		strbuf_addstr(&sql, " AND (");
		for (int c = 0; c < ncols; c++)
			strbuf_addf(&sql, "%sinstr(lower(%s.%s), lower(?%d))", c ? " OR " : "", alias,
				    documents ? (c ? "text" : "title") : (c == 0 ? "instruction" : c == 1 ? "input" : "output"),
				    bind);
		strbuf_addch(&sql, ')');
		bind++;
	}
	if (stage)
		strbuf_addf(&sql, " AND r.stage = ?%d", bind++);
	strbuf_addf(&sql, " ORDER BY %s LIMIT ?%d", fts_terms.nr ? "rank" : "1", bind);

	st = corpus_prepare(db, sql.buf);
	if (!st) {
		rc = run_end(&run, EXIT_FAILURE_, "search failed");
		goto out;
	}
	bind = 1;
	sqlite3_bind_text(st, bind++, open, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, bind++, close, -1, SQLITE_STATIC);
	if (fts_terms.nr)
		sqlite3_bind_text(st, bind++, match.buf, -1, SQLITE_STATIC);
	for (size_t i = 0; i < like_terms.nr; i++)
		sqlite3_bind_text(st, bind++, like_terms.items[i], -1, SQLITE_STATIC);
	if (stage)
		sqlite3_bind_text(st, bind++, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, bind, limit);

	if (!strcmp(format, "table"))
		printf("%-7s %-9s %-14s %s\n", "id", documents ? "url" : "stage", "source", "match");
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct strbuf snip = STRBUF_INIT;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			strbuf_addstr(&snip, (const char *)sqlite3_column_text(st, 3));
		else
			like_snippet(&snip, st, 4, ncols, like_terms.items[0], open, close);
		strbuf_reset(&line);
		const char *c1 = (const char *)sqlite3_column_text(st, 1);
		const char *c2 = (const char *)sqlite3_column_text(st, 2);
		if (!strcmp(format, "json")) {
			strbuf_addf(&line, "{\"id\":%lld,\"%s\":", (long long)sqlite3_column_int64(st, 0),
				    documents ? "url" : "stage");
			json_write_string(&line, c1, strlen(c1));
			strbuf_addstr(&line, ",\"source\":");
			json_write_string(&line, c2, strlen(c2));
			strbuf_addstr(&line, ",\"snippet\":");
			json_write_string(&line, snip.buf, snip.len);
			strbuf_addch(&line, '}');
		} else if (!strcmp(format, "table")) {
			strbuf_addf(&line, "%-7lld ", (long long)sqlite3_column_int64(st, 0));
			size_t w = text_fit(&line, c1, strlen(c1), 9);
			strbuf_addf(&line, "%*s ", (int)(9 - w), "");
			w = text_fit(&line, c2, strlen(c2), 14);
			strbuf_addf(&line, "%*s ", (int)(14 - w), "");
			/* escape sequences must not be cut, so the snippet is only flattened */
			for (size_t k = 0; k < snip.len; k++)
				strbuf_addch(&line, snip.buf[k] == '\n' || snip.buf[k] == '\t' ? ' ' : snip.buf[k]);
		} else {
			strbuf_addf(&line, "%lld\t%s\t%s\t", (long long)sqlite3_column_int64(st, 0), c1, c2);
			for (size_t k = 0; k < snip.len; k++)
				strbuf_addch(&line, snip.buf[k] == '\n' || snip.buf[k] == '\t' ? ' ' : snip.buf[k]);
		}
		puts(line.buf);
		strbuf_release(&snip);
		found++;
	}
	run_count(&run, "found", found);
	if (step != SQLITE_DONE) {
		error("search failed: %s", sqlite3_errmsg(db));
		rc = run_end(&run, EXIT_FAILURE_, "search failed");
	} else {
		rc = run_end(&run, EXIT_OK, "%ld %s%s found%s", found, documents ? "document" : "record",
			     found == 1 ? "" : "s",
			     found == limit ? " (limit reached; --limit shows more)" : "");
	}
out:
	sqlite3_finalize(st);
	corpus_close(db);
	strbuf_release(&sql);
	strbuf_release(&match);
	strbuf_release(&line);
	string_list_clear(&terms);
	string_list_clear(&fts_terms);
	string_list_clear(&like_terms);
	return rc;
}
