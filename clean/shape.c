/*
 * shape.c - rules that judge an output by its shape rather than its words:
 * cut off mid-sentence, a sentence said again and again, nothing but a
 * placeholder, a web page's footer at the end.
 *
 * `truncated` judges prose only. Instruction data is full of complete
 * outputs that end without a full stop: code, lists, tables, poems and
 * lyrics, tweets ending in hashtags, letters ending in a name, titles,
 * Chinese answers of one phrase. So the last line must read as a sentence
 * of prose (enough words, not code, not a list item or a verse line) and
 * end where no sentence ends: on a letter, a Han character or a comma.
 */
#define _GNU_SOURCE
#include "clean_internal.h"

#include <string.h>
#include <utf8proc.h>

/* The last code point of s before trailing spaces, or 0; *line_start is where its line starts. */
static int32_t last_char(const char *s, size_t len, size_t *line_start)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = len, k, n;
	while (end > 0 && (u[end - 1] == ' ' || u[end - 1] == '\n' || u[end - 1] == '\t'))
		end--;
	if (!end)
		return 0;
	k = end - 1;
	while (k > 0 && (u[k] & 0xC0) == 0x80)
		k--;
	const char *nl = memrchr(s, '\n', end);
	*line_start = nl ? (size_t)(nl - s) + 1 : 0;
	return utf8_decode(u + k, end - k, &n);
}

/* 1 if the line at s looks like a list item, heading, table row or quote. */
static int structural_line(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && s[i] == ' ')
		i++;
	if (i >= len)
		return 0;
	if (s[i] == '-' || s[i] == '*' || s[i] == '+' || s[i] == '#' || s[i] == '|' || s[i] == '>')
		return 1;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i < len && i > 0 && (s[i] == '.' || s[i] == ')' || (unsigned char)s[i] == 0xE3);
}

/* 1 if a fenced code block is opened and never closed. */
static int open_fence(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		int closed;
		size_t end = code_fence_end(s, len, i, &closed);
		if (end) {
			if (!closed)
				return 1;
			i = end;
			continue;
		}
		const char *nl = memchr(s + i, '\n', len - i);
		i = nl ? (size_t)(nl - s) + 1 : len;
	}
	return 0;
}

/* 1 if the line reads as code: indented, or with code punctuation prose does not use. */
static int code_line(const char *s, size_t len)
{
	static const char *const marks[] = { " = ", "==", "{", "}", ";", "()", "=>", "->", "def ", "return " };
	if (len && (s[0] == '\t' || (len > 1 && s[0] == ' ' && s[1] == ' ')))
		return 1;
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
		if (memmem(s, len, marks[k], strlen(marks[k])))
			return 1;
	return 0;
}

/*
 * 1 if the line ends with a hashtag or a mention (#tag, ＃标签, @name: a tweet),
 * a link, or an attribution after a dash ("... ” - Steve Jobs", "——鲁迅").
 */
static int ends_with_tag(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = len, n;
	/* back over the last run of letters, digits, '_' and CJK characters */
	while (k > 0) {
		size_t b = k - 1;
		while (b > 0 && (u[b] & 0xC0) == 0x80)
			b--;
		int32_t cp = utf8_decode(u + b, k - b, &n);
		if (cp == '#' || cp == 0xFF03 || cp == '@')
			return 1;
		if (!(cp == '_' || (cp >= '0' && cp <= '9') || cp_is_han(cp) || (cp >= 0x80 && cp != 0x3002) ||
		      ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')))
			break;
		k = b;
	}
	/* the last word is a link */
	size_t w = len;
	while (w > 0 && s[w - 1] != ' ' && s[w - 1] != '\n')
		w--;
	if (memmem(s + w, len - w, "://", 3) || memmem(s + w, len - w, "www.", 4))
		return 1;
	/* a label and its value: "等级：A", "Answer: B" */
	for (size_t k2 = len > 12 ? len - 12 : 0; k2 + 1 < len; k2++)
		if (s[k2] == ':' || (k2 + 3 <= len && !memcmp(s + k2, "\xef\xbc\x9a", 3)))
			return 1;
	/* an attribution: a dash, then a few words */
	static const char *const dashes[] = { " - ", " – ", " — ", "——", "—", " -" };
	for (size_t d = 0; d < sizeof(dashes) / sizeof(dashes[0]); d++) {
		const char *p = NULL, *q = s;
		size_t dl = strlen(dashes[d]);
		while ((q = memmem(q, len - (size_t)(q - s), dashes[d], dl)))
			p = q++;
		if (p && len - (size_t)(p - s) - dl <= 40 && p > s)
			return 1;
	}
	return 0;
}

/* 1 if the code point ends a sentence (or a clause that may end one: closing quotes and brackets). */
static int sentence_end(int32_t cp)
{
	return cp == '.' || cp == '!' || cp == '?' || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F ||
	       cp == 0x2026 || cp == 0xFF0E;
}

/* 1 if s[0..len) has a sentence end followed by more text (it is written in sentences). */
static int has_inner_sentence_end(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	while (i < len) {
		int32_t cp = u[i] < 0x80 ? u[i] : utf8_decode(u + i, len - i, &n);
		n = u[i] < 0x80 ? 1 : n;
		if (sentence_end(cp) && i + n < len && (cp >= 0x80 || u[i + n] == ' '))
			return 1;
		i += n;
	}
	return 0;
}

/* 1 if cp can only end text cut short: a letter, a Han character, a comma, colon or opening bracket. */
static int cut_char(int32_t cp)
{
	if (cp == ',' || cp == 0xFF0C || cp == 0x3001 || cp == ';' || cp == '(' || cp == 0xFF08 ||
	    cp == '-' || cp == 0xFF1A || cp == ':' || cp == 0xFF1B)
		return 1;
	if (cp_is_han(cp))
		return 1;
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

int output_truncated(const struct clean_rules *rules, const char *s, size_t len, size_t chars)
{
	size_t start = 0;
	int32_t cp;
	struct text_stats st;
	if (open_fence(s, len))
		return 1;
	if ((double)chars < rules->threshold[RULE_TRUNCATED])
		return 0;
	cp = last_char(s, len, &start);
	if (cp <= 0 || !cut_char(cp))
		return 0;
	size_t end = len;
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\n' || s[end - 1] == '\t'))
		end--;
	const char *line = s + start;
	size_t n = end - start;
	if (structural_line(line, n) || code_line(line, n) || ends_with_tag(line, n))
		return 0;
	/* a verse: the last paragraph is several short lines */
	if (start >= 1 && s[start - 1] == '\n' && (start < 2 || s[start - 2] != '\n') && n < 80)
		return 0;
	/* prose: a line of sentences, or one sentence too long to be a title or a name */
	text_stats(line, n, &st, NULL);
	double words = (double)st.latin_words + (double)st.other_words + (double)st.han / 2;
	if (words >= 8 && has_inner_sentence_end(line, n))
		return 1;
	return words >= 25;
}

/* Code points in s[0..len) (valid UTF-8). */
static size_t utf8_length(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* 1 if s has an ASCII letter or a non-ASCII character (not a line of underscores or dots). */
static int has_letter(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			return 1;
	return 0;
}

size_t first_sentence_len(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	if (len > max)
		len = max;
	while (i < len) {
		if (u[i] == '\n')
			return i;
		int32_t cp = u[i] < 0x80 ? u[i] : utf8_decode(u + i, len - i, &n);
		i += u[i] < 0x80 ? 1 : n;
		if (sentence_end(cp) && (cp >= 0x80 || i == len || u[i] == ' ' || u[i] == '\n'))
			return i;
	}
	return len;
}

/* Bytes where a sentence may end: ASCII end marks, the line break, lead bytes of …。！？． */
static const unsigned char sentence_stop[256] = {
	['.'] = 1, ['!'] = 1, ['?'] = 1, ['\n'] = 1, [0xE2] = 1, [0xE3] = 1, [0xEF] = 1,
};

int output_repeats_sentence(const struct clean_rules *rules, const char *s, size_t len, const char **span,
			    size_t *span_len)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *prev = NULL;
	size_t prev_len = 0, i = 0, n;
	double run = 0;
	if (rules->off[RULE_REPEATED_SENTENCE])
		return 0;
	while (i < len) {
		size_t a = i, b;
		/* a sentence runs to its end mark (kept) or the end of the line */
		for (;;) {
			while (i < len && !sentence_stop[u[i]])
				i++;
			if (i >= len || u[i] == '\n')
				break;
			if (u[i] < 0x80) {
				i++;
				break;
			}
			int32_t cp = utf8_decode(u + i, len - i, &n);
			i += n;
			if (sentence_end(cp))
				break;
		}
		b = i;
		while (i < len && (s[i] == ' ' || s[i] == '\n'))
			i++;
		while (a < b && s[a] == ' ')
			a++;
		/* the same sentence again: only then is it worth measuring */
		if (prev && prev_len == b - a && !memcmp(prev, s + a, b - a) &&
		    utf8_length(s + a, b - a) >= 15 && has_letter(s + a, b - a)) {
			if (++run >= rules->threshold[RULE_REPEATED_SENTENCE]) {
				*span = s + a;
				*span_len = b - a;
				return 1;
			}
		} else {
			run = 1;
		}
		prev = s + a;
		prev_len = b - a;
	}
	return 0;
}

int output_placeholder(struct strbuf *key, const char *s, size_t len)
{
	static const char *const words[] = {
		"na", "none", "null", "nil", "todo", "tbd", "tba", "fixme", "noinput", "nooutput", "noanswer",
		"placeholder", "empty", "blank", "无", "略", "暂无", "空", "无输出", "无输入", "无答案", "待补充",
	};
	if (len > 40)
		return 0;
	if ((len >= 4 && (!memcmp(s, "TODO", 4) || !memcmp(s, "TBD", 3) || !memcmp(s, "FIXME", len < 5 ? len : 5))))
		return 1;
	/* only dots, dashes or question marks, briefly: "...", "…", "-", "?" (not ASCII art or emoji) */
	if (len <= 6 && strspn(s, ".-?_/") == len)
		return 1;
	if (!strcmp(s, "\xe2\x80\xa6") || !strcmp(s, "\xe2\x80\xa6\xe2\x80\xa6"))
		return 1;
	comparison_key(key, s, len);
	if (!key->len)
		return 0;
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (key->len == strlen(words[k]) && !memcmp(key->buf, words[k], key->len))
			return 1;
	return 0;
}

const char *output_tail(const char *s, size_t len, size_t *tail_len)
{
	size_t start = len, lines = 0, after_break = len;
	while (start > 0 && len - start < 300) {
		start--;
		if (s[start] == '\n' && start + 1 < len && s[start + 1] != '\n') {
			after_break = start + 1;
			if (++lines == 4)
				break;
		}
	}
	while (after_break < len && ((unsigned char)s[after_break] & 0xC0) == 0x80)
		after_break++;
	*tail_len = len - after_break;
	return s + after_break;
}
