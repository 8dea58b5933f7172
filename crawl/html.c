/*
 * html.c - the page as a tree: parsing UTF-8 HTML with libxml2 (with the
 * repairs it needs), and what a page and its elements say about
 * themselves: the page's language; an element's kind by tag, and whether
 * its class, id, role and style mark it as boilerplate or content (the
 * vocabulary extraction weighs, in one place).
 *
 * libxml2 reads a page character by character and builds a node with
 * copied strings for every element, attribute and text run; that is most
 * of extraction's time. So a byte scan first cuts what nothing renders:
 * script, style, inline SVG, template and comments (close to half of a
 * typical page's bytes), and, when only main-text extraction will read the
 * tree (no links followed, no XPath rules), the attributes, elements and
 * white space it never looks at: three quarters of what is left.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alpha(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Start of the first "</name" (any case) ending the name at p..end, or NULL. */
static const char *find_close(const char *p, const char *end, const char *name, size_t n)
{
	while (p + 2 + n <= end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || lt + 2 + n > end)
			return NULL;
		if (lt[1] == '/' && !strncasecmp(lt + 2, name, n) &&
		    (lt + 2 + n == end || is_space(lt[2 + n]) || lt[2 + n] == '/' || lt[2 + n] == '>'))
			return lt;
		p = lt + 1;
	}
	return NULL;
}

/*
 * 1 for an attribute main-text extraction never reads. Attributes are two
 * thirds of what is left of a page once scripts are gone (framework
 * class lists, data-* state, srcset, href), and libxml2 copies them
 * character by character. Style is kept only when it can hide the element.
 */
static int attr_unread(const char *name, size_t n, const char *value, size_t vlen, int links)
{
	if (links && ((n == 4 && !strncasecmp(name, "href", 4)) ||
		      (n == 3 && !strncasecmp(name, "rel", 3))))
		return 0;	/* the crawler follows them */
	static const char *const text_attrs[] = { "class", "id", "role", "style", "hidden",
		"aria-hidden", "aria-modal", "lang" };
	size_t i;
	for (i = 0; i < sizeof(text_attrs) / sizeof(text_attrs[0]); i++)
		if ((text_attrs[i][0] == (name[0] | 0x20)) && strlen(text_attrs[i]) == n &&
		    !strncasecmp(name, text_attrs[i], n))
			break;
	if (i == sizeof(text_attrs) / sizeof(text_attrs[0]))
		return 1;
	if (n == 5 && !strncasecmp(name, "style", 5)) {
		for (i = 0; i + 4 <= vlen; i++)
			if (!strncasecmp(value + i, "none", 4) ||
			    (i + 6 <= vlen && !strncasecmp(value + i, "hidden", 6)))
				return 0;
		return 1;
	}
	return 0;
}

/*
 * Scans the attributes of the tag whose name ends at p; returns just past
 * the '>' ending it (or end). Unless out is NULL, attributes attr_unread()
 * names are cut out: what precedes them is appended to out from *copied,
 * which moves past them. *self_closing tells whether the tag ended "/>".
 */
static const char *scan_tag(const char *p, const char *end, const char **copied,
			    struct strbuf *out, int links, int *self_closing)
{
	*self_closing = 0;
	while (p < end) {
		const char *attr = p;	/* the white space before the name goes too */
		while (p < end && (is_space(*p) || *p == '/'))
			p++;
		if (p >= end)
			break;
		if (*p == '>') {
			*self_closing = p > attr && p[-1] == '/';
			return p + 1;
		}
		const char *name = p;
		p++;	/* a first '=' belongs to the name */
		while (p < end && !is_space(*p) && *p != '/' && *p != '>' && *p != '=')
			p++;
		size_t n = (size_t)(p - name);
		const char *q = p, *value = p;
		size_t vlen = 0;
		while (q < end && is_space(*q))
			q++;
		if (q < end && *q == '=') {
			q++;
			while (q < end && is_space(*q))
				q++;
			if (q < end && (*q == '"' || *q == '\'')) {
				const char *close = memchr(q + 1, *q, (size_t)(end - q - 1));
				value = q + 1;
				vlen = close ? (size_t)(close - value) : (size_t)(end - value);
				p = close ? close + 1 : end;
			} else {
				value = q;
				while (q < end && !is_space(*q) && *q != '>')
					q++;
				vlen = (size_t)(q - value);
				p = q;
			}
		}
		if (out && attr_unread(name, n, value, vlen, links) && attr >= *copied) {
			strbuf_add(out, *copied, (size_t)(attr - *copied));
			*copied = p;
		}
	}
	return end;
}

/*
 * For an inline element (span, i, a, ...) whose start tag of name ends at
 * after and whose end tag follows at once: just past that end tag. Else
 * NULL. Without text such an element changes nothing in the rendering
 * ("a<span> </span>b" keeps its space: it is not empty).
 */
static const char *empty_inline_end(const char *name, size_t n, const char *after,
				    const char *end, int links)
{
	if (links && n == 1 && (*name | 0x20) == 'a')
		return NULL;	/* <a href="..."></a> is still a link */
	static const char *const inline_tags[] = { "span", "i", "a", "b", "em", "strong",
		"small", "font", "u", "s" };
	if ((size_t)(end - after) < n + 3 || after[0] != '<' || after[1] != '/' ||
	    after[2 + n] != '>' || strncasecmp(after + 2, name, n))
		return NULL;
	for (size_t i = 0; i < sizeof(inline_tags) / sizeof(inline_tags[0]); i++)
		if (strlen(inline_tags[i]) == n && !strncasecmp(name, inline_tags[i], n))
			return after + n + 3;
	return NULL;
}

/*
 * Cuts runs of ASCII white space in the text [p, to) down to their first
 * character: pretty-printed pages are a quarter indentation, which
 * libxml2 reads character by character and the rendering collapses anyway.
 */
static void collapse_space(const char *p, const char *to, const char **copied,
			   struct strbuf *out)
{
	while (p < to) {
		if (!is_space(*p)) {
			p++;
			continue;
		}
		const char *run = ++p;
		while (p < to && is_space(*p))
			p++;
		if (p > run) {
			strbuf_add(out, *copied, (size_t)(run - *copied));
			*copied = p;
		}
	}
}

enum raw_kind {
	RAW_KEEP,	/* RCDATA kept as it is: no tags inside (title, xmp) */
	RAW_DROP,	/* raw text dropped to its end tag (script, style) */
	RAW_NESTED,	/* dropped to the matching end tag; these nest (svg, template) */
	LEAN_VOID,	/* text only: a void tag extraction never reads (img, meta) */
	LEAN_DROP,	/* text only: dropped to its end tag (button, select) */
};

static enum raw_kind raw_kind_of(const char *name, size_t n, int text_only, int links, int *known)
{
	static const struct {
		const char *name;
		size_t len;
		enum raw_kind kind;
	} raw[] = {
		{ "script", 6, RAW_DROP }, { "style", 5, RAW_DROP }, { "svg", 3, RAW_NESTED },
		{ "template", 8, RAW_NESTED }, { "title", 5, RAW_KEEP }, { "textarea", 8, RAW_KEEP },
		{ "xmp", 3, RAW_KEEP }, { "noembed", 7, RAW_KEEP },
		{ "img", 3, LEAN_VOID }, { "meta", 4, LEAN_VOID }, { "link", 4, LEAN_VOID },
		{ "input", 5, LEAN_VOID }, { "source", 6, LEAN_VOID }, { "track", 5, LEAN_VOID },
		{ "wbr", 3, LEAN_VOID }, { "area", 4, LEAN_VOID }, { "param", 5, LEAN_VOID },
		{ "button", 6, LEAN_DROP }, { "select", 6, LEAN_DROP }, { "iframe", 6, LEAN_DROP },
		{ "datalist", 8, LEAN_DROP },
	};
	*known = 0;
	for (size_t k = 0; k < sizeof(raw) / sizeof(raw[0]); k++)
		if (raw[k].len == n && (raw[k].name[0] == (*name | 0x20)) &&
		    !strncasecmp(name, raw[k].name, n)) {
			enum raw_kind kind = raw[k].kind;
			if (kind >= LEAN_VOID && !text_only)
				return RAW_KEEP;	/* an ordinary tag */
			if (links && ((n == 4 && !strncasecmp(name, "link", 4)) ||
				      (n == 4 && !strncasecmp(name, "area", 4))))
				return RAW_KEEP;	/* may carry a link to follow */
			if (text_only && n == 8 && !strncasecmp(name, "textarea", 8))
				kind = LEAN_DROP;
			*known = 1;
			return kind;
		}
	return RAW_KEEP;
}

void html_strip_raw(const char *s, size_t len, unsigned flags, struct strbuf *out)
{
	const char *p = s, *end = s + len, *copied = s;
	int text_only = (flags & HTML_TEXT_ONLY) != 0, links = text_only && (flags & HTML_KEEP_LINKS);
	int in_pre = 0;		/* inside <pre>: white space is kept as it is */
	strbuf_grow(out, len);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (text_only && !in_pre)
			collapse_space(p, lt ? lt : end, &copied, out);
		if (!lt)
			break;
		p = lt + 1;
		if (text_only && p + 4 <= end && p[0] == '/' && !strncasecmp(p + 1, "pre", 3) &&
		    (p[4] == '>' || is_space(p[4])) && in_pre)
			in_pre--;
		if (end - lt >= 4 && lt[1] == '!' && lt[2] == '-' && lt[3] == '-') {
			/* a comment: dropped, unclosed ones to the end as parsers do */
			const char *q = lt + 4;
			const char *close = NULL;
			if (q < end && *q == '>')	/* "<!-->" is a whole (empty) comment */
				close = q + 1;
			else if (q + 1 < end && q[0] == '-' && q[1] == '>')
				close = q + 2;
			while (!close && q + 3 <= end && (q = memchr(q, '-', (size_t)(end - q))) && q + 3 <= end) {
				if (q[1] == '-' && q[2] == '>') {
					close = q + 3;
					break;
				}
				q++;
			}
			strbuf_add(out, copied, (size_t)(lt - copied));
			copied = p = close ? close : end;
			continue;
		}
		if (p >= end || !is_alpha(*p))
			continue;
		const char *name = p;
		while (p < end && (is_alpha(*p) || (*p >= '0' && *p <= '9')))
			p++;
		size_t n = (size_t)(p - name);
		int self_closing, known;
		enum raw_kind kind = raw_kind_of(name, n, text_only, links, &known);
		size_t out_mark = out->len;
		const char *copied_mark = copied;
		const char *after = scan_tag(p, end, &copied, !known && text_only ? out : NULL, links,
					     &self_closing);
		if (!known) {
			if (n == 3 && !strncasecmp(name, "pre", 3))
				in_pre++;
			p = after;	/* an ordinary tag */
			const char *empty_end;
			if (text_only && (empty_end = empty_inline_end(name, n, after, end, links))) {
				/* "<i class='icon'></i>": no text, no break, nothing to parse */
				out->len = out_mark;
				strbuf_add(out, copied_mark, (size_t)(lt - copied_mark));
				copied = p = empty_end;
			}
			continue;
		}
		const char *close;
		int at_end_tag = 1;
		if (kind == LEAN_VOID || (kind != RAW_KEEP && self_closing)) {
			close = after;
			at_end_tag = 0;
		} else if (kind == RAW_NESTED) {
			/* count the opening tags met before each close */
			int depth = 1;
			const char *q = after;
			close = NULL;
			while (depth && (close = find_close(q, end, name, n))) {
				for (const char *o = q; o < close && (o = memchr(o, '<', (size_t)(close - o)));
				     o++)
					if (close - o > (ptrdiff_t)n && !strncasecmp(o + 1, name, n) &&
					    (is_space(o[1 + n]) || o[1 + n] == '>' || o[1 + n] == '/'))
						depth++;
				depth--;
				q = close + 2;
			}
		} else {
			close = find_close(after, end, name, n);
		}
		if (close && at_end_tag) {
			/* past the end tag's '>' */
			const char *gt = memchr(close, '>', (size_t)(end - close));
			close = gt ? gt + 1 : end;
		} else if (!close) {
			close = end;
		}
		if (kind != RAW_KEEP) {
			strbuf_add(out, copied, (size_t)(lt - copied));
			copied = close;
		}
		p = close;
	}
	strbuf_add(out, copied, (size_t)(end - copied));
}

htmlDocPtr html_parse(const char *utf8, size_t len, const char *url)
{
	return html_parse_flags(utf8, len, url, 0);
}

htmlDocPtr html_parse_flags(const char *utf8, size_t len, const char *url, unsigned flags)
{
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		   HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_NOBLANKS;
	struct strbuf lean = STRBUF_INIT;
	/* see the top of the file: libxml2 never sees what nothing reads */
	html_strip_raw(utf8, len, flags, &lean);
	len = lean.len > INT32_MAX ? INT32_MAX : lean.len;
	htmlDocPtr doc = htmlReadMemory(len ? lean.buf : "<html></html>", len ? (int)len : 13,
					url, "UTF-8", opts);
	strbuf_release(&lean);
	if (!doc)
		doc = htmlReadMemory("<html></html>", 13, url, "UTF-8", opts);
	/*
	 * Content after a stray </html> becomes a second <html> element at
	 * the top; move everything under the first so nothing is missed.
	 */
	xmlNodePtr root = xmlDocGetRootElement(doc), next;
	for (xmlNodePtr n = root ? root->next : NULL; n; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlUnlinkNode(n);
		for (xmlNodePtr c = n->children, cn; c; c = cn) {
			cn = c->next;
			xmlUnlinkNode(c);
			xmlAddChild(root, c);
		}
		xmlFreeNode(n);
	}
	return doc;
}

void extraction_init(struct extraction *e)
{
	strbuf_init(&e->title, 0);
	strbuf_init(&e->text, 0);
	e->lang[0] = '\0';
}

void extraction_release(struct extraction *e)
{
	strbuf_release(&e->title);
	strbuf_release(&e->text);
}

xmlNodePtr html_find_element(xmlNodePtr n, const char *name, int depth)
{
	for (xmlNodePtr c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)c->name, name))
			return c;
		if (depth < 3) {
			xmlNodePtr f = html_find_element(c->children, name, depth + 1);
			if (f)
				return f;
		}
	}
	return NULL;
}

/* Language: the page's lang attribute, else the main script of the text. */
void html_lang(xmlNodePtr html, const struct strbuf *text, char *lang, size_t size)
{
	xmlChar *v = html ? xmlGetProp(html, (const xmlChar *)"lang") : NULL;
	lang[0] = '\0';
	if (v) {
		size_t k = 0;
		for (const xmlChar *p = v; *p && *p != '-' && *p != '_' && k + 1 < size; p++)
			if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
				lang[k++] = (char)(*p | 0x20);
		lang[k] = '\0';
		xmlFree(v);
		if (k >= 2)
			return;
	}
	size_t latin = 0, han = 0, kana = 0, hangul = 0, cyr = 0, arab = 0;
	const unsigned char *s = (const unsigned char *)text->buf;
	for (size_t i = 0; i < text->len && i < 20000; i++) {
		unsigned c = s[i];
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			latin++;
		else if (c == 0xE3 && i + 1 < text->len && s[i + 1] >= 0x81 && s[i + 1] <= 0x83)
			kana++;
		else if (c >= 0xE4 && c <= 0xE9)
			han++;
		else if (c >= 0xEA && c <= 0xED)
			hangul++;
		else if (c == 0xD0 || c == 0xD1)
			cyr++;
		else if (c >= 0xD8 && c <= 0xDB)
			arab++;
	}
	/* a CJK character is worth a word, roughly five Latin letters */
	size_t best = latin / 5;
	const char *name = latin ? "en" : "";
	if (han > best) { best = han; name = kana * 4 > han ? "ja" : "zh"; }
	if (kana > best) { best = kana; name = "ja"; }
	if (hangul > best) { best = hangul; name = "ko"; }
	if (cyr / 5 > best) { best = cyr / 5; name = "ru"; }
	if (arab / 5 > best) { name = "ar"; }
	snprintf(lang, size, "%s", name);
}

/* ---- what an element's tag says ---- */


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

/*
 * What is known of an element is cached in its `extra` field: the tag
 * kind (bits 0-7, NODE_KIND_SET once computed) and what its class and id
 * say (NODE_HINT_SET, the hint in bits 10-11, NODE_NEVER).
 */
enum node_cache {
	NODE_KIND_SET = 1 << 8,
	NODE_HINT_SET = 1 << 9,
	NODE_HINT_SHIFT = 10,	/* 2 bits: 0, +1, -1, HINT_COMMENTS */
	NODE_NEVER = 1 << 12,	/* class or id names a cookie or consent banner */
};

unsigned html_kind(xmlNodePtr n)
{
	if (!(n->extra & NODE_KIND_SET))
		n->extra = (unsigned short)(n->extra | tag_kind(n->name) | NODE_KIND_SET);
	return n->extra & 0xff;
}

/* ---- what an element says about itself: boilerplate hints ---- */

/*
 * A list of lower-case words with, built on first use, an index of which
 * words start with which byte: the lists are matched against every class
 * token of every page.
 */
struct word_list {
	const char *const *words;
	size_t nr;		/* at most 64 */
	uint64_t starts[256];	/* bit i: words[i] starts with this byte */
	int ready;
};

#define WORD_LIST(...) { (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), { 0 }, 0 }

/* class/id tokens that mark boilerplate, matched as whole tokens */
static struct word_list boiler_words = WORD_LIST(
	"nav", "navbar", "navigation", "menu", "menubar", "breadcrumb", "breadcrumbs",
	"sidebar", "footer", "header", "masthead", "banner", "cookie", "cookies",
	"consent", "gdpr", "share", "sharing", "social", "related", "recommended",
	"newsletter", "subscribe", "popup", "modal", "ad", "ads", "advert", "advertisement",
	"sponsor", "sponsored", "promo", "widget", "signature", "sig", "toolbar", "pager",
	"pagination", "login", "skip-link", "sr-only", "screen-reader-text", "visually-hidden",
	"hidden", "d-none", "comments", "comment-form", "respond", "disqus", "tags", "tagcloud",
	"author-bio", "postprofile", "userinfo", "copyright", "offcanvas", "dropdown", "topbar",
	"tooltip");

/* substrings that mark boilerplate anywhere in a class or id token */
static struct word_list boiler_parts = WORD_LIST(
	"sidebar", "breadcrumb", "cookie", "navbar", "footer", "newsletter", "social",
	"advert", "sponsor", "signature", "share", "popup", "related", "comment-form",
	"commentform", "disqus", "skip-link", "skiplink", "subnav", "topnav", "mainnav",
	"site-header", "site-nav", "nav-menu", "menu-item");

/*
 * substrings that mark boilerplate even in a token with a content word:
 * "post-signature" and "post-user-info" are about the poster, not the post
 */
static struct word_list strong_parts = WORD_LIST(
	"signature", "user-info", "userinfo", "user-details", "usercard", "user-card");

/* class/id words that mark the content, which outweigh a boilerplate word */
static struct word_list content_words = WORD_LIST(
	"content", "article", "post", "entry", "main", "body", "text", "story",
	"question", "answer", "thread", "message", "topic", "blog");

static void word_list_index(struct word_list *l)
{
	assert(l->nr <= 64);
	for (size_t i = 0; i < l->nr; i++)
		l->starts[(unsigned char)l->words[i][0]] |= (uint64_t)1 << i;
	l->ready = 1;
}

/* 1 if the lower-case token holds one of the list's words. */
static int has_part(const char *tok, size_t len, struct word_list *l)
{
	if (!l->ready)
		word_list_index(l);
	for (size_t at = 0; at < len; at++)
		for (uint64_t m = l->starts[(unsigned char)tok[at]]; m; m &= m - 1) {
			const char *part = l->words[__builtin_ctzll(m)];
			size_t n = strlen(part);
			if (n <= len - at && !memcmp(tok + at, part, n))
				return 1;
		}
	return 0;
}

/* 1 if the lower-case w[0..n) is one of the list's words. */
static int word_in(const char *w, size_t n, struct word_list *l)
{
	if (!l->ready)
		word_list_index(l);
	for (uint64_t m = l->starts[(unsigned char)w[0]]; m; m &= m - 1) {
		const char *word = l->words[__builtin_ctzll(m)];
		if (!strncmp(w, word, n) && !word[n])
			return 1;
	}
	return 0;
}

/*
 * The value of n's attribute name, or NULL: a pointer into the tree, not
 * a copy (the parser stores an attribute's value as one text node).
 */
const char *html_attr(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (a->name[0] == name[0] && !strcmp((const char *)a->name, name)) {
			xmlNodePtr v = a->children;
			if (!v)
				return "";
			return v->type == XML_TEXT_NODE && !v->next && v->content
				       ? (const char *)v->content : NULL;
		}
	return NULL;
}

/*
 * +1 for a content hint, -1 for a boilerplate hint, HINT_COMMENTS, 0 for
 * neither, from the tokens of a class or id value (a whole token like
 * "comment-body" counts as content if any of its words is a content word).
 * *reviews_seen is set for a token with the word "reviews".
 */
static int tokens_hint(const char *s, int *reviews_seen)
{
	int hint = 0, comments = 0;
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
		int boiler = word_in(tok, toklen, &boiler_words);
		int content = 0;
		int discussion = toklen == 12 && !memcmp(tok, "comment-list", 12);
		/* "category-reviews", "tag-comments": a post's taxonomy, not a part of the page */
		int taxonomy = !strncmp(tok, "category-", 9) || !strncmp(tok, "tag-", 4);
		/* split the token into words on - and _ */
		int reviews = 0;
		for (const char *w = tok; w < tok + toklen && !discussion && !reviews && !taxonomy;) {
			const char *e = w;
			while (e < tok + toklen && *e != '-' && *e != '_')
				e++;
			discussion = e - w == 8 && !memcmp(w, "comments", 8);
			reviews = e - w == 7 && !memcmp(w, "reviews", 7);
			w = e + 1;
		}
		if (reviews) {
			*reviews_seen = 1;
			continue;
		}
		if (discussion) {
			comments = 1;	/* decided per page: see HINT_COMMENTS */
			continue;
		}
		/* split the token into words on - and _ */
		for (const char *w = tok; w < tok + toklen;) {
			const char *e = w;
			while (e < tok + toklen && *e != '-' && *e != '_')
				e++;
			if (e > w && word_in(w, (size_t)(e - w), &content_words))
				content = 1;
			w = e + 1;
		}
		if (!boiler && has_part(tok, toklen, &strong_parts))
			boiler = 1;
		if (!boiler && has_part(tok, toklen, &boiler_parts))
			boiler = 2;	/* part of a token: weaker */
		if (boiler == 1 || (boiler && !content))
			hint = -1;
		else if (content && !hint)
			hint = 1;
	}
	return hint < 0 ? hint : comments ? HINT_COMMENTS : hint;
}

/* 1 if s holds one of parts, ignoring case (parts are lower case). */
static int holds_part(const char *s, const char *const *parts, size_t count)
{
	for (; s && *s; s++)
		for (size_t i = 0; i < count; i++)
			if ((*s | 0x20) == parts[i][0] && !strncasecmp(s, parts[i], strlen(parts[i])))
				return 1;
	return 0;
}

/* What a class or id value says: its tokens_hint and whether it names a consent banner. */
struct value_hint {
	int hint;
	int never;
};

static struct value_hint value_hint(const char *v)
{
	static const char *const never_parts[] = { "cookie", "consent", "gdpr" };
	int reviews = 0;
	struct value_hint h = { tokens_hint(v, &reviews), 0 };
	/* customer reviews sit next to a product, never are its description */
	h.never = reviews || holds_part(v, never_parts, sizeof(never_parts) / sizeof(never_parts[0]));
	return h;
}

/* value_hint of class values, remembered: a page repeats a few hundred of them */
#define HINT_CACHE_SIZE 1024
struct hint_cache {
	uint64_t key[HINT_CACHE_SIZE];	/* hash of the class value, 0 = empty */
	struct value_hint hint[HINT_CACHE_SIZE];
};

static struct value_hint value_hint_cached(struct hint_cache *cache, const char *v)
{
	if (!cache)
		return value_hint(v);
	uint64_t h = hash64(v, strlen(v), 0x636c617373) | 1;
	size_t slot = (size_t)(h >> 7) & (HINT_CACHE_SIZE - 1);
	if (cache->key[slot] != h) {
		cache->key[slot] = h;
		cache->hint[slot] = value_hint(v);
	}
	return cache->hint[slot];
}

/* Fills n's NODE_HINT bits from its class and id (once). */
static void node_hints(xmlNodePtr n, struct hint_cache *cache)
{
	if (n->extra & NODE_HINT_SET)
		return;
	const char *cls = html_attr(n, "class"), *id = html_attr(n, "id");
	struct value_hint a = { 0, 0 }, b = { 0, 0 };
	if (cls)
		a = value_hint_cached(cache, cls);
	if (id)
		b = value_hint(id);
	int hint;
	if (a.hint == -1 || b.hint == -1)
		hint = -1;
	else if (a.hint == HINT_COMMENTS || b.hint == HINT_COMMENTS)
		hint = HINT_COMMENTS;
	else
		hint = a.hint > 0 || b.hint > 0;
	unsigned code = hint == 1 ? 1 : hint == -1 ? 2 : hint == HINT_COMMENTS ? 3 : 0;
	n->extra = (unsigned short)(n->extra | NODE_HINT_SET | code << NODE_HINT_SHIFT |
				    (a.never || b.never ? NODE_NEVER : 0));
}

/*
 * -1 if the class or id has a boilerplate hint, else HINT_COMMENTS for a
 * comment section, else +1 for a content hint, else 0.
 */
int html_class_hint(xmlNodePtr n, struct hint_cache *cache)
{
	static const int decode[4] = { 0, 1, -1, HINT_COMMENTS };
	if (!n->properties)
		return 0;
	node_hints(n, cache);
	return decode[(n->extra >> NODE_HINT_SHIFT) & 3];
}

int html_attr_is(xmlNodePtr n, const char *attr, const char *value)
{
	const char *v = html_attr(n, attr);
	return v && !strcasecmp(v, value);
}

int html_is_hidden(xmlNodePtr n)
{
	if (!n->properties)
		return 0;
	if (html_attr(n, "hidden") || html_attr_is(n, "aria-hidden", "true"))
		return 1;
	const char *style = html_attr(n, "style");
	int hidden = 0;
	if (style) {
		char compact[256];
		size_t k = 0;
		for (const char *p = style; *p && k + 1 < sizeof(compact); p++)
			if (*p != ' ')
				compact[k++] = (char)(*p | 0x20);
		compact[k] = '\0';
		hidden = strstr(compact, "display:none") || strstr(compact, "visibility:hidden");
	}
	return hidden;
}

int html_boiler_role(xmlNodePtr n)
{
	static const char *const roles[] = { "navigation", "banner", "contentinfo",
		"complementary", "search", "menu", "menubar", "dialog", "alertdialog", "toolbar" };
	const char *v = html_attr(n, "role");
	if (v)
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (!strcasecmp(v, roles[i]))
				return 1;
	return 0;
}


/*
 * Cookie and consent banners, modal dialogs: never content, however much
 * text they hold (a consent manager's preference panel can out-write a
 * short forum thread).
 */
int html_never_content(xmlNodePtr n, struct hint_cache *cache)
{
	static const char *const roles[] = { "dialog", "alertdialog" };
	const char *name = (const char *)n->name;
	/* <body class="cookie-bar-shown"> says something about the page, not itself */
	if (!n->properties || !strcmp(name, "body") || !strcmp(name, "html") ||
	    !strcmp(name, "main") || !strcmp(name, "article"))
		return 0;
	if (html_attr_is(n, "aria-modal", "true"))
		return 1;
	const char *role = html_attr(n, "role");
	for (size_t i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcasecmp(role, roles[i]))
			return 1;
	node_hints(n, cache);
	return (n->extra & NODE_NEVER) != 0;
}

struct hint_cache *hint_cache_new(void)
{
	return xcalloc(1, sizeof(struct hint_cache));
}
