/*
 * fetch_one.c - the settings given to every crawler transfer (explicit limits:
 * libcurl's defaults are unlimited) and a one-page fetch for `extract URL`.
 * The body is counted after content decoding, so a gzip bomb hits the
 * 10 MB ceiling and is cut off there instead of being expanded. Also the
 * small judgements about a response: content type, failure reason, retry delay.
 */
#include "crawl_internal.h"
#include "fetch.h"
#include "../lib/http.h"
#include "../lib/util.h"

#include <string.h>
#include <strings.h>
#include <time.h>

void fetched_page_init(struct fetched_page *p)
{
	p->status = 0;
	strbuf_init(&p->body, 0);
	strbuf_init(&p->content_type, 0);
	strbuf_init(&p->final_url, 0);
	strbuf_init(&p->error, 0);
}

void fetched_page_release(struct fetched_page *p)
{
	strbuf_release(&p->body);
	strbuf_release(&p->content_type);
	strbuf_release(&p->final_url);
	strbuf_release(&p->error);
}

static size_t write_body(char *data, size_t size, size_t n, void *ctx)
{
	struct body_sink *sink = ctx;
	size_t len = size * n;
	if (sink->body->len + len > sink->limit) {
		sink->too_big = 1;
		return 0;	/* aborts the transfer with CURLE_WRITE_ERROR */
	}
	strbuf_add(sink->body, data, len);
	return len;
}

void fetch_configure(CURL *h, const char *url, const char *user_agent, struct body_sink *sink,
		     long total_timeout)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, total_timeout > 0 ? total_timeout : 60L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 20L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CRAWL_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
}

int fetch_one(const char *url, const char *user_agent, struct fetched_page *p)
{
	CURL *h = curl_easy_init();
	struct body_sink sink = { &p->body, CRAWL_MAX_BODY, 0 };
	char *ct = NULL, *eff = NULL;
	if (!h) {
		strbuf_addstr(&p->error, "cannot start libcurl");
		return -1;
	}
	fetch_configure(h, url, user_agent, &sink, 60);
	CURLcode res = curl_easy_perform(h);
	if (res != CURLE_OK) {
		strbuf_addstr(&p->error, sink.too_big ? "body larger than 10 MB" : curl_easy_strerror(res));
		curl_easy_cleanup(h);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &p->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
	if (ct)
		strbuf_addstr(&p->content_type, ct);
	strbuf_addstr(&p->final_url, eff ? eff : url);
	curl_easy_cleanup(h);
	return 0;
}

int content_type_ok(const char *ct, int is_sitemap, int *is_html, int *is_xml)
{
	*is_html = *is_xml = 0;
	if (!ct || !*ct || !strncasecmp(ct, "text/html", 9) || !strncasecmp(ct, "application/xhtml", 17)) {
		*is_html = 1;
		return 1;
	}
	if (!strncasecmp(ct, "text/plain", 10))
		return 1;
	if (!strncasecmp(ct, "application/xml", 15) || !strncasecmp(ct, "text/xml", 8) ||
	    (is_sitemap && (strstr(ct, "gzip") || strstr(ct, "octet-stream")))) {
		*is_xml = 1;
		return 1;
	}
	return 0;
}

/* Seconds to wait before retrying, from Retry-After (seconds or an HTTP date) or backoff. */
double retry_delay(const struct strbuf *retry_after, long tries)
{
	double backoff = (double)(1L << (tries < 10 ? tries : 10));
	double wait = retry_after->len ? http_retry_after(retry_after->buf) : -1;
	return wait >= 0 ? wait : backoff;
}

const char *curl_reason(CURLcode res, int too_big)
{
	if (too_big || res == CURLE_FILESIZE_EXCEEDED)
		return "too-large";
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_PARTIAL_FILE: return "truncated";
	case CURLE_COULDNT_CONNECT: return "connect";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns";
	case CURLE_TOO_MANY_REDIRECTS: return "redirects";
	case CURLE_BAD_CONTENT_ENCODING: return "bad-encoding";
	case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: return "connection";
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: return "tls";
	default: return "network";
	}
}

