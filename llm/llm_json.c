/*
 * llm_json.c - reading what a model wrote: the first balanced JSON value in
 * an answer (models wrap JSON in code fences and chatter even in JSON
 * mode, and platforms without JSON mode do so freely), and the items of a
 * numbered list, the other shape generation answers come in.
 */
#include "llm.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* End (one past) of the balanced value starting at s[i] ('{' or '['), or 0. */
static size_t balanced_end(const char *s, size_t len, size_t i)
{
	char stack[256];
	size_t depth = 0;
	int in_string = 0;
	for (; i < len; i++) {
		char ch = s[i];
		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
			continue;
		}
		if (ch == '"') {
			in_string = 1;
		} else if (ch == '{' || ch == '[') {
			if (depth == sizeof(stack))
				return 0;
			stack[depth++] = ch == '{' ? '}' : ']';
		} else if (ch == '}' || ch == ']') {
			if (!depth || stack[depth - 1] != ch)
				return 0;
			if (!--depth)
				return i + 1;
		}
	}
	return 0;
}

json_t *llm_extract_json(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t end;
		json_t *v;
		char err[160];
		if (text[i] != '{' && text[i] != '[')
			continue;
		end = balanced_end(text, len, i);
		if (!end)
			continue;
		v = json_parse(text + i, end - i, err, sizeof(err));
		if (v)
			return v;
	}
	return NULL;
}

/* Length of a list marker at the start of s (spaces after it included), or 0. */
static size_t marker_len(const char *s, size_t n)
{
	static const char *const after_number[] = { ".", "、", ")", "）", "．", ":", "：", NULL };
	static const char *const bullets[] = { "- ", "* ", "• ", "· ", NULL };
	size_t start = 0, i, m = 0;
	int paren = 0;
	if (n >= 1 && s[0] == '(')
		paren = 1, start = 1;
	else if (n >= 3 && !memcmp(s, "（", 3))
		paren = 1, start = 3;
	for (i = start; i < n && i < start + 4 && isdigit((unsigned char)s[i]); i++)
		;
	if (i > start && i < n) {
		if (paren) {
			if (s[i] == ')')
				m = i + 1;
			else if (n - i >= 3 && !memcmp(s + i, "）", 3))
				m = i + 3;
		} else {
			for (int k = 0; after_number[k]; k++) {
				size_t kl = strlen(after_number[k]);
				if (n - i >= kl && !memcmp(s + i, after_number[k], kl)) {
					m = i + kl;
					break;
				}
			}
			/* "1.5 kg" is not a marker: a digit right after the dot */
			if (m && s[i] == '.' && m < n && isdigit((unsigned char)s[m]))
				m = 0;
		}
	}
	if (!m)
		for (int k = 0; bullets[k]; k++) {
			size_t kl = strlen(bullets[k]);
			if (n >= kl && !memcmp(s, bullets[k], kl)) {
				m = kl;
				break;
			}
		}
	while (m && m < n && (s[m] == ' ' || s[m] == '\t'))
		m++;
	return m;
}

/* Strips whitespace, markdown bold and one pair of wrapping quotes. */
static void clean_item(const char **s, size_t *n)
{
	static const char *const pairs[][2] = { { "\"", "\"" }, { "“", "”" }, { "「", "」" }, { "**", "**" } };
	int again = 1;
	while (again) {
		again = 0;
		while (*n && isspace((unsigned char)**s))
			(*s)++, (*n)--;
		while (*n && isspace((unsigned char)(*s)[*n - 1]))
			(*n)--;
		for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
			size_t a = strlen(pairs[k][0]), b = strlen(pairs[k][1]);
			if (*n >= a + b + 1 && !memcmp(*s, pairs[k][0], a) &&
			    !memcmp(*s + *n - b, pairs[k][1], b)) {
				*s += a;
				*n -= a + b;
				again = 1;
			}
		}
	}
}

size_t llm_parse_list(const char *text, size_t len, struct string_list *out)
{
	size_t added = 0;
	int any_marker = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *p = text, *end = text + len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *line = p;
			size_t n = (size_t)((nl ? nl : end) - p), m;
			p = nl ? nl + 1 : end;
			while (n && (*line == ' ' || *line == '\t'))
				line++, n--;
			if (n >= 3 && !memcmp(line, "```", 3))
				continue;
			m = marker_len(line, n);
			if (pass == 0) {
				any_marker |= m > 0;
				continue;
			}
			if (any_marker && !m)
				continue;
			line += m, n -= m;
			clean_item(&line, &n);
			if (!n)
				continue;
			char *item = xstrndup(line, n);
			string_list_append(out, item);
			free(item);
			added++;
		}
	}
	return added;
}
