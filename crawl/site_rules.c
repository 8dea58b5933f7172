/*
 * site_rules.c - a site source's crawl rules as data: the struct the
 * crawler uses and the JSON kept in sources.rules, so the rules live in
 * the corpus with everything else (no config file to lose).
 */
#include "crawl_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

void site_rules_init(struct site_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->depth = -1;
	r->delay_ms = 1000;
	r->concurrency = 1;
	r->every = 86400;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void site_rules_release(struct site_rules *r)
{
	free(r->url);
	free_list(r->sitemaps, r->sitemaps_nr);
	free_list(r->allow, r->allow_nr);
	free_list(r->deny, r->deny_nr);
	free(r->qa_question);
	free(r->qa_answer);
	free(r->qa_input);
	free(r->content);
	free(r->user_agent);
	site_rules_init(r);
}

static void add_str(struct strbuf *out, const char *key, const char *v)
{
	if (!v)
		return;
	strbuf_addf(out, ",\"%s\":", key);
	json_write_string(out, v, strlen(v));
}

static void add_list(struct strbuf *out, const char *key, char **v, size_t n)
{
	strbuf_addf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(out, ',');
		json_write_string(out, v[i], strlen(v[i]));
	}
	strbuf_addch(out, ']');
}

void site_rules_to_json(const struct site_rules *r, struct strbuf *out)
{
	strbuf_addstr(out, "{\"url\":");
	json_write_string(out, r->url ? r->url : "", r->url ? strlen(r->url) : 0);
	add_list(out, "sitemaps", r->sitemaps, r->sitemaps_nr);
	add_list(out, "allow", r->allow, r->allow_nr);
	add_list(out, "deny", r->deny, r->deny_nr);
	strbuf_addf(out, ",\"depth\":%ld,\"max_pages\":%ld,\"delay_ms\":%ld,\"concurrency\":%ld,"
		    "\"every\":%ld,\"ignore_robots\":%s", r->depth, r->max_pages, r->delay_ms,
		    r->concurrency, r->every, r->ignore_robots ? "true" : "false");
	add_str(out, "qa_question", r->qa_question);
	add_str(out, "qa_answer", r->qa_answer);
	add_str(out, "qa_input", r->qa_input);
	add_str(out, "content", r->content);
	add_str(out, "user_agent", r->user_agent);
	strbuf_addch(out, '}');
}

static char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static long get_int(json_t *o, const char *key, long dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static char **get_list(json_t *o, const char *key, size_t *n)
{
	json_t *a = json_object_get(o, key);
	char **v = NULL;
	*n = 0;
	if (!json_is_array(a))
		return NULL;
	v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	for (size_t i = 0; i < json_array_size(a); i++)
		if (json_is_string(json_array_get(a, i)))
			v[(*n)++] = xstrdup(json_string_value(json_array_get(a, i)));
	return v;
}

int site_rules_from_json(struct site_rules *r, const char *text, const char *name)
{
	char err[160];
	json_t *o = json_parse(text, strlen(text), err, sizeof(err));
	site_rules_init(r);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return error("source '%s': its rules are not a JSON object (%s); "
			     "remove it and add it again", name, o ? "wrong type" : err);
	}
	r->url = get_str(o, "url");
	r->sitemaps = get_list(o, "sitemaps", &r->sitemaps_nr);
	r->allow = get_list(o, "allow", &r->allow_nr);
	r->deny = get_list(o, "deny", &r->deny_nr);
	r->depth = get_int(o, "depth", -1);
	r->max_pages = get_int(o, "max_pages", 0);
	r->delay_ms = get_int(o, "delay_ms", 1000);
	r->concurrency = get_int(o, "concurrency", 1);
	r->every = get_int(o, "every", 86400);
	r->ignore_robots = json_is_true(json_object_get(o, "ignore_robots"));
	r->qa_question = get_str(o, "qa_question");
	r->qa_answer = get_str(o, "qa_answer");
	r->qa_input = get_str(o, "qa_input");
	r->content = get_str(o, "content");
	r->user_agent = get_str(o, "user_agent");
	json_decref(o);
	if (!r->url || !*r->url)
		return error("source '%s' has no start URL; remove it and add it again", name);
	if (r->concurrency < 1)
		r->concurrency = 1;
	if (r->every < 60)
		r->every = 60;
	return 0;
}

int parse_duration(const char *s, long *seconds)
{
	long total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 0 || v > 100000000L)
			return -1;
		long unit = 1;
		switch (*end) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		case 'w': unit = 7 * 86400; end++; break;
		case '\0': break;
		default: return -1;
		}
		total += v * unit;
		if (total > 100L * 365 * 86400)
			return -1;
		s = end;
	}
	*seconds = total;
	return 0;
}

void format_duration(long s, struct strbuf *out)
{
	if (s % 86400 == 0 && s)
		strbuf_addf(out, "%ldd", s / 86400);
	else if (s % 3600 == 0 && s)
		strbuf_addf(out, "%ldh", s / 3600);
	else if (s % 60 == 0 && s)
		strbuf_addf(out, "%ldm", s / 60);
	else
		strbuf_addf(out, "%lds", s);
}
