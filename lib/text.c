/*
 * text.c - terminal display width of UTF-8 text, via utf8proc.
 */
#include "text.h"

#include <utf8proc.h>

static int char_width(utf8proc_int32_t cp)
{
	int w = utf8proc_charwidth(cp);
	return w < 0 ? 1 : w;
}

size_t text_width(const char *s, size_t len)
{
	size_t w = 0, i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			w++;
			i++;
			continue;
		}
		w += (size_t)char_width(cp);
		i += (size_t)n;
	}
	return w;
}

size_t text_fit(struct strbuf *out, const char *s, size_t len, size_t width)
{
	size_t w = 0, i = 0;
	int cut = text_width(s, len) > width;
	size_t limit = cut && width ? width - 1 : width;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			cp = 0xFFFD;
			n = 1;
		}
		int control = cp < 0x20 || cp == 0x7f;
		int cw = control ? 1 : char_width(cp);
		if (w + (size_t)cw > limit)
			break;
		if (control)
			strbuf_addch(out, ' ');
		else if (cp == 0xFFFD && n == 1)
			strbuf_addstr(out, "\xEF\xBF\xBD");
		else
			strbuf_add(out, s + i, (size_t)n);
		w += (size_t)cw;
		i += (size_t)n;
	}
	if (cut && width) {
		strbuf_addstr(out, "\xE2\x80\xA6");
		w++;
	}
	return w;
}

void text_append_valid(struct strbuf *out, const char *s, size_t len)
{
	size_t i = 0, run = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n > 0) {
			i += (size_t)n;
			continue;
		}
		strbuf_add(out, s + run, i - run);
		strbuf_addstr(out, "\xEF\xBF\xBD");
		run = ++i;
	}
	strbuf_add(out, s + run, len - run);
}
