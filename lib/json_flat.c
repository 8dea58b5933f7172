/*
 * json_flat.c - a fast parser for flat JSON objects (string, null or []
 * values). Importing a million Alpaca records spends most of its time
 * turning JSON into strings; building a jansson tree for each record costs
 * more than the rest of the import, so the common shape gets this direct
 * path and everything else falls back to jansson (see json.h).
 */
#include "json.h"

#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(const char *p, const char *end)
{
	int v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
	}
	strbuf_add(sb, b, n);
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return end - p >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
			return 0;	/* overlong or surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

/* Parses the string starting after its opening quote into the arena. */
static const char *parse_string(const char *p, const char *end, struct strbuf *arena)
{
	const char *run = p;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			strbuf_add(arena, run, (size_t)(p - run));
			strbuf_addch(arena, '\0');
			return p + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c < 0x80 && c != '\\') {
			p++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
			if (!n)
				return NULL;
			p += n;
			continue;
		}
		/* escape */
		strbuf_add(arena, run, (size_t)(p - run));
		if (end - p < 2)
			return NULL;
		switch (p[1]) {
		case '"': strbuf_addch(arena, '"'); break;
		case '\\': strbuf_addch(arena, '\\'); break;
		case '/': strbuf_addch(arena, '/'); break;
		case 'b': strbuf_addch(arena, '\b'); break;
		case 'f': strbuf_addch(arena, '\f'); break;
		case 'n': strbuf_addch(arena, '\n'); break;
		case 'r': strbuf_addch(arena, '\r'); break;
		case 't': strbuf_addch(arena, '\t'); break;
		case 'u': {
			int cp = read_hex4(p + 2, end);
			if (cp <= 0)
				return NULL;	/* bad hex, or \u0000 which C strings cannot hold */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				int lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? read_hex4(p + 8, end) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return NULL;
				put_utf8(arena, 0x10000 + (((unsigned)cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00));
				p += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return NULL;
			} else {
				put_utf8(arena, (unsigned)cp);
			}
			p += 4;
			break;
		}
		default:
			return NULL;
		}
		p += 2;
		run = p;
	}
	return NULL;
}

int flat_object_parse(struct flat_object *obj, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t key_off[FLAT_MAX_MEMBERS], val_off[FLAT_MAX_MEMBERS];

	obj->n = 0;
	strbuf_reset(&obj->arena);
	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return 0;
	p = skip_ws(p, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		struct flat_member *m;
		if (obj->n == FLAT_MAX_MEMBERS || p == end || *p != '"')
			return 0;
		m = &obj->members[obj->n];
		key_off[obj->n] = obj->arena.len;
		p = parse_string(p + 1, end, &obj->arena);
		if (!p)
			return 0;
		m->key_len = obj->arena.len - key_off[obj->n] - 1;
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return 0;
		p = skip_ws(p, end);
		if (p == end)
			return 0;
		val_off[obj->n] = obj->arena.len;
		if (*p == '"') {
			p = parse_string(p + 1, end, &obj->arena);
			if (!p)
				return 0;
			m->kind = FLAT_STRING;
			m->value_len = obj->arena.len - val_off[obj->n] - 1;
		} else if (end - p >= 4 && !memcmp(p, "null", 4)) {
			p += 4;
			m->kind = FLAT_NULL;
			m->value_len = 0;
			strbuf_addch(&obj->arena, '\0');
		} else if (*p == '[') {
			p = skip_ws(p + 1, end);
			if (p == end || *p++ != ']')
				return 0;
			m->kind = FLAT_EMPTY_ARRAY;
			m->value_len = 0;
			strbuf_addch(&obj->arena, '\0');
		} else {
			return 0;
		}
		obj->n++;
		p = skip_ws(p, end);
		if (p == end)
			return 0;
		if (*p == '}') {
			p++;
			break;
		}
		if (*p++ != ',')
			return 0;
		p = skip_ws(p, end);
	}
done:
	if (skip_ws(p, end) != end)
		return 0;
	for (size_t i = 0; i < obj->n; i++) {
		obj->members[i].key = obj->arena.buf + key_off[i];
		obj->members[i].value = obj->arena.buf + val_off[i];
	}
	return 1;
}

const struct flat_member *flat_object_get(const struct flat_object *obj, const char *key)
{
	for (size_t i = obj->n; i-- > 0;)
		if (!strcmp(obj->members[i].key, key))
			return &obj->members[i];
	return NULL;
}
