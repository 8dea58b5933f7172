/*
 * llm_cache.c - the llm_calls table is both the log of every call and the
 * cache: a request identical to one answered before (same endpoint, model,
 * body and sample number) is answered from there, so re-running a command
 * after a crash or a fatal error pays only for what it has not had yet.
 */
#include "llm_internal.h"
#include "../db/corpus.h"
#include "../lib/util.h"

#include <string.h>

int64_t llm_cache_key(const char *base_url, const char *model, const char *body, int sample)
{
	uint64_t h = 0x6c6c6d63616c6cULL;
	h = hash64(base_url, strlen(base_url), h);
	h = hash64(model, strlen(model), h ^ 1);
	h = hash64(body, strlen(body), h ^ 2);
	h = hash64(&sample, sizeof(sample), h ^ 3);
	return (int64_t)h;
}

int64_t llm_call_store(sqlite3 *db, const struct llm_call_row *row)
{
	char now[32];
	int64_t id = -1;
	sqlite3_stmt *st = corpus_prepare(db,
		"INSERT INTO llm_calls (cache_key, provider, model, task, sample, request, response, "
		"status, http_status, finish_reason, tokens_in, tokens_out, latency, run_id, created_at) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return -1;
	now_iso(now, sizeof(now));
	sqlite3_bind_int64(st, 1, row->cache_key);
	sqlite3_bind_text(st, 2, row->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, row->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, row->task ? row->task : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, row->sample);
	sqlite3_bind_text(st, 6, row->request, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, row->response ? row->response : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, row->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, row->http_status);
	sqlite3_bind_text(st, 10, row->finish_reason ? row->finish_reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, row->tokens_in);
	sqlite3_bind_int64(st, 12, row->tokens_out);
	sqlite3_bind_double(st, 13, row->latency);
	if (row->run_id > 0)
		sqlite3_bind_int64(st, 14, row->run_id);
	else
		sqlite3_bind_null(st, 14);
	sqlite3_bind_text(st, 15, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
	else
		error("corpus: cannot record the LLM call: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return id;
}

int llm_cache_lookup(sqlite3 *db, int64_t key, const char *body, int sample, struct llm_request *req)
{
	int rc = 0;
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT id, response, status, finish_reason, tokens_in, tokens_out FROM llm_calls "
		"WHERE cache_key = ? AND sample = ? AND request = ? AND status IN ('ok', 'truncated') "
		"ORDER BY id DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, sample);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);
		const char *fr = (const char *)sqlite3_column_text(st, 3);
		req->call_id = sqlite3_column_int64(st, 0);
		strbuf_reset(&req->content);
		strbuf_add(&req->content, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		req->status = !strcmp(status, "truncated") ? LLM_TRUNCATED : LLM_OK;
		snprintf(req->finish_reason, sizeof(req->finish_reason), "%s", fr ? fr : "");
		req->tokens_in = (long)sqlite3_column_int64(st, 4);
		req->tokens_out = (long)sqlite3_column_int64(st, 5);
		req->cached = 1;
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}
