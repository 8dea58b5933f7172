/*
 * http.c - limited, progress-reporting downloads with libcurl easy handles.
 */
#define _POSIX_C_SOURCE 200809L
#include "http.h"
#include "progress.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const struct http_limits http_download_limits = {
	.connect_timeout = 10,
	.total_timeout = 3600,
	.low_speed_limit = 1024,
	.low_speed_time = 60,
	.max_bytes = (int64_t)20 << 30,
};

/*
 * A body decoded from gzip/deflate/br may grow this many times its size on
 * the wire, past the first BOMB_FLOOR bytes: text compresses 3-15 times, a
 * decompression bomb (a gigabyte of one byte) a thousand.
 */
#define BOMB_RATIO 100
#define BOMB_FLOOR ((int64_t)64 << 20)

struct download {
	FILE *fp;
	CURL *curl;
	int64_t received, max_bytes;
	int too_big, bomb;
	struct progress progress;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct download *d = userdata;
	size_t n = size * nmemb;
	curl_off_t wire = 0;
	if (d->received + (int64_t)n > d->max_bytes) {
		d->too_big = 1;
		return 0;
	}
	if (d->received + (int64_t)n > BOMB_FLOOR &&
	    curl_easy_getinfo(d->curl, CURLINFO_SIZE_DOWNLOAD_T, &wire) == CURLE_OK &&
	    d->received + (int64_t)n > (int64_t)wire * BOMB_RATIO) {
		d->bomb = 1;
		return 0;
	}
	if (fwrite(ptr, 1, n, d->fp) != n)
		return 0;
	d->received += (int64_t)n;
	progress_update(&d->progress, (uint64_t)d->received);
	return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct download *d = userdata;
	(void)dlnow, (void)ultotal, (void)ulnow;
	if (dltotal > 0)
		d->progress.total = (uint64_t)dltotal;
	return 0;
}

int is_http_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

enum http_result http_download(const char *url, const char *path,
			       const struct http_limits *limits,
			       struct strbuf *content_type, const char *title)
{
	static int initialised;
	struct download d = { 0 };
	enum http_result rc = HTTP_FAILED;
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURL *curl;
	CURLcode res;

	if (!initialised) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		initialised = 1;
	}
	d.fp = fopen(path, "wb");
	if (!d.fp)
		return error("cannot write '%s': %s", path, strerror(errno)), HTTP_FAILED;
	d.max_bytes = limits->max_bytes;
	progress_start(&d.progress, title, 0, "bytes");

	curl = d.curl = curl_easy_init();
	if (!curl)
		die("cannot initialise libcurl");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, limits->connect_timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, limits->total_timeout);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, limits->low_speed_limit);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, limits->low_speed_time);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limits->max_bytes);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "winnow/0.1 (+dataset import)");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L);

	res = curl_easy_perform(curl);
	progress_finish(&d.progress);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (d.bomb) {
		error("'%s' decompresses to more than %d times its size (past %lld MB): refused as a "
		      "decompression bomb; download it yourself if it is really that repetitive", url,
		      BOMB_RATIO, (long long)(BOMB_FLOOR >> 20));
	} else if (d.too_big || res == CURLE_FILESIZE_EXCEEDED) {
		error("'%s' is larger than the %lld MB limit", url,
		      (long long)(limits->max_bytes >> 20));
	} else if (res == CURLE_OPERATION_TIMEDOUT || res == CURLE_COULDNT_CONNECT ||
		   res == CURLE_COULDNT_RESOLVE_HOST || res == CURLE_RECV_ERROR ||
		   res == CURLE_SEND_ERROR || res == CURLE_GOT_NOTHING ||
		   res == CURLE_PARTIAL_FILE) {
		error("cannot download '%s': %s; try again later", url,
		      *errbuf ? errbuf : curl_easy_strerror(res));
		rc = HTTP_TEMPORARY;
	} else if (res != CURLE_OK) {
		error("cannot download '%s': %s", url, *errbuf ? errbuf : curl_easy_strerror(res));
	} else if (status >= 400) {
		error("cannot download '%s': the server answered HTTP %ld", url, status);
		if (status == 429 || status >= 500)
			rc = HTTP_TEMPORARY;
	} else {
		rc = HTTP_OK;
		if (content_type) {
			char *ct = NULL;
			curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
			strbuf_reset(content_type);
			if (ct)
				strbuf_addstr(content_type, ct);
		}
	}
	curl_easy_cleanup(curl);
	if (fclose(d.fp) && rc == HTTP_OK) {
		error("cannot write '%s': %s", path, strerror(errno));
		rc = HTTP_FAILED;
	}
	if (rc != HTTP_OK)
		unlink(path);
	return rc;
}

double http_retry_after(const char *value)
{
	struct strbuf v = STRBUF_INIT;
	double secs = -1;
	long n;
	strbuf_addstr(&v, value);
	strbuf_trim(&v);
	if (v.len && !parse_long(v.buf, 0, 86400, &n)) {
		secs = (double)n;
	} else if (v.len) {
		time_t when = curl_getdate(v.buf, NULL), now = time(NULL);
		if (when > 0)
			secs = when <= now ? 0 : when - now > 86400 ? 86400 : (double)(when - now);
	}
	strbuf_release(&v);
	return secs;
}
