/*
 * corpus.h - the public API of db/: opening and migrating the corpus, the
 * record model and its stage machine, the runs log, and the commands that
 * live here (init, import, export, search, sql, stats, schema).
 *
 * The corpus is one SQLite file in WAL mode. Every connection has foreign
 * keys on and a busy timeout, so a cron job and a person running
 * `winnow sql` can use it at the same time.
 */
#ifndef WINNOW_CORPUS_H
#define WINNOW_CORPUS_H

#include <sqlite3.h>
#include <stdint.h>

#include "../lib/strbuf.h"

enum corpus_flags {
	CORPUS_CREATE = 1 << 0,	/* create the file if it does not exist */
};

/*
 * Opens (and migrates) the corpus at path. Returns a connection, or NULL
 * after printing why (missing file without CORPUS_CREATE, not a corpus,
 * made by a newer winnow).
 */
sqlite3 *corpus_open(const char *path, unsigned flags);
void corpus_close(sqlite3 *db);
/* The schema version this build creates and understands. */
int corpus_schema_version(void);

/* Runs sql (no results); prints the SQLite message and returns -1 on error. */
int corpus_exec(sqlite3 *db, const char *sql);
/* First column of the first row as an integer (0 when no row), or -1 on error. */
int64_t corpus_int(sqlite3 *db, const char *sql);
/* Prepares sql or prints the SQLite error and returns NULL. */
sqlite3_stmt *corpus_prepare(sqlite3 *db, const char *sql);

/* ---- records and the stage machine ---- */

enum record_stage {
	STAGE_RAW, STAGE_CLEAN, STAGE_UNIQUE, STAGE_APPROVED,
	STAGE_REJECTED, STAGE_DUPLICATE, STAGE_COUNT
};
const char *stage_name(enum record_stage s);
/* Returns the stage for a name, or -1. */
int stage_from_name(const char *name);
/* 1 if moving a record from `from` to `to` is legal. */
int stage_transition_ok(enum record_stage from, enum record_stage to);
/*
 * Moves one record to `to`, recording reason (may be NULL) and, for
 * duplicates, the record kept instead (0 for none). Returns 0, or -1 with
 * an error when the record is missing or the move is illegal.
 */
int record_move(sqlite3 *db, int64_t id, enum record_stage to, const char *reason,
		int64_t duplicate_of);

/* An Alpaca record; the strings are borrowed, not owned. */
struct record {
	const char *instruction, *input, *output, *system;
	const char *history;	/* JSON array of [question, answer] pairs, "[]" when none */
	size_t instruction_len, input_len, output_len, system_len, history_len;
};

/* LLaMA-Factory's other fields (records.tools, ... in `winnow schema`); all zero for none. */
struct record_extra {
	const char *tools, *rejected, *media, *turn_roles;	/* rejected: NULL for none */
	size_t tools_len, rejected_len, media_len, turn_roles_len;
	int kto;	/* 0 unlabelled, KTO_GOOD or KTO_BAD */
};
enum { KTO_GOOD = 1, KTO_BAD = 2 };

/* The content hash that makes imports idempotent. */
int64_t record_hash(const struct record *r);
/* The same for a record with extra fields (x may be NULL: record_hash). */
int64_t record_hash_extra(const struct record *r, const struct record_extra *x);
/* documents.content_hash: of title and text, so equal text is stored once. */
int64_t document_hash(const char *title, size_t title_len, const char *text, size_t text_len);

/* A prepared INSERT for adding many records quickly inside a transaction. */
struct record_inserter {
	sqlite3 *db;
	sqlite3_stmt *insert;
	char now[32];
};
int record_inserter_init(struct record_inserter *ins, sqlite3 *db);
void record_inserter_release(struct record_inserter *ins);
/*
 * Adds r at stage raw. origin is crawl/import/generate/augment/fix; ids of 0
 * mean none. Returns the new id, 0 when an identical record already exists,
 * or -1 after printing the SQLite error.
 */
int64_t record_insert(struct record_inserter *ins, const struct record *r, const char *origin,
		      int64_t source_id, int64_t task_id, int64_t parent_id);
/* The same with record_hash(r) already computed (import hashes on its reader thread). */
int64_t record_insert_hashed(struct record_inserter *ins, const struct record *r, int64_t hash,
			     const char *origin, int64_t source_id, int64_t task_id, int64_t parent_id);
/* The same with extra fields (x may be NULL); hash from record_hash_extra. */
int64_t record_insert_extra(struct record_inserter *ins, const struct record *r,
			    const struct record_extra *x, int64_t hash, const char *origin,
			    int64_t source_id, int64_t task_id, int64_t parent_id);

/* The id of the source called name, created with kind/location if new; -1 on error. */
int64_t source_ensure(sqlite3 *db, const char *name, const char *kind, const char *location);

/*
 * One `winnow COMMAND` at a time per corpus: takes the flock of the file
 * CORPUS-COMMAND.lock (a killed holder releases it with its last breath).
 * Returns the descriptor to close when done, -2 after saying another one
 * holds it (exit 75), or -1 after an error message.
 */
int corpus_command_lock(const char *command);

/* ---- runs ---- */

/*
 * The runs log. Rules:
 *  1. A writer's row is inserted at run_begin (status 'running', its pid and
 *     host) so that rows it writes can point at runs.id; run_end completes it.
 *  2. A reader (run_begin_read) never waits for the write lock: its whole row
 *     is inserted at run_end if the lock is free at once, else appended to the
 *     side file CORPUS-runs, which the next writer's run_begin merges in.
 *     A merged line is never inserted twice (pid, host and start identify it).
 *  3. run_begin marks 'killed' the 'running' rows of this host whose process
 *     is gone (kill -9, power loss), so 'running' means running.
 */
struct run {
	sqlite3 *db;
	int64_t id;		/* 0 while the row is not in the table */
	const char *command;
	double start;
	char started_at[32];
	int reader;		/* read-only command: rule 2 */
	struct strbuf counts;	/* JSON object members, without braces */
};
/* This machine's name ("localhost" when it has none), as runs and locks record it. */
const char *host_name(void);
/* Remembers the command line as typed (main.c calls it before dispatch). */
void run_set_argv(int argc, char **argv);
/* Records the start of a command in `runs` with the remembered arguments. */
void run_begin(struct run *run, sqlite3 *db, const char *command);
/* The same for a read-only command: nothing is written until run_end (rule 2). */
void run_begin_read(struct run *run, sqlite3 *db, const char *command);
void run_count(struct run *run, const char *name, int64_t value);
/*
 * Records the end with the exit code and prints "COMMAND: summary (N.N s)"
 * on stderr. Returns exit_code so a command can `return run_end(...)`.
 */
int run_end(struct run *run, int exit_code, const char *summary_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- a command's hold on the corpus ---- */

/*
 * What every corpus command does first and last, in one place (git's
 * RUN_SETUP): open the corpus, record the run; at the end record the exit
 * code and summary and close. Usage:
 *
 *	struct command cmd;
 *	if ((rc = command_begin(&cmd, "judge", COMMAND_CREATE)))
 *		return rc;
 *	... work on cmd.db, counts with run_count(&cmd.run, ...) ...
 *	return command_end(&cmd, rc, "%ld records judged", n);
 */
struct command {
	sqlite3 *db;
	struct run run;
};
enum command_flags {
	COMMAND_CREATE = 1 << 0,	/* create the corpus if it does not exist */
};
/* Returns 0, or the exit code after printing why the corpus cannot be used. */
int command_begin(struct command *cmd, const char *name, unsigned flags);
/* run_end with the summary, then closes the corpus. Returns exit_code. */
int command_end(struct command *cmd, int exit_code, const char *summary_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * BEGIN IMMEDIATE, or the one message for a corpus another process is
 * writing to ("the corpus is busy ...; try again later"). Returns 0, or -1
 * after printing it (the caller exits 75).
 */
int corpus_begin_write(sqlite3 *db);

/* ---- full-text search ---- */

/*
 * Brings the FTS indexes up to date (progress bar). Returns 0, -1 on error,
 * or with nowait 1 when a writer holds the corpus and the indexes were left
 * behind (search then scans the rows they do not cover).
 */
int fts_sync(sqlite3 *db, int nowait);

/* ---- commands ---- */
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_schema(int argc, char **argv);

#endif
