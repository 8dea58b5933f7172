/*
 * test_options.c - lib/options.c: --opt=value, --opt value, -o value,
 * -ovalue, repeated lists, choices, integer and number ranges, flags,
 * unknown options, "--", positional arguments, the global --db, and
 * string_list_split.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/options.h"
#include "../../lib/util.h"

static const struct command_help help = { "winnow test [options] ARG", "A test command.", NULL, NULL };

struct values {
	const char *out, *format;
	struct string_list stages;
	long seed;
	double ratio;
	int pretty;
};

/* Parses the NULL-terminated words (argv[0] is the command). */
static int parse(struct values *v, char **words)
{
	struct option opts[] = {
		OPT_STRING('o', "output", &v->out, "FILE", "where"),
		OPT_CHOICE('f', "format", &v->format, "alpaca|jsonl|sharegpt", "format"),
		OPT_LIST(0, "stage", &v->stages, "STAGE", "stages"),
		OPT_INT(0, "seed", &v->seed, "N", 0, 100, "seed"),
		OPT_DOUBLE(0, "ratio", &v->ratio, "R", 0, 1, "ratio"),
		OPT_FLAG('p', "pretty", &v->pretty, "indent"),
		OPT_END(),
	};
	int argc = 0;
	while (words[argc])
		argc++;
	memset(v, 0, sizeof(*v));
	v->seed = 42;
	opt_db_path = NULL;
	return parse_options(argc, words, opts, &help);
}

#define ARGV(...) ((char *[]){ "test", __VA_ARGS__, NULL })

static void test_values_in_every_spelling(void **state)
{
	struct values v;
	(void)state;
	assert_int_equal(parse(&v, ARGV("--output=a.json", "--format", "jsonl", "--seed=7", "--ratio", "0.25")), 0);
	assert_string_equal(v.out, "a.json");
	assert_string_equal(v.format, "jsonl");
	assert_int_equal(v.seed, 7);
	assert_true(v.ratio == 0.25);
	assert_int_equal(v.pretty, 0);
	string_list_clear(&v.stages);

	assert_int_equal(parse(&v, ARGV("-o", "b.json", "-fsharegpt", "-p")), 0);
	assert_string_equal(v.out, "b.json");
	assert_string_equal(v.format, "sharegpt");
	assert_int_equal(v.pretty, 1);
	assert_int_equal(v.seed, 42);	/* untouched default */
	string_list_clear(&v.stages);

	assert_int_equal(parse(&v, ARGV("-oc.json", "--output", "d.json")), 0);
	assert_string_equal(v.out, "d.json");	/* the last one wins */
	string_list_clear(&v.stages);

	assert_int_equal(parse(&v, ARGV("--output=", "--ratio=1")), 0);
	assert_string_equal(v.out, "");	/* an explicitly empty value */
	assert_true(v.ratio == 1.0);
	string_list_clear(&v.stages);
}

static void test_repeated_lists(void **state)
{
	struct values v;
	(void)state;
	assert_int_equal(parse(&v, ARGV("--stage", "raw", "--stage=clean,unique", "--stage", "approved")), 0);
	assert_int_equal(v.stages.nr, 3);
	assert_string_equal(v.stages.items[0], "raw");
	assert_string_equal(v.stages.items[1], "clean,unique");	/* split later by the command */
	assert_string_equal(v.stages.items[2], "approved");
	string_list_clear(&v.stages);
	assert_null(v.stages.items);
	assert_int_equal(v.stages.nr, 0);
}

static void test_positional_arguments(void **state)
{
	struct values v;
	char **argv = ARGV("first", "-p", "second", "--", "--not-an-option", "-", "-o");
	(void)state;
	assert_int_equal(parse(&v, argv), 5);
	assert_string_equal(argv[0], "first");
	assert_string_equal(argv[1], "second");
	assert_string_equal(argv[2], "--not-an-option");
	assert_string_equal(argv[3], "-");	/* '-' is an argument (stdin) */
	assert_string_equal(argv[4], "-o");
	assert_null(argv[5]);
	assert_int_equal(v.pretty, 1);
	assert_null(v.out);
	string_list_clear(&v.stages);
}

static void test_global_db(void **state)
{
	struct values v;
	(void)state;
	assert_int_equal(parse(&v, ARGV("x", "--db", "other.db")), 1);
	assert_string_equal(opt_db_path, "other.db");
	assert_string_equal(corpus_path(), "other.db");
	string_list_clear(&v.stages);
	assert_int_equal(parse(&v, ARGV("--db=third.db")), 0);
	assert_string_equal(corpus_path(), "third.db");
	string_list_clear(&v.stages);
	opt_db_path = NULL;
	setenv("WINNOW_DB", "env.db", 1);
	assert_string_equal(corpus_path(), "env.db");
	setenv("WINNOW_DB", "", 1);
	assert_string_equal(corpus_path(), "winnow.db");
	unsetenv("WINNOW_DB");
	assert_string_equal(corpus_path(), "winnow.db");
}

/* Each of these must be refused as a usage error. */
static void test_errors(void **state)
{
	char **bad[] = {
		ARGV("--bogus"),
		ARGV("--bogus=1"),
		ARGV("-x"),
		ARGV("--outputs", "a"),		/* no prefix matching */
		ARGV("--out", "a"),
		ARGV("--format", "yaml"),
		ARGV("--format=Alpaca"),	/* choices are exact */
		ARGV("--format=alpaca|jsonl"),
		ARGV("--format="),
		ARGV("--seed", "101"),
		ARGV("--seed=-1"),
		ARGV("--seed", "7x"),
		ARGV("--seed", ""),
		ARGV("--seed", "3.5"),
		ARGV("--seed", "99999999999999999999999"),
		ARGV("--ratio", "1.5"),
		ARGV("--ratio", "nan"),
		ARGV("--ratio", "half"),
		ARGV("--pretty=yes"),		/* a flag takes no value */
		ARGV("-pX"),
		ARGV("--output"),		/* a value is needed */
		ARGV("-o"),
		ARGV("x", "--seed"),
	};
	(void)state;
	fflush(stderr);
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");	/* the messages are checked by the CLI tests */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct values v;
		int rc = parse(&v, bad[i]);
		if (rc != PARSE_ERROR)
			fail_msg("case %zu (%s) gave %d, not a usage error", i, bad[i][1], rc);
		assert_int_equal(options_exit_code(rc), EXIT_USAGE);
		string_list_clear(&v.stages);
	}
	fclose(stderr);
	stderr = saved;
}

static void test_help(void **state)
{
	struct values v;
	(void)state;
	fflush(stdout);
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");	/* the help text itself is checked by the CLI tests */
	int rc = parse(&v, ARGV("-o", "x", "--help", "--bogus"));
	fclose(stdout);
	stdout = saved;
	assert_int_equal(rc, PARSE_HELP);
	assert_int_equal(options_exit_code(rc), EXIT_OK);
	string_list_clear(&v.stages);
}

static void test_string_list_split(void **state)
{
	struct string_list l = STRING_LIST_INIT;
	(void)state;
	string_list_split(&l, ",raw,,clean,", ',');
	string_list_split(&l, "unique", ',');
	string_list_split(&l, "", ',');
	assert_int_equal(l.nr, 3);
	assert_string_equal(l.items[0], "raw");
	assert_string_equal(l.items[1], "clean");
	assert_string_equal(l.items[2], "unique");
	string_list_clear(&l);
	for (int i = 0; i < 100; i++)
		string_list_append(&l, "x");
	assert_int_equal(l.nr, 100);
	string_list_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_in_every_spelling),
		cmocka_unit_test(test_repeated_lists),
		cmocka_unit_test(test_positional_arguments),
		cmocka_unit_test(test_global_db),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_string_list_split),
	};
	return RUN_TESTS(tests);
}
