/*
 * url.c - resolving links (RFC 3986 section 5) and the canonical form the
 * frontier keys pages by, so one page is never fetched twice in a run
 * under two spellings: lower-case scheme and host, no default port, no
 * fragment, dot segments resolved, unsafe bytes percent-encoded, escapes
 * in upper case. "www." in front of a host is dropped from page keys and
 * site names (it is almost always the same site), but kept in the URL that
 * is actually fetched.
 */
#include "crawl.h"
#include "../lib/util.h"

#include <string.h>
#include <strings.h>

struct url_parts {
	const char *scheme, *auth, *path, *query;	/* not NUL-terminated */
	size_t scheme_len, auth_len, path_len, query_len;
	int has_auth, has_query;
};

/* Splits u (no fragment) into its parts. Returns 0, or -1 if it has no scheme. */
static void split(const char *u, size_t len, struct url_parts *p, int want_scheme)
{
	const char *end = u + len, *s = u;
	memset(p, 0, sizeof(*p));
	if (want_scheme) {
		const char *c = s;
		while (c < end && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				   (c > s && ((*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.'))))
			c++;
		if (c > s && c < end && *c == ':') {
			p->scheme = s;
			p->scheme_len = (size_t)(c - s);
			s = c + 1;
		}
	}
	if (end - s >= 2 && s[0] == '/' && s[1] == '/') {
		s += 2;
		const char *a = s;
		while (s < end && *s != '/' && *s != '?')
			s++;
		p->auth = a;
		p->auth_len = (size_t)(s - a);
		p->has_auth = 1;
	}
	p->path = s;
	while (s < end && *s != '?')
		s++;
	p->path_len = (size_t)(s - p->path);
	if (s < end) {
		p->has_query = 1;
		p->query = s + 1;
		p->query_len = (size_t)(end - s - 1);
	}
}

/* RFC 3986 5.2.4: removes "." and ".." segments from path into out. */
static void remove_dot_segments(const char *path, size_t len, struct strbuf *out)
{
	size_t start = out->len;
	const char *s = path, *end = path + len;
	while (s < end) {
		const char *seg_end = s + 1;
		while (seg_end < end && *seg_end != '/')
			seg_end++;
		/* s points at '/' (or the first segment of a relative path) */
		const char *seg = *s == '/' ? s + 1 : s;
		size_t seg_len = (size_t)(seg_end - seg);
		int last = seg_end >= end;
		if (seg_len == 1 && seg[0] == '.') {
			if (last)
				strbuf_addch(out, '/');
		} else if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out->len > start && out->buf[out->len - 1] != '/')
				out->len--;
			if (out->len > start)
				out->len--;
			if (last)
				strbuf_addch(out, '/');
		} else {
			strbuf_addch(out, '/');
			strbuf_add(out, seg, seg_len);
		}
		out->buf[out->len] = '\0';
		s = seg_end;
	}
	if (out->len == start)
		strbuf_addch(out, '/');
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* Appends s with unsafe bytes escaped and existing escapes in upper case. */
static void add_escaped(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[hexval(s[i + 1])]);
			strbuf_addch(out, hex[hexval(s[i + 2])]);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '`' ||
			   c == '{' || c == '}' || c == '|' || c == '^' || c == '%') {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		} else {
			strbuf_addch(out, (char)c);
		}
	}
}

/* Writes the canonical authority (host lower-case, default port dropped). */
static int add_authority(struct strbuf *out, const char *a, size_t len, int https)
{
	const char *at = NULL;
	for (size_t i = 0; i < len; i++)
		if (a[i] == '@')
			at = a + i;
	if (at) {
		strbuf_add(out, a, (size_t)(at - a) + 1);
		len -= (size_t)(at - a) + 1;
		a = at + 1;
	}
	const char *colon = NULL;
	if (len && a[0] == '[') {
		const char *rb = memchr(a, ']', len);
		if (!rb)
			return -1;
		if ((size_t)(rb - a) + 1 < len && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(a, ':', len);
	}
	size_t host_len = colon ? (size_t)(colon - a) : len;
	while (host_len && a[host_len - 1] == '.')
		host_len--;
	if (!host_len)
		return -1;
	for (size_t i = 0; i < host_len; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c == '/' || c == '\\' || c == '?' || c == '#' || c == '%')
			return -1;
		strbuf_addch(out, (char)((c >= 'A' && c <= 'Z') ? c + 32 : c));
	}
	if (colon) {
		const char *port = colon + 1;
		size_t port_len = len - (size_t)(port - a);
		long p;
		char buf[8];
		if (!port_len)
			return 0;
		if (port_len >= sizeof(buf))
			return -1;
		memcpy(buf, port, port_len);
		buf[port_len] = '\0';
		if (parse_long(buf, 0, 65535, &p))
			return -1;
		if (p != (https ? 443 : 80))
			strbuf_addf(out, ":%ld", p);
	}
	return 0;
}

int url_resolve(const char *base, const char *href, struct strbuf *out)
{
	struct strbuf clean = STRBUF_INIT, path = STRBUF_INIT;
	struct url_parts b, h;
	int rc = -1;
	size_t start = out->len;

	/* strip surrounding space, drop tabs and newlines, \ means / */
	while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r' || *href == '\f')
		href++;
	for (const char *p = href; *p && *p != '#'; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			continue;
		strbuf_addch(&clean, *p == '\\' ? '/' : *p);
	}
	while (clean.len && clean.buf[clean.len - 1] == ' ')
		clean.buf[--clean.len] = '\0';
	split(clean.buf, clean.len, &h, 1);
	if (!h.scheme) {
		if (!base)
			goto done;
		split(base, strcspn(base, "#"), &b, 1);
		if (!b.scheme || !b.has_auth)
			goto done;
		h.scheme = b.scheme;
		h.scheme_len = b.scheme_len;
		if (!h.has_auth) {
			h.has_auth = 1;
			h.auth = b.auth;
			h.auth_len = b.auth_len;
			if (!h.path_len) {
				h.path = b.path;
				h.path_len = b.path_len;
				if (!h.has_query) {
					h.has_query = b.has_query;
					h.query = b.query;
					h.query_len = b.query_len;
				}
			} else if (h.path[0] != '/') {
				/* merge: base path up to its last '/' + href path */
				size_t keep = b.path_len;
				while (keep && b.path[keep - 1] != '/')
					keep--;
				strbuf_addch(&path, '/');
				if (keep)
					strbuf_add(&path, b.path + 1, keep - 1);
				strbuf_add(&path, h.path, h.path_len);
				h.path = path.buf;
				h.path_len = path.len;
			}
		}
	}
	int https;
	if (h.scheme_len == 4 && !strncasecmp(h.scheme, "http", 4))
		https = 0;
	else if (h.scheme_len == 5 && !strncasecmp(h.scheme, "https", 5))
		https = 1;
	else
		goto done;
	if (!h.has_auth || !h.auth_len)
		goto done;
	strbuf_addstr(out, https ? "https://" : "http://");
	if (add_authority(out, h.auth, h.auth_len, https))
		goto done;
	struct strbuf dotless = STRBUF_INIT;
	remove_dot_segments(h.path, h.path_len, &dotless);
	add_escaped(out, dotless.buf, dotless.len);
	strbuf_release(&dotless);
	if (h.has_query) {
		strbuf_addch(out, '?');
		add_escaped(out, h.query, h.query_len);
	}
	rc = 0;
done:
	if (rc) {
		out->len = start;
		out->buf[start] = '\0';
	}
	strbuf_release(&clean);
	strbuf_release(&path);
	return rc;
}

/* Start and length of the host[:port] of a canonical URL. */
static const char *authority_of(const char *url, size_t *len)
{
	const char *a = strstr(url, "://");
	a = a ? a + 3 : url;
	const char *at = a, *e = a;
	while (*e && *e != '/' && *e != '?')
		e++;
	for (const char *p = a; p < e; p++)
		if (*p == '@')
			at = p + 1;
	if (e - at > 4 && !strncmp(at, "www.", 4))
		at += 4;
	*len = (size_t)(e - at);
	return at;
}

void url_site(const char *url, struct strbuf *out)
{
	size_t len;
	const char *a = authority_of(url, &len);
	strbuf_add(out, a, len);
}

void url_page_key(const char *url, struct strbuf *out)
{
	size_t len;
	const char *scheme_end = strstr(url, "://");
	const char *a = authority_of(url, &len);
	if (scheme_end)
		strbuf_add(out, url, (size_t)(scheme_end - url) + 3);
	strbuf_add(out, a, len);
	strbuf_addstr(out, a + len);
}

const char *url_path(const char *url)
{
	const char *a = strstr(url, "://");
	a = a ? a + 3 : url;
	while (*a && *a != '/' && *a != '?')
		a++;
	return *a ? a : "/";
}
