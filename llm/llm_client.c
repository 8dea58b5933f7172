/*
 * llm_client.c - sending chat completions: a libcurl multi loop keeps up to
 * --parallel requests in flight, spaces starts for --rpm, holds back for
 * --tpm, retries 429/5xx/timeouts after Retry-After or an exponential
 * backoff with jitter, stops at once on errors that waiting will not fix,
 * and stores every call in llm_calls before the caller sees the answer.
 *
 * Invariants of llm_run:
 *  1. A request is in exactly one place: answered (status set), queued
 *     (waiting for its not_before time), or in flight (transfer != NULL).
 *  2. The key only ever goes into the Authorization header list.
 *  3. Every transfer has CURLOPT_TIMEOUT_MS and a body size limit.
 */
#include "llm_internal.h"
#include "../lib/http.h"
#include "../lib/json.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct transfer {
	struct llm_request *req;
	CURL *easy;
	struct curl_slist *headers;
	char *body_sent;
	struct strbuf raw;
	struct llm_sse sse;
	int stream, too_big;
	double retry_after;	/* seconds from the Retry-After header, -1 when none */
	double started;
	char errbuf[CURL_ERROR_SIZE];
};

struct token_use {
	double at;
	long tokens;
};

struct llm_client {
	sqlite3 *db;
	int64_t run_id;
	struct llm_options o;
	char *provider, *base_url, *url, *model, *key_env, *key;
	unsigned flags;
	CURLM *multi;
	struct llm_totals totals;
	double last_start;
	struct token_use *window;	/* tokens spent in the last minute, for --tpm */
	size_t window_nr, window_alloc;
	uint64_t rng;
	int warnings;
};

void llm_request_init(struct llm_request *req)
{
	memset(req, 0, sizeof(*req));
	strbuf_init(&req->content, 0);
}

void llm_request_release(struct llm_request *req)
{
	strbuf_release(&req->content);
	free(req->body);
	req->body = NULL;
}

const char *llm_client_model(const struct llm_client *c)
{
	return c->model;
}

const char *llm_client_provider(const struct llm_client *c)
{
	return c->provider;
}

const struct llm_totals *llm_client_totals(const struct llm_client *c)
{
	return &c->totals;
}

struct llm_client *llm_client_new(const struct llm_options *o, sqlite3 *db, int64_t run_id)
{
	static int curl_ready;
	const char *name = o->provider, *env_provider = getenv("WINNOW_LLM_PROVIDER");
	const struct llm_provider *p = NULL;
	const char *base, *model, *key_env, *key;
	struct llm_client *c;

	if (!name && env_provider && *env_provider)
		name = env_provider;
	if (name && !(p = llm_provider_find(name))) {
		error("unknown LLM provider '%s'%s (choose one of: %s)", name,
		      o->provider ? "" : " in $WINNOW_LLM_PROVIDER", LLM_PROVIDER_NAMES);
		return NULL;
	}
	if (!p && !o->base_url) {
		error("say which LLM platform to use: --provider NAME (%s), or --base-url URL for "
		      "another OpenAI-compatible server", LLM_PROVIDER_NAMES);
		return NULL;
	}
	base = o->base_url ? o->base_url : p->base_url;
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
		error("--base-url '%s' must start with http:// or https://", base);
		return NULL;
	}
	model = o->model ? o->model : p ? p->default_model : NULL;
	if (!model) {
		error("say which model to use with --model NAME%s", p && !strcmp(p->name, "ark")
		      ? " (on Ark, the model name or your ep-... endpoint id)" : "");
		return NULL;
	}
	key_env = o->api_key_env ? o->api_key_env : p ? p->key_env : NULL;
	key = key_env ? getenv(key_env) : NULL;
	if (key && !*key)
		key = NULL;
	if (!key && key_env && (o->api_key_env || (p && !(p->flags & LLM_KEY_OPTIONAL)))) {
		error("the API key is read from $%s, which is not set; export %s=... (or name another "
		      "variable with --api-key-env)", key_env, key_env);
		return NULL;
	}
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->db = db;
	c->run_id = run_id;
	c->o = *o;
	c->provider = xstrdup(p ? p->name : "custom");
	c->base_url = xstrdup(base);
	while (strlen(c->base_url) > 8 && c->base_url[strlen(c->base_url) - 1] == '/')
		c->base_url[strlen(c->base_url) - 1] = '\0';
	c->url = xstrfmt("%s/chat/completions", c->base_url);
	c->model = xstrdup(model);
	c->key_env = key_env ? xstrdup(key_env) : NULL;
	c->key = key ? xstrdup(key) : NULL;
	c->flags = p ? p->flags : 0;
	c->multi = curl_multi_init();
	if (!c->multi)
		die("cannot initialise libcurl");
	c->rng = (uint64_t)(now_seconds() * 1e6) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	return c;
}

void llm_client_free(struct llm_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c->provider);
	free(c->base_url);
	free(c->url);
	free(c->model);
	free(c->key_env);
	if (c->key) {
		memset(c->key, 0, strlen(c->key));
		free(c->key);
	}
	free(c->window);
	free(c);
}

/* Replaces every copy of the key in sb with "[key]" (servers echo bad keys). */
static void redact_key(const struct llm_client *c, struct strbuf *sb)
{
	size_t klen;
	char *hit;
	if (!c->key || (klen = strlen(c->key)) < 4)
		return;
	while ((hit = strstr(sb->buf, c->key))) {
		struct strbuf out = STRBUF_INIT;
		strbuf_add(&out, sb->buf, (size_t)(hit - sb->buf));
		strbuf_addstr(&out, "[key]");
		strbuf_addstr(&out, hit + klen);
		strbuf_release(sb);
		*sb = out;
	}
}

static void redact_msg(const struct llm_client *c, char *msg, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, msg);
	redact_key(c, &sb);
	snprintf(msg, size, "%s", sb.buf);
	strbuf_release(&sb);
}

/* The request body: model, messages, temperature, and the options in use. */
static char *build_body(const struct llm_client *c, const struct llm_request *req)
{
	json_t *root = json_object(), *messages = json_array(), *m;
	char *text;
	json_object_set_new(root, "model", json_string(c->model));
	if (req->system && *req->system) {
		m = json_object();
		json_object_set_new(m, "role", json_string("system"));
		json_object_set_new(m, "content", json_string(req->system));
		json_array_append_new(messages, m);
	}
	m = json_object();
	json_object_set_new(m, "role", json_string("user"));
	json_object_set_new(m, "content", json_string(req->prompt ? req->prompt : ""));
	json_array_append_new(messages, m);
	json_object_set_new(root, "messages", messages);
	json_object_set_new(root, "temperature", json_real(c->o.temperature));
	if (c->o.max_answer_tokens > 0)
		json_object_set_new(root, "max_tokens", json_integer(c->o.max_answer_tokens));
	if (req->json && (c->flags & LLM_JSON_MODE)) {
		m = json_object();
		json_object_set_new(m, "type", json_string("json_object"));
		json_object_set_new(root, "response_format", m);
	}
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (!text)
		die("cannot encode an LLM request (invalid UTF-8 in the prompt?)");
	return text;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct transfer *t = ud;
	size_t n = size * nmemb;
	if (t->raw.len + n > LLM_RESPONSE_MAX) {
		t->too_big = 1;
		return 0;
	}
	strbuf_add(&t->raw, data, n);
	if (t->stream)
		llm_sse_feed(&t->sse, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct transfer *t = ud;
	size_t n = size * nmemb;
	if (n > 12 && !strncasecmp(data, "retry-after:", 12)) {
		char buf[64];
		size_t k = n - 12 < sizeof(buf) - 1 ? n - 12 : sizeof(buf) - 1;
		memcpy(buf, data + 12, k);
		buf[k] = '\0';
		double v = http_retry_after(buf);
		if (v >= 0)
			t->retry_after = v;
	}
	return n;
}

static void start_transfer(struct llm_client *c, struct llm_request *req)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	size_t blen = strlen(req->body);
	t->req = req;
	t->stream = c->o.stream;
	t->retry_after = -1;
	strbuf_init(&t->raw, 0);
	llm_sse_init(&t->sse);
	if (t->stream) {
		/* the cached body never says stream, so streaming does not split the cache */
		t->body_sent = xstrfmt("%.*s,\"stream\":true}", (int)(blen - 1), req->body);
	} else {
		t->body_sent = xstrdup(req->body);
	}
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	t->headers = curl_slist_append(t->headers, t->stream ? "Accept: text/event-stream"
							       : "Accept: application/json");
	if (c->key) {
		char *auth = xstrfmt("Authorization: Bearer %s", c->key);
		t->headers = curl_slist_append(t->headers, auth);
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	t->easy = curl_easy_init();
	if (!t->easy)
		die("cannot initialise libcurl");
	curl_easy_setopt(t->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body_sent);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->body_sent));
	/* each attempt within --timeout, and all of them within the request's --deadline */
	double now = now_seconds(), limit = c->o.timeout;
	if (!req->first_try)
		req->first_try = now;
	if (req->first_try + c->o.deadline - now < limit)
		limit = req->first_try + c->o.deadline - now;
	if (limit < 1)
		limit = 1;
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(limit < 10 ? limit * 1000 : 10000));
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)(limit * 1000));
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "winnow/0.1");
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
	t->started = now_seconds();
	req->transfer = t;
	req->attempts++;
	curl_multi_add_handle(c->multi, t->easy);
}

static void free_transfer(struct llm_client *c, struct transfer *t)
{
	curl_multi_remove_handle(c->multi, t->easy);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);	/* holds the key: wiped by libcurl's free only */
	free(t->body_sent);
	strbuf_release(&t->raw);
	llm_sse_release(&t->sse);
	t->req->transfer = NULL;
	free(t);
}

/* Parses a non-streamed answer into req; returns 0, or -1 when it is not one. */
static int parse_answer(const char *body, size_t len, struct llm_request *req)
{
	char err[120];
	json_t *root, *choice, *v, *usage;
	while (len && (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t'))
		body++, len--;	/* DeepSeek's keep-alive blank lines */
	root = json_parse(body, len, err, sizeof(err));
	if (!root)
		return -1;
	choice = json_array_get(json_object_get(root, "choices"), 0);
	if (!json_is_object(choice)) {
		json_decref(root);
		return -1;
	}
	v = json_object_get(json_object_get(choice, "message"), "content");
	strbuf_reset(&req->content);
	if (json_is_string(v))
		strbuf_add(&req->content, json_string_value(v), json_string_length(v));
	v = json_object_get(choice, "finish_reason");
	snprintf(req->finish_reason, sizeof(req->finish_reason), "%s", json_is_string(v) ? json_string_value(v) : "");
	usage = json_object_get(root, "usage");
	v = json_object_get(usage, "prompt_tokens");
	req->tokens_in = json_is_integer(v) ? (long)json_integer_value(v) : 0;
	v = json_object_get(usage, "completion_tokens");
	req->tokens_out = json_is_integer(v) ? (long)json_integer_value(v) : 0;
	json_decref(root);
	return 0;
}

static const char *status_word(enum llm_error_kind kind, enum llm_status st)
{
	if (kind == LLM_ERR_RETRY)
		return "retry";
	if (kind == LLM_ERR_FATAL)
		return "fatal";
	if (kind == LLM_ERR_FAILED)
		return "failed";
	return st == LLM_TRUNCATED ? "truncated" : "ok";
}

static double next_random(struct llm_client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return (double)(c->rng >> 11) / (double)(1ULL << 53);
}

/* Seconds to wait before attempt number `attempts` + 1. */
static double backoff(struct llm_client *c, int attempts, double retry_after)
{
	double d;
	if (retry_after >= 0)
		return retry_after > 600 ? 600 : retry_after;
	d = 1.0;
	for (int i = 1; i < attempts && d < 60; i++)
		d *= 2;
	if (d > 60)
		d = 60;
	return d * (0.5 + next_random(c));
}

static void spend_tokens(struct llm_client *c, long tokens)
{
	if (tokens <= 0)
		return;
	if (c->window_nr == c->window_alloc) {
		c->window_alloc = c->window_alloc ? c->window_alloc * 2 : 64;
		c->window = xrealloc(c->window, c->window_alloc * sizeof(*c->window));
	}
	c->window[c->window_nr].at = now_seconds();
	c->window[c->window_nr++].tokens = tokens;
}

/* Tokens spent in the last minute; forgets older entries. Sets *oldest. */
static long tokens_last_minute(struct llm_client *c, double now, double *oldest)
{
	size_t keep = 0;
	long sum = 0;
	for (size_t i = 0; i < c->window_nr; i++)
		if (c->window[i].at > now - 60)
			c->window[keep++] = c->window[i];
	c->window_nr = keep;
	for (size_t i = 0; i < keep; i++)
		sum += c->window[i].tokens;
	*oldest = keep ? c->window[0].at : now;
	return sum;
}

struct run_state {
	struct llm_request *reqs;
	size_t n;
	size_t *queue, queued;
	size_t in_flight, finished;
	int fatal, stop;
	struct progress progress;
};

/*
 * Says what a 200 answer that is no chat completion was: JSON of another
 * shape, or not JSON at all (an HTML page from a proxy or a wrong URL),
 * quoting its start. Returns 1 when it was not JSON.
 */
static int not_chat_completion(struct llm_client *c, const struct transfer *t, char *msg, size_t size,
			       int is_json)
{
	char start[61];
	size_t n = 0;
	const char *p = t->raw.buf;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	for (; n + 1 < sizeof(start) && p[n] && p[n] != '\n' && p[n] != '\r'; n++)
		start[n] = (unsigned char)p[n] < 0x20 ? ' ' : p[n];
	start[n] = '\0';
	if (is_json) {
		snprintf(msg, size, "the answer is JSON but not a chat completion (it starts '%s'); check "
			 "--base-url and --model", start);
		return 0;
	}
	if (*p == '{' || *p == '[') {
		snprintf(msg, size, "the answer is not a chat completion (malformed JSON)");
		return 0;
	}
	snprintf(msg, size, "the answer (HTTP 200) is not JSON, it starts '%.40s': %.80s is not an "
		 "OpenAI-compatible endpoint; check --base-url (it usually ends in /v1)", start, c->url);
	return 1;
}

/*
 * Handles a finished transfer: stores the call, then either re-queues the
 * request for a retry, stops the run (fatal), or completes it.
 * Returns 1 when the request is complete (the caller calls done).
 */
/* What a transport failure means: retry, give up on this call, or stop the run. */
static enum llm_error_kind classify_curl(struct llm_client *c, struct transfer *t, CURLcode res, char *msg,
					 size_t size)
{
	enum llm_error_kind kind = (res == CURLE_OPERATION_TIMEDOUT || res == CURLE_COULDNT_CONNECT ||
		res == CURLE_RECV_ERROR || res == CURLE_SEND_ERROR || res == CURLE_GOT_NOTHING ||
		res == CURLE_PARTIAL_FILE || res == CURLE_COULDNT_RESOLVE_HOST ||
		res == CURLE_SSL_CONNECT_ERROR) ? LLM_ERR_RETRY : LLM_ERR_FAILED;
	if (res == CURLE_OPERATION_TIMEDOUT) {
		snprintf(msg, size, "no complete answer within the %.0f s deadline (--timeout)", c->o.timeout);
	} else if (res == CURLE_COULDNT_CONNECT) {
		/* nothing listens there: waiting will not help */
		kind = LLM_ERR_FATAL;
		snprintf(msg, size, "cannot connect to %.120s (%.80s): is the server running? check "
			 "--base-url", c->url, *t->errbuf ? t->errbuf : curl_easy_strerror(res));
	} else {
		snprintf(msg, size, "%s", *t->errbuf ? t->errbuf : curl_easy_strerror(res));
	}
	return kind;
}

/* Reads a 200 answer (a stream or one JSON body) into req; returns what it means. */
static enum llm_error_kind read_answer(struct llm_client *c, struct transfer *t, char *msg, size_t size)
{
	struct llm_request *req = t->req;
	enum llm_error_kind kind = LLM_ERR_NONE;
	int ok, not_json = 0;
	if (t->stream && t->sse.events) {
		llm_sse_finish(&t->sse);
		strbuf_reset(&req->content);
		strbuf_add(&req->content, t->sse.content.buf, t->sse.content.len);
		snprintf(req->finish_reason, sizeof(req->finish_reason), "%s", t->sse.finish_reason);
		req->tokens_in = t->sse.tokens_in;
		req->tokens_out = t->sse.tokens_out;
		ok = t->sse.done || *t->sse.finish_reason;
		if (!ok)
			snprintf(msg, size, "the stream ended before its last event");
	} else {
		ok = !parse_answer(t->raw.buf, t->raw.len, req);
		if (!ok) {
			/* a 200 carrying an error object is still an error */
			json_t *root = llm_extract_json(t->raw.buf, t->raw.len);
			if (json_is_object(json_object_get(root, "error")))
				kind = llm_classify_http(400, t->raw.buf, t->raw.len, c->key_env, msg, size);
			else
				not_json = not_chat_completion(c, t, msg, size, root != NULL);
			json_decref(root);
		}
	}
	if (!ok && kind != LLM_ERR_FATAL)	/* a page that is not JSON will not become JSON */
		return not_json ? LLM_ERR_FATAL : LLM_ERR_RETRY;
	if (!strcmp(req->finish_reason, "content_filter") || !strcmp(req->finish_reason, "sensitive")) {
		snprintf(msg, size, "the platform refused the content (finish_reason %s); "
			 "change the prompt or the records it was given", req->finish_reason);
		return LLM_ERR_FATAL;
	}
	if (!strcmp(req->finish_reason, "length"))
		req->status = LLM_TRUNCATED;
	return kind;
}

/* Logs the call in llm_calls (the answer, or the start of the error body); sets req->call_id. */
static void store_call(struct llm_client *c, struct transfer *t, enum llm_error_kind kind, long http,
		       const char *msg, double latency)
{
	struct llm_request *req = t->req;
	struct llm_call_row row;
	struct strbuf stored = STRBUF_INIT;
	if (kind == LLM_ERR_NONE) {
		strbuf_add(&stored, req->content.buf, req->content.len);
	} else {
		strbuf_add(&stored, t->raw.buf, t->raw.len < LLM_ERROR_KEEP ? t->raw.len : LLM_ERROR_KEEP);
		if (!stored.len)
			strbuf_addstr(&stored, msg);
	}
	redact_key(c, &stored);
	memset(&row, 0, sizeof(row));
	row.cache_key = req->cache_key;
	row.run_id = c->run_id;
	row.provider = c->provider;
	row.model = c->model;
	row.task = req->purpose;
	row.request = req->body;
	row.response = stored.buf;
	row.status = status_word(kind, req->status);
	row.finish_reason = req->finish_reason;
	row.http_status = http;
	row.tokens_in = req->tokens_in;
	row.tokens_out = req->tokens_out;
	row.latency = latency;
	row.sample = req->sample;
	req->call_id = llm_call_store(c->db, &row);
	strbuf_release(&stored);
}

/*
 * After a call ended with kind: queue a retry, stop the run, or settle the
 * request. Returns 1 when the request is settled, 0 otherwise.
 */
static int settle(struct llm_client *c, struct run_state *rs, struct llm_request *req, enum llm_error_kind kind,
		  const char *msg, double retry_after)
{
	double wait = kind == LLM_ERR_RETRY ? backoff(c, req->attempts, retry_after) : 0;
	int in_time = now_seconds() + wait + 1 < req->first_try + c->o.deadline;
	if (kind == LLM_ERR_RETRY && req->attempts <= c->o.retries && in_time) {
		c->totals.retries++;
		if (c->warnings++ < 5)
			warning("%s; retrying in %.1f s (attempt %d of %ld)", msg, wait, req->attempts + 1,
				c->o.retries + 1);
		req->not_before = now_seconds() + wait;
		rs->queue[rs->queued++] = (size_t)(req - rs->reqs);
		req->status = LLM_PENDING;
		return 0;
	}
	if (kind == LLM_ERR_FATAL) {
		error("%s", msg);
		fprintf(stderr, "hint: the run stopped; answers already received are kept and cached\n");
		req->status = LLM_FAILED;
		snprintf(req->error, sizeof(req->error), "%s", msg);
		rs->fatal = 1;
		return 0;
	}
	if (kind != LLM_ERR_NONE) {
		req->status = LLM_FAILED;
		if (kind == LLM_ERR_RETRY)
			snprintf(req->error, sizeof(req->error), "gave up after %d attempt%s%s: %s", req->attempts,
				 req->attempts == 1 ? "" : "s", in_time ? "" : " (its --deadline passed)", msg);
		else
			snprintf(req->error, sizeof(req->error), "%s", msg);
		c->totals.failed++;
		c->totals.failed_permanent += kind == LLM_ERR_FAILED;
		if (c->warnings++ < 5)
			warning("%s", req->error);
	} else if (req->status == LLM_TRUNCATED) {
		c->totals.truncated++;
	}
	return 1;
}

static int finish_transfer(struct llm_client *c, struct run_state *rs, struct transfer *t, CURLcode res)
{
	struct llm_request *req = t->req;
	enum llm_error_kind kind;
	char msg[300] = "";
	long http = 0;
	double latency = now_seconds() - t->started;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
	req->status = LLM_OK;
	req->tokens_in = req->tokens_out = 0;
	*req->finish_reason = '\0';
	if (t->too_big) {
		kind = LLM_ERR_FAILED;
		snprintf(msg, sizeof(msg), "the answer was larger than %zu MB", LLM_RESPONSE_MAX >> 20);
	} else if (res != CURLE_OK) {
		kind = classify_curl(c, t, res, msg, sizeof(msg));
	} else if ((kind = llm_classify_http(http, t->raw.buf, t->raw.len, c->key_env, msg, sizeof(msg)))
		   == LLM_ERR_NONE) {
		kind = read_answer(c, t, msg, sizeof(msg));
	}
	redact_msg(c, msg, sizeof(msg));
	store_call(c, t, kind, http, msg, latency);
	c->totals.tokens_in += req->tokens_in;
	c->totals.tokens_out += req->tokens_out;
	spend_tokens(c, req->tokens_in + req->tokens_out);
	double retry_after = t->retry_after;
	free_transfer(c, t);
	rs->in_flight--;
	if (req->call_id < 0) {
		rs->fatal = 1;
		return 0;
	}
	return settle(c, rs, req, kind, msg, retry_after);
}

static int budget_left(const struct llm_client *c)
{
	if (c->o.max_calls > 0 && c->totals.calls >= c->o.max_calls)
		return 0;
	if (c->o.max_tokens > 0 && c->totals.tokens_in + c->totals.tokens_out >= c->o.max_tokens)
		return 0;
	return 1;
}

/*
 * Starts what may start now. Returns the number of seconds until
 * something else could start (for the poll timeout), or a large number.
 */
static double start_ready(struct llm_client *c, struct run_state *rs, int *budget_out)
{
	double now = now_seconds(), wake = 1.0;
	while (rs->queued && rs->in_flight < (size_t)c->o.parallel) {
		size_t pick = rs->queued;
		if (!budget_left(c)) {
			*budget_out = 1;
			return wake;
		}
		for (size_t i = 0; i < rs->queued; i++) {
			struct llm_request *r = &rs->reqs[rs->queue[i]];
			if (r->not_before <= now) {
				pick = i;
				break;
			}
			if (r->not_before - now < wake)
				wake = r->not_before - now;
		}
		if (pick == rs->queued)
			return wake;
		if (c->o.rpm > 0 && c->totals.calls && now < c->last_start + 60.0 / c->o.rpm) {
			double w = c->last_start + 60.0 / c->o.rpm - now;
			return w < wake ? w : wake;
		}
		if (c->o.tpm > 0) {
			double oldest;
			if (tokens_last_minute(c, now, &oldest) >= c->o.tpm) {
				double w = oldest + 60 - now;
				return w < wake ? w : wake;
			}
		}
		struct llm_request *req = &rs->reqs[rs->queue[pick]];
		memmove(rs->queue + pick, rs->queue + pick + 1, (rs->queued - pick - 1) * sizeof(*rs->queue));
		rs->queued--;
		c->last_start = now;
		c->totals.calls++;
		rs->in_flight++;
		start_transfer(c, req);
	}
	return wake;
}

enum llm_run_result llm_run(struct llm_client *c, struct llm_request *reqs, size_t n,
			    int (*done)(struct llm_request *req, void *ctx), void *ctx)
{
	struct run_state rs;
	int budget = 0;
	enum llm_run_result result = LLM_RUN_DONE;

	memset(&rs, 0, sizeof(rs));
	rs.reqs = reqs;
	rs.n = n;
	rs.queue = xmalloc((n ? n : 1) * sizeof(*rs.queue));
	progress_start(&rs.progress, "asking the model", n, "requests");

	for (size_t i = 0; i < n && !rs.stop && !rs.fatal; i++) {
		struct llm_request *req = &reqs[i];
		free(req->body);
		req->body = build_body(c, req);
		req->cache_key = llm_cache_key(c->base_url, c->model, req->body, req->sample);
		req->status = LLM_PENDING;
		req->cached = 0;
		req->attempts = 0;
		req->not_before = 0;
		req->first_try = 0;
		req->call_id = 0;
		*req->error = '\0';
		if (!c->o.no_cache) {
			int hit = llm_cache_lookup(c->db, req->cache_key, req->body, req->sample, req);
			if (hit < 0) {
				rs.fatal = 1;
				break;
			}
			if (hit) {
				c->totals.cached++;
				rs.finished++;
				progress_update(&rs.progress, rs.finished);
				if (done && done(req, ctx))
					rs.stop = 1;
				continue;
			}
		}
		rs.queue[rs.queued++] = i;
	}

	while (!rs.stop && !rs.fatal && (rs.queued || rs.in_flight)) {
		int running, msgs;
		CURLMsg *msg;
		double wake = budget ? 1.0 : start_ready(c, &rs, &budget);
		if (budget && !rs.in_flight)
			break;
		if (!rs.in_flight && rs.queued) {
			usleep((useconds_t)(wake > 0 ? (wake < 1 ? wake : 1) * 1e6 : 1000));
			continue;
		}
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &msgs))) {
			struct transfer *t;
			struct llm_request *req;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			req = t->req;
			if (finish_transfer(c, &rs, t, msg->data.result)) {
				rs.finished++;
				progress_update(&rs.progress, rs.finished);
				if (done && done(req, ctx))
					rs.stop = 1;
			}
			if (rs.fatal || rs.stop)
				break;
		}
		if (rs.fatal || rs.stop)
			break;
		if (rs.in_flight) {
			int ms = (int)(wake * 1000);
			curl_multi_poll(c->multi, NULL, 0, ms < 1 ? 1 : ms > 1000 ? 1000 : ms, NULL);
		}
	}
	progress_finish(&rs.progress);

	/* abandon what is still in flight; whatever did not finish is skipped */
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].transfer)
			free_transfer(c, reqs[i].transfer);
		if (reqs[i].status == LLM_PENDING)
			reqs[i].status = LLM_SKIPPED;
	}
	free(rs.queue);
	if (rs.fatal)
		result = LLM_RUN_FATAL;
	else if (rs.stop)
		result = LLM_RUN_STOPPED;
	else if (budget)
		result = LLM_RUN_BUDGET;
	return result;
}
