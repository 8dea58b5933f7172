/*
 * normalize.c - text normalisation that does not damage Chinese.
 *
 * A field goes through these steps, in this order:
 *  1. mojibake repair, only where it is certain: the whole field must be
 *     ASCII plus characters that Latin-1 / CP1252 would have produced, and
 *     those characters turned back into bytes must be valid UTF-8 ("ä½ å¥½"
 *     becomes "你好"; a space where a U+00A0 byte was lost is accepted).
 *  2. the field is cut at fenced code blocks (``` or ~~~); code is copied
 *     verbatim (only invalid UTF-8 is replaced and CRLF becomes LF).
 *  3. prose, character by character: control, zero-width, BOM, soft hyphen,
 *     private-use and non-characters removed; Unicode spaces become spaces;
 *     full-width letters and digits become ASCII while full-width
 *     punctuation (，。！？：；「」『』（）…) stays; invalid UTF-8 becomes U+FFFD.
 *  4. only for text from crawled pages (NORMALIZE_MARKUP), prose with '<'
 *     or '&': HTML entities decoded, then known HTML tags stripped (block tags leave a line break, <script>/<style> go with
 *     their content); repeated with step 3 until nothing changes, so the
 *     result is stable.
 *  5. NFC (or NFKC, with the same punctuation kept) - only when a
 *     character that normalisation could change is present, which keeps
 *     plain Chinese and English on a fast path.
 *  6. layout: runs of spaces inside a line become one space, trailing
 *     spaces go, at most one blank line is kept between paragraphs, the
 *     field is trimmed; leading indentation is kept (Markdown needs it)
 *     unless it contains an ideographic space (Chinese paragraph indent).
 */
#define _GNU_SOURCE
#include "clean_internal.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Layout marks an ideographic space with this byte (controls are removed in step 3). */
#define IDEO_SPACE '\x01'

/* ---- step 5 tables: which code points can make NFC / NFKC change text ---- */

#define SAFE_LIMIT 0x30000
static unsigned char nfc_unsafe[SAFE_LIMIT / 8], nfkc_unsafe[SAFE_LIMIT / 8];
static int tables_ready;

static void mark(unsigned char *bits, int32_t cp)
{
	if (cp >= 0 && cp < SAFE_LIMIT)
		bits[cp >> 3] |= (unsigned char)(1u << (cp & 7));
}

static int is_marked(const unsigned char *bits, int32_t cp)
{
	return (bits[cp >> 3] >> (cp & 7)) & 1;
}

/*
 * A code point is NFC-safe when it is a starter that has no composition
 * partner before it and that NFC leaves alone on its own. A string of
 * safe code points is already in NFC, so NFC is skipped for it.
 */
static void build_tables(void)
{
	for (int32_t cp = 0; cp < SAFE_LIMIT; cp++) {
		const utf8proc_property_t *p = utf8proc_get_property(cp);
		if (p->combining_class) {
			mark(nfc_unsafe, cp);
			mark(nfkc_unsafe, cp);
		}
		if (p->decomp_seqindex == UINT16_MAX)
			continue;
		mark(nfkc_unsafe, cp);
		if (p->decomp_type)
			continue;	/* compatibility only: NFC keeps it */
		utf8proc_int32_t d[8];
		utf8proc_int32_t last = 0;
		utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, NULL);
		if (n >= 2 && n <= 8) {	/* singletons (K -> K, ; -> ;) compose with nothing */
			last = d[n - 1];
			mark(nfc_unsafe, last);	/* may compose with what precedes it */
			mark(nfkc_unsafe, last);
		}
		char buf[4];
		utf8proc_uint8_t *nfc = NULL;
		size_t blen = utf8_encode(cp, buf);
		utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)buf, (utf8proc_ssize_t)blen, &nfc,
						  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (m != (utf8proc_ssize_t)blen || memcmp(nfc, buf, blen))
			mark(nfc_unsafe, cp);
		free(nfc);
	}
	/* Hangul jamo compose algorithmically */
	for (int32_t cp = 0x1100; cp <= 0x11FF; cp++) {
		mark(nfc_unsafe, cp);
		mark(nfkc_unsafe, cp);
	}
	for (int32_t cp = 0xD7B0; cp <= 0xD7FF; cp++) {
		mark(nfc_unsafe, cp);
		mark(nfkc_unsafe, cp);
	}
	tables_ready = 1;
}

static int needs_normalizing(int32_t cp, int nfkc)
{
	if (cp >= SAFE_LIMIT)
		return utf8proc_get_property(cp)->combining_class != 0 ||
		       (nfkc && utf8proc_get_property(cp)->decomp_seqindex != UINT16_MAX);
	return is_marked(nfkc ? nfkc_unsafe : nfc_unsafe, cp);
}

/* Full-width punctuation and symbols that NFKC must not fold in Chinese text. */
static int nfkc_protected(int32_t cp)
{
	return (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	       (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || cp == 0x2026;
}

static void append_map(struct strbuf *out, const char *s, size_t len, utf8proc_option_t opts)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t n;
	if (!len)
		return;
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst, opts);
	if (n >= 0)
		strbuf_add(out, dst, (size_t)n);
	else
		strbuf_add(out, s, len);	/* cannot happen on valid UTF-8 */
	free(dst);
}

/* NFC, or NFKC on the stretches between protected punctuation. */
static void unicode_normalize(struct strbuf *out, const char *s, size_t len, int nfkc)
{
	const utf8proc_option_t nfc = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	size_t run = 0, i = 0, n;
	if (!nfkc) {
		append_map(out, s, len, nfc);
		return;
	}
	while (i < len) {
		int32_t cp = utf8_decode((const unsigned char *)s + i, len - i, &n);
		if (nfkc_protected(cp)) {
			append_map(out, s + run, i - run, nfc | UTF8PROC_COMPAT);
			strbuf_add(out, s + i, n);
			run = i + n;
		}
		i += n;
	}
	append_map(out, s + run, len - run, nfc | UTF8PROC_COMPAT);
}

/* ---- step 1: mojibake ---- */

static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* The byte Latin-1 or CP1252 decoded into cp, or -1. */
static int single_byte_of(int32_t cp)
{
	if (cp < 0x100)
		return cp;
	for (int i = 0; i < 32; i++)
		if (cp1252_high[i] == cp)
			return 0x80 + i;
	return -1;
}

/*
 * If s is UTF-8 that was decoded as Latin-1 / CP1252, puts the repaired
 * text in out and returns 1; else returns 0.
 */
static int repair_mojibake(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n, high = 0;
	/* quick reject: only these lead bytes can come from Latin-1/CP1252 text */
	for (i = 0; i < len; i++) {
		unsigned c = u[i];
		if (c < 0x80 || (c & 0xC0) == 0x80)
			continue;
		if (c != 0xC2 && c != 0xC3 && c != 0xC5 && c != 0xC6 && c != 0xCB && c != 0xE2)
			return 0;
		high++;
	}
	if (!high)
		return 0;
	strbuf_reset(out);
	for (i = 0; i < len; i += n) {
		int32_t cp = utf8_decode(u + i, len - i, &n);
		int b = cp < 0 ? -1 : single_byte_of(cp);
		if (b < 0)
			return 0;
		strbuf_addch(out, b);
	}
	/*
	 * The bytes must be valid UTF-8; a space inside a sequence was a lost
	 * U+00A0. At least one sequence must be whole without that guess:
	 * "12 × 7" is not "12 נ7".
	 */
	unsigned char *b = (unsigned char *)out->buf;
	size_t whole = 0;
	for (i = 0; i < out->len; i += n) {
		int guessed = 0;
		if (b[i] >= 0x80)
			for (size_t k = 1; k < 4 && i + k < out->len; k++) {
				if (b[i + k] != ' ')
					continue;
				size_t need = b[i] >= 0xF0 ? 3 : b[i] >= 0xE0 ? 2 : 1;
				if (k <= need) {
					b[i + k] = 0xA0;
					guessed = 1;
				}
			}
		if (utf8_decode(b + i, out->len - i, &n) < 0)
			return 0;
		whole += b[i] >= 0x80 && !guessed;
	}
	return whole > 0;
}

/* ---- step 3: characters ---- */

static int is_emoji(int32_t cp)
{
	return cp >= 0x1F000 || (cp >= 0x2600 && cp <= 0x27BF);
}

static void add_cp(struct strbuf *out, int32_t cp)
{
	char buf[4];
	strbuf_add(out, buf, utf8_encode(cp, buf));
}

/* Appends s with step 3 applied; sets *unsafe when step 5 is needed. */
static void map_chars(struct strbuf *out, const char *s, size_t len, int nfkc, int *unsafe)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	int32_t prev = 0;
	while (i < len) {
		size_t start = i;
		/* fast path: printable ASCII */
		while (i + 8 <= len) {
			uint64_t x = swar_load(u + i);
			if ((x & SWAR_HIGH) || swar_has_less(x, 0x20) || swar_has_byte(x, 0x7F))
				break;
			i += 8;
		}
		while (i < len && u[i] >= 0x20 && u[i] < 0x7F)
			i++;
		if (i > start) {
			strbuf_add(out, s + start, i - start);
			prev = u[i - 1];
			continue;
		}
		/* fast path: CJK and other characters that pass through unchanged */
		while (i < len && u[i] >= 0xC2) {
			int32_t c = utf8_decode_fast(u + i, len - i, &n);
			if (c < 0x3001 || (c >= 0xD800 && c < 0xFF00) || c >= 0xFFE0 ||
			    (c >= 0xFF10 && c <= 0xFF5A) || is_marked(nfkc ? nfkc_unsafe : nfc_unsafe, c))
				break;
			prev = c;
			i += n;
		}
		if (i > start) {
			strbuf_add(out, s + start, i - start);
			continue;
		}
		int32_t cp = utf8_decode(u + i, len - i, &n);
		i += n;
		if (cp < 0) {
			add_cp(out, CP_REPLACEMENT);
		} else if (cp < 0x20 || cp == 0x7F) {
			if (cp == '\n' || cp == '\t')
				strbuf_addch(out, cp);
			else if (cp == '\r')
				strbuf_addch(out, i < len && u[i] == '\n' ? ' ' : '\n');	/* CRLF: the space goes in layout */
			else
				continue;
		} else if (cp < 0x80) {
			strbuf_addch(out, cp);
		} else if (cp <= 0x9F || cp == 0xAD || (cp >= 0x200B && cp <= 0x200C) ||
			   (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x180E ||
			   (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000 ||
			   (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
			continue;	/* controls, zero-width, BOM, soft hyphen, private use */
		} else if (cp == 0x200D) {
			if (!is_emoji(prev))
				continue;	/* zero-width joiner: kept only inside emoji sequences */
			add_cp(out, cp);
		} else if (cp == 0x3000) {
			strbuf_addch(out, IDEO_SPACE);
		} else if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
			   cp == 0x202F || cp == 0x205F) {
			strbuf_addch(out, ' ');
		} else if (cp == 0x2028 || cp == 0x2029) {
			strbuf_addch(out, '\n');
		} else if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
			   (cp >= 0xFF41 && cp <= 0xFF5A)) {
			cp -= 0xFEE0;	/* full-width letters and digits to ASCII */
			strbuf_addch(out, cp);
		} else {
			add_cp(out, cp);
			if (!*unsafe && needs_normalizing(cp, nfkc))
				*unsafe = 1;
		}
		prev = cp;
	}
}

/* ---- step 4: HTML entities and tags ---- */

static const struct entity {
	const char *name;
	int32_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	{ "nbsp", 0xA0 }, { "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 },
	{ "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 }, { "hellip", 0x2026 },
	{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
	{ "ldquo", 0x201C }, { "rdquo", 0x201D }, { "laquo", 0xAB }, { "raquo", 0xBB },
	{ "middot", 0xB7 }, { "bull", 0x2022 }, { "times", 0xD7 }, { "divide", 0xF7 },
	{ "deg", 0xB0 }, { "plusmn", 0xB1 }, { "yen", 0xA5 }, { "euro", 0x20AC },
	{ "pound", 0xA3 }, { "cent", 0xA2 }, { "sect", 0xA7 }, { "para", 0xB6 },
	{ "shy", 0xAD }, { "zwj", 0x200D }, { "zwnj", 0x200C }, { "rarr", 0x2192 },
	{ "larr", 0x2190 }, { "uarr", 0x2191 }, { "darr", 0x2193 }, { "le", 0x2264 },
	{ "ge", 0x2265 }, { "ne", 0x2260 }, { "hearts", 0x2665 }, { "iexcl", 0xA1 },
	{ "iquest", 0xBF }, { "micro", 0xB5 }, { "frac12", 0xBD },
};

/* Decodes the entity at s[0] == '&'; returns its length or 0. */
static size_t decode_entity(const char *s, size_t len, int32_t *cp)
{
	size_t i = 1;
	if (len > 3 && s[1] == '#') {
		int hex = s[2] == 'x' || s[2] == 'X';
		int32_t v = 0;
		size_t digits = 0;
		for (i = hex ? 3 : 2; i < len && digits < 7; i++, digits++) {
			int c = (unsigned char)s[i], d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			v = v * (hex ? 16 : 10) + d;
		}
		if (!digits || i >= len || s[i] != ';' || v <= 0 || v > 0x10FFFF ||
		    (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return i + 1;
	}
	while (i < len && i < 10 && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				     (s[i] >= '0' && s[i] <= '9')))
		i++;
	if (i >= len || s[i] != ';' || i == 1)
		return 0;
	for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
		if (strlen(entities[e].name) == i - 1 && !memcmp(entities[e].name, s + 1, i - 1)) {
			*cp = entities[e].cp;
			return i + 1;
		}
	return 0;
}

enum tag_kind { TAG_INLINE, TAG_LINE, TAG_PARAGRAPH, TAG_DROP_CONTENT };

static const struct html_tag {
	const char *name;
	enum tag_kind kind;
} html_tags[] = {
	{ "a", TAG_INLINE }, { "abbr", TAG_INLINE }, { "b", TAG_INLINE }, { "big", TAG_INLINE },
	{ "cite", TAG_INLINE }, { "code", TAG_INLINE }, { "del", TAG_INLINE }, { "em", TAG_INLINE },
	{ "font", TAG_INLINE }, { "i", TAG_INLINE }, { "img", TAG_INLINE }, { "ins", TAG_INLINE },
	{ "kbd", TAG_INLINE }, { "label", TAG_INLINE }, { "mark", TAG_INLINE }, { "small", TAG_INLINE },
	{ "span", TAG_INLINE }, { "strike", TAG_INLINE }, { "strong", TAG_INLINE }, { "sub", TAG_INLINE },
	{ "sup", TAG_INLINE }, { "u", TAG_INLINE }, { "tt", TAG_INLINE }, { "var", TAG_INLINE },
	{ "html", TAG_INLINE }, { "body", TAG_INLINE }, { "head", TAG_INLINE }, { "meta", TAG_INLINE },
	{ "link", TAG_INLINE }, { "input", TAG_INLINE }, { "button", TAG_INLINE }, { "wbr", TAG_INLINE },
	{ "br", TAG_LINE }, { "div", TAG_LINE }, { "li", TAG_LINE }, { "tr", TAG_LINE },
	{ "td", TAG_INLINE }, { "th", TAG_INLINE }, { "dd", TAG_LINE }, { "dt", TAG_LINE },
	{ "ul", TAG_LINE }, { "ol", TAG_LINE }, { "dl", TAG_LINE }, { "pre", TAG_LINE },
	{ "center", TAG_LINE }, { "tbody", TAG_LINE }, { "thead", TAG_LINE }, { "caption", TAG_LINE },
	{ "section", TAG_PARAGRAPH }, { "article", TAG_PARAGRAPH }, { "header", TAG_PARAGRAPH },
	{ "footer", TAG_PARAGRAPH }, { "nav", TAG_PARAGRAPH }, { "main", TAG_PARAGRAPH },
	{ "p", TAG_PARAGRAPH }, { "h1", TAG_PARAGRAPH }, { "h2", TAG_PARAGRAPH },
	{ "h3", TAG_PARAGRAPH }, { "h4", TAG_PARAGRAPH }, { "h5", TAG_PARAGRAPH },
	{ "h6", TAG_PARAGRAPH }, { "blockquote", TAG_PARAGRAPH }, { "table", TAG_PARAGRAPH },
	{ "hr", TAG_PARAGRAPH }, { "title", TAG_PARAGRAPH },
	{ "script", TAG_DROP_CONTENT }, { "style", TAG_DROP_CONTENT },
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * If a known HTML tag starts at s[0] == '<', returns its length and sets
 * *tag; else 0. Attributes may not contain '<' and stop at 1 KB.
 */
static size_t parse_tag(const char *s, size_t len, const struct html_tag **tag, int *closing)
{
	size_t i = 1, name_start, name_len;
	char name[12];
	*closing = 0;
	if (i < len && s[i] == '/') {
		*closing = 1;
		i++;
	}
	name_start = i;
	while (i < len && i - name_start < 11 &&
	       ((ascii_lower(s[i]) >= 'a' && ascii_lower(s[i]) <= 'z') || (i > name_start && s[i] >= '0' && s[i] <= '9')))
		i++;
	name_len = i - name_start;
	if (!name_len || i >= len || name_len >= sizeof(name))
		return 0;
	for (size_t k = 0; k < name_len; k++)
		name[k] = (char)ascii_lower(s[name_start + k]);
	name[name_len] = '\0';
	*tag = NULL;
	for (size_t t = 0; t < sizeof(html_tags) / sizeof(html_tags[0]); t++)
		if (!strcmp(html_tags[t].name, name)) {
			*tag = &html_tags[t];
			break;
		}
	if (!*tag)
		return 0;
	if (s[i] == '>')
		return i + 1;
	if (s[i] == '/' && i + 1 < len && s[i + 1] == '>')
		return i + 2;
	if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
		return 0;
	for (char quote = 0; i < len && i < 1024; i++) {
		if (quote) {
			if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
		} else if (s[i] == '<') {
			return 0;
		} else if (s[i] == '>') {
			return i + 1;
		}
	}
	return 0;
}

/* Finds "</name" case-insensitively from s; returns its offset or len. */
static size_t find_closing(const char *s, size_t len, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl + 2 <= len; i++) {
		if (s[i] != '<' || s[i + 1] != '/')
			continue;
		size_t k = 0;
		while (k < nl && ascii_lower(s[i + 2 + k]) == name[k])
			k++;
		if (k == nl)
			return i;
	}
	return len;
}

/* Step 4 once over s into out; returns 1 if anything changed. */
static int strip_markup(struct strbuf *out, const char *s, size_t len)
{
	size_t i = 0, start = 0;
	int changed = 0;
	while (i < len) {
		const char *p = memchr(s + i, '<', len - i), *q = memchr(s + i, '&', len - i);
		if (!p && !q)
			break;
		i = (size_t)((p && (!q || p < q) ? p : q) - s);
		if (s[i] == '&') {
			int32_t cp;
			size_t n = decode_entity(s + i, len - i, &cp);
			if (n) {
				strbuf_add(out, s + start, i - start);
				add_cp(out, cp);
				i = start = i + n;
				changed = 1;
			} else {
				i++;
			}
			continue;
		}
		/* '<': comment, doctype or a known tag */
		size_t n = 0;
		const char *sep = "";
		if (len - i >= 4 && !memcmp(s + i, "<!--", 4)) {
			const char *end = memmem(s + i + 4, len - i - 4, "-->", 3);
			if (end)
				n = (size_t)(end + 3 - (s + i));
		} else if (len - i >= 9 && !strncasecmp(s + i, "<!doctype", 9)) {
			const char *end = memchr(s + i, '>', len - i);
			if (end)
				n = (size_t)(end + 1 - (s + i));
		} else {
			const struct html_tag *tag;
			int closing;
			n = parse_tag(s + i, len - i, &tag, &closing);
			if (n && tag->kind == TAG_DROP_CONTENT && !closing) {
				size_t close = find_closing(s + i + n, len - i - n, tag->name);
				const char *gt = close < len - i - n ? memchr(s + i + n + close, '>', len - i - n - close) : NULL;
				n = gt ? (size_t)(gt + 1 - (s + i)) : len - i;
			}
			if (n)
				sep = tag->kind == TAG_LINE ? "\n" : tag->kind == TAG_PARAGRAPH ? "\n\n" : "";
		}
		if (n) {
			strbuf_add(out, s + start, i - start);
			strbuf_addstr(out, sep);
			i = start = i + n;
			changed = 1;
		} else {
			i++;
		}
	}
	if (changed)
		strbuf_add(out, s + start, len - start);
	return changed;
}

/* ---- step 2: code fences ---- */

size_t code_fence_end(const char *s, size_t len, size_t pos, int *closed)
{
	size_t i = pos, indent = 0, fence = 0;
	char c;
	if (closed)
		*closed = 0;
	while (i < len && s[i] == ' ' && indent < 4)
		i++, indent++;
	if (indent > 3 || i >= len || (s[i] != '`' && s[i] != '~'))
		return 0;
	c = s[i];
	while (i < len && s[i] == c)
		i++, fence++;
	if (fence < 3)
		return 0;
	/* find the closing fence: a line of at least `fence` c's and nothing else */
	const char *nl = memchr(s + i, '\n', len - i);
	while (nl) {
		size_t j = (size_t)(nl - s) + 1, k = 0, run = 0;
		while (j < len && s[j] == ' ' && k < 4)
			j++, k++;
		while (j < len && s[j] == c)
			j++, run++;
		size_t end = j;
		while (end < len && (s[end] == ' ' || s[end] == '\t' || s[end] == '\r'))
			end++;
		if (k <= 3 && run >= fence && (end >= len || s[end] == '\n')) {
			if (closed)
				*closed = 1;
			return j;
		}
		nl = memchr(s + j, '\n', len - j);
	}
	return len;
}

/* ---- step 6: layout ---- */

struct layout {
	struct strbuf *out;
	size_t start;		/* where the field begins in out */
	int newlines;		/* pending line breaks */
	int space;		/* pending space inside a line */
	int line_started;	/* something was written on this line */
	int indent_ideo;	/* the indentation holds an ideographic space */
	char indent[64];
	size_t indent_len;
};

static void layout_flush(struct layout *l)
{
	if (l->out->len > l->start) {
		if (l->newlines) {
			strbuf_add(l->out, "\n\n", l->newlines > 1 ? 2 : 1);
			if (!l->indent_ideo)
				strbuf_add(l->out, l->indent, l->indent_len);
		} else if (l->space) {
			strbuf_addch(l->out, ' ');
		}
	}
	l->newlines = l->space = l->indent_ideo = 0;
	l->indent_len = 0;
	l->line_started = 1;
}

static void layout_prose(struct layout *l, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char c = s[i];
		if (c == '\n') {
			l->newlines++;
			l->line_started = l->space = l->indent_ideo = 0;
			l->indent_len = 0;
			i++;
		} else if (c == ' ' || c == '\t' || c == IDEO_SPACE) {
			if (l->line_started)
				l->space = 1;
			else if (c == IDEO_SPACE)
				l->indent_ideo = 1;
			else if (l->indent_len < sizeof(l->indent))
				l->indent[l->indent_len++] = c;
			i++;
		} else {
			/* copy words and the single spaces between them in one go */
			const unsigned char *u = (const unsigned char *)s;
			size_t start = i;
			layout_flush(l);
			while (i < len) {
				unsigned char d = u[i];
				if (d > ' ') {
					i++;	/* most bytes: no layout meaning */
					while (i + 8 <= len && !swar_has_less(swar_load(u + i), ' ' + 1))
						i += 8;
					continue;
				}
				if (d == '\n' || d == '\t' || d == IDEO_SPACE)
					break;
				if (d == ' ' && (i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n' ||
						 s[i + 1] == '\t' || s[i + 1] == IDEO_SPACE))
					break;
				i++;
			}
			strbuf_add(l->out, s + start, i - start);
		}
	}
}

/* Copies code verbatim except invalid UTF-8 (U+FFFD) and CR before LF. */
static void layout_code(struct layout *l, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	l->space = 0;
	layout_flush(l);
	while (i < len) {
		size_t start = i;
		while (i < len && u[i] < 0x80 && u[i] != '\r' && u[i])
			i++;
		strbuf_add(l->out, s + start, i - start);
		if (i >= len)
			break;
		if (!u[i]) {
			i++;	/* NUL cannot be stored as text */
			continue;
		}
		if (u[i] == '\r') {
			if (i + 1 >= len || u[i + 1] != '\n')
				strbuf_addch(l->out, '\r');
			i++;
			continue;
		}
		if (utf8_decode(u + i, len - i, &n) < 0)
			add_cp(l->out, CP_REPLACEMENT);
		else
			strbuf_add(l->out, s + i, n);
		i += n;
	}
}

/* ---- the whole field ---- */

static _Thread_local struct strbuf scratch_fix[2], scratch_a, scratch_b, scratch_prose, scratch_pre;

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

/*
 * Steps 3-5 on one prose piece, appended to out (step 4 only with
 * NORMALIZE_MARKUP); adds to *changes (may be NULL) the kinds that changed it.
 */
static void normalize_prose(struct strbuf *out, const char *s, size_t len, unsigned flags, unsigned *changes)
{
	struct strbuf *a = &scratch_a, *b = &scratch_b;
	int unsafe = 0, nfkc = !!(flags & NORMALIZE_NFKC);
	strbuf_reset(a);
	map_chars(a, s, len, nfkc, &unsafe);
	if (changes && !same(a->buf, a->len, s, len))
		*changes |= 1u << CHANGE_CHARACTERS;
	for (int round = 0; round < 8 && (flags & NORMALIZE_MARKUP); round++) {
		if (!memchr(a->buf, '<', a->len) && !memchr(a->buf, '&', a->len))
			break;
		strbuf_reset(b);
		if (!strip_markup(b, a->buf, a->len))
			break;
		if (changes)
			*changes |= 1u << CHANGE_MARKUP;
		strbuf_reset(a);
		map_chars(a, b->buf, b->len, nfkc, &unsafe);
	}
	if (unsafe) {
		size_t before = out->len;
		unicode_normalize(out, a->buf, a->len, nfkc);
		if (changes && !same(out->buf + before, out->len - before, a->buf, a->len))
			*changes |= 1u << CHANGE_UNICODE;
	} else {
		strbuf_add(out, a->buf, a->len);
	}
}

/* Normalises a prose piece and lays it out; pre (may be NULL) collects the text before layout. */
static void flush_prose(struct layout *l, const char *s, size_t len, unsigned flags, unsigned *changes,
			struct strbuf *pre)
{
	if (!len)
		return;
	strbuf_reset(&scratch_prose);
	normalize_prose(&scratch_prose, s, len, flags, changes);
	if (pre)
		strbuf_add(pre, scratch_prose.buf, scratch_prose.len);
	layout_prose(l, scratch_prose.buf, scratch_prose.len);
}

void clean_normalize(struct strbuf *out, const char *s, size_t len, unsigned flags)
{
	clean_normalize_changes(out, s, len, flags, NULL);
}

void clean_normalize_changes(struct strbuf *out, const char *s, size_t len, unsigned flags, unsigned *changes)
{
	size_t i = 0, prose_start = 0;
	struct layout l;
	struct strbuf *pre = changes ? &scratch_pre : NULL;

	if (!tables_ready)
		build_tables();
	/* step 1, repeated for text that went through the mistake twice */
	for (int round = 0; round < 3; round++) {
		struct strbuf *dst = &scratch_fix[round % 2];
		if (!repair_mojibake(dst, s, len))
			break;
		s = dst->buf;
		len = dst->len;
		if (changes)
			*changes |= 1u << CHANGE_MOJIBAKE;
	}

	memset(&l, 0, sizeof(l));
	l.out = out;
	l.start = out->len;
	if (pre)
		strbuf_reset(pre);
	/* steps 2-6, a piece of prose or code at a time */
	while (i < len) {
		size_t end = code_fence_end(s, len, i, NULL);
		if (end) {
			flush_prose(&l, s + prose_start, i - prose_start, flags, changes, pre);
			if (pre)
				strbuf_add(pre, s + i, end - i);
			layout_code(&l, s + i, end - i);
			i = prose_start = end;
			continue;
		}
		const char *nl = memchr(s + i, '\n', len - i);
		i = nl ? (size_t)(nl - s) + 1 : len;
	}
	flush_prose(&l, s + prose_start, len - prose_start, flags, changes, pre);
	/* step 6 changed what steps 1-5 left: spaces, blank lines, line ends */
	if (pre && !same(out->buf + l.start, out->len - l.start, pre->buf, pre->len))
		*changes |= 1u << CHANGE_WHITESPACE;
}
