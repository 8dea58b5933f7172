/*
 * engine.c - the jobs of `winnow serve`: a queue, --parallel slots each with
 * its key/value cache, and rounds in which every running job makes one
 * token. A queued job takes the free slot whose cache shares the longest
 * prefix with its prompt, so a conversation's next turn and repeated system
 * prompts reuse what is already computed.
 */
#include "serve.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

int engine_init(struct server *s)
{
	s->slots = xcalloc((size_t)s->lim.parallel, sizeof(*s->slots));
	for (int i = 0; i < s->lim.parallel; i++)
		if (kv_cache_init(&s->slots[i].cache, s->models[0].g.m, s->lim.context))
			return error("%d caches of %d positions do not fit in memory; lower --parallel "
				     "or --context", s->lim.parallel, s->lim.context);
	return 0;
}

void engine_free(struct server *s)
{
	struct job *j, *next;
	for (int i = 0; s->slots && i < s->lim.parallel; i++) {
		if (s->slots[i].job)
			job_free(s->slots[i].job);
		kv_cache_free(&s->slots[i].cache);
		token_ids_release(&s->slots[i].cached);
	}
	for (j = s->queue_head; j; j = next) {
		next = j->next;
		job_free(j);
	}
	free(s->slots);
	s->slots = NULL;
}

int engine_submit(struct server *s, struct job *j)
{
	if (s->queued >= s->lim.queue && s->running + s->queued >= s->lim.parallel)
		return -1;	/* neither a free slot nor room to wait */
	j->slot = -1;
	j->next = NULL;
	if (s->queue_tail)
		s->queue_tail->next = j;
	else
		s->queue_head = j;
	s->queue_tail = j;
	s->queued++;
	return 0;
}

void engine_cancel(struct server *s, struct job *j)
{
	if (j->slot >= 0) {
		s->slots[j->slot].job = NULL;
		s->running--;
	} else {
		struct job **p = &s->queue_head, *prev = NULL;
		while (*p && *p != j)
			prev = *p, p = &(*p)->next;
		if (*p) {
			*p = j->next;
			if (s->queue_tail == j)
				s->queue_tail = prev;
			s->queued--;
		}
	}
	job_free(j);
}

static size_t shared_prefix(const struct token_ids *a, const struct token_ids *b)
{
	size_t n = 0;
	while (n < a->n && n < b->n && a->ids[n] == b->ids[n])
		n++;
	return n;
}

/* The free slot best for j, or -1. */
static int pick_slot(const struct server *s, const struct job *j)
{
	int best = -1;
	size_t best_len = 0;
	for (int i = 0; i < s->lim.parallel; i++) {
		const struct slot *sl = &s->slots[i];
		size_t len;
		if (sl->job)
			continue;
		len = sl->owner == j->model ? shared_prefix(&sl->cached, &j->prompt) : 0;
		if (best < 0 || len > best_len)
			best = i, best_len = len;
	}
	return best;
}

static void finish(struct server *s, struct job *j, struct strbuf *out)
{
	api_job_end(j, out, j->keep_alive);
	s->slots[j->slot].job = NULL;
	s->running--;
	conn_job_done(j->conn);
	job_free(j);
}

static void start_queued(struct server *s)
{
	int i;
	while (s->queue_head && (i = pick_slot(s, s->queue_head)) >= 0) {
		struct job *j = s->queue_head;
		struct slot *sl = &s->slots[i];
		struct strbuf *out = conn_out(j->conn);
		s->queue_head = j->next;
		if (!s->queue_head)
			s->queue_tail = NULL;
		s->queued--;
		if (sl->owner != j->model)
			sl->cached.n = 0;
		sl->owner = j->model;
		sl->job = j;
		j->slot = i;
		s->running++;
		j->d.cache = &sl->cache;
		j->d.cached = &sl->cached;
		j->d.sampler = &j->sampler;
		j->d.max_tokens = j->max_tokens;
		decode_set_stops(&j->d, &j->model->g, (const char *const *)j->stops, (size_t)j->nstop);
		if (decode_start(&j->d, &j->model->g, &j->prompt)) {
			sl->cached.n = 0;
			sl->owner = NULL;
			http_respond_error(out, 500, "server_error", NULL, 0, "the model failed on this prompt");
			j->keep_alive = 0;
			s->slots[i].job = NULL;
			s->running--;
			conn_job_done(j->conn);
			job_free(j);
			continue;
		}
		api_job_head(j, out);
	}
}

/*
 * Runs the tokens picked for the jobs of one model: alone through
 * model_forward (exactly what `winnow chat` computes), several through
 * model_forward_batch. Jobs whose step fails are ended.
 */
static void run_picked(struct server *s, struct job **jobs, int n)
{
	struct generator *g = &jobs[0]->model->g;
	int V = g->m->cfg.vocab, rc;
	if (n == 1) {
		rc = model_forward(g->m, jobs[0]->d.cache, &jobs[0]->d.next, 1, NULL, jobs[0]->d.logits);
	} else {
		struct kv_cache **caches = xmalloc((size_t)n * sizeof(*caches));
		int32_t *tokens = xmalloc((size_t)n * sizeof(*tokens));
		float *logits = xmalloc((size_t)n * V * sizeof(float));
		for (int i = 0; i < n; i++) {
			caches[i] = jobs[i]->d.cache;
			tokens[i] = jobs[i]->d.next;
		}
		rc = model_forward_batch(g->m, caches, tokens, n, logits);
		for (int i = 0; !rc && i < n; i++)
			memcpy(jobs[i]->d.logits, logits + (size_t)i * V, (size_t)V * sizeof(float));
		free(caches);
		free(tokens);
		free(logits);
	}
	for (int i = 0; i < n; i++) {
		if (rc) {
			jobs[i]->d.finish = "error";
			finish(s, jobs[i], conn_out(jobs[i]->conn));
		} else {
			decode_ran(&jobs[i]->d);
		}
	}
}

int engine_round(struct server *s)
{
	struct job **picked = xmalloc((size_t)s->lim.parallel * sizeof(*picked));
	struct job **group = xmalloc((size_t)s->lim.parallel * sizeof(*group));
	int npicked = 0;
	start_queued(s);
	for (int i = 0; i < s->lim.parallel; i++) {
		struct job *j = s->slots[i].job;
		struct strbuf *out;
		size_t from, to;
		int rc;
		if (!j)
			continue;
		out = conn_out(j->conn);
		if (out->len > SERVE_OUT_PAUSE)
			continue;	/* the client reads slowly: wait for it */
		rc = decode_pick(&j->d, &j->model->g, &from, &to);
		if (rc < 0) {
			j->d.finish = "error";
			rc = 1;
		}
		if (j->stream && to > from)
			api_job_chunk(j, j->d.text.buf + from, to - from, out);
		if (rc)
			finish(s, j, out);
		else
			picked[npicked++] = j;
	}
	for (int m = 0; m < s->nmodels && npicked; m++) {	/* one batch per model */
		int n = 0;
		for (int i = 0; i < npicked; i++)
			if (picked[i]->model == &s->models[m])
				group[n++] = picked[i];
		if (n)
			run_picked(s, group, n);
	}
	free(group);
	free(picked);
	return s->running + s->queued;
}
