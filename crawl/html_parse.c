/*
 * html_parse.c - the page as a tree: parsing UTF-8 HTML with libxml2, with
 * the repairs it needs, after a byte scan that leaves out what nothing reads.
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

