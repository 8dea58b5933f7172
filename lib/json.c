/*
 * json.c - streaming JSON item reader and UTF-8-preserving string writer.
 *
 * The reader never holds more than one item: for arrays it scans bytes with
 * a tiny state machine (inside string, escape, nesting depth) to find where
 * each element ends, then hands that slice to jansson. JSON Lines are split
 * on newlines so that one broken line is blamed on its own line number.
 */
#define _POSIX_C_SOURCE 200809L
#include "json.h"
#include "util.h"

#include <errno.h>
#include <string.h>

#define READ_CHUNK (1 << 20)

int json_reader_open(struct json_reader *r, const char *path, enum json_layout layout)
{
	memset(r, 0, sizeof(*r));
	if (!strcmp(path, "-")) {
		r->fp = stdin;
	} else {
		r->fp = fopen(path, "rb");
		if (!r->fp)
			return -1;
		r->own_fp = 1;
	}
	r->layout = layout;
	strbuf_init(&r->item, 0);
	r->buf = xmalloc(READ_CHUNK);
	r->cur_line = 1;
	r->index = -1;
	return 0;
}

void json_reader_close(struct json_reader *r)
{
	if (r->own_fp && r->fp)
		fclose(r->fp);
	r->fp = NULL;
	free(r->buf);
	r->buf = NULL;
	strbuf_release(&r->item);
}

/* Next byte, or -1 at end of input. */
static int getb(struct json_reader *r)
{
	if (r->pos == r->len) {
		r->len = fread(r->buf, 1, READ_CHUNK, r->fp);
		r->pos = 0;
		if (!r->len)
			return -1;
	}
	r->bytes++;
	int c = (unsigned char)r->buf[r->pos++];
	if (c == '\n')
		r->cur_line++;
	return c;
}

static void ungetb(struct json_reader *r, int c)
{
	/* only ever called right after getb, so the byte is still in buf;
	 * at the end of input there is nothing to put back */
	if (c < 0)
		return;
	r->pos--;
	r->bytes--;
	if (c == '\n')
		r->cur_line--;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int skip_space(struct json_reader *r)
{
	int c;
	do
		c = getb(r);
	while (c >= 0 && is_space(c));
	return c;
}

static int fail(struct json_reader *r, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "line %ld: %s", r->cur_line, msg);
	r->finished = 1;
	return -1;
}

/*
 * Looks at the first bytes once, before any item: skips a whole UTF-8 byte
 * order mark (a cut-off one stays and is reported as invalid JSON by the
 * item parser) and refuses UTF-16, naming it. Reading happens here, not
 * through getb/ungetb, so nothing is ever put back into an emptied buffer.
 * Returns 0, or -1 with r->err set.
 */
static int check_start(struct json_reader *r)
{
	const unsigned char *b = (const unsigned char *)r->buf;
	size_t got;
	r->begun = 1;
	while (r->len < 4 && (got = fread(r->buf + r->len, 1, 4 - r->len, r->fp)) > 0)
		r->len += got;
	if (r->len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
		r->pos = 3;
		r->bytes = 3;
	}
	if (r->len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF) ||
			    (b[0] && !b[1]) || (!b[0] && b[1])))
		return fail(r, "the file is UTF-16 (or has NUL bytes), not UTF-8; convert it first, "
			       "e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8");
	return 0;
}

static int next_line(struct json_reader *r)
{
	int c;
	for (;;) {
		strbuf_reset(&r->item);
		r->line = r->cur_line;
		/* copy up to the newline in spans, not a call per byte */
		for (;;) {
			if (r->pos == r->len) {
				r->len = fread(r->buf, 1, READ_CHUNK, r->fp);
				r->pos = 0;
				if (!r->len) {
					c = -1;
					break;
				}
			}
			const char *b = r->buf + r->pos;
			const char *nl = memchr(b, '\n', r->len - r->pos);
			size_t n = nl ? (size_t)(nl - b) : r->len - r->pos;
			if (r->item.len + n > JSON_ITEM_MAX)
				return fail(r, "line longer than the 256 MB limit");
			strbuf_add(&r->item, b, n);
			r->pos += n + (nl ? 1 : 0);
			r->bytes += n + (nl ? 1 : 0);
			if (nl) {
				r->cur_line++;
				c = '\n';
				break;
			}
		}
		strbuf_trim(&r->item);
		if (r->item.len) {
			r->index++;
			return 1;
		}
		if (c < 0) {
			r->finished = 1;
			return 0;
		}
	}
}

static int next_element(struct json_reader *r)
{
	int c, depth = 0, in_str = 0, esc = 0;


	if (!r->started) {
		r->started = 1;
		c = skip_space(r);
		if (c != '[')
			return fail(r, "expected '[' at the start of a JSON array");
		c = skip_space(r);
		if (c == ']')
			goto end;
		ungetb(r, c);
	} else {
		c = skip_space(r);
		if (c == ']')
			goto end;
		if (c != ',')
			return fail(r, c < 0 ? "unexpected end of file inside the array (missing ']')"
					 : "expected ',' or ']' between array items");
	}
	c = skip_space(r);
	if (c < 0)
		return fail(r, "unexpected end of file inside the array (missing ']')");
	if (c == ']' || c == ',')
		return fail(r, "empty item in the array (stray ',')");
	strbuf_reset(&r->item);
	r->line = r->cur_line;
	ungetb(r, c);
	/*
	 * Scan the read buffer directly and copy whole spans: this loop sees
	 * every byte of a multi-gigabyte import, so it avoids a call per byte.
	 * State (depth, in_str, esc) carries over buffer refills.
	 */
	for (;;) {
		const char *b, *p, *e;
		int done = 0;
		if (r->pos == r->len) {
			r->len = fread(r->buf, 1, READ_CHUNK, r->fp);
			r->pos = 0;
			if (!r->len)
				return fail(r, in_str ? "unexpected end of file inside a string"
						: "unexpected end of file inside an array item");
		}
		b = p = r->buf + r->pos;
		e = r->buf + r->len;
		while (p < e) {
			unsigned char ch = (unsigned char)*p;
			if (in_str) {
				if (esc)
					esc = 0;
				else if (ch == '\\')
					esc = 1;
				else if (ch == '"' && (in_str = 0, depth == 0)) {
					p++;
					done = 1;
					break;
				}
				p++;
				continue;
			}
			if (ch == '"') {
				in_str = 1;
			} else if (ch == '{' || ch == '[') {
				depth++;
			} else if (ch == '}' || ch == ']') {
				if (depth == 0) {
					/* the ']' closing the array after a bare number or word */
					done = 1;
					break;
				}
				if (--depth == 0) {
					p++;
					done = 1;
					break;
				}
			} else if (depth == 0 && (ch == ',' || is_space(ch))) {
				done = 1;
				break;
			}
			p++;
		}
		size_t n = (size_t)(p - b);
		if (r->item.len + n > JSON_ITEM_MAX)
			return fail(r, "array item larger than the 256 MB limit");
		strbuf_add(&r->item, b, n);
		for (const char *q = b; (q = memchr(q, '\n', (size_t)(p - q))); q++)
			r->cur_line++;
		r->bytes += n;
		r->pos += n;
		if (done)
			break;
	}
	if (!r->item.len)
		return fail(r, "unbalanced brackets in array item");
	r->index++;
	return 1;
end:
	c = skip_space(r);
	if (c >= 0)
		return fail(r, "unexpected data after the closing ']'");
	r->finished = 1;
	return 0;
}

int json_reader_next(struct json_reader *r)
{
	if (r->finished)
		return 0;
	if (!r->begun && check_start(r))
		return -1;
	if (r->layout == JSON_LAYOUT_AUTO) {
		int c = skip_space(r);
		if (c < 0) {
			r->finished = 1;
			return 0;
		}
		ungetb(r, c);
		r->layout = c == '[' ? JSON_LAYOUT_ARRAY : JSON_LAYOUT_LINES;
		if (r->layout == JSON_LAYOUT_ARRAY) {
			/* restart the array scanner at the '[' */
			r->started = 0;
		}
	}
	return r->layout == JSON_LAYOUT_ARRAY ? next_element(r) : next_line(r);
}

/* Nonzero if any byte of w is < 0x20, '"' or '\\' (eight bytes at a time). */
static inline uint64_t needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	return ((w - ones * 0x20) | (quote - ones) | (backslash - ones)) & ~w & high;
}

void json_write_string(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0, i = 0;
	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	while (i < len) {
		uint64_t w;
		while (i + 8 <= len && (memcpy(&w, s + i, 8), !needs_escape(w)))
			i += 8;
		if (i == len)
			break;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		strbuf_add(sb, s + start, i - start);
		start = ++i;
		switch (c) {
		case '"': strbuf_add(sb, "\\\"", 2); break;
		case '\\': strbuf_add(sb, "\\\\", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		case '\t': strbuf_add(sb, "\\t", 2); break;
		case '\b': strbuf_add(sb, "\\b", 2); break;
		case '\f': strbuf_add(sb, "\\f", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			strbuf_add(sb, u, 6);
		}
		}
	}
	strbuf_add(sb, s + start, len - start);
	strbuf_addch(sb, '"');
}

const char *json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "an unknown value";
}

json_t *json_parse(const char *text, size_t len, char *err, size_t errsize)
{
	json_error_t je;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &je);
	if (!v && err)
		snprintf(err, errsize, "line %d column %d: %s", je.line, je.column, je.text);
	return v;
}
