/*
 * http.h - the one HTTP helper for simple transfers (downloading a dataset
 * file). Every transfer has explicit limits: connect timeout, overall
 * timeout, low-speed abort and a maximum size. The crawler's multi-handle
 * scheduler lives in crawl/ and shares these defaults.
 */
#ifndef WINNOW_HTTP_H
#define WINNOW_HTTP_H

#include <stdint.h>

#include "strbuf.h"

struct http_limits {
	long connect_timeout;	/* seconds */
	long total_timeout;	/* seconds, 0 = none */
	long low_speed_limit;	/* bytes/s ... */
	long low_speed_time;	/* ... for this many seconds aborts */
	int64_t max_bytes;	/* largest body accepted */
};

/* Defaults for dataset downloads: 10 s connect, 1 h total, 20 GB max. */
extern const struct http_limits http_download_limits;

enum http_result {
	HTTP_OK = 0,
	HTTP_FAILED = -1,	/* will not work on retry: 404, bad URL, too big */
	HTTP_TEMPORARY = -2	/* may work later: timeout, 5xx, 429, connection refused */
};

/*
 * Downloads url into the file at path (created or truncated), showing a
 * progress bar titled `title`. Fills content_type if non-NULL. Returns
 * HTTP_OK, or prints an error and returns HTTP_FAILED / HTTP_TEMPORARY; on
 * error the partial file is removed.
 */
enum http_result http_download(const char *url, const char *path,
			       const struct http_limits *limits,
			       struct strbuf *content_type, const char *title);

/*
 * The wait a Retry-After header value asks for, in seconds (0 to 86400):
 * delay-seconds or an HTTP date (RFC 9110 10.2.3), surrounding blanks
 * allowed. Returns -1 when the value is neither.
 */
double http_retry_after(const char *value);

/* 1 if s looks like an http:// or https:// URL. */
int is_http_url(const char *s);

#endif
