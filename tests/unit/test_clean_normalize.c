/*
 * test_clean_normalize.c - every normalisation step, table-driven, with
 * Chinese and English cases; each expected output is also checked to be
 * stable (normalising it again changes nothing). NFC is checked against
 * utf8proc's own NFC on random strings of tricky code points.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "../../clean/clean.h"
#include "../../lib/strbuf.h"

struct norm_case {
	const char *name, *in, *want;
	unsigned flags;
};

static const struct norm_case cases[] = {
	/* Chinese punctuation stays, full-width letters and digits fold */
	{ "zh punctuation kept", "你好，世界！这是什么？答：是的；好。", "你好，世界！这是什么？答：是的；好。", 0 },
	{ "zh quotes kept", "他说「你好」，书名是『三体』。", "他说「你好」，书名是『三体』。", 0 },
	{ "full-width parens kept", "（注意）价格￥100", "（注意）价格￥100", 0 },
	{ "full-width letters fold", "Ｈｅｌｌｏ　ＷＯＲＬＤ　１２３", "Hello WORLD 123", 0 },
	{ "mixed fold in zh", "型号：ＡＢＣ－１２３，颜色：红。", "型号：ABC－123，颜色：红。", 0 },
	/* NFC */
	{ "nfc composes accents", "Cafe\xcc\x81 re\xcc\x81sume\xcc\x81", "Caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9", 0 },
	{ "nfc hangul jamo", "\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80", 0 },
	{ "nfc singleton angstrom", "\xe2\x84\xab", "\xc3\x85", 0 },
	{ "nfc keeps ligature", "\xef\xac\x81le", "\xef\xac\x81le", 0 },
	{ "nfc keeps circled digit", "\xe2\x91\xa0 step", "\xe2\x91\xa0 step", 0 },
	/* NFKC on request, Chinese punctuation still kept */
	{ "nfkc folds ligature", "\xef\xac\x81le", "file", NORMALIZE_NFKC },
	{ "nfkc folds circled digit", "\xe2\x91\xa0 step", "1 step", NORMALIZE_NFKC },
	{ "nfkc keeps zh punctuation", "好，很好！真的？是：对；「嗯」（注）…", "好，很好！真的？是：对；「嗯」（注）…",
	  NORMALIZE_NFKC },
	{ "nfkc half-width katakana", "\xef\xbd\xb1\xef\xbd\xb2", "\xe3\x82\xa2\xe3\x82\xa4", NORMALIZE_NFKC },
	/* removed characters */
	{ "control chars", "a\x01" "b\x7f" "c\x1b[0m", "abc[0m", 0 },
	{ "c1 controls", "a\xc2\x85" "b\xc2\x9f" "c", "abc", 0 },
	{ "zero width", "a\xe2\x80\x8b" "b\xe2\x80\x8c" "c\xe2\x81\xa0" "d", "abcd", 0 },
	{ "bom", "\xef\xbb\xbfhello\xef\xbb\xbf", "hello", 0 },
	{ "soft hyphen", "co\xc2\xad" "operate", "cooperate", 0 },
	{ "private use", "a\xee\x80\x80" "b\xf3\xb0\x80\x80" "c", "abc", 0 },
	{ "zwj kept in emoji", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 0 },
	{ "zwj dropped in text", "a\xe2\x80\x8d" "b", "ab", 0 },
	{ "invalid utf-8", "a\xff" "b\xc3", "a\xef\xbf\xbd" "b\xef\xbf\xbd", 0 },
	/* HTML: only for text from crawled pages */
	{ "entities", "a &amp; b &lt;c&gt; &quot;q&quot; &#39;s&#39;", "a & b <c> \"q\" 's'", NORMALIZE_MARKUP },
	{ "numeric entities zh", "&#20320;&#x597D;&nbsp;世界", "你好 世界", NORMALIZE_MARKUP },
	{ "double-escaped entity", "x &amp;amp; y", "x & y", NORMALIZE_MARKUP },
	{ "unknown entity kept", "AT&T &foo; R&D", "AT&T &foo; R&D", NORMALIZE_MARKUP },
	{ "paragraph tags", "<p>第一段。</p><p>第二段。</p>", "第一段。\n\n第二段。", NORMALIZE_MARKUP },
	{ "br and inline tags", "line<br>next <b>bold</b> <a href=\"x.html\">link</a>", "line\nnext bold link", NORMALIZE_MARKUP },
	{ "script dropped", "<script type=\"text/javascript\">var a = 1;</script>正文", "正文", NORMALIZE_MARKUP },
	{ "comment dropped", "<!-- ad -->text<!DOCTYPE html>", "text", NORMALIZE_MARKUP },
	{ "non-html angle brackets kept", "List<String> and a < b > c, <EMAIL>", "List<String> and a < b > c, <EMAIL>", NORMALIZE_MARKUP },
	{ "escaped tag is stripped too", "&lt;div&gt;内容&lt;/div&gt;", "内容", NORMALIZE_MARKUP },
	/* regression: imported records about HTML were changed ("Explain the `<div>` tag" lost its tag) */
	{ "imported markup kept", "Explain the <div> tag: <p>x</p> &amp; &lt;b&gt;", "Explain the <div> tag: <p>x</p> &amp; &lt;b&gt;", 0 },
	{ "imported html output kept", "<button onclick=\"go()\">Click Here</button>", "<button onclick=\"go()\">Click Here</button>", 0 },
	/* mojibake */
	{ "mojibake nbsp lost", "\xc3\xa4\xc2\xbd\xc2\xa0\xc3\xa5\xc2\xa5\xc2\xbd", "你好", 0 },
	{ "mojibake space for nbsp", "\xc3\xa4\xc2\xbd \xc3\xa5\xc2\xa5\xc2\xbd", "你好", 0 },
	{ "mojibake latin", "\xc3\x83\xc2\xa9t\xc3\x83\xc2\xa9", "\xc3\xa9t\xc3\xa9", 0 },
	{ "mojibake cp1252 quotes", "\xc3\xa2\xe2\x82\xac\xc5\x93hi\xc3\xa2\xe2\x82\xac\xc2\x9d",
	  "\xe2\x80\x9chi\xe2\x80\x9d", 0 },
	/* regression: Windows-1252 mojibake with the bytes 1252 leaves undefined (read as C1 controls) */
	{ "mojibake cp1252 zh", "\xc3\xa4\xc2\xbd\xc2\xa0\xc3\xa5\xc2\xa5\xc2\xbd\xc3\xaf\xc2\xbc\xc5\x92\xc3\xa4\xc2\xb8\xe2\x80\x93\xc3\xa7\xe2\x80\xa2\xc5\x92",
	  "你好，世界", 0 },
	{ "mojibake twice", "\xc3\x83\xc2\xa4\xc3\x82\xc2\xbd\xc3\x82\xc2\xa0\xc3\x83\xc2\xa5\xc3\x82\xc2\xa5\xc3\x82\xc2\xbd",
	  "你好", 0 },
	/* regression: "×" and a space read as a sequence whose U+00A0 was lost ("12 × 7" became "12 נ7") */
	{ "times sign untouched", "12 \xc3\x97 7 = 84", "12 \xc3\x97 7 = 84", 0 },
	{ "latin text untouched", "Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9", "Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9", 0 },
	{ "symbols untouched", "\xc2\xa9 2024 \xc2\xb1 5\xc2\xb0", "\xc2\xa9 2024 \xc2\xb1 5\xc2\xb0", 0 },
	/* layout */
	{ "space runs", "a   b\t\tc  d", "a b c d", 0 },
	{ "trailing spaces", "line  \nnext\t", "line\nnext", 0 },
	{ "blank lines", "a\n\n\n\n\nb\n \n \nc", "a\n\nb\n\nc", 0 },
	{ "trim", "  \n\n  lead and trail  \n\n", "lead and trail", 0 },
	{ "crlf", "one\r\ntwo\rthree", "one\ntwo\nthree", 0 },
	{ "indentation kept", "steps:\n  - one\n    - two", "steps:\n  - one\n    - two", 0 },
	{ "zh indent dropped", "\xe3\x80\x80\xe3\x80\x80第一段。\n\xe3\x80\x80\xe3\x80\x80第二段。", "第一段。\n第二段。", 0 },
	{ "ideographic space inside", "你好\xe3\x80\x80世界", "你好 世界", 0 },
	{ "unicode spaces", "a\xc2\xa0" "b\xe2\x80\x83" "c", "a b c", 0 },
	/* code blocks */
	{ "code verbatim", "Run:\n```python\nx  =  1\n\n\n\nprint(\"&amp; <b>\")\t\n```\nDone   now.",
	  "Run:\n```python\nx  =  1\n\n\n\nprint(\"&amp; <b>\")\t\n```\nDone now.", 0 },
	{ "tilde fence", "~~~\nＡ  Ｂ\n~~~\nＡ  Ｂ", "~~~\nＡ  Ｂ\n~~~\nA B", 0 },
	{ "unclosed fence runs to end", "text\n```\n  a  \n\n\n\nb", "text\n```\n  a  \n\n\n\nb", 0 },
	{ "inline backticks are prose", "use `a  b`", "use `a b`", 0 },
	{ "empty", "", "", 0 },
	{ "only spaces", " \t\n \xe3\x80\x80 ", "", 0 },
};

static void normalize(struct strbuf *out, const char *s, unsigned flags)
{
	strbuf_reset(out);
	clean_normalize(out, s, strlen(s), flags);
}

static void test_cases(void **state)
{
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	int failed = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct norm_case *c = &cases[i];
		normalize(&out, c->in, c->flags);
		if (strcmp(out.buf, c->want)) {
			print_error("case '%s': got '%s', want '%s'\n", c->name, out.buf, c->want);
			failed++;
			continue;
		}
		normalize(&again, out.buf, c->flags);
		if (strcmp(again.buf, out.buf)) {
			print_error("case '%s' is not stable: '%s' became '%s'\n", c->name, out.buf, again.buf);
			failed++;
		}
	}
	strbuf_release(&out);
	strbuf_release(&again);
	assert_int_equal(failed, 0);
}

/* Appending keeps what out already held. */
static void test_appends(void **state)
{
	struct strbuf out = STRBUF_INIT;
	(void)state;
	strbuf_addstr(&out, "前缀|");
	clean_normalize(&out, "  Ｘ  ", strlen("  Ｘ  "), 0);
	assert_string_equal(out.buf, "前缀|X");
	strbuf_release(&out);
}

/*
 * On text without anything but letters and marks, clean_normalize must
 * agree with utf8proc's NFC exactly - including its fast path that skips
 * NFC when nothing could change.
 */
static void test_nfc_matches_utf8proc(void **state)
{
	static const int32_t pool[] = {
		'a', 'e', 'A', 'o', 0x0301, 0x0300, 0x0327, 0x0308, 0x0323, 0x0344, 0x1100, 0x1161,
		0x11A8, 0xAC00, 0xAC01, 0x00E9, 0x4E2D, 0x3099, 0x304B, 0x30AB, 0x0B47, 0x0B3E, 0x0B57,
		0x212B, 0x2126, 0x0F73, 0x1E0A, 0x0958, 0x2F800, 0x1D15E, 0x0DD9, 0x0DCF, 0xFB01, 0x2460,
	};
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	int failed = 0;
	(void)state;
	srand(12345);
	for (int iter = 0; iter < 20000 && failed < 5; iter++) {
		int n = 1 + rand() % 8;
		strbuf_reset(&in);
		for (int k = 0; k < n; k++) {
			utf8proc_uint8_t buf[4];
			int32_t cp = pool[rand() % (int)(sizeof(pool) / sizeof(pool[0]))];
			strbuf_add(&in, buf, (size_t)utf8proc_encode_char(cp, buf));
		}
		utf8proc_uint8_t *want = utf8proc_NFC((const utf8proc_uint8_t *)in.buf);
		normalize(&out, in.buf, 0);
		if (strcmp(out.buf, (const char *)want)) {
			print_error("NFC mismatch for input of %d code points\n", n);
			failed++;
		}
		free(want);
	}
	strbuf_release(&in);
	strbuf_release(&out);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_nfc_matches_utf8proc),
	};
	return RUN_TESTS(tests);
}
