/*
 * http_parse.h - one HTTP/1.x request out of the bytes received so far: a
 * pure function over a buffer (no I/O, no allocation), so it can be fuzzed
 * and so a slow or hostile client can only make the server wait or refuse.
 *
 * Only what an API server needs is kept: method, path, Content-Length,
 * Authorization, keep-alive and Expect: 100-continue. A body must come with
 * Content-Length (no chunked uploads: 411).
 */
#ifndef WINNOW_HTTP_PARSE_H
#define WINNOW_HTTP_PARSE_H

#include <stddef.h>

enum http_parse_status {
	HTTP_PARSE_MORE = 0,		/* a complete request is not there yet */
	HTTP_PARSE_DONE = 1,		/* req is filled; consumed bytes make the request */
	HTTP_PARSE_BAD = 400,		/* malformed request line or header */
	HTTP_PARSE_LENGTH_REQUIRED = 411,	/* a body without Content-Length */
	HTTP_PARSE_TOO_LARGE = 413,	/* Content-Length over the body limit */
	HTTP_PARSE_HEADERS_TOO_LARGE = 431,	/* no end of headers within the header limit */
	HTTP_PARSE_VERSION = 505	/* not HTTP/1.0 or HTTP/1.1 */
};

struct http_request {
	char method[16];
	char path[512];			/* without the query string */
	char authorization[512];	/* the header's value, "" when absent */
	size_t header_len;		/* bytes up to and including the blank line */
	size_t content_length;
	size_t consumed;		/* header_len + content_length once DONE */
	const char *body;		/* points into the buffer once DONE */
	int keep_alive;			/* HTTP/1.1 without "Connection: close", or 1.0 with keep-alive */
	int expect_continue;		/* "Expect: 100-continue" (valid once headers are complete) */
};

/*
 * Parses buf[0 .. len). Returns HTTP_PARSE_MORE while the headers or body
 * are incomplete (with req->header_len set once the headers are complete,
 * so a caller can answer Expect: 100-continue), HTTP_PARSE_DONE with req
 * filled, or an HTTP status to answer before closing the connection.
 */
enum http_parse_status http_parse_request(const char *buf, size_t len, size_t max_header,
					  size_t max_body, struct http_request *req);

#endif
