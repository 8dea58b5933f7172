/*
 * text.h - UTF-8 text: decoding, measuring for terminals (display width,
 * CJK characters take two columns), cutting to a width without splitting
 * a character, and the one test of which characters are CJK (Han, kana).
 */
#ifndef WINNOW_TEXT_H
#define WINNOW_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Columns s[0..len) takes on a terminal; invalid bytes count as one. */
size_t text_width(const char *s, size_t len);
/*
 * Appends s to out with newlines and tabs shown as spaces, cut to at most
 * `width` columns ("…" marks a cut). Returns the columns appended.
 */
size_t text_fit(struct strbuf *out, const char *s, size_t len, size_t width);

/* Appends s to out with every invalid UTF-8 sequence replaced by U+FFFD. */
void text_append_valid(struct strbuf *out, const char *s, size_t len);

/*
 * Decodes the code point at s[0..len) (len > 0) and sets *n to the bytes
 * used. Invalid or overlong sequences, surrogates and values past U+10FFFF
 * give -1 with *n = 1, so a caller can replace the byte and go on.
 */
static inline int32_t utf8_decode(const unsigned char *s, size_t len, size_t *n)
{
	unsigned c = s[0];
	int32_t cp;
	size_t need;
	if (c < 0x80) {
		*n = 1;
		return (int32_t)c;
	}
	*n = 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
	} else {
		return -1;
	}
	if (len < need + 1)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return -1;
	*n = need + 1;
	return cp;
}

/* Writes cp as UTF-8 into buf (4 bytes); returns the length. */
static inline size_t utf8_encode(int32_t cp, char *buf)
{
	unsigned char *b = (unsigned char *)buf;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- scripts: the one test of what is CJK ---- */

/* Han ideographs (CJK unified, extensions, compatibility), counted one word each. */
static inline int cp_is_han(int32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x20000 && cp <= 0x323AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       cp == 0x3007;
}

/* Hiragana and katakana (full and half width). */
static inline int cp_is_kana(int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0xFF66 && cp <= 0xFF9D);
}

/* Scripts written without spaces, where each character is one word. */
static inline int cp_is_cjk_word(int32_t cp)
{
	return cp_is_han(cp) || cp_is_kana(cp);
}

#endif
