/*
 * crawler_state.h - the crawler's state, shared by crawler.c (the fetch
 * loop) and crawl_discover.c (how pages are found: robots.txt, sitemaps and
 * links). Private to those two files; crawler.c's invariants apply.
 */
#ifndef WINNOW_CRAWLER_STATE_H
#define WINNOW_CRAWLER_STATE_H

#include "crawl_internal.h"
#include "fetch.h"
#include "frontier.h"
#include "../lib/progress.h"

#include <regex.h>

#define QUEUE_MAX 512		/* due pages held in memory per source */
#define RETRY_WAIT_MAX 60	/* wait in this run for retries due sooner than this (s) */
#define MAX_TRIES_5XX 3
#define MAX_TRIES_THROTTLED 5
#define MAX_REDIRECTS 10

enum transfer_kind { T_PAGE, T_ROBOTS };
enum robots_state { ROBOTS_UNKNOWN, ROBOTS_FETCHING, ROBOTS_READY };

struct host {
	char *site;
	double next_ok;		/* now_seconds() before which no request starts */
	double delay;
	int in_flight, max_in_flight;
	enum robots_state robots_state;
	struct robots robots;
	int unavailable;	/* robots.txt failed: no requests this run */
};

struct site {
	int64_t id;
	struct site_rules *rules;
	char *site_key;
	regex_t *allow, *deny;
	struct extract_rules xr;
	const char *agent;
	char agent_token[64];	/* product token robots.txt groups are matched on */
	long started;		/* pages started this run */
	struct frontier_page queue[QUEUE_MAX];
	int queue_nr, exhausted;
};

struct transfer {
	CURL *h;
	enum transfer_kind kind;
	struct frontier_page page;	/* T_PAGE */
	struct site *site;
	struct host *host;
	struct strbuf body, etag, last_modified, retry_after;
	struct body_sink sink;
	struct curl_slist *headers;
};

struct reason {
	char name[32];
	long n;
};

struct crawler {
	sqlite3 *db;
	struct frontier f;
	CURLM *multi;
	struct site *sites;
	size_t sites_nr;
	struct host **hosts;	/* pointers: transfers keep them while the array grows */
	size_t hosts_nr;
	struct transfer **live;	/* transfers in flight */
	size_t live_nr;
	int64_t *taken;		/* page ids queued or in flight */
	size_t taken_nr, taken_alloc;
	const struct crawl_limits *limits;
	struct crawl_totals *totals;
	struct reason reasons[32];
	size_t reasons_nr;
	int active;
	long started;
	struct progress progress;
	int failed;		/* the corpus failed: stop */
};

/* The page whose links on_link() receives, and how many it took. */
struct link_ctx {
	struct crawler *c;
	struct site *s;
	long depth;
	long taken, dropped;	/* links followed / past --max-links, not followed */
};

/* ---- crawler.c ---- */

/* A transfer of kind for url, counted in flight for its host. */
struct transfer *transfer_new(struct crawler *c, enum transfer_kind kind, struct site *s,
			      struct host *h, const char *url);

/* ---- crawl_discover.c ---- */

/* 1 if url may be followed for site s (same site, allow/deny). */
int url_wanted(struct site *s, const char *url);
/* Reads h's robots.txt from the cache, or starts fetching it. */
void start_robots(struct crawler *c, struct site *s, struct host *h, const char *page_url);
/* Takes a fetched robots.txt (or its failure) for the transfer's host. */
void finish_robots(struct crawler *c, struct transfer *t, CURLcode res, long status);
/* extract_links callback: adds a page's link to the frontier (ctx: struct link_ctx). */
void on_link(void *ctx, const char *url, int rel_next);
/* Adds the <loc> URLs of a sitemap or sitemap index. */
void read_sitemap(struct crawler *c, struct site *s, const struct strbuf *body);

#endif
