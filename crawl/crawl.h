/*
 * crawl.h - the public API of the crawler half of crawl/: character set
 * decoding, HTML main-text and Q&A extraction, URL canonicalisation,
 * robots.txt decisions, and the commands `source`, `crawl` and `extract`.
 * (The LLM clients in crawl/llm* have their own header.)
 *
 * Everything that leaves this module is valid UTF-8. Structures that own
 * memory have a *_release function; callers own what they pass in.
 */
#ifndef WINNOW_CRAWL_H
#define WINNOW_CRAWL_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "../lib/strbuf.h"

/* ---- character sets (charset.c) ---- */

/*
 * The charset a page is in, from (in order) a byte order mark, the HTTP
 * Content-Type header (may be NULL), a <meta> prescan of the first bytes,
 * then a validity check: a page that is valid UTF-8 is UTF-8 whatever it
 * declares. Returns an iconv name ("UTF-8", "GB18030", "BIG5-HKSCS", ...);
 * GB2312 and GBK come back as GB18030. Never NULL.
 */
const char *charset_detect(const char *body, size_t len, const char *content_type);
/*
 * Decodes body to UTF-8 into out (appended), replacing undecodable bytes
 * with U+FFFD, and strips a BOM. Returns the charset used (as above).
 */
const char *charset_decode(const char *body, size_t len, const char *content_type,
			   struct strbuf *out);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* ---- URLs (url.c) ---- */

/*
 * Resolves href against base (NULL when href is absolute) and writes the
 * canonical form to out: lower-case scheme and host, no default port, no
 * fragment, dot segments removed, "/" for an empty path. Only http and
 * https are accepted. Returns 0, or -1 (nothing printed) for anything else.
 */
int url_resolve(const char *base, const char *href, struct strbuf *out);
/*
 * The site key of a canonical URL: host (and non-default port) without a
 * leading "www.", so www.example.com and example.com are one site.
 */
void url_site(const char *url, struct strbuf *out);
/* The key a page is known by within a source: the canonical URL with the
 * host's leading "www." dropped (so both spellings are one page). */
void url_page_key(const char *url, struct strbuf *out);
/* The path and query of a canonical URL ("/a/b?x=1"), for robots matching. */
const char *url_path(const char *url);

/* ---- robots.txt (robots.c) ---- */

struct robots_rule {
	char *pattern;	/* path pattern with * and $ */
	int allow;
};

struct robots {
	struct robots_rule *rules;
	size_t nr, alloc;
	double crawl_delay;	/* seconds, 0 when not given */
	char **sitemaps;
	size_t sitemaps_nr;
	int disallow_all;	/* robots.txt answered 5xx: stay away for now */
};

/*
 * Parses a robots.txt body for the crawler whose product token is agent
 * ("winnow"): the groups naming it (merged) or else the "*" group.
 * Never fails; unparseable lines are ignored as RFC 9309 says.
 */
void robots_parse(struct robots *r, const char *body, size_t len, const char *agent);
/* 1 if path ("/a?b") may be fetched: longest match wins, Allow wins a tie. */
int robots_allowed(const struct robots *r, const char *path);
void robots_release(struct robots *r);

/* ---- HTML extraction (extract.c, extract_qa.c) ---- */

struct extract_rules {
	const char *content_xpath;	/* --content: main text is these nodes */
	const char *qa_question;	/* --qa QUESTION_XPATH ANSWER_XPATH */
	const char *qa_answer;
	const char *qa_input;		/* --qa-input */
};

/*
 * Parses UTF-8 HTML into a tree (never NULL for non-empty input). Comments
 * and script, style, svg and template elements are left out: nothing
 * renders them, and XPath rules see the page without them.
 */
htmlDocPtr html_parse(const char *utf8, size_t len, const char *url);
enum html_parse_flags {
	/*
	 * Keep only the attributes main-text extraction reads (class, id,
	 * role, style, lang, ...): no href, src or data-*. For a page nothing
	 * else will read: no links followed, no --qa or --content XPath.
	 */
	HTML_TEXT_ONLY = 1 << 0,
	/* With HTML_TEXT_ONLY: keep what link extraction reads too (a, link,
	 * area and base with their href and rel), for the crawler. */
	HTML_KEEP_LINKS = 1 << 1,
};
htmlDocPtr html_parse_flags(const char *utf8, size_t len, const char *url, unsigned flags);

struct extraction {
	struct strbuf title;
	struct strbuf text;	/* paragraphs separated by blank lines */
	char lang[16];		/* "en", "zh", ... or "" when unknown */
};
void extraction_init(struct extraction *e);
void extraction_release(struct extraction *e);

/*
 * Main text of doc into e. The tree is pruned in place (boilerplate
 * removed), so extract links and Q&A before calling this. Returns 0, or -1
 * with an error when --content's XPath is invalid.
 */
int extract_main_text(htmlDocPtr doc, const struct extract_rules *rules, struct extraction *e);

/* The text of one node as extraction renders it (blocks on their own lines). */
void extract_node_text(xmlNodePtr node, struct strbuf *out);

struct qa_record {
	char *instruction, *input, *output;
};
struct qa_list {
	struct qa_record *items;
	size_t nr, alloc;
};
void qa_list_release(struct qa_list *list);
/*
 * One record per node QUESTION_XPATH matches: instruction = its text,
 * input = the first match of --qa-input, output = the accepted or most
 * voted match of ANSWER_XPATH, else the first. The answer and input XPaths
 * are evaluated with the question node as context, so relative paths work
 * for pages with many questions; absolute ones search the whole page.
 * Returns the number of records added, or -1 with an error for a bad XPath.
 */
int extract_qa(htmlDocPtr doc, const struct extract_rules *rules, struct qa_list *out);

/* Calls fn for every <a href> (rel_next 0) and rel=next link (rel_next 1),
 * resolved against base and canonicalised. */
void extract_links(htmlDocPtr doc, const char *base,
		   void (*fn)(void *ctx, const char *url, int rel_next), void *ctx);

/* ---- commands ---- */
int cmd_source(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#endif
