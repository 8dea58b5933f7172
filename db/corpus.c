/*
 * corpus.c - opening the corpus (pragmas, migrations, stage table) and the
 * small SQLite helpers every db/ file uses (the `runs` log is db/runs.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "db_internal.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* winnow_content_hash(instruction, input, output, system, history) for SQL. */
static void sql_content_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text[5];
	size_t len[5];
	(void)argc;
	for (int i = 0; i < 5; i++) {
		text[i] = (const char *)sqlite3_value_text(argv[i]);
		len[i] = (size_t)sqlite3_value_bytes(argv[i]);
		if (!text[i])
			text[i] = i == 4 ? "[]" : "", len[i] = i == 4 ? 2 : 0;
	}
	struct record r = { text[0], text[1], text[2], text[3], text[4],
			    len[0], len[1], len[2], len[3], len[4] };
	sqlite3_result_int64(ctx, record_hash(&r));
}

sqlite3 *corpus_open(const char *path, unsigned flags)
{
	sqlite3 *db = NULL;
	struct stat st;
	int exists = stat(path, &st) == 0;

	static int configured;
	if (!configured) {
		/* winnow does not read SQLite's memory statistics; keeping them
		 * costs a global mutex on every allocation */
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = 1;
	}
	if (!exists && !(flags & CORPUS_CREATE)) {
		error("no corpus at '%s'; import some data or run 'winnow init' first "
		      "(or choose another with --db or WINNOW_DB)", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		error("cannot open corpus '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_create_function(db, "winnow_content_hash", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				NULL, sql_content_hash, NULL, NULL);
	sqlite3_extended_result_codes(db, 1);
	/* 16 KB pages: records are a kilobyte or more of text, and a bulk import
	 * of a million of them spent 15% less CPU than with 4 KB pages */
	if (!exists)
		corpus_exec(db, "PRAGMA page_size = 16384");
	if (corpus_exec(db, "PRAGMA journal_mode = WAL") ||
	    corpus_exec(db, "PRAGMA foreign_keys = ON") ||
	    corpus_exec(db, "PRAGMA synchronous = NORMAL") ||
	    corpus_exec(db, "PRAGMA cache_size = -32768") ||
	    schema_migrate(db, path) || stage_sync_table(db)) {
		if (!exists)
			error("'%s' could not be set up as a corpus", path);
		else
			error("'%s' is not a usable winnow corpus", path);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void corpus_close(sqlite3 *db)
{
	if (!db)
		return;
	/* optional upkeep: never wait for a writer's lock to do it */
	sqlite3_busy_timeout(db, 0);
	sqlite3_exec(db, "PRAGMA optimize", NULL, NULL, NULL);
	sqlite3_close_v2(db);
}

int corpus_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("corpus: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *corpus_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		error("corpus: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

int64_t corpus_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = corpus_prepare(db, sql);
	int64_t v = 0;
	int rc;
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		v = error("corpus: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

int command_begin(struct command *cmd, const char *name, unsigned flags)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->db = corpus_open(corpus_path(), flags & COMMAND_CREATE ? CORPUS_CREATE : 0);
	if (!cmd->db)
		return EXIT_FAILURE_;
	run_begin(&cmd->run, cmd->db, name);
	return 0;
}

int command_end(struct command *cmd, int exit_code, const char *summary_fmt, ...)
{
	va_list ap;
	va_start(ap, summary_fmt);
	run_vend(&cmd->run, exit_code, summary_fmt, ap);
	va_end(ap);
	corpus_close(cmd->db);
	cmd->db = NULL;
	return exit_code;
}

int corpus_begin_write(sqlite3 *db)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (sqlite3_errcode(db) == SQLITE_BUSY)
		return error("the corpus is busy (another winnow is writing to it); try again later");
	return error("corpus: cannot start a write: %s", sqlite3_errmsg(db));
}

int corpus_command_lock(const char *command)
{
	char *path = xstrfmt("%s-%s.lock", corpus_path(), command);
	char holder[32] = "";
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		error("cannot open the lock file '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = errno == EWOULDBLOCK ? pread(fd, holder, sizeof(holder) - 1, 0) : -1;
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (n >= 0)
			error("another 'winnow %s' is running on this corpus%s%s%s; try again when it has finished",
			      command, *holder ? " (pid " : "", holder, *holder ? ")" : "");
		else
			error("cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		free(path);
		return n >= 0 ? -2 : -1;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%ld\n", (long)getpid());
	free(path);
	return fd;
}
