/*
 * decide.c - a reviewer's decision on one record, and its undo. The
 * terminal reviewer and --import both come through here, so a decision
 * always leaves the same trace: an annotation, a stage move, and for a
 * rejection with a note a feedback row for the record's task.
 *
 * Neither function opens a transaction: the caller wraps one decision (the
 * reviewer) or a whole file (--import) in BEGIN IMMEDIATE ... COMMIT.
 */
#include "annotate_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_ACCEPT: return "accept";
	case VERDICT_REJECT: return "reject";
	case VERDICT_EDIT: return "edit";
	default: return "none";
	}
}

void decision_release(struct decision *d)
{
	free(d->prev_reason);
	memset(d, 0, sizeof(*d));
}

int64_t annotation_insert(sqlite3 *db, int64_t record_id, const char *author, const char *verdict,
			  const char *scores, const char *tags, const char *note)
{
	char now[32];
	int64_t id = -1;
	sqlite3_stmt *st = corpus_prepare(db,
		"INSERT INTO annotations (record_id, author, verdict, scores, tags, note, created_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	now_iso(now, sizeof(now));
	sqlite3_bind_int64(st, 1, record_id);
	sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
	if (scores)
		sqlite3_bind_text(st, 4, scores, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, tags ? tags : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
	else
		error("corpus: cannot store the annotation: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return id;
}

int move_record(sqlite3 *db, int64_t id, enum record_stage from, enum record_stage to,
		const char *reason)
{
	if (from == to || stage_transition_ok(from, to))
		return record_move(db, id, to, reason, 0);
	if (stage_transition_ok(from, STAGE_UNIQUE) && stage_transition_ok(STAGE_UNIQUE, to))
		return record_move(db, id, STAGE_UNIQUE, NULL, 0) ? -1 : record_move(db, id, to, reason, 0);
	return error("record %lld is %s and cannot become %s", (long long)id, stage_name(from),
		     stage_name(to));
}

/* The reason column may be changed without a stage move (same stage). */
static int set_reason(sqlite3 *db, int64_t id, const char *reason)
{
	sqlite3_stmt *st = corpus_prepare(db, "UPDATE records SET reason = ? WHERE id = ?");
	int rc;
	if (!st)
		return -1;
	if (reason)
		sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : error("corpus: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* Error tags that say which half of a record a note is about. */
static const char *const answer_tags[] = {
	"answer", "output", "factual", "correctness", "incorrect", "wrong", "incomplete", "off-topic",
	"hallucination", "style", "tone", "length", "答案", "回答", "答非所问", "事实", NULL
};
static const char *const question_tags[] = {
	"question", "instruction", "prompt", "unclear", "ambiguous", "duplicate", "问题", "提问", NULL
};
/* Words in a note that point at the answer (checked after the tags). */
static const char *const answer_words[] = {
	"answer", "output", "response", "reply", "答", "回复", "输出", NULL
};

static int has_any(const char *text, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strstr(text, words[i]))
			return 1;
	return 0;
}

const char *feedback_kind(const char *note_for, const char *tags, const char *note, int has_output)
{
	if (note_for && (!strcmp(note_for, "question") || !strcmp(note_for, "answer")))
		return note_for;
	if (!has_output)
		return "question";	/* nothing but a question to be wrong about */
	if (tags && *tags) {
		struct string_list parts = STRING_LIST_INIT;
		int a = 0, q = 0;
		string_list_split(&parts, tags, ',');
		for (size_t i = 0; i < parts.nr; i++) {
			for (int k = 0; answer_tags[k]; k++)
				a |= !strcmp(answer_tags[k], parts.items[i]);
			for (int k = 0; question_tags[k]; k++)
				q |= !strcmp(question_tags[k], parts.items[i]);
		}
		string_list_clear(&parts);
		if (a != q)
			return a ? "answer" : "question";
	}
	return note && has_any(note, answer_words) ? "answer" : "question";
}

static int add_feedback(sqlite3 *db, int64_t record_id, int64_t annotation_id, const char *note,
			const char *kind)
{
	char now[32];
	int rc = 0;
	sqlite3_stmt *st = corpus_prepare(db,
		"INSERT OR IGNORE INTO feedback (task_id, text, origin, kind, annotation_id, created_at) "
		"SELECT task_id, ?, 'review', ?, ?, ? FROM records WHERE id = ? AND task_id IS NOT NULL");
	if (!st)
		return -1;
	now_iso(now, sizeof(now));
	sqlite3_bind_text(st, 1, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, annotation_id);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, record_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = error("corpus: cannot add the note as feedback: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int decision_apply(sqlite3 *db, struct decision *d, int64_t record_id, enum verdict v,
		   const char *author, const char *tags, const char *note, const char *note_for,
		   const struct record *edited)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT stage, reason, source_id, task_id, output <> '' "
					      "FROM records WHERE id = ?");
	int64_t source_id = 0, task_id = 0;
	int stage = -1, has_output = 1;
	char *reason = NULL;
	struct strbuf why = STRBUF_INIT;

	memset(d, 0, sizeof(*d));
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, record_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		stage = stage_from_name((const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			reason = xstrdup((const char *)sqlite3_column_text(st, 1));
		source_id = sqlite3_column_int64(st, 2);
		task_id = sqlite3_column_int64(st, 3);
		has_output = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	if (stage < 0)
		return error("there is no record %lld", (long long)record_id);
	d->record_id = record_id;
	d->verdict = v;
	d->prev_stage = (enum record_stage)stage;
	d->prev_reason = reason;

	if (v == VERDICT_EDIT) {
		struct record_inserter ins;
		if (record_inserter_init(&ins, db))
			return -1;
		d->new_record_id = record_insert(&ins, edited, "fix", source_id, task_id, record_id);
		record_inserter_release(&ins);
		if (d->new_record_id <= 0)
			return d->new_record_id < 0 ? -1 : 1;
		strbuf_addf(&why, "edited into record %lld", (long long)d->new_record_id);
		d->annotation_id = annotation_insert(db, record_id, author, "edit", NULL, tags, why.buf);
		strbuf_release(&why);
		if (d->annotation_id < 0)
			return -1;
		return move_record(db, record_id, d->prev_stage, STAGE_REJECTED, "edited");
	}

	d->annotation_id = annotation_insert(db, record_id, author, v == VERDICT_ACCEPT ? "accept" : "reject",
					     NULL, tags, note);
	if (d->annotation_id < 0)
		return -1;
	if (v == VERDICT_ACCEPT && d->prev_stage == STAGE_RAW && !has_output)
		return 0;	/* a question accepted: it stays raw for `winnow answer` */
	if (v == VERDICT_ACCEPT)
		return move_record(db, record_id, d->prev_stage, STAGE_APPROVED, NULL);

	if (tags && *tags)
		strbuf_addf(&why, "review: %s", tags);
	else
		strbuf_addstr(&why, "review");
	int rc = move_record(db, record_id, d->prev_stage, STAGE_REJECTED, why.buf);
	if (!rc && d->prev_stage == STAGE_REJECTED)
		rc = set_reason(db, record_id, why.buf);
	strbuf_release(&why);
	if (!rc && note && *note)
		rc = add_feedback(db, record_id, d->annotation_id, note,
				  feedback_kind(note_for, tags, note, has_output));
	return rc;
}

int decision_undo(sqlite3 *db, struct decision *d)
{
	char *sql;
	int rc;
	int64_t stage;

	if (d->verdict == VERDICT_NONE)
		return 0;
	if (d->new_record_id) {
		sql = xstrfmt("DELETE FROM records WHERE id = %lld AND stage = 'raw' AND NOT EXISTS "
			      "(SELECT 1 FROM records c WHERE c.parent_id = %lld) AND NOT EXISTS "
			      "(SELECT 1 FROM annotations a WHERE a.record_id = %lld)",
			      (long long)d->new_record_id, (long long)d->new_record_id,
			      (long long)d->new_record_id);
		rc = corpus_exec(db, sql);
		free(sql);
		if (rc)
			return -1;
		if (sqlite3_changes(db) != 1)
			return error("the edited version (record %lld) has moved on; it cannot be taken back",
				     (long long)d->new_record_id);
	}
	sql = xstrfmt("DELETE FROM feedback WHERE annotation_id = %lld; "
		      "DELETE FROM annotations WHERE id = %lld",
		      (long long)d->annotation_id, (long long)d->annotation_id);
	rc = corpus_exec(db, sql);
	free(sql);
	if (rc)
		return -1;
	sql = xstrfmt("SELECT CASE stage WHEN 'raw' THEN 0 WHEN 'clean' THEN 1 WHEN 'unique' THEN 2 "
		      "WHEN 'approved' THEN 3 WHEN 'rejected' THEN 4 ELSE 5 END FROM records WHERE id = %lld",
		      (long long)d->record_id);
	stage = corpus_int(db, sql);
	free(sql);
	if (stage < 0)
		return -1;
	if (move_record(db, d->record_id, (enum record_stage)stage, d->prev_stage, d->prev_reason))
		return -1;
	if (set_reason(db, d->record_id, d->prev_reason))
		return -1;
	d->verdict = VERDICT_NONE;
	return 0;
}
