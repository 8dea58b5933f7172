/*
 * test_crawl_charset.c - crawl/charset.c: detection order (BOM, HTTP
 * header, <meta>, bytes), GB2312/GBK decoded as GB18030, Big5, Shift_JIS,
 * EUC-KR, windows-1252, a page lying about its charset, and that the
 * output is always valid UTF-8. Encoded inputs are written as bytes here
 * (from the code tables), not produced by the code under test.
 */
#include "unit.h"

#include <string.h>

#include "../../crawl/crawl.h"

static void expect_decode(const char *bytes, const char *ct, const char *want_cs,
			  const char *want_utf8)
{
	struct strbuf out = STRBUF_INIT;
	const char *cs = charset_decode(bytes, strlen(bytes), ct, &out);
	assert_string_equal(cs, want_cs);
	assert_true(utf8_valid(out.buf, out.len));
	if (want_utf8)
		assert_non_null(strstr(out.buf, want_utf8));
	strbuf_release(&out);
}

static void test_gbk_as_gb18030(void **state)
{
	(void)state;
	/* 朱镕基: 镕 (E9 95 95 in UTF-8) is 0xE946 in GBK, absent from GB2312 */
	expect_decode("<p>\xD6\xEC\xE9\x46\xBB\xF9</p>", "text/html; charset=gb2312", "GB18030",
		      "\xE6\x9C\xB1\xE9\x95\x95\xE5\x9F\xBA");
	expect_decode("<meta charset=GBK><p>\xD6\xD0\xCE\xC4</p>", NULL, "GB18030",
		      "\xE4\xB8\xAD\xE6\x96\x87");	/* 中文 */
}

static void test_other_cjk(void **state)
{
	(void)state;
	/* 中文 in Big5 is A4 A4 A4 E5 */
	expect_decode("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">"
		      "\xA4\xA4\xA4\xE5", NULL, "BIG5-HKSCS", "\xE4\xB8\xAD\xE6\x96\x87");
	/* 日本 in Shift_JIS is 93 FA 96 7B */
	expect_decode("\x93\xFA\x96\x7B", "text/html;charset=Shift_JIS", "CP932",
		      "\xE6\x97\xA5\xE6\x9C\xAC");
	/* 한국 in EUC-KR is C7 D1 B1 B9 */
	expect_decode("<meta charset='euc-kr'>\xC7\xD1\xB1\xB9", NULL, "CP949",
		      "\xED\x95\x9C\xEA\xB5\xAD");
}

static void test_western(void **state)
{
	(void)state;
	/* café with é = E9; "iso-8859-1" means windows-1252, so 0x80 is the euro sign */
	expect_decode("caf\xE9 \x80", "text/html; charset=ISO-8859-1", "WINDOWS-1252",
		      "caf\xC3\xA9 \xE2\x82\xAC");
	/* undeclared and not UTF-8 nor GB18030: windows-1252 */
	expect_decode("na\xEFve caf\xE9 ", NULL, "WINDOWS-1252", "na\xC3\xAFve");
}

static void test_lies_and_boms(void **state)
{
	(void)state;
	/* declares gb2312 but is UTF-8: read as UTF-8 */
	expect_decode("<meta charset=gb2312><p>\xE4\xB8\xAD\xE6\x96\x87</p>", NULL, "UTF-8",
		      "\xE4\xB8\xAD\xE6\x96\x87");
	/* a BOM beats the header, and is not part of the text */
	struct strbuf out = STRBUF_INIT;
	charset_decode("\xEF\xBB\xBFok", 5, "text/html; charset=big5", &out);
	assert_string_equal(out.buf, "ok");
	strbuf_release(&out);
	/* broken UTF-8 is repaired with U+FFFD, never passed through */
	expect_decode("ok \xC3\x28 \xF0\x9F\x98 end", "text/html; charset=utf-8", "UTF-8",
		      "\xEF\xBF\xBD");
	/* unknown label: ignored */
	expect_decode("plain", "text/html; charset=x-no-such", "UTF-8", "plain");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("abc\xE4\xB8\xAD", 6));
	assert_false(utf8_valid("\xC0\xAF", 2));		/* overlong */
	assert_false(utf8_valid("\xED\xA0\x80", 3));		/* surrogate */
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(utf8_valid("\xE4\xB8", 2));		/* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gbk_as_gb18030),
		cmocka_unit_test(test_other_cjk),
		cmocka_unit_test(test_western),
		cmocka_unit_test(test_lies_and_boms),
		cmocka_unit_test(test_utf8_valid),
	};
	return RUN_TESTS(tests);
}
