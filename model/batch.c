/*
 * batch.c - one generation step for several sequences at once: each brings
 * one token and its own key/value cache, and every projection runs as one
 * matrix product over all of them, so the weights are read once per step
 * instead of once per sequence (what makes serving several clients cheaper
 * than serving them one after the other). Attention stays per sequence.
 *
 * Built only from the public kernels of ops.h, like model_forward; the
 * results match model_forward's up to float rounding (the products are
 * summed in another order), not to the bit.
 */
#include "model.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct batch_attention {
	const struct model_config *cfg;
	struct kv_cache **caches;
	const float *q;		/* (B, H*hd) */
	float *out;		/* (B, H*hd) */
	float *scores;		/* (threads, longest context) */
	int layer, window, longest;
};

/* Task b * H + h: query head h of sequence b over its cached keys. */
static void attend_one(void *arg, int task)
{
	const struct batch_attention *a = arg;
	const struct model_config *c = a->cfg;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	int b = task / c->heads, h = task % c->heads, kvh = h / (c->heads / c->kv_heads);
	const struct kv_cache *cache = a->caches[b];
	int pos = cache->len, lo = a->window && pos - a->window + 1 > 0 ? pos - a->window + 1 : 0;
	int nk = pos - lo + 1;
	size_t layer_off = (size_t)a->layer * cache->cap * kvd;
	float *s = a->scores + (size_t)parallel_thread_index() * a->longest;
	attn_scores(s, a->q + (size_t)b * qd + (size_t)h * hd, cache->k + layer_off + (size_t)lo * kvd +
		    (size_t)kvh * hd, (size_t)kvd, nk, hd, 1.0f / sqrtf((float)hd));
	softmax(s, nk);
	attn_mix(a->out + (size_t)b * qd + (size_t)h * hd, s, cache->v + layer_off + (size_t)lo * kvd +
		 (size_t)kvh * hd, (size_t)kvd, nk, hd);
}

/* Rotates row b of x (heads heads) for its sequence's position. */
static void rope_rows(const struct model_config *c, float *x, int heads, struct kv_cache **caches, int B)
{
	float inv_freq[512];
	for (int b = 0; b < B; b++) {
		rope_inv_freq(c, caches[b]->len + 1, inv_freq);
		rope_apply(x + (size_t)b * heads * c->head_dim, 1, heads, c->head_dim, caches[b]->len, inv_freq);
	}
}

int model_forward_batch(struct model *m, struct kv_cache **caches, const int32_t *tokens, int B,
			float *logits)
{
	const struct model_config *c = &m->cfg;
	int D = c->hidden, F = c->intermediate, hd = c->head_dim, longest = 0;
	int qd = c->heads * hd, kvd = c->kv_heads * hd;
	size_t nb = (size_t)B;
	float *x, *xb, *q, *k, *v, *att, *g, *u, *scores;

	for (int b = 0; b < B; b++) {
		if (caches[b]->len + 1 > caches[b]->cap)
			return error("sequence %d needs %d positions but its cache holds %d", b,
				     caches[b]->len + 1, caches[b]->cap);
		if (tokens[b] < 0 || tokens[b] >= c->vocab)
			return error("token id %d is outside the model's vocabulary (0..%d)", tokens[b], c->vocab - 1);
		if (caches[b]->len + 1 > longest)
			longest = caches[b]->len + 1;
	}
	x = xmalloc(nb * D * sizeof(float));
	xb = xmalloc(nb * (D > qd ? D : qd) * sizeof(float));
	q = xmalloc(nb * qd * sizeof(float));
	k = xmalloc(nb * kvd * sizeof(float));
	v = xmalloc(nb * kvd * sizeof(float));
	att = xmalloc(nb * qd * sizeof(float));
	g = xmalloc(nb * F * sizeof(float));
	u = xmalloc(nb * F * sizeof(float));
	scores = xmalloc((size_t)parallel_threads() * longest * sizeof(float));
	for (int b = 0; b < B; b++)
		weight_row(&m->embed, tokens[b], x + (size_t)b * D);

	for (int l = 0; l < c->layers; l++) {
		const struct layer_weights *w = &m->layers[l];
		struct batch_attention a = { c, caches, q, att, scores, l, w->window, longest };
		struct matmul_job qkv[3] = { { q, &w->wq, w->bq }, { k, &w->wk, w->bk }, { v, &w->wv, w->bv } };
		struct matmul_job gu[2] = { { g, &w->gate, w->bgate }, { u, &w->up, w->bup } };

		rmsnorm(xb, x, w->attn_norm, B, D, (float)c->rms_eps);
		matmul_many(xb, B, qkv, 3, m->wscratch);
		rope_rows(c, q, c->heads, caches, B);
		rope_rows(c, k, c->kv_heads, caches, B);
		for (int b = 0; b < B; b++) {
			size_t at = ((size_t)l * caches[b]->cap + caches[b]->len) * kvd;
			memcpy(caches[b]->k + at, k + (size_t)b * kvd, (size_t)kvd * sizeof(float));
			memcpy(caches[b]->v + at, v + (size_t)b * kvd, (size_t)kvd * sizeof(float));
		}
		parallel_for(B * c->heads, attend_one, &a);
		matmul(xb, att, B, &w->wo, w->bo, m->wscratch);
		for (size_t i = 0; i < nb * D; i++)
			x[i] += xb[i];

		rmsnorm(xb, x, w->mlp_norm, B, D, (float)c->rms_eps);
		matmul_many(xb, B, gu, 2, m->wscratch);
		silu_mul(u, g, nb * F);
		matmul(xb, u, B, &w->down, w->bdown, m->wscratch);
		for (size_t i = 0; i < nb * D; i++)
			x[i] += xb[i];
	}
	rmsnorm(x, x, m->final_norm, B, D, (float)c->rms_eps);
	model_logits(m, x, B, logits);
	for (int b = 0; b < B; b++)
		caches[b]->len++;
	free(x);
	free(xb);
	free(q);
	free(k);
	free(v);
	free(att);
	free(g);
	free(u);
	free(scores);
	return 0;
}
