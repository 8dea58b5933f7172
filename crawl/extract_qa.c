/*
 * extract_qa.c - what a page yields besides its main text: Q&A records
 * from the --qa XPath rules, and the links the crawler follows.
 *
 * Q&A pages mark their best answer in many ways; the ones recognised are
 * generic markup, not any one site: schema.org (itemprop acceptedAnswer,
 * upvoteCount), "accepted" in a class, id or aria-label, and vote counts in
 * data-score / data-votes attributes or in an element whose class says
 * vote-count, votes or score, inside the answer or in the wrappers around
 * it that hold no other answer. The accepted answer wins,
 * then the most voted, then the first in page order.
 */
#include "crawl.h"
#include "../lib/util.h"

#include <libxml/xpath.h>
#include <string.h>
#include <strings.h>

void qa_list_release(struct qa_list *list)
{
	for (size_t i = 0; i < list->nr; i++) {
		free(list->items[i].instruction);
		free(list->items[i].input);
		free(list->items[i].output);
	}
	free(list->items);
	list->items = NULL;
	list->nr = list->alloc = 0;
}

void qa_list_add(struct qa_list *list, char *instruction, char *input, char *output,
		 const char *from)
{
	if (list->nr == list->alloc) {
		list->alloc = list->alloc ? 2 * list->alloc : 4;
		list->items = xrealloc(list->items, list->alloc * sizeof(*list->items));
	}
	struct qa_record *r = &list->items[list->nr++];
	r->instruction = instruction;
	r->input = input;
	r->output = output;
	r->from = from;
}

static int prop_contains(xmlNodePtr n, const char *attr, const char *word)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	int r = 0;
	if (v) {
		size_t wl = strlen(word);
		for (const xmlChar *p = v; *p && !r; p++)
			r = !strncasecmp((const char *)p, word, wl);
		xmlFree(v);
	}
	return r;
}

static int marks_accepted(xmlNodePtr n)
{
	return prop_contains(n, "itemprop", "acceptedanswer") ||
	       prop_contains(n, "class", "accepted") || prop_contains(n, "id", "accepted") ||
	       prop_contains(n, "aria-label", "accepted") || prop_contains(n, "class", "best-answer") ||
	       prop_contains(n, "class", "solution");
}

static int subtree_accepted(xmlNodePtr n, int depth)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    (marks_accepted(c) || (depth < 6 && subtree_accepted(c, depth + 1))))
			return 1;
	return 0;
}

/* 1 if the answer node, an ancestor (3 levels) or a descendant marks it accepted. */
static int is_accepted(xmlNodePtr n)
{
	int k = 0;
	for (xmlNodePtr a = n; a && a->type == XML_ELEMENT_NODE && k < 3; a = a->parent, k++)
		if (marks_accepted(a))
			return 1;
	return subtree_accepted(n, 0);
}

static int number_in(const xmlChar *s, long *out)
{
	while (s && *s && (*s == ' ' || *s == '\n' || *s == '\t'))
		s++;
	if (!s || !*s)
		return 0;
	char buf[32];
	size_t k = 0;
	if (*s == '+' || *s == '-')
		buf[k++] = (char)*s++;
	while (*s >= '0' && *s <= '9' && k + 1 < sizeof(buf))
		buf[k++] = (char)*s++;
	buf[k] = '\0';
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	return !*s && !parse_long(buf, -1000000000L, 1000000000L, out);
}

static int in_set(xmlNodeSetPtr set, xmlNodePtr n)
{
	for (int i = 0; set && i < set->nodeNr; i++)
		if (set->nodeTab[i] == n)
			return 1;
	return 0;
}

/*
 * The vote count the markup gives n, or 0 when found is left 0. Subtrees
 * that are answers of their own (in skip) are not searched: the count
 * found must be this answer's.
 */
static long votes_of(xmlNodePtr n, int depth, int *found, xmlNodeSetPtr skip)
{
	static const char *const attrs[] = { "data-score", "data-votes", "data-vote-count",
		"data-upvotes", "data-likes" };
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		xmlChar *v = xmlGetProp(n, (const xmlChar *)attrs[i]);
		long k;
		int ok = v && number_in(v, &k);
		xmlFree(v);
		if (ok) {
			*found = 1;
			return k;
		}
	}
	if (prop_contains(n, "itemprop", "upvotecount") || prop_contains(n, "class", "vote-count") ||
	    prop_contains(n, "class", "votecount") || prop_contains(n, "class", "score") ||
	    prop_contains(n, "class", "votes")) {
		xmlChar *v = xmlGetProp(n, (const xmlChar *)"content");
		if (!v)
			v = xmlNodeGetContent(n);
		long k;
		int ok = v && number_in(v, &k);
		xmlFree(v);
		if (ok) {
			*found = 1;
			return k;
		}
	}
	if (depth < 8)
		for (xmlNodePtr c = n->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !in_set(skip, c)) {
				long k = votes_of(c, depth + 1, found, skip);
				if (*found)
					return k;
			}
	return 0;
}

/* 1 if a holds a node of set other than n. */
static int holds_other(xmlNodePtr a, xmlNodePtr n, xmlNodeSetPtr set)
{
	for (int i = 0; i < set->nodeNr; i++)
		if (set->nodeTab[i] != n)
			for (xmlNodePtr p = set->nodeTab[i]->parent; p; p = p->parent)
				if (p == a)
					return 1;
	return 0;
}

/*
 * The vote count of one answer: in the answer node, else in its wrappers,
 * the ancestors that hold no other answer. Sites often put the count
 * beside the text the answer XPath selects:
 * <div class="answer"><div class="votes">12</div><div class="post-text">.
 */
static long answer_votes(xmlNodePtr answer, xmlNodeSetPtr answers, int *found)
{
	long v = votes_of(answer, 0, found, answers);
	for (xmlNodePtr a = answer->parent; !*found && a && a->type == XML_ELEMENT_NODE &&
	     !holds_other(a, answer, answers); a = a->parent)
		v = votes_of(a, 0, found, answers);
	return v;
}

static xmlXPathObjectPtr eval_at(xmlXPathContextPtr ctx, xmlNodePtr at, const char *xpath,
				 const char *option)
{
	ctx->node = at;
	xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	if (!r)
		error("invalid XPath '%s' in %s", xpath, option);
	return r;
}

static char *node_text(xmlNodePtr n)
{
	struct strbuf sb = STRBUF_INIT;
	if (n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE ||
	    n->type == XML_HTML_DOCUMENT_NODE) {
		extract_node_text(n, &sb);
	} else {
		xmlChar *s = xmlNodeGetContent(n);
		if (s) {
			strbuf_addstr(&sb, (const char *)s);
			strbuf_trim(&sb);
			xmlFree(s);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static int nodeset_nr(xmlXPathObjectPtr r)
{
	return r && r->type == XPATH_NODESET && r->nodesetval ? r->nodesetval->nodeNr : 0;
}

/* Index of the answer to keep: accepted, else most voted, else first. */
static int best_answer(xmlXPathObjectPtr answers)
{
	int n = nodeset_nr(answers), best = 0, voted = 0;
	long best_votes = 0;
	for (int i = 0; i < n; i++)
		if (is_accepted(answers->nodesetval->nodeTab[i]))
			return i;
	/* with one answer there is nothing to compare, nor a wrapper to stop at */
	for (int i = 0; i < n; i++) {
		int found = 0;
		long v = n > 1 ? answer_votes(answers->nodesetval->nodeTab[i], answers->nodesetval,
					      &found) : 0;
		if (found && (!voted || v > best_votes)) {
			best = i;
			best_votes = v;
			voted = 1;
		}
	}
	return best;
}

int extract_qa(htmlDocPtr doc, const struct extract_rules *rules, struct qa_list *out)
{
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr questions;
	int added = 0;
	if (!rules->qa_question || !rules->qa_answer)
		return 0;
	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		return error("out of memory evaluating --qa");
	questions = eval_at(ctx, (xmlNodePtr)doc, rules->qa_question, "--qa");
	if (!questions) {
		xmlXPathFreeContext(ctx);
		return -1;
	}
	for (int q = 0; q < nodeset_nr(questions); q++) {
		xmlNodePtr qn = questions->nodesetval->nodeTab[q];
		xmlXPathObjectPtr answers = eval_at(ctx, qn, rules->qa_answer, "--qa");
		xmlXPathObjectPtr input = NULL;
		if (!answers) {
			added = -1;
			break;
		}
		if (rules->qa_input && !(input = eval_at(ctx, qn, rules->qa_input, "--qa-input"))) {
			xmlXPathFreeObject(answers);
			added = -1;
			break;
		}
		if (nodeset_nr(answers)) {
			char *instruction = node_text(qn);
			char *output = node_text(answers->nodesetval->nodeTab[best_answer(answers)]);
			if (*instruction && *output) {
				qa_list_add(out, instruction,
					    nodeset_nr(input) ? node_text(input->nodesetval->nodeTab[0])
							      : xstrdup(""),
					    output, "rules");
				added++;
			} else {
				free(instruction);
				free(output);
			}
		}
		xmlXPathFreeObject(answers);
		xmlXPathFreeObject(input);
	}
	xmlXPathFreeObject(questions);
	xmlXPathFreeContext(ctx);
	return added;
}

/* ---- links ---- */

static int rel_has_next(xmlNodePtr n)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"rel");
	int r = 0;
	if (v) {
		const char *s = (const char *)v;
		while (*s && !r) {
			while (*s == ' ')
				s++;
			const char *e = s;
			while (*e && *e != ' ')
				e++;
			r = e - s == 4 && !strncasecmp(s, "next", 4);
			s = e;
		}
		xmlFree(v);
	}
	return r;
}

void extract_links(htmlDocPtr doc, const char *base,
		   void (*fn)(void *ctx, const char *url, int rel_next), void *fnctx)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct strbuf url = STRBUF_INIT;
	char *doc_base = NULL;
	/* iterative walk: pages can be deeper than is wise to recurse */
	for (xmlNodePtr n = root; n;) {
		if (n->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)n->name;
			if ((name[0] == 'a' && !name[1]) || !strcmp(name, "link") || !strcmp(name, "area") ||
			    (!doc_base && !strcmp(name, "base"))) {
				xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
				if (href && !strcmp(name, "base")) {
					strbuf_reset(&url);
					if (!url_resolve(base, (const char *)href, &url))
						doc_base = xstrdup(url.buf);
				} else if (href) {
					int next = rel_has_next(n);
					strbuf_reset(&url);
					if ((name[0] != 'l' || next) &&
					    !url_resolve(doc_base ? doc_base : base, (const char *)href, &url))
						fn(fnctx, url.buf, next);
				}
				xmlFree(href);
			}
			if (n->children) {
				n = n->children;
				continue;
			}
		}
		while (n && !n->next)
			n = n->parent == (xmlNodePtr)doc ? NULL : n->parent;
		if (n)
			n = n->next;
	}
	free(doc_base);
	strbuf_release(&url);
}
