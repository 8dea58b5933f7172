/*
 * html.c - what a page and its elements say about themselves: the page's
 * language; an element's kind by tag, and whether its class, id, role and
 * style mark it as boilerplate or content (the vocabulary extraction
 * weighs, in one place). Parsing is html_parse.c.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void extraction_init(struct extraction *e)
{
	strbuf_init(&e->title, 0);
	strbuf_init(&e->text, 0);
	e->lang[0] = '\0';
	e->text_from = "layout";
	e->listing = 0;
	e->link_share = 0;
	e->confidence = 0;
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
