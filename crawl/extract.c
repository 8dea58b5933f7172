/*
 * extract.c - the main text of an HTML page, readability-style.
 *
 * Three passes over the libxml2 tree:
 *  1. prune what is never content: scripts, styles, forms controls, hidden
 *     elements, and boilerplate by tag (nav, aside, footer, header), ARIA
 *     role and class/id words (sidebar, cookie, share, signature, ...).
 *     A boilerplate hint never removes an element holding most of the
 *     page's text: on a forum whose posts sit in class="comment" elements,
 *     the comments are the content.
 *  2. weigh every block: its own text (not counting nested blocks) minus
 *     link text, if it reads like prose. A block's mass counts towards all
 *     its ancestors.
 *  3. the container is the deepest element holding most of the page's
 *     mass. Unlike picking the single best-scoring element (readability),
 *     this keeps every post of a forum thread and every answer of a Q&A
 *     page, since together they are the mass; sidebars and footers are
 *     not. The container is rendered with headings, paragraphs, list
 *     items, table rows and code kept, minus link-dense blocks inside it.
 * A page with almost no prose is a listing: its link text counts as prose.
 * WINNOW_EXTRACT_DEBUG=1 prints what was pruned and the container chosen.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Share of the page's prose the container must hold. */
#define CONTAINER_SHARE 0.70
/* A boilerplate hint is ignored on elements with more of the text than this. */
#define PRUNE_GUARD_SHARE 0.40
/* How far up a container may widen to take in repeated posts. */
#define REPEAT_MAX_CLIMB 6
/* Alike siblings must hold this much prose, relative to the one on the path. */
#define REPEAT_MIN_SHARE 0.10
/* Pages with less prose than this (characters) are listings. */
#define LISTING_MAX_PROSE 400
/* Blocks inside the container whose text is mostly links are dropped. */
#define MAX_LINK_DENSITY 0.60

struct node_stats {
	uint32_t text;		/* characters of text below, links included */
	uint32_t link;		/* characters of text inside <a> below */
	uint32_t own_text;	/* text whose nearest block ancestor is this node */
	uint32_t own_link;
	double mass;		/* prose weight of this block and all below */
};

struct stats_table {
	struct node_stats *v;
	size_t nr, alloc;
	int links_are_content;	/* a page of links (listing): link text is prose */
};

enum tag_kind {
	TAG_INLINE = 0,
	TAG_BLOCK = 1 << 0,	/* starts a new line in the rendering */
	TAG_DROP = 1 << 1,	/* never content */
	TAG_BOILER = 1 << 2,	/* boilerplate by default (nav, aside, ...) */
	TAG_HEADING = 1 << 3,
	TAG_ITEM = 1 << 4,	/* list item / table row: single line break */
	TAG_CELL = 1 << 5,
	TAG_PRE = 1 << 6,
	TAG_BREAK = 1 << 7
};

static const struct {
	const char *name;
	unsigned kind;
} tag_kinds[] = {
	{ "address", TAG_BLOCK }, { "article", TAG_BLOCK }, { "aside", TAG_BLOCK | TAG_BOILER },
	{ "blockquote", TAG_BLOCK }, { "body", TAG_BLOCK }, { "br", TAG_BREAK },
	{ "button", TAG_DROP }, { "canvas", TAG_DROP }, { "caption", TAG_BLOCK },
	{ "center", TAG_BLOCK }, { "datalist", TAG_DROP }, { "dd", TAG_BLOCK | TAG_ITEM },
	{ "details", TAG_BLOCK }, { "dialog", TAG_DROP }, { "div", TAG_BLOCK },
	{ "dl", TAG_BLOCK }, { "dt", TAG_BLOCK | TAG_ITEM }, { "embed", TAG_DROP },
	{ "fieldset", TAG_BLOCK }, { "figcaption", TAG_BLOCK }, { "figure", TAG_BLOCK },
	{ "footer", TAG_BLOCK | TAG_BOILER }, { "form", TAG_BLOCK }, { "frameset", TAG_DROP },
	{ "h1", TAG_BLOCK | TAG_HEADING }, { "h2", TAG_BLOCK | TAG_HEADING },
	{ "h3", TAG_BLOCK | TAG_HEADING }, { "h4", TAG_BLOCK | TAG_HEADING },
	{ "h5", TAG_BLOCK | TAG_HEADING }, { "h6", TAG_BLOCK | TAG_HEADING },
	{ "head", TAG_DROP }, { "header", TAG_BLOCK | TAG_BOILER }, { "hr", TAG_BLOCK },
	{ "html", TAG_BLOCK }, { "iframe", TAG_DROP }, { "input", TAG_DROP },
	{ "label", TAG_INLINE }, { "legend", TAG_BLOCK }, { "li", TAG_BLOCK | TAG_ITEM },
	{ "link", TAG_DROP }, { "main", TAG_BLOCK }, { "map", TAG_DROP },
	{ "menu", TAG_BLOCK | TAG_BOILER }, { "meta", TAG_DROP }, { "nav", TAG_BLOCK | TAG_BOILER },
	{ "noscript", TAG_BLOCK }, { "object", TAG_DROP }, { "ol", TAG_BLOCK },
	{ "optgroup", TAG_DROP }, { "option", TAG_DROP }, { "p", TAG_BLOCK },
	{ "pre", TAG_BLOCK | TAG_PRE }, { "script", TAG_DROP }, { "section", TAG_BLOCK },
	{ "select", TAG_DROP }, { "style", TAG_DROP }, { "summary", TAG_BLOCK },
	{ "svg", TAG_DROP }, { "table", TAG_BLOCK }, { "tbody", TAG_BLOCK },
	{ "td", TAG_CELL }, { "template", TAG_DROP }, { "textarea", TAG_DROP },
	{ "tfoot", TAG_BLOCK }, { "th", TAG_CELL }, { "thead", TAG_BLOCK },
	{ "title", TAG_DROP }, { "tr", TAG_BLOCK | TAG_ITEM }, { "ul", TAG_BLOCK },
	{ "video", TAG_DROP }, { "audio", TAG_DROP }, { "picture", TAG_INLINE },
	{ "math", TAG_INLINE }, { "slot", TAG_INLINE },
};

static int tag_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned tag_kind(const xmlChar *name)
{
	/* sorted once, then binary search: this runs for every element */
	static const char *sorted[sizeof(tag_kinds) / sizeof(tag_kinds[0])];
	static unsigned kinds[sizeof(tag_kinds) / sizeof(tag_kinds[0])];
	static int ready;
	const size_t n = sizeof(tag_kinds) / sizeof(tag_kinds[0]);
	if (!ready) {
		for (size_t i = 0; i < n; i++)
			sorted[i] = tag_kinds[i].name;
		qsort(sorted, n, sizeof(sorted[0]), tag_cmp);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < n; k++)
				if (sorted[i] == tag_kinds[k].name)
					kinds[i] = tag_kinds[k].kind;
		ready = 1;
	}
	const char *key = (const char *)name;
	const char **hit = bsearch(&key, sorted, n, sizeof(sorted[0]), tag_cmp);
	return hit ? kinds[hit - sorted] : TAG_INLINE;
}

static unsigned node_kind(xmlNodePtr n)
{
	/* cache in the node's `extra` field: 0 = not computed, else kind + 0x100 */
	if (!n->extra)
		n->extra = (unsigned short)(tag_kind(n->name) + 0x100);
	return (unsigned)n->extra - 0x100;
}

/* ---- boilerplate hints ---- */

/* class/id tokens that mark boilerplate, matched as whole tokens */
static const char *const boiler_words[] = {
	"nav", "navbar", "navigation", "menu", "menubar", "breadcrumb", "breadcrumbs",
	"sidebar", "footer", "header", "masthead", "banner", "cookie", "cookies",
	"consent", "gdpr", "share", "sharing", "social", "related", "recommended",
	"newsletter", "subscribe", "popup", "modal", "ad", "ads", "advert", "advertisement",
	"sponsor", "sponsored", "promo", "widget", "signature", "sig", "toolbar", "pager",
	"pagination", "login", "skip-link", "sr-only", "screen-reader-text", "visually-hidden",
	"hidden", "d-none", "comments", "comment-form", "respond", "disqus", "tags", "tagcloud",
	"author-bio", "postprofile", "userinfo", "copyright", "offcanvas", "dropdown", "topbar",
	"tooltip",
};

/* substrings that mark boilerplate anywhere in a class or id token */
static const char *const boiler_parts[] = {
	"sidebar", "breadcrumb", "cookie", "navbar", "footer", "newsletter", "social",
	"advert", "sponsor", "signature", "share", "popup", "related", "comment-form",
	"commentform", "disqus", "skip-link", "skiplink", "subnav", "topnav", "mainnav",
	"site-header", "site-nav", "nav-menu", "menu-item",
};

/* class/id words that mark the content, which outweigh a boilerplate word */
static const char *const content_words[] = {
	"content", "article", "post", "entry", "main", "body", "text", "story",
	"question", "answer", "thread", "message", "topic", "blog",
};

/* w is lower case already */
static int word_in(const char *w, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (list[i][0] == w[0] && !strncmp(w, list[i], n) && !list[i][n])
			return 1;
	return 0;
}

/*
 * +1 for a content hint, -1 for a boilerplate hint, 0 for neither, from
 * the class and id attributes (a whole class token like "comment-body"
 * counts as content if any of its words is a content word).
 */
static int class_hint(xmlNodePtr n)
{
	static const char *const attrs[] = { "class", "id" };
	int hint = 0;
	for (int a = 0; a < 2; a++) {
		xmlChar *v = xmlGetProp(n, (const xmlChar *)attrs[a]);
		if (!v)
			continue;
		const char *s = (const char *)v;
		while (*s && hint >= 0) {
			char tok[128];
			size_t toklen = 0;
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			for (; *s && *s != ' ' && *s != '\t' && *s != '\n'; s++)
				if (toklen + 1 < sizeof(tok))
					tok[toklen++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
			tok[toklen] = '\0';
			if (!toklen)
				break;
			int boiler = word_in(tok, toklen, boiler_words,
					     sizeof(boiler_words) / sizeof(boiler_words[0]));
			int content = 0;
			/* split the token into words on - and _ */
			for (const char *w = tok; w < tok + toklen;) {
				const char *e = w;
				while (e < tok + toklen && *e != '-' && *e != '_')
					e++;
				if (e > w && word_in(w, (size_t)(e - w), content_words,
						     sizeof(content_words) / sizeof(content_words[0])))
					content = 1;
				w = e + 1;
			}
			if (!boiler)
				for (size_t i = 0; i < sizeof(boiler_parts) / sizeof(boiler_parts[0]); i++)
					if (strstr(tok, boiler_parts[i])) {
						boiler = 2;	/* part of a token: weaker */
						break;
					}
			if (boiler == 1 || (boiler && !content))
				hint = -1;
			else if (content && !hint)
				hint = 1;
		}
		xmlFree(v);
	}
	return hint;
}

static int attr_is(xmlNodePtr n, const char *attr, const char *value)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	int r = v && !strcasecmp((const char *)v, value);
	xmlFree(v);
	return r;
}

static int is_hidden(xmlNodePtr n)
{
	if (xmlHasProp(n, (const xmlChar *)"hidden") || attr_is(n, "aria-hidden", "true"))
		return 1;
	xmlChar *style = xmlGetProp(n, (const xmlChar *)"style");
	int hidden = 0;
	if (style) {
		char compact[256];
		size_t k = 0;
		for (const xmlChar *p = style; *p && k + 1 < sizeof(compact); p++)
			if (*p != ' ')
				compact[k++] = (char)(*p | 0x20);
		compact[k] = '\0';
		hidden = strstr(compact, "display:none") || strstr(compact, "visibility:hidden");
		xmlFree(style);
	}
	return hidden;
}

static int boiler_role(xmlNodePtr n)
{
	static const char *const roles[] = { "navigation", "banner", "contentinfo",
		"complementary", "search", "menu", "menubar", "dialog", "alertdialog", "toolbar" };
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"role");
	int r = 0;
	if (v) {
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (!strcasecmp((const char *)v, roles[i]))
				r = 1;
		xmlFree(v);
	}
	return r;
}

/* ---- pass 1: pruning ---- */

static void unlink_free(xmlNodePtr n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Removes what is never content, everywhere below n. */
static void prune_hard(xmlNodePtr n)
{
	xmlNodePtr c = n->children, next;
	for (; c; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE) {
			if (node_kind(c) & TAG_DROP)
				unlink_free(c);
			else
				prune_hard(c);
		} else if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
			   c->type != XML_ENTITY_REF_NODE) {
			unlink_free(c);
		}
	}
}

/* Characters (not bytes) of s that are not white space. */
static uint32_t text_chars(const xmlChar *s)
{
	uint32_t n = 0;
	for (; *s; s++) {
		unsigned char c = *s;
		if ((c & 0xC0) == 0x80 || c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		n++;
	}
	return n;
}

static struct node_stats *stats_of(struct stats_table *t, xmlNodePtr n)
{
	return n->_private ? &t->v[(uintptr_t)n->_private - 1] : NULL;
}

/* Fills the stats of n and everything below (in_link: n is inside <a>). */
static void compute_stats(struct stats_table *t, xmlNodePtr n, int in_link)
{
	if (t->nr == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 1024;
		t->v = xrealloc(t->v, t->alloc * sizeof(*t->v));
	}
	size_t idx = t->nr++;
	memset(&t->v[idx], 0, sizeof(t->v[idx]));
	n->_private = (void *)(uintptr_t)(idx + 1);
	unsigned kind = node_kind(n);
	int is_block = (kind & (TAG_BLOCK | TAG_CELL)) != 0;
	int link = in_link || !strcmp((const char *)n->name, "a");
	size_t self = idx;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			compute_stats(t, c, link);
			/* t->v may have moved */
			struct node_stats *cs = &t->v[(uintptr_t)c->_private - 1];
			t->v[self].text += cs->text;
			t->v[self].link += cs->link;
			t->v[self].mass += cs->mass;
		} else if (c->content) {
			uint32_t k = text_chars(c->content);
			t->v[self].text += k;
			if (link)
				t->v[self].link += k;
		}
	}
	/* own text = text not inside a block below (under inline children too) */
	uint32_t sub_text = 0, sub_link = 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			struct node_stats *cs = &t->v[(uintptr_t)c->_private - 1];
			int child_block = (node_kind(c) & (TAG_BLOCK | TAG_CELL)) != 0;
			sub_text += child_block ? cs->text : cs->text - cs->own_text;
			sub_link += child_block ? cs->link : cs->link - cs->own_link;
		}
	struct node_stats *s = &t->v[self];
	s->own_text = s->text - sub_text;
	s->own_link = s->link - sub_link;
	if (is_block) {
		uint32_t prose = s->own_text - s->own_link;
		if (t->links_are_content) {
			if (s->own_text >= 15)
				s->mass += s->own_text;
		} else if (prose >= 25 && s->own_link * 2 < s->own_text) {
			s->mass += prose;
		}
	}
}

/*
 * Removes boilerplate by tag, role and class/id below n, except elements
 * holding more than guard characters of text.
 */
static void prune_boilerplate(struct stats_table *t, xmlNodePtr n, uint32_t guard, int depth)
{
	xmlNodePtr c = n->children, next;
	for (; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		struct node_stats *s = stats_of(t, c);
		int boiler = (node_kind(c) & TAG_BOILER) || boiler_role(c) || is_hidden(c);
		int hint = class_hint(c);
		if (hint < 0)
			boiler = 1;
		else if (hint > 0 && !(node_kind(c) & TAG_BOILER))
			boiler = 0;
		/* <header> holding the page's only <h1> is the article title: keep */
		if (boiler && s && s->text <= guard) {
			if (getenv("WINNOW_EXTRACT_DEBUG")) {
				xmlChar *cl = xmlGetProp(c, (const xmlChar *)"class");
				xmlChar *id = xmlGetProp(c, (const xmlChar *)"id");
				fprintf(stderr, "prune <%s class='%s' id='%s'> %u chars\n", c->name,
					cl ? (char *)cl : "", id ? (char *)id : "", s->text);
				xmlFree(cl);
				xmlFree(id);
			}
			unlink_free(c);
			continue;
		}
		if (depth < 200)
			prune_boilerplate(t, c, guard, depth + 1);
	}
}

/* ---- pass 3: rendering ---- */

struct renderer {
	struct stats_table *t;
	struct strbuf *out;
	int pending;		/* line breaks owed before the next text: 0, 1 or 2 */
	int space;		/* a space is owed before the next text */
	int in_pre;
	int filter;		/* drop link-dense blocks */
};

static void owe_break(struct renderer *r, int n)
{
	if (r->out->len && n > r->pending)
		r->pending = n;
	r->space = 0;
}

static void emit_text(struct renderer *r, const char *s)
{
	if (r->in_pre) {
		if (!*s)
			return;
		if (r->pending) {
			strbuf_addstr(r->out, r->pending == 2 ? "\n\n" : "\n");
			r->pending = 0;
		}
		strbuf_addstr(r->out, s);
		return;
	}
	while (*s) {
		unsigned char c = (unsigned char)*s;
		int ws = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
			 (c == 0xC2 && (unsigned char)s[1] == 0xA0);
		if (ws) {
			s += c == 0xC2 ? 2 : 1;
			if (r->out->len && !r->pending)
				r->space = 1;
			continue;
		}
		if (r->pending) {
			strbuf_addstr(r->out, r->pending == 2 ? "\n\n" : "\n");
			r->pending = 0;
			r->space = 0;
		} else if (r->space) {
			strbuf_addch(r->out, ' ');
			r->space = 0;
		}
		const char *e = s;
		while (*e) {
			unsigned char d = (unsigned char)*e;
			if (d == ' ' || d == '\n' || d == '\t' || d == '\r' || d == '\f' ||
			    (d == 0xC2 && (unsigned char)e[1] == 0xA0))
				break;
			e++;
		}
		strbuf_add(r->out, s, (size_t)(e - s));
		s = e;
	}
}

static void render(struct renderer *r, xmlNodePtr n, int depth)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				emit_text(r, (const char *)c->content);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		unsigned kind = node_kind(c);
		if (kind & TAG_DROP)
			continue;
		if (kind & TAG_BREAK) {
			owe_break(r, 1);
			continue;
		}
		if (r->filter && !r->t->links_are_content && (kind & (TAG_BLOCK | TAG_CELL))) {
			struct node_stats *s = stats_of(r->t, c);
			if (s && s->text && s->link > MAX_LINK_DENSITY * s->text &&
			    (s->text - s->link) < 200)
				continue;
		}
		if (kind & TAG_CELL) {
			if (r->out->len && !r->pending)
				emit_text(r, " | ");
		} else if (kind & TAG_BLOCK) {
			owe_break(r, (kind & TAG_ITEM) ? 1 : 2);
			if (!strcmp((const char *)c->name, "li")) {
				emit_text(r, "- ");
			}
		}
		if (kind & TAG_PRE)
			r->in_pre++;
		if (depth < 300)
			render(r, c, depth + 1);
		if (kind & TAG_PRE)
			r->in_pre--;
		if (kind & TAG_BLOCK)
			owe_break(r, (kind & (TAG_ITEM | TAG_HEADING)) && !(kind & TAG_HEADING) ? 1 : 2);
	}
}

/* Renders n; a list item prefix left alone on a line is removed. */
static void render_node(struct stats_table *t, xmlNodePtr n, struct strbuf *out, int filter)
{
	struct renderer r = { t, out, 0, 0, 0, filter };
	if (out->len)
		r.pending = 2;
	render(&r, n, 0);
	/* drop "- " lines that had nothing after them */
	char *src = out->buf, *dst = out->buf, *end = out->buf + out->len;
	while (src < end) {
		char *nl = memchr(src, '\n', (size_t)(end - src));
		size_t len = nl ? (size_t)(nl - src) : (size_t)(end - src);
		int empty_item = len <= 2 && len > 0 && src[0] == '-';
		if (!empty_item) {
			memmove(dst, src, len);
			dst += len;
			if (nl)
				*dst++ = '\n';
		}
		src += len + (nl ? 1 : 0);
	}
	out->len = (size_t)(dst - out->buf);
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == ' '))
		out->len--;
	out->buf[out->len] = '\0';
}

void extract_node_text(xmlNodePtr node, struct strbuf *out)
{
	render_node(NULL, node, out, 0);
}

/* ---- the page ---- */

/* 1 if a and b are elements with the same name and class attribute. */
static int same_signature(xmlNodePtr a, xmlNodePtr b)
{
	if (a->type != XML_ELEMENT_NODE || b->type != XML_ELEMENT_NODE ||
	    strcmp((const char *)a->name, (const char *)b->name))
		return 0;
	xmlChar *ca = xmlGetProp(a, (const xmlChar *)"class");
	xmlChar *cb = xmlGetProp(b, (const xmlChar *)"class");
	int same = (!ca && !cb) || (ca && cb && !strcmp((const char *)ca, (const char *)cb));
	xmlFree(ca);
	xmlFree(cb);
	return same;
}

/*
 * Forum threads and answer lists are runs of alike elements (div.post,
 * li.message, article): when one post holds most of the prose, the
 * container found by mass is inside it. Climb (a few levels) to the
 * element whose children repeat the path's signature with prose of their
 * own, so every post is kept, not just the longest.
 */
static xmlNodePtr widen_to_repeats(struct stats_table *t, xmlNodePtr root, xmlNodePtr c)
{
	xmlNodePtr best = c, child = c;
	for (int level = 0; level < REPEAT_MAX_CLIMB && child != root && child->parent; level++) {
		xmlNodePtr parent = child->parent;
		double own = stats_of(t, child)->mass, others = 0;
		int alike = 0;
		for (xmlNodePtr s = parent->children; s; s = s->next)
			if (s != child && same_signature(s, child)) {
				alike++;
				others += stats_of(t, s)->mass;
			}
		if (alike && others >= REPEAT_MIN_SHARE * own) {
			best = parent;
		}
		if (parent == root)
			break;
		child = parent;
	}
	return best;
}

/* 1 for elements that hold blocks (div, article, td, ...), not text-level ones. */
static int is_section(xmlNodePtr n)
{
	static const char *const text_level[] = { "p", "pre", "blockquote", "li", "h1", "h2", "h3",
		"h4", "h5", "h6", "dd", "dt", "span", "a", "code", "em", "strong", "b", "i", "font",
		"small", "label", "figcaption", "caption", "summary", "address" };
	for (size_t i = 0; i < sizeof(text_level) / sizeof(text_level[0]); i++)
		if (!strcmp((const char *)n->name, text_level[i]))
			return 0;
	return 1;
}

/* The deepest element holding at least share of the mass below root. */
static xmlNodePtr find_container(struct stats_table *t, xmlNodePtr root)
{
	struct node_stats *rs = stats_of(t, root);
	double want = rs->mass * CONTAINER_SHARE;
	xmlNodePtr cur = root;
	if (rs->mass <= 0)
		return root;
	for (;;) {
		xmlNodePtr next = NULL;
		for (xmlNodePtr c = cur->children; c; c = c->next) {
			struct node_stats *s;
			if (c->type == XML_ELEMENT_NODE && (s = stats_of(t, c)) && s->mass >= want) {
				next = c;
				break;
			}
		}
		if (!next)
			break;
		cur = next;
	}
	/* a lone paragraph is not a container: take its section, headings and all */
	while (cur != root && cur->parent && !is_section(cur))
		cur = cur->parent;
	return widen_to_repeats(t, root, cur);
}

static void page_title(htmlDocPtr doc, struct strbuf *title)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr head = root ? html_find_element(root->children, "head", 0) : NULL;
	xmlNodePtr t = head ? html_find_element(head->children, "title", 0) : NULL;
	if (!t && root)
		t = html_find_element(root->children, "title", 0);
	if (t) {
		xmlChar *s = xmlNodeGetContent(t);
		if (s) {
			struct renderer r = { NULL, title, 0, 0, 0, 0 };
			emit_text(&r, (const char *)s);
			xmlFree(s);
		}
	}
}

static int render_xpath(htmlDocPtr doc, const char *xpath, struct strbuf *out)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath, ctx) : NULL;
	if (!res) {
		xmlXPathFreeContext(ctx);
		return error("invalid XPath '%s' in --content", xpath);
	}
	if (res->type == XPATH_NODESET && res->nodesetval)
		for (int i = 0; i < res->nodesetval->nodeNr; i++) {
			xmlNodePtr n = res->nodesetval->nodeTab[i];
			if (n->type == XML_ELEMENT_NODE) {
				prune_hard(n);
				render_node(NULL, n, out, 0);
			} else if (n->content) {
				struct renderer r = { NULL, out, out->len ? 2 : 0, 0, 0, 0 };
				emit_text(&r, (const char *)n->content);
			}
		}
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return 0;
}

int extract_main_text(htmlDocPtr doc, const struct extract_rules *rules, struct extraction *e)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int rc = 0;
	strbuf_reset(&e->title);
	strbuf_reset(&e->text);
	if (!root) {
		e->lang[0] = '\0';
		return 0;
	}
	page_title(doc, &e->title);
	if (rules && rules->content_xpath) {
		rc = render_xpath(doc, rules->content_xpath, &e->text);
		html_lang(root, &e->text, e->lang, sizeof(e->lang));
		return rc;
	}
	/*
	 * Work on the whole <html>, not just <body>: a stray </body> in a
	 * page leaves libxml2 putting the rest of it after the body.
	 */
	xmlNodePtr body = root;
	prune_hard(body);

	struct stats_table t = { NULL, 0, 0, 0 };
	compute_stats(&t, body, 0);
	uint32_t guard = (uint32_t)(stats_of(&t, body)->text * PRUNE_GUARD_SHARE);
	prune_boilerplate(&t, body, guard, 0);
	/* recompute on the pruned tree */
	t.nr = 0;
	compute_stats(&t, body, 0);
	/* hardly any prose: a listing, whose linked titles are the content */
	struct node_stats *bs = stats_of(&t, body);
	if (bs->mass < LISTING_MAX_PROSE || bs->mass < 0.15 * (bs->text - bs->link)) {
		t.nr = 0;
		t.links_are_content = 1;
		compute_stats(&t, body, 0);
	}

	xmlNodePtr container = find_container(&t, body);
	if (getenv("WINNOW_EXTRACT_DEBUG")) {
		for (xmlNodePtr a = container; a && a != (xmlNodePtr)doc; a = a->parent) {
			xmlChar *cl = xmlGetProp(a, (const xmlChar *)"class");
			struct node_stats *as = stats_of(&t, a);
			fprintf(stderr, "container%s <%s class='%.80s'> mass %.0f text %u link %u\n",
				a == container ? "" : " in", a->name, cl ? (char *)cl : "",
				as ? as->mass : -1.0, as ? as->text : 0, as ? as->link : 0);
			xmlFree(cl);
		}
	}
	render_node(&t, container, &e->text, 1);
	if (!e->text.len && container != body)
		render_node(&t, body, &e->text, 0);
	html_lang(root, &e->text, e->lang, sizeof(e->lang));

	/* nodes keep indexes into t in _private; the caller frees the tree next */
	free(t.v);
	return rc;
}
