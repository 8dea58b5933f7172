/*
 * export.c - `winnow export`: records out as Alpaca JSON (what LLaMA-Factory
 * reads as-is), JSON Lines or ShareGPT, with dataset_info.json beside them
 * and optional deterministic, stratified train/val/test splits.
 *
 * Files are written to a temporary name and renamed into place, so a
 * reader never sees half a file and a failed export leaves the old one.
 * Records stream from SQLite to the file; only the split assignment (three
 * integers per record) is held in memory.
 */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SPLITS 8

enum export_format { EXPORT_ALPACA, EXPORT_JSONL, EXPORT_SHAREGPT };

struct split {
	char *name;
	double fraction;
};

struct out_file {
	char *path, *tmp;
	FILE *fp;
	long count;
	/* keys some item of the file has: dataset_info.json declares only those,
	 * since LLaMA-Factory reads every declared column of every row */
	int has_system, has_history;
};

struct exporter {
	enum export_format format;
	int pretty;
	struct out_file files[MAX_SPLITS];
	int nfiles;
	struct strbuf line;
	int line_system, line_history;	/* the formatted line has these keys */
};

/* ---- splits ---- */

static int parse_splits(const char *spec, struct split *splits, int *n,
			const struct command_help *help)
{
	struct string_list parts = STRING_LIST_INIT;
	double sum = 0;
	int rc = 0;
	string_list_split(&parts, spec, ',');
	*n = 0;
	for (size_t i = 0; i < parts.nr && !rc; i++) {
		char *eq = strchr(parts.items[i], '=');
		double f;
		if (!eq || eq == parts.items[i] || parse_double(eq + 1, 0, 1, &f) ||
		    strspn(parts.items[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			    (size_t)(eq - parts.items[i])) {
			rc = usage_error(help, "option '--split' takes NAME=FRACTION pairs like "
					 "train=0.9,val=0.05,test=0.05; not '%s'", parts.items[i]);
			break;
		}
		if (*n == MAX_SPLITS) {
			rc = usage_error(help, "option '--split' allows at most %d splits", MAX_SPLITS);
			break;
		}
		for (int j = 0; j < *n; j++)
			if ((size_t)(eq - parts.items[i]) == strlen(splits[j].name) &&
			    !strncmp(splits[j].name, parts.items[i], strlen(splits[j].name)))
				rc = usage_error(help, "option '--split' names '%s' twice", splits[j].name);
		splits[*n].name = xstrndup(parts.items[i], (size_t)(eq - parts.items[i]));
		splits[(*n)++].fraction = f;
		sum += f;
	}
	if (!rc && (*n == 0 || fabs(sum - 1.0) > 1e-6))
		rc = usage_error(help, "the fractions of '--split' must add up to 1 (they add up to %g)", sum);
	string_list_clear(&parts);
	if (rc) {
		for (int j = 0; j < *n; j++)
			free(splits[j].name);
		*n = 0;
	}
	return rc ? -1 : 0;
}

struct assignment {
	int64_t id;
	uint64_t stratum, key;
	int split;
};

static int by_stratum_key(const void *a, const void *b)
{
	const struct assignment *x = a, *y = b;
	if (x->stratum != y->stratum)
		return x->stratum < y->stratum ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_id(const void *a, const void *b)
{
	const struct assignment *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Assigns each selected record to a split. Records are ordered by stratum
 * (source, task) and, within it, by a hash of their content and the seed;
 * then, walking that order, each record goes to the split furthest behind
 * its share. Every split ends within one record of its exact share, every
 * stratum is spread across the splits in proportion, and the result depends
 * only on the records and the seed.
 */
static struct assignment *assign_splits(sqlite3_stmt *select, const struct split *splits, int n,
					uint64_t seed, size_t *count)
{
	size_t nr = 0, alloc = 1024;
	struct assignment *a = xmalloc(alloc * sizeof(*a));
	long counts[MAX_SPLITS] = { 0 };
	int rc;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		if (nr == alloc) {
			alloc *= 2;
			a = xrealloc(a, alloc * sizeof(*a));
		}
		uint64_t ids[2] = { (uint64_t)sqlite3_column_int64(select, 2),
				    (uint64_t)sqlite3_column_int64(select, 3) };
		uint64_t h = (uint64_t)sqlite3_column_int64(select, 1);
		a[nr].id = sqlite3_column_int64(select, 0);
		a[nr].stratum = hash64(ids, sizeof(ids), seed);
		a[nr].key = hash64(&h, sizeof(h), seed);
		nr++;
	}
	if (rc != SQLITE_DONE) {
		free(a);
		return NULL;
	}
	qsort(a, nr, sizeof(*a), by_stratum_key);
	for (size_t p = 0; p < nr; p++) {
		int best = 0;
		double best_deficit = -1e300;
		for (int i = 0; i < n; i++) {
			double deficit = splits[i].fraction * (double)(p + 1) - (double)counts[i];
			if (deficit > best_deficit + 1e-9) {
				best_deficit = deficit;
				best = i;
			}
		}
		a[p].split = best;
		counts[best]++;
	}
	qsort(a, nr, sizeof(*a), by_id);
	*count = nr;
	return a;
}

/* ---- writing ---- */

static int out_open(struct out_file *f, const char *path)
{
	if (!strcmp(path, "-")) {	/* standard output: no temporary file, nothing to rename */
		f->path = xstrdup("standard output");
		f->tmp = NULL;
		f->count = 0;
		f->fp = stdout;
		return 0;
	}
	int stale = remove_stale_temps(path);
	if (stale)
		warning("removed %d temporary file%s beside '%s' left by an export that was killed",
			stale, stale == 1 ? "" : "s", path);
	f->path = xstrdup(path);
	f->tmp = xstrfmt("%s.tmp-%ld", path, (long)getpid());
	f->count = 0;
	if (make_parent_dirs(path))
		return -1;
	f->fp = fopen(f->tmp, "wb");
	if (!f->fp)
		return error("cannot write '%s': %s", f->tmp, strerror(errno));
	setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
	return 0;
}

/* Finishes the file and renames it into place; on failure removes it. */
static int out_close(struct out_file *f, int ok)
{
	int rc = 0;
	if (f->fp == stdout) {
		if (fflush(stdout))
			rc = ok ? error("cannot write to standard output: %s", strerror(errno)) : -1;
		f->fp = NULL;
	} else if (f->fp) {
		if (fflush(f->fp) || fsync(fileno(f->fp)))
			rc = ok ? error("cannot write '%s': %s", f->path, strerror(errno)) : -1;
		if (fclose(f->fp) && !rc)
			rc = ok ? error("cannot write '%s': %s", f->path, strerror(errno)) : -1;
		f->fp = NULL;
		if (ok && !rc && rename(f->tmp, f->path))
			rc = error("cannot rename '%s' to '%s': %s", f->tmp, f->path, strerror(errno));
		if (!ok || rc)
			unlink(f->tmp);
	}
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	return ok ? rc : -1;
}

static void add_member(struct strbuf *sb, const char *indent, int first, const char *key,
		       const unsigned char *text, int len)
{
	if (!first)
		strbuf_addch(sb, ',');
	strbuf_addstr(sb, indent);
	json_write_string(sb, key, strlen(key));
	strbuf_addstr(sb, *indent ? ": " : ":");
	json_write_string(sb, (const char *)text, (size_t)len);
}

static void add_turn(struct strbuf *sb, const char *indent, int first, const char *from,
		     const char *text, size_t len)
{
	if (!first)
		strbuf_addch(sb, ',');
	strbuf_addf(sb, "%s{\"from\":\"%s\",\"value\":", indent, from);
	json_write_string(sb, text, len);
	strbuf_addch(sb, '}');
}

/*
 * Parses a history column; returns the list, or NULL when it is not a list
 * of [question, answer] string pairs (someone edited it with `winnow sql`).
 */
static json_t *parse_history(const char *history)
{
	size_t i;
	json_t *pair, *h = json_parse(history, strlen(history), NULL, 0);
	if (!json_is_array(h))
		goto bad;
	json_array_foreach(h, i, pair)
		if (json_array_size(pair) != 2 || !json_is_string(json_array_get(pair, 0)) ||
		    !json_is_string(json_array_get(pair, 1)))
			goto bad;
	return h;
bad:
	json_decref(h);
	return NULL;
}

/* Columns: id, instruction, input, output, system, history. */
static int format_record(struct exporter *ex, sqlite3_stmt *st)
{
	struct strbuf *sb = &ex->line;
	const char *ind = ex->pretty ? "\n    " : "";
	const char *history = (const char *)sqlite3_column_text(st, 5);
	int has_history = history && strcmp(history, "[]");
	ex->line_system = sqlite3_column_bytes(st, 4) > 0;
	ex->line_history = has_history && ex->format != EXPORT_SHAREGPT;
	strbuf_reset(sb);
	strbuf_addstr(sb, ex->pretty ? "  {" : "{");
	if (ex->format != EXPORT_SHAREGPT) {
		static const char *const names[] = { "instruction", "input", "output", "system" };
		for (int c = 1; c <= 4; c++) {
			if (c == 4 && !sqlite3_column_bytes(st, 4))
				continue;
			add_member(sb, ind, c == 1, names[c - 1], sqlite3_column_text(st, c),
				   sqlite3_column_bytes(st, c));
		}
		if (has_history) {
			/* written as stored, so check it: a hand-edited column must not break the file */
			json_t *h = parse_history(history);
			if (!h)
				return error("record %lld has a corrupt history column (not a list of "
					     "[question, answer] pairs); fix it with winnow sql --write",
					     (long long)sqlite3_column_int64(st, 0));
			json_decref(h);
			strbuf_addf(sb, ",%s\"history\":%s%s", ind, ex->pretty ? " " : "", history);
		}
	} else {
		const char *turn_ind = ex->pretty ? "\n      " : "";
		strbuf_addf(sb, "%s\"conversations\":%s[", ind, ex->pretty ? " " : "");
		int first = 1;
		if (has_history) {
			json_t *h = parse_history(history);
			size_t i;
			json_t *pair;
			if (!h)
				return error("record %lld has a corrupt history column (not a list of "
					     "[question, answer] pairs); fix it with winnow sql --write",
					     (long long)sqlite3_column_int64(st, 0));
			json_array_foreach(h, i, pair) {
				json_t *q = json_array_get(pair, 0), *a = json_array_get(pair, 1);
				add_turn(sb, turn_ind, first, "human", json_string_value(q) ? json_string_value(q) : "",
					 json_string_length(q));
				add_turn(sb, turn_ind, 0, "gpt", json_string_value(a) ? json_string_value(a) : "",
					 json_string_length(a));
				first = 0;
			}
			json_decref(h);
		}
		/* user content as LLaMA-Factory builds it: instruction, newline, input */
		struct strbuf user = STRBUF_INIT;
		strbuf_add(&user, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (sqlite3_column_bytes(st, 2)) {
			strbuf_addch(&user, '\n');
			strbuf_add(&user, sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		}
		add_turn(sb, turn_ind, first, "human", user.buf, user.len);
		strbuf_release(&user);
		add_turn(sb, turn_ind, 0, "gpt", (const char *)sqlite3_column_text(st, 3),
			 (size_t)sqlite3_column_bytes(st, 3));
		strbuf_addstr(sb, ex->pretty ? "\n    ]" : "]");
		if (sqlite3_column_bytes(st, 4))
			add_member(sb, ind, 0, "system", sqlite3_column_text(st, 4),
				   sqlite3_column_bytes(st, 4));
	}
	strbuf_addstr(sb, ex->pretty ? "\n  }" : "}");
	return 0;
}

static int write_record(struct exporter *ex, struct out_file *f)
{
	const char *sep = ex->format == EXPORT_JSONL ? "" : f->count ? ",\n" : "[\n";
	if (fputs(sep, f->fp) == EOF || fwrite(ex->line.buf, 1, ex->line.len, f->fp) != ex->line.len ||
	    (ex->format == EXPORT_JSONL && putc('\n', f->fp) == EOF))
		return error("cannot write '%s': %s", f->path, strerror(errno));
	f->count++;
	f->has_system |= ex->line_system;
	f->has_history |= ex->line_history;
	return 0;
}

static int finish_array(struct exporter *ex, struct out_file *f)
{
	if (ex->format == EXPORT_JSONL)
		return 0;
	if (fputs(f->count ? "\n]\n" : "[]\n", f->fp) == EOF)
		return error("cannot write '%s': %s", f->path, strerror(errno));
	return 0;
}

/* ---- dataset_info.json ---- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
}

static char *stem_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

/* The entry for one written file: its columns are only the keys it has. */
static json_t *dataset_entry(enum export_format format, const char *file_name,
			     const struct out_file *f)
{
	json_t *columns;
	if (format == EXPORT_SHAREGPT) {
		columns = json_pack("{s:s}", "messages", "conversations");
		if (f->has_system)
			json_object_set_new(columns, "system", json_string("system"));
		return json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s}}",
				 "file_name", file_name, "formatting", "sharegpt", "columns", columns,
				 "tags", "role_tag", "from", "content_tag", "value",
				 "user_tag", "human", "assistant_tag", "gpt");
	}
	columns = json_pack("{s:s, s:s, s:s}", "prompt", "instruction", "query", "input",
			    "response", "output");
	if (f->has_system)
		json_object_set_new(columns, "system", json_string("system"));
	if (f->has_history)
		json_object_set_new(columns, "history", json_string("history"));
	return json_pack("{s:s, s:o}", "file_name", file_name, "columns", columns);
}

/*
 * Adds an entry for each written file to dataset_info.json in their folder,
 * keeping entries that other exports put there.
 */
static int write_dataset_info(enum export_format format, char **paths,
			      const struct out_file *files, int n)
{
	char *dir = dir_of(paths[0]);
	char *info_path = xstrfmt("%s/dataset_info.json", dir);
	json_t *info = NULL;
	json_error_t je;
	int rc = 0;
	FILE *probe = fopen(info_path, "rb");
	if (probe) {
		fclose(probe);
		info = json_load_file(info_path, 0, &je);
		if (!json_is_object(info)) {
			rc = error("'%s' exists but is not a JSON object (%s); move it away or fix it",
				   info_path, info ? "not an object" : je.text);
			goto out;
		}
	} else {
		info = json_object();
	}
	for (int i = 0; i < n; i++) {
		char *stem = stem_of(paths[i]);
		const char *base = strrchr(paths[i], '/');
		json_object_set_new(info, stem, dataset_entry(format, base ? base + 1 : paths[i], &files[i]));
		free(stem);
	}
	struct out_file f = { 0 };
	if (out_open(&f, info_path)) {
		out_close(&f, 0);
		rc = -1;
		goto out;
	}
	if (json_dumpf(info, f.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || putc('\n', f.fp) == EOF)
		rc = error("cannot write '%s': %s", info_path, strerror(errno));
	rc = out_close(&f, rc == 0) || rc;
out:
	json_decref(info);
	free(info_path);
	free(dir);
	return rc ? -1 : 0;
}

/*
 * Checks, before any file is written, that dataset_info.json beside path is
 * absent or a JSON object we can merge into. Returns 0, or -1 after saying why.
 */
static int dataset_info_usable(const char *path)
{
	char *dir = dir_of(path);
	char *info_path = xstrfmt("%s/dataset_info.json", dir);
	json_error_t je;
	json_t *info = NULL;
	int rc = 0;
	FILE *probe = fopen(info_path, "rb");
	if (probe) {
		fclose(probe);
		info = json_load_file(info_path, 0, &je);
		if (!json_is_object(info))
			rc = error("'%s' exists but is not a JSON object (%s); move it away or fix it, "
				   "or pass --no-dataset-info", info_path, info ? "not an object" : je.text);
	}
	json_decref(info);
	free(info_path);
	free(dir);
	return rc;
}

/* out.json + "train" -> out_train.json */
static char *split_path(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (!dot || dot == (slash ? slash + 1 : path))
		return xstrfmt("%s_%s", path, name);
	return xstrfmt("%.*s_%s%s", (int)(dot - path), path, name, dot);
}

static const struct command_help export_help = {
	"winnow export -o FILE [options]",
	"Write records as Alpaca JSON (or JSON Lines / ShareGPT) with dataset_info.json beside it.",
	"By default records at stage unique or approved are exported; --stage chooses\n"
	"others (e.g. --stage raw before clean and dedupe have run). Alpaca output has\n"
	"instruction, input, output, then system and history only when present, in\n"
	"UTF-8 as written. dataset_info.json in the same folder gets one entry per file,\n"
	"named after the file, so LLaMA-Factory loads it with `dataset: NAME`.\n"
	"With --split, FILE is split into FILE_NAME.json per split: deterministic for a\n"
	"--seed, stratified by source and task, every record in exactly one split.\n"
	"Files are written to a temporary name and renamed, so they are never half-written.",
	"  winnow export -o data/forum.json\n"
	"  winnow export -o data/forum.json --split train=0.9,val=0.05,test=0.05 --seed 7\n"
	"  winnow export -o chats.json --format sharegpt --approved-only\n"
	"  winnow export -o raw.jsonl --format jsonl --stage raw --where \"length(output) > 20\"",
};

int cmd_export(int argc, char **argv)
{
	const char *output = NULL, *format_name = "alpaca", *split_spec = NULL, *where = NULL;
	struct string_list stages = STRING_LIST_INIT, sources = STRING_LIST_INIT;
	long seed = 42;
	int approved_only = 0, pretty = 0, no_info = 0;
	struct option opts[] = {
		OPT_STRING('o', "output", &output, "FILE", "file to write (required; - for standard output)"),
		OPT_CHOICE('f', "format", &format_name, "alpaca|jsonl|sharegpt", "output format (default alpaca)"),
		OPT_STRING(0, "split", &split_spec, "NAME=FRAC,...", "split into files, e.g. train=0.9,val=0.05,test=0.05"),
		OPT_INT(0, "seed", &seed, "N", 0, 2147483647, "seed for the split (default 42)"),
		OPT_LIST(0, "stage", &stages, "STAGE,...", "stages to export (default unique,approved)"),
		OPT_FLAG(0, "approved-only", &approved_only, "only records approved in review"),
		OPT_LIST(0, "source", &sources, "NAME", "only records from this source (repeatable)"),
		OPT_STRING(0, "where", &where, "SQL", "extra condition on the records table, e.g. \"length(output) > 50\""),
		OPT_FLAG(0, "pretty", &pretty, "indent the JSON for reading"),
		OPT_FLAG(0, "no-dataset-info", &no_info, "do not write dataset_info.json"),
		OPT_END(),
	};
	struct split splits[MAX_SPLITS];
	int nsplits = 0, rc = EXIT_OK, failed = 0;
	struct exporter ex;
	struct strbuf sql = STRBUF_INIT, stage_list = STRBUF_INIT;
	struct assignment *assign = NULL;
	size_t nassign = 0, ai = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct run run;
	struct progress progress;
	char *paths[MAX_SPLITS];

	memset(&ex, 0, sizeof(ex));
	argc = parse_options(argc, argv, opts, &export_help);
	if (argc < 0) {
		rc = options_exit_code(argc);
		goto out;
	}
	if (argc > 0) {
		rc = usage_error(&export_help, "unexpected argument '%s' (the file goes after -o)", argv[0]);
		goto out;
	}
	if (!output) {
		rc = usage_error(&export_help, "say where to write with -o FILE");
		goto out;
	}
	if (!strcmp(output, "-")) {
		if (split_spec) {
			rc = usage_error(&export_help, "--split writes a file per split; give -o FILE, not -o -");
			goto out;
		}
		no_info = 1;	/* there is no folder to put dataset_info.json in */
	}
	if (split_spec && parse_splits(split_spec, splits, &nsplits, &export_help)) {
		rc = EXIT_USAGE;
		goto out;
	}
	ex.format = !strcmp(format_name, "jsonl") ? EXPORT_JSONL
		  : !strcmp(format_name, "sharegpt") ? EXPORT_SHAREGPT : EXPORT_ALPACA;
	ex.pretty = pretty && ex.format != EXPORT_JSONL;
	strbuf_init(&ex.line, 4096);

	/* which stages */
	if (approved_only) {
		strbuf_addstr(&stage_list, "'approved'");
	} else {
		struct string_list all = STRING_LIST_INIT;
		for (size_t i = 0; i < stages.nr; i++)
			string_list_split(&all, stages.items[i], ',');
		if (!all.nr) {
			string_list_append(&all, "unique");
			string_list_append(&all, "approved");
		}
		for (size_t i = 0; i < all.nr; i++) {
			if (stage_from_name(all.items[i]) < 0) {
				rc = usage_error(&export_help, "option '--stage' does not know '%s' (stages: raw, "
						 "clean, unique, approved, rejected, duplicate)", all.items[i]);
				string_list_clear(&all);
				goto out;
			}
			strbuf_addf(&stage_list, "%s'%s'", i ? "," : "", all.items[i]);
		}
		string_list_clear(&all);
	}

	db = corpus_open(corpus_path(), 0);
	if (!db) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	run_begin_read(&run, db, "export");

	for (size_t i = 0; i < sources.nr; i++) {
		sqlite3_stmt *q = corpus_prepare(db, "SELECT 1 FROM sources WHERE name = ?");
		int found = 0;
		if (q) {
			sqlite3_bind_text(q, 1, sources.items[i], -1, SQLITE_STATIC);
			found = sqlite3_step(q) == SQLITE_ROW;
			sqlite3_finalize(q);
		}
		if (!found) {
			error("there is no source called '%s'; winnow sql \"SELECT name FROM sources\" lists them",
			      sources.items[i]);
			rc = run_end(&run, EXIT_USAGE, "nothing exported");
			goto out;
		}
	}

	/* '+stage' keeps SQLite off the stage index: an export reads most of the
	 * table, and a scan in id order needs no lookup per row and no sort */
	strbuf_addf(&sql, "SELECT id, instruction, input, output, system, history FROM records "
		    "WHERE +stage IN (%s)", stage_list.buf);
	if (sources.nr) {
		strbuf_addstr(&sql, " AND source_id IN (SELECT id FROM sources WHERE name IN (");
		for (size_t i = 0; i < sources.nr; i++)
			strbuf_addf(&sql, "%s?", i ? "," : "");
		strbuf_addstr(&sql, "))");
	}
	if (where)
		strbuf_addf(&sql, " AND (%s)", where);
	strbuf_addstr(&sql, " ORDER BY id");

	const char *tail = NULL;
	if (sqlite3_prepare_v2(db, sql.buf, -1, &st, &tail) != SQLITE_OK) {
		error("cannot select records%s: %s", where ? " (check --where)" : "", sqlite3_errmsg(db));
		rc = run_end(&run, EXIT_USAGE, "nothing exported");
		goto out;
	}
	if (tail && *tail) {
		/* a ';' in --where ended the statement early; the rest would be ignored */
		error("--where must be one condition, without ';'");
		rc = run_end(&run, EXIT_USAGE, "nothing exported");
		goto out;
	}
	if (!no_info && dataset_info_usable(output)) {
		rc = run_end(&run, EXIT_FAILURE_, "nothing exported; no file was changed");
		goto out;
	}
	if (!sqlite3_stmt_readonly(st)) {
		error("--where must only read the corpus");
		rc = run_end(&run, EXIT_USAGE, "nothing exported");
		goto out;
	}
	for (size_t i = 0; i < sources.nr; i++)
		sqlite3_bind_text(st, (int)i + 1, sources.items[i], -1, SQLITE_STATIC);

	/* one read transaction: the split pass and the write pass see the same records */
	corpus_exec(db, "BEGIN");
	if (nsplits) {
		struct strbuf asql = STRBUF_INIT;
		sqlite3_stmt *ast = NULL;
		strbuf_addstr(&asql, "SELECT id, content_hash, coalesce(source_id, 0), coalesce(task_id, 0) FROM (");
		strbuf_add(&asql, sql.buf, sql.len);
		strbuf_addstr(&asql, ") JOIN records USING (id)");
		/* the inner query has the same parameters */
		if (sqlite3_prepare_v2(db, asql.buf, -1, &ast, NULL) != SQLITE_OK) {
			error("cannot select records: %s", sqlite3_errmsg(db));
			failed = 1;
		} else {
			for (size_t i = 0; i < sources.nr; i++)
				sqlite3_bind_text(ast, (int)i + 1, sources.items[i], -1, SQLITE_STATIC);
			assign = assign_splits(ast, splits, nsplits, (uint64_t)seed, &nassign);
			if (!assign)
				failed = error("cannot select records: %s", sqlite3_errmsg(db));
		}
		sqlite3_finalize(ast);
		strbuf_release(&asql);
		for (int i = 0; i < nsplits && !failed; i++) {
			paths[i] = split_path(output, splits[i].name);
			failed = out_open(&ex.files[i], paths[i]) != 0;
			ex.nfiles = i + 1;
		}
	} else {
		paths[0] = xstrdup(output);
		failed = out_open(&ex.files[0], output) != 0;
		ex.nfiles = 1;
	}

	int64_t total = failed ? 0 : nsplits ? (int64_t)nassign : -1;
	progress_start(&progress, "export", total > 0 ? (uint64_t)total : 0, "records");
	long written = 0;
	while (!failed) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			failed = error("cannot read records: %s", sqlite3_errmsg(db));
			break;
		}
		int which = 0;
		if (nsplits) {
			int64_t id = sqlite3_column_int64(st, 0);
			while (ai < nassign && assign[ai].id < id)
				ai++;
			if (ai == nassign || assign[ai].id != id)
				die("export: record %lld missing from the split plan", (long long)id);
			which = assign[ai].split;
		}
		if (format_record(&ex, st) || write_record(&ex, &ex.files[which])) {
			failed = 1;
			break;
		}
		progress_update(&progress, (uint64_t)++written);
	}
	progress_finish(&progress);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (int i = 0; i < ex.nfiles && !failed; i++)
		failed = finish_array(&ex, &ex.files[i]) != 0;
	for (int i = 0; i < ex.nfiles; i++)
		if (out_close(&ex.files[i], !failed))
			failed = 1;
	if (!failed && !no_info)
		failed = write_dataset_info(ex.format, paths, ex.files, ex.nfiles) != 0;

	run_count(&run, "exported", written);
	if (failed) {
		rc = run_end(&run, EXIT_FAILURE_, "export to '%s' failed; no file was changed", output);
	} else {
		struct strbuf detail = STRBUF_INIT;
		for (int i = 0; i < nsplits; i++) {
			strbuf_addf(&detail, "%s%s %ld", i ? ", " : " (", splits[i].name, ex.files[i].count);
			run_count(&run, splits[i].name, ex.files[i].count);
		}
		if (nsplits)
			strbuf_addch(&detail, ')');
		if (!written && !strstr(stage_list.buf, "'raw'"))
			warning("no records matched: records are exported from stages %s; raw records need "
				"'winnow clean' and 'winnow dedupe' first, or pass --stage raw", stage_list.buf);
		else if (!written)
			warning("no records matched (stages %s%s%s)", stage_list.buf,
				sources.nr ? ", --source" : "", where ? ", --where" : "");
		int to_stdout = !strcmp(output, "-");
		rc = run_end(&run, EXIT_OK, "%ld record%s written to %s%s%s", written, written == 1 ? "" : "s",
			     nsplits || to_stdout ? "" : "'",
			     nsplits ? "splits" : to_stdout ? "standard output" : output,
			     nsplits ? detail.buf : to_stdout ? "" : "'");
		strbuf_release(&detail);
	}
	for (int i = 0; i < ex.nfiles; i++)
		free(paths[i]);
out:
	sqlite3_finalize(st);
	corpus_close(db);
	free(assign);
	for (int i = 0; i < nsplits; i++)
		free(splits[i].name);
	strbuf_release(&sql);
	strbuf_release(&stage_list);
	strbuf_release(&ex.line);
	string_list_clear(&stages);
	string_list_clear(&sources);
	return rc;
}
