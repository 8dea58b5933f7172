/*
 * sql.c - looking inside the corpus: `winnow sql` runs the user's SQL
 * (read-only unless --write) and prints a table, TSV, CSV or JSON;
 * `winnow stats` summarises records by stage, origin, source, task and
 * length.
 */
#include "corpus.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum sql_format { FORMAT_TABLE, FORMAT_TSV, FORMAT_CSV, FORMAT_JSON };

#define TABLE_CELL_MAX 60	/* columns; longer cells are cut in table output */

struct table {
	int ncols;
	char **names;
	struct strbuf *cells;	/* rows * ncols, text as it will print */
	size_t nrows, alloc;
	size_t *widths;
};

static void cell_text(struct strbuf *out, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		break;
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(st, c);
		int n = sqlite3_column_bytes(st, c);
		strbuf_addstr(out, "x'");
		for (int i = 0; i < n; i++)
			strbuf_addf(out, "%02x", b[i]);
		strbuf_addch(out, '\'');
		break;
	}
	default:
		strbuf_add(out, sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c));
	}
}

static void print_escaped_tsv(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\t': fputs("\\t", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		default: putchar(s[i]);
		}
	}
}

static void print_csv_field(const char *s, size_t n)
{
	if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n)) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

static void table_print(struct table *t)
{
	struct strbuf line = STRBUF_INIT;
	for (int pass = 0; pass < 2; pass++) {
		/* header, then a rule */
		strbuf_reset(&line);
		for (int c = 0; c < t->ncols; c++) {
			if (pass == 0) {
				size_t w = text_fit(&line, t->names[c], strlen(t->names[c]), t->widths[c]);
				if (c + 1 < t->ncols)
					strbuf_addf(&line, "%*s  ", (int)(t->widths[c] - w), "");
			} else {
				for (size_t k = 0; k < t->widths[c]; k++)
					strbuf_addch(&line, '-');
				if (c + 1 < t->ncols)
					strbuf_addstr(&line, "  ");
			}
		}
		puts(line.buf);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		strbuf_reset(&line);
		for (int c = 0; c < t->ncols; c++) {
			struct strbuf *cell = &t->cells[r * (size_t)t->ncols + (size_t)c];
			size_t w = text_fit(&line, cell->buf, cell->len, t->widths[c]);
			if (c + 1 < t->ncols)
				strbuf_addf(&line, "%*s  ", (int)(t->widths[c] - w), "");
		}
		puts(line.buf);
	}
	strbuf_release(&line);
}

/* Appends the current row of st as one JSON object. */
static void json_row(struct strbuf *out, sqlite3_stmt *st, int ncols)
{
	strbuf_addch(out, '{');
	for (int c = 0; c < ncols; c++) {
		const char *name = sqlite3_column_name(st, c);
		if (c)
			strbuf_addch(out, ',');
		json_write_string(out, name, strlen(name));
		strbuf_addch(out, ':');
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL:
			strbuf_addstr(out, "null");
			break;
		case SQLITE_INTEGER:
			strbuf_addstr(out, (const char *)sqlite3_column_text(st, c));
			break;
		case SQLITE_FLOAT:
			/* JSON has no infinity or NaN */
			if (isfinite(sqlite3_column_double(st, c)))
				strbuf_addstr(out, (const char *)sqlite3_column_text(st, c));
			else
				strbuf_addstr(out, "null");
			break;
		default: {
			struct strbuf v = STRBUF_INIT, valid = STRBUF_INIT;
			cell_text(&v, st, c);
			text_append_valid(&valid, v.buf, v.len);
			json_write_string(out, valid.buf, valid.len);
			strbuf_release(&v);
			strbuf_release(&valid);
		}
		}
	}
	strbuf_addch(out, '}');
}

/* Prints one CSV or TSV line: the column names (header) or the current row. */
static void print_delimited(sqlite3_stmt *st, int ncols, enum sql_format format, int header,
			    struct strbuf *cell)
{
	for (int c = 0; c < ncols; c++) {
		strbuf_reset(cell);
		if (header)
			strbuf_addstr(cell, sqlite3_column_name(st, c));
		else
			cell_text(cell, st, c);
		if (c)
			putchar(format == FORMAT_CSV ? ',' : '\t');
		if (format == FORMAT_CSV)
			print_csv_field(cell->buf, cell->len);
		else
			print_escaped_tsv(cell->buf, cell->len);
	}
	putchar('\n');
}

static void table_begin(struct table *t, sqlite3_stmt *st, int ncols)
{
	t->ncols = ncols;
	t->names = xcalloc((size_t)ncols, sizeof(char *));
	t->widths = xcalloc((size_t)ncols, sizeof(size_t));
	for (int c = 0; c < ncols; c++) {
		t->names[c] = xstrdup(sqlite3_column_name(st, c));
		t->widths[c] = text_width(t->names[c], strlen(t->names[c]));
	}
}

static void table_add_row(struct table *t, sqlite3_stmt *st)
{
	size_t ncols = (size_t)t->ncols;
	if (t->nrows == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->cells = xrealloc(t->cells, t->alloc * ncols * sizeof(*t->cells));
	}
	for (size_t c = 0; c < ncols; c++) {
		struct strbuf *sb = &t->cells[t->nrows * ncols + c];
		strbuf_init(sb, 0);
		cell_text(sb, st, (int)c);
		size_t w = text_width(sb->buf, sb->len);
		if (w > TABLE_CELL_MAX)
			w = TABLE_CELL_MAX;
		if (w > t->widths[c])
			t->widths[c] = w;
	}
	t->nrows++;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		strbuf_release(&t->cells[i]);
	for (int c = 0; c < t->ncols; c++)
		free(t->names[c]);
	free(t->cells);
	free(t->names);
	free(t->widths);
}

/* Runs one statement and prints its rows; returns rows, or -1 on error. */
static long run_statement(sqlite3_stmt *st, enum sql_format format, int first_output)
{
	int ncols = sqlite3_column_count(st);
	struct table t = { 0 };
	struct strbuf cell = STRBUF_INIT;
	long rows = 0;
	int rc;

	if (format == FORMAT_TABLE && ncols) {
		table_begin(&t, st, ncols);
	} else if (ncols && format != FORMAT_JSON) {
		if (!first_output)
			putchar('\n');
		print_delimited(st, ncols, format, 1, &cell);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (format == FORMAT_TABLE) {
			table_add_row(&t, st);
		} else if (format == FORMAT_JSON) {
			strbuf_reset(&cell);
			json_row(&cell, st, ncols);
			puts(cell.buf);
		} else {
			print_delimited(st, ncols, format, 0, &cell);
		}
		rows++;
	}
	if (rc != SQLITE_DONE)
		rows = -1;
	if (format == FORMAT_TABLE && ncols && rows >= 0) {
		if (!first_output)
			putchar('\n');
		table_print(&t);
		printf("(%ld row%s)\n", rows, rows == 1 ? "" : "s");
	}
	table_release(&t);
	strbuf_release(&cell);
	return rows;
}

/* Read-only mode: ATTACH would create files, so it needs --write too. */
static int deny_attach(void *ctx, int action, const char *a, const char *b, const char *c,
		       const char *d)
{
	(void)ctx, (void)a, (void)b, (void)c, (void)d;
	return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

static const struct command_help sql_help = {
	"winnow sql [options] \"SQL; ...\"",
	"Run SQL on the corpus and print the results.",
	"The corpus is an ordinary SQLite database; `winnow schema` lists its tables.\n"
	"Statements are read-only unless --write is given. Output is an aligned table on\n"
	"a terminal and TSV otherwise (tabs and newlines in values escaped as \\t, \\n);\n"
	"--format json prints one JSON object per row.",
	"  winnow sql \"SELECT stage, count(*) FROM records GROUP BY stage\"\n"
	"  winnow sql --format csv \"SELECT id, instruction FROM records WHERE stage = 'rejected'\"\n"
	"  winnow sql --write \"UPDATE records SET stage = 'raw' WHERE stage = 'rejected' AND reason = 'too-short'\"",
};

int cmd_sql(int argc, char **argv)
{
	const char *format_name = NULL;
	int write = 0;
	struct option opts[] = {
		OPT_CHOICE('f', "format", &format_name, "table|tsv|csv|json",
			   "output format (default: table on a terminal, else tsv)"),
		OPT_FLAG('w', "write", &write, "allow statements that change the corpus"),
		OPT_END(),
	};
	enum sql_format format;
	sqlite3 *db;
	struct run run;
	const char *tail;
	long statements = 0, rows = 0, changed = 0;
	int rc = EXIT_OK;

	argc = parse_options(argc, argv, opts, &sql_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&sql_help, argc ? "put the SQL in one quoted argument" : "say which SQL to run");
	if (!format_name)
		format_name = isatty(1) ? "table" : "tsv";
	format = !strcmp(format_name, "table") ? FORMAT_TABLE : !strcmp(format_name, "csv") ? FORMAT_CSV
	       : !strcmp(format_name, "json") ? FORMAT_JSON : FORMAT_TSV;

	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	if (write)
		run_begin(&run, db, "sql");
	else
		run_begin_read(&run, db, "sql");
	if (!write) {
		corpus_exec(db, "PRAGMA query_only = 1");
		sqlite3_set_authorizer(db, deny_attach, NULL);
	} else {
		/* text edited by hand keeps its content hash true (this connection only) */
		corpus_exec(db, "CREATE TEMP TRIGGER records_rehash AFTER UPDATE OF instruction, input, "
				"output, system, history ON records BEGIN UPDATE records SET content_hash = "
				"winnow_content_hash(new.instruction, new.input, new.output, new.system, "
				"new.history) WHERE id = new.id; END");
	}
	tail = argv[0];
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		const char *next;
		if (sqlite3_prepare_v2(db, tail, -1, &st, &next) != SQLITE_OK) {
			error("SQL error: %s", sqlite3_errmsg(db));
			rc = EXIT_DATAERR;
			break;
		}
		tail = next;
		if (!st)
			continue;	/* whitespace or a comment */
		if (!write && !sqlite3_stmt_readonly(st)) {
			sqlite3_finalize(st);
			error("this statement would change the corpus; add --write if that is what you want");
			rc = EXIT_USAGE;
			break;
		}
		int returns_rows = sqlite3_column_count(st) > 0;
		long n = run_statement(st, format, statements == 0);
		sqlite3_finalize(st);
		if (n >= 0 && !returns_rows)
			changed += sqlite3_changes64(db);
		if (n < 0) {
			error("SQL error: %s", sqlite3_errmsg(db));
			rc = EXIT_DATAERR;
			break;
		}
		rows += n;
		statements++;
	}
	sqlite3_set_authorizer(db, NULL, NULL);
	sqlite3_exec(db, "PRAGMA query_only = 0", NULL, NULL, NULL);
	run_count(&run, "statements", statements);
	run_count(&run, "rows", rows);
	run_count(&run, "changed", changed);
	if (rc)
		rc = run_end(&run, rc, "stopped at an error after %ld statements", statements);
	else if (changed)
		rc = run_end(&run, rc, "%ld statements, %ld rows, %ld changed", statements, rows, changed);
	else
		rc = run_end(&run, rc, "%ld statements, %ld rows", statements, rows);
	corpus_close(db);
	return rc;
}

/* ---- stats ---- */

static void print_counts(sqlite3 *db, const char *title, const char *sql, int64_t total)
{
	sqlite3_stmt *st = corpus_prepare(db, sql);
	if (!st)
		return;
	int rows = 0;
	printf("\n%s\n", title);
	while (sqlite3_step(st) == SQLITE_ROW && ++rows) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);
		struct strbuf cell = STRBUF_INIT;
		size_t w = text_fit(&cell, name ? name : "(none)", strlen(name ? name : "(none)"), 24);
		printf("  %s%*s %9lld  %5.1f%%\n", cell.buf, (int)(24 - w), "", (long long)n,
		       total ? 100.0 * (double)n / (double)total : 0.0);
		strbuf_release(&cell);
	}
	if (!rows)
		printf("  (none)\n");
	sqlite3_finalize(st);
}

static const struct command_help stats_help = {
	"winnow stats",
	"Summarise the corpus: records by stage, origin, source and task, and their lengths.",
	"Lengths are in characters (a Chinese character counts as one) of instruction +\n"
	"input + output.",
	"  winnow stats\n  winnow --db forum.db stats",
};

int cmd_stats(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	sqlite3 *db;
	struct run run;
	argc = parse_options(argc, argv, opts, &stats_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&stats_help, "stats takes no arguments");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	run_begin_read(&run, db, "stats");

	int64_t total = corpus_int(db, "SELECT count(*) FROM records");
	int64_t docs = corpus_int(db, "SELECT count(*) FROM documents");
	printf("corpus %s: %lld records, %lld documents\n", corpus_path(), (long long)total, (long long)docs);
	print_counts(db, "by stage",
		     "WITH s(name, o) AS (VALUES ('raw',1),('clean',2),('unique',3),('approved',4),"
		     "('rejected',5),('duplicate',6)) SELECT s.name, (SELECT count(*) FROM records "
		     "WHERE stage = s.name) FROM s ORDER BY o", total);
	print_counts(db, "by origin", "SELECT origin, count(*) FROM records GROUP BY origin "
				      "ORDER BY count(*) DESC", total);
	print_counts(db, "by source (top 20)", "SELECT s.name, count(*) FROM records r LEFT JOIN sources s "
				     "ON s.id = r.source_id GROUP BY r.source_id ORDER BY count(*) DESC LIMIT 20", total);
	print_counts(db, "by task (top 20)", "SELECT t.name, count(*) FROM records r JOIN tasks t "
				   "ON t.id = r.task_id GROUP BY r.task_id ORDER BY count(*) DESC LIMIT 20", total);
	print_counts(db, "by rejection reason (top 20)", "SELECT reason, count(*) FROM records "
			       "WHERE stage = 'rejected' GROUP BY reason ORDER BY count(*) DESC LIMIT 20", total);
	print_counts(db, "length in characters (instruction + input + output)",
		     "WITH l(n) AS (SELECT length(instruction) + length(input) + length(output) FROM records), "
		     "b(name, lo, hi, o) AS (VALUES ('< 50',0,50,1),('50-199',50,200,2),('200-499',200,500,3),"
		     "('500-999',500,1000,4),('1000-1999',1000,2000,5),('2000-3999',2000,4000,6),"
		     "('>= 4000',4000,1e18,7)) SELECT b.name, (SELECT count(*) FROM l WHERE n >= b.lo AND "
		     "n < b.hi) FROM b ORDER BY o", total);
	if (total > 0) {
		sqlite3_stmt *st = corpus_prepare(db,
			"WITH l(n) AS (SELECT length(instruction) + length(input) + length(output) FROM records "
			"ORDER BY 1) SELECT min(n), (SELECT n FROM l LIMIT 1 OFFSET (SELECT count(*) / 2 FROM l)), "
			"(SELECT n FROM l LIMIT 1 OFFSET (SELECT count(*) * 9 / 10 FROM l)), max(n) FROM l");
		if (st && sqlite3_step(st) == SQLITE_ROW)
			printf("  min %lld, median %lld, p90 %lld, max %lld\n",
			       (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1),
			       (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3));
		sqlite3_finalize(st);
	}
	run_count(&run, "records", total);
	int rc = run_end(&run, EXIT_OK, "%lld records", (long long)total);
	corpus_close(db);
	return rc;
}
