/*
 * test_serve_http.c - the request parser of `winnow serve`: fields of
 * well-formed requests, every prefix of one asking for more, each refusal
 * with its status, and a fuzz loop of mutated requests in exactly-sized
 * heap buffers (so ASan in `make check` catches any read past the end).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../serve/http_parse.h"

#define HDR 4096
#define BODY 1024

static enum http_parse_status parse(const char *text, size_t len, struct http_request *req)
{
	char *copy = malloc(len ? len : 1);	/* exactly len bytes: no NUL to lean on */
	enum http_parse_status st;
	memcpy(copy, text, len);
	st = http_parse_request(copy, len, HDR, BODY, req);
	if (st == HTTP_PARSE_DONE) {
		assert_true(req->consumed <= len);
		assert_true(req->body == copy + req->header_len);
		req->body = text + req->header_len;
	}
	free(copy);
	return st;
}

static const char post[] =
	"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	"authorization:  Bearer sk-1 \r\nContent-Length: 11\r\n\r\n{\"a\": true}";

static void test_fields(void **state)
{
	struct http_request req;
	(void)state;
	assert_int_equal(parse(post, strlen(post), &req), HTTP_PARSE_DONE);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.path, "/v1/chat/completions");
	assert_string_equal(req.authorization, "Bearer sk-1");
	assert_int_equal(req.content_length, 11);
	assert_memory_equal(req.body, "{\"a\": true}", 11);
	assert_int_equal(req.consumed, strlen(post));
	assert_int_equal(req.keep_alive, 1);

	assert_int_equal(parse("GET /v1/models HTTP/1.0\n\n", 26, &req), HTTP_PARSE_DONE);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(req.content_length, 0);
	const char *ka = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	assert_int_equal(parse(ka, strlen(ka), &req), HTTP_PARSE_DONE);
	assert_int_equal(req.keep_alive, 1);
	const char *cl = "GET / HTTP/1.1\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n";
	assert_int_equal(parse(cl, strlen(cl), &req), HTTP_PARSE_DONE);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(req.expect_continue, 1);
}

static void test_prefixes_ask_for_more(void **state)
{
	struct http_request req;
	char two[512];
	size_t n = strlen(post);
	(void)state;
	for (size_t len = 0; len < n; len++)
		if (parse(post, len, &req) != HTTP_PARSE_MORE)
			fail_msg("a prefix of %zu bytes was not asked to continue", len);
	snprintf(two, sizeof(two), "%s%s", post, post);
	assert_int_equal(parse(two, strlen(two), &req), HTTP_PARSE_DONE);
	assert_int_equal(req.consumed, n);	/* pipelined: the first request only */
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text;
		enum http_parse_status st;
	} cases[] = {
		{ "GET\r\n\r\n", HTTP_PARSE_BAD },
		{ "GET /\r\n\r\n", HTTP_PARSE_BAD },
		{ "GET x HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD },
		{ "G(T / HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD },
		{ "GET / HTTP/2.0\r\n\r\n", HTTP_PARSE_VERSION },
		{ "GET / HTTP/1.7\r\n\r\n", HTTP_PARSE_VERSION },
		{ "GET / FTP/1.1\r\n\r\n", HTTP_PARSE_BAD },
		{ "\r\nGET / HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD },
		{ "GET / HTTP/1.1\r\nNo colon\r\n\r\n", HTTP_PARSE_BAD },
		{ "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", HTTP_PARSE_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP_PARSE_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", HTTP_PARSE_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", HTTP_PARSE_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", HTTP_PARSE_BAD },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_PARSE_LENGTH_REQUIRED },
		{ "POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", HTTP_PARSE_TOO_LARGE },
	};
	struct http_request req;
	char big[HDR + 64];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (parse(cases[i].text, strlen(cases[i].text), &req) != cases[i].st)
			fail_msg("case %zu (%s) did not give %d", i, cases[i].text, cases[i].st);
	assert_int_equal(parse("GET / HTTP/1.1\r\nA: \0b\r\n\r\n", 25, &req), HTTP_PARSE_BAD);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(parse(big, sizeof(big), &req), HTTP_PARSE_HEADERS_TOO_LARGE);
	assert_int_equal(parse(big, HDR - 1, &req), HTTP_PARSE_MORE);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mutated requests: flipped, inserted, deleted bytes, cut anywhere; 200,000 of them. */
static void test_fuzz(void **state)
{
	static const char *seeds[] = { post, "GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n",
		"POST /v1/completions HTTP/1.0\nContent-Length: 2\nExpect: 100-continue\n\n{}" };
	static const char alphabet[] = "\r\n: \t\0/?-0123456789HTTP/1.GETPOSTContent-Length";
	char buf[1024];
	long counts[600] = { 0 };
	(void)state;
	for (int it = 0; it < 200000; it++) {
		const char *seed = seeds[next() % 3];
		size_t len = strlen(seed), muts = 1 + next() % 6;
		struct http_request req;
		enum http_parse_status st;
		memcpy(buf, seed, len);
		for (size_t m = 0; m < muts && len + 1 < sizeof(buf); m++) {
			size_t at = len ? next() % len : 0;
			char c = (next() & 1) ? alphabet[next() % (sizeof(alphabet) - 1)] : (char)next();
			switch (next() % 4) {
			case 0: buf[at] = c; break;
			case 1: memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; break;
			case 2: if (len) { memmove(buf + at, buf + at + 1, len - at - 1); len--; } break;
			default: len = at; break;
			}
		}
		st = parse(buf, len, &req);
		counts[st]++;
		assert_true(st == HTTP_PARSE_MORE || st == HTTP_PARSE_DONE || st == HTTP_PARSE_BAD ||
			    st == HTTP_PARSE_LENGTH_REQUIRED || st == HTTP_PARSE_TOO_LARGE ||
			    st == HTTP_PARSE_HEADERS_TOO_LARGE || st == HTTP_PARSE_VERSION);
		assert_true(memchr(req.method, 0, sizeof(req.method)) && memchr(req.path, 0, sizeof(req.path)));
		if (st == HTTP_PARSE_DONE)
			assert_true(req.header_len + req.content_length == req.consumed && req.path[0] == '/');
	}
	/* the mutations reach every outcome, so the loop is not testing one path */
	assert_true(counts[HTTP_PARSE_DONE] > 100 && counts[HTTP_PARSE_MORE] > 100 &&
		    counts[HTTP_PARSE_BAD] > 100 && counts[HTTP_PARSE_VERSION] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_prefixes_ask_for_more),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fuzz),
	};
	return RUN_TESTS(tests);
}
