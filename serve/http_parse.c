/*
 * http_parse.c - the HTTP/1.x request parser (see http_parse.h). It only
 * reads inside buf[0 .. len) and writes only into req, whatever the bytes.
 */
#include "http_parse.h"

#include <string.h>
#include <strings.h>

/* Offset just past "\r\n\r\n" (or "\n\n") within buf[0 .. len), or 0. */
static size_t header_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int is_token_char(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Copies s[0 .. n) into a field of size cap; returns -1 when it does not fit. */
static int copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* "GET /path?q HTTP/1.1": returns 0, or the status to answer. */
static int parse_request_line(const char *s, size_t n, struct http_request *req, int *minor)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *q, *end = s + n;
	if (!sp1 || sp1 == s || copy_field(req->method, sizeof(req->method), s, (size_t)(sp1 - s)))
		return HTTP_PARSE_BAD;
	for (const char *p = s; p < sp1; p++)
		if (!is_token_char((unsigned char)*p))
			return HTTP_PARSE_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		return HTTP_PARSE_BAD;
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return HTTP_PARSE_BAD;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	if (copy_field(req->path, sizeof(req->path), sp1 + 1, (size_t)((q ? q : sp2) - sp1 - 1)))
		return HTTP_PARSE_BAD;
	if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return end - sp2 - 1 >= 5 && !memcmp(sp2 + 1, "HTTP/", 5) ? HTTP_PARSE_VERSION : HTTP_PARSE_BAD;
	if (sp2[8] != '0' && sp2[8] != '1')
		return HTTP_PARSE_VERSION;
	*minor = sp2[8] - '0';
	return 0;
}

/* Content-Length: digits only, no overflow; -1 when not a number. */
static long long parse_length(const char *v, size_t n)
{
	long long x = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (1LL << 50))
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static int value_has(const char *v, size_t n, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp(v + i, word, wl))
			return 1;
	return 0;
}

/* One "Name: value" line; returns 0 or the status to answer. */
static int parse_header(const char *s, size_t n, struct http_request *req, long long *length, int *chunked)
{
	const char *colon = memchr(s, ':', n), *v, *end = s + n;
	size_t name_len, vn;
	if (!colon || colon == s)
		return HTTP_PARSE_BAD;
	name_len = (size_t)(colon - s);
	for (size_t i = 0; i < name_len; i++)
		if (!is_token_char((unsigned char)s[i]))
			return HTTP_PARSE_BAD;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vn = (size_t)(end - v);
	for (size_t i = 0; i < vn; i++)
		if ((unsigned char)v[i] < 32 && v[i] != '\t')
			return HTTP_PARSE_BAD;
#define IS(name) (name_len == sizeof(name) - 1 && !strncasecmp(s, name, name_len))
	if (IS("Content-Length")) {
		long long x = parse_length(v, vn);
		if (x < 0 || (*length >= 0 && *length != x))
			return HTTP_PARSE_BAD;
		*length = x;
	} else if (IS("Transfer-Encoding")) {
		*chunked = 1;
	} else if (IS("Authorization")) {
		if (copy_field(req->authorization, sizeof(req->authorization), v, vn))
			return HTTP_PARSE_BAD;
	} else if (IS("Connection")) {
		if (value_has(v, vn, "close"))
			req->keep_alive = 0;
		else if (value_has(v, vn, "keep-alive"))
			req->keep_alive = 1;
	} else if (IS("Expect")) {
		if (value_has(v, vn, "100-continue"))
			req->expect_continue = 1;
	}
#undef IS
	return 0;
}

enum http_parse_status http_parse_request(const char *buf, size_t len, size_t max_header,
					  size_t max_body, struct http_request *req)
{
	size_t hend, pos, line_end;
	long long length = -1;
	int minor = 1, chunked = 0, rc;

	memset(req, 0, sizeof(*req));
	if (len && (buf[0] == '\r' || buf[0] == '\n'))	/* stray CRLF between requests */
		return HTTP_PARSE_BAD;
	hend = header_end(buf, len < max_header ? len : max_header);
	if (!hend)
		return len >= max_header ? HTTP_PARSE_HEADERS_TOO_LARGE : HTTP_PARSE_MORE;
	for (pos = 0, line_end = 0; pos < hend; pos = line_end + 1) {
		const char *nl = memchr(buf + pos, '\n', hend - pos);
		size_t n;
		line_end = (size_t)(nl - buf);
		n = line_end - pos;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		if (!n)
			break;
		if (memchr(buf + pos, 0, n))
			return HTTP_PARSE_BAD;
		if (pos == 0) {
			if ((rc = parse_request_line(buf, n, req, &minor)))
				return (enum http_parse_status)rc;
			req->keep_alive = minor == 1;
		} else if (buf[pos] == ' ' || buf[pos] == '\t') {
			return HTTP_PARSE_BAD;	/* obsolete line folding */
		} else if ((rc = parse_header(buf + pos, n, req, &length, &chunked))) {
			return (enum http_parse_status)rc;
		}
	}
	if (chunked)
		return HTTP_PARSE_LENGTH_REQUIRED;
	if (length < 0)
		length = 0;
	if ((unsigned long long)length > max_body)
		return HTTP_PARSE_TOO_LARGE;
	req->header_len = hend;
	req->content_length = (size_t)length;
	if (len - hend < (size_t)length)
		return HTTP_PARSE_MORE;
	req->body = buf + hend;
	req->consumed = hend + (size_t)length;
	return HTTP_PARSE_DONE;
}
