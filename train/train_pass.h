/*
 * train_pass.h - what the training forward (train_forward.c) and the
 * backward pass (backward.c) share: the activations one layer keeps, the
 * reusable workspace, and the small kernels both directions use.
 */
#ifndef WINNOW_TRAIN_PASS_H
#define WINNOW_TRAIN_PASS_H

#include "train.h"

/*
 * What the backward pass of one layer needs from its forward pass. xn1,
 * xn2 and h are cheap to recompute from what is kept (an RMSNorm, a SwiGLU),
 * so every layer's point at the workspace's one copy, and the backward pass
 * recomputes them, to the bit, where it needs them: a quarter less memory.
 */
struct layer_acts {
	float *xn1, *rms1;	/* (n, D) attention-normed input (shared), (n) 1/rms */
	float *q, *k, *v;	/* (n, H*hd) rotated, (n, KV*hd) rotated, (n, KV*hd) */
	float *att;		/* (n, H*hd) attention output, o_proj's input */
	float *x2;		/* (n, D) residual after attention */
	float *xn2, *rms2;	/* (n, D) (shared, = xn1), (n) */
	float *g, *u, *h;	/* (n, F) gate, up, silu(gate)·up (shared) */
	float *lu[LORA_MODULES];	/* (n, r) A·dropout(x) of each adapted projection */
};

struct train_workspace {
	int n, longest;		/* rows and longest segment allocated for */
	float **xs;		/* (L + 1) × (n, D): residual stream entering each layer, then the last */
	struct layer_acts *acts;	/* (L), or 1 when checkpointing */
	int nacts;
	float *xn, *h;		/* (n, D), (n, F): every layer's xn1/xn2 and h */
	float *hfin, *rmsf;	/* (n, D) final-normed hidden, (n) */
	float *inv_freq;	/* (head_dim / 2) */
	/* scratch */
	float *xd;		/* (n, max in) dropout(x) */
	float *du;		/* (n, r) */
	float *dx, *dx2, *dxn, *dres;	/* (n, D) */
	float *dq, *dk, *dv, *datt;	/* (n, H*hd), (n, KV*hd) × 2, (n, H*hd) */
	float *dg, *dh;		/* (n, F) */
	float *s, *dp;		/* per thread (longest, longest): attention probabilities
				 * and their gradient */
	float *logits;		/* (LOSS_ROWS, V) */
	float *hrows, *dhrows;	/* (LOSS_ROWS, D) */
};

#define LOSS_ROWS 64	/* (64, V) logits at a time: 12 MiB for a 49k vocabulary */

/* Appends a named slice of numel parameters to tm's layout. */
void train_add_group(struct train_model *tm, const char *name, size_t numel, int rows, int cols,
		     int decay);

/* ---- prompt learning (prompt_tuning.c) ---- */
/* b with the virtual rows (ids -1..-N, no targets) before each segment; runs the encoder. */
const struct train_batch *prompt_batch(struct train_model *tm, const struct train_batch *b);
/* The virtual tokens of the current parameters into tm->prompt. */
void prompt_encode(struct train_model *tm);
/* Adds the gradient of the virtual rows of dx0 (layer 0's input) to the prompt parameters. */
void prompt_backward(struct train_model *tm, const struct train_batch *b, const float *dx0);
void prompt_model_release(struct train_model *tm);

/* The pair of a projection when LoRA trains it, else NULL. */
const struct lora_pair *train_pair(const struct train_model *tm, int layer, enum lora_module mod);

/* Dropout key of one projection application (step, layer, module). */
uint64_t dropout_key(const struct train_model *tm, uint64_t step, int layer, int mod);
/* y = dropout(x) with keep probability 1 - p, scaled by 1 / (1 - p). */
void dropout_apply(float *y, const float *x, int n, int d, float p, uint64_t key);

/* Rotate-half RoPE on each segment (positions restart at 0); sign -1 rotates back. */
void rope_segments(float *x, const struct train_batch *b, int heads, int hd,
		   const float *inv_freq, float sign);
/* What one layer's attention tasks share (forward and backward), a task per
 * segment and key/value head. */
struct attention_pass {
	struct train_model *tm;
	struct train_workspace *ws;
	const struct train_batch *b;
	const struct layer_acts *a;
	int window;
};

/* Causal attention probabilities of one head of one segment into s (len, len). */
void attention_probs(float *s, const float *q, int qstride, const float *k, int kstride, int len,
		     int hd, int window);

/* y (n, D) = w · x / rms(x); rms_inv (n) keeps 1 / rms. */
/* y += a over n floats, on every core. */
void add_parallel(float *y, const float *a, size_t n);
void rmsnorm_fwd(float *y, float *rms_inv, const float *x, const float *w, int n, int d, float eps);
/* h = silu(g) · u over n floats, on every core. */
void swiglu_fwd(float *h, const float *g, const float *u, size_t n);

/* Runs layer l on x (n, D) into x_out, keeping activations in a. */
void layer_forward(struct train_model *tm, struct train_workspace *ws, const struct train_batch *b,
		   int l, const float *x, struct layer_acts *a, float *x_out, int training,
		   uint64_t step);
/* Given dx_out, the gradient at the layer's output, leaves the gradient at its
 * input in dx_in (may be NULL when nothing before needs it). */
void layer_backward(struct train_model *tm, struct train_workspace *ws, const struct train_batch *b,
		    int l, const float *x, const struct layer_acts *a, const float *dx_out,
		    float *dx_in, int training, uint64_t step);

/* dx (n, W.cols) += dy (n, W.rows) · W, for W in any dtype. */
void matmul_dx(float *dx, const float *dy, int n, const struct weight *w, float *scratch);

#endif
