/*
 * records.c - choosing the records a command works on (--task, --source,
 * --stage, --where, the same for review, judge and fix) and loading one
 * record with everything the reviewer shows about it.
 */
#include "annotate_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

static int name_exists(sqlite3 *db, const char *table, const char *name)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM %s WHERE name = %Q", table, name);
	int64_t n = corpus_int(db, sql);
	sqlite3_free(sql);
	return n > 0;
}

sqlite3_stmt *filter_prepare(sqlite3 *db, const struct record_filter *f, const char *default_stages,
			     const char *columns, const char *tail, int *usage)
{
	struct strbuf sql = STRBUF_INIT;
	struct string_list stages = STRING_LIST_INIT;
	sqlite3_stmt *st = NULL;
	const char *rest = NULL;

	*usage = 0;
	if (f->stages.nr)
		for (size_t i = 0; i < f->stages.nr; i++)
			string_list_split(&stages, f->stages.items[i], ',');
	else
		string_list_split(&stages, default_stages, ',');
	strbuf_addf(&sql, "SELECT %s FROM records r WHERE r.stage IN (", columns);
	for (size_t i = 0; i < stages.nr; i++) {
		if (stage_from_name(stages.items[i]) < 0) {
			error("'%s' is not a stage (raw, clean, unique, approved, rejected, duplicate)",
			      stages.items[i]);
			*usage = 1;
			goto out;
		}
		char *q = sqlite3_mprintf("%s%Q", i ? "," : "", stages.items[i]);
		strbuf_addstr(&sql, q);
		sqlite3_free(q);
	}
	strbuf_addch(&sql, ')');
	if (f->task) {
		if (!name_exists(db, "tasks", f->task)) {
			error("there is no task '%s'; see 'winnow task list'", f->task);
			*usage = 1;
			goto out;
		}
		char *q = sqlite3_mprintf(" AND r.task_id = (SELECT id FROM tasks WHERE name = %Q)", f->task);
		strbuf_addstr(&sql, q);
		sqlite3_free(q);
	}
	if (f->source) {
		if (!name_exists(db, "sources", f->source)) {
			error("there is no source '%s'; see 'winnow stats' or 'winnow source list'", f->source);
			*usage = 1;
			goto out;
		}
		char *q = sqlite3_mprintf(" AND r.source_id = (SELECT id FROM sources WHERE name = %Q)",
					  f->source);
		strbuf_addstr(&sql, q);
		sqlite3_free(q);
	}
	if (f->where)
		strbuf_addf(&sql, " AND (%s)", f->where);
	strbuf_addf(&sql, " %s", tail);
	if (sqlite3_prepare_v2(db, sql.buf, -1, &st, &rest) != SQLITE_OK) {
		error("cannot select records%s: %s", f->where ? " (check --where)" : "", sqlite3_errmsg(db));
		*usage = f->where != NULL;
		st = NULL;
		goto out;
	}
	if (rest && *rest) {
		error("--where must be one condition, without ';'");
		*usage = 1;
	} else if (!sqlite3_stmt_readonly(st)) {
		error("--where must only read the corpus");
		*usage = 1;
	} else {
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
out:
	string_list_clear(&stages);
	strbuf_release(&sql);
	return st;
}

static int add_annotation_lines(sqlite3 *db, int64_t id, const char *prefix, struct strbuf *out);

static char *column_dup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return xstrdup(s ? s : "");
}

int review_item_load(sqlite3 *db, int64_t id, struct review_item *it)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT r.instruction, r.input, r.output, r.system, r.history, r.stage, "
		"coalesce(r.reason, ''), r.origin, coalesce(s.name, ''), coalesce(t.name, ''), "
		"r.quality, r.lang, coalesce(r.parent_id, 0), coalesce(r.task_id, 0), "
		"coalesce(r.source_id, 0) "
		"FROM records r LEFT JOIN sources s ON s.id = r.source_id "
		"LEFT JOIN tasks t ON t.id = r.task_id WHERE r.id = ?");
	int rc;
	memset(it, 0, sizeof(*it));
	strbuf_init(&it->annotations, 0);
	it->id = id;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 1 : error("corpus: %s", sqlite3_errmsg(db));
	}
	for (int i = 0; i < 5; i++)
		it->field[i] = column_dup(st, i);
	it->stage = column_dup(st, 5);
	it->reason = column_dup(st, 6);
	it->origin = column_dup(st, 7);
	it->source = column_dup(st, 8);
	it->task = column_dup(st, 9);
	it->has_quality = sqlite3_column_type(st, 10) != SQLITE_NULL;
	it->quality = sqlite3_column_double(st, 10);
	it->lang = column_dup(st, 11);
	it->parent_id = sqlite3_column_int64(st, 12);
	it->task_id = sqlite3_column_int64(st, 13);
	it->source_id = sqlite3_column_int64(st, 14);
	sqlite3_finalize(st);
	/* a corrected copy shows the critique it answers (the original's annotations) first */
	if (it->parent_id && !strcmp(it->origin, "fix") &&
	    add_annotation_lines(db, it->parent_id, "before the fix", &it->annotations))
		return -1;
	return add_annotation_lines(db, id, NULL, &it->annotations);
}

/* Appends one line per annotation of record id, each starting with "record N, prefix: " when prefix. */
static int add_annotation_lines(sqlite3 *db, int64_t id, const char *prefix, struct strbuf *out)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT author, verdict, coalesce(scores, ''), tags, note, "
					      "created_at FROM annotations WHERE record_id = ? ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *scores = (const char *)sqlite3_column_text(st, 2);
		const char *tags = (const char *)sqlite3_column_text(st, 3);
		const char *note = (const char *)sqlite3_column_text(st, 4);
		if (prefix)
			strbuf_addf(out, "record %lld, %s: ", (long long)id, prefix);
		strbuf_addf(out, "%.10s %s: %s", sqlite3_column_text(st, 5),
			    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
		if (scores && *scores)
			strbuf_addf(out, " %s", scores);
		if (tags && *tags)
			strbuf_addf(out, " [%s]", tags);
		if (note && *note)
			strbuf_addf(out, " \u2014 %s", note);
		strbuf_addch(out, '\n');
	}
	sqlite3_finalize(st);
	return 0;
}

void review_item_release(struct review_item *it)
{
	for (int i = 0; i < 5; i++)
		free(it->field[i]);
	free(it->stage);
	free(it->reason);
	free(it->origin);
	free(it->source);
	free(it->task);
	free(it->lang);
	strbuf_release(&it->annotations);
	memset(it, 0, sizeof(*it));
	strbuf_init(&it->annotations, 0);
}

const char *reviewer_name(const char *option)
{
	const char *env;
	if (option && *option)
		return option;
	if ((env = getenv("WINNOW_REVIEWER")) && *env)
		return env;
	if ((env = getenv("USER")) && *env)
		return env;
	return "reviewer";
}
