/*
 * prompt_tuning.c - training prompt-learning adapters: N virtual-token
 * embeddings put before every example (each segment of a batch gets its
 * own copy at positions 0..N-1, so the example starts at position N as in
 * PEFT and at inference), trained while the whole model stays frozen.
 *
 * Prompt tuning trains the N x D embeddings themselves. P-tuning trains
 * them through PEFT's prompt encoder, its default MLP reparameterisation
 *   out = W3 · relu(W2 · relu(W1 · e + b1) + b2) + b3   (hidden H = D),
 * and saves the encoder's output, as PEFT does. Parameters are initialised
 * as PyTorch does for nn.Embedding (N(0, 1)) and nn.Linear (uniform in
 * ±1/√fan_in); the values differ from PyTorch's, the distributions do not.
 *
 * The gradient at a virtual row is the gradient at layer 0's input, which
 * the backward pass then leaves in its last dx (need_dx for layer 0).
 */
#define _POSIX_C_SOURCE 200809L
#include "train_pass.h"
#include "../model/prompt_adapter.h"
#include "../model/template.h"
#include "../lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of the P-tuning encoder's tensors in params (after the N x D embedding). */
struct encoder_layout {
	size_t w1, b1, w2, b2, w3, b3;
};

static struct encoder_layout layout(const struct train_model *tm)
{
	size_t N = (size_t)tm->prompt_len, D = (size_t)tm->cfg->hidden, H = (size_t)tm->prompt_hidden;
	struct encoder_layout e;
	e.w1 = N * D;
	e.b1 = e.w1 + H * D;
	e.w2 = e.b1 + H;
	e.b2 = e.w2 + H * H;
	e.w3 = e.b2 + H;
	e.b3 = e.w3 + D * H;
	return e;
}

static float normal(uint64_t *s)
{
	float u1 = rng_uniform(s), u2 = rng_uniform(s);
	if (u1 < 1e-12f)
		u1 = 1e-12f;
	return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

static void uniform_fill(float *p, size_t n, float bound, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (2.0f * rng_uniform(s) - 1.0f) * bound;
}

int prompt_model_init(struct train_model *tm, struct model *m, int method, int n, uint64_t seed)
{
	int D = m->cfg.hidden, H = D;
	uint64_t s = rng_mix(seed + 0x70726f6d7074ULL);
	memset(tm, 0, sizeof(*tm));
	tm->m = m;
	tm->cfg = &m->cfg;
	tm->seed = seed;
	tm->prompt_method = method;
	tm->prompt_len = n;
	tm->prompt_hidden = H;
	tm->scratch = xmalloc(weight_scratch_floats() * sizeof(float));
	train_add_group(tm, "prompt_embeddings", (size_t)n * D, n, D, 1);
	if (method == P_TUNING) {
		train_add_group(tm, "mlp_head.0.weight", (size_t)H * D, H, D, 1);
		train_add_group(tm, "mlp_head.0.bias", (size_t)H, H, 0, 0);
		train_add_group(tm, "mlp_head.2.weight", (size_t)H * H, H, H, 1);
		train_add_group(tm, "mlp_head.2.bias", (size_t)H, H, 0, 0);
		train_add_group(tm, "mlp_head.4.weight", (size_t)D * H, D, H, 1);
		train_add_group(tm, "mlp_head.4.bias", (size_t)D, D, 0, 0);
	}
	tm->params = xmalloc(tm->nparams * sizeof(float));
	tm->grads = xcalloc(tm->nparams, sizeof(float));
	for (size_t i = 0; i < (size_t)n * D; i++)
		tm->params[i] = normal(&s);
	if (method == P_TUNING) {
		struct encoder_layout e = layout(tm);
		uniform_fill(tm->params + e.w1, e.w2 - e.w1, 1.0f / sqrtf((float)D), &s);
		uniform_fill(tm->params + e.w2, e.w3 - e.w2, 1.0f / sqrtf((float)H), &s);
		uniform_fill(tm->params + e.w3, tm->nparams - e.w3, 1.0f / sqrtf((float)H), &s);
		tm->prompt = xmalloc((size_t)n * D * sizeof(float));
		tm->enc_h1 = xmalloc((size_t)n * H * sizeof(float));
		tm->enc_h2 = xmalloc((size_t)n * H * sizeof(float));
	} else {
		tm->prompt = tm->params;
	}
	tm->dprompt = xmalloc((size_t)n * D * sizeof(float));
	tm->pbatch = xcalloc(1, sizeof(*tm->pbatch));
	return 0;
}

void prompt_model_release(struct train_model *tm)
{
	if (tm->prompt != tm->params)
		free(tm->prompt);
	free(tm->enc_h1);
	free(tm->enc_h2);
	free(tm->dprompt);
	if (tm->pbatch) {
		train_batch_release(tm->pbatch);
		free(tm->pbatch);
	}
}

/* y (n, out) = x (n, in) · Wᵀ + b, then relu when asked. */
static void dense(float *y, const float *x, int n, const float *w, const float *b, int in, int out,
		  int relu)
{
	for (int t = 0; t < n; t++)
		memcpy(y + (size_t)t * out, b, (size_t)out * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 1.0f, y,
		    out);
	if (relu)
		for (size_t i = 0; i < (size_t)n * out; i++)
			y[i] = y[i] > 0 ? y[i] : 0;
}

/* The virtual tokens of this step: the embeddings, or P-tuning's encoder output. */
void prompt_encode(struct train_model *tm)
{
	int N = tm->prompt_len, D = tm->cfg->hidden, H = tm->prompt_hidden;
	const float *p = tm->params;
	struct encoder_layout e;
	if (tm->prompt_method != P_TUNING)
		return;
	e = layout(tm);
	dense(tm->enc_h1, p, N, p + e.w1, p + e.b1, D, H, 1);
	dense(tm->enc_h2, tm->enc_h1, N, p + e.w2, p + e.b2, H, H, 1);
	dense(tm->prompt, tm->enc_h2, N, p + e.w3, p + e.b3, H, D, 0);
}

const struct train_batch *prompt_batch(struct train_model *tm, const struct train_batch *b)
{
	int N = tm->prompt_len, cap = 0;
	int32_t *ids = NULL, *labels = NULL;
	struct train_batch *pb = tm->pbatch;
	train_batch_clear(pb);
	for (int s = 0; s < b->nseg; s++) {
		int s0 = b->seg_start[s], len = b->seg_len[s];
		if (N + len > cap) {
			cap = N + len;
			ids = xrealloc(ids, (size_t)cap * sizeof(*ids));
			labels = xrealloc(labels, (size_t)cap * sizeof(*labels));
		}
		/* virtual rows predict nothing; row N + j keeps row j's target */
		for (int i = 0; i < N; i++) {
			ids[i] = -1 - i;
			labels[i] = LABEL_IGNORE;
		}
		labels[N] = LABEL_IGNORE;
		for (int j = 0; j < len; j++) {
			ids[N + j] = b->ids[s0 + j];
			if (j + 1 < len)
				labels[N + 1 + j] = b->targets[s0 + j];
		}
		train_batch_add(pb, ids, labels, N + len);
	}
	pb->nseq = b->nseq;
	free(ids);
	free(labels);
	prompt_encode(tm);
	return pb;
}

void prompt_backward(struct train_model *tm, const struct train_batch *b, const float *dx0)
{
	int N = tm->prompt_len, D = tm->cfg->hidden, H = tm->prompt_hidden;
	float *g = tm->grads, *dp = tm->dprompt;
	const float *p = tm->params;
	struct encoder_layout e;
	memset(dp, 0, (size_t)N * D * sizeof(float));
	for (int t = 0; t < b->n; t++)
		if (b->ids[t] < 0)
			vec_axpy(dp + (size_t)(-1 - b->ids[t]) * D, 1.0f, dx0 + (size_t)t * D, D);
	if (tm->prompt_method != P_TUNING) {
		vec_axpy(g, 1.0f, dp, N * D);
		return;
	}
	e = layout(tm);
	float *dh2 = xmalloc((size_t)N * H * sizeof(float)), *dh1 = xmalloc((size_t)N * H * sizeof(float));
	/* out = h2·W3ᵀ + b3 */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, H, N, 1.0f, dp, D, tm->enc_h2, H, 1.0f,
		    g + e.w3, H);
	for (int t = 0; t < N; t++)
		vec_axpy(g + e.b3, 1.0f, dp + (size_t)t * D, D);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, H, D, 1.0f, dp, D, p + e.w3, H, 0.0f,
		    dh2, H);
	for (size_t i = 0; i < (size_t)N * H; i++)
		dh2[i] = tm->enc_h2[i] > 0 ? dh2[i] : 0;
	/* h2 = relu(h1·W2ᵀ + b2) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, N, 1.0f, dh2, H, tm->enc_h1, H, 1.0f,
		    g + e.w2, H);
	for (int t = 0; t < N; t++)
		vec_axpy(g + e.b2, 1.0f, dh2 + (size_t)t * H, H);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, H, H, 1.0f, dh2, H, p + e.w2, H, 0.0f,
		    dh1, H);
	for (size_t i = 0; i < (size_t)N * H; i++)
		dh1[i] = tm->enc_h1[i] > 0 ? dh1[i] : 0;
	/* h1 = relu(e·W1ᵀ + b1) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, D, N, 1.0f, dh1, H, p, D, 1.0f, g + e.w1,
		    D);
	for (int t = 0; t < N; t++)
		vec_axpy(g + e.b1, 1.0f, dh1 + (size_t)t * H, H);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, D, H, 1.0f, dh1, H, p + e.w1, D, 1.0f,
		    g, D);
	free(dh1);
	free(dh2);
}

int prompt_model_save(struct train_model *tm, const char *dir, const char *base)
{
	struct prompt_encoder_info enc = { tm->prompt_hidden, "MLP" };
	prompt_encode(tm);
	return prompt_save(tm->prompt, tm->prompt_len, (enum prompt_method)tm->prompt_method,
			   tm->prompt_method == P_TUNING ? &enc : NULL, tm->cfg, dir, base);
}
