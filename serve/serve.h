/*
 * serve.h - `winnow serve`: an OpenAI-compatible HTTP API over local models.
 *
 * One thread runs everything: a poll() loop reads requests, answers the
 * cheap ones at once, and turns generation requests into jobs. Between polls
 * the engine steps every running job by one token, so requests that arrive
 * together are decoded together (round by round) instead of one after the
 * other; each job has a slot, a key/value cache of --context positions kept
 * between requests so a shared prompt prefix is not run twice.
 *
 * Rules that keep the server up:
 *  1. Every connection's input is bounded (headers + --max-body); past it the
 *     client gets 413/431 and the connection closes.
 *  2. At most --max-connections sockets; more are answered 503 and closed.
 *  3. At most --parallel jobs run and --queue wait; more get 429.
 *  4. A client that sends nothing for --timeout seconds is closed; one that
 *     does not read its answer for --timeout seconds too (its job stops).
 *     A job pauses while its client has more than SERVE_OUT_PAUSE bytes unread.
 *  5. Ctrl-C (SIGINT or SIGTERM) stops accepting and new requests get 503;
 *     jobs running or queued finish and are delivered; a second Ctrl-C quits.
 */
#ifndef WINNOW_SERVE_H
#define WINNOW_SERVE_H

#include <stddef.h>

#include "http_parse.h"
#include "../model/decode.h"
#include "../lib/strbuf.h"

#define SERVE_OUT_PAUSE ((size_t)256 << 10)
#define SERVE_MAX_STOP 4

struct serve_model {
	char *name;			/* what requests put in "model" */
	char *adapter;			/* adapter folder, NULL for the base */
	struct generator g;
};

struct serve_limits {
	size_t max_header, max_body;
	long max_tokens;		/* largest max_tokens a request may ask for */
	int parallel, queue, max_connections;
	double timeout;			/* seconds */
	int context;
};

struct conn;

struct job {
	struct conn *conn;		/* NULL once the client has gone */
	struct serve_model *model;
	int chat, stream, include_usage, keep_alive;
	char id[48];
	long created;
	struct token_ids prompt;
	struct sampler sampler;
	char *stops[SERVE_MAX_STOP];
	int nstop;
	long max_tokens;
	struct decode d;
	int slot;			/* -1 while queued */
	struct job *next;		/* in the queue */
};

struct slot {
	struct kv_cache cache;
	struct token_ids cached;	/* the ids cache holds */
	const struct serve_model *owner;	/* the model those keys/values came from */
	struct job *job;		/* running here, or NULL */
};

struct server {
	struct serve_model *models;
	int nmodels;
	struct serve_limits lim;
	const char *api_key;		/* NULL: no key needed */
	struct slot *slots;
	struct job *queue_head, *queue_tail;
	int queued, running;
	int stopping;			/* Ctrl-C seen: no new work */
	unsigned long next_id;
	long started;
};

/* ---- api.c: requests to jobs or answers ---- */

/* Appends a whole HTTP response with a JSON body to out. */
void http_respond(struct strbuf *out, int status, const char *body, size_t len, int keep_alive);
/* Appends an OpenAI-style error response. */
void http_respond_error(struct strbuf *out, int status, const char *type, const char *code,
			int keep_alive, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * Handles one parsed request. Either appends the response to out and
 * returns NULL, or returns a new job (not yet queued) whose answer the
 * engine will write.
 */
struct job *api_handle(struct server *s, const struct http_request *req, struct strbuf *out);
/* The response head for a job's answer, and a streamed chunk of text. */
void api_job_head(const struct job *j, struct strbuf *out);
void api_job_chunk(const struct job *j, const char *text, size_t len, struct strbuf *out);
/* The end of a job's answer (the whole body when not streamed). */
void api_job_end(const struct job *j, struct strbuf *out, int keep_alive);
void job_free(struct job *j);

/* ---- engine.c: slots, queue, steps ---- */

int engine_init(struct server *s);
void engine_free(struct server *s);
/* Queues j; returns 0, or -1 when the queue is full (j untouched). */
int engine_submit(struct server *s, struct job *j);
/* The client of j went away: its job stops and is freed. */
void engine_cancel(struct server *s, struct job *j);
/* Starts queued jobs on free slots and steps every running job once. Returns running + queued. */
int engine_round(struct server *s);

/* ---- server.c: sockets ---- */

/* Output produced for a job's connection, and its end. */
struct strbuf *conn_out(struct conn *c);
void conn_job_done(struct conn *c);
/* Serves until Ctrl-C and the work in flight are done. Returns an exit code. */
int server_run(struct server *s, const char *host, int port);

int cmd_serve(int argc, char **argv);

#endif
