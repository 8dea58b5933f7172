/*
 * microdata.c - schema.org Question markup in HTML microdata
 * (itemscope itemtype="https://schema.org/Question" with itemprop name,
 * text, acceptedAnswer, suggestedAnswer, upvoteCount): Q&A records with
 * no per-site rules, as structured.c makes them from JSON-LD. Reads a tree
 * parsed with its attributes kept (not HTML_TEXT_ONLY).
 */
#include "crawl.h"
#include "../lib/util.h"

#include <string.h>
#include <strings.h>

#define MICRODATA_DEPTH_MAX 64

/* 1 if the space-separated list attr of n holds word (ignoring case). */
static int token_in(xmlNodePtr n, const char *attr, const char *word)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	size_t wl = strlen(word);
	int r = 0;
	for (const char *s = (const char *)v; s && *s && !r;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		r = (size_t)(e - s) == wl && !strncasecmp(s, word, wl);
		s = e;
	}
	xmlFree(v);
	return r;
}

static int is_scope(xmlNodePtr n)
{
	return xmlHasProp(n, (const xmlChar *)"itemscope") != NULL;
}

static int is_question(xmlNodePtr n)
{
	xmlChar *t = xmlGetProp(n, (const xmlChar *)"itemtype");
	size_t len = t ? strlen((const char *)t) : 0;
	int r = len >= 8 && !strcasecmp((const char *)t + len - 8, "Question");
	xmlFree(t);
	return r && is_scope(n);
}

/*
 * The properties called name of the item scope (not of items nested in
 * it), in page order, up to max into found. Returns how many.
 */
static int item_props(xmlNodePtr scope, const char *name, xmlNodePtr *found, int max, int depth)
{
	int nr = 0;
	if (depth > MICRODATA_DEPTH_MAX)
		return 0;
	for (xmlNodePtr c = scope->children; c && nr < max; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (token_in(c, "itemprop", name))
			found[nr++] = c;
		else if (!is_scope(c))
			nr += item_props(c, name, found + nr, max - nr, depth + 1);
	}
	return nr;
}

static xmlNodePtr item_prop(xmlNodePtr scope, const char *name)
{
	xmlNodePtr n = NULL;
	return item_props(scope, name, &n, 1, 0) ? n : NULL;
}

/* A property's value: its content attribute (meta), else its text. */
static char *prop_text(xmlNodePtr n)
{
	struct strbuf sb = STRBUF_INIT;
	xmlChar *content = n ? xmlGetProp(n, (const xmlChar *)"content") : NULL;
	if (content) {
		strbuf_addstr(&sb, (const char *)content);
		strbuf_trim(&sb);
		xmlFree(content);
	} else if (n) {
		extract_node_text(n, &sb);
	}
	return strbuf_detach(&sb, NULL);
}

/* An answer's text: its itemprop=text, else all of it. */
static char *answer_text(xmlNodePtr a)
{
	xmlNodePtr t = item_prop(a, "text");
	return prop_text(t ? t : a);
}

static long answer_votes(xmlNodePtr a)
{
	char *s = prop_text(item_prop(a, "upvoteCount"));
	long v = 0;
	if (parse_long(s, -1000000000L, 1000000000L, &v))
		v = 0;
	free(s);
	return v;
}

static void question_record(xmlNodePtr q, struct qa_list *out)
{
	xmlNodePtr answers[256];
	xmlNodePtr best = item_prop(q, "acceptedAnswer");
	if (!best) {
		int n = item_props(q, "suggestedAnswer", answers, 256, 0);
		long best_votes = 0;
		for (int i = 0; i < n; i++)
			if (!best || answer_votes(answers[i]) > best_votes) {
				best = answers[i];
				best_votes = answer_votes(answers[i]);
			}
	}
	if (!best)
		return;
	char *instruction = prop_text(item_prop(q, "name")), *input = prop_text(item_prop(q, "text"));
	if (!*instruction) {
		free(instruction);
		instruction = input;
		input = xstrdup("");
	}
	char *output = answer_text(best);
	if (*instruction && *output) {
		if (!strcmp(input, instruction))
			*input = '\0';
		qa_list_add(out, instruction, input, output, "schema.org");
	} else {
		free(instruction);
		free(input);
		free(output);
	}
}

int microdata_qa(htmlDocPtr doc, struct qa_list *out)
{
	size_t before = out->nr;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	/* iterative walk: pages can be deeper than is wise to recurse */
	for (xmlNodePtr n = root; n;) {
		if (n->type == XML_ELEMENT_NODE && is_question(n)) {
			question_record(n, out);
		} else if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent == (xmlNodePtr)doc ? NULL : n->parent;
		if (n)
			n = n->next;
	}
	return (int)(out->nr - before);
}
