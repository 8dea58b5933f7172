/*
 * annotate_internal.h - what the files of annotate/ share: choosing
 * records (--task, --source, --stage, --where), loading one for display,
 * and applying or undoing a reviewer's decision.
 */
#ifndef WINNOW_ANNOTATE_INTERNAL_H
#define WINNOW_ANNOTATE_INTERNAL_H

#include "annotate.h"
#include "../llm/llm.h"
#include "../db/corpus.h"

#include <sqlite3.h>

/* ---- choosing records (records.c) ---- */

struct record_filter {
	const char *task, *source, *where;
	struct string_list stages;	/* empty: the caller's default */
};

/*
 * Checks the filter against the corpus (the task and source exist, the
 * stages are names) and prepares "SELECT <columns> FROM records r WHERE
 * <filter> <tail>". columns and tail are the caller's SQL. Returns the
 * statement, or NULL after printing what is wrong; *usage is set when the
 * fault is in the command line (unknown name, bad --where).
 */
sqlite3_stmt *filter_prepare(sqlite3 *db, const struct record_filter *f, const char *default_stages,
			     const char *columns, const char *tail, int *usage);

/* A record as the reviewer shows it; every string owned. */
struct review_item {
	int64_t id, parent_id, task_id, source_id;
	char *field[5];		/* instruction, input, output, system, history */
	char *stage, *reason, *origin, *source, *task, *lang;
	double quality;
	int has_quality;
	struct strbuf annotations;	/* one line per annotation, oldest first */
};
/* Loads record id; returns 0, 1 when it no longer exists, -1 on error. */
int review_item_load(sqlite3 *db, int64_t id, struct review_item *it);
void review_item_release(struct review_item *it);

/* The reviewer's name: --reviewer, else $WINNOW_REVIEWER, else $USER, else "reviewer". */
const char *reviewer_name(const char *option);

/* ---- decisions (decide.c) ---- */

enum verdict { VERDICT_NONE, VERDICT_ACCEPT, VERDICT_REJECT, VERDICT_EDIT };
const char *verdict_name(enum verdict v);

/* One decision, kept so it can be undone. */
struct decision {
	int64_t record_id;
	enum verdict verdict;
	int64_t annotation_id;
	int64_t new_record_id;		/* VERDICT_EDIT: the new version */
	enum record_stage prev_stage;
	char *prev_reason;		/* owned; NULL when there was none */
};
void decision_release(struct decision *d);

/*
 * Applies a decision inside the caller's transaction: accept (-> approved;
 * a raw record without an output, a generated question, stays raw for
 * `winnow answer`), reject (-> rejected, reason "review" or "review: TAGS";
 * a note becomes task feedback of the kind feedback_kind() gives), edit
 * (edited is the new text: a new raw record, origin fix, parent = this one;
 * this one -> rejected, reason "edited"). Fills d for decision_undo.
 * Returns 0, 1 when an edit's text already exists in the corpus (nothing
 * changed), or -1 after printing why.
 */
int decision_apply(sqlite3 *db, struct decision *d, int64_t record_id, enum verdict v,
		   const char *author, const char *tags, const char *note, const char *note_for,
		   const struct record *edited);
/*
 * Which rules a rejection note joins, "question" (generate's) or "answer"
 * (answer's and fix's): note_for when it names one, "question" for a
 * record without an output, else the error tags, else words in the note
 * about the answer ("答非所问", "the answer ..."), else "question".
 */
const char *feedback_kind(const char *note_for, const char *tags, const char *note, int has_output);
/*
 * Undoes d inside the caller's transaction: removes its annotation and
 * feedback, deletes an edit's new version (only while it is still raw and
 * nothing was derived from it) and moves the record back. Returns 0 or -1.
 */
int decision_undo(sqlite3 *db, struct decision *d);

/* Inserts an annotation; returns its id or -1. scores may be NULL. */
int64_t annotation_insert(sqlite3 *db, int64_t record_id, const char *author, const char *verdict,
			  const char *scores, const char *tags, const char *note);

/* Moves a record to `to`, through unique when there is no direct edge. */
int move_record(sqlite3 *db, int64_t id, enum record_stage from, enum record_stage to,
		const char *reason);

/* Opens path in $VISUAL / $EDITOR / vi and waits. Returns 0, or -1 when it failed. */
int edit_in_editor(const char *path);

/* ---- review export/import (review_io.c) ---- */
int review_export(sqlite3 *db, const struct record_filter *f, const char *path, long limit,
		  struct run *run);
int review_import(sqlite3 *db, const char *path, const char *author, struct run *run);

/* ---- the terminal reviewer (review.c) ---- */
/*
 * Runs the reviewer on stdin/stdout (both terminals). Returns 0 after the
 * person quits (summary filled), 1 when no record matches, -1 on error.
 */
int review_tui(sqlite3 *db, const struct record_filter *f, long batch, const char *author,
	       struct run *run, struct strbuf *summary);

#endif
