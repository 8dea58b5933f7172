/*
 * extract.c - the main text of an HTML page, readability-style.
 *
 * Three passes over the libxml2 tree (html_parse.c has already left out
 * scripts, styles, inline SVG and comments; html.c knows what a tag,
 * class, id or role says about an element):
 *  1. prune what is never content: form controls, cookie and consent
 *     banners, modal dialogs and customer reviews (however long), and
 *     boilerplate by tag (nav, aside, footer, header), ARIA role and
 *     class/id words (sidebar, share, signature, ...). A boilerplate hint
 *     never removes an element holding most of the page's text, nor a
 *     hidden one holding most of its prose (a product's description in a
 *     tab a script reveals). Comment sections are weighed against what is
 *     left: under an article they go; where they hold half of the page, a
 *     forum or a link aggregator, they are the content.
 *  2. weigh every block: its own text (not counting nested blocks) minus
 *     link text, if it reads like prose. A block's mass counts towards all
 *     its ancestors.
 *  3. the container is the deepest element holding most of the page's
 *     mass. Unlike picking the single best-scoring element (readability),
 *     this keeps every post of a forum thread and every answer of a Q&A
 *     page, since together they are the mass; sidebars and footers are
 *     not. The container is rendered with headings, paragraphs, list
 *     items, table rows and code kept, minus link-dense blocks inside it
 *     and minus lines that repeat an earlier one outside code (responsive
 *     pages render a block twice; forums repeat "Reply" under every post).
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
/* A consent banner or dialog is pruned unless it holds more of the text than this. */
#define NEVER_CONTENT_SHARE 0.85
/* A hidden element holding this share of the page's text outside links is kept. */
#define HIDDEN_PROSE_SHARE 0.40
/* Comment sections holding this share of the text left after pruning are the content. */
#define COMMENTS_SHARE 0.50
/* How far up a container may widen to take in repeated posts. */
#define REPEAT_MAX_CLIMB 6
/* Alike siblings must hold this much prose, relative to the one on the path. */
#define REPEAT_MIN_SHARE 0.10
/* Pages with less prose than this (characters) are listings. */
#define LISTING_MAX_PROSE 400
/* The same for Chinese, Japanese or Korean, a character a word */
#define LISTING_MAX_PROSE_CJK 150
/* Blocks inside the container whose text is mostly links are dropped. */
#define MAX_LINK_DENSITY 0.60
/*
 * Chinese prose has a comma or full stop every 10 to 30 characters; titles
 * of related articles, keyword lists and menus have none. A mostly-CJK
 * block weighs as prose only in proportion to its punctuation, one mark
 * per this many characters counting in full.
 */
#define CJK_CHARS_PER_MARK 30

/* Counts CJK characters and sentence punctuation in UTF-8 text. */
static void text_marks(const xmlChar *s, uint32_t *cjk, uint32_t *punct)
{
	for (; *s; s++) {
		unsigned char c = *s;
		if (c < 0x80) {
			*punct += c == ',' || c == '.' || c == ';' || c == '!' || c == '?';
		} else if (c >= 0xE3 && c <= 0xED && s[1] && s[2]) {
			unsigned char c1 = s[1], c2 = s[2];
			/* 。 、 (U+3001-3002), ，！？；： (U+FF0C, FF01, FF1F, FF1B, FF1A) */
			if ((c == 0xE3 && c1 == 0x80 && (c2 == 0x81 || c2 == 0x82)) ||
			    (c == 0xEF && c1 == 0xBC && (c2 == 0x8C || c2 == 0x81 || c2 == 0x9F ||
							 c2 == 0x9B || c2 == 0x9A)))
				(*punct)++;
			else if ((c >= 0xE4 && c <= 0xE9) || (c == 0xE3 && c1 >= 0x81) || c == 0xEA ||
				 (c >= 0xEB && c <= 0xED && !(c == 0xED && c1 >= 0xA0)))
				(*cjk)++;	/* U+3040..U+9FFF, Hangul syllables */
		}
	}
}

struct node_stats {
	uint32_t text;		/* characters of text below, links included */
	uint32_t link;		/* characters of text inside <a> below */
	uint32_t own_text;	/* text whose nearest block ancestor is this node */
	uint32_t own_link;
	uint32_t cjk, own_cjk;		/* Chinese, Japanese, Korean characters */
	uint32_t punct, own_punct;	/* sentence punctuation (CJK and ASCII) */
	double mass;		/* prose weight of this block and all below */
};

struct hint_cache;

struct stats_table {
	struct node_stats *v;
	size_t nr, alloc;
	int links_are_content;	/* a page of links (listing): link text is prose */
	struct hint_cache *hints;	/* class hints met on this page */
	uint32_t page_text;	/* characters of text on the whole page */
	uint32_t page_link;	/* of which inside links */
	int comments_are_content;	/* comment sections hold most of the text */
	int debug;		/* WINNOW_EXTRACT_DEBUG: say what is pruned and chosen */
};

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
			if (html_kind(c) & TAG_DROP)
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

/*
 * text_chars of a text node, remembered in its (otherwise unused) `extra`
 * field as count + 1: the stats are computed two or three times a page.
 */
static uint32_t text_node_chars(xmlNodePtr n)
{
	if (n->extra)
		return (uint32_t)n->extra - 1;
	uint32_t k = text_chars(n->content);
	if (k < 0xFFFE)
		n->extra = (unsigned short)(k + 1);
	return k;
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
	unsigned kind = html_kind(n);
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
			uint32_t k = text_node_chars(c);
			t->v[self].text += k;
			if (link)
				t->v[self].link += k;
			if (k)
				text_marks(c->content, &t->v[self].cjk, &t->v[self].punct);
		}
	}
	/* own text = text not inside a block below (under inline children too) */
	uint32_t sub_text = 0, sub_link = 0, sub_cjk = 0, sub_punct = 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			struct node_stats *cs = &t->v[(uintptr_t)c->_private - 1];
			int child_block = (html_kind(c) & (TAG_BLOCK | TAG_CELL)) != 0;
			t->v[self].cjk += cs->cjk;
			t->v[self].punct += cs->punct;
			sub_text += child_block ? cs->text : cs->text - cs->own_text;
			sub_link += child_block ? cs->link : cs->link - cs->own_link;
			sub_cjk += child_block ? cs->cjk : cs->cjk - cs->own_cjk;
			sub_punct += child_block ? cs->punct : cs->punct - cs->own_punct;
		}
	struct node_stats *s = &t->v[self];
	s->own_text = s->text - sub_text;
	s->own_link = s->link - sub_link;
	s->own_cjk = s->cjk - sub_cjk;
	s->own_punct = s->punct - sub_punct;
	if (is_block) {
		uint32_t prose = s->own_text - s->own_link;
		if (t->links_are_content) {
			if (s->own_text >= 15)
				s->mass += s->own_text;
		} else if (prose >= 25 && s->own_link * 2 < s->own_text) {
			double weight = 1;
			if (2 * s->own_cjk > s->own_text && s->own_punct * CJK_CHARS_PER_MARK < prose)
				weight = (double)s->own_punct * CJK_CHARS_PER_MARK / prose;
			s->mass += prose * weight;
		}
	}
}

/*
 * 1 if n's first child element is a short heading naming a comment
 * section ("热门评论", "网友评论", "最新跟贴", ...): Chinese sites seldom
 * say "comments" in their class names.
 */
static int comment_heading(struct stats_table *t, xmlNodePtr n)
{
	static const char *const words[] = { "评论", "跟贴", "跟帖", "留言" };
	xmlNodePtr first = n->children;
	/* the first child element with text (an empty divider may come first) */
	while (first && (first->type != XML_ELEMENT_NODE ||
			 (stats_of(t, first) && !stats_of(t, first)->text)))
		first = first->next;
	struct node_stats *fs = first ? stats_of(t, first) : NULL;
	/* a heading: a few characters (and the cheap test first: this runs on every element) */
	if (!fs || fs->text < 2 || fs->text > 16 || fs->cjk < 2)
		return 0;
	xmlChar *s = xmlNodeGetContent(first);
	int r = 0;
	if (s)
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !r; i++)
			r = strstr((const char *)s, words[i]) != NULL;
	xmlFree(s);
	return r;
}

static int comment_section(struct stats_table *t, xmlNodePtr n)
{
	return (n->properties && html_class_hint(n, t->hints) == HINT_COMMENTS) ||
	       (n->children && comment_heading(t, n));
}

/* Characters of text in the outermost comment sections below n. */
static uint32_t comment_text(struct stats_table *t, xmlNodePtr n, int depth)
{
	uint32_t sum = 0;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (comment_section(t, c))
			sum += stats_of(t, c)->text;
		else if (depth < 200)
			sum += comment_text(t, c, depth + 1);
	}
	return sum;
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
		int boiler = (html_kind(c) & TAG_BOILER) || html_boiler_role(c);
		int hint = html_class_hint(c, t->hints);
		if (hint >= 0 && comment_section(t, c))
			hint = HINT_COMMENTS;
		/*
		 * Hidden until a script shows it: menus and dialogs, but also
		 * the tabs of a product page. Kept when it holds real prose.
		 */
		if (!boiler && html_is_hidden(c))
			boiler = !s || s->text - s->link < HIDDEN_PROSE_SHARE * (t->page_text - t->page_link);
		if (hint == HINT_COMMENTS)
			hint = t->comments_are_content ? 0 : -1;
		if (hint < 0)
			boiler = 1;
		else if (hint > 0 && !(html_kind(c) & TAG_BOILER))
			boiler = 0;
		if ((boiler && s && s->text <= guard) ||
		    (s && s->text <= NEVER_CONTENT_SHARE * t->page_text && html_never_content(c, t->hints))) {
			if (t->debug) {
				const char *cl = html_attr(c, "class"), *id = html_attr(c, "id");
				fprintf(stderr, "prune <%s class='%s' id='%s'> %u chars\n", c->name,
					cl ? cl : "", id ? id : "", s->text);
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
	size_t *pre;		/* [start, end) offsets of <pre> text in out, in pairs */
	size_t pre_nr, pre_alloc;
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

/* Notes where preformatted text starts or ends (alternately). */
static void pre_mark(struct renderer *r)
{
	if (r->pre_nr == r->pre_alloc) {
		r->pre_alloc = r->pre_alloc ? 2 * r->pre_alloc : 16;
		r->pre = xrealloc(r->pre, r->pre_alloc * sizeof(*r->pre));
	}
	r->pre[r->pre_nr++] = r->out->len;
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
		unsigned kind = html_kind(c);
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
		if ((kind & TAG_PRE) && !r->in_pre++)
			pre_mark(r);
		if (depth < 300)
			render(r, c, depth + 1);
		if ((kind & TAG_PRE) && !--r->in_pre)
			pre_mark(r);
		if (kind & TAG_BLOCK)
			owe_break(r, (kind & (TAG_ITEM | TAG_HEADING)) && !(kind & TAG_HEADING) ? 1 : 2);
	}
}

/*
 * A set of line hashes, to drop lines the text already has: responsive
 * pages render the same block two or three times (mobile and desktop
 * variants, carousel clones), and forums repeat "Reply" and "Quote" under
 * every post.
 */
struct line_set {
	uint64_t *slot;		/* 0 = empty */
	size_t size;		/* a power of two */
};

/* 1 if the line was in the set already, else adds it and returns 0. */
static int line_seen(struct line_set *set, const char *line, size_t len)
{
	uint64_t h = hash64(line, len, 0x6c696e65) | 1;
	size_t i = (size_t)h & (set->size - 1);
	while (set->slot[i]) {
		if (set->slot[i] == h)
			return 1;
		i = (i + 1) & (set->size - 1);
	}
	set->slot[i] = h;
	return 0;
}

/* 1 if [start, end) of the rendered text overlaps preformatted text. */
static int in_pre_text(const struct renderer *r, size_t start, size_t end)
{
	for (size_t i = 0; i < r->pre_nr; i += 2) {
		size_t ps = r->pre[i], pe = i + 1 < r->pre_nr ? r->pre[i + 1] : (size_t)-1;
		if (start < pe && end > ps)
			return 1;
	}
	return 0;
}

/*
 * Renders n; a list item prefix left alone on a line is removed and, with
 * dedupe, a line that repeats an earlier one (outside preformatted text,
 * where repeats such as "}" mean something).
 */
static void render_node(struct stats_table *t, xmlNodePtr n, struct strbuf *out, int filter,
			int dedupe)
{
	struct renderer r = { t, out, 0, 0, 0, filter, NULL, 0, 0 };
	size_t base = out->len;
	struct line_set seen = { NULL, 0 };
	if (out->len)
		r.pending = 2;
	render(&r, n, 0);
	if (dedupe) {
		size_t lines = 1;
		for (size_t i = base; i < out->len; i++)
			lines += out->buf[i] == '\n';
		seen.size = 64;
		while (seen.size < 2 * lines)
			seen.size *= 2;
		seen.slot = xcalloc(seen.size, sizeof(*seen.slot));
	}
	char *src = out->buf + base, *dst = out->buf + base, *end = out->buf + out->len;
	int squeeze = 0;	/* a line was dropped: one blank line is enough */
	while (src < end) {
		char *nl = memchr(src, '\n', (size_t)(end - src));
		size_t len = nl ? (size_t)(nl - src) : (size_t)(end - src);
		size_t at = (size_t)(src - out->buf);
		int drop = len <= 2 && len > 0 && src[0] == '-';
		if (!drop && dedupe && len && !in_pre_text(&r, at, at + len))
			drop = line_seen(&seen, src, len);
		if (!len && squeeze && dst - out->buf >= (ptrdiff_t)base + 2 && dst[-1] == '\n' &&
		    dst[-2] == '\n')
			drop = 1;
		if (drop) {
			squeeze = 1;
		} else {
			if (len)
				squeeze = 0;
			memmove(dst, src, len);
			dst += len;
			if (nl)
				*dst++ = '\n';
		}
		src += len + (nl ? 1 : 0);
	}
	out->len = (size_t)(dst - out->buf);
	free(seen.slot);
	free(r.pre);
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == ' '))
		out->len--;
	out->buf[out->len] = '\0';
}

void extract_node_text(xmlNodePtr node, struct strbuf *out)
{
	render_node(NULL, node, out, 0, 0);
}

/* ---- the page ---- */

/* 1 if a and b are elements with the same name and class attribute. */
static int same_signature(xmlNodePtr a, xmlNodePtr b)
{
	if (a->type != XML_ELEMENT_NODE || b->type != XML_ELEMENT_NODE ||
	    strcmp((const char *)a->name, (const char *)b->name))
		return 0;
	const char *ca = html_attr(a, "class"), *cb = html_attr(b, "class");
	return (!ca && !cb) || (ca && cb && !strcmp(ca, cb));
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
			struct renderer r = { NULL, title, 0, 0, 0, 0, NULL, 0, 0 };
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
				render_node(NULL, n, out, 0, 0);
			} else if (n->content) {
				struct renderer r = { NULL, out, out->len ? 2 : 0, 0, 0, 0, NULL, 0, 0 };
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
		e->text_from = "rules";
		html_lang(root, &e->text, e->lang, sizeof(e->lang));
		return rc;
	}
	/*
	 * Work on the whole <html>, not just <body>: a stray </body> in a
	 * page leaves libxml2 putting the rest of it after the body.
	 */
	xmlNodePtr body = root;
	prune_hard(body);

	struct hint_cache *hints = hint_cache_new();
	struct stats_table t = { NULL, 0, 0, 0, hints, 0, 0, 0, getenv("WINNOW_EXTRACT_DEBUG") != NULL };
	compute_stats(&t, body, 0);
	t.page_text = stats_of(&t, body)->text;
	t.page_link = stats_of(&t, body)->link;
	uint32_t guard = (uint32_t)(t.page_text * PRUNE_GUARD_SHARE);
	/*
	 * Comment sections are weighed against what is left once the rest of
	 * the boilerplate is gone: prune everything else first.
	 */
	int has_comments = comment_text(&t, body, 0) > 0;
	t.comments_are_content = 1;
	prune_boilerplate(&t, body, guard, 0);
	/* recompute on the pruned tree */
	t.nr = 0;
	compute_stats(&t, body, 0);
	if (has_comments &&
	    comment_text(&t, body, 0) < COMMENTS_SHARE * stats_of(&t, body)->text) {
		t.comments_are_content = 0;
		prune_boilerplate(&t, body, (uint32_t)(stats_of(&t, body)->text * PRUNE_GUARD_SHARE), 0);
		t.nr = 0;
		compute_stats(&t, body, 0);
	}
	/* hardly any prose: a listing, whose linked titles are the content */
	struct node_stats *bs = stats_of(&t, body);
	/* (a Chinese page's prose is counted without the text weighed out for lack of punctuation) */
	int cjk_page = 2 * bs->cjk > bs->text;
	if (cjk_page ? bs->mass < LISTING_MAX_PROSE_CJK
		     : bs->mass < LISTING_MAX_PROSE || bs->mass < 0.15 * (bs->text - bs->link)) {
		t.nr = 0;
		t.links_are_content = 1;
		compute_stats(&t, body, 0);
	}

	xmlNodePtr container = find_container(&t, body);
	if (t.debug) {
		for (xmlNodePtr a = container; a && a != (xmlNodePtr)doc; a = a->parent) {
			xmlChar *cl = xmlGetProp(a, (const xmlChar *)"class");
			struct node_stats *as = stats_of(&t, a);
			fprintf(stderr, "container%s <%s class='%.80s'> mass %.0f text %u link %u\n",
				a == container ? "" : " in", a->name, cl ? (char *)cl : "",
				as ? as->mass : -1.0, as ? as->text : 0, as ? as->link : 0);
			xmlFree(cl);
		}
	}
	render_node(&t, container, &e->text, 1, 1);
	struct node_stats *cs = stats_of(&t, container);
	e->listing = t.links_are_content;
	e->link_share = cs && cs->text ? (double)cs->link / cs->text : 0;
	if (!e->text.len && container != body)
		render_node(&t, body, &e->text, 0, 1);
	html_lang(root, &e->text, e->lang, sizeof(e->lang));

	/* nodes keep indexes into t in _private; the caller frees the tree next */
	free(t.v);
	free(hints);
	return rc;
}
