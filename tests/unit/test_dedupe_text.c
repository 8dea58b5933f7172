/*
 * test_dedupe_text.c - what dedupe compares: normalisation (width, case,
 * punctuation), character shingles of Chinese and Latin text with exact
 * Jaccard, and the 13-gram tokens of decontamination. Expected values are
 * worked out by hand in the comments.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../dedupe/dedupe.h"

static void assert_normalizes_to(const char *in, const uint32_t *want, size_t n)
{
	struct codepoints cp = CODEPOINTS_INIT;
	size_t got = dedupe_normalize(&cp, in, strlen(in));
	assert_int_equal(got, n);
	assert_int_equal(cp.nr, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cp.cp[i], want[i]);
	codepoints_release(&cp);
}

static void assert_same_normal_form(const char *a, const char *b)
{
	struct codepoints ca = CODEPOINTS_INIT, cb = CODEPOINTS_INIT;
	dedupe_normalize(&ca, a, strlen(a));
	dedupe_normalize(&cb, b, strlen(b));
	assert_int_equal(ca.nr, cb.nr);
	assert_memory_equal(ca.cp, cb.cp, ca.nr * sizeof(uint32_t));
	codepoints_release(&ca);
	codepoints_release(&cb);
}

static void test_normalize_latin(void **state)
{
	(void)state;
	static const uint32_t hw[] = { 'h', 'e', 'l', 'l', 'o', 'w', 'o', 'r', 'l', 'd', '4', '2' };
	assert_normalizes_to("Hello,  World!\n\t(42)", hw, 12);
	/* fullwidth ＨＥＬＬＯ，ＷＯＲＬＤ！４２ folds to the same */
	assert_normalizes_to("\xEF\xBC\xA8\xEF\xBC\xA5\xEF\xBC\xAC\xEF\xBC\xAC\xEF\xBC\xAF\xEF\xBC\x8C"
			     "\xEF\xBC\xB7\xEF\xBC\xAF\xEF\xBC\xB2\xEF\xBC\xAC\xEF\xBC\xA4\xEF\xBC\x81"
			     "\xEF\xBC\x94\xEF\xBC\x92", hw, 12);
	/* ß case-folds to ss */
	static const uint32_t strasse[] = { 's', 't', 'r', 'a', 's', 's', 'e' };
	assert_normalizes_to("STRAẞE", strasse, 7);
	assert_normalizes_to("Straße", strasse, 7);
	/* precomposed é and e + combining acute are the same text */
	assert_same_normal_form("caf\xC3\xA9", "cafe\xCC\x81");
	/* only symbols and punctuation: nothing left */
	assert_normalizes_to("--- *** !!! $$$ \xE2\x80\x9C\xE2\x80\x9D", NULL, 0);
}

static void test_normalize_cjk(void **state)
{
	(void)state;
	/* 中文，标点。 -> 中文标点 (U+4E2D U+6587 U+6807 U+70B9) */
	static const uint32_t zh[] = { 0x4E2D, 0x6587, 0x6807, 0x70B9 };
	assert_normalizes_to("中文，标点。", zh, 4);
	assert_normalizes_to("中文, 标点.", zh, 4);
	assert_normalizes_to("「中文」　标点！", zh, 4);	/* ideographic space and brackets */
	/* halfwidth katakana ｶﾀｶﾅ (U+FF76 U+FF80 U+FF76 U+FF85) -> カタカナ */
	static const uint32_t kana[] = { 0x30AB, 0x30BF, 0x30AB, 0x30CA };
	assert_normalizes_to("\xEF\xBD\xB6\xEF\xBE\x80\xEF\xBD\xB6\xEF\xBE\x85", kana, 4);
	/* Hangul syllables stay whole: 한국어 */
	static const uint32_t ko[] = { 0xD55C, 0xAD6D, 0xC5B4 };
	assert_normalizes_to("한국어!", ko, 3);
	/* invalid UTF-8 bytes are dropped, valid text around them kept */
	static const uint32_t ab[] = { 'a', 'b' };
	assert_normalizes_to("a\xFF\xC3(b", ab, 2);
}

static size_t shingles_of(struct shingle_set *set, const char *text)
{
	struct codepoints cp = CODEPOINTS_INIT;
	dedupe_normalize(&cp, text, strlen(text));
	shingle_set_build(set, cp.cp, cp.nr);
	codepoints_release(&cp);
	return set->nr;
}

static void test_shingles_latin(void **state)
{
	struct shingle_set a = SHINGLE_SET_INIT, b = SHINGLE_SET_INIT;
	(void)state;
	/* "abcdefg": abcde bcdef cdefg */
	assert_int_equal(shingles_of(&a, "abcdefg"), 3);
	/* spaces and case do not count: the same three */
	assert_int_equal(shingles_of(&b, "ABC def-g"), 3);
	assert_true(shingle_jaccard(&a, &b) == 1.0);
	/* "aaaaaaa": three windows, one distinct shingle */
	assert_int_equal(shingles_of(&a, "aaaaaaa"), 1);
	/* shorter than a shingle: one; nothing: none */
	assert_int_equal(shingles_of(&a, "abc"), 1);
	assert_int_equal(shingles_of(&b, "abd"), 1);
	assert_true(shingle_jaccard(&a, &b) == 0.0);
	assert_int_equal(shingles_of(&a, "?!"), 0);
	/* "abcdefgh" (abcde bcdef cdefg defgh) vs "abcdefgxh" (abcde bcdef cdefg defgx efgxh):
	 * 3 shared of 4 + 5 - 3 = 6 -> 0.5 */
	shingles_of(&a, "abcdefgh");
	shingles_of(&b, "abcdefgxh");
	assert_int_equal(a.nr, 4);
	assert_int_equal(b.nr, 5);
	assert_true(shingle_jaccard(&a, &b) == 0.5);
	shingle_set_release(&a);
	shingle_set_release(&b);
}

static void test_shingles_cjk(void **state)
{
	struct shingle_set a = SHINGLE_SET_INIT, b = SHINGLE_SET_INIT;
	(void)state;
	/* 我爱北京天安门 (7 characters): 3 shingles; no word segmentation needed */
	assert_int_equal(shingles_of(&a, "我爱北京天安门"), 3);
	/* + 广场 (9 characters): 5 shingles, the first 3 shared -> 3 / 5 */
	assert_int_equal(shingles_of(&b, "我爱北京天安门广场。"), 5);
	assert_true(shingle_jaccard(&a, &b) == 3.0 / 5.0);
	/* full-width punctuation vs ASCII punctuation: identical */
	shingles_of(&a, "今天天气很好，我们去公园散步吧。");
	shingles_of(&b, "今天天气很好, 我们去公园散步吧");
	assert_true(shingle_jaccard(&a, &b) == 1.0);
	shingle_set_release(&a);
	shingle_set_release(&b);
}

static void test_decontam_latin(void **state)
{
	struct ngram_set *set = ngram_set_new();
	(void)state;
	/* 14 words: two 13-word windows */
	const char *eval = "The quick brown fox jumps over the lazy dog while the farmer sleeps soundly";
	assert_int_equal(ngram_set_add_text(set, eval, strlen(eval)), 2);
	assert_int_equal(ngram_set_size(set), 2);
	/* the same 13 words with other case and punctuation, inside other text */
	const char *hit = "Story: THE QUICK, brown fox -- jumps over the lazy dog; while the farmer... SLEEPS! The end.";
	assert_true(ngram_set_hits(set, hit, strlen(hit)));
	/* only 12 of them in a row */
	const char *miss = "the quick brown fox jumps over the lazy dog while the farmer";
	assert_false(ngram_set_hits(set, miss, strlen(miss)));
	/* one word changed in the middle breaks every window */
	const char *changed = "The quick brown fox jumps over the sleepy dog while the farmer sleeps soundly";
	assert_false(ngram_set_hits(set, changed, strlen(changed)));
	ngram_set_free(set);
}

static void test_decontam_cjk(void **state)
{
	struct ngram_set *set = ngram_set_new();
	(void)state;
	/* 15 characters, one token each: 3 windows */
	const char *eval = "床前明月光疑是地上霜举头望明月";
	assert_int_equal(ngram_set_add_text(set, eval, strlen(eval)), 3);
	/* 13 of them in a row, with punctuation between, inside other text */
	const char *hit = "请背诵：床前明月光，疑是地上霜。举头望明。谢谢";
	assert_true(ngram_set_hits(set, hit, strlen(hit)));
	/* 12 in a row */
	const char *miss = "床前明月光，疑是地上霜。举头";
	assert_false(ngram_set_hits(set, miss, strlen(miss)));
	/* mixed: a word between CJK characters is one token: 4 + 1 + 9 = 14 tokens, 2 windows */
	struct ngram_set *mixed = ngram_set_new();
	const char *m = "我们使用Python语言编写程序很方便";
	assert_int_equal(ngram_set_add_text(mixed, m, strlen(m)), 2);
	assert_int_equal(ngram_set_add_text(mixed, "", 0), 0);
	ngram_set_free(mixed);
	ngram_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_latin),
		cmocka_unit_test(test_normalize_cjk),
		cmocka_unit_test(test_shingles_latin),
		cmocka_unit_test(test_shingles_cjk),
		cmocka_unit_test(test_decontam_latin),
		cmocka_unit_test(test_decontam_cjk),
	};
	return RUN_TESTS(tests);
}
