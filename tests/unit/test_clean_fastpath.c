/*
 * test_clean_fastpath.c - the shortcuts clean/ takes for speed give what
 * the plain way gives: the inline three-byte UTF-8 decoder against
 * lib/text.h's on every three-byte string, the eight-bytes-at-a-time
 * tests against byte loops, the regex anchors against the regexes they
 * guard, text_stats against a code point at a time reference, the
 * repetition rules' hashed n-grams against exact comparison, and the
 * byte loops of normalisation and PII masking with the byte they stop at
 * in every position of a word.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "../../clean/clean_internal.h"
#include "../../lib/strbuf.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* ---- utf8_decode_fast ---- */

static void test_decode_fast_matches_decode(void **state)
{
	(void)state;
	unsigned char b[4] = { 0, 0, 0, 0 };
	size_t n1, n2;
	long mismatches = 0;
	for (unsigned x = 0; x < (1u << 24); x++) {
		b[0] = (unsigned char)(x >> 16);
		b[1] = (unsigned char)(x >> 8);
		b[2] = (unsigned char)x;
		for (size_t len = 1; len <= 3; len++) {
			if (len < 3 && (x & ((1u << (8 * (3 - len))) - 1)))
				continue;	/* shorter strings: each prefix once */
			int32_t a = utf8_decode(b, len, &n1), f = utf8_decode_fast(b, len, &n2);
			if (a != f || n1 != n2) {
				if (mismatches++ < 5)
					print_error("%02x %02x %02x len %zu: decode %d/%zu, fast %d/%zu\n",
						    b[0], b[1], b[2], len, a, n1, f, n2);
			}
		}
	}
	/* four-byte sequences go to the slow decoder unchanged */
	for (int k = 0; k < 100000; k++) {
		for (int j = 0; j < 4; j++)
			b[j] = (unsigned char)(j ? 0x80 | (rnd() & 0x7F) : 0xF0 + (rnd() % 16));
		int32_t a = utf8_decode(b, 4, &n1), f = utf8_decode_fast(b, 4, &n2);
		if (a != f || n1 != n2)
			mismatches++;
	}
	assert_int_equal(mismatches, 0);
}

/* ---- eight bytes at a time ---- */

static int bytes_less(const unsigned char *w, unsigned n)
{
	for (int i = 0; i < 8; i++)
		if (w[i] < n)
			return 1;
	return 0;
}

static int bytes_equal(const unsigned char *w, unsigned b)
{
	for (int i = 0; i < 8; i++)
		if (w[i] == b)
			return 1;
	return 0;
}

static int bytes_between(const unsigned char *w, unsigned m, unsigned n)
{
	for (int i = 0; i < 8; i++)
		if (w[i] > m && w[i] < n)
			return 1;
	return 0;
}

static long swar_check(const unsigned char *w)
{
	uint64_t x = swar_load(w);
	long bad = 0;
	/* the thresholds clean/ uses, and the extremes the tricks allow */
	static const unsigned less[] = { 0, 1, 0x20, 0x21, 0x7F, 0x80 };
	static const unsigned eq[] = { 0, 0x7F, 0x80, 0xFF, '\n' };
	for (size_t k = 0; k < sizeof(less) / sizeof(less[0]); k++)
		bad += swar_has_less(x, less[k]) != bytes_less(w, less[k]);
	for (size_t k = 0; k < sizeof(eq) / sizeof(eq[0]); k++)
		bad += swar_has_byte(x, eq[k]) != bytes_equal(w, eq[k]);
	bad += swar_has_between(x, 0x27, 0x3A) != bytes_between(w, 0x27, 0x3A);
	bad += swar_has_between(x, 0, 128) != bytes_between(w, 0, 128);
	bad += swar_has_between(x, 0x40, 0x5B) != bytes_between(w, 0x40, 0x5B);
	return bad;
}

static void test_swar_matches_bytes(void **state)
{
	(void)state;
	unsigned char w[8];
	long bad = 0;
	/* one odd byte in a word of another byte, in every position */
	for (unsigned fill = 0; fill < 256; fill++)
		for (unsigned b = 0; b < 256; b++)
			for (int p = 0; p < 8; p++) {
				memset(w, (int)fill, sizeof(w));
				w[p] = (unsigned char)b;
				bad += swar_check(w);
			}
	/* random words, bytes drawn near the thresholds and anywhere */
	static const unsigned char near[] = { 0x00, 0x01, 0x1F, 0x20, 0x21, 0x26, 0x27, 0x28, 0x29, 0x2B,
					      0x2F, 0x30, 0x39, 0x3A, 0x3B, 0x7E, 0x7F, 0x80, 0x81, 0xA7,
					      0xA8, 0xB9, 0xBA, 0xE4, 0xFF };
	for (int k = 0; k < 2000000; k++) {
		for (int i = 0; i < 8; i++)
			w[i] = rnd() % 2 ? near[rnd() % sizeof(near)] : (unsigned char)rnd();
		bad += swar_check(w);
	}
	assert_int_equal(bad, 0);
}

/* ---- anchors against the regular expressions ---- */

static const char *const anchor_pieces[] = {
	"### Instruction:", "## Response：", "####输入:", " #tag", "#", "##", "<|im_start|>", "<|eot_id|>",
	"<<SYS>>", "<</SYS>>", "</s>", "</S>", "<s>", "<S>", "<\xc5\xbf>", "<EMAIL>", "<PHONE>", "<", "[INST]",
	"[/INST]", "[inst]", "[\xc4\xb0NST]", "[1]", "[", "Human:", "human: hi", "Assistant:", "ASSISTANT:",
	"I'm sorry, but I can't", "I’m afraid I cannot", "I cannot help", "I can't assist", "I am unable to help",
	"I won't be able to answer", "I must decline", "I must refuse", "抱歉，我无法", "非常抱歉，但是我不能",
	"对不起，我没办法", "抱歉我没办法", "很抱歉，我不可以", "我无法回答", "我不能提供", "我不能", "As an AI language model", "as an AI assistant",
	"as a large language model", "I'm just an AI", "I am an artificial intelligence", "my training data",
	"my knowledge cutoff", "作为一个AI语言模型", "作为一款人工智能助手", "作为大型语言模型", "作为语言模型",
	"我是一个人工智能程序", "我只是AI助手", "我是人工智能", "我的训练数据", "我的知识截止", "人工智能", "语言模型",
	"作为", "我是", "AI", "ai", "Ai", "document.getElementById(", "document.write (", "window.location",
	"window.onload", "$(document)", "$(window)", "adsbygoogle", "googletag.cmd", "google_ad_client",
	"gtag(", "function foo(a, b) {", "function(){", "var x = 5;", "var total=a+b;", ".nav { color: red; }",
	"#main{margin:0;}", "p { font-size: 12px; }", "a{b:c;}", "!important", "@media (max-width", "@media screen",
	"lorem ipsum", "Lorem Ipsum", "dolor sit amet", "consectetur adipiscing", " ", "  ", "\n", "\t", "x", "the",
	"cat", "I", "i", "I ", "a", "1", "{", "}", "$", "!", "@", ":", "：", "，", "。", "长城", "机器学习", "好",
	"\xe2\x80\x99", "\xe2\x84\xaa", "\xc5\xbf", "\xc4\xb0", "\xc4\xb1", "e\xcc\x81", "Ａ", "ｉ",
	/* upper case, glued to words, other white space, Unicode case variants */
	"DOCUMENT.WRITE(", "Window.Open", "xdocument.cookie(", "GoogleTag.", "GTAG(", "xgtag(", "Google_Ad_Client",
	"ADSBYGOOGLE", "xxadsbygooglexx", "!IMPORTANT", "@MEDIA screen", "VAR\tx = 1;", "var\nx=2;", "Var y =3;",
	"1var z = 4;", "_var q = 5;", "ad\xc5\xbf" "bygoogle", "a\xc5\xbf\xc5\xbfi\xc5\xbftant:", "my \xe2\x84\xaanowledge cutoff",
	"HUMAN:", "aSsIsTaNt:", "MY TRAINING DATA", "AS AN AI CHATBOT", "I AM AN AI",
	"我没办法回答", "我没有办法提供", "对不起，这个问题我没办法", "I'm not able to generate", "As an AI, I",
	"being an AI,", "作为一个人工智能，", "作为AI，",
};

static void random_text(struct strbuf *sb, const char *const *pieces, size_t npieces, int max)
{
	int n = 1 + (int)(rnd() % (unsigned)max);
	strbuf_reset(sb);
	for (int i = 0; i < n; i++)
		strbuf_addstr(sb, pieces[rnd() % npieces]);
}

static void test_anchors_cover_regexes(void **state)
{
	(void)state;
	struct clean_rules rules;
	struct cleaner *c;
	struct strbuf sb = STRBUF_INIT;
	static const struct {
		enum clean_regex re;
		unsigned anchor;
		const char *name;
	} guarded[] = {
		{ RE_SCAFFOLDING, ANCHOR_SCAFFOLDING, "scaffolding" },
		{ RE_ROLE_LINES, ANCHOR_SCAFFOLDING, "role lines" },
		{ RE_REFUSAL, ANCHOR_REFUSAL, "refusal" },
		{ RE_SELF_REFERENCE, ANCHOR_SELF_REFERENCE, "self-reference" },
		{ RE_JS_CSS, ANCHOR_JS_CSS, "js-css" },
	};
	long matched[4] = { 0 }, missed = 0;
	size_t np = sizeof(anchor_pieces) / sizeof(anchor_pieces[0]);

	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	assert_non_null(c);
	for (int k = 0; k < 60000; k++) {
		if (k < (int)np) {	/* each piece alone first */
			strbuf_reset(&sb);
			strbuf_addstr(&sb, anchor_pieces[k]);
		} else {
			random_text(&sb, anchor_pieces, np, 6);
		}
		unsigned found = anchors(sb.buf, sb.len);
		for (size_t g = 0; g < 4; g++) {
			if (!cleaner_match(c, c->re[guarded[g].re], sb.buf, sb.len))
				continue;
			matched[g]++;
			if (!(found & guarded[g].anchor) && missed++ < 5)
				print_error("%s matches '%s' but its anchor is not found\n", guarded[g].name, sb.buf);
		}
	}
	assert_int_equal(missed, 0);
	for (size_t g = 0; g < 4; g++)
		assert_true(matched[g] > 100);	/* the table really exercises every pattern */

	/* a topic alone is ordinary text: the Chinese self-reference regex stays asleep */
	static const char *const quiet[] = { "人工智能是计算机科学的一个分支。", "语言模型可以生成文本。", "作为学生，我们要努力。",
					     "我是学生。", "Markdown # heading", "a < b and c [1]" };
	for (size_t q = 0; q < sizeof(quiet) / sizeof(quiet[0]); q++)
		assert_int_equal(anchors(quiet[q], strlen(quiet[q])) & (ANCHOR_SELF_REFERENCE | ANCHOR_SCAFFOLDING), 0);
	strbuf_release(&sb);
	cleaner_free(c);
}

/*
 * Regression: the JavaScript anchors were matched case-sensitively and only
 * at the start of a word, while the regex is caseless and has no \b there,
 * so these leaks passed the filter.
 */
static void test_js_css_anchor_upper_case_and_glued(void **state)
{
	(void)state;
	static const char *const leaks[] = {
		"The page printed this. DOCUMENT.WRITE(\"hello\") and then the text went on as usual for a while.",
		"Click here.xdocument.getElementById(\"x\") was left in the scraped text of the article body.",
		"Some words then Window.Location was set and the reader was sent elsewhere without any notice.",
		"The answer text.VAR\ttotal = price * count; appears in the middle of the paragraph here.",
		"Advertisement: ADSBYGOOGLE push happened here before the real answer text started to appear.",
		"Body text continues after the block. p { color: red; } then more words follow in this line.",
	};
	struct clean_rules rules;
	struct cleaner *c;
	const char *field;
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	assert_non_null(c);
	for (size_t k = 0; k < sizeof(leaks) / sizeof(leaks[0]); k++) {
		enum clean_rule r = cleaner_check(c, "Tell me about the history of tea.", "", leaks[k], &field);
		if (r != RULE_JS_CSS_LEAK)
			print_error("'%s': %s, want js-css-leak\n", leaks[k], r == RULE_COUNT ? "pass" : clean_rule_name(r));
		assert_int_equal(r, RULE_JS_CSS_LEAK);
	}
	cleaner_free(c);
}

/* ---- text_stats against a code point at a time reference ---- */

#define REF_FNV_START 0xcbf29ce484222325ULL
#define REF_FNV_MUL 0x100000001b3ULL

struct ref_state {
	struct text_stats st;
	struct text_unit units[4096];
	size_t nunits;
	int in_word, script;
	uint64_t h;
	uint32_t wchars;
};

static void ref_end_word(struct ref_state *r)
{
	if (!r->in_word)
		return;
	if (r->script == 1)
		r->st.latin_words++;
	else if (r->script == 2)
		r->st.other_words++;
	r->units[r->nunits].hash = r->h | 1;
	r->units[r->nunits++].chars = r->wchars;
	r->in_word = 0;
}

static void ref_word_char(struct ref_state *r, uint64_t c, int script)
{
	if (!r->in_word) {
		r->in_word = 1;
		r->script = 0;
		r->h = REF_FNV_START;
		r->wchars = 0;
		r->st.words++;
	}
	if (!r->script)
		r->script = script;
	r->h = (r->h ^ c) * REF_FNV_MUL;
	r->wchars++;
}

static int ref_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* What lang.c's header promises, one code point at a time with utf8proc. */
static void ref_text_stats(const char *s, size_t len, struct ref_state *r)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	memset(r, 0, sizeof(*r));
	while (i < len) {
		int32_t cp = utf8_decode(u + i, len - i, &n);
		if (cp == 'h' || cp == 'w') {
			int url = (len - i >= 8 && !memcmp(s + i, "https://", 8)) ||
				  (len - i >= 7 && !memcmp(s + i, "http://", 7)) ||
				  (len - i >= 4 && !memcmp(s + i, "www.", 4));
			if (url && !(i && ref_letter(u[i - 1]))) {
				size_t j = i;
				while (j < len && u[j] > ' ' && u[j] < 0x80)
					j++;
				r->st.url_chars += j - i;
			}
		}
		i += n;
		if (cp >= 0 && cp < 0x80) {
			if (ref_letter(cp)) {
				ref_word_char(r, (uint64_t)(cp | 0x20), 1);
				r->st.chars++;
			} else if (cp >= '0' && cp <= '9') {
				ref_word_char(r, (uint64_t)cp, 0);
				r->st.digits++;
				r->st.chars++;
			} else if (cp == '\'' && r->in_word && i < len && ref_letter(u[i])) {
				ref_word_char(r, (uint64_t)cp, 0);
				r->st.chars++;
			} else {
				ref_end_word(r);
				if (cp > ' ')
					r->st.chars++;
			}
			continue;
		}
		if (cp < 0 || cp == 0xFFFD) {
			ref_end_word(r);
			r->st.replacement++;
			r->st.chars++;
			continue;
		}
		if (cp_is_han(cp) || cp_is_kana(cp)) {
			ref_end_word(r);
			if (cp_is_han(cp))
				r->st.han++;
			else
				r->st.kana++;
			r->st.words++;
			r->st.chars++;
			r->units[r->nunits].hash = ((uint64_t)cp * 0x9E3779B97F4A7C15ULL) | 1;
			r->units[r->nunits++].chars = 1;
			continue;
		}
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
			ref_word_char(r, (uint64_t)utf8proc_tolower(cp), (cp < 0x250 || (cp >= 0x1E00 && cp <= 0x1EFF)) ? 1 : 2);
			r->st.chars++;
		} else if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) {
			if (r->in_word)
				ref_word_char(r, (uint64_t)cp, 0);
			r->st.chars++;
		} else if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) {
			ref_word_char(r, (uint64_t)cp, 0);
			r->st.digits++;
			r->st.chars++;
		} else if (cat >= UTF8PROC_CATEGORY_ZS && cat <= UTF8PROC_CATEGORY_ZP) {
			ref_end_word(r);
		} else if (cat >= UTF8PROC_CATEGORY_SM && cat <= UTF8PROC_CATEGORY_SO) {
			ref_end_word(r);
			r->st.symbols++;
			r->st.chars++;
		} else {
			ref_end_word(r);
			r->st.chars++;
		}
	}
	ref_end_word(r);
}

static const char *const stats_pieces[] = {
	"the", "Cat", "SAT", "x", "I", " ", "  ", "\n", "\t", ".", ",", "'", "don't", "it's", "'quoted'", "x'",
	"123", "4", "a1b2", "http://example.com/a", "https://x.org", "www.site.cn", "xhttp://no", "1http://yes",
	"'www.q", "hwhw", "w", "h", "长城", "机器学习", "，", "。", "、", "〇", "カタカナ", "ひらがな", "ｶﾀ",
	"é", "Ünïcödé", "e\xcc\x81", "\xcc\x81", "Ω", "привет", "١٢٣", "½", "Ⅻ", "★", "😀", "©", "\xef\xbf\xbd",
	"\xff", "\xe4\xb8", "\xc3", "\xed\xa0\x80", "\xe2\x80\x83", "\xc2\xa0", "\xe3\x80\x80", "𠀀", "丽", "한국어",
	"\x01", "#", "<", "&", "-", "_",
};

static void test_text_stats_matches_reference(void **state)
{
	(void)state;
	static struct ref_state ref;
	struct strbuf sb = STRBUF_INIT;
	struct unit_list units = { NULL, 0, 0 };
	struct text_stats st;
	long bad = 0;
	size_t np = sizeof(stats_pieces) / sizeof(stats_pieces[0]);
	for (int k = 0; k < 30000; k++) {
		random_text(&sb, stats_pieces, np, 40);
		text_stats(sb.buf, sb.len, &st, &units);
		ref_text_stats(sb.buf, sb.len, &ref);
		int same = !memcmp(&st, &ref.st, sizeof(st)) && units.nr == ref.nunits;
		for (size_t j = 0; same && j < units.nr; j++)
			same = units.items[j].hash == ref.units[j].hash && units.items[j].chars == ref.units[j].chars;
		if (!same && bad++ < 3)
			print_error("text_stats differs from the reference on '%s' (chars %zu/%zu words %zu/%zu "
				    "url %zu/%zu units %zu/%zu)\n", sb.buf, st.chars, ref.st.chars, st.words, ref.st.words,
				    st.url_chars, ref.st.url_chars, units.nr, ref.nunits);
		/* without units, the counts are the same */
		struct text_stats st2;
		text_stats(sb.buf, sb.len, &st2, NULL);
		bad += memcmp(&st, &st2, sizeof(st)) != 0;
	}
	assert_int_equal(bad, 0);
	free(units.items);
	strbuf_release(&sb);
}

/* ---- repetition rules against exact n-gram comparison ---- */

static int same_ngram(const struct text_unit *u, size_t a, size_t b, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (u[a + j].hash != u[b + j].hash)
			return 0;
	return 1;
}

/* Gopher top n-gram share, counting occurrences by comparing units. */
static double ref_top_ngram(const struct text_unit *u, size_t nr, size_t n, size_t total)
{
	size_t best = 0, best_first = 0, chars = 0;
	if (nr < n || !total)
		return 0;
	for (size_t i = 0; i + n <= nr; i++) {
		size_t count = 0, first = i;
		for (size_t j = 0; j <= i; j++)
			if (same_ngram(u, i, j, n)) {
				if (!count)
					first = j;
				count++;
			}
		if (count > best) {
			best = count;
			best_first = first;
		}
	}
	if (best < 2)
		return 0;
	for (size_t j = 0; j < n; j++)
		chars += u[best_first + j].chars;
	return (double)best * (double)chars / (double)total;
}

/* Share of characters in n-grams seen at an earlier position the scan stopped at. */
static double ref_dup_ngram(const struct text_unit *u, size_t nr, size_t n, size_t total)
{
	static size_t visited[4096];
	size_t nvisited = 0, dup = 0, i = 0;
	if (nr < n || !total)
		return 0;
	while (i + n <= nr) {
		int seen = 0;
		for (size_t v = 0; v < nvisited && !seen; v++)
			seen = same_ngram(u, i, visited[v], n);
		visited[nvisited++] = i;
		if (seen) {
			for (size_t j = 0; j < n; j++)
				dup += u[i + j].chars;
			i += n;
		} else {
			i++;
		}
	}
	return (double)dup / (double)total;
}

static enum clean_rule ref_repetition(const struct clean_rules *rules, const struct text_unit *u, size_t nr)
{
	size_t total = 0, single = 0;
	for (size_t i = 0; i < nr; i++) {
		total += u[i].chars;
		single += u[i].chars == 1;
	}
	size_t k = 2 * single > nr ? 2 : 1;
	for (int n = 2; n <= 4; n++)
		if (ref_top_ngram(u, nr, (size_t)n * k, total) > rules->threshold[RULE_TOP_2GRAM + n - 2] + 1e-12)
			return RULE_TOP_2GRAM + n - 2;
	for (int n = 5; n <= 10; n++)
		if (ref_dup_ngram(u, nr, (size_t)n * k, total) > rules->threshold[RULE_DUP_5GRAM + n - 5] + 1e-12)
			return RULE_DUP_5GRAM + n - 5;
	return RULE_COUNT;
}

static void test_repetition_matches_exact_ngrams(void **state)
{
	(void)state;
	static const char *const vocab[] = {
		"the ", "cat ", "sat ", "on ", "a ", "mat ", "and ", "dog ", "ran ", "far ", "away ", "today ",
		"长", "城", "是", "中", "国", "的", "，", "。", "我", "爱", "你", "好",
	};
	struct clean_rules rules;
	struct cleaner *c;
	struct strbuf sb = STRBUF_INIT;
	struct unit_list units = { NULL, 0, 0 };
	struct text_stats st;
	const char *field;
	long bad = 0, fired = 0, passed = 0;

	clean_rules_profile(&rules, PROFILE_WEB);
	for (int r = 0; r < RULE_COUNT; r++)
		rules.off[r] = !(r >= RULE_TOP_2GRAM && r <= RULE_DUP_10GRAM);
	c = cleaner_new(&rules);
	assert_non_null(c);
	for (int k = 0; k < 3000; k++) {
		/* words from a small vocabulary (mostly English or mostly Chinese), then repeated stretches */
		size_t base = k % 2 ? 12 : 0, nwords = 60 + rnd() % 200;
		strbuf_reset(&sb);
		for (size_t w = 0; w < nwords; w++) {
			if (sb.len > 40 && rnd() % 23 == 0) {
				size_t from = rnd() % (sb.len / 2), end = from + 8 + rnd() % 40;
				if (end > sb.len)
					end = sb.len;
				while (from > 0 && ((unsigned char)sb.buf[from] & 0xC0) == 0x80)
					from--;	/* start and end on a character boundary */
				while (end < sb.len && ((unsigned char)sb.buf[end] & 0xC0) == 0x80)
					end++;
				size_t n = end - from;
				strbuf_grow(&sb, n);	/* sb.buf may move: copy from the grown buffer */
				strbuf_add(&sb, sb.buf + from, n);
			}
			strbuf_addstr(&sb, vocab[(rnd() % 10 < 8 ? base : 12 - base) + rnd() % 12]);
		}
		text_stats(sb.buf, sb.len, &st, &units);
		enum clean_rule want = ref_repetition(&rules, units.items, units.nr);
		enum clean_rule got = cleaner_check(c, "Say something.", "", sb.buf, &field);
		if (got != want && bad++ < 3)
			print_error("'%s': %s, the exact count says %s\n", sb.buf,
				    got == RULE_COUNT ? "pass" : clean_rule_name(got),
				    want == RULE_COUNT ? "pass" : clean_rule_name(want));
		if (want == RULE_COUNT)
			passed++;
		else
			fired++;
	}
	assert_int_equal(bad, 0);
	assert_true(fired > 300 && passed > 300);	/* both outcomes are exercised */
	free(units.items);
	strbuf_release(&sb);
	cleaner_free(c);
}

/* ---- byte loops with the byte they stop at in every position ---- */

static void normalize_str(struct strbuf *out, const char *s)
{
	strbuf_reset(out);
	clean_normalize(out, s, strlen(s), NORMALIZE_MARKUP);
}

static void test_normalize_stop_byte_every_offset(void **state)
{
	(void)state;
	static const char run[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static const char zh[] = "长城是中国古代的军事防御工程始建于春秋战国时期";
	/* inserted text -> what it must become between two halves of a word */
	static const struct {
		const char *insert, *want;
	} cases[] = {
		{ "\x01", "" }, { "\x7f", "" }, { "\x1b", "" }, { "\xe2\x80\x8b", "" }, { "\xc2\xad", "" },
		{ "\xc3\xa9", "\xc3\xa9" }, { "\xe4\xb8\xad", "\xe4\xb8\xad" }, { "\xff", "\xef\xbf\xbd" },
		{ "\xef\xbc\xa1", "A" }, { " ", " " }, { "  ", " " }, { "   \t ", " " }, { "\t", " " },
		{ "\xc2\xa0", " " }, { "\n", "\n" }, { "\n\n\n\n", "\n\n" }, { " \n ", "\n " /* indentation is kept */ }, { "\r\n", "\n" },
		{ "&amp;", "&" }, { "<b>", "" }, { "\xe3\x80\x80", " " },
	};
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, got = STRBUF_INIT;
	long bad = 0;
	for (int base = 0; base < 2; base++) {
		const char *text = base ? zh : run;
		size_t tlen = strlen(text);
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
			for (size_t k = 1; k < tlen; k++) {
				if (base && k % 3)
					continue;	/* only between Chinese characters */
				strbuf_reset(&in);
				strbuf_add(&in, text, k);
				strbuf_addstr(&in, cases[c].insert);
				strbuf_add(&in, text + k, tlen - k);
				strbuf_reset(&want);
				strbuf_add(&want, text, k);
				strbuf_addstr(&want, cases[c].want);
				strbuf_add(&want, text + k, tlen - k);
				normalize_str(&got, in.buf);
				if (strcmp(got.buf, want.buf) && bad++ < 5)
					print_error("'%s' normalised to '%s', want '%s'\n", in.buf, got.buf, want.buf);
			}
	}
	assert_int_equal(bad, 0);
	strbuf_release(&in);
	strbuf_release(&want);
	strbuf_release(&got);
}

static void test_pii_every_offset(void **state)
{
	(void)state;
	static const char filler[] = "abcdefghijklmnopqrstuvwxyz长城是中国古代的军事防御工程 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const struct {
		const char *pii, *placeholder;
	} cases[] = {
		{ "13812345678", "<PHONE>" }, { "+86 138 1234 5678", "<PHONE>" }, { "(0755) 8601 3388", "<PHONE>" },
		{ "11010519491231002X", "<ID_NUMBER>" }, { "4111 1111 1111 1111", "<BANK_CARD>" },
		{ "192.168.1.10", "<IP_ADDRESS>" }, { "li.si@example.com", "<EMAIL>" },
	};
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, got = STRBUF_INIT;
	size_t flen = strlen(filler);
	long bad = 0;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t k = 0; k <= flen; k++) {
			if (k < flen && ((unsigned char)filler[k] & 0xC0) == 0x80)
				continue;	/* not inside a character */
			strbuf_reset(&in);
			strbuf_reset(&want);
			strbuf_add(&in, filler, k);
			strbuf_add(&want, filler, k);
			strbuf_addstr(&in, " ");
			strbuf_addstr(&want, " ");
			strbuf_addstr(&in, cases[c].pii);
			strbuf_addstr(&want, cases[c].placeholder);
			strbuf_addstr(&in, " ");
			strbuf_addstr(&want, " ");
			strbuf_add(&in, filler + k, flen - k);
			strbuf_add(&want, filler + k, flen - k);
			strbuf_reset(&got);
			size_t n = pii_mask(&got, in.buf, in.len, NULL);
			if ((n != 1 || strcmp(got.buf, want.buf)) && bad++ < 5)
				print_error("'%s' masked to '%s' (%zu), want '%s'\n", in.buf, got.buf, n, want.buf);
			/* glued to letters it is not a whole token and stays */
			if (cases[c].pii[0] >= '0' && cases[c].pii[0] <= '9' && k > 0 && filler[k - 1] >= 'a' &&
			    filler[k - 1] <= 'z') {
				strbuf_reset(&in);
				strbuf_add(&in, filler, k);
				strbuf_addstr(&in, cases[c].pii);
				strbuf_reset(&got);
				if (pii_mask(&got, in.buf, in.len, NULL) && bad++ < 5)
					print_error("'%s' glued to a word was masked\n", in.buf);
			}
		}
	assert_int_equal(bad, 0);
	strbuf_release(&in);
	strbuf_release(&want);
	strbuf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_fast_matches_decode),
		cmocka_unit_test(test_swar_matches_bytes),
		cmocka_unit_test(test_anchors_cover_regexes),
		cmocka_unit_test(test_js_css_anchor_upper_case_and_glued),
		cmocka_unit_test(test_text_stats_matches_reference),
		cmocka_unit_test(test_repetition_matches_exact_ngrams),
		cmocka_unit_test(test_normalize_stop_byte_every_offset),
		cmocka_unit_test(test_pii_every_offset),
	};
	return RUN_TESTS(tests);
}
