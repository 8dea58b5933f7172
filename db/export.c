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
#include "export.h"
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

struct split {
	char *name;
	double fraction;
};

struct out_file {
	char *path, *tmp;
	FILE *fp;
	long count;
	struct lf_keys keys;	/* what its items have, for dataset_info.json */
};

struct exporter {
	struct line_writer w;
	struct out_file files[MAX_SPLITS];
	int nfiles;
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

static int write_record(struct exporter *ex, struct out_file *f)
{
	struct line_writer *w = &ex->w;
	const char *sep = w->format == EXPORT_JSONL ? "" : f->count ? ",\n" : "[\n";
	if (lf_keys_add(&f->keys, &w->keys, f->path))
		return -1;
	if (fputs(sep, f->fp) == EOF || fwrite(w->line.buf, 1, w->line.len, f->fp) != w->line.len ||
	    (w->format == EXPORT_JSONL && putc('\n', f->fp) == EOF))
		return error("cannot write '%s': %s", f->path, strerror(errno));
	f->count++;
	return 0;
}

static int finish_array(struct exporter *ex, struct out_file *f)
{
	if (ex->w.format == EXPORT_JSONL)
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
		json_object_set_new(info, stem, dataset_entry(format, base ? base + 1 : paths[i], &files[i].keys));
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

struct export_opts {
	const char *output, *format_name, *split_spec, *where;
	const char *lf_config, *base, *template_name;	/* --llamafactory-config */
	struct string_list stages, sources;
	long seed;
	int approved_only, pretty, no_info;
	struct split splits[MAX_SPLITS];
	int nsplits;
	struct strbuf stage_list;	/* 'unique','approved' for SQL */
};

/* Checks the options and fills in what they imply; returns 0 or the exit code. */
static int export_check(struct export_opts *o, int argc, char **argv)
{
	if (argc > 0)
		return usage_error(&export_help, "unexpected argument '%s' (the file goes after -o)", argv[0]);
	if (!o->output)
		return usage_error(&export_help, "say where to write with -o FILE");
	if (!strcmp(o->output, "-")) {
		if (o->split_spec)
			return usage_error(&export_help, "--split writes a file per split; give -o FILE, not -o -");
		o->no_info = 1;	/* there is no folder to put dataset_info.json in */
	}
	if (o->split_spec && parse_splits(o->split_spec, o->splits, &o->nsplits, &export_help))
		return EXIT_USAGE;
	if (o->lf_config && (!o->base || o->no_info))
		return usage_error(&export_help, o->base ? "--llamafactory-config needs dataset_info.json: "
				   "drop --no-dataset-info (and give -o FILE, not -o -)"
				   : "--llamafactory-config needs --base MODEL (the model to fine-tune: a Hugging "
				   "Face name or folder)");
	if ((o->base || o->template_name) && !o->lf_config)
		return usage_error(&export_help, "--base and --template go with --llamafactory-config FILE");
	if (o->approved_only) {
		strbuf_addstr(&o->stage_list, "'approved'");
		return 0;
	}
	struct string_list all = STRING_LIST_INIT;
	int rc = 0;
	for (size_t i = 0; i < o->stages.nr; i++)
		string_list_split(&all, o->stages.items[i], ',');
	if (!all.nr) {
		string_list_append(&all, "unique");
		string_list_append(&all, "approved");
	}
	for (size_t i = 0; i < all.nr && !rc; i++) {
		if (stage_from_name(all.items[i]) < 0)
			rc = usage_error(&export_help, "option '--stage' does not know '%s' (stages: raw, "
					 "clean, unique, approved, rejected, duplicate)", all.items[i]);
		strbuf_addf(&o->stage_list, "%s'%s'", i ? "," : "", all.items[i]);
	}
	string_list_clear(&all);
	return rc;
}

/*
 * Prepares the SELECT of the records to export into *st (its text in sql).
 * Returns 0, or the exit code after ending the run.
 */
static int export_select(struct export_opts *o, struct command *cmd, struct strbuf *sql, sqlite3_stmt **st)
{
	for (size_t i = 0; i < o->sources.nr; i++) {
		sqlite3_stmt *q = corpus_prepare(cmd->db, "SELECT 1 FROM sources WHERE name = ?");
		int found = 0;
		if (q) {
			sqlite3_bind_text(q, 1, o->sources.items[i], -1, SQLITE_STATIC);
			found = sqlite3_step(q) == SQLITE_ROW;
			sqlite3_finalize(q);
		}
		if (!found) {
			error("there is no source called '%s'; winnow sql \"SELECT name FROM sources\" lists them",
			      o->sources.items[i]);
			return run_end(&cmd->run, EXIT_USAGE, "nothing exported");
		}
	}
	/* '+stage' keeps SQLite off the stage index: an export reads most of the
	 * table, and a scan in id order needs no lookup per row and no sort */
	strbuf_addf(sql, "SELECT " EXPORT_COLUMNS " FROM records WHERE +stage IN (%s)", o->stage_list.buf);
	if (o->sources.nr) {
		strbuf_addstr(sql, " AND source_id IN (SELECT id FROM sources WHERE name IN (");
		for (size_t i = 0; i < o->sources.nr; i++)
			strbuf_addf(sql, "%s?", i ? "," : "");
		strbuf_addstr(sql, "))");
	}
	if (o->where)
		strbuf_addf(sql, " AND (%s)", o->where);
	strbuf_addstr(sql, " ORDER BY id");

	const char *tail = NULL;
	if (sqlite3_prepare_v2(cmd->db, sql->buf, -1, st, &tail) != SQLITE_OK) {
		error("cannot select records%s: %s", o->where ? " (check --where)" : "", sqlite3_errmsg(cmd->db));
		return run_end(&cmd->run, EXIT_USAGE, "nothing exported");
	}
	if (tail && *tail) {
		/* a ';' in --where ended the statement early; the rest would be ignored */
		error("--where must be one condition, without ';'");
		return run_end(&cmd->run, EXIT_USAGE, "nothing exported");
	}
	if (!o->no_info && dataset_info_usable(o->output))
		return run_end(&cmd->run, EXIT_FAILURE_, "nothing exported; no file was changed");
	if (!sqlite3_stmt_readonly(*st)) {
		error("--where must only read the corpus");
		return run_end(&cmd->run, EXIT_USAGE, "nothing exported");
	}
	for (size_t i = 0; i < o->sources.nr; i++)
		sqlite3_bind_text(*st, (int)i + 1, o->sources.items[i], -1, SQLITE_STATIC);
	return 0;
}

/* The split of every selected record (same parameters as sql); NULL after saying why. */
static struct assignment *export_plan(struct export_opts *o, sqlite3 *db, const struct strbuf *sql,
				      size_t *n)
{
	struct strbuf asql = STRBUF_INIT;
	sqlite3_stmt *ast = NULL;
	struct assignment *assign = NULL;
	strbuf_addstr(&asql, "SELECT id, content_hash, coalesce(source_id, 0), coalesce(task_id, 0) FROM (");
	strbuf_add(&asql, sql->buf, sql->len);
	strbuf_addstr(&asql, ") JOIN records USING (id)");
	if (sqlite3_prepare_v2(db, asql.buf, -1, &ast, NULL) == SQLITE_OK) {
		for (size_t i = 0; i < o->sources.nr; i++)
			sqlite3_bind_text(ast, (int)i + 1, o->sources.items[i], -1, SQLITE_STATIC);
		assign = assign_splits(ast, o->splits, o->nsplits, (uint64_t)o->seed, n);
	}
	if (!assign)
		error("cannot select records: %s", sqlite3_errmsg(db));
	sqlite3_finalize(ast);
	strbuf_release(&asql);
	return assign;
}

/* Streams the selected records into the open files; returns how many, or -1. */
static long export_rows(struct exporter *ex, sqlite3 *db, sqlite3_stmt *st,
			const struct assignment *assign, size_t nassign, int nsplits)
{
	struct progress progress;
	long written = 0;
	size_t ai = 0;
	int failed = 0;
	progress_start(&progress, "export", nsplits ? (uint64_t)nassign : 0, "records");
	for (;;) {
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
		if (format_record(&ex->w, st) || write_record(ex, &ex->files[which])) {
			failed = 1;
			break;
		}
		progress_update(&progress, (uint64_t)++written);
	}
	progress_finish(&progress);
	return failed ? -1 : written;
}

/* The summary line (and the warning for an empty export); returns the exit code. */
static int export_summary(struct export_opts *o, struct exporter *ex, struct run *run, long written)
{
	struct strbuf detail = STRBUF_INIT;
	for (int i = 0; i < o->nsplits; i++) {
		strbuf_addf(&detail, "%s%s %ld", i ? ", " : " (", o->splits[i].name, ex->files[i].count);
		run_count(run, o->splits[i].name, ex->files[i].count);
	}
	if (o->nsplits)
		strbuf_addch(&detail, ')');
	if (!written && !strstr(o->stage_list.buf, "'raw'"))
		warning("no records matched: records are exported from stages %s; raw records need "
			"'winnow clean' and 'winnow dedupe' first, or pass --stage raw", o->stage_list.buf);
	else if (!written)
		warning("no records matched (stages %s%s%s)", o->stage_list.buf,
			o->sources.nr ? ", --source" : "", o->where ? ", --where" : "");
	int to_stdout = !strcmp(o->output, "-");
	int rc = run_end(run, EXIT_OK, "%ld record%s written to %s%s%s", written, written == 1 ? "" : "s",
			 o->nsplits || to_stdout ? "" : "'",
			 o->nsplits ? "splits" : to_stdout ? "standard output" : o->output,
			 o->nsplits ? detail.buf : to_stdout ? "" : "'");
	strbuf_release(&detail);
	return rc;
}

/* The training YAML for the files just written; 0 or -1 after saying why. */
static int export_lf_config(struct export_opts *o, struct exporter *ex, char **paths)
{
	static const char *const eval_names[] = { "val", "validation", "dev", "eval", "test", NULL };
	struct lf_config c = { o->lf_config, o->base, o->template_name, NULL, NULL, NULL, 0, 0 };
	int train = 0, eval = -1;
	for (int i = 0; i < o->nsplits; i++)
		if (!strcmp(o->splits[i].name, "train"))
			train = i;
	for (int k = 0; eval_names[k] && eval < 0; k++)	/* the first of these names there is */
		for (int i = 0; i < o->nsplits; i++)
			if (!strcmp(o->splits[i].name, eval_names[k]))
				eval = i;
	char *dir = dir_of(paths[train]);
	c.dataset_dir = realpath(dir, NULL);
	free(dir);
	if (!c.dataset_dir)
		return error("cannot resolve the folder of '%s': %s", paths[train], strerror(errno));
	c.train = stem_of(paths[train]);
	c.eval = eval >= 0 && eval != train ? stem_of(paths[eval]) : NULL;
	c.ranking = ex->files[train].keys.ranking > 0;
	c.kto = ex->files[train].keys.kto_tag;
	int rc = write_llamafactory_config(&c);
	free(c.dataset_dir);
	free(c.train);
	free(c.eval);
	return rc;
}

/* Selects, writes and renames into place; returns the exit code. */
static int export_run(struct export_opts *o, struct exporter *ex)
{
	struct command cmd;
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	struct assignment *assign = NULL;
	size_t nassign = 0;
	char *paths[MAX_SPLITS];
	long written = -1;
	int rc, failed = 0;

	/* a reader: its run is recorded without waiting for a writer */
	memset(&cmd, 0, sizeof(cmd));
	cmd.db = corpus_open(corpus_path(), 0);
	if (!cmd.db)
		return EXIT_FAILURE_;
	run_begin_read(&cmd.run, cmd.db, "export");
	if ((rc = export_select(o, &cmd, &sql, &st)))
		goto out;
	/* one read transaction: the split pass and the write pass see the same records */
	corpus_exec(cmd.db, "BEGIN");
	if (o->nsplits && !(assign = export_plan(o, cmd.db, &sql, &nassign)))
		failed = 1;
	for (int i = 0; i < (o->nsplits ? o->nsplits : 1) && !failed; i++) {
		paths[i] = o->nsplits ? split_path(o->output, o->splits[i].name) : xstrdup(o->output);
		ex->nfiles = i + 1;
		failed = out_open(&ex->files[i], paths[i]) != 0;
	}
	if (!failed)
		written = export_rows(ex, cmd.db, st, assign, nassign, o->nsplits);
	failed |= written < 0;
	sqlite3_exec(cmd.db, "COMMIT", NULL, NULL, NULL);
	for (int i = 0; i < ex->nfiles && !failed; i++)
		failed = finish_array(ex, &ex->files[i]) != 0;
	for (int i = 0; i < ex->nfiles; i++)
		if (out_close(&ex->files[i], !failed))
			failed = 1;
	if (!failed && !o->no_info)
		failed = write_dataset_info(ex->w.format, paths, ex->files, ex->nfiles) != 0;
	if (!failed && o->lf_config)
		failed = export_lf_config(o, ex, paths) != 0;
	run_count(&cmd.run, "exported", written < 0 ? 0 : written);
	rc = failed ? run_end(&cmd.run, EXIT_FAILURE_, "export to '%s' failed; no file was changed", o->output)
		    : export_summary(o, ex, &cmd.run, written);
	for (int i = 0; i < ex->nfiles; i++)
		free(paths[i]);
out:
	sqlite3_finalize(st);
	corpus_close(cmd.db);
	free(assign);
	strbuf_release(&sql);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o = { .format_name = "alpaca", .stages = STRING_LIST_INIT,
				 .sources = STRING_LIST_INIT, .seed = 42, .stage_list = STRBUF_INIT };
	struct option opts[] = {
		OPT_STRING('o', "output", &o.output, "FILE", "file to write (required; - for standard output)"),
		OPT_CHOICE('f', "format", &o.format_name, "alpaca|jsonl|sharegpt", "output format (default alpaca)"),
		OPT_STRING(0, "split", &o.split_spec, "NAME=FRAC,...", "split into files, e.g. train=0.9,val=0.05,test=0.05"),
		OPT_INT(0, "seed", &o.seed, "N", 0, 2147483647, "seed for the split (default 42)"),
		OPT_LIST(0, "stage", &o.stages, "STAGE,...", "stages to export (default unique,approved)"),
		OPT_FLAG(0, "approved-only", &o.approved_only, "only records approved in review"),
		OPT_LIST(0, "source", &o.sources, "NAME", "only records from this source (repeatable)"),
		OPT_STRING(0, "where", &o.where, "SQL", "extra condition on the records table, e.g. \"length(output) > 50\""),
		OPT_FLAG(0, "pretty", &o.pretty, "indent the JSON for reading"),
		OPT_FLAG(0, "no-dataset-info", &o.no_info, "do not write dataset_info.json"),
		OPT_STRING(0, "llamafactory-config", &o.lf_config, "FILE",
			   "also write a LLaMA-Factory training YAML with winnow train's settings"),
		OPT_STRING(0, "base", &o.base, "MODEL", "the model that YAML fine-tunes (Hugging Face name or folder)"),
		OPT_CHOICE(0, "template", &o.template_name, "auto|alpaca|chatml|llama3|llama2",
			   "its prompt template (default auto: the tokenizer's, as winnow train)"),
		OPT_END(),
	};
	struct exporter ex;
	int rc;

	memset(&ex, 0, sizeof(ex));
	argc = parse_options(argc, argv, opts, &export_help);
	if (argc < 0)
		rc = options_exit_code(argc);	/* 0 after --help: stop all the same */
	else if (!(rc = export_check(&o, argc, argv))) {
		ex.w.format = !strcmp(o.format_name, "jsonl") ? EXPORT_JSONL
			    : !strcmp(o.format_name, "sharegpt") ? EXPORT_SHAREGPT : EXPORT_ALPACA;
		ex.w.pretty = o.pretty && ex.w.format != EXPORT_JSONL;
		strbuf_init(&ex.w.line, 4096);
		rc = export_run(&o, &ex);
	}
	for (int i = 0; i < o.nsplits; i++)
		free(o.splits[i].name);
	strbuf_release(&o.stage_list);
	strbuf_release(&ex.w.line);
	string_list_clear(&o.stages);
	string_list_clear(&o.sources);
	return rc;
}
