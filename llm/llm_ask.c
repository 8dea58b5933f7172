/*
 * llm_ask.c - asking the LLM one question per record and reading a JSON
 * answer, for judge and fix. An answer the caller
 * cannot read is asked again as the next sample (a different cache key,
 * so the cache does not hand back the same bad answer), up to `retries`
 * times; after that the record is set aside, untouched, and counted.
 */
#include "llm.h"
#include "../db/corpus.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

struct ask_round {
	struct llm_request *reqs;
	size_t *job_of;		/* reqs[i] asks jobs[job_of[i]] */
	size_t *retry, retry_nr;
	struct llm_job *jobs;
	int (*handle)(struct llm_request *req, void *ctx);
	void *ctx;
	struct llm_ask_totals *t;
};

static int on_done(struct llm_request *req, void *data)
{
	struct ask_round *r = data;
	size_t i = (size_t)(req - r->reqs);
	if (req->status == LLM_FAILED) {
		r->t->failed++;
		return 0;
	}
	if (req->status == LLM_OK) {
		int h = r->handle(req, r->ctx);
		if (h < 0)
			return 1;
		if (h == 0) {
			r->t->answered++;
			return 0;
		}
	}
	/* unreadable or cut off: ask again */
	r->retry[r->retry_nr++] = r->job_of[i];
	return 0;
}

enum llm_run_result llm_ask_all(struct llm_client *c, const char *purpose, struct llm_job *jobs, size_t n,
				int retries, int (*handle)(struct llm_request *req, void *ctx), void *ctx,
				struct llm_ask_totals *t)
{
	size_t *pending = xcalloc(n + 1, sizeof(*pending)), np = n;
	enum llm_run_result result = LLM_RUN_DONE;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++)
		pending[i] = i;
	for (int round = 0; round <= retries && np; round++) {
		struct ask_round r;
		r.reqs = xcalloc(np, sizeof(*r.reqs));
		r.job_of = pending;
		r.retry = xcalloc(np + 1, sizeof(*r.retry));
		r.retry_nr = 0;
		r.jobs = jobs;
		r.handle = handle;
		r.ctx = ctx;
		r.t = t;
		for (size_t i = 0; i < np; i++) {
			struct llm_job *j = &jobs[pending[i]];
			llm_request_init(&r.reqs[i]);
			r.reqs[i].system = j->system;
			r.reqs[i].prompt = j->prompt;
			r.reqs[i].purpose = purpose;
			r.reqs[i].json = 1;
			r.reqs[i].sample = round;
			r.reqs[i].data = j->data;
		}
		result = llm_run(c, r.reqs, np, on_done, &r);
		for (size_t i = 0; i < np; i++) {
			if (r.reqs[i].status == LLM_SKIPPED || r.reqs[i].status == LLM_PENDING)
				t->skipped++;
			llm_request_release(&r.reqs[i]);
		}
		free(r.reqs);
		free(pending);
		pending = r.retry;
		np = r.retry_nr;
		if (result != LLM_RUN_DONE)
			break;
		if (np && round < retries)
			t->retried += (long)np;
	}
	if (result == LLM_RUN_DONE)
		t->unreadable += (long)np;
	else
		t->skipped += (long)np;
	free(pending);
	return result;
}

int llm_ask_exit(enum llm_run_result r, const struct llm_ask_totals *t)
{
	if (r == LLM_RUN_FATAL)
		return EXIT_FAILURE_;
	if (t->failed)
		return EXIT_TEMPFAIL;	/* calls failed after their retries: try again later */
	return EXIT_OK;
}

void llm_jobs_add(struct llm_jobs *l, const char *system, char *prompt, void *data)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 64;
		l->job = xrealloc(l->job, l->alloc * sizeof(*l->job));
	}
	l->job[l->nr].system = system;
	l->job[l->nr].prompt = prompt;
	l->job[l->nr].data = data;
	l->nr++;
}

void llm_jobs_release(struct llm_jobs *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free((char *)l->job[i].prompt);
		if (l->free_data)
			l->free_data(l->job[i].data);
		else
			free(l->job[i].data);
	}
	free(l->job);
	l->job = NULL;
	l->nr = l->alloc = 0;
}

void llm_count_run(struct run *run, const struct llm_totals *t)
{
	run_count(run, "calls", t->calls);
	run_count(run, "cached", t->cached);
	run_count(run, "tokens_in", t->tokens_in);
	run_count(run, "tokens_out", t->tokens_out);
}
