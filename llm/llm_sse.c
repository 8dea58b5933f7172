/*
 * llm_sse.c - streamed chat completions: server-sent events arrive in
 * arbitrary chunks, so lines are carried over between chunks; each
 * "data: {json}" line adds its delta content, finish_reason and usage.
 * Keep-alive comments (": ping") and blank lines, which some platforms send
 * for minutes under load, are ignored; the client's deadline bounds them.
 */
#include "llm.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <string.h>

/* Longest line kept; a longer one is cut (and then fails to parse). */
#define SSE_LINE_MAX (1 << 20)

void llm_sse_init(struct llm_sse *s)
{
	memset(s, 0, sizeof(*s));
	strbuf_init(&s->line, 0);
	strbuf_init(&s->content, 0);
}

void llm_sse_release(struct llm_sse *s)
{
	strbuf_release(&s->line);
	strbuf_release(&s->content);
}

static void sse_data(struct llm_sse *s, const char *data, size_t len)
{
	char err[120];
	json_t *root, *choice, *delta, *v, *usage;
	while (len && (*data == ' ' || *data == '\t'))
		data++, len--;
	if (!len)
		return;
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		s->done = 1;
		return;
	}
	root = json_parse(data, len, err, sizeof(err));
	if (!root || !json_is_object(root)) {
		s->bad = 1;
		json_decref(root);
		return;
	}
	s->events++;
	choice = json_array_get(json_object_get(root, "choices"), 0);
	delta = json_object_get(choice, "delta");
	if (!delta)
		delta = json_object_get(choice, "message");
	v = json_object_get(delta, "content");
	if (json_is_string(v))
		strbuf_add(&s->content, json_string_value(v), json_string_length(v));
	v = json_object_get(choice, "finish_reason");
	if (json_is_string(v) && json_string_length(v))
		snprintf(s->finish_reason, sizeof(s->finish_reason), "%s", json_string_value(v));
	usage = json_object_get(root, "usage");
	if (json_is_object(usage)) {
		v = json_object_get(usage, "prompt_tokens");
		if (json_is_integer(v))
			s->tokens_in = (long)json_integer_value(v);
		v = json_object_get(usage, "completion_tokens");
		if (json_is_integer(v))
			s->tokens_out = (long)json_integer_value(v);
	}
	json_decref(root);
}

static void sse_line(struct llm_sse *s, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len || line[0] == ':')
		return;		/* event boundary or keep-alive comment */
	if (len >= 5 && !memcmp(line, "data:", 5))
		sse_data(s, line + 5, len - 5);
	/* event:, id:, retry: carry nothing we use */
}

void llm_sse_feed(struct llm_sse *s, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (s->line.len < SSE_LINE_MAX)
			strbuf_add(&s->line, data, n < SSE_LINE_MAX - s->line.len ? n : SSE_LINE_MAX - s->line.len);
		if (!nl)
			return;
		sse_line(s, s->line.buf, s->line.len);
		strbuf_reset(&s->line);
		data += n + 1;
		len -= n + 1;
	}
}

void llm_sse_finish(struct llm_sse *s)
{
	if (s->line.len)
		sse_line(s, s->line.buf, s->line.len);
	strbuf_reset(&s->line);
}
