/*
 * model.c - loading a Llama-family checkpoint and its forward pass, written
 * to compute what transformers computes in fp32: RMSNorm with eps inside the
 * root, rotate-half RoPE, grouped-query attention with an fp32 softmax, the
 * SiLU-gated MLP, and logits in fp32.
 *
 * Invariants:
 *  1. Every struct weight points at data of exactly rows × cols elements in
 *     its dtype (checked against config.json at load time).
 *  2. kv_cache positions [0, len) hold rotated keys and values of the tokens
 *     seen so far; model_forward appends, and on error leaves len unchanged.
 *  3. Norm and bias vectors are f32 copies owned by the model; matrices stay
 *     in the mapping unless an f32 matrix is misaligned.
 */
#define _POSIX_C_SOURCE 200809L
#include "model.h"
#include "../lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define QUERY_CHUNK 128

static void *own(struct model *m, size_t bytes)
{
	void *p = xmalloc(bytes ? bytes : 1);
	m->owned = xrealloc(m->owned, (m->nowned + 1) * sizeof(*m->owned));
	m->owned[m->nowned++] = p;
	return p;
}

static void shape_str(char *buf, size_t size, const int64_t *shape, int ndim)
{
	size_t used = 0;
	used += (size_t)snprintf(buf, size, "[");
	for (int i = 0; i < ndim && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
					 (long long)shape[i]);
	if (used < size)
		snprintf(buf + used, size - used, "]");
}

/* Finds name with the given shape (cols 0 = a vector of rows). */
static const struct st_tensor *need(struct model *m, const char *name, int rows, int cols,
				    int optional)
{
	const struct st_tensor *t = safetensors_find(&m->st, name);
	int64_t want[2] = { rows, cols };
	int nd = cols ? 2 : 1;
	if (!t) {
		if (!optional)
			error("tensor '%s' is missing from the model's safetensors; config.json "
			      "(model type '%s') expects it", name, m->cfg.model_type);
		return NULL;
	}
	if (t->ndim != nd || t->shape[0] != rows || (nd == 2 && t->shape[1] != cols)) {
		char got[96], exp[96];
		shape_str(got, sizeof(got), t->shape, t->ndim);
		shape_str(exp, sizeof(exp), want, nd);
		error("%s: tensor '%s' has shape %s but config.json implies %s",
		      m->st.files[t->file].path, name, got, exp);
		return NULL;
	}
	m->weight_bytes += t->nbytes;
	return t;
}

static int load_matrix(struct model *m, struct weight *w, const char *name, int rows, int cols)
{
	const struct st_tensor *t = need(m, name, rows, cols, 0);
	if (!t)
		return -1;
	w->dtype = t->dtype;
	w->rows = rows;
	w->cols = cols;
	w->data = t->data;
	if (t->dtype == ST_F32 && ((uintptr_t)t->data & 3)) {
		void *copy = own(m, t->nbytes);
		memcpy(copy, t->data, t->nbytes);
		w->data = copy;
	}
	return 0;
}

/* An f32 copy of a vector; *out stays NULL when optional and absent. */
static int load_vector(struct model *m, const float **out, const char *name, int n, int optional)
{
	const struct st_tensor *t = need(m, name, n, 0, optional);
	float *v;
	*out = NULL;
	if (!t)
		return optional && !safetensors_find(&m->st, name) ? 0 : -1;
	v = own(m, (size_t)n * sizeof(float));
	st_to_f32(t->dtype, t->data, v, (size_t)n);
	*out = v;
	return 0;
}

static int load_layer(struct model *m, int i)
{
	const struct model_config *c = &m->cfg;
	struct layer_weights *l = &m->layers[i];
	int qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim, rc = 0;
	char p[96];
#define NAME(suffix) (snprintf(p, sizeof(p), "model.layers.%d.%s", i, suffix), p)
	rc |= load_vector(m, &l->attn_norm, NAME("input_layernorm.weight"), c->hidden, 0);
	rc |= load_vector(m, &l->mlp_norm, NAME("post_attention_layernorm.weight"), c->hidden, 0);
	rc |= load_matrix(m, &l->wq, NAME("self_attn.q_proj.weight"), qd, c->hidden);
	rc |= load_matrix(m, &l->wk, NAME("self_attn.k_proj.weight"), kvd, c->hidden);
	rc |= load_matrix(m, &l->wv, NAME("self_attn.v_proj.weight"), kvd, c->hidden);
	rc |= load_matrix(m, &l->wo, NAME("self_attn.o_proj.weight"), c->hidden, qd);
	rc |= load_matrix(m, &l->gate, NAME("mlp.gate_proj.weight"), c->intermediate, c->hidden);
	rc |= load_matrix(m, &l->up, NAME("mlp.up_proj.weight"), c->intermediate, c->hidden);
	rc |= load_matrix(m, &l->down, NAME("mlp.down_proj.weight"), c->hidden, c->intermediate);
	if (c->qkv_bias) {
		rc |= load_vector(m, &l->bq, NAME("self_attn.q_proj.bias"), qd, 0);
		rc |= load_vector(m, &l->bk, NAME("self_attn.k_proj.bias"), kvd, 0);
		rc |= load_vector(m, &l->bv, NAME("self_attn.v_proj.bias"), kvd, 0);
	}
	if (c->o_bias)
		rc |= load_vector(m, &l->bo, NAME("self_attn.o_proj.bias"), c->hidden, 0);
	if (c->mlp_bias) {
		rc |= load_vector(m, &l->bgate, NAME("mlp.gate_proj.bias"), c->intermediate, 0);
		rc |= load_vector(m, &l->bup, NAME("mlp.up_proj.bias"), c->intermediate, 0);
		rc |= load_vector(m, &l->bdown, NAME("mlp.down_proj.bias"), c->hidden, 0);
	}
#undef NAME
	l->window = c->sliding_window && i >= c->window_from_layer ? c->sliding_window : 0;
	return rc ? -1 : 0;
}

size_t model_memory_estimate(const struct model_config *c, size_t weight_bytes, int context)
{
	size_t kvd = (size_t)c->kv_heads * c->head_dim, qd = (size_t)c->heads * c->head_dim;
	size_t n = context < 512 ? (size_t)context : 512;
	size_t cache = 2 * (size_t)c->layers * (size_t)context * kvd * sizeof(float);
	size_t acts = n * (3 * (size_t)c->hidden + 2 * qd + 2 * kvd + 2 * (size_t)c->intermediate) *
			      sizeof(float) +
		      (size_t)QUERY_CHUNK * context * sizeof(float) + (size_t)c->vocab * sizeof(float) +
		      weight_scratch_floats() * sizeof(float);
	return weight_bytes + cache + acts;
}

/* See model.h. */
size_t mem_available(void)
{
	const char *path = getenv("WINNOW_MEMINFO");
	FILE *fp = fopen(path && *path ? path : "/proc/meminfo", "r");
	char line[256];
	size_t kb = 0;
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "MemAvailable:", 13)) {
			unsigned long long v = strtoull(line + 13, NULL, 10);
			kb = (size_t)v;
			break;
		}
	fclose(fp);
	return kb * 1024;
}

static int check_memory(const char *dir, const struct model_config *c, size_t weight_bytes,
			int context)
{
	size_t need = model_memory_estimate(c, weight_bytes, context), have = mem_available();
	if (have && need > have)
		return error("'%s' needs about %zu MiB (weights %zu MiB, cache and buffers for %d "
			     "positions %zu MiB) but only %zu MiB of memory is available; close other "
			     "programs, or use a smaller model or a shorter context", dir, need >> 20,
			     weight_bytes >> 20, context, (need - weight_bytes) >> 20, have >> 20);
	return 0;
}

/* Bytes of the tensors the model will use, from the headers alone. */
static size_t planned_bytes(const struct model *m)
{
	size_t total = 0;
	for (size_t i = 0; i < m->st.n; i++) {
		const char *n = m->st.tensors[i].name;
		if (!strncmp(n, "model.", 6) || (!strcmp(n, "lm_head.weight") && !m->cfg.tie_embeddings))
			total += m->st.tensors[i].nbytes;
	}
	return total;
}

struct model *model_load(const char *dir, int context)
{
	return model_load_quant(dir, context, QUANT_NONE);
}

struct model *model_load_quant(const char *dir, int context, enum quant_type quant)
{
	struct model *m = xcalloc(1, sizeof(*m));
	struct model_config *c = &m->cfg;
	int rc = 0;

	if (model_config_load(dir, c) || safetensors_open(&m->st, dir)) {
		free(m);
		return NULL;
	}
	if (c->head_dim > 1024) {
		error("%s: head_dim %d is larger than winnow supports (1024)", dir, c->head_dim);
		goto fail;
	}
	if (context <= 0)
		context = c->max_position < 4096 ? c->max_position : 4096;
	if (check_memory(dir, c, planned_bytes(m) - quant_model_saving(&m->st, quant), context))
		goto fail;

	m->layers = xcalloc((size_t)c->layers, sizeof(*m->layers));
	rc |= load_matrix(m, &m->embed, "model.embed_tokens.weight", c->vocab, c->hidden);
	rc |= load_vector(m, &m->final_norm, "model.norm.weight", c->hidden, 0);
	for (int i = 0; !rc && i < c->layers; i++)
		rc |= load_layer(m, i);
	if (rc)
		goto fail;
	if (c->tie_embeddings) {
		m->lm_head = m->embed;
	} else if (!safetensors_find(&m->st, "lm_head.weight")) {
		error("'%s' has no lm_head.weight and config.json says tie_word_embeddings is false; "
		      "the checkpoint is incomplete", dir);
		goto fail;
	} else if (load_matrix(m, &m->lm_head, "lm_head.weight", c->vocab, c->hidden)) {
		goto fail;
	}
	if (model_quantise(m, dir, quant))
		goto fail;
	m->wscratch = own(m, weight_scratch_floats() * sizeof(float));
	return m;
fail:
	model_free(m);
	return NULL;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->layers);
	free(m->qheap);
	free(m->prompt);
	if (m->qmap)
		munmap(m->qmap, m->qmap_bytes);
	safetensors_close(&m->st);
	free(m);
}

int kv_cache_init(struct kv_cache *c, const struct model *m, int cap)
{
	cap += m->prompt_len;
	size_t per = (size_t)m->cfg.layers * (size_t)cap * m->cfg.kv_heads * m->cfg.head_dim;
	c->len = 0;
	c->cap = cap;
	c->k = calloc(per ? per : 1, sizeof(float));
	c->v = calloc(per ? per : 1, sizeof(float));
	if (!c->k || !c->v) {
		kv_cache_free(c);
		return error("not enough memory for a cache of %d positions (%zu MiB)", cap,
			     2 * per * sizeof(float) >> 20);
	}
	return 0;
}

void kv_cache_free(struct kv_cache *c)
{
	free(c->k);
	free(c->v);
	c->k = c->v = NULL;
	c->len = c->cap = 0;
}

/* ---- attention ---- */

/* One key chunk's share of a softmax row (few-token path, see attend_decode). */
struct decode_part {
	float max, sum;
};

struct attention {
	const struct model_config *cfg;
	const float *q;		/* (n, H*hd), rotated */
	const float *k, *v;	/* this layer's cache (cap, KV*hd) */
	float *out;		/* (n, H*hd) */
	float *scores;		/* per head (H, ctx) for the few-token path */
	int n, pos0, window, ctx;
	/* few-token path: per (query, head, key chunk) partial softmax and output */
	int nchunks, chunk;
	struct decode_part *parts;
	float *part_out;
};

/* Keys a query at pos attends to: [lo, pos]. */
static int window_start(int pos, int window)
{
	return window && pos - window + 1 > 0 ? pos - window + 1 : 0;
}

/*
 * Few queries (generation): the keys are split into chunks and each task
 * takes one key/value head and one chunk, for every query head of that
 * group, so a cached key or value row is read once for the whole group and
 * both cores share even a single head's context. A task leaves its chunk's
 * maximum score, sum of exponentials and unnormalised output; attend_merge
 * rescales and adds them (the usual split-softmax identity), so the result
 * is the softmax of the whole row up to rounding.
 */
#define DECODE_CHUNK_MIN 64

static void attend_chunk(void *arg, int task)
{
	struct attention *a = arg;
	const struct model_config *c = a->cfg;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	int group = c->heads / c->kv_heads, kvh = task / a->nchunks, ch = task % a->nchunks;
	int c0 = ch * a->chunk, c1 = c0 + a->chunk;
	float scale = 1.0f / sqrtf((float)hd);

	for (int t = 0; t < a->n; t++) {
		int pos = a->pos0 + t, lo = window_start(pos, a->window);
		int kl = lo > c0 ? lo : c0, kh = pos + 1 < c1 ? pos + 1 : c1;
		for (int h = kvh * group; h < (kvh + 1) * group; h++) {
			size_t slot = ((size_t)t * c->heads + h) * a->nchunks + ch;
			struct decode_part *pp = &a->parts[slot];
			float *s = a->scores + (size_t)h * a->ctx + kl, *o = a->part_out + slot * hd;
			int nk = kh - kl;
			pp->max = -INFINITY;
			pp->sum = 0;
			if (nk <= 0) {
				memset(o, 0, (size_t)hd * sizeof(float));
				continue;
			}
			/* this group's rows were just read for the previous head: cache hits */
			attn_scores(s, a->q + (size_t)t * qd + (size_t)h * hd,
				    a->k + (size_t)kl * kvd + (size_t)kvh * hd, (size_t)kvd, nk, hd, scale);
			for (int j = 0; j < nk; j++)
				if (s[j] > pp->max)
					pp->max = s[j];
			for (int j = 0; j < nk; j++) {
				s[j] = expf(s[j] - pp->max);
				pp->sum += s[j];
			}
			attn_mix(o, s, a->v + (size_t)kl * kvd + (size_t)kvh * hd, (size_t)kvd, nk, hd);
		}
	}
}

static void attend_merge(struct attention *a)
{
	const struct model_config *c = a->cfg;
	int hd = c->head_dim, qd = c->heads * hd;
	for (int t = 0; t < a->n; t++)
		for (int h = 0; h < c->heads; h++) {
			size_t base = ((size_t)t * c->heads + h) * a->nchunks;
			float max = -INFINITY, sum = 0, *o = a->out + (size_t)t * qd + (size_t)h * hd;
			for (int ch = 0; ch < a->nchunks; ch++)
				if (a->parts[base + ch].max > max)
					max = a->parts[base + ch].max;
			memset(o, 0, (size_t)hd * sizeof(float));
			for (int ch = 0; ch < a->nchunks; ch++) {
				const struct decode_part *pp = &a->parts[base + ch];
				float w;
				if (pp->sum == 0)
					continue;
				w = expf(pp->max - max);
				sum += pp->sum * w;
				vec_axpy(o, w, a->part_out + (base + ch) * hd, hd);
			}
			for (int i = 0; i < hd; i++)
				o[i] /= sum;
		}
}

static void attend_decode(struct attention *a)
{
	const struct model_config *c = a->cfg;
	int threads = parallel_threads(), ntasks;
	/* enough tasks to keep every core busy, none smaller than DECODE_CHUNK_MIN keys */
	int want = (4 * threads + c->kv_heads - 1) / c->kv_heads;
	int nchunks = a->ctx / DECODE_CHUNK_MIN;
	if (nchunks > want)
		nchunks = want;
	if (nchunks < 1)
		nchunks = 1;
	a->nchunks = nchunks;
	a->chunk = (a->ctx + nchunks - 1) / nchunks;
	ntasks = c->kv_heads * nchunks;
	if ((size_t)c->heads * a->ctx * c->head_dim < ((size_t)1 << 15))
		for (int task = 0; task < ntasks; task++)	/* too little work to share */
			attend_chunk(a, task);
	else
		parallel_for(ntasks, attend_chunk, a);
	attend_merge(a);
}

/* Many queries: per head and chunk of queries, scores and mixing through sgemm. */
static void attend_blocked(struct attention *a, float *s)
{
	const struct model_config *c = a->cfg;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	float scale = 1.0f / sqrtf((float)hd);
	for (int h = 0; h < c->heads; h++) {
		int kvh = h / (c->heads / c->kv_heads);
		for (int t0 = 0; t0 < a->n; t0 += QUERY_CHUNK) {
			int m = a->n - t0 < QUERY_CHUNK ? a->n - t0 : QUERY_CHUNK;
			int kend = a->pos0 + t0 + m;	/* keys [0, kend) */
			int klo = window_start(a->pos0 + t0, a->window);
			int nk = kend - klo;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nk, hd, scale,
				    a->q + (size_t)t0 * qd + (size_t)h * hd, qd,
				    a->k + (size_t)klo * kvd + (size_t)kvh * hd, kvd, 0.0f, s, nk);
			for (int i = 0; i < m; i++) {
				int pos = a->pos0 + t0 + i, lo = window_start(pos, a->window);
				float *row = s + (size_t)i * nk;
				softmax(row + (lo - klo), pos - lo + 1);
				for (int j = klo; j < lo; j++)
					row[j - klo] = 0;
				for (int j = pos + 1; j < kend; j++)
					row[j - klo] = 0;
			}
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hd, nk, 1.0f, s, nk,
				    a->v + (size_t)klo * kvd + (size_t)kvh * hd, kvd, 0.0f,
				    a->out + (size_t)t0 * qd + (size_t)h * hd, qd);
		}
	}
}

/* ---- forward ---- */

static int forward(struct model *m, struct kv_cache *cache, const int32_t *tokens,
		   const float *embeds, int n, float *hidden, float *logits);

int model_forward(struct model *m, struct kv_cache *cache, const int32_t *tokens, int n,
		  float *hidden, float *logits)
{
	if (m->prompt_len && cache->len == 0 && n > 0 &&
	    forward(m, cache, NULL, m->prompt, m->prompt_len, NULL, NULL))
		return -1;
	return forward(m, cache, tokens, NULL, n, hidden, logits);
}

/* model_forward on token ids, or on rows of embeddings when tokens is NULL. */
static int forward(struct model *m, struct kv_cache *cache, const int32_t *tokens,
		   const float *embeds, int n, float *hidden, float *logits)
{
	const struct model_config *c = &m->cfg;
	int D = c->hidden, F = c->intermediate, hd = c->head_dim;
	int qd = c->heads * hd, kvd = c->kv_heads * hd, pos0 = cache->len;
	size_t nn = (size_t)n;
	float *x, *xb, *q, *k, *v, *att, *g, *u, *scores, *part_out = NULL, inv_freq[512];
	struct decode_part *parts = NULL;

	if (n <= 0)
		return 0;
	if (pos0 + n > cache->cap)
		return error("the sequence needs %d positions but the cache holds %d", pos0 + n,
			     cache->cap);
	for (int t = 0; tokens && t < n; t++)
		if (tokens[t] < 0 || tokens[t] >= c->vocab)
			return error("token id %d at position %d is outside the model's vocabulary "
				     "(0..%d)", tokens[t], pos0 + t, c->vocab - 1);

	x = xmalloc(nn * D * sizeof(float));
	xb = xmalloc(nn * (D > qd ? D : qd) * sizeof(float));
	q = xmalloc(nn * qd * sizeof(float));
	k = xmalloc(nn * kvd * sizeof(float));
	v = xmalloc(nn * kvd * sizeof(float));
	att = xmalloc(nn * qd * sizeof(float));
	g = xmalloc(nn * F * sizeof(float));
	u = xmalloc(nn * F * sizeof(float));
	scores = xmalloc((size_t)(n <= 2 ? c->heads : QUERY_CHUNK) * (pos0 + n) * sizeof(float));
	if (n <= 2) {	/* attend_decode uses at most 4 x threads key chunks */
		size_t slots = nn * c->heads * 4 * (size_t)parallel_threads();
		parts = xmalloc(slots * sizeof(*parts));
		part_out = xmalloc(slots * hd * sizeof(float));
	}

	rope_inv_freq(c, pos0 + n, inv_freq);
	if (!tokens)
		memcpy(x, embeds, nn * D * sizeof(float));
	for (int t = 0; tokens && t < n; t++)
		weight_row(&m->embed, tokens[t], x + (size_t)t * D);

	for (int l = 0; l < c->layers; l++) {
		const struct layer_weights *w = &m->layers[l];
		float *kc = cache->k + (size_t)l * cache->cap * kvd;
		float *vc = cache->v + (size_t)l * cache->cap * kvd;
		struct attention a = { c, q, kc, vc, att, scores, n, pos0, w->window, pos0 + n,
				       0, 0, parts, part_out };

		rmsnorm(xb, x, w->attn_norm, n, D, (float)c->rms_eps);
		{
			struct matmul_job qkv[3] = { { q, &w->wq, w->bq }, { k, &w->wk, w->bk },
						     { v, &w->wv, w->bv } };
			matmul_many(xb, n, qkv, 3, m->wscratch);
		}
		rope_apply(q, n, c->heads, hd, pos0, inv_freq);
		rope_apply(k, n, c->kv_heads, hd, pos0, inv_freq);
		memcpy(kc + (size_t)pos0 * kvd, k, nn * kvd * sizeof(float));
		memcpy(vc + (size_t)pos0 * kvd, v, nn * kvd * sizeof(float));
		if (n <= 2)
			attend_decode(&a);
		else
			attend_blocked(&a, scores);
		matmul(xb, att, n, &w->wo, w->bo, m->wscratch);
		for (size_t i = 0; i < nn * D; i++)
			x[i] += xb[i];

		rmsnorm(xb, x, w->mlp_norm, n, D, (float)c->rms_eps);
		{
			struct matmul_job gu[2] = { { g, &w->gate, w->bgate }, { u, &w->up, w->bup } };
			matmul_many(xb, n, gu, 2, m->wscratch);
		}
		silu_mul(u, g, nn * F);
		matmul(xb, u, n, &w->down, w->bdown, m->wscratch);
		for (size_t i = 0; i < nn * D; i++)
			x[i] += xb[i];
	}
	rmsnorm(x, x, m->final_norm, n, D, (float)c->rms_eps);
	if (hidden)
		memcpy(hidden, x, nn * D * sizeof(float));
	if (logits)
		model_logits(m, x + (nn - 1) * D, 1, logits);
	cache->len += n;

	free(x);
	free(xb);
	free(q);
	free(k);
	free(v);
	free(att);
	free(g);
	free(u);
	free(scores);
	free(parts);
	free(part_out);
	return 0;
}

void model_logits(struct model *m, const float *hidden, int n, float *logits)
{
	matmul(logits, hidden, n, &m->lm_head, NULL, m->wscratch);
}
