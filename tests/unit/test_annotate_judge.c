/*
 * test_annotate_judge.c - the judge's arithmetic and parsing: agreement and
 * Cohen's kappa against values worked out by hand, the strict reading of
 * the judge's JSON answer, and rubric files.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../annotate/annotate.h"

static void table(long c[2][2], long jy_hy, long jy_hn, long jn_hy, long jn_hn)
{
	c[1][1] = jy_hy;
	c[1][0] = jy_hn;
	c[0][1] = jn_hy;
	c[0][0] = jn_hn;
}

static void test_kappa_textbook(void **state)
{
	long c[2][2];
	struct agreement a;
	(void)state;
	/* 50 items: both yes 20, judge yes / human no 5, judge no / human yes 10, both no 15.
	 * po = 35/50 = 0.7; judge yes 25/50, human yes 30/50; pe = .5*.6 + .5*.4 = 0.5;
	 * kappa = (0.7 - 0.5) / 0.5 = 0.4 */
	table(c, 20, 5, 10, 15);
	agreement_compute(c, &a);
	assert_int_equal(a.n, 50);
	assert_true(fabs(a.observed - 0.7) < 1e-12);
	assert_true(fabs(a.expected - 0.5) < 1e-12);
	assert_true(fabs(a.kappa - 0.4) < 1e-12);
	assert_false(a.undefined);
	assert_string_equal(kappa_words(a.kappa), "fair");
}

static void test_kappa_asymmetric(void **state)
{
	long c[2][2];
	struct agreement a;
	(void)state;
	/* n = 100: po = (45 + 15)/100 = 0.6; judge yes 0.6, human yes 0.7;
	 * pe = .6*.7 + .4*.3 = 0.54; kappa = 0.06 / 0.46 = 3/23 */
	table(c, 45, 15, 25, 15);
	agreement_compute(c, &a);
	assert_true(fabs(a.observed - 0.6) < 1e-12);
	assert_true(fabs(a.expected - 0.54) < 1e-12);
	assert_true(fabs(a.kappa - 3.0 / 23.0) < 1e-12);
	assert_string_equal(kappa_words(a.kappa), "slight");
}

static void test_kappa_edges(void **state)
{
	long c[2][2];
	struct agreement a;
	(void)state;
	table(c, 10, 0, 0, 10);		/* perfect */
	agreement_compute(c, &a);
	assert_true(fabs(a.kappa - 1) < 1e-12);
	assert_string_equal(kappa_words(a.kappa), "almost perfect");
	table(c, 0, 5, 5, 0);		/* always opposite: po 0, pe .5 */
	agreement_compute(c, &a);
	assert_true(fabs(a.kappa + 1) < 1e-12);
	assert_string_equal(kappa_words(a.kappa), "poor (worse than chance)");
	table(c, 12, 0, 0, 0);		/* both always yes: pe = 1 */
	agreement_compute(c, &a);
	assert_true(a.undefined);
	assert_true(a.kappa == 0);
	assert_true(fabs(a.observed - 1) < 1e-12);
	table(c, 0, 0, 0, 0);
	agreement_compute(c, &a);
	assert_true(a.undefined);
	assert_int_equal(a.n, 0);
	assert_string_equal(kappa_words(0.2), "slight");
	assert_string_equal(kappa_words(0.41), "moderate");
	assert_string_equal(kappa_words(0.61), "substantial");
}

static int parse(const char *text, double *scores, double *overall, char *why, size_t whysize, char *err)
{
	struct rubric r;
	struct strbuf rationale = STRBUF_INIT;
	rubric_default(&r);
	int rc = rubric_parse_answer(&r, text, strlen(text), scores, overall, &rationale, err, 200);
	snprintf(why, whysize, "%s", rationale.buf);
	strbuf_release(&rationale);
	rubric_release(&r);
	return rc;
}

static void test_parse_answer(void **state)
{
	double s[16], overall;
	char why[100], err[200];
	(void)state;
	assert_int_equal(parse("{\"clarity\": 5, \"correctness\": 4, \"helpfulness\": 3, \"fluency\": 4, "
			       "\"harmlessness\": 5, \"rationale\": \" 好 \"}", s, &overall, why, sizeof(why), err), 0);
	assert_true(fabs(overall - 4.2) < 1e-12);
	assert_true(s[0] == 5 && s[1] == 4 && s[2] == 3 && s[3] == 4 && s[4] == 5);
	assert_string_equal(why, "好");
	/* code fences and prose around it; a score given as a string */
	assert_int_equal(parse("Sure!\n```json\n{\"clarity\": \"2\", \"correctness\": 1, \"helpfulness\": 1, "
			       "\"fluency\": 1, \"harmlessness\": 5, \"rationale\": \"bad\"}\n```", s, &overall,
			       why, sizeof(why), err), 0);
	assert_true(fabs(overall - 2.0) < 1e-12);
	assert_int_equal(parse("{\"clarity\": 6, \"correctness\": 1, \"helpfulness\": 1, \"fluency\": 1, "
			       "\"harmlessness\": 5, \"rationale\": \"x\"}", s, &overall, why, sizeof(why), err), -1);
	assert_non_null(strstr(err, "\"clarity\""));
	assert_int_equal(parse("{\"clarity\": 3, \"correctness\": 1, \"helpfulness\": 1, \"fluency\": 1, "
			       "\"harmlessness\": 5}", s, &overall, why, sizeof(why), err), -1);
	assert_non_null(strstr(err, "rationale"));
	assert_int_equal(parse("{\"clarity\": 3, \"rationale\": \"x\"}", s, &overall, why, sizeof(why), err), -1);
	assert_non_null(strstr(err, "\"correctness\""));
	assert_int_equal(parse("looks fine to me", s, &overall, why, sizeof(why), err), -1);
	assert_int_equal(parse("{\"clarity\": true, \"correctness\": 1, \"helpfulness\": 1, \"fluency\": 1, "
			       "\"harmlessness\": 5, \"rationale\": \"x\"}", s, &overall, why, sizeof(why), err), -1);
}

static int load(const char *text, struct rubric *r)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/winnow-test-rubric-%ld.txt", (long)getpid());
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	int rc = rubric_load(r, path);
	unlink(path);
	return rc;
}

static void test_rubric_file(void **state)
{
	struct rubric r;
	(void)state;
	assert_int_equal(load("# mine\n\naccuracy: every statement is true\n  tone :  plain \n", &r), 0);
	assert_int_equal(r.nr, 2);
	assert_string_equal(r.name[0], "accuracy");
	assert_string_equal(r.description[0], "every statement is true");
	assert_string_equal(r.name[1], "tone");
	assert_string_equal(r.description[1], "plain");
	rubric_release(&r);
	assert_int_equal(load("accuracy: a\naccuracy: b\n", &r), -1);
	assert_int_equal(load("no colon here\n", &r), -1);
	assert_int_equal(load("Upper: x\n", &r), -1);
	assert_int_equal(load("rationale: x\n", &r), -1);
	assert_int_equal(load("# nothing\n", &r), -1);
	assert_int_equal(load("empty:\n", &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kappa_textbook),
		cmocka_unit_test(test_kappa_asymmetric),
		cmocka_unit_test(test_kappa_edges),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_rubric_file),
	};
	return RUN_TESTS(tests);
}
