/*
 * test_stage.c - the record stage machine: the C table and the corpus
 * trigger agree, illegal moves are refused even through raw SQL.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../db/corpus.h"

static char db_path[64];

static sqlite3 *fresh_corpus(void)
{
	snprintf(db_path, sizeof(db_path), "/tmp/winnow-test-stage-%ld.db", (long)getpid());
	unlink(db_path);
	sqlite3 *db = corpus_open(db_path, CORPUS_CREATE);
	assert_non_null(db);
	return db;
}

static void drop_corpus(sqlite3 *db)
{
	corpus_close(db);
	unlink(db_path);
	char p[80];
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static int64_t add(sqlite3 *db, const char *instruction)
{
	struct record_inserter ins;
	struct record r = { instruction, "", "an answer", "", "[]",
			    strlen(instruction), 0, 9, 0, 2 };
	assert_int_equal(record_inserter_init(&ins, db), 0);
	int64_t id = record_insert(&ins, &r, "import", 0, 0, 0);
	record_inserter_release(&ins);
	return id;
}

static const char *stage_of(sqlite3 *db, int64_t id)
{
	static char buf[32];
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT stage FROM records WHERE id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void test_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < STAGE_COUNT; s++)
		assert_int_equal(stage_from_name(stage_name((enum record_stage)s)), s);
	assert_int_equal(stage_from_name("cleaned"), -1);
}

static void test_pipeline_edges(void **state)
{
	(void)state;
	assert_true(stage_transition_ok(STAGE_RAW, STAGE_CLEAN));
	assert_true(stage_transition_ok(STAGE_CLEAN, STAGE_UNIQUE));
	assert_true(stage_transition_ok(STAGE_UNIQUE, STAGE_APPROVED));
	assert_false(stage_transition_ok(STAGE_RAW, STAGE_APPROVED));
	assert_false(stage_transition_ok(STAGE_RAW, STAGE_UNIQUE));
	assert_false(stage_transition_ok(STAGE_DUPLICATE, STAGE_APPROVED));
}

static void test_record_move_enforced(void **state)
{
	(void)state;
	sqlite3 *db = fresh_corpus();
	int64_t id = add(db, "what is rice?");
	assert_true(id > 0);
	assert_string_equal(stage_of(db, id), "raw");
	assert_int_equal(record_move(db, id, STAGE_APPROVED, NULL, 0), -1);
	assert_string_equal(stage_of(db, id), "raw");
	assert_int_equal(record_move(db, id, STAGE_CLEAN, NULL, 0), 0);
	assert_int_equal(record_move(db, id, STAGE_UNIQUE, NULL, 0), 0);
	assert_int_equal(record_move(db, id, STAGE_APPROVED, "looks right", 0), 0);
	assert_string_equal(stage_of(db, id), "approved");
	assert_int_equal(record_move(db, 999999, STAGE_CLEAN, NULL, 0), -1);
	drop_corpus(db);
}

/* The trigger holds even for SQL that bypasses record_move. */
static void test_trigger_refuses_raw_sql(void **state)
{
	(void)state;
	sqlite3 *db = fresh_corpus();
	int64_t id = add(db, "how do I plant rice?");
	char *err = NULL;
	int rc = sqlite3_exec(db, "UPDATE records SET stage = 'approved'", NULL, NULL, &err);
	assert_int_not_equal(rc, SQLITE_OK);
	assert_non_null(strstr(err, "illegal record stage transition"));
	sqlite3_free(err);
	assert_string_equal(stage_of(db, id), "raw");
	rc = sqlite3_exec(db, "UPDATE records SET stage = 'clean'", NULL, NULL, NULL);
	assert_int_equal(rc, SQLITE_OK);
	assert_string_equal(stage_of(db, id), "clean");
	/* the CHECK constraints hold: no unknown stage or origin */
	rc = sqlite3_exec(db, "INSERT INTO records (instruction, output, stage, origin, content_hash, "
			  "created_at, updated_at) VALUES ('q', 'a', 'finished', 'import', 1, '', '')",
			  NULL, NULL, NULL);
	assert_int_not_equal(rc, SQLITE_OK);
	rc = sqlite3_exec(db, "INSERT INTO records (instruction, output, origin, content_hash, "
			  "created_at, updated_at) VALUES ('q', 'a', 'scraped', 2, '', '')", NULL, NULL, NULL);
	assert_int_not_equal(rc, SQLITE_OK);
	/* and a record inserted without a stage starts raw */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO records (instruction, output, origin, content_hash, "
				      "created_at, updated_at) VALUES ('q', 'a', 'import', 3, '', '')",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(corpus_int(db, "SELECT count(*) FROM records WHERE content_hash = 3 AND stage = 'raw'"), 1);
	drop_corpus(db);
}

/* The corpus table is rebuilt from the C table when they differ. */
static void test_transition_table_resynced(void **state)
{
	(void)state;
	sqlite3 *db = fresh_corpus();
	assert_int_equal(sqlite3_exec(db, "INSERT INTO stage_transitions VALUES ('raw', 'approved')",
				      NULL, NULL, NULL), SQLITE_OK);
	corpus_close(db);
	db = corpus_open(db_path, 0);
	assert_non_null(db);
	assert_int_equal(corpus_int(db, "SELECT count(*) FROM stage_transitions "
				    "WHERE from_stage = 'raw' AND to_stage = 'approved'"), 0);
	assert_true(corpus_int(db, "SELECT count(*) FROM stage_transitions") > 5);
	drop_corpus(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_pipeline_edges),
		cmocka_unit_test(test_record_move_enforced),
		cmocka_unit_test(test_trigger_refuses_raw_sql),
		cmocka_unit_test(test_transition_table_resynced),
	};
	return RUN_TESTS(tests);
}
