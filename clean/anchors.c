/*
 * anchors.c - one byte loop that says which of the filters' regular
 * expressions could match at all. Every alternative of each pattern in
 * filters.c contains one of the anchor strings tested here, so a record
 * without them skips the (much slower) caseless UTF-8 regex entirely.
 * Keep the two in step: a new alternative needs its anchor here.
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

unsigned anchors(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned found = 0;
	static unsigned char interesting[256];
	if (!interesting['#']) {
		for (const char *p = "#<[{$!@HhAadDwvgLlCcTtKkIi"; *p; p++)
			interesting[(unsigned char)*p] = 1;
		for (int b = 0xE4; b <= 0xE8; b++)
			interesting[b] = 1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!interesting[u[i]])
			continue;
		/* every letter anchor starts a word: skip letters inside words */
		if (i && letter(u[i]) && letter(u[i - 1]))
			continue;
		switch (u[i]) {
		case '#': case '<': case '[':
			found |= ANCHOR_SCAFFOLDING;
			break;
		case '{': case '$':
			found |= ANCHOR_JS_CSS;
			break;
		case '!':
			if (at(u, len, i, "!important"))
				found |= ANCHOR_JS_CSS;
			break;
		case '@':
			if (at(u, len, i, "@media"))
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
			else if (at(u, len, i, "adsbygoogle"))
				found |= ANCHOR_JS_CSS;
			break;
		case 'd':
			if (at(u, len, i, "document."))
				found |= ANCHOR_JS_CSS;
			/* fall through */
		case 'D':
			if (at_ci(u, len, i, "dolor sit amet"))
				found |= ANCHOR_LOREM;
			break;
		case 'w':
			if (at(u, len, i, "window."))
				found |= ANCHOR_JS_CSS;
			break;
		case 'v':
			if (at(u, len, i, "var "))
				found |= ANCHOR_JS_CSS;
			break;
		case 'g':
			if (at(u, len, i, "googletag") || at(u, len, i, "google_ad") || at(u, len, i, "gtag("))
				found |= ANCHOR_JS_CSS;
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
		/* CJK anchors, tested on their first two bytes before comparing */
		case 0xE4:
			if (i + 1 < len && u[i + 1] == 0xBA && at(u, len, i, "人工智能"))
				found |= ANCHOR_SELF_REFERENCE;
			break;
		case 0xE8:
			if (i + 1 < len && (u[i + 1] == 0xAF || u[i + 1] == 0xAE) &&
			    (at(u, len, i, "语言模型") || at(u, len, i, "训练数据")))
				found |= ANCHOR_SELF_REFERENCE;
			break;
		case 0xE7:
			if (i + 1 < len && u[i + 1] == 0x9F && at(u, len, i, "知识截止"))
				found |= ANCHOR_SELF_REFERENCE;
			break;
		case 0xE6:
			if (i + 1 < len && (u[i + 1] == 0x8A || u[i + 1] == 0x88) &&
			    (at(u, len, i, "抱歉") || at(u, len, i, "我无法") || at(u, len, i, "我不能")))
				found |= ANCHOR_REFUSAL;
			break;
		case 0xE5:
			if (i + 1 < len && u[i + 1] == 0xAF && at(u, len, i, "对不起"))
				found |= ANCHOR_REFUSAL;
			break;
		}
	}
	return found;
}

