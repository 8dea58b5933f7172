/*
 * extract_page.c - everything extraction makes of one page, in one place
 * for `crawl` and `extract`: links, Q&A records, main text, and how far
 * the result can be trusted.
 *
 * Which source wins: --qa rules where given, else schema.org Question
 * markup (JSON-LD, then microdata), else the layout of forum software
 * recognised (forum.c). The main text comes from the layout
 * (or --content) unless the visible HTML is a shell: then the article or
 * thread the page carries as data (schema.org, then embedded state).
 */
#define _GNU_SOURCE /* memmem */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <string.h>
#include <strings.h>

/*
 * schema.org text replaces layout text when the layout has less than half
 * of it. Embedded state is a guess at which strings are the text, so it
 * replaces only a shell: layout text under STATE_SHELL_MAX bytes.
 */
#define DATA_TEXT_MIN 40
#define STATE_SHELL_MAX 300

/* 1 if the page has a password field: a login or sign-up page. */
static int has_password_field(const char *html, size_t len)
{
	const char *p = html, *end = html + len;
	while ((p = memmem(p, (size_t)(end - p), "assword", 7)) != NULL) {
		/* type="password", type=password, type='password' */
		if (p - html >= 8 && (p[-1] | 0x20) == 'p') {
			const char *q = p - 2;
			while (q > html && (*q == '"' || *q == '\'' || *q == ' '))
				q--;
			if (*q == '=' && q - html >= 4 && !strncasecmp(q - 4, "type", 4))
				return 1;
		}
		p += 7;
	}
	return 0;
}

/*
 * How far the extracted text is the page's content, 0..1: 0 without
 * text; 0.2 for login pages; 0.3 for listings (linked titles only);
 * shorter text and text mostly inside links lower it; text from the
 * page's data (schema.org, embedded state) is 0.9.
 */
static double page_confidence(const struct extraction *e, const char *html, size_t len)
{
	if (!e->text.len)
		return 0;
	int from_layout = !strcmp(e->text_from, "layout");
	double c = from_layout || !strcmp(e->text_from, "rules") ? 1.0 : 0.9;
	if (e->text.len < 200)
		c *= 0.4;
	else if (e->text.len < 600)
		c *= 0.7;
	if (from_layout && e->link_share > 0.5)
		c *= 0.5;
	if (from_layout && e->listing && c > 0.3)
		c = 0.3;
	if (e->text.len < 3000 && has_password_field(html, len) && c > 0.2)
		c = 0.2;
	return (double)(long)(c * 100 + 0.5) / 100;
}

int extract_page(const char *utf8, size_t len, const char *url, const struct extract_rules *rules,
		 unsigned parse_flags, const struct link_sink *sink, struct extraction *e,
		 struct qa_list *qa)
{
	struct structured sd;
	int rc = 0;
	structured_init(&sd);
	structured_scan(utf8, len, &sd);
	/* microdata and vote counts live in attributes a lean parse leaves out */
	int microdata = !rules->qa_question && !sd.qa.nr &&
			memmem(utf8, len, "schema.org/Question", 19) != NULL;
	const struct forum_kind *forum = !rules->qa_question && !sd.qa.nr && !microdata
					 ? forum_detect(utf8, len) : NULL;
	htmlDocPtr doc = html_parse_flags(utf8, len, url, microdata || forum ? 0 : parse_flags);
	if (sink)
		extract_links(doc, url, sink->fn, sink->ctx);
	if (rules->qa_question) {
		rc = extract_qa(doc, rules, qa) < 0 ? -1 : 0;
	} else if (sd.qa.nr) {
		for (size_t i = 0; i < sd.qa.nr; i++)
			qa_list_add(qa, sd.qa.items[i].instruction, sd.qa.items[i].input,
				    sd.qa.items[i].output, sd.qa.items[i].from);
		sd.qa.nr = 0;
	} else if (microdata) {
		microdata_qa(doc, qa);
	} else if (forum) {
		struct extract_rules fr = { NULL, forum->title, forum->replies, forum->first_post };
		size_t before = qa->nr;
		extract_qa(doc, &fr, qa);
		for (size_t i = before; i < qa->nr; i++)
			qa->items[i].from = "layout";
	}
	if (!rc)
		rc = extract_main_text(doc, rules, e);
	if (!rc && !rules->content_xpath && !sd.text_from && e->text.len < STATE_SHELL_MAX)
		structured_state(&sd);
	if (!rc && !rules->content_xpath && sd.text_from && sd.text.len >= DATA_TEXT_MIN &&
	    2 * e->text.len < sd.text.len) {
		strbuf_reset(&e->text);
		strbuf_add(&e->text, sd.text.buf, sd.text.len);
		e->text_from = sd.text_from;
		if (!e->title.len)
			strbuf_add(&e->title, sd.title.buf, sd.title.len);
		html_lang(xmlDocGetRootElement(doc), &e->text, e->lang, sizeof(e->lang));
	}
	e->confidence = page_confidence(e, utf8, len);
	xmlFreeDoc(doc);
	structured_release(&sd);
	return rc;
}
