/*
 * stage.c - the record stage machine, written down once.
 *
 *   raw ──▶ clean ──▶ unique ──▶ approved
 *    │        │ │        │ │        │
 *    └────────┴─┴────────┴─┴────────┴──▶ rejected / duplicate (dead ends)
 *
 * Invariants:
 *  1. Every record is created at `raw`: record_insert() never names a
 *     stage, so the column default applies. (A trigger could refuse other
 *     stages on INSERT, but it cost 15% of a bulk import.)
 *  2. A record's stage changes only along the edges in `transitions`; the
 *     corpus enforces this with a trigger reading stage_transitions, which
 *     stage_sync_table() keeps equal to this table, so even `winnow sql
 *     --write` cannot make an illegal move.
 *  3. rejected and duplicate keep their reason (records.reason,
 *     records.duplicate_of); they only leave through the explicit
 *     requeue/undo edges below.
 */
#include "corpus.h"
#include "db_internal.h"
#include "../lib/util.h"

#include <string.h>

static const char *const stage_names[STAGE_COUNT] = {
	[STAGE_RAW] = "raw",
	[STAGE_CLEAN] = "clean",
	[STAGE_UNIQUE] = "unique",
	[STAGE_APPROVED] = "approved",
	[STAGE_REJECTED] = "rejected",
	[STAGE_DUPLICATE] = "duplicate",
};

static const struct transition {
	enum record_stage from, to;
	const char *why;
} transitions[] = {
	{ STAGE_RAW, STAGE_CLEAN, "clean: normalised and passed the filters" },
	{ STAGE_RAW, STAGE_REJECTED, "clean: a filter rejected it" },
	{ STAGE_CLEAN, STAGE_UNIQUE, "dedupe: no earlier copy" },
	{ STAGE_CLEAN, STAGE_DUPLICATE, "dedupe: another record is kept instead" },
	{ STAGE_CLEAN, STAGE_REJECTED, "dedupe: conflict or contamination rejected" },
	{ STAGE_UNIQUE, STAGE_APPROVED, "review/judge accepted it" },
	{ STAGE_UNIQUE, STAGE_REJECTED, "review/judge rejected it" },
	{ STAGE_UNIQUE, STAGE_DUPLICATE, "dedupe: a better copy arrived later" },
	{ STAGE_APPROVED, STAGE_REJECTED, "a later review rejected it" },
	{ STAGE_APPROVED, STAGE_UNIQUE, "review undo" },
	{ STAGE_REJECTED, STAGE_UNIQUE, "review undo" },
	{ STAGE_REJECTED, STAGE_RAW, "requeue: run it through the pipeline again" },
	{ STAGE_DUPLICATE, STAGE_CLEAN, "requeue: dedupe it again" },
};

#define TRANSITION_COUNT (sizeof(transitions) / sizeof(transitions[0]))

const char *stage_name(enum record_stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_names[s] : "?";
}

int stage_from_name(const char *name)
{
	for (int i = 0; i < STAGE_COUNT; i++)
		if (!strcmp(stage_names[i], name))
			return i;
	return -1;
}

int stage_transition_ok(enum record_stage from, enum record_stage to)
{
	for (size_t i = 0; i < TRANSITION_COUNT; i++)
		if (transitions[i].from == from && transitions[i].to == to)
			return 1;
	return 0;
}

int stage_sync_table(sqlite3 *db)
{
	int rc = 0;

	int64_t have = corpus_int(db, "SELECT count(*) FROM stage_transitions");
	int same = have == (int64_t)TRANSITION_COUNT;
	if (same) {
		sqlite3_stmt *q = corpus_prepare(db, "SELECT 1 FROM stage_transitions "
						    "WHERE from_stage = ? AND to_stage = ?");
		if (!q)
			return -1;
		for (size_t i = 0; same && i < TRANSITION_COUNT; i++) {
			sqlite3_bind_text(q, 1, stage_name(transitions[i].from), -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, stage_name(transitions[i].to), -1, SQLITE_STATIC);
			same = sqlite3_step(q) == SQLITE_ROW;
			sqlite3_reset(q);
		}
		sqlite3_finalize(q);
	}
	if (!same) {
		if (corpus_exec(db, "BEGIN IMMEDIATE") ||
		    corpus_exec(db, "DELETE FROM stage_transitions")) {
			rc = -1;
		} else {
			sqlite3_stmt *ins = corpus_prepare(db, "INSERT INTO stage_transitions VALUES (?, ?)");
			for (size_t i = 0; ins && i < TRANSITION_COUNT; i++) {
				sqlite3_bind_text(ins, 1, stage_name(transitions[i].from), -1, SQLITE_STATIC);
				sqlite3_bind_text(ins, 2, stage_name(transitions[i].to), -1, SQLITE_STATIC);
				if (sqlite3_step(ins) != SQLITE_DONE)
					rc = -1;
				sqlite3_reset(ins);
			}
			sqlite3_finalize(ins);
			rc = (!ins || rc) ? -1 : corpus_exec(db, "COMMIT");
		}
		if (rc)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int record_move(sqlite3 *db, int64_t id, enum record_stage to, const char *reason,
		int64_t duplicate_of)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT stage FROM records WHERE id = ?");
	int from = -1;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		from = stage_from_name((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (from < 0)
		return error("no record %lld", (long long)id);
	if (from == (int)to)
		return 0;
	if (!stage_transition_ok((enum record_stage)from, to))
		return error("record %lld cannot move from %s to %s", (long long)id,
			     stage_name((enum record_stage)from), stage_name(to));
	st = corpus_prepare(db, "UPDATE records SET stage = ?, reason = ?, duplicate_of = ?, "
				"updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, stage_name(to), -1, SQLITE_STATIC);
	if (reason)
		sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	if (duplicate_of)
		sqlite3_bind_int64(st, 3, duplicate_of);
	sqlite3_bind_int64(st, 4, id);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : error("corpus: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}
