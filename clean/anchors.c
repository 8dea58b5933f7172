/*
 * anchors.c - one byte loop that says which of the filters' regular
 * expressions could match at all. Every alternative of each pattern in
 * filters.c contains one of the anchor strings tested here, so a record
 * without them skips the (much slower) caseless UTF-8 regex entirely.
 * Keep the two in step: a new alternative needs its anchor here
 * (tests/unit/test_clean_fastpath.c checks every pattern against them).
 * Where a regex does not need a word boundary (document., window.,
 * googletag., gtag(, google_ad_client, adsbygoogle) the anchor does not
 * either, and ASCII case never matters: the regexes are caseless.
 *
 * The Chinese self-reference alternatives all need a subject (作为, 我是,
 * 我只是) and a topic (人工智能, 语言模型), or one of 我的训练数据 /
 * 我的知识截止; a topic alone is ordinary text about AI and does not
 * wake the regex.
 */
#include "clean_internal.h"

#include <string.h>

static int at_ci(const unsigned char *u, size_t len, size_t i, const char *word)
{
	size_t n = strlen(word);
	if (len - i < n)
		return 0;
	for (size_t k = 0; k < n; k++)
		if ((u[i + k] | 0x20) != (unsigned char)word[k] && u[i + k] != (unsigned char)word[k])
			return 0;
	return 1;
}

static int at(const unsigned char *u, size_t len, size_t i, const char *word)
{
	size_t n = strlen(word);
	return len - i >= n && !memcmp(u + i, word, n);
}

static int letter(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* What a byte can be for the loop below. */
enum byte_kind { SKIP, ANCHOR_BYTE, ANCHOR_LETTER, PLAIN_LETTER, LEAD3 };

#define P(c) [c] = PLAIN_LETTER
#define A(c) [c] = ANCHOR_LETTER
static const unsigned char byte_kind[256] = {
	/* letters that start an anchor (the cases below) and the other letters */
	A('a'), A('c'), A('d'), A('h'), A('i'), A('k'), A('l'), A('t'), A('v'),
	A('A'), A('C'), A('D'), A('H'), A('I'), A('K'), A('L'), A('T'), A('V'),
	P('b'), P('e'), P('f'), P('g'), P('j'), P('m'), P('n'), P('o'), P('p'), P('q'), P('r'), P('s'),
	P('u'), P('w'), P('x'), P('y'), P('z'),
	P('B'), P('E'), P('F'), P('G'), P('J'), P('M'), P('N'), P('O'), P('P'), P('Q'), P('R'), P('S'),
	P('U'), P('W'), P('X'), P('Y'), P('Z'),
	['#'] = ANCHOR_BYTE, ['<'] = ANCHOR_BYTE, ['['] = ANCHOR_BYTE, ['{'] = ANCHOR_BYTE,
	['$'] = ANCHOR_BYTE, ['!'] = ANCHOR_BYTE, ['@'] = ANCHOR_BYTE, ['.'] = ANCHOR_BYTE,
	['('] = ANCHOR_BYTE, ['_'] = ANCHOR_BYTE,
	/* the lead byte of U+017F; three-byte characters are sorted out by lead3_anchor */
	[0xC5] = ANCHOR_BYTE,
	[0xE0] = LEAD3, [0xE1] = LEAD3, [0xE2] = LEAD3, [0xE3] = LEAD3, [0xE4] = LEAD3, [0xE5] = LEAD3,
	[0xE6] = LEAD3, [0xE7] = LEAD3, [0xE8] = LEAD3, [0xE9] = LEAD3, [0xEA] = LEAD3, [0xEB] = LEAD3,
	[0xEC] = LEAD3, [0xED] = LEAD3, [0xEE] = LEAD3, [0xEF] = LEAD3,
};
#undef P
#undef A

/*
 * For a three-byte character with lead byte 0xE0 + k, bit (second byte &
 * 0x3F) of lead3_anchor[k] is set when an anchor can start with those two
 * bytes: 人 (E4 BA), 作 (E4 BD), 对 (E5 AF), 我 (E6 88), 抱 (E6 8A),
 * 语 (E8 AF), and U+212A / U+212B (E2 84). Most CJK characters are passed
 * over with one table look-up.
 */
#define BIT(b) (1ULL << ((b) & 0x3F))
static const uint64_t lead3_anchor[16] = {
	[0x2] = BIT(0x84),
	[0x4] = BIT(0xBA) | BIT(0xBD),
	[0x5] = BIT(0xAF),
	[0x6] = BIT(0x88) | BIT(0x8A),
	[0x8] = BIT(0xAF),
};
#undef BIT

/* 1 if u[0..i) ends with word, ignoring ASCII case. */
static int ends_ci(const unsigned char *u, size_t i, const char *word)
{
	size_t n = strlen(word);
	return i >= n && at_ci(u, i, i - n, word);
}

/* "adsbygoogle" is all letters and may be glued into a longer word. */
static int has_adsbygoogle(const unsigned char *u, size_t start, size_t end)
{
	for (size_t k = start; k + 11 <= end; k++)
		if ((u[k] | 0x20) == 'a' && at_ci(u, end, k, "adsbygoogle"))
			return 1;
	return 0;
}

/* The index of the last letter of the run of letters at u[i]. */
static inline size_t word_end(const unsigned char *u, size_t len, size_t i, unsigned *found)
{
	size_t start = i;
	while (i + 1 < len && letter(u[i + 1]))
		i++;
	if (i + 1 - start >= 11 && has_adsbygoogle(u, start, i + 1))
		*found |= ANCHOR_JS_CSS;
	return i;
}

/* The anchors that start with an ASCII byte at u[i]. */
static inline void anchor_ascii(const unsigned char *u, size_t len, size_t i, unsigned *found_out)
{
	unsigned found = 0;
	switch (u[i]) {
	/* "##", "<|", "<<", "</", "<s", "[/", "[I" (<ſ> is the long s below) */
	case '#':
		if (i + 1 < len && u[i + 1] == '#')
			found |= ANCHOR_SCAFFOLDING;
		break;
	case '<':
		if (i + 1 < len && (u[i + 1] == '|' || u[i + 1] == '<' || u[i + 1] == '/' ||
				    (u[i + 1] | 0x20) == 's'))
			found |= ANCHOR_SCAFFOLDING;
		break;
	case '[':
		if (i + 1 < len && (u[i + 1] == '/' || (u[i + 1] | 0x20) == 'i'))
			found |= ANCHOR_SCAFFOLDING;
		break;
	case '{': case '$':
		found |= ANCHOR_JS_CSS;
		break;
	case '!':
		if (at_ci(u, len, i, "!important"))
			found |= ANCHOR_JS_CSS;
		break;
	case '@':
		if (at_ci(u, len, i, "@media"))
			found |= ANCHOR_JS_CSS;
		break;
	/* JavaScript names, found from the punctuation after them: they may be glued to a word */
	case '.':
		if (i && ((u[i - 1] | 0x20) == 't' || (u[i - 1] | 0x20) == 'w' || (u[i - 1] | 0x20) == 'g') &&
		    (ends_ci(u, i, "document") || ends_ci(u, i, "window") || ends_ci(u, i, "googletag")))
			found |= ANCHOR_JS_CSS;
		break;
	case '(':
		if (ends_ci(u, i, "gtag"))
			found |= ANCHOR_JS_CSS;
		break;
	case '_':
		if (ends_ci(u, i, "google") && at_ci(u, len, i, "_ad_client"))
			found |= ANCHOR_JS_CSS;
		break;
	case 'V': case 'v':
		/* \bvar\s+: \s is ASCII white space (no PCRE2_UCP) */
		if (at_ci(u, len, i, "var") && i + 3 < len &&
		    (u[i + 3] == ' ' || (u[i + 3] >= '\t' && u[i + 3] <= '\r')))
			found |= ANCHOR_JS_CSS;
		break;
	case 'H': case 'h':
		if (at_ci(u, len, i, "human:"))
			found |= ANCHOR_SCAFFOLDING;
		break;
	case 'A': case 'a':
		if ((u[i + 1 < len ? i + 1 : i] | 0x20) == 'i' && i + 1 < len && (i == 0 || !letter(u[i - 1])) &&
		    (i + 2 >= len || !letter(u[i + 2])))
			found |= ANCHOR_SELF_REFERENCE;
		else if (at_ci(u, len, i, "assistant:"))
			found |= ANCHOR_SCAFFOLDING;
		else if (at_ci(u, len, i, "artificial intelligence"))
			found |= ANCHOR_SELF_REFERENCE;
		break;
	case 'D': case 'd':
		if (at_ci(u, len, i, "dolor sit amet"))
			found |= ANCHOR_LOREM;
		break;
	case 'L': case 'l':
		if (at_ci(u, len, i, "lorem ipsum"))
			found |= ANCHOR_LOREM;
		else if (at_ci(u, len, i, "language model"))
			found |= ANCHOR_SELF_REFERENCE;
		break;
	case 'C': case 'c':
		if (at_ci(u, len, i, "consectetur adipiscing"))
			found |= ANCHOR_LOREM;
		break;
	case 'T': case 't':
		if (at_ci(u, len, i, "training data"))
			found |= ANCHOR_SELF_REFERENCE;
		break;
	case 'K': case 'k':
		if (at_ci(u, len, i, "knowledge cutoff"))
			found |= ANCHOR_SELF_REFERENCE;
		break;
	case 'I': case 'i':
		if ((i == 0 || !letter(u[i - 1])) && i + 1 < len &&
		    (u[i + 1] == ' ' || u[i + 1] == '\'' || u[i + 1] == 0xE2))
			found |= ANCHOR_REFUSAL;
		break;
	}
	*found_out |= found;
}

/*
 * The anchors that start with a multi-byte character at u[i]; the Chinese
 * self-reference sets one of its two halves (a subject, a topic).
 */
static inline void anchor_multibyte(const unsigned char *u, size_t len, size_t i, unsigned *found_out,
				    int *zh_subject, int *zh_topic)
{
	unsigned found = 0;
	switch (u[i]) {
	/*
	 * U+017F (long s), U+212A (Kelvin) and U+212B (Angstrom) match
	 * s, k and å in a caseless regex: let every regex decide.
	 */
	case 0xC5:
		if (i + 1 < len && u[i + 1] == 0xBF)
			found |= ANCHOR_SCAFFOLDING | ANCHOR_JS_CSS | ANCHOR_SELF_REFERENCE | ANCHOR_REFUSAL;
		break;
	case 0xE2:
		if (i + 2 < len && u[i + 1] == 0x84 && (u[i + 2] == 0xAA || u[i + 2] == 0xAB))
			found |= ANCHOR_SCAFFOLDING | ANCHOR_JS_CSS | ANCHOR_SELF_REFERENCE | ANCHOR_REFUSAL;
		break;
	/* CJK anchors, tested on their first two bytes before comparing */
	case 0xE4:
		if (i + 1 < len && u[i + 1] == 0xBA && at(u, len, i, "人工智能"))
			*zh_topic = 1;
		else if (i + 1 < len && u[i + 1] == 0xBD && at(u, len, i, "作为"))
			*zh_subject = 1;
		break;
	case 0xE8:
		if (i + 1 < len && u[i + 1] == 0xAF && at(u, len, i, "语言模型"))
			*zh_topic = 1;
		break;
	case 0xE6:
		if (i + 1 < len && (u[i + 1] == 0x8A || u[i + 1] == 0x88) &&
		    (at(u, len, i, "抱歉") || at(u, len, i, "我无法") || at(u, len, i, "我不能") ||
		     at(u, len, i, "我没")))
			found |= ANCHOR_REFUSAL;
		if (i + 1 < len && u[i + 1] == 0x88 && at(u, len, i, "我")) {
			if (at(u, len, i, "我是") || at(u, len, i, "我只是"))
				*zh_subject = 1;
			else if (at(u, len, i, "我的训练数据") || at(u, len, i, "我的知识截止"))
				found |= ANCHOR_SELF_REFERENCE;
		}
		break;
	case 0xE5:
		if (i + 1 < len && u[i + 1] == 0xAF && at(u, len, i, "对不起"))
			found |= ANCHOR_REFUSAL;
		break;
	}
	*found_out |= found;
}

unsigned anchors(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned found = 0;
	int zh_subject = 0, zh_topic = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned kind = byte_kind[u[i]];
		if (kind == SKIP)
			continue;
		/* letter anchors start a word: the rest of a word is skipped */
		if (kind == PLAIN_LETTER) {
			i = word_end(u, len, i, &found);
			continue;
		}
		if (kind == LEAD3) {
			/* a valid sequence is looked at (maybe) and passed over whole */
			if (i + 2 >= len || (u[i + 1] & 0xC0) != 0x80 || (u[i + 2] & 0xC0) != 0x80)
				continue;	/* invalid: no anchor starts here */
			if (!((lead3_anchor[u[i] & 0xF] >> (u[i + 1] & 0x3F)) & 1)) {
				i += 2;
				continue;
			}
		}
		if (u[i] < 0x80)
			anchor_ascii(u, len, i, &found);
		else
			anchor_multibyte(u, len, i, &found, &zh_subject, &zh_topic);
		if (kind == ANCHOR_LETTER)
			i = word_end(u, len, i, &found);
		else if (kind == LEAD3)
			i += 2;
	}
	if (zh_subject && zh_topic)
		found |= ANCHOR_SELF_REFERENCE;
	return found;
}

