/*
 * review_io.c - reviewing elsewhere: `winnow review --export FILE` writes
 * the records to review as JSON Lines, a person (or another tool) fills
 * in "decision" ("accept", "reject", "edit" or null), "tags" and "note"
 * and may correct the text, and `--import FILE` applies the decisions.
 *
 * Invariants:
 *  1. An import is one transaction: a malformed line (named by line and
 *     field) changes nothing, and the exit code is 65.
 *  2. Importing the same file twice adds nothing the second time: a
 *     decision already recorded by the same reviewer is skipped.
 *  3. The export is written to a temporary file and renamed, so a reader
 *     never sees half a file.
 */
#include "annotate_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const text_fields[5] = { "instruction", "input", "output", "system", "history" };

static void add_key(struct strbuf *sb, const char *key)
{
	strbuf_addch(sb, ',');
	json_write_string(sb, key, strlen(key));
	strbuf_addch(sb, ':');
}

static void add_str(struct strbuf *sb, const char *key, const char *value)
{
	add_key(sb, key);
	json_write_string(sb, value, strlen(value));
}

/* The annotations of record id as a JSON array under key. */
static void add_annotations(sqlite3_stmt *st, const char *key, int64_t id, struct strbuf *sb)
{
	int first = 1;
	add_key(sb, key);
	strbuf_addch(sb, '[');
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strbuf_addstr(sb, first ? "{" : ",{");
		first = 0;
		strbuf_addstr(sb, "\"author\":");
		const char *s = (const char *)sqlite3_column_text(st, 0);
		json_write_string(sb, s, strlen(s));
		add_str(sb, "verdict", (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			add_key(sb, "scores");
			strbuf_addstr(sb, (const char *)sqlite3_column_text(st, 2));
		}
		add_str(sb, "tags", (const char *)sqlite3_column_text(st, 3));
		add_str(sb, "note", (const char *)sqlite3_column_text(st, 4));
		add_str(sb, "created_at", (const char *)sqlite3_column_text(st, 5));
		strbuf_addch(sb, '}');
	}
	sqlite3_reset(st);
	strbuf_addch(sb, ']');
}

int review_export(sqlite3 *db, const struct record_filter *f, const char *path, long limit,
		  struct run *run)
{
	int usage, rc = 0, to_stdout = !strcmp(path, "-");
	long n = 0;
	char *tmp = NULL;
	FILE *out = stdout;
	struct strbuf line = STRBUF_INIT;
	sqlite3_stmt *ann = NULL;
	sqlite3_stmt *st = filter_prepare(db, f, "unique",
		"r.id, r.stage, r.origin, coalesce((SELECT name FROM sources WHERE id = r.source_id), ''), "
		"coalesce((SELECT name FROM tasks WHERE id = r.task_id), ''), r.quality, "
		"r.instruction, r.input, r.output, r.system, r.history, "
		"CASE WHEN r.origin = 'fix' THEN coalesce(r.parent_id, 0) ELSE 0 END",
		"ORDER BY r.id LIMIT :limit", &usage);
	if (!st)
		return usage ? EXIT_USAGE : EXIT_FAILURE_;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), limit > 0 ? limit : -1);
	ann = corpus_prepare(db, "SELECT author, verdict, scores, tags, note, created_at FROM annotations "
				 "WHERE record_id = ? ORDER BY id");
	if (!ann) {
		sqlite3_finalize(st);
		return EXIT_FAILURE_;
	}
	if (!to_stdout) {
		if (make_parent_dirs(path)) {
			rc = EXIT_FAILURE_;
			goto out;
		}
		tmp = xstrfmt("%s.tmp%ld", path, (long)getpid());
		out = fopen(tmp, "wb");
		if (!out) {
			error("cannot write '%s': %s", tmp, strerror(errno));
			rc = EXIT_FAILURE_;
			goto out;
		}
	}
	corpus_exec(db, "BEGIN");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		strbuf_reset(&line);
		strbuf_addf(&line, "{\"id\":%lld", (long long)id);
		add_str(&line, "stage", (const char *)sqlite3_column_text(st, 1));
		add_str(&line, "origin", (const char *)sqlite3_column_text(st, 2));
		add_str(&line, "source", (const char *)sqlite3_column_text(st, 3));
		add_str(&line, "task", (const char *)sqlite3_column_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			add_key(&line, "quality");
			strbuf_addf(&line, "%.4g", sqlite3_column_double(st, 5));
		}
		for (int i = 0; i < 4; i++)
			add_str(&line, text_fields[i], (const char *)sqlite3_column_text(st, 6 + i));
		add_key(&line, "history");
		strbuf_addstr(&line, (const char *)sqlite3_column_text(st, 10));
		add_annotations(ann, "annotations", id, &line);
		if (sqlite3_column_int64(st, 11)) {
			/* a corrected copy: the critique it answers is on the original */
			add_key(&line, "fixed_from");
			strbuf_addf(&line, "%lld", (long long)sqlite3_column_int64(st, 11));
			add_annotations(ann, "critique", sqlite3_column_int64(st, 11), &line);
		}
		strbuf_addstr(&line, ",\"decision\":null,\"tags\":\"\",\"note\":\"\",\"note_for\":null}\n");
		if (fwrite(line.buf, 1, line.len, out) != line.len)
			break;
		n++;
	}
	corpus_exec(db, "COMMIT");
	if (!to_stdout) {
		if (ferror(out) | fclose(out)) {
			error("cannot write '%s': %s", tmp, strerror(errno));
			unlink(tmp);
			rc = EXIT_FAILURE_;
			goto out;
		}
		if (rename(tmp, path)) {
			error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
			unlink(tmp);
			rc = EXIT_FAILURE_;
			goto out;
		}
	} else {
		fflush(stdout);
	}
	run_count(run, "exported", n);
out:
	free(tmp);
	strbuf_release(&line);
	sqlite3_finalize(ann);
	sqlite3_finalize(st);
	if (!rc)
		rc = run_end(run, EXIT_OK, "%ld record%s written to %s for review; fill in \"decision\", "
			     "\"tags\", \"note\" and bring them back with 'winnow review --import'", n,
			     n == 1 ? "" : "s", to_stdout ? "stdout" : path);
	else
		rc = run_end(run, rc, "nothing exported");
	return rc;
}

/* ---- import ---- */

struct import_totals {
	long accepted, rejected, edited, undecided, already, moved_on;
};

/* Reads "tags": a string or a list of strings, into out (comma-separated). */
static int read_tags(json_t *v, struct strbuf *out)
{
	size_t i;
	json_t *t;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		strbuf_addstr(out, json_string_value(v));
		strbuf_trim(out);
		return 0;
	}
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, t) {
		if (!json_is_string(t))
			return -1;
		if (out->len)
			strbuf_addch(out, ',');
		strbuf_addstr(out, json_string_value(t));
	}
	return 0;
}

static int blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return !*s;
}

/* 1 if the record already carries this decision by this reviewer. */
static int already_decided(sqlite3 *db, int64_t id, const char *author, const char *verdict,
			   const char *tags, const char *note)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT count(*) FROM annotations WHERE record_id = ? "
					      "AND author = ? AND verdict = ? AND tags = ? AND note = ?");
	int found = 0;
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, tags, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		found = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return found;
}

/* What one line of a reviewed file asks for. Strings point into the JSON object. */
struct line_decision {
	int64_t id;
	enum verdict verdict;
	const char *decision, *note, *note_for, *author;
	struct strbuf tags;
};

#define BAD(...) do { error(__VA_ARGS__); return -1; } while (0)

/* Reads id, decision, tags, note, note_for and reviewer. Returns 0, or -1 after naming the bad field. */
static int read_decision(const char *where, json_t *obj, struct line_decision *ld)
{
	json_t *jid = json_object_get(obj, "id"), *jd = json_object_get(obj, "decision");
	json_t *jn = json_object_get(obj, "note"), *jr = json_object_get(obj, "reviewer");
	json_t *jf = json_object_get(obj, "note_for");
	const char *dec = json_is_string(jd) ? json_string_value(jd) : NULL;
	if (!json_is_object(obj))
		BAD("%s: each line must be a JSON object, not %s", where, json_type_name(obj));
	if (!json_is_integer(jid) || (ld->id = (int64_t)json_integer_value(jid)) <= 0)
		BAD("%s: field \"id\" must be the record id (a positive integer)", where);
	if (jd && !json_is_null(jd) && !dec)
		BAD("%s: field \"decision\" must be \"accept\", \"reject\", \"edit\" or null", where);
	ld->decision = dec;
	if (!dec || !*dec || !strcmp(dec, "skip"))
		ld->verdict = VERDICT_NONE;
	else if (!strcmp(dec, "accept"))
		ld->verdict = VERDICT_ACCEPT;
	else if (!strcmp(dec, "reject"))
		ld->verdict = VERDICT_REJECT;
	else if (!strcmp(dec, "edit"))
		ld->verdict = VERDICT_EDIT;
	else
		BAD("%s: field \"decision\": '%s' is not accept, reject, edit or null", where, dec);
	if (read_tags(json_object_get(obj, "tags"), &ld->tags))
		BAD("%s: field \"tags\" must be a string or a list of strings", where);
	if (jn && !json_is_null(jn) && !json_is_string(jn))
		BAD("%s: field \"note\" must be a string", where);
	ld->note = json_is_string(jn) ? json_string_value(jn) : "";
	ld->note_for = json_is_string(jf) ? json_string_value(jf) : NULL;
	if (jf && !json_is_null(jf) && (!ld->note_for || (strcmp(ld->note_for, "question") &&
							   strcmp(ld->note_for, "answer"))))
		BAD("%s: field \"note_for\" must be \"question\", \"answer\" or null", where);
	if (jr && !json_is_null(jr) && (!json_is_string(jr) || !*json_string_value(jr)))
		BAD("%s: field \"reviewer\" must be a name", where);
	if (json_is_string(jr))
		ld->author = json_string_value(jr);
	return 0;
}

/*
 * The text of the line, field by field (unchanged fields may be left out):
 * field_text[i] points at the item's text or the line's; *history_out is
 * an owned changed history. Returns 1 when something changed, 0, or -1.
 */
static int read_text(const char *where, json_t *obj, const struct review_item *it,
		     const char *field_text[5], char **history_out)
{
	int changed = 0;
	for (int i = 0; i < 5; i++) {
		json_t *f = json_object_get(obj, text_fields[i]);
		field_text[i] = it->field[i];
		if (!f || json_is_null(f))
			continue;
		if (i == 4) {
			json_t *have = json_loads(it->field[4], 0, NULL);
			int same = have && json_equal(have, f);
			json_decref(have);
			if (!json_is_array(f))
				BAD("%s: field \"history\" must be a list of [question, answer] pairs", where);
			if (!same) {
				*history_out = json_dumps(f, JSON_COMPACT);
				field_text[4] = *history_out;
				changed = 1;
			}
			continue;
		}
		if (!json_is_string(f))
			BAD("%s: field \"%s\" must be a string", where, text_fields[i]);
		if (strcmp(json_string_value(f), it->field[i])) {
			field_text[i] = json_string_value(f);
			changed = 1;
		}
	}
	return changed;
}

/* Whether a record at this stage can take a decision: unique, approved, rejected, or a raw question. */
static int reviewable(int stage, const struct review_item *it)
{
	return stage == STAGE_UNIQUE || stage == STAGE_APPROVED || stage == STAGE_REJECTED ||
	       (stage == STAGE_RAW && !*it->field[2]);
}

/* The stage a decision leaves a record at (an accepted question stays raw). */
static int decided_stage(enum verdict v, const struct review_item *it)
{
	if (v != VERDICT_ACCEPT)
		return STAGE_REJECTED;
	return *it->field[2] ? STAGE_APPROVED : STAGE_RAW;
}

/*
 * Applies one line. Returns 0, or -1 after printing an error naming the
 * file, line and field (bad data, *bad set) or the corpus failure.
 */
static int import_line(sqlite3 *db, const char *where, json_t *obj, const char *author,
		       struct import_totals *tot, int *bad)
{
	struct line_decision ld = { 0, VERDICT_NONE, NULL, NULL, NULL, author, STRBUF_INIT };
	struct review_item it;
	struct decision d;
	const char *field_text[5];
	char *history = NULL;
	int changed, rc = -1, got, stage;

	memset(&it, 0, sizeof(it));
	strbuf_init(&it.annotations, 0);
	*bad = 1;
	if (read_decision(where, obj, &ld))
		goto out;
	*bad = 0;
	if ((got = review_item_load(db, ld.id, &it)) != 0) {
		if (got > 0) {
			error("%s: field \"id\": there is no record %lld in this corpus", where, (long long)ld.id);
			*bad = 1;
		}
		goto out;
	}
	*bad = 1;
	if ((changed = read_text(where, obj, &it, field_text, &history)) < 0)
		goto out;
	if (changed && ld.verdict == VERDICT_ACCEPT)
		ld.verdict = VERDICT_EDIT;	/* a corrected text accepted: keep the correction */
	if (changed && ld.verdict != VERDICT_EDIT) {
		error("%s: record %lld: the text was changed but the decision is '%s'; use \"edit\" to keep the "
		      "change, or restore the text", where, (long long)ld.id, ld.decision ? ld.decision : "null");
		goto out;
	}
	if (ld.verdict == VERDICT_EDIT && !changed) {
		error("%s: record %lld: decision \"edit\" but no text was changed", where, (long long)ld.id);
		goto out;
	}
	if (ld.verdict == VERDICT_EDIT && (blank(field_text[0]) || (*it.field[2] && blank(field_text[2])))) {
		error("%s: record %lld: field \"%s\" must not be empty", where, (long long)ld.id,
		      blank(field_text[0]) ? "instruction" : "output");
		goto out;
	}
	*bad = 0;
	rc = 0;
	stage = stage_from_name(it.stage);
	if (ld.verdict == VERDICT_NONE) {
		tot->undecided++;
	} else if (!reviewable(stage, &it)) {
		warning("%s: record %lld is %s now (not unique, approved, rejected or a question without an "
			"output); its decision is left out", where, (long long)ld.id, it.stage);
		tot->moved_on++;
	} else if (ld.verdict != VERDICT_EDIT && stage == decided_stage(ld.verdict, &it) &&
		   already_decided(db, ld.id, ld.author, verdict_name(ld.verdict), ld.tags.buf, ld.note)) {
		tot->already++;
	} else {
		struct record r = { field_text[0], field_text[1], field_text[2], field_text[3], field_text[4],
				    strlen(field_text[0]), strlen(field_text[1]), strlen(field_text[2]),
				    strlen(field_text[3]), strlen(field_text[4]) };
		rc = decision_apply(db, &d, ld.id, ld.verdict, ld.author, ld.tags.buf, ld.note, ld.note_for,
				    ld.verdict == VERDICT_EDIT ? &r : NULL);
		decision_release(&d);
		if (rc == 1)
			tot->already++;	/* this text is in the corpus already (an earlier import) */
		else if (!rc)
			(*(ld.verdict == VERDICT_ACCEPT ? &tot->accepted : ld.verdict == VERDICT_REJECT ?
			   &tot->rejected : &tot->edited))++;
		rc = rc == 1 ? 0 : rc;
	}
out:
	free(history);
	review_item_release(&it);
	strbuf_release(&it.annotations);
	strbuf_release(&ld.tags);
	return rc;
}
#undef BAD

int review_import(sqlite3 *db, const char *path, const char *author, struct run *run)
{
	struct json_reader reader;
	struct import_totals tot;
	int bad = 0, rc = 0, got;

	memset(&tot, 0, sizeof(tot));
	if (json_reader_open(&reader, path, JSON_LAYOUT_LINES)) {
		error("cannot open '%s': %s", path, strerror(errno));
		return run_end(run, EXIT_FAILURE_, "nothing imported");
	}
	if (corpus_exec(db, "BEGIN IMMEDIATE")) {
		json_reader_close(&reader);
		return run_end(run, EXIT_TEMPFAIL, "the corpus is busy; nothing imported");
	}
	while ((got = json_reader_next(&reader)) > 0) {
		char err[200];
		json_t *obj = json_parse(reader.item.buf, reader.item.len, err, sizeof(err));
		if (!obj) {
			error("%s:%ld: not JSON: %s", path, reader.line, err);
			bad = 1;
			rc = -1;
			break;
		}
		char *where = xstrfmt("%s:%ld", path, reader.line);
		rc = import_line(db, where, obj, author, &tot, &bad);
		free(where);
		json_decref(obj);
		if (rc)
			break;
	}
	if (got < 0) {
		error("%s: %s", path, reader.err);
		bad = 1;
		rc = -1;
	}
	json_reader_close(&reader);
	if (rc || corpus_exec(db, "COMMIT")) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return run_end(run, bad ? EXIT_DATAERR : EXIT_FAILURE_, "nothing imported; the corpus is unchanged");
	}
	run_count(run, "accepted", tot.accepted);
	run_count(run, "rejected", tot.rejected);
	run_count(run, "edited", tot.edited);
	run_count(run, "undecided", tot.undecided);
	run_count(run, "already", tot.already);
	run_count(run, "moved_on", tot.moved_on);
	return run_end(run, EXIT_OK, "%ld accepted, %ld rejected, %ld edited; %ld without a decision, "
		       "%ld already recorded, %ld no longer reviewable", tot.accepted, tot.rejected,
		       tot.edited, tot.undecided, tot.already, tot.moved_on);
}
