/*
 * ops.h - the numerical building blocks of the forward pass: matrix
 * products with weights kept in their file dtype (f32, bf16, f16), RMSNorm,
 * rotary embeddings, softmax and the SiLU gate, plus the small thread pool
 * that spreads the non-BLAS loops over the cores.
 */
#ifndef WINNOW_OPS_H
#define WINNOW_OPS_H

#include <stddef.h>

#include "quant.h"
#include "safetensors.h"

/* A low-rank term kept beside a quantised weight (an unmerged LoRA adapter):
 * the product adds scale · (x·Aᵀ)·Bᵀ. */
struct weight_delta {
	const float *a, *b;	/* (rank, cols), (rows, rank) */
	int rank;
	float scale;
};

/* A weight matrix (rows, cols) stored row-major in its file dtype. */
struct weight {
	enum st_dtype dtype;
	const void *data;	/* mapped from the file, or owned by the model */
	int rows, cols;
	enum quant_type quant;	/* QUANT_NONE, else data holds quant.h blocks (dtype unused) */
	const struct weight_delta *delta;	/* NULL, or added to every product */
};

/* Runs fn(arg, task) for task in [0, ntasks) on every core; returns when all are done. */
void parallel_for(int ntasks, void (*fn)(void *arg, int task), void *arg);
/* Threads used by parallel_for (WINNOW_THREADS, else the online cores). */
int parallel_threads(void);
/* fn(arg, lo, hi) over pieces of [0, n) of at least grain items each, on
 * every core; every item is in exactly one piece. */
void parallel_ranges(size_t n, size_t grain, void (*fn)(void *arg, size_t lo, size_t hi),
		     void *arg);
/* Which of them runs the current task: 0 .. parallel_threads() - 1, for
 * per-thread scratch buffers. */
int parallel_thread_index(void);

/*
 * y (n, W.rows) = x (n, W.cols) · Wᵀ (+ bias when not NULL). Small n runs a
 * dot-product kernel reading W in place; larger n converts W by blocks of
 * rows to f32 and calls sgemm. scratch must hold weight_scratch_floats().
 */
void matmul(float *y, const float *x, int n, const struct weight *w, const float *bias,
	    float *scratch);
size_t weight_scratch_floats(void);
/* Rows [r0, r1) of w as f32 into dst ((r1 - r0) x cols), converted in parallel. */
void weight_rows_f32(const struct weight *w, int r0, int r1, float *dst);

/* Several weights of the same width applied to the same x (q/k/v, gate/up):
 * for few tokens, one parallel batch instead of one per weight. */
#define MATMUL_MAX_JOBS 4
struct matmul_job {
	float *y;		/* (n, w->rows) */
	const struct weight *w;
	const float *bias;	/* (w->rows) or NULL */
};
void matmul_many(const float *x, int n, const struct matmul_job *jobs, int njobs, float *scratch);

/* y += alpha * x over n floats (AVX2 where the CPU has it). */
void vec_axpy(float *y, float alpha, const float *x, int n);

/* Attention over cached rows of stride floats: s[j] = scale * q · k_j, and
 * o = sum_j p[j] * v_j (o overwritten), for j in [0, nk). */
void attn_scores(float *s, const float *q, const float *k, size_t stride, int nk, int hd,
		 float scale);
void attn_mix(float *o, const float *p, const float *v, size_t stride, int nk, int hd);

/* Row r of W converted to f32 (cols floats). */
void weight_row(const struct weight *w, int r, float *out);

/* y = w * x / sqrt(mean(x²) + eps), for n rows of d. */
void rmsnorm(float *y, const float *x, const float *w, int n, int d, float eps);
/* In place: x[i] = silu(gate[i]) * x[i]. */
void silu_mul(float *x, const float *gate, size_t n);
/* In place softmax of n floats, in fp32 with the maximum subtracted. */
void softmax(float *x, int n);

/*
 * Rotate-half rotary embedding, in place, on n tokens with heads heads of
 * head_dim each (row stride heads * head_dim); token t sits at pos0 + t.
 */
void rope_apply(float *x, int n, int heads, int head_dim, int pos0, const float *inv_freq);

#endif
