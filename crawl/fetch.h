/*
 * fetch.h - the libcurl side of the crawler, shared by fetch_one.c and the
 * multi-handle scheduler in fetch.c.
 */
#ifndef WINNOW_CRAWL_FETCH_H
#define WINNOW_CRAWL_FETCH_H

#include <curl/curl.h>

#include "../lib/strbuf.h"

/* Where a transfer's body goes; too_big is set when it passed limit. */
struct body_sink {
	struct strbuf *body;
	size_t limit;
	int too_big;
};

/* Sets url, agent, limits (10 s connect, total_timeout, low-speed abort,
 * 10 MB decoded), redirects (10), every content encoding, and the sink. */
void fetch_configure(CURL *h, const char *url, const char *user_agent, struct body_sink *sink,
		     long total_timeout);

/* 1 if a response of this Content-Type is crawled: HTML/XHTML (*is_html),
 * plain text, XML (*is_xml); gzip too for sitemaps. */
int content_type_ok(const char *ct, int is_sitemap, int *is_html, int *is_xml);
/* Seconds before a retry: Retry-After (seconds or HTTP date), else 2^tries. */
double retry_delay(const struct strbuf *retry_after, long tries);
/* Short failure reason for the runs summary and pages.last_error. */
const char *curl_reason(CURLcode res, int too_big);

#endif
