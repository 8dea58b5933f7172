/*
 * clean_internal.h - what the files of clean/ share and nothing outside
 * uses: a strict UTF-8 decoder and the script classes the filters and the
 * language detector count with.
 */
#ifndef WINNOW_CLEAN_INTERNAL_H
#define WINNOW_CLEAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "clean.h"
#include "../lib/text.h"

#define CP_REPLACEMENT 0xFFFD


/*
 * utf8_decode (lib/text.h) with the three-byte sequences that CJK text is
 * made of decoded inline: lead bytes E1-EC and EE-EF can be neither
 * overlong nor surrogates, so two continuation bytes are all they need.
 * Gives exactly what utf8_decode gives (tests/unit/test_clean_fastpath.c
 * compares the two on every three-byte string).
 */
static inline int32_t utf8_decode_fast(const unsigned char *s, size_t len, size_t *n)
{
	if (len >= 3 && s[0] >= 0xE1 && s[0] <= 0xEF && s[0] != 0xED &&
	    (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*n = 3;
		return ((int32_t)(s[0] & 0x0F) << 12) | ((int32_t)(s[1] & 0x3F) << 6) | (int32_t)(s[2] & 0x3F);
	}
	return utf8_decode(s, len, n);
}

/*
 * Eight bytes at a time: the byte loops of clean/ skip whole words that
 * cannot hold a byte they stop at. Each test is exact (no false answers
 * either way; the classic bit tricks, tested against byte loops in
 * tests/unit/test_clean_fastpath.c).
 */
#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

static inline uint64_t swar_load(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof(x));
	return x;
}

/* 1 if some byte of x is below n (n <= 128). */
static inline int swar_has_less(uint64_t x, unsigned n)
{
	return ((x - SWAR_ONES * n) & ~x & SWAR_HIGH) != 0;
}

/* 1 if some byte of x equals b. */
static inline int swar_has_byte(uint64_t x, unsigned b)
{
	uint64_t v = x ^ (SWAR_ONES * b);
	return ((v - SWAR_ONES) & ~v & SWAR_HIGH) != 0;
}

/* 1 if some byte of x is strictly between m and n (m <= 127, n <= 128). */
static inline int swar_has_between(uint64_t x, unsigned m, unsigned n)
{
	uint64_t low = x & (SWAR_ONES * 127);
	return ((SWAR_ONES * (127 + n) - low) & ~x & (low + SWAR_ONES * (127 - m)) & SWAR_HIGH) != 0;
}

/* ---- text statistics (lang.c) ---- */

struct text_stats {
	size_t chars;		/* code points that are not whitespace */
	size_t words;		/* CJK characters + runs of other letters/digits */
	size_t han, kana;	/* CJK characters */
	size_t latin_words, other_words;	/* space-separated words by first letter's script */
	size_t digits, symbols;	/* symbols: non-ASCII Unicode S* (emoji, boxes, stars) */
	size_t replacement;	/* U+FFFD */
	size_t url_chars;	/* characters inside http(s):// or www. URLs */
};

/*
 * One unit of text for repetition rules: a CJK character or a word,
 * hashed case-insensitively, with its length in characters.
 */
struct text_unit {
	uint64_t hash;
	uint32_t chars;
};

struct unit_list {
	struct text_unit *items;
	size_t nr, alloc;
};

/* Counts s into st (zeroed first); appends its units to units when not NULL. */
void text_stats(const char *s, size_t len, struct text_stats *st, struct unit_list *units);
enum clean_lang lang_from_stats(const struct text_stats *st, double min_fraction);

/* ---- fenced code blocks (normalize.c) ---- */

/*
 * If a fenced code block opens on the line at s[pos], returns the end of
 * the block (just past its closing fence line's content, or len when it
 * is never closed) and sets *closed (may be NULL); else returns 0.
 */
size_t code_fence_end(const char *s, size_t len, size_t pos, int *closed);

/* ---- the shape of an output (shape.c) ---- */

/* 1 if the output was cut off: a code block left open, or prose that stops mid-sentence. */
int output_truncated(const struct clean_rules *rules, const char *s, size_t len, size_t chars);
/* 1 if one sentence of 15 characters or more is said threshold times in a row; *span is where. */
int output_repeats_sentence(const struct clean_rules *rules, const char *s, size_t len, const char **span,
			    size_t *span_len);
/* 1 if the output is only a placeholder (N/A, TODO, ..., 无, 略, <noinput>); key is scratch. */
int output_placeholder(struct strbuf *key, const char *s, size_t len);
/* The length of s's first sentence (to its end mark or line end), at most max. */
size_t first_sentence_len(const char *s, size_t len, size_t max);
/*
 * The last lines of s after a line break (at most four, about 300 bytes), starting
 * on a character; empty when s is one line (a footer is never on the first line).
 */
const char *output_tail(const char *s, size_t len, size_t *tail_len);
/* Lower-case letters, digits and CJK characters of s only, into key (reset first), for comparing. */
void comparison_key(struct strbuf *key, const char *s, size_t len);

/* ---- the cleaner (filters.c builds it, cleaner.c runs records through it) ---- */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum clean_regex {
	RE_SCAFFOLDING, RE_ROLE_LINES, RE_REFUSAL, RE_SELF_REFERENCE, RE_JS_CSS, RE_CODE_TOPIC,
	RE_WEB_TOPIC, RE_FOOTER_TOPIC, RE_NUMBER_TOPIC, RE_BOILERPLATE, RE_DIALOGUE_TOPIC,
	RE_COUNT
};

/* The longest n-gram the repetition rules hash, in units (10-grams of CJK character pairs). */
#define NGRAM_MAX 20

struct hash_slot {
	uint64_t key;
	uint32_t gen, count, first;
};

struct cleaner {
	struct clean_rules rules;
	pcre2_code *re[RE_COUNT];
	pcre2_code *block;		/* every blocklist entry as one alternation */
	struct strbuf block_source;	/* its pattern, grown by cleaner_add_blocklist */
	int block_dirty;		/* block_source changed since block was compiled */
	pcre2_match_data *match;
	struct unit_list units;
	uint64_t *prefix;		/* (units.nr + 1) polynomial hashes of the units' prefixes */
	size_t prefix_alloc;
	uint64_t power[NGRAM_MAX + 1];	/* NGRAM_BASE^n */
	struct hash_slot *table;	/* for n-gram and line counts, cleared by bumping gen */
	size_t table_size;
	uint32_t gen;
	struct strbuf prose[3], tmp, key_i;
	struct text_stats stats[3];	/* of instruction, input, output prose, from cleaner_check */
	int stats_ready;		/* cleaner_check got far enough to fill stats */
	const char *span_in, *span;	/* what the last rule that fired saw, and the part that made it fire */
	size_t span_in_len, span_len;
	struct strbuf *turns;		/* normalised history strings, q0 a0 q1 a1 ... */
	size_t nturns, turns_alloc;
};

/* Which pattern anchors occur in s (anchors.c): a regex runs only if its anchor is there. */
enum anchor {
	ANCHOR_SCAFFOLDING = 1 << 0,
	ANCHOR_JS_CSS = 1 << 1,
	ANCHOR_SELF_REFERENCE = 1 << 2,
	ANCHOR_LOREM = 1 << 3,
	ANCHOR_REFUSAL = 1 << 4,
};
unsigned anchors(const char *s, size_t len);

/* 1 if regex re matches somewhere in s[0..len); the match becomes the cleaner's span. */
int cleaner_match(struct cleaner *c, pcre2_code *re, const char *s, size_t len);
/* Sets what the rule about to fire saw (in) and the part of it that made it fire. */
void cleaner_span(struct cleaner *c, const char *in, size_t in_len, const char *span, size_t span_len);

#endif
