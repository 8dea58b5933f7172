/*
 * lang.c - counting text by script: CJK-aware word counts (one Han or kana
 * character is one word, as there are no spaces to split on), the ratios
 * the garbage rules need, the units the repetition rules hash, and a
 * language guess that only looks at scripts (zh / en / other).
 */
#include "clean_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

const char *clean_lang_name(enum clean_lang l)
{
	static const char *const names[LANG_COUNT] = { "", "zh", "en", "other" };
	return (unsigned)l < LANG_COUNT ? names[l] : "";
}

/* text_stats reserves room for one unit per byte first, so this never grows; items NULL: no units wanted. */
static inline void add_unit(struct text_unit *items, size_t *nr, uint64_t hash, uint32_t chars)
{
	if (!items)
		return;
	items[*nr].hash = hash | 1;	/* never 0: 0 marks an empty hash slot */
	items[*nr].chars = chars;
	(*nr)++;
}

#define FNV_START 0xcbf29ce484222325ULL
#define FNV_MUL 0x100000001b3ULL

static inline int ascii_letter(unsigned c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int is_url_start(const char *s, size_t len, size_t i)
{
	if (i && ((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z')))
		return 0;
	return (len - i >= 8 && !memcmp(s + i, "https://", 8)) ||
	       (len - i >= 7 && !memcmp(s + i, "http://", 7)) ||
	       (len - i >= 4 && !memcmp(s + i, "www.", 4));
}

/* Characters in the URL that starts at s[i] (http://, https://, www.), or 0. */
static inline size_t url_length(const char *s, size_t len, size_t i)
{
	size_t j = i;
	if (!is_url_start(s, len, i))
		return 0;
	while (j < len && (unsigned char)s[j] > ' ' && (unsigned char)s[j] < 0x80)
		j++;
	return j - i;
}

/* What a non-ASCII, non-CJK character is for counting. */
enum char_class {
	CLASS_LATIN_LETTER, CLASS_OTHER_LETTER, CLASS_MARK, CLASS_DIGIT, CLASS_SPACE, CLASS_SYMBOL, CLASS_OTHER
};

static inline enum char_class char_class(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		return cp < 0x250 || (cp >= 0x1E00 && cp <= 0x1EFF) ? CLASS_LATIN_LETTER : CLASS_OTHER_LETTER;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return CLASS_MARK;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return CLASS_DIGIT;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		return CLASS_SPACE;
	case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO:
		return CLASS_SYMBOL;
	default:
		return CLASS_OTHER;
	}
}

void text_stats(const char *s, size_t len, struct text_stats *out, struct unit_list *units)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, nunits = 0;
	int in_word = 0, word_script = 0;	/* 0 none yet, 1 latin, 2 other */
	uint64_t h = FNV_START;
	uint32_t wchars = 0;
	/* counted in locals, which the compiler keeps in registers, and stored at the end */
	struct text_stats counts, *st = &counts;
	struct text_unit *items = NULL;

	memset(st, 0, sizeof(*st));
	if (units) {
		if (units->alloc < len + 1) {
			units->alloc = len + 1;
			free(units->items);
			units->items = xmalloc(units->alloc * sizeof(*units->items));
		}
		items = units->items;
	}
#define END_WORD() do { \
		if (in_word) { \
			if (word_script == 1) st->latin_words++; \
			else if (word_script == 2) st->other_words++; \
			add_unit(items, &nunits, h, wchars); \
			in_word = 0; \
		} \
	} while (0)
#define WORD_CHAR(c, script) do { \
		if (!in_word) { \
			in_word = 1; word_script = 0; h = FNV_START; wchars = 0; st->words++; \
		} \
		if (!word_script) word_script = (script); \
		h = (h ^ (uint64_t)(c)) * FNV_MUL; wchars++; \
	} while (0)

	while (i < len) {
		unsigned c = u[i];
		if (c < 0x80) {
			if (ascii_letter(c)) {
				/*
				 * A run of letters at once. A URL can only start at
				 * the first (is_url_start wants no letter before it).
				 */
				size_t start = i;
				if (c == 'h' || c == 'w')
					st->url_chars += url_length(s, len, i);
				WORD_CHAR(c | 0x20, 1);
				for (i++; i < len && ascii_letter(u[i]); i++)
					h = (h ^ (uint64_t)(u[i] | 0x20)) * FNV_MUL;
				wchars += (uint32_t)(i - start - 1);
				st->chars += i - start;
				continue;
			}
			if (c >= '0' && c <= '9') {
				WORD_CHAR(c, 0);
				st->digits++;
				st->chars++;
			} else if (c == '\'' && in_word && i + 1 < len && ((u[i + 1] | 0x20) >= 'a' && (u[i + 1] | 0x20) <= 'z')) {
				WORD_CHAR(c, 0);	/* don't, it's */
				st->chars++;
			} else {
				END_WORD();
				if (c > ' ')
					st->chars++;
			}
			i++;
			continue;
		}
		int32_t cp = utf8_decode_fast(u + i, len - i, &n);
		i += n;
		if (cp < 0 || cp == CP_REPLACEMENT) {
			END_WORD();
			st->replacement++;
			st->chars++;
			continue;
		}
		int han = cp_is_han(cp);
		if (han || cp_is_kana(cp)) {
			END_WORD();
			if (han)
				st->han++;
			else
				st->kana++;
			st->words++;
			st->chars++;
			add_unit(items, &nunits, (uint64_t)cp * 0x9E3779B97F4A7C15ULL, 1);
			continue;
		}
		enum char_class cls = char_class(cp);
		switch (cls) {
		case CLASS_LATIN_LETTER: case CLASS_OTHER_LETTER:
			WORD_CHAR(utf8proc_tolower(cp), cls == CLASS_LATIN_LETTER ? 1 : 2);
			st->chars++;
			break;
		case CLASS_MARK:
			if (in_word)
				WORD_CHAR(cp, 0);
			st->chars++;
			break;
		case CLASS_DIGIT:
			WORD_CHAR(cp, 0);
			st->digits++;
			st->chars++;
			break;
		case CLASS_SPACE:
			END_WORD();
			break;
		default:
			END_WORD();
			st->symbols += cls == CLASS_SYMBOL;
			st->chars++;
			break;
		}
	}
	END_WORD();
	*out = counts;
	if (units)
		units->nr = nunits;
#undef END_WORD
#undef WORD_CHAR
}

enum clean_lang lang_from_stats(const struct text_stats *st, double min_fraction)
{
	size_t cjk = st->han + st->kana;
	size_t total = cjk + st->latin_words + st->other_words;
	if (!total)
		return LANG_NONE;
	if ((double)cjk >= min_fraction * (double)total)
		return st->kana * 10 > cjk ? LANG_OTHER : LANG_ZH;	/* kana: Japanese */
	if ((double)st->latin_words >= min_fraction * (double)total)
		return LANG_EN;
	return LANG_OTHER;
}

enum clean_lang clean_detect_lang(const char *s, size_t len, double min_fraction)
{
	struct text_stats st;
	text_stats(s, len, &st, NULL);
	return lang_from_stats(&st, min_fraction);
}

size_t clean_count_words(const char *s, size_t len)
{
	struct text_stats st;
	text_stats(s, len, &st, NULL);
	return st.words;
}
