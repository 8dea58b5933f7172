/*
 * train_forward.c - the model under training: its trainable parameters
 * (LoRA A/B, or every weight with --full), batches of segments, and the
 * forward pass that keeps what backward.c needs. The numbers are those of
 * model.c (same RMSNorm, RoPE, softmax and SiLU formulas) so a trained
 * adapter behaves the same in eval and chat.
 */
#define _POSIX_C_SOURCE 200809L
#include "train_pass.h"
#include "../model/template.h"
#include "../lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the trained model ---- */

void train_add_group(struct train_model *tm, const char *name, size_t numel, int rows, int cols,
		     int decay)
{
	struct param_group *g;
	tm->groups = xrealloc(tm->groups, (tm->ngroups + 1) * sizeof(*tm->groups));
	g = &tm->groups[tm->ngroups++];
	g->name = xstrdup(name);
	g->offset = tm->nparams;
	g->numel = numel;
	g->rows = rows;
	g->cols = cols;
	g->decay = decay;
	tm->nparams += numel;
}

/* Full training: every tensor becomes a slice of params. Two passes: sizes, then copies. */
static void full_params(struct train_model *tm, int copy)
{
	struct model *m = tm->m;
	const struct model_config *c = tm->cfg;
	size_t k = 0;
	char name[128];
#define MAT(nm, wptr) do { \
		struct weight *w_ = (wptr); \
		if (!copy) { \
			train_add_group(tm, nm, (size_t)w_->rows * w_->cols, w_->rows, w_->cols, 1); \
		} else { \
			float *dst_ = tm->params + tm->groups[k++].offset; \
			st_to_f32(w_->dtype, w_->data, dst_, (size_t)w_->rows * w_->cols); \
			w_->data = dst_; \
			w_->dtype = ST_F32; \
		} \
	} while (0)
#define VEC(nm, vptr, len) do { \
		if (*(vptr)) { \
			if (!copy) { \
				train_add_group(tm, nm, (size_t)(len), len, 0, 0); \
			} else { \
				float *dst_ = tm->params + tm->groups[k++].offset; \
				memcpy(dst_, *(vptr), (size_t)(len) * sizeof(float)); \
				*(vptr) = dst_; \
			} \
		} \
	} while (0)
	MAT("model.embed_tokens.weight", &m->embed);
	for (int l = 0; l < c->layers; l++) {
		struct layer_weights *w = &m->layers[l];
		int qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim;
#define N(s) (snprintf(name, sizeof(name), "model.layers.%d.%s", l, s), name)
		VEC(N("input_layernorm.weight"), &w->attn_norm, c->hidden);
		MAT(N("self_attn.q_proj.weight"), &w->wq);
		MAT(N("self_attn.k_proj.weight"), &w->wk);
		MAT(N("self_attn.v_proj.weight"), &w->wv);
		MAT(N("self_attn.o_proj.weight"), &w->wo);
		VEC(N("self_attn.q_proj.bias"), &w->bq, qd);
		VEC(N("self_attn.k_proj.bias"), &w->bk, kvd);
		VEC(N("self_attn.v_proj.bias"), &w->bv, kvd);
		VEC(N("self_attn.o_proj.bias"), &w->bo, c->hidden);
		VEC(N("post_attention_layernorm.weight"), &w->mlp_norm, c->hidden);
		MAT(N("mlp.gate_proj.weight"), &w->gate);
		MAT(N("mlp.up_proj.weight"), &w->up);
		MAT(N("mlp.down_proj.weight"), &w->down);
		VEC(N("mlp.gate_proj.bias"), &w->bgate, c->intermediate);
		VEC(N("mlp.up_proj.bias"), &w->bup, c->intermediate);
		VEC(N("mlp.down_proj.bias"), &w->bdown, c->hidden);
#undef N
	}
	VEC("model.norm.weight", &m->final_norm, c->hidden);
	if (c->tie_embeddings)
		m->lm_head = m->embed;
	else
		MAT("lm_head.weight", &m->lm_head);
#undef MAT
#undef VEC
}

int train_model_init(struct train_model *tm, struct model *m, int full,
		     const struct lora_config *lc, uint64_t seed)
{
	memset(tm, 0, sizeof(*tm));
	tm->m = m;
	tm->cfg = &m->cfg;
	tm->full = full;
	tm->seed = seed;
	tm->scratch = xmalloc(weight_scratch_floats() * sizeof(float));
	if (full) {
		full_params(tm, 0);
		tm->params = xmalloc(tm->nparams * sizeof(float));
		full_params(tm, 1);
		/* tied: lm_head points at the embedding's copy */
		if (m->cfg.tie_embeddings)
			m->lm_head = m->embed;
	} else {
		char name[160];
		lora_adapter_init(&tm->lora, &m->cfg, lc, seed);
		tm->dropout = (float)lc->dropout;
		tm->params = tm->lora.params;
		for (int l = 0; l < m->cfg.layers; l++)
			for (int k = 0; k < LORA_MODULES; k++) {
				struct lora_pair *p = &tm->lora.pairs[l * LORA_MODULES + k];
				if (!p->a)
					continue;
				snprintf(name, sizeof(name), "layers.%d.%s.lora_A", l, lora_module_names[k]);
				train_add_group(tm, name, (size_t)lc->rank * p->in, lc->rank, p->in, 1);
				snprintf(name, sizeof(name), "layers.%d.%s.lora_B", l, lora_module_names[k]);
				train_add_group(tm, name, (size_t)lc->rank * p->out, p->out, lc->rank, 1);
			}
		if (tm->nparams != tm->lora.nparams)
			die("train_model_init: LoRA layout mismatch");
	}
	tm->grads = xcalloc(tm->nparams ? tm->nparams : 1, sizeof(float));
	return 0;
}

static void workspace_free(struct train_workspace *ws);

void train_model_free(struct train_model *tm)
{
	if (tm->prompt_method) {
		prompt_model_release(tm);
		free(tm->params);
	} else if (tm->full) {
		free(tm->params);
	} else {
		lora_adapter_free(&tm->lora);
	}
	free(tm->grads);
	for (size_t i = 0; i < tm->ngroups; i++)
		free(tm->groups[i].name);
	free(tm->groups);
	free(tm->scratch);
	if (tm->ws) {
		workspace_free(tm->ws);
		free(tm->ws);
	}
	memset(tm, 0, sizeof(*tm));
}

float *train_grad_of(const struct train_model *tm, const void *p)
{
	const float *f = p;
	if (!f || f < tm->params || f >= tm->params + tm->nparams)
		return NULL;
	return tm->grads + (f - tm->params);
}

const struct lora_pair *train_pair(const struct train_model *tm, int layer, enum lora_module mod)
{
	const struct lora_pair *p;
	if (tm->full || !tm->lora.pairs)
		return NULL;
	p = &tm->lora.pairs[layer * LORA_MODULES + mod];
	return p->a ? p : NULL;
}

/* ---- batches ---- */

void train_batch_clear(struct train_batch *b)
{
	b->n = b->nseg = b->nseq = 0;
	b->ntargets = 0;
}

void train_batch_add(struct train_batch *b, const int32_t *ids, const int32_t *labels, int n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->ids = xrealloc(b->ids, (size_t)b->cap * sizeof(*b->ids));
		b->targets = xrealloc(b->targets, (size_t)b->cap * sizeof(*b->targets));
	}
	if (b->nseg == b->segcap) {
		b->segcap = b->segcap ? 2 * b->segcap : 16;
		b->seg_start = xrealloc(b->seg_start, (size_t)b->segcap * sizeof(int));
		b->seg_len = xrealloc(b->seg_len, (size_t)b->segcap * sizeof(int));
	}
	b->seg_start[b->nseg] = b->n;
	b->seg_len[b->nseg] = n;
	b->nseg++;
	for (int i = 0; i < n; i++) {
		/* the logits at i predict the token at i + 1 (transformers shifts labels) */
		int32_t t = i + 1 < n ? labels[i + 1] : LABEL_IGNORE;
		b->ids[b->n + i] = ids[i];
		b->targets[b->n + i] = t;
		b->ntargets += t != LABEL_IGNORE;
	}
	b->n += n;
}

void train_batch_release(struct train_batch *b)
{
	free(b->ids);
	free(b->targets);
	free(b->seg_start);
	free(b->seg_len);
	memset(b, 0, sizeof(*b));
}

/* ---- workspace ---- */

static void workspace_free(struct train_workspace *ws)
{
	if (ws->xs)
		for (int i = 0; ws->xs[i]; i++)
			free(ws->xs[i]);
	free(ws->xs);
	for (int i = 0; i < ws->nacts; i++) {
		struct layer_acts *a = &ws->acts[i];
		free(a->rms1); free(a->q); free(a->k); free(a->v); free(a->att);
		free(a->x2); free(a->rms2); free(a->g); free(a->u);
		for (int k = 0; k < LORA_MODULES; k++)
			free(a->lu[k]);
	}
	free(ws->acts);
	free(ws->xn); free(ws->h);
	free(ws->hfin); free(ws->rmsf); free(ws->inv_freq);
	free(ws->xd); free(ws->du); free(ws->dx); free(ws->dx2); free(ws->dxn); free(ws->dres);
	free(ws->dq); free(ws->dk); free(ws->dv); free(ws->datt); free(ws->dg); free(ws->dh);
	free(ws->s); free(ws->dp); free(ws->logits); free(ws->hrows); free(ws->dhrows);
	memset(ws, 0, sizeof(*ws));
}

#define FLOATS(count) xmalloc((size_t)(count) * sizeof(float))

static struct train_workspace *workspace_get(struct train_model *tm, int n, int longest)
{
	const struct model_config *c = tm->cfg;
	struct train_workspace *ws = tm->ws;
	size_t nn = (size_t)n;
	int D = c->hidden, F = c->intermediate, qd = c->heads * c->head_dim;
	int kvd = c->kv_heads * c->head_dim, r = tm->full ? 1 : tm->lora.cfg.rank;
	int maxin = F > D ? F : D;
	if (maxin < qd)
		maxin = qd;
	if (ws && ws->n >= n && ws->longest >= longest)
		return ws;
	if (ws) {
		if (ws->n > n)
			n = ws->n, nn = (size_t)n;
		if (ws->longest > longest)
			longest = ws->longest;
		workspace_free(ws);
	} else {
		ws = tm->ws = xcalloc(1, sizeof(*ws));
	}
	ws->n = n;
	ws->longest = longest;
	ws->xs = xcalloc((size_t)c->layers + 2, sizeof(*ws->xs));
	for (int l = 0; l <= c->layers; l++)
		ws->xs[l] = FLOATS(nn * D);
	ws->nacts = tm->checkpointing ? 1 : c->layers;
	ws->acts = xcalloc((size_t)ws->nacts, sizeof(*ws->acts));
	ws->xn = FLOATS(nn * D);
	ws->h = FLOATS(nn * F);
	for (int i = 0; i < ws->nacts; i++) {
		struct layer_acts *a = &ws->acts[i];
		a->xn1 = a->xn2 = ws->xn;
		a->h = ws->h;
		a->rms1 = FLOATS(nn);
		a->q = FLOATS(nn * qd); a->k = FLOATS(nn * kvd); a->v = FLOATS(nn * kvd);
		a->att = FLOATS(nn * qd); a->x2 = FLOATS(nn * D);
		a->rms2 = FLOATS(nn);
		a->g = FLOATS(nn * F); a->u = FLOATS(nn * F);
		for (int k = 0; k < LORA_MODULES; k++)
			if (!tm->full && (tm->lora.cfg.targets & (1u << k)))
				a->lu[k] = FLOATS(nn * r);
	}
	ws->hfin = FLOATS(nn * D); ws->rmsf = FLOATS(nn);
	ws->inv_freq = FLOATS(c->head_dim / 2 + 1);
	ws->xd = FLOATS(nn * maxin); ws->du = FLOATS(nn * r);
	ws->dx = FLOATS(nn * D); ws->dx2 = FLOATS(nn * D); ws->dxn = FLOATS(nn * D);
	ws->dres = FLOATS(nn * D);
	ws->dq = FLOATS(nn * qd); ws->dk = FLOATS(nn * kvd); ws->dv = FLOATS(nn * kvd);
	ws->datt = FLOATS(nn * qd);
	ws->dg = FLOATS(nn * F); ws->dh = FLOATS(nn * F);
	ws->s = FLOATS((size_t)parallel_threads() * longest * longest);
	ws->dp = FLOATS((size_t)parallel_threads() * longest * longest);
	ws->logits = FLOATS((size_t)LOSS_ROWS * c->vocab);
	ws->hrows = FLOATS((size_t)LOSS_ROWS * D); ws->dhrows = FLOATS((size_t)LOSS_ROWS * D);
	return ws;
}

size_t train_activation_bytes(const struct train_model *tm, int n, int longest)
{
	const struct model_config *c = tm->cfg;
	size_t D = (size_t)c->hidden, F = (size_t)c->intermediate;
	size_t qd = (size_t)c->heads * c->head_dim, kvd = (size_t)c->kv_heads * c->head_dim;
	size_t r = tm->full ? 0 : (size_t)tm->lora.cfg.rank, nn = (size_t)n;
	size_t per_layer = nn * (D + 2 * qd + 2 * kvd + 2 * F + 2 + LORA_MODULES * r);
	size_t layers = tm->checkpointing ? 1 : (size_t)c->layers;
	size_t maxin = F > D ? F : D;
	size_t total = (size_t)(c->layers + 1) * nn * D + layers * per_layer +
		       nn * (D + 1 + maxin + r + 4 * D + 2 * qd + 2 * kvd + 2 * F) + nn * (D + F) +
		       2 * (size_t)parallel_threads() * longest * longest +
		       (size_t)LOSS_ROWS * (c->vocab + 2 * D);
	return total * sizeof(float);
}

/* ---- small kernels ---- */

uint64_t dropout_key(const struct train_model *tm, uint64_t step, int layer, int mod)
{
	return rng_mix(tm->seed * 0x9e3779b97f4a7c15ULL + rng_mix(step + 1) +
		       (uint64_t)layer * 131 + (uint64_t)mod + 1);
}

void dropout_apply(float *y, const float *x, int n, int d, float p, uint64_t key)
{
	uint32_t threshold = (uint32_t)(p * 16777216.0f);
	float keep = 1.0f / (1.0f - p);
	size_t total = (size_t)n * d;
	for (size_t i = 0; i < total; i++) {
		uint32_t u = (uint32_t)(rng_mix(key + i * 0x9e3779b97f4a7c15ULL) >> 40);
		y[i] = u >= threshold ? x[i] * keep : 0.0f;
	}
}

struct rmsnorm_job {
	float *y, *rms_inv;
	const float *x, *w;
	int d;
	float eps;
};

static void rmsnorm_rows(void *arg, size_t lo, size_t hi)
{
	const struct rmsnorm_job *j = arg;
	int d = j->d;
	for (size_t t = lo; t < hi; t++) {
		const float *xr = j->x + t * d;
		float *yr = j->y + t * d;
		double ss = 0;
		for (int i = 0; i < d; i++)
			ss += (double)xr[i] * xr[i];
		float inv = 1.0f / sqrtf((float)(ss / d) + j->eps);
		j->rms_inv[t] = inv;
		for (int i = 0; i < d; i++)
			yr[i] = j->w[i] * (xr[i] * inv);
	}
}

void rmsnorm_fwd(float *y, float *rms_inv, const float *x, const float *w, int n, int d, float eps)
{
	struct rmsnorm_job j = { y, rms_inv, x, w, d, eps };
	parallel_ranges((size_t)n, 16, rmsnorm_rows, &j);
}

struct rope_job {
	float *x;
	const struct train_batch *b;
	int heads, hd;
	const float *inv_freq;
	float sign;
};

/* Tokens [lo, hi) of the batch, each rotated by its position in its segment. */
static void rope_rows(void *arg, size_t lo, size_t hi)
{
	const struct rope_job *j = arg;
	int half = j->hd / 2, sg = 0;
	float c[512], s[512];
	for (size_t row = lo; row < hi; row++) {
		while (sg + 1 < j->b->nseg && (int)row >= j->b->seg_start[sg + 1])
			sg++;
		float pos = (float)((int)row - j->b->seg_start[sg]);
		for (int i = 0; i < half; i++) {
			float a = pos * j->inv_freq[i];
			c[i] = cosf(a);
			s[i] = j->sign * sinf(a);
		}
		for (int h = 0; h < j->heads; h++) {
			float *v = j->x + (row * j->heads + h) * j->hd;
			for (int i = 0; i < half; i++) {
				float a = v[i], bb = v[i + half];
				v[i] = a * c[i] - bb * s[i];
				v[i + half] = bb * c[i] + a * s[i];
			}
		}
	}
}

void rope_segments(float *x, const struct train_batch *b, int heads, int hd,
		   const float *inv_freq, float sign)
{
	struct rope_job j = { x, b, heads, hd, inv_freq, sign };
	parallel_ranges((size_t)b->n, 16, rope_rows, &j);
}

void attention_probs(float *s, const float *q, int qstride, const float *k, int kstride, int len,
		     int hd, int window)
{
	float scale = 1.0f / sqrtf((float)hd);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, len, len, hd, scale, q, qstride, k,
		    kstride, 0.0f, s, len);
	for (int i = 0; i < len; i++) {
		float *row = s + (size_t)i * len, max = -INFINITY, sum = 0;
		int lo = window && i - window + 1 > 0 ? i - window + 1 : 0;
		for (int j = lo; j <= i; j++)
			if (row[j] > max)
				max = row[j];
		for (int j = lo; j <= i; j++) {
			row[j] = expf(row[j] - max);
			sum += row[j];
		}
		for (int j = lo; j <= i; j++)
			row[j] /= sum;
		for (int j = 0; j < lo; j++)
			row[j] = 0;
		for (int j = i + 1; j < len; j++)
			row[j] = 0;
	}
}

/* y = x·Wᵀ + b, plus scale · (dropout(x)·Aᵀ)·Bᵀ when the projection is adapted. */
static void linear_forward(struct train_model *tm, struct train_workspace *ws, int l, int mod,
			   const float *x, int n, float *y, float *lu, int training, uint64_t step)
{
	const struct weight *w = model_module_weight(tm->m, l, (enum lora_module)mod);
	const struct lora_pair *p = train_pair(tm, l, (enum lora_module)mod);
	matmul(y, x, n, w, model_module_bias(tm->m, l, (enum lora_module)mod), tm->scratch);
	if (p) {
		int r = tm->lora.cfg.rank;
		const float *xin = x;
		if (training && tm->dropout > 0) {
			dropout_apply(ws->xd, x, n, p->in, tm->dropout, dropout_key(tm, step, l, mod));
			xin = ws->xd;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r, p->in, 1.0f, xin, p->in,
			    p->a, p->in, 0.0f, lu, r);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, p->out, r, tm->lora.scale, lu, r,
			    p->b, r, 1.0f, y, p->out);
	}
}

/* Element-wise passes over (n, width) activations, shared between threads. */
struct elementwise {
	float *y;
	const float *a, *b;
};

static void add_range(void *arg, size_t lo, size_t hi)
{
	const struct elementwise *e = arg;
	for (size_t i = lo; i < hi; i++)
		e->y[i] += e->a[i];
}

/* y += a */
void add_parallel(float *y, const float *a, size_t n)
{
	struct elementwise e = { y, a, NULL };
	parallel_ranges(n, 1 << 14, add_range, &e);
}

static void swiglu_range(void *arg, size_t lo, size_t hi)
{
	const struct elementwise *e = arg;
	for (size_t i = lo; i < hi; i++) {
		float g = e->a[i];
		e->y[i] = g / (1.0f + expf(-g)) * e->b[i];
	}
}

void swiglu_fwd(float *h, const float *g, const float *u, size_t n)
{
	struct elementwise e = { h, g, u };
	parallel_ranges(n, 1 << 14, swiglu_range, &e);
}

/* One segment's attention for the query heads of one key/value head. */
static void attention_task(void *arg, int task)
{
	const struct attention_pass *ap = arg;
	const struct model_config *c = ap->tm->cfg;
	const struct train_batch *b = ap->b;
	const struct layer_acts *a = ap->a;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	int group = c->heads / c->kv_heads, sg = task / c->kv_heads, kvh = task % c->kv_heads;
	int s0 = b->seg_start[sg], len = b->seg_len[sg];
	float *P = ap->ws->s + (size_t)parallel_thread_index() * ap->ws->longest * ap->ws->longest;
	for (int h = kvh * group; h < (kvh + 1) * group; h++) {
		attention_probs(P, a->q + (size_t)s0 * qd + (size_t)h * hd, qd,
				a->k + (size_t)s0 * kvd + (size_t)kvh * hd, kvd, len, hd, ap->window);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, len, hd, len, 1.0f, P, len,
			    a->v + (size_t)s0 * kvd + (size_t)kvh * hd, kvd, 0.0f,
			    a->att + (size_t)s0 * qd + (size_t)h * hd, qd);
	}
}

void layer_forward(struct train_model *tm, struct train_workspace *ws, const struct train_batch *b,
		   int l, const float *x, struct layer_acts *a, float *x_out, int training,
		   uint64_t step)
{
	const struct model_config *c = tm->cfg;
	const struct layer_weights *w = &tm->m->layers[l];
	int n = b->n, D = c->hidden, F = c->intermediate, hd = c->head_dim;
	size_t nn = (size_t)n;
	float eps = (float)c->rms_eps;

	rmsnorm_fwd(a->xn1, a->rms1, x, w->attn_norm, n, D, eps);
	linear_forward(tm, ws, l, LORA_Q, a->xn1, n, a->q, a->lu[LORA_Q], training, step);
	linear_forward(tm, ws, l, LORA_K, a->xn1, n, a->k, a->lu[LORA_K], training, step);
	linear_forward(tm, ws, l, LORA_V, a->xn1, n, a->v, a->lu[LORA_V], training, step);
	rope_segments(a->q, b, c->heads, hd, ws->inv_freq, 1.0f);
	rope_segments(a->k, b, c->kv_heads, hd, ws->inv_freq, 1.0f);
	{	/* a.att, per segment and key/value head on every core */
		struct attention_pass ap = { tm, ws, b, a, w->window };
		parallel_for(b->nseg * c->kv_heads, attention_task, &ap);
	}
	linear_forward(tm, ws, l, LORA_O, a->att, n, a->x2, a->lu[LORA_O], training, step);
	add_parallel(a->x2, x, nn * D);

	rmsnorm_fwd(a->xn2, a->rms2, a->x2, w->mlp_norm, n, D, eps);
	linear_forward(tm, ws, l, LORA_GATE, a->xn2, n, a->g, a->lu[LORA_GATE], training, step);
	linear_forward(tm, ws, l, LORA_UP, a->xn2, n, a->u, a->lu[LORA_UP], training, step);
	swiglu_fwd(a->h, a->g, a->u, nn * F);
	linear_forward(tm, ws, l, LORA_DOWN, a->h, n, x_out, a->lu[LORA_DOWN], training, step);
	add_parallel(x_out, a->x2, nn * D);
}

/* ---- forward, loss, backward ---- */

/* One block of rows' softmax cross-entropy, a row per task. */
struct loss_rows {
	float *logits;		/* (m, V): logits in, d loss / d logits out when grad */
	const int *targets;	/* (m) */
	double *nll;		/* (m) */
	int V, grad;
	float scale;
};

static void loss_row(void *arg, int i)
{
	struct loss_rows *r = arg;
	float *lg = r->logits + (size_t)i * r->V, max = -INFINITY;
	int target = r->targets[i];
	double sum = 0;
	for (int j = 0; j < r->V; j++)
		if (lg[j] > max)
			max = lg[j];
	r->nll[i] = max - lg[target];
	if (!r->grad) {
		for (int j = 0; j < r->V; j++)
			sum += expf(lg[j] - max);
	} else {
		for (int j = 0; j < r->V; j++) {
			lg[j] = expf(lg[j] - max);
			sum += lg[j];
		}
		float k = (float)(r->scale / sum);
		for (int j = 0; j < r->V; j++)
			lg[j] *= k;
		lg[target] -= r->scale;
	}
	r->nll[i] += log(sum);
}

/*
 * Cross-entropy of the rows with a target, LOSS_ROWS at a time so the
 * logits of prompt tokens are never computed. With loss_scale > 0, the
 * gradient at the final hidden states goes to dh (n, D, zeroed here) and,
 * with --full, lm_head's gradient is accumulated. Rows are shared between
 * threads; their losses are added in order, so the sum does not depend on
 * the thread count.
 */
static double loss_head(struct train_model *tm, struct train_workspace *ws,
			const struct train_batch *b, float *dh, float loss_scale)
{
	const struct model_config *c = tm->cfg;
	int D = c->hidden, V = c->vocab;
	int rows[LOSS_ROWS], targets[LOSS_ROWS];
	double nll = 0, row_nll[LOSS_ROWS];
	float *glm = train_grad_of(tm, tm->m->lm_head.data);
	int t = 0;
	if (dh)
		memset(dh, 0, (size_t)b->n * D * sizeof(float));
	while (t < b->n) {
		int m = 0;
		for (; t < b->n && m < LOSS_ROWS; t++)
			if (b->targets[t] != LABEL_IGNORE) {
				rows[m] = t;
				targets[m] = b->targets[t];
				memcpy(ws->hrows + (size_t)m * D, ws->hfin + (size_t)t * D,
				       (size_t)D * sizeof(float));
				m++;
			}
		if (!m)
			break;
		matmul(ws->logits, ws->hrows, m, &tm->m->lm_head, NULL, tm->scratch);
		{
			struct loss_rows lr = { ws->logits, targets, row_nll, V, dh != NULL,
						loss_scale };
			parallel_for(m, loss_row, &lr);
		}
		for (int i = 0; i < m; i++)
			nll += row_nll[i];
		if (!dh)
			continue;
		memset(ws->dhrows, 0, (size_t)m * D * sizeof(float));
		matmul_dx(ws->dhrows, ws->logits, m, &tm->m->lm_head, tm->scratch);
		for (int i = 0; i < m; i++)
			memcpy(dh + (size_t)rows[i] * D, ws->dhrows + (size_t)i * D,
			       (size_t)D * sizeof(float));
		if (glm)	/* d lm_head (V, D) += dlogitsᵀ · h */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, D, m, 1.0f, ws->logits, V,
				    ws->hrows, D, 1.0f, glm, D);
	}
	return nll;
}

/* RMSNorm backward for the final norm (backward.c has the layer ones). */
void rmsnorm_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
		 const float *rms_inv, int n, int d);

double train_forward_backward(struct train_model *tm, const struct train_batch *b, int training,
			      uint64_t step, float loss_scale)
{
	const struct model_config *c = tm->cfg;
	struct train_workspace *ws;
	int longest = 1, D = c->hidden, L = c->layers;
	double nll;
	float *dcur, *dnext;

	for (int i = 0; i < b->n; i++)
		if (b->ids[i] < 0 || b->ids[i] >= c->vocab) {
			error("token id %d is outside the model's vocabulary (0..%d)", b->ids[i],
			      c->vocab - 1);
			return NAN;
		}
	for (int i = 0; i < b->n; i++)
		if (b->targets[i] != LABEL_IGNORE && (b->targets[i] < 0 || b->targets[i] >= c->vocab)) {
			error("label %d is outside the model's vocabulary (0..%d)", b->targets[i],
			      c->vocab - 1);
			return NAN;
		}
	if (tm->prompt_method && b->n)
		b = prompt_batch(tm, b);
	for (int s = 0; s < b->nseg; s++)
		if (b->seg_len[s] > longest)
			longest = b->seg_len[s];
	if (!b->n)
		return 0;
	ws = workspace_get(tm, b->n, longest);
	rope_inv_freq(c, longest, ws->inv_freq);

	for (int t = 0; t < b->n; t++)
		if (b->ids[t] < 0)	/* a virtual token (prompt learning) */
			memcpy(ws->xs[0] + (size_t)t * D, tm->prompt + (size_t)(-1 - b->ids[t]) * D,
			       (size_t)D * sizeof(float));
		else
			weight_row(&tm->m->embed, b->ids[t], ws->xs[0] + (size_t)t * D);
	for (int l = 0; l < L; l++)
		layer_forward(tm, ws, b, l, ws->xs[l], &ws->acts[tm->checkpointing ? 0 : l],
			      ws->xs[l + 1], training, step);
	rmsnorm_fwd(ws->hfin, ws->rmsf, ws->xs[L], tm->m->final_norm, b->n, D, (float)c->rms_eps);
	if (loss_scale <= 0)
		return loss_head(tm, ws, b, NULL, 0);

	dcur = ws->dx;
	dnext = ws->dx2;
	nll = loss_head(tm, ws, b, ws->dxn, loss_scale);
	memset(dcur, 0, (size_t)b->n * D * sizeof(float));
	rmsnorm_bwd(dcur, train_grad_of(tm, tm->m->final_norm), ws->dxn, ws->xs[L],
		    tm->m->final_norm, ws->rmsf, b->n, D);
	for (int l = L - 1; l >= 0; l--) {
		struct layer_acts *a = &ws->acts[tm->checkpointing ? 0 : l];
		int need_dx = tm->full || tm->prompt_method || l > 0;
		if (tm->checkpointing)	/* recompute this layer's activations; same dropout masks */
			layer_forward(tm, ws, b, l, ws->xs[l], a, ws->xs[l + 1], training, step);
		layer_backward(tm, ws, b, l, ws->xs[l], a, dcur, need_dx ? dnext : NULL, training,
			       step);
		{
			float *tmp = dcur;
			dcur = dnext;
			dnext = tmp;
		}
	}
	if (tm->prompt_method)
		prompt_backward(tm, b, dcur);
	if (tm->full) {
		float *ge = train_grad_of(tm, tm->m->embed.data);
		for (int t = 0; t < b->n; t++) {
			float *row = ge + (size_t)b->ids[t] * D;
			const float *d = dcur + (size_t)t * D;
			for (int i = 0; i < D; i++)
				row[i] += d[i];
		}
	}
	return nll;
}
