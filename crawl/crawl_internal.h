/*
 * crawl_internal.h - what the crawler's files share with each other (and
 * with their unit tests) but not with the rest of winnow: gzip with a
 * ceiling, the --qa option, the source rules, single-page fetching.
 */
#ifndef WINNOW_CRAWL_INTERNAL_H
#define WINNOW_CRAWL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "crawl.h"
#include "../lib/strbuf.h"

/* Largest page body accepted, after decoding (the 10 MB). */
#define CRAWL_MAX_BODY ((size_t)10 << 20)
#define CRAWL_USER_AGENT "winnow/0.1 (+https://github.com/winnow; dataset crawler)"
#define CRAWL_AGENT_TOKEN "winnow"

/* ---- html_parse.c ---- */
/*
 * Appends s to out without comments and without script, style, svg and
 * template elements (start tag to matching end tag; unclosed ones to the
 * end, as a browser reads them). With HTML_TEXT_ONLY in flags, for a page
 * only main-text extraction reads, it also drops what that never looks at: attributes other
 * than class, id, role, lang, hidden, aria-hidden/-modal and a hiding
 * style; img, meta, input, button, select and similar elements; empty
 * inline elements; runs of white space outside <pre> (cut to their first
 * character). Title text is kept as is. HTML_KEEP_LINKS keeps what link
 * extraction reads besides: a, link, area and base, with href and rel.
 */
void html_strip_raw(const char *s, size_t len, unsigned flags, struct strbuf *out);

/* ---- html.c: what an element says about itself ---- */
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
/* Kind of an element from its tag name (cached in the node's `extra` field). */
unsigned html_kind(xmlNodePtr n);
/* The value of n's attribute name, or NULL: a pointer into the tree, not a copy. */
const char *html_attr(xmlNodePtr n, const char *name);
/* 1 if the attribute is there with this value (ignoring case). */
int html_attr_is(xmlNodePtr n, const char *attr, const char *value);
/*
 * A comment section: boilerplate under an article, but on a forum or a
 * link aggregator the comments are the content. Which one a page is comes
 * from how much of its text the comment sections hold.
 */
#define HINT_COMMENTS (-2)
/* Class and id hints seen on one page, remembered; free() it. */
struct hint_cache;
struct hint_cache *hint_cache_new(void);
/*
 * -1 if n's class or id has a boilerplate hint, else HINT_COMMENTS for a
 * comment section, else +1 for a content hint, else 0 (cache may be NULL).
 */
int html_class_hint(xmlNodePtr n, struct hint_cache *cache);
/* 1 if n is hidden: hidden, aria-hidden, display:none, visibility:hidden. */
int html_is_hidden(xmlNodePtr n);
/* 1 if n's ARIA role is navigation, banner, search, ... */
int html_boiler_role(xmlNodePtr n);
/*
 * 1 for cookie and consent banners, modal dialogs and customer reviews
 * (class or id word "reviews"): never the content, however long.
 */
int html_never_content(xmlNodePtr n, struct hint_cache *cache);
/* The first element called name among n and its siblings, searching 3 levels down. */
xmlNodePtr html_find_element(xmlNodePtr n, const char *name, int depth);
/* Language of a page: <html lang>, else the main script of text ("en", "zh", ...). */
void html_lang(xmlNodePtr html, const struct strbuf *text, char *lang, size_t size);

/* ---- inflate.c ---- */
int is_gzip(const char *data, size_t len);
/*
 * Appends the gunzipped data to out, at most limit bytes. Returns 0, 1 if
 * the output was cut off at the limit, or -1 with an error for corrupt data.
 */
int gunzip_limited(const char *data, size_t len, size_t limit, struct strbuf *out);

/* ---- crawl_util.c ---- */

/*
 * Removes "--qa QUESTION ANSWER" (two values, which the option table
 * cannot express) from argv before parse_options sees it. Returns the new
 * argc, or -1 after an error when --qa lacks its two values.
 */
int take_qa_option(int argc, char **argv, const char **question, const char **answer);

/* Prints an error naming option and returns -1 if xpath does not compile. */
int xpath_check(const char *xpath, const char *option);


/* ---- site_rules.c: a site source's rules, kept as JSON in sources.rules ---- */

struct site_rules {
	char *url;			/* start URL (canonical) */
	char **sitemaps;		/* --sitemap URLs */
	size_t sitemaps_nr;
	char **allow, **deny;		/* POSIX extended regexes on the whole URL */
	size_t allow_nr, deny_nr;
	long depth;			/* links followed from a start page; -1 = no limit */
	long max_pages;			/* pages per run; 0 = no limit */
	long delay_ms;			/* between requests to one host */
	long concurrency;		/* requests in flight to one host */
	long every;			/* seconds between crawls of the site */
	char *qa_question, *qa_answer, *qa_input, *content;
	char *user_agent;		/* NULL = winnow's */
	int ignore_robots;
};

void site_rules_init(struct site_rules *r);
void site_rules_release(struct site_rules *r);
/* Appends the rules as a JSON object to out. */
void site_rules_to_json(const struct site_rules *r, struct strbuf *out);
/* Reads rules from sources.rules JSON; -1 with an error naming the source. */
int site_rules_from_json(struct site_rules *r, const char *json, const char *source_name);
/* Parses "30m", "1d", "45s", "2h", "1w" or plain seconds; -1 if malformed. */
int parse_duration(const char *s, long *seconds);
/* "1d", "2h30m", ... for display. */
void format_duration(long seconds, struct strbuf *out);

/* ---- crawler.c: the fetch loop ---- */

struct crawl_limits {
	long max_pages;		/* over the whole run, 0 = none */
	double deadline;	/* now_seconds() value to stop at, 0 = none */
	long timeout;		/* per-transfer total timeout, seconds */
	long concurrency;	/* global transfers in flight */
	long max_links;		/* links followed per page, 0 = none */
};

/* Links followed per page unless --max-links says otherwise. */
#define CRAWL_MAX_LINKS 5000

struct crawl_totals {
	long fetched, not_modified, unchanged, documents, records, failed, blocked, retried;
	long sitemaps, links, redirects;
	long pages_capped, links_dropped;	/* pages past --max-links, their links not followed */
	struct strbuf failures;	/* "http-404=3 timeout=1" */
};

/*
 * Crawls the given site sources (ids, with their rules) until nothing is
 * due, a limit is hit or *stop becomes non-zero, committing each page as
 * it finishes. Returns 0, or -1 when the corpus fails (pages are never a
 * reason to fail the run: their failures are counted).
 */
int crawl_sites(sqlite3 *db, int64_t run_id, const int64_t *source_ids,
		struct site_rules *const *rules, size_t nr, const struct crawl_limits *limits,
		volatile int *stop, struct crawl_totals *totals);

/* ---- fetch_one.c ---- */

struct fetched_page {
	long status;
	struct strbuf body;		/* decoded body (gzip/deflate/br undone) */
	struct strbuf content_type;
	struct strbuf final_url;
	struct strbuf error;		/* why it failed, when it did */
};
void fetched_page_init(struct fetched_page *p);
void fetched_page_release(struct fetched_page *p);
/* Fetches one URL with the crawler's limits. Returns 0 (any HTTP status) or -1. */
int fetch_one(const char *url, const char *user_agent, struct fetched_page *p);

#endif
