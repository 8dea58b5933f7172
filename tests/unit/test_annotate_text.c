/*
 * test_annotate_text.c - what the reviewer shows and reads back: wrapping
 * (Chinese at two columns a character, Latin at spaces, nothing that moves
 * the cursor) against lines worked out by hand, and the $EDITOR file.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../annotate/annotate.h"

static void check_wrap(const char *text, size_t width, const char *const *want, size_t nwant)
{
	struct string_list out = STRING_LIST_INIT;
	wrap_text(text, strlen(text), width, &out);
	for (size_t i = 0; i < out.nr && i < nwant; i++)
		assert_string_equal(out.items[i], want[i]);
	assert_int_equal(out.nr, nwant);
	string_list_clear(&out);
}

static void test_wrap_chinese(void **state)
{
	(void)state;
	const char *const poem[] = { "春风拂面柳", "丝长，桃花", "盛开满园香", "。" };
	check_wrap("春风拂面柳丝长，桃花盛开满园香。", 10, poem, 4);
	/* an odd width leaves the last column empty rather than split a character */
	const char *const odd[] = { "春风拂", "面柳丝", "长" };
	check_wrap("春风拂面柳丝长", 7, odd, 3);
	/* a break between Latin and CJK text, and at spaces */
	const char *const mixed[] = { "hello世", "界 again" };
	check_wrap("hello世界 again", 8, mixed, 2);
}

static void test_wrap_latin(void **state)
{
	(void)state;
	const char *const words[] = { "the quick", "brown fox", "jumps" };
	check_wrap("the quick brown fox jumps", 10, words, 3);
	const char *const longword[] = { "abcde", "fghij", "klmno" };
	check_wrap("abcdefghijklmno", 5, longword, 3);
	const char *const carry[] = { "a", "bcdefgh", "ij" };
	check_wrap("a bcdefghij", 7, carry, 3);
	const char *const paragraphs[] = { "one", "", "two" };
	check_wrap("one\n\ntwo", 20, paragraphs, 3);
	const char *const crlf[] = { "one", "two" };
	check_wrap("one\r\ntwo", 20, crlf, 2);
	const char *const empty[] = { "" };
	check_wrap("", 20, empty, 1);
}

static void test_wrap_controls(void **state)
{
	(void)state;
	/* ESC and other controls become U+FFFD so nothing can move the cursor */
	const char *const esc[] = { "a\xEF\xBF\xBD[31mb\xEF\xBF\xBD" };
	check_wrap("a\x1b[31mb\x07", 20, esc, 1);
	const char *const tab[] = { "a   b" };
	check_wrap("a\tb", 20, tab, 1);
	const char *const invalid[] = { "x\xEF\xBF\xBDy" };
	check_wrap("x\xffy", 20, invalid, 1);
	/* bidi overrides cannot reorder the screen */
	const char *const bidi[] = { "a\xEF\xBF\xBD" "b" };
	check_wrap("a\xE2\x80\xAE" "b", 20, bidi, 1);
}

static void test_edit_round_trip(void **state)
{
	char *fields[5] = { "写一首诗", "", "### output\n春风\n\n拂面", "", "[[\"q\",\"a\"]]" };
	struct strbuf file = STRBUF_INIT;
	struct edit_fields f;
	char err[200];
	(void)state;
	edit_format(&file, 7, fields);
	assert_non_null(strstr(file.buf, "record 7"));
	assert_int_equal(edit_parse(file.buf, file.len, 0, &f, err, sizeof(err)), 0);
	for (int i = 0; i < 5; i++)
		assert_string_equal(f.field[i], fields[i]);
	edit_fields_release(&f);
	strbuf_release(&file);
}

static int parse(const char *text, struct edit_fields *f, char *err)
{
	return edit_parse(text, strlen(text), 0, f, err, 200);
}

static void test_edit_errors(void **state)
{
	struct edit_fields f;
	char err[200];
	(void)state;
	assert_int_equal(parse("=== winnow:instruction ===\nq\n=== winnow:input ===\n=== winnow:output ===\na\n"
			       "=== winnow:system ===\n", &f, err), -1);
	assert_non_null(strstr(err, "winnow:history"));
	assert_int_equal(parse("=== winnow:instruction ===\nq\n=== winnow:input ===\n=== winnow:output ===\n  \n"
			       "=== winnow:system ===\n=== winnow:history ===\n[]\n", &f, err), -1);
	assert_non_null(strstr(err, "output"));
	assert_int_equal(parse("=== winnow:instruction ===\nq\n=== winnow:input ===\n=== winnow:output ===\na\n"
			       "=== winnow:system ===\n=== winnow:history ===\n[[\"only one\"]]\n", &f, err), -1);
	assert_non_null(strstr(err, "history"));
	assert_int_equal(parse("=== winnow:instruction ===\nq\n=== winnow:instruction ===\n", &f, err), -1);
	assert_non_null(strstr(err, "twice"));
	/* an empty history section means none; markers may carry trailing spaces and CRs */
	assert_int_equal(parse("# comment\n=== winnow:instruction ===  \r\nq\n=== winnow:input ===\n"
			       "=== winnow:output ===\na\n=== winnow:system ===\n=== winnow:history ===\n", &f, err), 0);
	assert_string_equal(f.field[0], "q");
	assert_string_equal(f.field[4], "[]");
	edit_fields_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_chinese),
		cmocka_unit_test(test_wrap_latin),
		cmocka_unit_test(test_wrap_controls),
		cmocka_unit_test(test_edit_round_trip),
		cmocka_unit_test(test_edit_errors),
	};
	return RUN_TESTS(tests);
}
