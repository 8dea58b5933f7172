/*
 * frontier.c - the statements the crawler runs on `pages`, `documents` and
 * `robots_cache`. See frontier.h for the invariants they keep.
 */
#include "frontier.h"
#include "crawl.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int frontier_open(struct frontier *f, sqlite3 *db, int64_t run_id)
{
	memset(f, 0, sizeof(*f));
	f->db = db;
	f->run_id = run_id;
	f->add = corpus_prepare(db,
		"INSERT INTO pages (source_id, url, page_key, kind, depth, redirects, created_at) "
		"VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now')) "
		"ON CONFLICT (source_id, page_key) DO NOTHING");
	f->load = corpus_prepare(db,
		"SELECT id, url, kind, depth, tries, etag, last_modified, content_hash, redirects "
		"FROM pages "
		"WHERE source_id = ? AND next_fetch_at <= ? AND (run_id IS NULL OR run_id <> ?) "
		"ORDER BY depth, id LIMIT ?");
	f->finish = corpus_prepare(db,
		"UPDATE pages SET status = ?, http_status = ?, final_url = coalesce(?, final_url),"
		" etag = ?, last_modified = ?, content_hash = coalesce(?, content_hash),"
		" document_id = coalesce(?, document_id), records = ?, tries = 0,"
		" next_fetch_at = ?, fetched_at = strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
		" last_error = ?, run_id = ?, links_dropped = ? WHERE id = ?");
	f->retry = corpus_prepare(db,
		"UPDATE pages SET tries = tries + 1, http_status = ?, last_error = ?,"
		" next_fetch_at = ? WHERE id = ?");
	f->next_retry = corpus_prepare(db,
		"SELECT min(next_fetch_at) FROM pages WHERE source_id = ? AND status = 'pending'"
		" AND (run_id IS NULL OR run_id <> ?)");
	f->doc_insert = corpus_prepare(db,
		"INSERT INTO documents (source_id, page_id, url, title, text, content_hash, created_at,"
		" lang, fetched_at, confidence) VALUES (?, ?, ?, ?, ?, ?,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?)"
		" ON CONFLICT (content_hash) DO NOTHING RETURNING id");
	f->doc_find = corpus_prepare(db, "SELECT id FROM documents WHERE content_hash = ?");
	f->record_doc = corpus_prepare(db, "UPDATE records SET document_id = ? WHERE id = ?");
	f->robots_get = corpus_prepare(db,
		"SELECT status, body FROM robots_cache WHERE site = ? AND fetched_at > ?");
	f->robots_put = corpus_prepare(db,
		"INSERT OR REPLACE INTO robots_cache (site, status, body, fetched_at) VALUES (?, ?, ?, ?)");
	if (!f->add || !f->load || !f->finish || !f->retry || !f->next_retry || !f->doc_insert ||
	    !f->doc_find || !f->record_doc || !f->robots_get || !f->robots_put ||
	    record_inserter_init(&f->records, db)) {
		frontier_close(f);
		return -1;
	}
	return 0;
}

void frontier_close(struct frontier *f)
{
	sqlite3_stmt **all[] = { &f->add, &f->load, &f->finish, &f->retry, &f->next_retry,
		&f->doc_insert, &f->doc_find, &f->record_doc, &f->robots_get, &f->robots_put };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		sqlite3_finalize(*all[i]);
		*all[i] = NULL;
	}
	if (f->records.db)
		record_inserter_release(&f->records);
	f->records.db = NULL;
}

void frontier_page_release(struct frontier_page *p)
{
	free(p->url);
	free(p->etag);
	free(p->last_modified);
	memset(p, 0, sizeof(*p));
}

static int step_done(struct frontier *f, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return error("corpus: cannot %s: %s", what, sqlite3_errmsg(f->db));
	return 0;
}

static int add_page(struct frontier *f, int64_t source_id, const char *url, enum page_kind kind,
		    long depth, long hops)
{
	struct strbuf key = STRBUF_INIT;
	url_page_key(url, &key);
	sqlite3_bind_int64(f->add, 1, source_id);
	sqlite3_bind_text(f->add, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->add, 3, key.buf, (int)key.len, SQLITE_STATIC);
	sqlite3_bind_text(f->add, 4, kind == PAGE_SITEMAP ? "sitemap" : "page", -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->add, 5, depth);
	sqlite3_bind_int64(f->add, 6, hops);
	int rc = step_done(f, f->add, "add a page to the frontier");
	strbuf_release(&key);
	return rc ? -1 : sqlite3_changes(f->db) > 0;
}

int frontier_add(struct frontier *f, int64_t source_id, const char *url, enum page_kind kind,
		 long depth)
{
	return add_page(f, source_id, url, kind, depth, 0);
}

int frontier_add_redirect(struct frontier *f, int64_t source_id, const char *url, long depth,
			  long hops)
{
	return add_page(f, source_id, url, PAGE_HTML, depth, hops);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

int frontier_load(struct frontier *f, int64_t source_id, struct frontier_page *out, int max,
		  int (*skip)(void *ctx, int64_t id), void *ctx)
{
	int n = 0, rc;
	sqlite3_bind_int64(f->load, 1, source_id);
	sqlite3_bind_int64(f->load, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(f->load, 3, f->run_id);
	sqlite3_bind_int(f->load, 4, max * 2);
	while (n < max && (rc = sqlite3_step(f->load)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(f->load, 0);
		if (skip(ctx, id))
			continue;
		struct frontier_page *p = &out[n++];
		p->id = id;
		p->source_id = source_id;
		p->url = column_dup(f->load, 1);
		p->kind = !strcmp((const char *)sqlite3_column_text(f->load, 2), "sitemap")
			  ? PAGE_SITEMAP : PAGE_HTML;
		p->depth = sqlite3_column_int(f->load, 3);
		p->tries = sqlite3_column_int(f->load, 4);
		p->etag = column_dup(f->load, 5);
		p->last_modified = column_dup(f->load, 6);
		p->has_hash = sqlite3_column_type(f->load, 7) != SQLITE_NULL;
		p->content_hash = sqlite3_column_int64(f->load, 7);
		p->redirects = sqlite3_column_int(f->load, 8);
	}
	sqlite3_reset(f->load);
	sqlite3_clear_bindings(f->load);
	return n;
}

double frontier_next_retry(struct frontier *f, int64_t source_id)
{
	double in = -1;
	sqlite3_bind_int64(f->next_retry, 1, source_id);
	sqlite3_bind_int64(f->next_retry, 2, f->run_id);
	if (sqlite3_step(f->next_retry) == SQLITE_ROW &&
	    sqlite3_column_type(f->next_retry, 0) != SQLITE_NULL)
		in = (double)(sqlite3_column_int64(f->next_retry, 0) - (int64_t)time(NULL));
	sqlite3_reset(f->next_retry);
	sqlite3_clear_bindings(f->next_retry);
	return in < 0 && in != -1 ? 0 : in;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int frontier_finish(struct frontier *f, int64_t page_id, const struct page_outcome *o)
{
	sqlite3_stmt *st = f->finish;
	sqlite3_bind_text(st, 1, o->status, -1, SQLITE_STATIC);
	if (o->http_status)
		sqlite3_bind_int64(st, 2, o->http_status);
	bind_text_or_null(st, 3, o->final_url);
	bind_text_or_null(st, 4, o->etag);
	bind_text_or_null(st, 5, o->last_modified);
	if (o->has_hash)
		sqlite3_bind_int64(st, 6, o->content_hash);
	if (o->document_id > 0)
		sqlite3_bind_int64(st, 7, o->document_id);
	sqlite3_bind_int64(st, 8, o->records);
	sqlite3_bind_int64(st, 9, (int64_t)time(NULL) + o->next_in);
	bind_text_or_null(st, 10, o->error);
	sqlite3_bind_int64(st, 11, f->run_id);
	sqlite3_bind_int64(st, 12, o->links_dropped);
	sqlite3_bind_int64(st, 13, page_id);
	return step_done(f, st, "update a page");
}

int frontier_retry(struct frontier *f, int64_t page_id, long http_status, const char *err, double in)
{
	sqlite3_stmt *st = f->retry;
	if (http_status)
		sqlite3_bind_int64(st, 1, http_status);
	bind_text_or_null(st, 2, err);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL) + (int64_t)(in + 0.999));
	sqlite3_bind_int64(st, 4, page_id);
	return step_done(f, st, "schedule a retry");
}

int64_t frontier_document(struct frontier *f, int64_t source_id, int64_t page_id, const char *url,
			  const char *title, const char *text, const char *lang, double confidence,
			  int *is_new)
{
	size_t tl = strlen(title), xl = strlen(text);
	uint64_t h = (uint64_t)document_hash(title, tl, text, xl);
	int64_t id = -1;
	sqlite3_stmt *st = f->doc_insert;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, page_id);
	sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, title, (int)tl, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, text, (int)xl, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)h);
	sqlite3_bind_text(st, 7, lang, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, confidence);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		id = 0;
	else
		error("corpus: cannot store a document: %s", sqlite3_errmsg(f->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (id == 0) {
		/* the same text is already stored (another page, or an older fetch) */
		sqlite3_bind_int64(f->doc_find, 1, (int64_t)h);
		id = sqlite3_step(f->doc_find) == SQLITE_ROW ? sqlite3_column_int64(f->doc_find, 0) : -1;
		sqlite3_reset(f->doc_find);
		*is_new = 0;
	} else {
		*is_new = id > 0;
	}
	return id;
}

int frontier_record_document(struct frontier *f, int64_t record_id, int64_t document_id)
{
	sqlite3_bind_int64(f->record_doc, 1, document_id);
	sqlite3_bind_int64(f->record_doc, 2, record_id);
	return step_done(f, f->record_doc, "link a record to its document");
}

int frontier_robots_get(struct frontier *f, const char *site, long *status, struct strbuf *body)
{
	int found = 0;
	sqlite3_bind_text(f->robots_get, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->robots_get, 2, (int64_t)time(NULL) - 86400);
	if (sqlite3_step(f->robots_get) == SQLITE_ROW) {
		*status = sqlite3_column_int(f->robots_get, 0);
		strbuf_add(body, sqlite3_column_text(f->robots_get, 1),
			   (size_t)sqlite3_column_bytes(f->robots_get, 1));
		found = 1;
	}
	sqlite3_reset(f->robots_get);
	return found;
}

int frontier_robots_put(struct frontier *f, const char *site, long status, const char *body,
			size_t len)
{
	sqlite3_bind_text(f->robots_put, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->robots_put, 2, status);
	sqlite3_bind_text(f->robots_put, 3, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(f->robots_put, 4, (int64_t)time(NULL));
	return step_done(f, f->robots_put, "cache robots.txt");
}
