/*
 * llm.h - the one client for every LLM call winnow makes (generate,
 * answer, augment, and annotate/'s judge and fix): OpenAI-compatible chat
 * completions over libcurl multi, with provider presets, rate limits,
 * retries, budgets and a cache in the corpus (table llm_calls).
 *
 * Invariants:
 *  1. The API key is read from the environment only, sent only in the
 *     Authorization header, and never written to the corpus, a message or
 *     `runs`; any echo of it in a server's answer is replaced by "[key]"
 *     before that answer is stored or printed.
 *  2. Every call that reached the platform has a row in llm_calls; an
 *     answered call is stored before the caller sees it, so a run killed
 *     at any point has paid for nothing it cannot get back from the cache.
 *  3. Every transfer has an overall deadline and a size limit.
 *
 *	struct llm_options lo;
 *	llm_options_init(&lo);
 *	struct option opts[] = { LLM_OPTIONS(&lo), OPT_END() };
 *	...
 *	struct llm_client *c = llm_client_new(&lo, db, run.id);
 *	struct llm_request req;
 *	llm_request_init(&req);
 *	req.prompt = "写一首诗";
 *	rc = llm_run(c, &req, 1, on_done, ctx);
 *	llm_request_release(&req);
 *	llm_client_free(c);
 */
#ifndef WINNOW_LLM_H
#define WINNOW_LLM_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "../lib/options.h"
#include "../lib/strbuf.h"

/* ---- providers ---- */

enum llm_provider_flags {
	LLM_JSON_MODE = 1 << 0,		/* accepts response_format {"type":"json_object"} */
	LLM_KEY_OPTIONAL = 1 << 1,	/* local servers: no key needed */
};

struct llm_provider {
	const char *name;		/* --provider NAME */
	const char *base_url;		/* without the trailing /chat/completions */
	const char *key_env;		/* environment variable holding the key */
	const char *default_model;	/* NULL: --model is required */
	unsigned flags;
};

#define LLM_PROVIDER_NAMES "zhipu|spark|ark|deepseek|moonshot|dashscope|openai|ollama|llamacpp|vllm"

/* The preset called name, or NULL. */
const struct llm_provider *llm_provider_find(const char *name);

/* What went wrong with one call, and whether waiting helps. */
enum llm_error_kind {
	LLM_ERR_NONE,
	LLM_ERR_RETRY,		/* 429 slow down, 5xx, timeout, connection: retry later */
	LLM_ERR_FAILED,		/* this request cannot work (too large, refused): permanent */
	LLM_ERR_FATAL		/* no request can work: bad key, no balance, refused, bad URL */
};

/*
 * Classifies an HTTP answer by status and error body ({"error": {"message",
 * "type", "code"}}): Zhipu 1113 and DeepSeek 402 are "no balance", 1301
 * and content_filter "content refused", 401/403 a bad key. Writes a
 * one-line explanation (what happened, what to do) into msg.
 */
enum llm_error_kind llm_classify_http(long status, const char *body, size_t len,
				      const char *key_env, char *msg, size_t msgsize);

/* ---- options shared by every command that calls an LLM ---- */

struct llm_options {
	const char *provider, *base_url, *model, *api_key_env;
	long parallel, max_calls, max_tokens, retries, max_answer_tokens;
	double rpm, tpm, timeout, deadline, temperature;
	int no_cache, stream;
};

/* Defaults: 4 in flight, 5 retries, 300 s per call, 600 s per request, temperature 0.7. */
void llm_options_init(struct llm_options *o);

#define LLM_OPTIONS(o) \
	OPT_STRING(0, "provider", &(o)->provider, "NAME", "LLM platform: zhipu, spark, ark, deepseek, moonshot, " \
		   "dashscope, openai, ollama, llamacpp or vllm (default $WINNOW_LLM_PROVIDER)"), \
	OPT_STRING(0, "base-url", &(o)->base_url, "URL", "OpenAI-compatible endpoint, e.g. http://host:8000/v1"), \
	OPT_STRING(0, "model", &(o)->model, "NAME", "model name (or Ark endpoint id)"), \
	OPT_STRING(0, "api-key-env", &(o)->api_key_env, "VAR", "environment variable holding the API key"), \
	OPT_INT(0, "parallel", &(o)->parallel, "N", 1, 64, "requests in flight at once (default 4)"), \
	OPT_DOUBLE(0, "rpm", &(o)->rpm, "N", 0, 1e6, "at most N requests per minute (default: no limit)"), \
	OPT_DOUBLE(0, "tpm", &(o)->tpm, "N", 0, 1e9, "at most N tokens per minute (default: no limit)"), \
	OPT_INT(0, "max-calls", &(o)->max_calls, "N", 0, 100000000, "stop after N calls to the platform"), \
	OPT_INT(0, "max-tokens", &(o)->max_tokens, "N", 0, 1000000000000L, \
		"stop starting calls once N tokens (in + out) are spent"), \
	OPT_INT(0, "retries", &(o)->retries, "N", 0, 100, "retries of a call after 429/5xx/timeout (default 5)"), \
	OPT_DOUBLE(0, "timeout", &(o)->timeout, "SECONDS", 1, 86400, "deadline of one call (default 300)"), \
	OPT_DOUBLE(0, "deadline", &(o)->deadline, "SECONDS", 1, 604800, \
		   "give up on a request after this long, retries and waits included (default 600)"), \
	OPT_DOUBLE(0, "temperature", &(o)->temperature, "T", 0, 2, "sampling temperature (default 0.7)"), \
	OPT_INT(0, "answer-tokens", &(o)->max_answer_tokens, "N", 1, 1000000, \
		"max_tokens of each answer (default: the platform's)"), \
	OPT_FLAG(0, "stream", &(o)->stream, "stream answers (SSE); the deadline still applies"), \
	OPT_FLAG(0, "no-cache", &(o)->no_cache, "call the platform even for requests answered before")

/* ---- requests ---- */

enum llm_status {
	LLM_PENDING,
	LLM_OK,			/* finish_reason stop (or none given) */
	LLM_TRUNCATED,		/* finish_reason length: the answer was cut off */
	LLM_FAILED,		/* gave up on this request; error says why */
	LLM_SKIPPED		/* not sent: a budget ran out or the run stopped */
};

struct llm_request {
	/* set by the caller; borrowed, must live until llm_run returns */
	const char *system;	/* system message, NULL for none */
	const char *prompt;	/* the user message */
	const char *purpose;	/* what it is for, e.g. "generate:luck" (llm_calls.task) */
	int json;		/* want a JSON object back (JSON mode where it exists) */
	int sample;		/* k-th answer to the same request (n > 1 is looped) */
	void *data;		/* the caller's */

	/* set by llm_run */
	enum llm_status status;
	struct strbuf content;	/* the answer text, untouched */
	char finish_reason[32];
	char error[400];	/* LLM_FAILED: why */
	long tokens_in, tokens_out;
	int64_t call_id;	/* llm_calls.id of the answer (0 if none) */
	int cached;		/* answered from llm_calls without a call */

	/* private to the client */
	char *body;		/* request JSON */
	int64_t cache_key;
	int attempts;
	double not_before;
	double first_try;	/* when its first attempt started: --deadline counts from here */
	void *transfer;
};

void llm_request_init(struct llm_request *req);
/* Frees what the request owns (content, body); the borrowed strings stay. */
void llm_request_release(struct llm_request *req);

/* ---- the client ---- */

struct llm_client;

struct llm_totals {
	long calls;		/* HTTP requests sent, retries included */
	long cached;		/* requests answered from llm_calls */
	long retries;
	long failed;		/* requests given up on */
	long failed_permanent;	/* of those, failed in a way a later run cannot fix */
	long truncated;
	long tokens_in, tokens_out;
};

/*
 * Resolves the provider preset, the overrides, the key from the
 * environment and the limits. db is where calls are stored and looked up
 * (run_id goes into llm_calls.run_id). Returns NULL after printing what is
 * missing (no provider, no model, key variable unset).
 */
struct llm_client *llm_client_new(const struct llm_options *o, sqlite3 *db, int64_t run_id);
void llm_client_free(struct llm_client *c);
const char *llm_client_model(const struct llm_client *c);
const char *llm_client_provider(const struct llm_client *c);
const struct llm_totals *llm_client_totals(const struct llm_client *c);

enum llm_run_result {
	LLM_RUN_DONE = 0,	/* every request finished (some may have failed) */
	LLM_RUN_FATAL = -1,	/* stopped: an error waiting will not fix (printed) */
	LLM_RUN_BUDGET = 1,	/* stopped starting calls: --max-calls/--max-tokens reached */
	LLM_RUN_STOPPED = 2	/* the done callback asked to stop */
};

/*
 * Sends reqs[0..n), answering from the cache first, at most `parallel` at
 * a time within the rate limits, retrying 429/5xx/timeouts after
 * Retry-After or an exponential backoff with jitter. done(req, ctx) is
 * called in this thread as each request finishes (any status but
 * LLM_PENDING/LLM_SKIPPED); a non-zero return stops the run. Requests not
 * started when the run stops are left LLM_SKIPPED.
 */
enum llm_run_result llm_run(struct llm_client *c, struct llm_request *reqs, size_t n,
			    int (*done)(struct llm_request *req, void *ctx), void *ctx);

/* ---- reading answers ---- */

/*
 * The first balanced JSON object or array in text (code fences and prose
 * around it ignored), parsed; NULL when there is none that parses.
 * The caller owns the result (json_decref).
 */
json_t *llm_extract_json(const char *text, size_t len);

/*
 * Appends the items of a numbered or bulleted list ("1. ", "1、", "1)",
 * "(1)", "- ", "* ") in text to out, markers and surrounding space removed.
 * Lines that are not list items are ignored, unless the text has no list
 * markers at all, in which case every non-blank line is an item.
 * Returns how many were appended.
 */
size_t llm_parse_list(const char *text, size_t len, struct string_list *out);

/* ---- server-sent events ---- */

/* Incremental parser of a streamed chat completion. */
struct llm_sse {
	struct strbuf line;	/* partial line carried between chunks */
	struct strbuf content;	/* delta contents so far */
	char finish_reason[32];
	long tokens_in, tokens_out;
	int done;		/* saw data: [DONE] */
	int events;		/* data events parsed */
	int bad;		/* a data line was not JSON */
};
void llm_sse_init(struct llm_sse *s);
void llm_sse_release(struct llm_sse *s);
/* Feeds the next bytes of the stream. Comment lines (":"), blank lines and
 * fields other than data are ignored. */
void llm_sse_feed(struct llm_sse *s, const char *data, size_t len);
/* Parses whatever line is still pending at the end of the stream. */
void llm_sse_finish(struct llm_sse *s);

/* ---- commands ---- */
int cmd_llm(int argc, char **argv);

/* ---- asking the LLM (llm_ask.c) ---- */

/* One question; the strings are borrowed and must outlive llm_ask_all. */
struct llm_job {
	const char *system, *prompt;
	void *data;
};

struct llm_ask_totals {
	long answered;		/* answers the caller used */
	long retried;		/* questions asked again after an unreadable answer */
	long unreadable;	/* set aside: no readable answer after every retry */
	long failed;		/* the platform gave no answer (after the client's retries) */
	long skipped;		/* not asked: a budget ran out or the run stopped */
};

/*
 * Asks every job (JSON mode); handle(req, ctx) gets each answer (req->data
 * is the job's data) and returns 0 when it used it, 1 when it cannot read
 * it (asked again as the next sample, up to `retries` times), -1 to stop.
 */
enum llm_run_result llm_ask_all(struct llm_client *c, const char *purpose, struct llm_job *jobs, size_t n,
				int retries, int (*handle)(struct llm_request *req, void *ctx), void *ctx,
				struct llm_ask_totals *t);
/* 1 after a fatal error, 75 when calls failed (try later), else 0. */
int llm_ask_exit(enum llm_run_result r, const struct llm_ask_totals *t);

/*
 * The questions of one command, collected while reading records: each job
 * owns its prompt (freed with the list) and its data (freed with
 * free_data, or free() when that is NULL). jobs[i].data stays where it is
 * while the list grows, so answers can point back at their records.
 */
struct llm_jobs {
	struct llm_job *job;
	size_t nr, alloc;
	void (*free_data)(void *data);
};
#define LLM_JOBS_INIT(free_data) { NULL, 0, 0, free_data }
void llm_jobs_add(struct llm_jobs *l, const char *system, char *prompt, void *data);
void llm_jobs_release(struct llm_jobs *l);

struct run;
/* Adds the client's calls, cached answers and tokens to a run's counts. */
void llm_count_run(struct run *run, const struct llm_totals *t);

#endif
