/*
 * wrap.c - cutting record text into terminal lines. Widths come from
 * utf8proc (via lib/text.h), so a Chinese character takes two columns and
 * a line of Chinese never spills over the edge. Latin text breaks at
 * spaces; CJK text may break between any two characters, as it is set.
 */
#include "annotate.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <string.h>
#include <utf8proc.h>

#define TAB_WIDTH 4

/* One character as it will be shown: its bytes and columns. */
struct shown_char {
	char bytes[8];
	size_t len, width;
	int space, wide;
};

static void next_char(const char *s, size_t len, size_t *pos, struct shown_char *c)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + *pos,
					      (utf8proc_ssize_t)(len - *pos), &cp);
	c->space = c->wide = 0;
	if (n <= 0) {
		n = 1;
		cp = 0xFFFD;
	}
	*pos += (size_t)n;
	if (cp == ' ' || cp == 0x3000) {
		c->space = 1;
	} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
		   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
		cp = 0xFFFD;	/* nothing that moves the cursor or reorders the line */
	}
	c->len = (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)c->bytes);
	int w = utf8proc_charwidth(cp);
	c->width = w < 0 ? 1 : (size_t)w;
	c->wide = c->width == 2;
}

static void trim_right_spaces(struct strbuf *line, size_t *width)
{
	while (line->len && line->buf[line->len - 1] == ' ') {
		line->buf[--line->len] = '\0';
		(*width)--;
	}
}

/* Wraps one paragraph (no newlines in it). */
static void wrap_paragraph(const char *s, size_t len, size_t width, struct string_list *out)
{
	struct strbuf line = STRBUF_INIT, rest = STRBUF_INIT;
	size_t line_width = 0, pos = 0, pending_spaces = 0;
	size_t brk = 0, brk_width = 0;	/* the line may be cut after line[0..brk) */
	int prev_wide = 0;

	while (pos < len || pending_spaces) {
		struct shown_char c;
		if (pending_spaces) {
			pending_spaces--;
			c.bytes[0] = ' ';
			c.len = c.width = 1;
			c.space = 1;
			c.wide = 0;
		} else if (s[pos] == '\t') {
			pos++;
			pending_spaces = TAB_WIDTH - line_width % TAB_WIDTH;
			continue;
		} else {
			next_char(s, len, &pos, &c);
		}
		if (line.len && (c.wide || prev_wide)) {
			brk = line.len;	/* CJK text breaks between any two characters */
			brk_width = line_width;
		}
		if (line_width + c.width > width) {
			if (c.space) {
				/* the space itself is the break */
				trim_right_spaces(&line, &line_width);
				string_list_append(out, line.buf);
				strbuf_reset(&line);
				line_width = brk = brk_width = 0;
				prev_wide = 0;
				continue;
			}
			/* carry the part after the last break to the next line */
			strbuf_reset(&rest);
			size_t rest_width = 0;
			if (brk > 0) {
				strbuf_add(&rest, line.buf + brk, line.len - brk);
				rest_width = line_width - brk_width;
				line.len = brk;
				line.buf[brk] = '\0';
				line_width = brk_width;
			}
			trim_right_spaces(&line, &line_width);
			if (line.len)
				string_list_append(out, line.buf);
			strbuf_reset(&line);
			line_width = 0;
			size_t skip = 0;
			while (skip < rest.len && rest.buf[skip] == ' ')
				skip++;
			strbuf_add(&line, rest.buf + skip, rest.len - skip);
			line_width = rest_width - skip;
			brk = brk_width = 0;
			if (line_width + c.width > width && line.len) {
				/* the carried-over word alone is still too long */
				string_list_append(out, line.buf);
				strbuf_reset(&line);
				line_width = 0;
			}
		}
		strbuf_add(&line, c.bytes, c.len);
		line_width += c.width;
		if (c.space) {
			brk = line.len;
			brk_width = line_width;
		}
		prev_wide = c.wide;
	}
	string_list_append(out, line.buf);
	strbuf_release(&line);
	strbuf_release(&rest);
}

void wrap_text(const char *s, size_t len, size_t width, struct string_list *out)
{
	size_t start = 0;
	if (width < 2)
		width = 2;	/* room for one CJK character */
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '\n') {
			size_t end = i;
			if (end > start && s[end - 1] == '\r')
				end--;
			wrap_paragraph(s + start, end - start, width, out);
			start = i + 1;
		}
	}
}
