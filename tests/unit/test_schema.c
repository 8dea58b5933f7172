/*
 * test_schema.c - the corpus schema: a fresh corpus is at the latest
 * version, migrating twice is harmless, every user-visible column is
 * documented for `winnow schema`, and a corpus from a newer winnow is
 * refused rather than damaged.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../db/corpus.h"
#include "../../db/db_internal.h"

static char path[64];

static void cleanup(void)
{
	char p[96];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void test_fresh_corpus_is_current(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	sqlite3 *db = corpus_open(path, CORPUS_CREATE);
	assert_non_null(db);
	assert_int_equal(corpus_int(db, "PRAGMA user_version"), corpus_schema_version());
	assert_int_equal(corpus_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	assert_int_equal(corpus_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(corpus_int(db, "PRAGMA page_size"), 16384);
	corpus_close(db);
	/* opening again runs no migration and keeps the data */
	db = corpus_open(path, 0);
	assert_non_null(db);
	assert_int_equal(corpus_int(db, "PRAGMA user_version"), corpus_schema_version());
	corpus_close(db);
	cleanup();
}

static void test_every_column_documented(void **state)
{
	(void)state;
	struct strbuf missing = STRBUF_INIT;
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	sqlite3 *db = corpus_open(path, CORPUS_CREATE);
	assert_non_null(db);
	int n = schema_undocumented(db, &missing);
	if (n)
		print_error("undocumented columns: %s\n", missing.buf);
	assert_int_equal(n, 0);
	/* and the check itself notices a new column */
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE records ADD COLUMN mystery TEXT", NULL, NULL, NULL), SQLITE_OK);
	strbuf_reset(&missing);
	assert_int_equal(schema_undocumented(db, &missing), 1);
	assert_non_null(strstr(missing.buf, "records.mystery"));
	strbuf_release(&missing);
	corpus_close(db);
	cleanup();
}

static void test_newer_corpus_refused(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	sqlite3 *db = corpus_open(path, CORPUS_CREATE);
	assert_non_null(db);
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", corpus_schema_version() + 1);
	assert_int_equal(corpus_exec(db, sql), 0);
	corpus_close(db);
	assert_null(corpus_open(path, 0));
	cleanup();
}

static void test_not_a_corpus(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is a text file, not SQLite\n", fp);
	fclose(fp);
	assert_null(corpus_open(path, 0));
	/* and it was not overwritten */
	fp = fopen(path, "r");
	char line[64] = "";
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, "this is a text file, not SQLite\n");
	cleanup();
}

static void test_missing_corpus_not_created(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	assert_null(corpus_open(path, 0));
	assert_int_not_equal(access(path, F_OK), 0);
}

/*
 * Regression: CHECK (x IN (...)) made SQLite build a temporary table per
 * inserted row (OpenEphemeral), 40% of an import's time. Inserting a record
 * or moving its stage must not need one.
 */
static void test_insert_needs_no_temp_table(void **state)
{
	(void)state;
	static const char *const statements[] = {
		"EXPLAIN INSERT OR IGNORE INTO records (instruction, input, output, system, history, origin, "
		"source_id, task_id, parent_id, content_hash, created_at, updated_at) "
		"VALUES ('q', '', 'a', '', '[]', 'import', NULL, NULL, NULL, 1, 'now', 'now')",
		"EXPLAIN UPDATE records SET stage = 'clean' WHERE id = 1",
	};
	snprintf(path, sizeof(path), "/tmp/winnow-test-schema-%ld.db", (long)getpid());
	cleanup();
	sqlite3 *db = corpus_open(path, CORPUS_CREATE);
	assert_non_null(db);
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		sqlite3_stmt *st = corpus_prepare(db, statements[i]);
		assert_non_null(st);
		while (sqlite3_step(st) == SQLITE_ROW)
			if (!strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral"))
				fail_msg("statement %zu opens a temporary table per row", i);
		sqlite3_finalize(st);
	}
	corpus_close(db);
	cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_corpus_is_current),
		cmocka_unit_test(test_every_column_documented),
		cmocka_unit_test(test_newer_corpus_refused),
		cmocka_unit_test(test_not_a_corpus),
		cmocka_unit_test(test_missing_corpus_not_created),
		cmocka_unit_test(test_insert_needs_no_temp_table),
	};
	return RUN_TESTS(tests);
}
