/*
 * frontier.h - the crawl frontier is the `pages` table. These are the
 * statements the crawler runs on it, prepared once per run.
 *
 * Invariants (what makes kill -9 safe):
 *  1. A page row is the only record of a URL's state; nothing about a page
 *     lives only in memory past the transaction that finishes it.
 *  2. A page is finished (fetched, failed or blocked, with run_id set to the
 *     run) in the same transaction that stores its document, records and
 *     links. A killed run leaves unfinished pages pending: the next run
 *     fetches exactly those, and nothing finished is fetched again.
 *  3. A page whose run_id is the current run is never picked again in that
 *     run, so no page is fetched twice in a run; its next_fetch_at is
 *     the next time it is due (recrawl interval, or retry backoff while it
 *     is still pending).
 *  4. page_key is unique per source, so a URL found again under another
 *     spelling (www., default port, fragment, ../) is the same row.
 */
#ifndef WINNOW_CRAWL_FRONTIER_H
#define WINNOW_CRAWL_FRONTIER_H

#include <sqlite3.h>
#include <stdint.h>

#include "../db/corpus.h"
#include "../lib/strbuf.h"

enum page_kind { PAGE_HTML = 0, PAGE_SITEMAP = 1 };

/* One due page, as loaded for fetching. Strings are owned. */
struct frontier_page {
	int64_t id, source_id;
	char *url, *etag, *last_modified;
	enum page_kind kind;
	long depth, tries, redirects;
	int64_t content_hash;
	int has_hash;
};

struct frontier {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *add, *load, *finish, *retry, *doc_insert, *doc_find, *robots_get,
		     *robots_put, *next_retry, *record_doc;
	struct record_inserter records;
};

int frontier_open(struct frontier *f, sqlite3 *db, int64_t run_id);
void frontier_close(struct frontier *f);
void frontier_page_release(struct frontier_page *p);

/* Adds url (canonical) to a source's frontier unless known. Returns 1 if
 * added, 0 if known, -1 on error. */
int frontier_add(struct frontier *f, int64_t source_id, const char *url, enum page_kind kind,
		 long depth);
/* The same for the target of a redirect, hops redirects away from a linked URL. */
int frontier_add_redirect(struct frontier *f, int64_t source_id, const char *url, long depth,
			  long hops);
/*
 * Loads up to max pages of source due now and not finished in this run,
 * skipping ids for which skip(ctx, id) says so. Returns the count or -1.
 */
int frontier_load(struct frontier *f, int64_t source_id, struct frontier_page *out, int max,
		  int (*skip)(void *ctx, int64_t id), void *ctx);
/* Seconds from now until the next pending retry of source (-1 if none). */
double frontier_next_retry(struct frontier *f, int64_t source_id);

/* How a fetch ended, to be written to the page row. */
struct page_outcome {
	const char *status;		/* fetched, failed, blocked */
	long http_status;
	const char *final_url, *etag, *last_modified, *error;
	int64_t content_hash;
	int has_hash;
	int64_t document_id;		/* 0 = keep the old one */
	long records;
	long next_in;			/* seconds until due again */
	long links_dropped;		/* links past --max-links, not followed */
};
int frontier_finish(struct frontier *f, int64_t page_id, const struct page_outcome *o);
/* Leaves the page pending with tries+1, due again in `in` seconds. */
int frontier_retry(struct frontier *f, int64_t page_id, long http_status, const char *error,
		   double in);

/* Stores a document (with its extraction confidence, 0..1) unless equal text
 * exists (*is_new = 0); returns its id (new or old), or -1 on error. */
int64_t frontier_document(struct frontier *f, int64_t source_id, int64_t page_id, const char *url,
			  const char *title, const char *text, const char *lang, double confidence,
			  int *is_new);
/* Sets the document of a record just inserted. */
int frontier_record_document(struct frontier *f, int64_t record_id, int64_t document_id);

/* robots.txt cache: returns 1 and fills status/body if cached in the last 24 h. */
int frontier_robots_get(struct frontier *f, const char *site, long *status, struct strbuf *body);
int frontier_robots_put(struct frontier *f, const char *site, long status, const char *body,
			size_t len);

#endif
