/*
 * test_eval_answers.c - `eval --generate`'s answer scores: ROUGE-L F1 against
 * what Google's rouge-score package computes for the same pairs
 * (tests/fixtures/eval/rouge_reference.json, written by
 * tests/make_rouge_reference.py), on words and on CJK characters, and which
 * references count as short for exact match.
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../model/eval.h"

static void test_rouge_matches_rouge_score(void **state)
{
	const char *env = getenv("WINNOW_FIXTURES");
	char path[512];
	json_error_t err;
	json_t *pairs, *p;
	size_t i;
	(void)state;
	snprintf(path, sizeof(path), "%s/eval/rouge_reference.json", env ? env : "tests/fixtures");
	pairs = json_load_file(path, 0, &err);
	if (!pairs)
		fail_msg("%s: %s", path, err.text);
	assert_true(json_array_size(pairs) >= 16);
	json_array_foreach(pairs, i, p) {
		int is_short, exact;
		const char *a = json_string_value(json_object_get(p, "answer"));
		const char *r = json_string_value(json_object_get(p, "reference"));
		double want = json_real_value(json_object_get(p, "f1")) + json_integer_value(json_object_get(p, "f1"));
		double got = answer_rouge_l(a, r, &is_short, &exact);
		if (fabs(got - want) > 1e-9)
			fail_msg("pair %zu ('%s' vs '%s'): winnow %.6f, rouge-score %.6f", i, a, r, got, want);
		if (exact && got != 1.0)
			fail_msg("pair %zu: an exact match must have ROUGE-L 1", i);
	}
	json_decref(pairs);
}

static void test_exact_match_and_short(void **state)
{
	int is_short, exact;
	(void)state;
	answer_rouge_l("paris", "Paris.", &is_short, &exact);
	assert_true(is_short && exact);		/* case and punctuation are not words */
	answer_rouge_l("Paris is", "Paris.", &is_short, &exact);
	assert_true(is_short && !exact);
	answer_rouge_l("x", "one two three four five six", &is_short, &exact);
	assert_false(is_short);			/* six words: not a short answer */
	answer_rouge_l("巴黎 。", "巴黎。", &is_short, &exact);
	assert_true(is_short && exact);		/* whitespace ignored, punctuation counted */
	answer_rouge_l("巴黎", "巴黎。", &is_short, &exact);
	assert_true(is_short && !exact);
	answer_rouge_l("", "", &is_short, &exact);
	assert_false(is_short);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rouge_matches_rouge_score),
		cmocka_unit_test(test_exact_match_and_short),
	};
	return RUN_TESTS(tests);
}
