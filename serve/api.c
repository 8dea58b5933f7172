/*
 * api.c - the OpenAI-compatible endpoints of `winnow serve`: GET /v1/models,
 * POST /v1/chat/completions and POST /v1/completions. A request is checked
 * field by field (400 naming the field), its model looked up (404), its
 * messages rendered through the model's chat template, and handed to the
 * engine as a job; answers and errors are written in OpenAI's shapes.
 */
#define _POSIX_C_SOURCE 200809L
#include "serve.h"
#include "../lib/json.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

void http_respond(struct strbuf *out, int status, const char *body, size_t len, int keep_alive)
{
	strbuf_addf(out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Connection: %s\r\n\r\n", status, status_text(status), len,
		    keep_alive ? "keep-alive" : "close");
	strbuf_add(out, body, len);
}

void http_respond_error(struct strbuf *out, int status, const char *type, const char *code,
			int keep_alive, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT, body = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_addstr(&body, "{\"error\":{\"message\":");
	json_write_string(&body, msg.buf, msg.len);
	strbuf_addstr(&body, ",\"type\":");
	json_write_string(&body, type, strlen(type));
	strbuf_addstr(&body, ",\"param\":null,\"code\":");
	if (code)
		json_write_string(&body, code, strlen(code));
	else
		strbuf_addstr(&body, "null");
	strbuf_addstr(&body, "}}\n");
	if (status == 429 || status == 503)
		strbuf_addf(out, "HTTP/1.1 %d %s\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: %s\r\n\r\n%s", status, status_text(status),
			    body.len, keep_alive ? "keep-alive" : "close", body.buf);
	else
		http_respond(out, status, body.buf, body.len, keep_alive);
	strbuf_release(&msg);
	strbuf_release(&body);
}

static void respond_json(struct strbuf *out, json_t *root, int keep_alive)
{
	char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	http_respond(out, 200, text, strlen(text), keep_alive);
	free(text);
}

static json_t *model_object(const struct server *s, int i)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", s->models[i].name, "object", "model",
			 "created", (json_int_t)s->started, "owned_by", "winnow", "root", s->models[0].name);
}

/* GET /v1/models, or /v1/models/NAME (one model, 404 if unknown). */
static void get_models(const struct server *s, const char *name, struct strbuf *out, int keep_alive)
{
	json_t *data = json_array();
	for (int i = 0; i < s->nmodels; i++) {
		if (name && !strcmp(s->models[i].name, name)) {
			json_decref(data);
			respond_json(out, model_object(s, i), keep_alive);
			return;
		}
		json_array_append_new(data, model_object(s, i));
	}
	if (name) {
		json_decref(data);
		http_respond_error(out, 404, "invalid_request_error", "model_not_found", keep_alive,
				   "the model '%s' does not exist; GET /v1/models lists them", name);
		return;
	}
	respond_json(out, json_pack("{s:s, s:o}", "object", "list", "data", data), keep_alive);
}

void job_free(struct job *j)
{
	if (!j)
		return;
	token_ids_release(&j->prompt);
	sampler_release(&j->sampler);
	decode_release(&j->d);
	for (int i = 0; i < j->nstop; i++)
		free(j->stops[i]);
	free(j);
}

/* A message's content: a string, or a list of {"type": "text", "text": ...} parts. */
static int content_text(json_t *content, struct strbuf *sb)
{
	size_t i;
	json_t *part;
	if (json_is_string(content)) {
		strbuf_add(sb, json_string_value(content), json_string_length(content));
		return 0;
	}
	if (!json_is_array(content))
		return -1;
	json_array_foreach(content, i, part) {
		json_t *text = json_object_get(part, "text");
		if (!json_is_string(text))
			return -1;
		strbuf_add(sb, json_string_value(text), json_string_length(text));
	}
	return 0;
}

/*
 * messages -> system text, [question, answer] history and the last user
 * turn. Consecutive messages of one role are joined with a blank line.
 * Returns NULL or what is wrong.
 */
static const char *split_messages(json_t *messages, struct strbuf *system, json_t *history,
				  struct strbuf *user)
{
	struct strbuf answer = STRBUF_INIT, text = STRBUF_INIT;
	const char *why = NULL;
	int have_answer = 0, have_user = 0;
	size_t i;
	json_t *m;
	if (!json_is_array(messages) || !json_array_size(messages))
		return "'messages' must be a non-empty list";
	json_array_foreach(messages, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		struct strbuf *to;
		strbuf_reset(&text);
		if (!role || content_text(json_object_get(m, "content"), &text)) {
			why = "each message needs a 'role' and a text 'content'";
			break;
		}
		if (!strcmp(role, "system") || !strcmp(role, "developer")) {
			to = system;
		} else if (!strcmp(role, "user")) {
			if (have_answer) {
				json_array_append_new(history, json_pack("[s#s#]", user->buf, user->len,
									 answer.buf, answer.len));
				strbuf_reset(user);
				strbuf_reset(&answer);
				have_answer = have_user = 0;
			}
			to = user;
			have_user = 1;
		} else if (!strcmp(role, "assistant")) {
			to = &answer;
			have_answer = 1;
		} else {
			why = "a message's 'role' must be system, user or assistant";
			break;
		}
		if (to->len)
			strbuf_addstr(to, "\n\n");
		strbuf_add(to, text.buf, text.len);
	}
	if (!why && (have_answer || !have_user))
		why = "the last message must be the user's";
	strbuf_release(&answer);
	strbuf_release(&text);
	return why;
}

static json_t *number_field(json_t *root, const char *key, double lo, double hi, double *out,
			    const char **why)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
		static char msg[96];
		snprintf(msg, sizeof(msg), "'%s' must be a number from %g to %g", key, lo, hi);
		*why = msg;
		return NULL;
	}
	*out = json_number_value(v);
	return v;
}

/* stop: a string or a list of up to SERVE_MAX_STOP strings. */
static const char *parse_stop(json_t *stop, struct job *j)
{
	size_t i;
	json_t *v;
	if (!stop || json_is_null(stop))
		return NULL;
	if (json_is_string(stop)) {
		j->stops[j->nstop++] = xstrdup(json_string_value(stop));
		return NULL;
	}
	if (!json_is_array(stop) || json_array_size(stop) > SERVE_MAX_STOP)
		return "'stop' must be a string or a list of up to 4 strings";
	json_array_foreach(stop, i, v) {
		if (!json_is_string(v))
			return "'stop' must be a string or a list of up to 4 strings";
		j->stops[j->nstop++] = xstrdup(json_string_value(v));
	}
	return NULL;
}

/* The sampling and length fields of a request; NULL or what is wrong. */
static const char *parse_params(const struct server *s, json_t *root, struct job *j)
{
	const char *why = NULL;
	double temperature = 1, top_p = 1, seed = 0, max_tokens = (double)s->lim.max_tokens, n = 1;
	json_t *v, *opts;
	number_field(root, "temperature", 0, 2, &temperature, &why);
	number_field(root, "top_p", 0, 1, &top_p, &why);
	number_field(root, "seed", -9.2e18, 9.2e18, &seed, &why);
	number_field(root, "n", 1, 1, &n, &why);
	if (!number_field(root, "max_completion_tokens", 1, (double)s->lim.max_tokens, &max_tokens, &why))
		number_field(root, "max_tokens", 1, (double)s->lim.max_tokens, &max_tokens, &why);
	if (why)
		return why;
	v = json_object_get(root, "stream");
	if (v && !json_is_boolean(v) && !json_is_null(v))
		return "'stream' must be true or false";
	j->stream = json_is_true(v);
	opts = json_object_get(root, "stream_options");
	j->include_usage = json_is_true(json_object_get(opts, "include_usage"));
	v = json_object_get(json_object_get(root, "response_format"), "type");
	if (v && !json_is_null(v) && (!json_is_string(v) || (strcmp(json_string_value(v), "text") &&
							     strcmp(json_string_value(v), "json_object"))))
		return "'response_format' may be {\"type\": \"text\"} or {\"type\": \"json_object\"} "
		       "(not enforced: ask for JSON in the prompt)";
	if ((why = parse_stop(json_object_get(root, "stop"), j)))
		return why;
	j->max_tokens = (long)max_tokens;
	sampler_init(&j->sampler, temperature, top_p, 0, (uint64_t)(int64_t)seed);
	return NULL;
}

/* The prompt of a request into j->prompt; NULL or what is wrong. */
static const char *build_prompt(const struct server *s, json_t *root, struct job *j)
{
	const struct generator *g = &j->model->g;
	if (j->chat) {
		struct strbuf system = STRBUF_INIT, user = STRBUF_INIT;
		json_t *history = json_array();
		const char *why = split_messages(json_object_get(root, "messages"), &system, history, &user);
		if (!why && chat_render(g, system.buf, user.buf, history, 1 << 30, &j->prompt))
			why = "the messages cannot be encoded with this model's tokenizer";
		json_decref(history);
		strbuf_release(&system);
		strbuf_release(&user);
		if (why)
			return why;
	} else {
		json_t *p = json_object_get(root, "prompt");
		if (json_is_array(p) && json_array_size(p) == 1)
			p = json_array_get(p, 0);
		if (!json_is_string(p))
			return "'prompt' must be a string";
		if (tokenizer_add_bos(g->tok) && tokenizer_bos(g->tok) >= 0)
			token_ids_push(&j->prompt, tokenizer_bos(g->tok));
		if (tokenizer_encode(g->tok, json_string_value(p), json_string_length(p), &j->prompt))
			return "the prompt cannot be encoded with this model's tokenizer";
		if (!j->prompt.n)
			return "'prompt' is empty";
	}
	if (j->prompt.n + 1 > (size_t)s->lim.context)
		return "context";
	return NULL;
}

static int authorized(const struct server *s, const struct http_request *req)
{
	const char *got = req->authorization;
	size_t klen = strlen(s->api_key), glen;
	unsigned diff = 0;
	if (strncmp(got, "Bearer ", 7))
		return 0;
	got += 7;
	glen = strlen(got);
	for (size_t i = 0; i < klen; i++)
		diff |= (unsigned)(unsigned char)s->api_key[i] ^ (unsigned char)(i < glen ? got[i] : 0);
	return !diff && glen == klen;
}

static struct serve_model *find_model(struct server *s, const char *name)
{
	for (int i = 0; i < s->nmodels; i++)
		if (!strcmp(s->models[i].name, name))
			return &s->models[i];
	return NULL;
}

/* A generation request to a job; NULL after writing the error to out. */
static struct job *new_job(struct server *s, const struct http_request *req, int chat,
			   struct strbuf *out, int ka)
{
	char err[160];
	json_t *root = json_parse(req->body, req->content_length, err, sizeof(err));
	const char *name, *why;
	struct job *j;
	if (!json_is_object(root)) {
		if (root)
			snprintf(err, sizeof(err), "the body must be a JSON object");
		json_decref(root);
		http_respond_error(out, 400, "invalid_request_error", NULL, ka, "bad JSON body: %s", err);
		return NULL;
	}
	name = json_string_value(json_object_get(root, "model"));
	if (!name || !find_model(s, name)) {
		http_respond_error(out, name ? 404 : 400, "invalid_request_error", name ? "model_not_found" : NULL,
				   ka, name ? "the model '%s' does not exist; GET /v1/models lists them"
				   : "'model' is required%s; GET /v1/models lists the names", name ? name : "");
		json_decref(root);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->model = find_model(s, name);
	j->chat = chat;
	j->slot = -1;
	j->keep_alive = ka;
	j->created = (long)time(NULL);
	snprintf(j->id, sizeof(j->id), "%s-%lu", chat ? "chatcmpl" : "cmpl", ++s->next_id);
	if (!(why = parse_params(s, root, j)) && !(why = build_prompt(s, root, j))) {
		json_decref(root);
		if (j->stream)
			j->keep_alive = 0;
		return j;
	}
	if (!strcmp(why, "context"))
		http_respond_error(out, 400, "invalid_request_error", "context_length_exceeded", ka,
				   "the prompt is %zu tokens; this server's context is %d (--context)",
				   j->prompt.n, s->lim.context);
	else
		http_respond_error(out, 400, "invalid_request_error", NULL, ka, "%s", why);
	json_decref(root);
	job_free(j);
	return NULL;
}

struct job *api_handle(struct server *s, const struct http_request *req, struct strbuf *out)
{
	int ka = req->keep_alive && !s->stopping, chat;
	const char *path = req->path;
	if (!strncmp(path, "/v1/", 4))
		path += 3;
	if (s->api_key && !authorized(s, req)) {
		http_respond_error(out, 401, "invalid_request_error", "invalid_api_key", ka,
				   "a valid API key is needed (Authorization: Bearer KEY)");
		return NULL;
	}
	if (!strcmp(path, "/models") || !strncmp(path, "/models/", 8) || !strcmp(path, "/health")) {
		if (strcmp(req->method, "GET"))
			http_respond_error(out, 405, "invalid_request_error", NULL, ka, "use GET for %s", req->path);
		else if (!strcmp(path, "/health"))
			http_respond(out, 200, "{}\n", 3, ka);
		else
			get_models(s, path[7] == '/' ? path + 8 : NULL, out, ka);
		return NULL;
	}
	chat = !strcmp(path, "/chat/completions");
	if (!chat && strcmp(path, "/completions")) {
		http_respond_error(out, 404, "invalid_request_error", NULL, ka, "no endpoint '%s' here: "
				   "/v1/models, /v1/chat/completions and /v1/completions", req->path);
		return NULL;
	}
	if (strcmp(req->method, "POST")) {
		http_respond_error(out, 405, "invalid_request_error", NULL, ka, "use POST for %s", req->path);
		return NULL;
	}
	if (s->stopping) {
		http_respond_error(out, 503, "server_error", NULL, 0, "the server is shutting down");
		return NULL;
	}
	return new_job(s, req, chat, out, ka);
}

/* Model text as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void write_text(struct strbuf *out, const char *s, size_t len)
{
	struct strbuf valid = STRBUF_INIT;
	text_append_valid(&valid, s, len);
	json_write_string(out, valid.buf, valid.len);
	strbuf_release(&valid);
}

/* {"id":..,"object":..,"created":..,"model":.., */
static void open_object(const struct job *j, const char *object, struct strbuf *out)
{
	strbuf_addf(out, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%ld,\"model\":", j->id, object, j->created);
	json_write_string(out, j->model->name, strlen(j->model->name));
}

static void add_usage(const struct job *j, struct strbuf *out)
{
	strbuf_addf(out, "\"usage\":{\"prompt_tokens\":%zu,\"completion_tokens\":%zu,\"total_tokens\":%zu}",
		    j->prompt.n, j->d.gen.n, j->prompt.n + j->d.gen.n);
}

/* One SSE event: a chunk with text (or the role) and finish_reason. */
static void sse_event(const struct job *j, const char *text, size_t len, const char *finish,
		      int role, struct strbuf *out)
{
	strbuf_addstr(out, "data: ");
	open_object(j, j->chat ? "chat.completion.chunk" : "text_completion", out);
	strbuf_addstr(out, j->chat ? ",\"choices\":[{\"index\":0,\"delta\":{" : ",\"choices\":[{\"index\":0,\"text\":");
	if (j->chat && role)
		strbuf_addstr(out, "\"role\":\"assistant\",");
	if (j->chat && (text || role))
		strbuf_addstr(out, "\"content\":");
	if (text || role || !j->chat)
		write_text(out, text ? text : "", text ? len : 0);
	if (j->chat)
		strbuf_addch(out, '}');
	strbuf_addstr(out, ",\"logprobs\":null,\"finish_reason\":");
	if (finish)
		strbuf_addf(out, "\"%s\"", finish);
	else
		strbuf_addstr(out, "null");
	strbuf_addstr(out, "}]}\n\n");
}

void api_job_head(const struct job *j, struct strbuf *out)
{
	if (!j->stream)
		return;
	strbuf_addstr(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
		      "Connection: close\r\n\r\n");
	if (j->chat)
		sse_event(j, NULL, 0, NULL, 1, out);
}

void api_job_chunk(const struct job *j, const char *text, size_t len, struct strbuf *out)
{
	sse_event(j, text, len, NULL, 0, out);
}

void api_job_end(const struct job *j, struct strbuf *out, int keep_alive)
{
	const char *finish = j->d.finish ? j->d.finish : "stop";
	struct strbuf body = STRBUF_INIT;
	if (j->stream) {
		sse_event(j, NULL, 0, finish, 0, out);
		if (j->include_usage) {
			strbuf_addstr(out, "data: ");
			open_object(j, j->chat ? "chat.completion.chunk" : "text_completion", out);
			strbuf_addstr(out, ",\"choices\":[],");
			add_usage(j, out);
			strbuf_addstr(out, "}\n\n");
		}
		strbuf_addstr(out, "data: [DONE]\n\n");
		return;
	}
	if (!strcmp(finish, "error")) {
		http_respond_error(out, 500, "server_error", NULL, keep_alive, "the model failed while generating");
		return;
	}
	open_object(j, j->chat ? "chat.completion" : "text_completion", &body);
	strbuf_addstr(&body, j->chat ? ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
		      : ",\"choices\":[{\"index\":0,\"text\":");
	write_text(&body, j->d.text.buf, j->d.text.len);
	strbuf_addf(&body, "%s,\"logprobs\":null,\"finish_reason\":\"%s\"}],", j->chat ? "}" : "", finish);
	add_usage(j, &body);
	strbuf_addstr(&body, "}\n");
	http_respond(out, 200, body.buf, body.len, keep_alive);
	strbuf_release(&body);
}
