/*
 * llm_internal.h - what the llm_*.c files share and nothing else needs:
 * the llm_calls table (cache and log), and the exit code of a run.
 */
#ifndef WINNOW_LLM_INTERNAL_H
#define WINNOW_LLM_INTERNAL_H

#include "llm.h"

#include <sqlite3.h>
#include <stdint.h>

/* Longest answer body accepted from a platform. */
#define LLM_RESPONSE_MAX ((size_t)8 << 20)
/* Longest error body kept in llm_calls.response. */
#define LLM_ERROR_KEEP 4000

/* The cache key of a request: endpoint, model, body and sample number. */
int64_t llm_cache_key(const char *base_url, const char *model, const char *body, int sample);

/* One row of llm_calls; strings borrowed. */
struct llm_call_row {
	int64_t cache_key, run_id;
	const char *provider, *model, *task, *request, *response, *status, *finish_reason;
	long http_status, tokens_in, tokens_out;
	double latency;
	int sample;
};

/* Inserts row; returns its id or -1 after printing the SQLite error. */
int64_t llm_call_store(sqlite3 *db, const struct llm_call_row *row);
/*
 * Looks for an answered call (status ok or truncated) with this key and
 * exactly this request body; fills req's content, finish_reason, tokens,
 * call_id and status. Returns 1 on a hit, 0 on a miss, -1 on error.
 */
int llm_cache_lookup(sqlite3 *db, int64_t key, const char *body, int sample, struct llm_request *req);

/* Exit code after llm_run: 1 after a fatal error, 75 when calls failed
 * after their retries (run again later), else 0. */
int llm_run_exit(enum llm_run_result r, const struct llm_totals *t);

#endif
