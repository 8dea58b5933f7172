/*
 * test_json_escape.c - json_write_string skips eight bytes at a time; this
 * checks it against a plain byte-at-a-time escaper for every byte value at
 * every position of strings up to 20 bytes, so no word-boundary case hides.
 * Also the flat-object fast path against jansson on the same texts.
 */
#include "unit.h"

#include <string.h>

#include "../../lib/json.h"

static void reference_escape(struct strbuf *b, const char *s, size_t len)
{
	strbuf_addch(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			strbuf_addstr(b, "\\\"");
		else if (c == '\\')
			strbuf_addstr(b, "\\\\");
		else if (c == '\n')
			strbuf_addstr(b, "\\n");
		else if (c == '\r')
			strbuf_addstr(b, "\\r");
		else if (c == '\t')
			strbuf_addstr(b, "\\t");
		else if (c == '\b')
			strbuf_addstr(b, "\\b");
		else if (c == '\f')
			strbuf_addstr(b, "\\f");
		else if (c < 0x20)
			strbuf_addf(b, "\\u%04x", c);
		else
			strbuf_addch(b, c);
	}
	strbuf_addch(b, '"');
}

static void test_every_byte_every_position(void **state)
{
	(void)state;
	char s[32];
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	for (int len = 1; len <= 20; len++)
		for (int pos = 0; pos < len; pos++)
			for (int v = 1; v < 256; v++) {
				memset(s, 'x', sizeof(s));
				s[pos] = (char)v;
				strbuf_reset(&a);
				strbuf_reset(&b);
				json_write_string(&a, s, (size_t)len);
				reference_escape(&b, s, (size_t)len);
				if (a.len != b.len || memcmp(a.buf, b.buf, a.len))
					fail_msg("length %d, byte 0x%02x at %d: got %s want %s", len, v, pos, a.buf, b.buf);
			}
	strbuf_reset(&a);
	json_write_string(&a, "", 0);
	assert_string_equal(a.buf, "\"\"");
	strbuf_release(&a);
	strbuf_release(&b);
}

static void test_utf8_passes_through(void **state)
{
	(void)state;
	struct strbuf a = STRBUF_INIT;
	const char *zh = "我这个季度会发财吗？\n「好」";
	json_write_string(&a, zh, strlen(zh));
	assert_string_equal(a.buf, "\"我这个季度会发财吗？\\n「好」\"");
	strbuf_release(&a);
}

/* The fast path must agree with jansson on what it accepts, and refuse the rest. */
static void test_flat_object_agrees_with_jansson(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"{\"instruction\": \"a\\\"b\\\\c\\/d\\n\", \"output\": \"\\u4f60\\u597d\"}",
		"{\"instruction\":\"emoji \\ud83d\\ude00\",\"input\":null,\"output\":\"x\",\"history\":[]}",
		" { \"a\" : \"\" , \"b\" : \"中文\" } ",
		"{}",
	};
	static const char *const refused[] = {
		"{\"instruction\": 5}",			/* number */
		"{\"history\": [[\"q\", \"a\"]]}",	/* nested */
		"{\"a\": \"bad \\x escape\"}",
		"{\"a\": \"lone \\ud83d surrogate\"}",
		"{\"a\": \"nul \\u0000\"}",
		"{\"a\": \"raw\ttab\"}",
		"{\"a\": \"\xff\xfe not utf-8\"}",
		"{\"a\": \"x\"} trailing",
		"{\"a\": \"unterminated}",
		"[\"not an object\"]",
	};
	struct flat_object obj = { 0 };
	strbuf_init(&obj.arena, 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_error_t je;
		json_t *ref = json_loads(texts[i], 0, &je);
		assert_non_null(ref);
		assert_int_equal(flat_object_parse(&obj, texts[i], strlen(texts[i])), 1);
		assert_int_equal(obj.n, json_object_size(ref));
		for (size_t k = 0; k < obj.n; k++) {
			json_t *v = json_object_get(ref, obj.members[k].key);
			assert_non_null(v);
			if (obj.members[k].kind == FLAT_STRING) {
				assert_true(json_is_string(v));
				assert_int_equal(obj.members[k].value_len, json_string_length(v));
				assert_memory_equal(obj.members[k].value, json_string_value(v), json_string_length(v));
			} else if (obj.members[k].kind == FLAT_NULL) {
				assert_true(json_is_null(v));
			} else {
				assert_true(json_is_array(v) && json_array_size(v) == 0);
			}
		}
		json_decref(ref);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (flat_object_parse(&obj, refused[i], strlen(refused[i])))
			fail_msg("accepted %s", refused[i]);
	strbuf_release(&obj.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte_every_position),
		cmocka_unit_test(test_utf8_passes_through),
		cmocka_unit_test(test_flat_object_agrees_with_jansson),
	};
	return RUN_TESTS(tests);
}
