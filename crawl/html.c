/*
 * html.c - the page as a tree: parsing UTF-8 HTML with libxml2 (with the
 * repairs it needs), and what a page says about itself: its language.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>

htmlDocPtr html_parse(const char *utf8, size_t len, const char *url)
{
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		   HTML_PARSE_NONET | HTML_PARSE_COMPACT;
	if (len > INT32_MAX)
		len = INT32_MAX;
	htmlDocPtr doc = htmlReadMemory(len ? utf8 : "<html></html>", len ? (int)len : 13,
					url, "UTF-8", opts);
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

