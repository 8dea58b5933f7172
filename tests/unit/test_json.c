/*
 * test_json.c - lib/json.c: the streaming item reader (arrays and JSON
 * Lines, strings holding brackets and quotes, items across the 1 MB read
 * buffer, BOM, CRLF, line numbers, structural errors), json_write_string
 * (checked against jansson as an independent decoder) and json_parse; and
 * the flat-object fast path (lib/json_flat.c) checked against jansson.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/json.h"

static char path[64];

/* Writes len bytes of text to a fresh temporary file and opens a reader on it. */
static void open_text(struct json_reader *r, const char *text, size_t len, enum json_layout layout)
{
	snprintf(path, sizeof(path), "/tmp/winnow-test-json-%ld", (long)getpid());
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(json_reader_open(r, path, layout), 0);
}

static void open_str(struct json_reader *r, const char *text, enum json_layout layout)
{
	open_text(r, text, strlen(text), layout);
}

static void done(struct json_reader *r)
{
	json_reader_close(r);
	unlink(path);
}

/* Expects the next item to be `want`, starting on line `line`. */
static void expect_item(struct json_reader *r, const char *want, long line)
{
	assert_int_equal(json_reader_next(r), 1);
	assert_string_equal(r->item.buf, want);
	assert_int_equal(r->item.len, strlen(want));
	assert_int_equal(r->line, line);
}

static void expect_error(const char *text, enum json_layout layout, const char *msg)
{
	struct json_reader r;
	int got;
	open_str(&r, text, layout);
	while ((got = json_reader_next(&r)) == 1)
		;
	assert_int_equal(got, -1);
	if (!strstr(r.err, msg))
		fail_msg("error '%s' lacks '%s'", r.err, msg);
	assert_int_equal(json_reader_next(&r), 0);	/* stays at the end */
	done(&r);
}

static void test_array_items_with_tricky_strings(void **state)
{
	struct json_reader r;
	(void)state;
	open_str(&r,
		 "[\n"
		 "  {\"a\": \"x]}\\\"[{,\"},\n"
		 "  {\"b\": [\"]\", {\"c\": \"\\\\\"}]},\n"
		 "\n"
		 "  {\"d\": \"\\\\\\\"\"}  ,{\"e\":\n1}\n"
		 "]\n",
		 JSON_LAYOUT_ARRAY);
	expect_item(&r, "{\"a\": \"x]}\\\"[{,\"}", 2);
	expect_item(&r, "{\"b\": [\"]\", {\"c\": \"\\\\\"}]}", 3);
	expect_item(&r, "{\"d\": \"\\\\\\\"\"}", 5);
	expect_item(&r, "{\"e\":\n1}", 5);
	assert_int_equal(r.index, 3);
	assert_int_equal(json_reader_next(&r), 0);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
}

static void test_array_scalars(void **state)
{
	struct json_reader r;
	(void)state;
	open_str(&r, "[1, \"two, [three]\" ,true,null, -3.5e2 ,[],{}]", JSON_LAYOUT_AUTO);
	expect_item(&r, "1", 1);
	expect_item(&r, "\"two, [three]\"", 1);
	expect_item(&r, "true", 1);
	expect_item(&r, "null", 1);
	expect_item(&r, "-3.5e2", 1);
	expect_item(&r, "[]", 1);
	expect_item(&r, "{}", 1);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
	/* regression: a bare number right before ']' was "unbalanced brackets" */
	open_str(&r, "[{\"a\":1},7]", JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\":1}", 1);
	expect_item(&r, "7", 1);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
}

static void test_empty_arrays(void **state)
{
	struct json_reader r;
	(void)state;
	const char *texts[] = { "[]", " [ \n ] \n", "\xEF\xBB\xBF[]" };
	for (size_t i = 0; i < 3; i++) {
		open_str(&r, texts[i], JSON_LAYOUT_AUTO);
		assert_int_equal(json_reader_next(&r), 0);
		assert_int_equal(r.layout, JSON_LAYOUT_ARRAY);
		done(&r);
	}
	/* an empty file is no items in either layout (import reports it) */
	open_str(&r, "", JSON_LAYOUT_AUTO);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
}

/*
 * Items bigger than the 1 MB read buffer, and items whose bytes straddle
 * the buffer boundary at every interesting offset: inside a string, on an
 * escape, on the closing quote and brace.
 */
static void test_items_across_buffer_boundary(void **state)
{
	(void)state;
	const size_t chunk = 1 << 20;
	struct strbuf text = STRBUF_INIT, big = STRBUF_INIT;
	struct json_reader r;

	/* one 1.5 MB item with escapes and newlines-in-escapes scattered through it */
	strbuf_addstr(&big, "{\"instruction\": \"");
	for (size_t i = 0; big.len < chunk + chunk / 2; i++)
		strbuf_addstr(&big, i % 1000 == 0 ? "\\\"]}\\n" : "季度abc");
	strbuf_addstr(&big, "\", \"output\": \"ok\"}");
	strbuf_addstr(&text, "[\n{\"a\": \"small\"},\n");
	strbuf_add(&text, big.buf, big.len);
	strbuf_addstr(&text, ",\n{\"z\": \"after\"}\n]");
	open_text(&r, text.buf, text.len, JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\": \"small\"}", 2);
	assert_int_equal(json_reader_next(&r), 1);
	assert_int_equal(r.item.len, big.len);
	assert_memory_equal(r.item.buf, big.buf, big.len);
	assert_int_equal(r.line, 3);
	expect_item(&r, "{\"z\": \"after\"}", 4);
	assert_int_equal(json_reader_next(&r), 0);
	assert_int_equal(r.bytes, text.len);
	done(&r);

	/* the boundary falling on each of the last bytes of an item */
	const char *tail = "\"x\\\"y\"}";	/* ..."x\"y"} */
	for (size_t k = 0; k <= strlen(tail) + 2; k++) {
		strbuf_reset(&text);
		strbuf_addstr(&text, "[{\"p\": \"");
		/* pad so that `tail` starts k bytes before the end of the first read */
		while (text.len < chunk - k - 8)
			strbuf_addch(&text, 'a' + (char)(text.len % 26));
		strbuf_addch(&text, '"');
		strbuf_addstr(&text, ", \"q\": ");
		strbuf_addstr(&text, tail);
		size_t item_len = text.len - 1;
		strbuf_addstr(&text, "\n,\n{\"n\": 2}]");
		open_text(&r, text.buf, text.len, JSON_LAYOUT_ARRAY);
		assert_int_equal(json_reader_next(&r), 1);
		assert_int_equal(r.item.len, item_len);
		assert_memory_equal(r.item.buf, text.buf + 1, item_len);
		expect_item(&r, "{\"n\": 2}", 3);
		assert_int_equal(json_reader_next(&r), 0);
		done(&r);
	}

	/* JSON Lines with a line longer than the buffer */
	strbuf_reset(&text);
	strbuf_addstr(&text, "{\"a\": 1}\n");
	strbuf_add(&text, big.buf, big.len);
	strbuf_addstr(&text, "\r\n{\"b\": 2}");
	open_text(&r, text.buf, text.len, JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\": 1}", 1);
	assert_int_equal(json_reader_next(&r), 1);
	assert_int_equal(r.item.len, big.len);
	assert_memory_equal(r.item.buf, big.buf, big.len);
	expect_item(&r, "{\"b\": 2}", 3);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
	strbuf_release(&text);
	strbuf_release(&big);
}

static void test_bom(void **state)
{
	struct json_reader r;
	(void)state;
	open_str(&r, "\xEF\xBB\xBF[{\"a\": 1}]", JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\": 1}", 1);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
	open_str(&r, "\xEF\xBB\xBF{\"a\": 1}\n{\"b\": 2}\n", JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\": 1}", 1);
	expect_item(&r, "{\"b\": 2}", 2);
	done(&r);
	open_str(&r, "\xEF\xBB\xBF{\"a\": 1}\n", JSON_LAYOUT_LINES);
	expect_item(&r, "{\"a\": 1}", 1);
	done(&r);
	open_str(&r, "\xEF\xBB\xBF[1]", JSON_LAYOUT_ARRAY);
	expect_item(&r, "1", 1);
	done(&r);
}

/* regression: a cut-off BOM at the end of the file made ungetb() step
 * before the emptied read buffer (heap read out of bounds, then "empty") */
static void test_cut_off_bom_read_before_buffer(void **state)
{
	struct json_reader r;
	(void)state;
	open_str(&r, "\xEF", JSON_LAYOUT_AUTO);
	expect_item(&r, "\xEF", 1);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
	open_str(&r, "\xEF\xBB", JSON_LAYOUT_AUTO);
	expect_item(&r, "\xEF\xBB", 1);
	done(&r);
	/* the bad bytes stay with the item, so the import refuses the line
	 * instead of dropping them silently */
	open_str(&r, "\xEF\xBB{\"a\": 1}\n", JSON_LAYOUT_AUTO);
	expect_item(&r, "\xEF\xBB{\"a\": 1}", 1);
	done(&r);
	open_str(&r, "\xEF", JSON_LAYOUT_ARRAY);
	assert_int_equal(json_reader_next(&r), -1);
	done(&r);
}

/* UTF-16 is named, not reported as a bad byte */
static void test_utf16_named(void **state)
{
	struct json_reader r;
	(void)state;
	open_text(&r, "\xFF\xFE{\0}\0", 6, JSON_LAYOUT_AUTO);
	assert_int_equal(json_reader_next(&r), -1);
	assert_non_null(strstr(r.err, "UTF-16"));
	done(&r);
	open_text(&r, "[\0{\0}\0]\0", 8, JSON_LAYOUT_AUTO);
	assert_int_equal(json_reader_next(&r), -1);
	assert_non_null(strstr(r.err, "UTF-16"));
	done(&r);
}

/* regression: strbuf_trim matched NUL through strchr's terminator, so NUL
 * bytes around a JSON Lines item vanished and a line of NULs was skipped */
static void test_nul_not_trimmed_as_whitespace(void **state)
{
	struct json_reader r;
	(void)state;
	open_text(&r, "{\"a\": 1}\0\n\0\0\n\0{\"b\": 2}\n", 23, JSON_LAYOUT_LINES);
	assert_int_equal(json_reader_next(&r), 1);
	assert_int_equal(r.item.len, 9);
	assert_int_equal(json_reader_next(&r), 1);
	assert_int_equal(r.item.len, 2);
	assert_int_equal(json_reader_next(&r), 1);
	assert_int_equal(r.item.len, 9);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
}

static void test_json_lines(void **state)
{
	struct json_reader r;
	(void)state;
	open_str(&r, "\n{\"a\": \"[\"}\r\n\r\n  \t\n{\"b\": 2}  \r\n{\"c\": 3}", JSON_LAYOUT_AUTO);
	expect_item(&r, "{\"a\": \"[\"}", 2);
	assert_int_equal(r.layout, JSON_LAYOUT_LINES);
	assert_int_equal(r.index, 0);
	expect_item(&r, "{\"b\": 2}", 5);
	assert_int_equal(r.index, 1);
	expect_item(&r, "{\"c\": 3}", 6);
	assert_int_equal(json_reader_next(&r), 0);
	done(&r);
	/* forced lines: a broken line is just an item; the parser blames it later */
	open_str(&r, "{\"a\": 1}\n{broken\n{\"c\": 3}\n", JSON_LAYOUT_LINES);
	expect_item(&r, "{\"a\": 1}", 1);
	expect_item(&r, "{broken", 2);
	expect_item(&r, "{\"c\": 3}", 3);
	done(&r);
}

static void test_structural_errors(void **state)
{
	(void)state;
	expect_error("[{\"a\": 1},\n{\"b\": 2}\n", JSON_LAYOUT_AUTO, "missing ']'");
	expect_error("[{\"a\": 1}\n", JSON_LAYOUT_AUTO, "line 2: unexpected end of file inside the array (missing ']')");
	expect_error("[", JSON_LAYOUT_AUTO, "missing ']'");	/* regression: read before the buffer */
	expect_error("[\n  ", JSON_LAYOUT_AUTO, "line 2: unexpected end of file inside the array");
	expect_error("[{\"a\": \"open", JSON_LAYOUT_AUTO, "unexpected end of file inside a string");
	expect_error("[{\"a\": [1, 2}", JSON_LAYOUT_AUTO, "unexpected end of file inside an array item");
	expect_error("[{\"a\": 1},,{\"b\": 2}]", JSON_LAYOUT_AUTO, "empty item in the array (stray ',')");
	expect_error("[{\"a\": 1},\n]", JSON_LAYOUT_AUTO, "line 2: empty item in the array (stray ',')");
	expect_error("[,{\"a\": 1}]", JSON_LAYOUT_AUTO, "stray ','");
	expect_error("[{\"a\": 1}]\n\n x", JSON_LAYOUT_AUTO, "line 3: unexpected data after the closing ']'");
	expect_error("[{\"a\": 1}] []", JSON_LAYOUT_AUTO, "unexpected data after the closing ']'");
	expect_error("[{\"a\": 1} {\"b\": 2}]", JSON_LAYOUT_AUTO, "expected ',' or ']' between array items");
	expect_error("{\"a\": 1}", JSON_LAYOUT_ARRAY, "expected '[' at the start of a JSON array");
	expect_error("[}]", JSON_LAYOUT_AUTO, "unbalanced brackets");
}

static void test_write_string_escapes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	static const char odd[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7fk/";
	json_write_string(&sb, odd, sizeof(odd) - 1);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\x7fk/\"");
	strbuf_reset(&sb);
	json_write_string(&sb, "我这个季度会发财吗 😀", strlen("我这个季度会发财吗 😀"));
	assert_string_equal(sb.buf, "\"我这个季度会发财吗 😀\"");
	strbuf_reset(&sb);
	json_write_string(&sb, "", 0);
	assert_string_equal(sb.buf, "\"\"");
	strbuf_reset(&sb);
	json_write_string(&sb, "a\0b", 3);	/* a NUL inside the length is escaped */
	assert_string_equal(sb.buf, "\"a\\u0000b\"");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "x:");
	json_write_string(&sb, "abc", 2);	/* only len bytes, appended */
	assert_string_equal(sb.buf, "x:\"ab\"");
	strbuf_release(&sb);
}

/* Random strings of ASCII (control characters included) and Chinese,
 * written by json_write_string and read back by jansson. */
static void test_write_string_round_trips_through_jansson(void **state)
{
	static const char *const pieces[] = { "季", "度", "😀", "é", "\"", "\\", "\n", "\t", "\x01", "\x1f",
					      " ", "a", "Z", "/", "\x7f", "]", "{" };
	struct strbuf s = STRBUF_INIT, out = STRBUF_INIT;
	unsigned seed = 12345;
	(void)state;
	for (int round = 0; round < 2000; round++) {
		strbuf_reset(&s);
		strbuf_reset(&out);
		int n = round % 40;
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			strbuf_addstr(&s, pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))]);
		}
		json_write_string(&out, s.buf, s.len);
		json_error_t je;
		json_t *v = json_loadb(out.buf, out.len, JSON_DECODE_ANY, &je);
		if (!json_is_string(v))
			fail_msg("round %d: jansson cannot read %s: %s", round, out.buf, je.text);
		assert_int_equal(json_string_length(v), s.len);
		assert_memory_equal(json_string_value(v), s.buf, s.len);
		json_decref(v);
		/* UTF-8 is never \u-escaped: every \u in the output is for a control byte */
		for (const char *u = out.buf; (u = strstr(u, "\\u")); u += 2)
			assert_true(u[2] == '0' && u[3] == '0' && (u[4] == '0' || u[4] == '1'));
	}
	strbuf_release(&s);
	strbuf_release(&out);
}

static void test_parse(void **state)
{
	char err[128];
	(void)state;
	json_t *v = json_parse("42", 2, err, sizeof(err));
	assert_true(json_is_integer(v));	/* any value, not only objects and arrays */
	assert_string_equal(json_type_name(v), "a number");
	json_decref(v);
	v = json_parse("\"s\"", 3, err, sizeof(err));
	assert_string_equal(json_type_name(v), "a string");
	json_decref(v);
	assert_null(json_parse("{\"a\":\n  1,}", 11, err, sizeof(err)));
	assert_non_null(strstr(err, "line 2 column"));
	assert_null(json_parse("{\"a\": 1} x", 10, err, sizeof(err)));
	assert_null(json_parse("\"\\u0000\"", 8, NULL, 0));	/* no error buffer: fine */
	assert_string_equal(json_type_name(NULL), "nothing");
}

/*
 * The flat-object fast path must agree with jansson: whenever it accepts
 * a text, jansson parses the same object with the same strings; texts it
 * declines are left to jansson (which then reports any error).
 */
static void test_flat_object_agrees_with_jansson(void **state)
{
	static const char *const texts[] = {
		"{\"instruction\": \"季度\", \"input\": \"\", \"output\": \"ok\"}",
		"{}", " { } ",
		"{\"a\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
		"{\"a\": \"\\u5b63\\u00e9\\u0041\"}",
		"{\"a\": \"\\ud83d\\ude00\"}",		/* surrogate pair */
		"{\"a\": \"\\ud83d\"}",			/* lone high surrogate */
		"{\"a\": \"\\ude00\"}",			/* lone low surrogate */
		"{\"a\": \"\\ud83d\\u0041\"}",		/* high surrogate then not a low one */
		"{\"a\": \"\\u0000\"}",			/* NUL */
		"{\"a\": \"\\x41\"}",			/* bad escape */
		"{\"a\": \"\\u12G4\"}",
		"{\"a\": \"\xc0\xaf\"}",		/* overlong */
		"{\"a\": \"\xed\xa0\x80\"}",		/* encoded surrogate */
		"{\"a\": \"\xe5\xad\"}",		/* truncated */
		"{\"a\": \"\xf4\x90\x80\x80\"}",	/* above U+10FFFF */
		"{\"a\": \"tab\there\"}",		/* raw control character */
		"{\"a\": null, \"b\": [], \"c\": [ ]}",
		"{\"a\": nul}", "{\"a\": nullx}", "{\"a\": [1]}", "{\"a\": 1}", "{\"a\": true}",
		"{\"a\": \"x\",}", "{\"a\": \"x\" \"b\": \"y\"}", "{\"a\" \"x\"}", "{a: \"x\"}",
		"{\"a\": \"x\"} trailing", "{\"a\": \"x\"", "[\"a\"]", "\"a\"", "",
		"{\"a\": \"first\", \"a\": \"second\"}",	/* duplicate key: the last wins in both */
		"{\"k\\u00e9y\": \"v\"}",
	};
	struct flat_object fo;
	(void)state;
	strbuf_init(&fo.arena, 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i];
		json_t *v = json_loadb(t, strlen(t), 0, NULL);
		if (!flat_object_parse(&fo, t, strlen(t))) {
			json_decref(v);
			continue;	/* declined: jansson decides */
		}
		if (!json_is_object(v))
			fail_msg("flat parser accepted what jansson rejects: %s", t);
		const char *key;
		json_t *jv;
		json_object_foreach(v, key, jv) {
			const struct flat_member *m = flat_object_get(&fo, key);
			if (!m)
				fail_msg("%s: key '%s' missing from the flat parse", t, key);
			if (json_is_string(jv)) {
				assert_int_equal(m->kind, FLAT_STRING);
				assert_int_equal(m->value_len, json_string_length(jv));
				assert_memory_equal(m->value, json_string_value(jv), m->value_len);
			} else if (json_is_null(jv)) {
				assert_int_equal(m->kind, FLAT_NULL);
			} else {
				assert_true(json_is_array(jv) && json_array_size(jv) == 0);
				assert_int_equal(m->kind, FLAT_EMPTY_ARRAY);
			}
		}
		json_decref(v);
	}
	/* a member count past the limit is declined, not truncated */
	struct strbuf many = STRBUF_INIT;
	strbuf_addch(&many, '{');
	for (int i = 0; i <= FLAT_MAX_MEMBERS; i++)
		strbuf_addf(&many, "%s\"k%d\": \"v\"", i ? "," : "", i);
	strbuf_addch(&many, '}');
	assert_int_equal(flat_object_parse(&fo, many.buf, many.len), 0);
	strbuf_release(&many);
	strbuf_release(&fo.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_items_with_tricky_strings),
		cmocka_unit_test(test_array_scalars),
		cmocka_unit_test(test_empty_arrays),
		cmocka_unit_test(test_items_across_buffer_boundary),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_cut_off_bom_read_before_buffer),
		cmocka_unit_test(test_utf16_named),
		cmocka_unit_test(test_nul_not_trimmed_as_whitespace),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_structural_errors),
		cmocka_unit_test(test_write_string_escapes),
		cmocka_unit_test(test_write_string_round_trips_through_jansson),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_flat_object_agrees_with_jansson),
	};
	return RUN_TESTS(tests);
}
