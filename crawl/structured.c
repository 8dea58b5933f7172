/*
 * structured.c - what a page says about itself as data rather than as
 * visible text: schema.org JSON-LD (QAPage / Question, Article and its
 * kinds, DiscussionForumPosting) and the JSON state script-heavy sites
 * embed for their JavaScript (__NEXT_DATA__, window.__INITIAL_STATE__,
 * js-initialData, ...). Many Q&A sites and app-like news sites serve a
 * page whose visible HTML is an empty shell and whose text is only here.
 *
 * Everything works on the page's bytes, before parsing (the HTML parser
 * drops scripts), through pure functions with no I/O, so hostile pages
 * can be fuzzed against them. Limits: one JSON value at most
 * STRUCTURED_JSON_MAX bytes and STRUCTURED_DEPTH_MAX levels deep (checked
 * by a byte scan before jansson sees it), at most STRUCTURED_NODES_MAX
 * values visited per value, at most STRUCTURED_TEXT_MAX bytes of text.
 */
#define _GNU_SOURCE /* memmem */
#include "crawl.h"
#include "../lib/util.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#define STRUCTURED_NODES_MAX 200000
#define STRUCTURED_TEXT_MAX ((size_t)2 << 20)

void structured_init(struct structured *s)
{
	memset(s, 0, sizeof(*s));
	strbuf_init(&s->title, 0);
	strbuf_init(&s->text, 0);
	strbuf_init(&s->state_title, 0);
	strbuf_init(&s->state_text, 0);
}

void structured_release(struct structured *s)
{
	qa_list_release(&s->qa);
	strbuf_release(&s->title);
	strbuf_release(&s->text);
	strbuf_release(&s->state_title);
	strbuf_release(&s->state_text);
}

/* ---- bytes ---- */

size_t json_value_span(const char *p, size_t len, int max_depth)
{
	int depth = 0, in_string = 0;
	if (!len || (p[0] != '{' && p[0] != '['))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return 0;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* The text of an HTML fragment (a JSON string that may hold markup), appended to out. */
static void fragment_text(const char *s, size_t len, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	if (!memchr(s, '<', len) && !memchr(s, '&', len)) {
		strbuf_add(&tmp, s, len);
	} else {
		htmlDocPtr doc = html_parse(s, len, NULL);
		xmlNodePtr root = xmlDocGetRootElement(doc);
		if (root)
			extract_node_text(root, &tmp);
		xmlFreeDoc(doc);
	}
	strbuf_trim(&tmp);
	strbuf_add(out, tmp.buf, tmp.len);
	strbuf_release(&tmp);
}

/* Appends a paragraph (the text of a JSON string holding text or HTML) to out. */
static void add_paragraph(struct strbuf *out, json_t *v)
{
	if (!json_is_string(v) || out->len >= STRUCTURED_TEXT_MAX)
		return;
	size_t at = out->len;
	if (at)
		strbuf_addstr(out, "\n\n");
	size_t body = out->len;
	fragment_text(json_string_value(v), json_string_length(v), out);
	if (out->len == body) {
		out->len = at;
		out->buf[at] = '\0';
	}
}

static char *string_text(json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	if (json_is_string(v))
		fragment_text(json_string_value(v), json_string_length(v), &sb);
	return strbuf_detach(&sb, NULL);
}

/* ---- schema.org in JSON-LD ---- */

/* 1 if a JSON-LD @type (a string or an array of them) names type. */
static int has_type(json_t *obj, const char *type)
{
	json_t *t = json_object_get(obj, "@type");
	size_t n = json_is_array(t) ? json_array_size(t) : 1;
	for (size_t i = 0; i < n && i < 16; i++) {
		json_t *one = json_is_array(t) ? json_array_get(t, i) : t;
		const char *s = json_string_value(one);
		if (!s)
			continue;
		const char *slash = strrchr(s, '/'), *colon = strrchr(s, ':');
		if (slash)
			s = slash + 1;
		else if (colon)
			s = colon + 1;
		if (!strcmp(s, type))
			return 1;
	}
	return 0;
}

/* The first object of v (an object, or an array holding one). */
static json_t *first_object(json_t *v)
{
	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_is_object(v) ? v : NULL;
}

/* A vote count: a JSON number or a string holding one; 0 when absent. */
static long vote_count(json_t *answer)
{
	json_t *v = json_object_get(answer, "upvoteCount");
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_real(v))
		return (long)json_real_value(v);
	long k;
	if (json_is_string(v) && !parse_long(json_string_value(v), -1000000000L, 1000000000L, &k))
		return k;
	return 0;
}

/*
 * A schema.org Question: one record (name as instruction, its text as
 * input when it says more, the accepted answer else the most upvoted
 * suggested one as output), and the whole thread as text.
 */
static void ld_question(json_t *q, struct structured *out)
{
	json_t *name = json_object_get(q, "name"), *text = json_object_get(q, "text");
	json_t *suggested = json_object_get(q, "suggestedAnswer");
	json_t *best = first_object(json_object_get(q, "acceptedAnswer"));
	if (!json_is_string(name))
		name = json_object_get(q, "headline");
	if (!json_is_string(name)) {
		name = text;
		text = NULL;
	}
	if (!best) {
		long best_votes = 0;
		size_t n = json_is_array(suggested) ? json_array_size(suggested) : 1;
		for (size_t i = 0; i < n; i++) {
			json_t *a = json_is_array(suggested) ? json_array_get(suggested, i) : suggested;
			if (json_is_object(a) && json_is_string(json_object_get(a, "text")) &&
			    (!best || vote_count(a) > best_votes)) {
				best = a;
				best_votes = vote_count(a);
			}
		}
	}
	char *instruction = string_text(name), *input = string_text(text);
	char *output = best ? string_text(json_object_get(best, "text")) : xstrdup("");
	if (!strcmp(input, instruction))
		*input = '\0';
	if (*instruction && *output) {
		qa_list_add(&out->qa, instruction, input, output, "schema.org");
	} else {
		free(instruction);
		free(input);
		free(output);
	}
	/* the thread as text: question, accepted answer, suggested answers */
	if (!out->title.len && json_is_string(name))
		strbuf_addstr(&out->title, json_string_value(name));
	add_paragraph(&out->text, name);
	add_paragraph(&out->text, text);
	json_t *accepted = first_object(json_object_get(q, "acceptedAnswer"));
	if (accepted)
		add_paragraph(&out->text, json_object_get(accepted, "text"));
	for (size_t i = 0; json_is_array(suggested) && i < json_array_size(suggested); i++)
		add_paragraph(&out->text, json_object_get(json_array_get(suggested, i), "text"));
	if (json_is_object(suggested))
		add_paragraph(&out->text, json_object_get(suggested, "text"));
	out->text_from = "schema.org";
}

/* A forum posting and its comments, in order, as text. */
static void ld_posting(json_t *p, int depth, struct structured *out)
{
	json_t *body = json_object_get(p, "articleBody");
	if (!json_is_string(body))
		body = json_object_get(p, "text");
	if (!depth) {
		json_t *headline = json_object_get(p, "headline");
		if (!json_is_string(headline))
			headline = json_object_get(p, "name");
		if (!out->title.len && json_is_string(headline))
			strbuf_addstr(&out->title, json_string_value(headline));
		add_paragraph(&out->text, headline);
	}
	add_paragraph(&out->text, body);
	json_t *comments = json_object_get(p, "comment");
	if (depth < 8)
		for (size_t i = 0; json_is_array(comments) && i < json_array_size(comments); i++)
			if (json_is_object(json_array_get(comments, i)))
				ld_posting(json_array_get(comments, i), depth + 1, out);
	out->text_from = "schema.org";
}

static const char *const article_types[] = { "Article", "NewsArticle", "BlogPosting",
	"TechArticle", "ScholarlyArticle", "Report", "ReportageNewsArticle", "AnalysisNewsArticle",
	"OpinionNewsArticle", "LiveBlogPosting" };

static void ld_walk(json_t *v, int depth, long *budget, struct structured *out)
{
	if (depth > STRUCTURED_DEPTH_MAX || --*budget < 0)
		return;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			ld_walk(json_array_get(v, i), depth + 1, budget, out);
		return;
	}
	if (!json_is_object(v))
		return;
	if (has_type(v, "Question")) {
		ld_question(v, out);
		return;
	}
	if (has_type(v, "DiscussionForumPosting") || has_type(v, "SocialMediaPosting")) {
		ld_posting(v, 0, out);
		return;
	}
	for (size_t i = 0; i < sizeof(article_types) / sizeof(article_types[0]); i++)
		if (has_type(v, article_types[i]) && json_is_string(json_object_get(v, "articleBody"))) {
			json_t *headline = json_object_get(v, "headline");
			if (!out->title.len && json_is_string(headline))
				strbuf_addstr(&out->title, json_string_value(headline));
			add_paragraph(&out->text, json_object_get(v, "articleBody"));
			out->text_from = "schema.org";
			return;
		}
	const char *key;
	json_t *value;
	json_object_foreach(v, key, value)
		if (json_is_object(value) || json_is_array(value))
			ld_walk(value, depth + 1, budget, out);
}

/* Parses one JSON value of at most STRUCTURED_JSON_MAX bytes and depth; NULL if it is not one. */
static json_t *load_bounded(const char *json, size_t len)
{
	while (len && (*json == ' ' || *json == '\n' || *json == '\r' || *json == '\t'))
		json++, len--;
	if (len > STRUCTURED_JSON_MAX)
		return NULL;
	size_t span = json_value_span(json, len, STRUCTURED_DEPTH_MAX);
	if (!span)
		return NULL;
	return json_loadb(json, span, JSON_ALLOW_NUL, NULL);
}

int structured_from_jsonld(const char *json, size_t len, struct structured *out)
{
	json_t *root = load_bounded(json, len);
	long budget = STRUCTURED_NODES_MAX;
	if (!root)
		return -1;
	ld_walk(root, 0, &budget, out);
	json_decref(root);
	return 0;
}

/* ---- embedded application state ---- */

#define STATE_PARAGRAPHS_MAX 4096
struct state_seen {
	uint64_t hashes[STATE_PARAGRAPHS_MAX];
	size_t nr;
};

/* Keys whose string values are a page's text in the state apps embed. */
static int text_key(const char *k)
{
	static const char *const keys[] = { "content", "body", "text", "articleBody", "contentHtml",
		"content_html", "bodyHtml", "body_html", "html", "detail", "excerpt", "answer",
		"message", "postContent", "description", "summary", "abstract" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

/*
 * 1 for text a reader would read: words with spaces between them (or
 * Chinese, Japanese, Korean: three bytes a character, no spaces), not a
 * URL, an identifier list or base64.
 */
static int reads_as_prose(const char *t, size_t n)
{
	size_t spaces = 0, high = 0;
	if (!strncmp(t, "http", 4))
		return 0;
	for (size_t i = 0; i < n; i++) {
		spaces += t[i] == ' ';
		high += (unsigned char)t[i] >= 0xe3 && (unsigned char)t[i] <= 0xed;
	}
	return spaces * 12 >= n || high >= 20;
}

/* Appends v's text if it reads like prose (long enough) and is new to seen. */
static void state_paragraph(json_t *v, struct strbuf *out, struct state_seen *seen)
{
	char *t = string_text(v);
	size_t n = strlen(t);
	uint64_t h = hash64(t, n, 0x7374617465ULL);
	int dup = 0;
	for (size_t i = 0; i < seen->nr && !dup; i++)
		dup = seen->hashes[i] == h;
	/* 60 bytes: about 20 Chinese characters or a dozen English words */
	if (n >= 60 && !dup && reads_as_prose(t, n) && out->len < STRUCTURED_TEXT_MAX && seen->nr < STATE_PARAGRAPHS_MAX) {
		seen->hashes[seen->nr++] = h;
		if (out->len)
			strbuf_addstr(out, "\n\n");
		strbuf_add(out, t, n);
	}
	free(t);
}

static void state_walk(json_t *v, int depth, long *budget, struct structured *out,
		       struct state_seen *seen)
{
	if (depth > STRUCTURED_DEPTH_MAX || --*budget < 0)
		return;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			state_walk(json_array_get(v, i), depth + 1, budget, out, seen);
		return;
	}
	const char *key;
	json_t *value;
	json_object_foreach(v, key, value) {
		if (json_is_string(value) && text_key(key))
			state_paragraph(value, &out->state_text, seen);
		else if (json_is_string(value) && !out->state_title.len && !strcmp(key, "title") &&
			 json_string_length(value) < 400)
			strbuf_addstr(&out->state_title, json_string_value(value));
		else if (json_is_object(value) || json_is_array(value))
			state_walk(value, depth + 1, budget, out, seen);
	}
}

int structured_from_state(const char *json, size_t len, struct structured *out)
{
	json_t *root = load_bounded(json, len);
	long budget = STRUCTURED_NODES_MAX;
	if (!root)
		return -1;
	struct state_seen *seen = xmalloc(sizeof(*seen));
	seen->nr = 0;
	state_walk(root, 0, &budget, out, seen);
	free(seen);
	json_decref(root);
	return 0;
}

/* ---- finding the scripts ---- */

/* The value of attribute name in the tag attributes [p, end), or NULL; *vlen its length. */
static const char *tag_attr(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	for (; p + n < end; p++) {
		if (strncasecmp(p, name, n) || (p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n'))
			continue;
		const char *q = p + n;
		while (q < end && *q == ' ')
			q++;
		if (q >= end || *q != '=')
			continue;
		q++;
		while (q < end && *q == ' ')
			q++;
		char quote = q < end && (*q == '"' || *q == '\'') ? *q++ : 0;
		const char *v = q;
		while (q < end && (quote ? *q != quote : *q != ' ' && *q != '>'))
			q++;
		*vlen = (size_t)(q - v);
		return v;
	}
	return NULL;
}

static int span_has(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i + n <= len; i++)
		if (!strncasecmp(s + i, word, n))
			return 1;
	return 0;
}

/* Where the state object assigned to a known global starts in a script, or NULL. */
static const char *state_assignment(const char *s, const char *end)
{
	static const char *const globals[] = { "__INITIAL_STATE__", "__PRELOADED_STATE__",
		"__NUXT__", "__APOLLO_STATE__", "__INITIAL_DATA__", "__NEXT_DATA__", "__STATE__" };
	/* one pass over the script: every global starts with "__" */
	for (const char *at = s; (at = memmem(at, (size_t)(end - at), "__", 2)) != NULL; at += 2) {
		size_t i, n = 0;
		for (i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
			n = strlen(globals[i]);
			if ((size_t)(end - at) >= n && !memcmp(at, globals[i], n))
				break;
		}
		if (i == sizeof(globals) / sizeof(globals[0]))
			continue;
		const char *v = at + n;
		while (v < end && (*v == ' ' || *v == '\n' || *v == '"' || *v == '\'' || *v == ']'))
			v++;
		if (v < end && *v == '=') {
			v++;
			while (v < end && (*v == ' ' || *v == '\n' || *v == '\t'))
				v++;
			if (v < end && (*v == '{' || *v == '['))
				return v;
		}
		at = v - 2;
	}
	return NULL;
}

/*
 * Reads one <script> whose attributes are [attrs, attrs_end) and body
 * [body, body_end): JSON-LD, or with state set, embedded state.
 */
static void one_script(const char *attrs, const char *attrs_end, const char *body,
		       const char *body_end, struct structured *out, int state)
{
	size_t tl = 0, il = 0, len = (size_t)(body_end - body);
	const char *type = tag_attr(attrs, attrs_end, "type", &tl);
	const char *id = tag_attr(attrs, attrs_end, "id", &il);
	/* some sites wrap JSON-LD in an HTML comment or CDATA */
	static const char *const wrappers[] = { "<!--", "//<![CDATA[", "<![CDATA[" };
	while (len && (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t'))
		body++, len--;
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (len >= strlen(wrappers[i]) && !memcmp(body, wrappers[i], strlen(wrappers[i]))) {
			body += strlen(wrappers[i]);
			len -= strlen(wrappers[i]);
			break;
		}
	if (type && span_has(type, tl, "ld+json")) {
		if (!state)
			structured_from_jsonld(body, len, out);
	} else if (!state) {
		return;
	} else if ((type && span_has(type, tl, "json")) ||
		   (id && (span_has(id, il, "__NEXT_DATA__") || span_has(id, il, "initialData")))) {
		structured_from_state(body, len, out);
	} else if (!type || span_has(type, tl, "javascript")) {
		const char *at = state_assignment(body, body_end);
		if (at)
			structured_from_state(at, (size_t)(body_end - at), out);
	}
}

static void scan_scripts(const char *html, size_t len, struct structured *out, int state)
{
	const char *p = html, *end = html + len;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || end - lt < 8)
			break;
		p = lt + 1;
		if ((p[0] | 0x20) != 's' || strncasecmp(p, "script", 6) ||
		    (p[6] != ' ' && p[6] != '>' && p[6] != '\t' && p[6] != '\n'))
			continue;
		const char *attrs = p + 6, *gt = memchr(attrs, '>', (size_t)(end - attrs));
		if (!gt)
			break;
		const char *body = gt + 1, *close = body;
		for (;;) {
			close = memchr(close, '<', (size_t)(end - close));
			if (!close || (end - close >= 8 && !strncasecmp(close, "</script", 8)))
				break;
			close++;
		}
		if (!close)
			close = end;
		one_script(attrs, gt, body, close, out, state);
		p = close;
	}
}

void structured_scan(const char *html, size_t len, struct structured *out)
{
	out->html = html;
	out->html_len = len;
	scan_scripts(html, len, out, 0);
}

void structured_state(struct structured *s)
{
	/* schema.org text, when the page has it, is the better of the two */
	if (s->text_from)
		return;
	if (s->html)
		scan_scripts(s->html, s->html_len, s, 1);
	if (s->state_text.len) {
		strbuf_add(&s->text, s->state_text.buf, s->state_text.len);
		strbuf_add(&s->title, s->state_title.buf, s->state_title.len);
		s->text_from = "embedded state";
	}
}
