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
	/* where text came from: "layout", "rules" (--content), "schema.org" or
	 * "embedded state" (static strings) */
	const char *text_from;
	int listing;		/* hardly any prose: linked titles are the content */
	double link_share;	/* share of the chosen block's text inside links */
	double confidence;	/* 0..1, see extract_page() */
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
	/* "rules", "schema.org", or "layout" (forum software recognised) (static) */
	const char *from;
};
struct qa_list {
	struct qa_record *items;
	size_t nr, alloc;
};
void qa_list_release(struct qa_list *list);
/* Appends a record, taking the three strings (malloc'd) over. */
void qa_list_add(struct qa_list *list, char *instruction, char *input, char *output,
		 const char *from);
/*
 * One record per node QUESTION_XPATH matches: instruction = its text,
 * input = the first match of --qa-input, output = the accepted or most
 * voted match of ANSWER_XPATH, else the first. The answer and input XPaths
 * are evaluated with the question node as context, so relative paths work
 * for pages with many questions; absolute ones search the whole page.
 * Returns the number of records added, or -1 with an error for a bad XPath.
 */
int extract_qa(htmlDocPtr doc, const struct extract_rules *rules, struct qa_list *out);

/* ---- structured data (structured.c, microdata.c) ---- */

/* Largest JSON value read from one script, and its deepest nesting. */
#define STRUCTURED_JSON_MAX ((size_t)4 << 20)
#define STRUCTURED_DEPTH_MAX 64

struct structured {
	struct qa_list qa;	/* schema.org Question records (from = "schema.org") */
	struct strbuf title;
	struct strbuf text;	/* the article or thread as schema.org gives it */
	const char *text_from;	/* "schema.org" or NULL; "embedded state" after structured_state() */
	/* the page structured_scan read, borrowed, for structured_state() */
	const char *html;
	size_t html_len;
	/* private: what structured_from_state collects */
	struct strbuf state_title, state_text;
};
void structured_init(struct structured *s);
void structured_release(struct structured *s);
/*
 * Reads the schema.org JSON-LD in a page's UTF-8 bytes into s, and keeps
 * a pointer to html (which must outlive s) for structured_state(). Pure: no I/O, never fails; what cannot be read
 * (invalid, too large or too deep JSON) is skipped.
 */
void structured_scan(const char *html, size_t len, struct structured *s);
/*
 * When s has no schema.org text: reads the page's embedded state scripts
 * (JSON scripts, __NEXT_DATA__, window.__INITIAL_STATE__ = {...}) and makes their prose strings the text (text_from "embedded
 * state"). Parsing state costs more than the layout, so it is done only
 * for pages whose visible HTML is a shell.
 */
void structured_state(struct structured *s);
/* One JSON-LD value / one embedded state value (into state_text). Return 0,
 * or -1 if json is not one. */
int structured_from_jsonld(const char *json, size_t len, struct structured *s);
int structured_from_state(const char *json, size_t len, struct structured *s);
/*
 * Length of the JSON object or array starting at p (a bracket scan that
 * knows strings), or 0 if it does not end within len or nests deeper
 * than max_depth.
 */
size_t json_value_span(const char *p, size_t len, int max_depth);
/*
 * schema.org Question microdata (itemscope itemtype=".../Question") in
 * doc, parsed with its attributes kept: one record per question, as for
 * JSON-LD. Returns the number added.
 */
int microdata_qa(htmlDocPtr doc, struct qa_list *out);

/* ---- forum software (forum.c) ---- */

struct forum_kind {
	const char *name;	/* "discuz", "phpbb", "stackexchange", ... */
	const char *marker;	/* bytes only that software writes */
	/* the --qa QUESTION ANSWER and --qa-input XPaths for its threads */
	const char *title, *first_post, *replies;
};
/* The forum software a page's bytes show (head and footer), or NULL. Pure. */
const struct forum_kind *forum_detect(const char *html, size_t len);

/* ---- one page (extract_page.c) ---- */

struct link_sink {
	void (*fn)(void *ctx, const char *url, int rel_next);
	void *ctx;
};
/*
 * Everything extraction makes of one page's UTF-8 bytes: links (to sink,
 * when not NULL), Q&A records (--qa rules when given, else schema.org
 * JSON-LD or microdata) and the main text, which comes from the layout
 * unless the visible HTML is a shell and the page's data (schema.org,
 * embedded state) holds the text. parse_flags are html_parse_flags'.
 * Sets e->confidence: 0 for no text, low for listings, login pages and
 * short text. Returns 0, or -1 with an error for a bad XPath.
 */
int extract_page(const char *utf8, size_t len, const char *url, const struct extract_rules *rules,
		 unsigned parse_flags, const struct link_sink *sink, struct extraction *e,
		 struct qa_list *qa);

/* Calls fn for every <a href> (rel_next 0) and rel=next link (rel_next 1),
 * resolved against base and canonicalised. */
void extract_links(htmlDocPtr doc, const char *base,
		   void (*fn)(void *ctx, const char *url, int rel_next), void *ctx);

/* ---- commands ---- */
int cmd_source(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#endif
