/*
 * runs.c - the `runs` log: one row per command, so cron's night can be read
 * back. Its rules are in corpus.h; the two that shape this file are that a
 * read-only command never waits for a writer's lock to record itself (it
 * falls back to a side file the next writer merges), and that rows of dead
 * processes do not stay 'running'.
 */
#define _GNU_SOURCE
#include "corpus.h"
#include "db_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_MS 10000			/* corpus_open's busy timeout */
#define SIDE_FILE_MAX ((off_t)16 << 20)	/* a side file past this is not merged */

static char *run_args_json;

void run_set_argv(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addch(&sb, '[');
	for (int i = 0; i < argc; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		json_write_string(&sb, argv[i], strlen(argv[i]));
	}
	strbuf_addch(&sb, ']');
	free(run_args_json);
	run_args_json = strbuf_detach(&sb, NULL);
}

const char *host_name(void)
{
	static char host[256];
	if (!host[0] && gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	return host;
}

/* One row of `runs` as the table holds it; ended_at NULL while running. */
struct run_row {
	const char *command, *args, *started_at, *ended_at, *status, *counts, *summary, *host;
	double seconds;
	int exit_code;
	int64_t pid;
};

/*
 * Inserts row, or with merge set completes the row of the same process
 * (command, pid, host, start) if it is there: a side-file line merged twice,
 * or the end of a run whose start was recorded, lands once.
 * Returns the SQLite result code.
 */
static int row_write(sqlite3 *db, const struct run_row *r, int merge)
{
	static const char *const sql[2] = {
		"INSERT INTO runs (command, args, started_at, ended_at, seconds, exit_code, status, counts, "
		"summary, pid, host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		"UPDATE runs SET ended_at = ?4, seconds = ?5, exit_code = ?6, status = ?7, counts = ?8, "
		"summary = ?9 WHERE command = ?1 AND started_at = ?3 AND pid = ?10 AND host = ?11",
	};
	int rc = SQLITE_OK;
	for (int pass = merge ? 1 : 0; pass >= 0 && rc == SQLITE_OK; pass--) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(db, sql[pass], -1, &st, NULL);
		if (rc != SQLITE_OK)
			break;
		sqlite3_bind_text(st, 1, r->command, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->args, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->started_at, -1, SQLITE_STATIC);
		if (r->ended_at) {
			sqlite3_bind_text(st, 4, r->ended_at, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 5, r->seconds);
			sqlite3_bind_int(st, 6, r->exit_code);
		}
		sqlite3_bind_text(st, 7, r->status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, r->counts, -1, SQLITE_STATIC);
		if (r->summary)
			sqlite3_bind_text(st, 9, r->summary, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, r->pid);
		sqlite3_bind_text(st, 11, r->host, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			rc = pass == 1 && sqlite3_changes(db) ? SQLITE_ROW : SQLITE_OK;
	}
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static char *side_file_path(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	return path && *path ? xstrfmt("%s-runs", path) : NULL;
}

/* Appends a finished row to the side file (one JSON object a line). */
static void side_file_append(sqlite3 *db, const struct run_row *r)
{
	char *path = side_file_path(db), *line = NULL;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:s, s:s, s:I, s:s}",
			      "command", r->command, "args", r->args, "started_at", r->started_at,
			      "ended_at", r->ended_at, "seconds", r->seconds, "exit_code", r->exit_code,
			      "status", r->status, "counts", r->counts, "summary", r->summary ? r->summary : "",
			      "pid", (json_int_t)r->pid, "host", r->host);
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (o)
		line = json_dumps(o, JSON_COMPACT);
	if (fd < 0 || !line || flock(fd, LOCK_EX) ||
	    dprintf(fd, "%s\n", line) < 0)
		warning("cannot record this run in 'runs' or in '%s': %s", path ? path : "(memory)",
			strerror(errno));
	if (fd >= 0)
		close(fd);
	free(line);
	json_decref(o);
	free(path);
}

/* Writes one side-file line into runs; 0, or -1 if it is not a row. */
static int merge_line(sqlite3 *db, const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	struct run_row r;
	json_int_t pid = 0;
	int rc = -1;
	memset(&r, 0, sizeof(r));
	if (o && !json_unpack(o, "{s:s, s:s, s:s, s:s, s:F, s:i, s:s, s:s, s:s, s:I, s:s}",
			      "command", &r.command, "args", &r.args, "started_at", &r.started_at,
			      "ended_at", &r.ended_at, "seconds", &r.seconds, "exit_code", &r.exit_code,
			      "status", &r.status, "counts", &r.counts, "summary", &r.summary,
			      "pid", &pid, "host", &r.host)) {
		r.pid = pid;
		rc = row_write(db, &r, 1) == SQLITE_OK ? 0 : -1;
	}
	json_decref(o);
	return rc;
}

/*
 * Moves the side file's rows into runs (rule 2). The write lock is taken
 * first and the file's lock only for the moment of reading, so a reader
 * appending never waits behind a writer.
 */
static void side_file_merge(sqlite3 *db)
{
	char *path = side_file_path(db), *text = NULL;
	struct stat st;
	int fd = -1;
	if (!path || stat(path, &st) || !st.st_size)
		goto out;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) || fstat(fd, &st) || st.st_size > SIDE_FILE_MAX) {
		if (fd >= 0 && st.st_size > SIDE_FILE_MAX)
			warning("'%s' is larger than 16 MB; runs in it are not merged into 'runs'", path);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	text = xmalloc((size_t)st.st_size + 1);
	ssize_t got = pread(fd, text, (size_t)st.st_size, 0);
	for (char *p = text, *end = text + (got > 0 ? got : 0), *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;	/* a line cut by a crash: dropped with the rest */
		if (merge_line(db, p, (size_t)(nl - p)))
			warning("'%s': a line that is not a run was dropped", path);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		if (ftruncate(fd, 0))
			warning("cannot empty '%s': %s", path, strerror(errno));
	} else {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
}

/* Rule 3: rows of this host left 'running' by processes that are gone. */
static void mark_killed(sqlite3 *db, int64_t self)
{
	sqlite3_stmt *q = corpus_prepare(db, "SELECT id, pid FROM runs WHERE status = 'running' "
					     "AND host = ? AND pid IS NOT NULL AND id <> ?");
	sqlite3_stmt *u = corpus_prepare(db, "UPDATE runs SET status = 'killed', summary = "
					     "'the process ended without finishing (killed or crashed); "
					     "found by run ' || ? WHERE id = ? AND status = 'running'");
	if (q && u) {
		sqlite3_bind_text(q, 1, host_name(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, self);
		while (sqlite3_step(q) == SQLITE_ROW) {
			pid_t pid = (pid_t)sqlite3_column_int64(q, 1);
			if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
				continue;
			sqlite3_bind_int64(u, 1, self);
			sqlite3_bind_int64(u, 2, sqlite3_column_int64(q, 0));
			sqlite3_step(u);
			sqlite3_reset(u);
		}
	}
	sqlite3_finalize(q);
	sqlite3_finalize(u);
}

static void run_init(struct run *run, sqlite3 *db, const char *command, int reader)
{
	memset(run, 0, sizeof(*run));
	run->db = db;
	run->command = command;
	run->reader = reader;
	run->start = now_seconds();
	now_iso(run->started_at, sizeof(run->started_at));
	strbuf_init(&run->counts, 0);
}

void run_begin(struct run *run, sqlite3 *db, const char *command)
{
	struct run_row r = { command, run_args_json ? run_args_json : "[]", NULL, NULL, "running", "{}",
			     NULL, host_name(), 0, 0, (int64_t)getpid() };
	run_init(run, db, command, 0);
	r.started_at = run->started_at;
	if (row_write(db, &r, 0) != SQLITE_OK) {
		warning("cannot record the start of this run in 'runs' yet (%s); its end will be recorded",
			sqlite3_errmsg(db));
		return;
	}
	run->id = sqlite3_last_insert_rowid(db);
	mark_killed(db, run->id);
	side_file_merge(db);
}

void run_begin_read(struct run *run, sqlite3 *db, const char *command)
{
	run_init(run, db, command, 1);
}

void run_count(struct run *run, const char *name, int64_t value)
{
	if (run->counts.len)
		strbuf_addch(&run->counts, ',');
	json_write_string(&run->counts, name, strlen(name));
	strbuf_addf(&run->counts, ":%lld", (long long)value);
}

static const char *status_name(int code)
{
	switch (code) {
	case EXIT_OK: return "ok";
	case EXIT_USAGE: return "usage";
	case EXIT_DATAERR: return "bad-input";
	case EXIT_TEMPFAIL: return "try-later";
	default: return "failed";
	}
}

/* The finished row: completed in place, else inserted without waiting, else the side file. */
static void record_end(struct run *run, const struct run_row *r)
{
	int rc;
	if (run->id) {
		rc = row_write(run->db, r, 1);
	} else {
		if (run->reader)	/* `sql` made its connection read-only */
			sqlite3_exec(run->db, "PRAGMA query_only = 0", NULL, NULL, NULL);
		sqlite3_busy_timeout(run->db, 0);
		rc = row_write(run->db, r, 0);
		sqlite3_busy_timeout(run->db, BUSY_MS);
	}
	if (rc != SQLITE_OK)
		side_file_append(run->db, r);
}

int run_vend(struct run *run, int exit_code, const char *summary_fmt, va_list ap)
{
	struct strbuf summary = STRBUF_INIT, counts = STRBUF_INIT;
	double seconds = now_seconds() - run->start;
	char now[32];

	strbuf_vaddf(&summary, summary_fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s: %s (%.1f s)\n", run->command, summary.buf, seconds);

	strbuf_addf(&counts, "{%s}", run->counts.buf);
	now_iso(now, sizeof(now));
	if (run->db) {
		struct run_row r = { run->command, run_args_json ? run_args_json : "[]", run->started_at, now,
				     status_name(exit_code), counts.buf, summary.buf, host_name(), seconds,
				     exit_code, (int64_t)getpid() };
		record_end(run, &r);
	}
	strbuf_release(&summary);
	strbuf_release(&counts);
	strbuf_release(&run->counts);
	return exit_code;
}

int run_end(struct run *run, int exit_code, const char *summary_fmt, ...)
{
	va_list ap;
	va_start(ap, summary_fmt);
	run_vend(run, exit_code, summary_fmt, ap);
	va_end(ap);
	return exit_code;
}
