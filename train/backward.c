/*
 * backward.c - the hand-written backward pass of a Llama block: SiLU-gated
 * MLP, RMSNorm, grouped-query causal attention with rotate-half RoPE, and
 * the projections, LoRA or full.
 *
 * Only trainable parameters get gradients: for a frozen projection the
 * pass computes the gradient of its input (dy · W, needed by the layers
 * before) and never dW = dyᵀ · x. Gradients are added to tm->grads, so
 * micro-batches accumulate until the optimizer step clears them.
 */
#define _POSIX_C_SOURCE 200809L
#include "train_pass.h"
#include "../lib/util.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void matmul_dx(float *dx, const float *dy, int n, const struct weight *w, float *scratch)
{
	int rows = w->rows, cols = w->cols, block;
	if (w->dtype == ST_F32 && !w->quant && ((uintptr_t)w->data & 3) == 0) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, cols, rows, 1.0f, dy, rows,
			    (const float *)w->data, cols, 1.0f, dx, cols);
		return;
	}
	block = (int)(weight_scratch_floats() / (size_t)cols);
	if (block < 1)
		die("matmul_dx: a weight row of %d values does not fit the scratch buffer", cols);
	for (int r0 = 0; r0 < rows; r0 += block) {
		int r1 = r0 + block < rows ? r0 + block : rows;
		weight_rows_f32(w, r0, r1, scratch);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, cols, r1 - r0, 1.0f,
			    dy + r0, rows, scratch, cols, 1.0f, dx, cols);
	}
}

void rmsnorm_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
		 const float *rms_inv, int n, int d);

struct rmsnorm_bwd_job {
	float *dx, *dw;
	const float *dy, *x, *w, *rms_inv;
	int d;
};

static void rmsnorm_bwd_rows(void *arg, size_t lo, size_t hi)
{
	const struct rmsnorm_bwd_job *j = arg;
	int d = j->d;
	for (size_t t = lo; t < hi; t++) {
		const float *xr = j->x + t * d, *dyr = j->dy + t * d, *w = j->w;
		float *dxr = j->dx + t * d, inv = j->rms_inv[t];
		double dot = 0;
		for (int i = 0; i < d; i++)
			dot += (double)dyr[i] * w[i] * xr[i];
		float k = (float)(dot * inv * inv * inv / d);
		for (int i = 0; i < d; i++)
			dxr[i] += inv * dyr[i] * w[i] - xr[i] * k;
		if (j->dw)
			for (int i = 0; i < d; i++)
				j->dw[i] += dyr[i] * xr[i] * inv;
	}
}

void rmsnorm_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
		 const float *rms_inv, int n, int d)
{
	struct rmsnorm_bwd_job j = { dx, dw, dy, x, w, rms_inv, d };
	if (dw)		/* rows add into one dw: in order, on one thread */
		rmsnorm_bwd_rows(&j, 0, (size_t)n);
	else
		parallel_ranges((size_t)n, 16, rmsnorm_bwd_rows, &j);
}

/* d gate and d up of h = silu(g) * u, from dh (overwritten with d up). */
struct swiglu_bwd_job {
	float *dg, *dh;
	const float *g, *u;
};

static void swiglu_bwd_range(void *arg, size_t lo, size_t hi)
{
	const struct swiglu_bwd_job *j = arg;
	for (size_t i = lo; i < hi; i++) {
		float g = j->g[i], sg = 1.0f / (1.0f + expf(-g)), dh = j->dh[i];
		j->dg[i] = dh * j->u[i] * sg * (1.0f + g * (1.0f - sg));
		j->dh[i] = dh * g * sg;
	}
}

/*
 * Backward of y = x·Wᵀ + b (+ scale·dropout(x)·Aᵀ·Bᵀ): gradients of the
 * trained parameters, and dx += dy·(W + LoRA) when dx is not NULL.
 */
static void linear_backward(struct train_model *tm, struct train_workspace *ws, int l, int mod,
			    const float *x, int n, const float *dy, float *dx, const float *lu,
			    int training, uint64_t step)
{
	const struct weight *w = model_module_weight(tm->m, l, (enum lora_module)mod);
	const struct lora_pair *p = train_pair(tm, l, (enum lora_module)mod);
	int out = w->rows, in = w->cols;
	if (tm->full) {
		float *gw = train_grad_of(tm, w->data);
		float *gb = train_grad_of(tm, model_module_bias(tm->m, l, (enum lora_module)mod));
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in,
			    1.0f, gw, in);
		if (gb)
			for (int t = 0; t < n; t++)
				for (int j = 0; j < out; j++)
					gb[j] += dy[(size_t)t * out + j];
	}
	if (p) {
		int r = tm->lora.cfg.rank;
		float s = tm->lora.scale, *ga = train_grad_of(tm, p->a), *gbm = train_grad_of(tm, p->b);
		int drop = training && tm->dropout > 0;
		const float *xin = x;
		uint64_t key = dropout_key(tm, step, l, mod);
		/* dB (out, r) += s · dyᵀ · lu */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, r, n, s, dy, out, lu, r, 1.0f,
			    gbm, r);
		/* du (n, r) = s · dy · B */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, r, out, s, dy, out, p->b, r,
			    0.0f, ws->du, r);
		if (drop) {
			dropout_apply(ws->xd, x, n, in, tm->dropout, key);
			xin = ws->xd;
		}
		/* dA (r, in) += duᵀ · dropout(x) */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, in, n, 1.0f, ws->du, r, xin, in,
			    1.0f, ga, in);
		if (dx && drop) {
			/* dx += dropout'(du · A): the same mask, regenerated */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, r, 1.0f, ws->du, r,
				    p->a, in, 0.0f, ws->xd, in);
			dropout_apply(ws->xd, ws->xd, n, in, tm->dropout, key);
			for (size_t i = 0; i < (size_t)n * in; i++)
				dx[i] += ws->xd[i];
		} else if (dx) {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, r, 1.0f, ws->du, r,
				    p->a, in, 1.0f, dx, in);
		}
	}
	if (dx)
		matmul_dx(dx, dy, n, w, tm->scratch);
}

/* One segment and key/value head of the attention backward: dq of its query
 * heads, dk and dv of its key/value head (no other task writes those rows). */
static void attention_backward_task(void *arg, int task)
{
	const struct attention_pass *ap = arg;
	const struct model_config *c = ap->tm->cfg;
	struct train_workspace *ws = ap->ws;
	const struct train_batch *b = ap->b;
	const struct layer_acts *a = ap->a;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	int group = c->heads / c->kv_heads, sg = task / c->kv_heads, kvh = task % c->kv_heads;
	int s0 = b->seg_start[sg], len = b->seg_len[sg];
	float scale = 1.0f / sqrtf((float)hd);
	size_t own = (size_t)parallel_thread_index() * ws->longest * ws->longest;
	float *P = ws->s + own, *dP = ws->dp + own;
	const float *k = a->k + (size_t)s0 * kvd + (size_t)kvh * hd;
	const float *v = a->v + (size_t)s0 * kvd + (size_t)kvh * hd;
	for (int h = kvh * group; h < (kvh + 1) * group; h++) {
		const float *q = a->q + (size_t)s0 * qd + (size_t)h * hd;
		const float *dout = ws->datt + (size_t)s0 * qd + (size_t)h * hd;
		attention_probs(P, q, qd, k, kvd, len, hd, ap->window);
		/* dP = dO · Vᵀ ; dV += Pᵀ · dO */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, len, len, hd, 1.0f, dout, qd, v,
			    kvd, 0.0f, dP, len);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, len, hd, len, 1.0f, P, len, dout,
			    qd, 1.0f, ws->dv + (size_t)s0 * kvd + (size_t)kvh * hd, kvd);
		/* softmax backward: dS = P ⊙ (dP − Σ P·dP) */
		for (int i = 0; i < len; i++) {
			float *pr = P + (size_t)i * len, *dr = dP + (size_t)i * len;
			double dot = 0;
			for (int j = 0; j <= i; j++)
				dot += (double)pr[j] * dr[j];
			for (int j = 0; j <= i; j++)
				dr[j] = pr[j] * (dr[j] - (float)dot);
			for (int j = i + 1; j < len; j++)
				dr[j] = 0;
		}
		/* dQ = scale · dS · K ; dK += scale · dSᵀ · Q */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, len, hd, len, scale, dP, len, k,
			    kvd, 0.0f, ws->dq + (size_t)s0 * qd + (size_t)h * hd, qd);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, len, hd, len, scale, dP, len, q,
			    qd, 1.0f, ws->dk + (size_t)s0 * kvd + (size_t)kvh * hd, kvd);
	}
}

/* dq, dk, dv (rotated) from datt, recomputing the probabilities. */
static void attention_backward(struct train_model *tm, struct train_workspace *ws,
			       const struct train_batch *b, int l, const struct layer_acts *a)
{
	const struct model_config *c = tm->cfg;
	int hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
	struct attention_pass ap = { tm, ws, b, a, tm->m->layers[l].window };
	size_t nn = (size_t)b->n;
	memset(ws->dq, 0, nn * qd * sizeof(float));
	memset(ws->dk, 0, nn * kvd * sizeof(float));
	memset(ws->dv, 0, nn * kvd * sizeof(float));
	parallel_for(b->nseg * c->kv_heads, attention_backward_task, &ap);
	rope_segments(ws->dq, b, c->heads, hd, ws->inv_freq, -1.0f);
	rope_segments(ws->dk, b, c->kv_heads, hd, ws->inv_freq, -1.0f);
}

void layer_backward(struct train_model *tm, struct train_workspace *ws, const struct train_batch *b,
		    int l, const float *x, const struct layer_acts *a, const float *dx_out,
		    float *dx_in, int training, uint64_t step)
{
	const struct model_config *c = tm->cfg;
	const struct layer_weights *w = &tm->m->layers[l];
	int n = b->n, D = c->hidden, F = c->intermediate, qd = c->heads * c->head_dim;
	size_t nn = (size_t)n;

	/* MLP: x_out = x2 + down(silu(gate(xn2)) · up(xn2)) */
	memset(ws->dh, 0, nn * F * sizeof(float));
	/* the shared h and xn hold another layer's values: recompute this one's */
	swiglu_fwd(a->h, a->g, a->u, nn * F);
	linear_backward(tm, ws, l, LORA_DOWN, a->h, n, dx_out, ws->dh, a->lu[LORA_DOWN], training,
			step);
	{	/* ws->dh becomes d up */
		struct swiglu_bwd_job j = { ws->dg, ws->dh, a->g, a->u };
		parallel_ranges(nn * F, 1 << 14, swiglu_bwd_range, &j);
	}
	memset(ws->dxn, 0, nn * D * sizeof(float));
	rmsnorm_fwd(a->xn2, a->rms2, a->x2, w->mlp_norm, n, D, (float)c->rms_eps);
	linear_backward(tm, ws, l, LORA_GATE, a->xn2, n, ws->dg, ws->dxn, a->lu[LORA_GATE], training,
			step);
	linear_backward(tm, ws, l, LORA_UP, a->xn2, n, ws->dh, ws->dxn, a->lu[LORA_UP], training,
			step);
	memcpy(ws->dres, dx_out, nn * D * sizeof(float));
	rmsnorm_bwd(ws->dres, train_grad_of(tm, w->mlp_norm), ws->dxn, a->x2, w->mlp_norm, a->rms2,
		    n, D);

	/* attention: x2 = x + o(attend(rope(q(xn1)), rope(k(xn1)), v(xn1))) */
	memset(ws->datt, 0, nn * qd * sizeof(float));
	linear_backward(tm, ws, l, LORA_O, a->att, n, ws->dres, ws->datt, a->lu[LORA_O], training,
			step);
	attention_backward(tm, ws, b, l, a);
	if (dx_in)
		memset(ws->dxn, 0, nn * D * sizeof(float));
	rmsnorm_fwd(a->xn1, a->rms1, x, w->attn_norm, n, D, (float)c->rms_eps);
	linear_backward(tm, ws, l, LORA_Q, a->xn1, n, ws->dq, dx_in ? ws->dxn : NULL, a->lu[LORA_Q],
			training, step);
	linear_backward(tm, ws, l, LORA_K, a->xn1, n, ws->dk, dx_in ? ws->dxn : NULL, a->lu[LORA_K],
			training, step);
	linear_backward(tm, ws, l, LORA_V, a->xn1, n, ws->dv, dx_in ? ws->dxn : NULL, a->lu[LORA_V],
			training, step);
	if (dx_in) {
		memcpy(dx_in, ws->dres, nn * D * sizeof(float));
		rmsnorm_bwd(dx_in, train_grad_of(tm, w->attn_norm), ws->dxn, x, w->attn_norm, a->rms1,
			    n, D);
	}
}
