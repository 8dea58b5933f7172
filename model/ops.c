/*
 * ops.c - matrix products, normalisation, rotary embeddings and softmax for
 * the forward pass, and the thread pool they share.
 *
 * Weights stay in their file dtype so a bf16 model costs its file size in
 * memory. One token at a time (generation) is memory-bound: a dot-product
 * kernel reads each weight row once, converting on the fly, spread over the
 * cores. Many tokens at a time (prompts, eval) are compute-bound: blocks of
 * rows are converted to f32 and handed to OpenBLAS sgemm, which then does
 * nearly all the arithmetic.
 *
 * The pool's invariants: (1) parallel_for returns only after every task
 * of its batch has run, and a worker can only claim tasks of the current
 * batch (see run_tasks), so no task runs twice or with a stale function;
 * (2) workers spin briefly after a batch (generation issues hundreds of
 * small batches per token), then yield for a while (training's matrix
 * products come between element-wise passes of a millisecond or so, and a
 * sleeping worker wakes too late on a busy machine), then sleep on a
 * condition variable, so they do not steal the cores for long.
 */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"
#include "../lib/util.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* ---- thread pool ---- */

#define MAX_THREADS 64
#define SPIN_SECONDS 50e-6
#define YIELD_SECONDS 2e-3

/*
 * The whole batch state is one atomic word: generation (24 bits), task
 * count (20 bits) and next unclaimed task (20 bits). A worker claims a task
 * with a compare-and-swap on that word, so it can never claim a task of a
 * batch that has already ended, and the caller never waits for a sleeping
 * worker, only for tasks actually claimed. fn and arg are read after a
 * successful claim; they cannot change before that task is done.
 */
#define GEN_SHIFT 40
#define COUNT_SHIFT 20
#define FIELD_MASK ((1ULL << 20) - 1)
#define MAX_TASKS ((int)FIELD_MASK)

static struct {
	pthread_once_t once;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic uint64_t state;
	atomic_int done, sleepers;
	void (*fn)(void *arg, int task);
	void *arg;
} pool = { .once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER,
	   .cv = PTHREAD_COND_INITIALIZER };

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Set while this thread runs a task: a parallel_for inside it runs inline. */
static _Thread_local int in_task;
/* 0 for the thread that calls parallel_for, 1.. for the pool's workers. */
static _Thread_local int thread_index;

/* Claims and runs tasks of generation gen until none is left. */
static void run_tasks(uint64_t gen)
{
	uint64_t s = atomic_load(&pool.state);
	while ((s >> GEN_SHIFT) == gen && (s & FIELD_MASK) < ((s >> COUNT_SHIFT) & FIELD_MASK)) {
		if (atomic_compare_exchange_weak(&pool.state, &s, s + 1)) {
			in_task = 1;
			pool.fn(pool.arg, (int)(s & FIELD_MASK));
			in_task = 0;
			atomic_fetch_add(&pool.done, 1);
			s = atomic_load(&pool.state);
		}
	}
}

static void *worker(void *index)
{
	uint64_t seen = 0;
	thread_index = (int)(intptr_t)index;
	for (;;) {
		uint64_t g = atomic_load(&pool.state) >> GEN_SHIFT;
		if (g == seen) {
			double start = seconds(), t = start;
			int spins = 0;
			while ((g = atomic_load(&pool.state) >> GEN_SHIFT) == seen) {
				if (t - start < SPIN_SECONDS) {
					cpu_relax();
					if (++spins % 64 == 0)
						t = seconds();
					continue;
				}
				sched_yield();	/* stay ready, but let others run */
				if ((t = seconds()) - start > YIELD_SECONDS)
					break;
			}
		}
		if (g == seen) {
			pthread_mutex_lock(&pool.mu);
			atomic_fetch_add(&pool.sleepers, 1);
			while ((g = atomic_load(&pool.state) >> GEN_SHIFT) == seen)
				pthread_cond_wait(&pool.cv, &pool.mu);
			atomic_fetch_sub(&pool.sleepers, 1);
			pthread_mutex_unlock(&pool.mu);
		}
		seen = g;
		run_tasks(g);
	}
	return NULL;
}

static void pool_start(void)
{
	const char *env = getenv("WINNOW_THREADS");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (env && parse_long(env, 1, MAX_THREADS, &n))
		warning("WINNOW_THREADS='%s' is not a number from 1 to %d; using the cores", env,
			MAX_THREADS);
	if (n < 1)
		n = 1;
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	pool.nthreads = (int)n;
	for (int i = 1; i < pool.nthreads; i++) {
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, worker, (void *)(intptr_t)i)) {
			pool.nthreads = i;
			pthread_attr_destroy(&attr);
			break;
		}
		pthread_attr_destroy(&attr);
	}
}

int parallel_thread_index(void)
{
	return thread_index;
}

int parallel_threads(void)
{
	pthread_once(&pool.once, pool_start);
	return pool.nthreads;
}

void parallel_for(int ntasks, void (*fn)(void *arg, int task), void *arg)
{
	uint64_t gen;
	int spins = 0;
	pthread_once(&pool.once, pool_start);
	if (pool.nthreads == 1 || ntasks <= 1 || ntasks > MAX_TASKS || in_task) {
		for (int t = 0; t < ntasks; t++)
			fn(arg, t);
		return;
	}
	pool.fn = fn;
	pool.arg = arg;
	atomic_store(&pool.done, 0);
	gen = ((atomic_load(&pool.state) >> GEN_SHIFT) + 1) & ((1ULL << 24) - 1);
	if (!gen)
		gen = 1;	/* workers start having seen generation 0 */
	atomic_store(&pool.state, gen << GEN_SHIFT | (uint64_t)ntasks << COUNT_SHIFT);
	if (atomic_load(&pool.sleepers)) {
		pthread_mutex_lock(&pool.mu);
		pthread_cond_broadcast(&pool.cv);
		pthread_mutex_unlock(&pool.mu);
	}
	run_tasks(gen);
	/* only tasks other threads have claimed remain; they may be descheduled */
	while (atomic_load(&pool.done) < ntasks) {
		if (++spins < 2000)
			cpu_relax();
		else
			sched_yield();
	}
}

struct ranges {
	size_t n, piece;
	void (*fn)(void *arg, size_t lo, size_t hi);
	void *arg;
};

static void range_task(void *arg, int task)
{
	const struct ranges *r = arg;
	size_t lo = (size_t)task * r->piece, hi = lo + r->piece < r->n ? lo + r->piece : r->n;
	if (lo < hi)
		r->fn(r->arg, lo, hi);
}

void parallel_ranges(size_t n, size_t grain, void (*fn)(void *arg, size_t lo, size_t hi),
		     void *arg)
{
	/* a few pieces a thread, so one that is descheduled is covered by the others */
	size_t pieces = 4 * (size_t)parallel_threads(), piece;
	if (grain < 1)
		grain = 1;
	if (n / grain < pieces)
		pieces = n / grain;
	if (pieces <= 1) {
		if (n)
			fn(arg, 0, n);
		return;
	}
	piece = (n + pieces - 1) / pieces;
	{
		struct ranges r = { n, piece, fn, arg };
		parallel_for((int)((n + piece - 1) / piece), range_task, &r);
	}
}

/* ---- dot-product kernels: y[r] = W[r] · x for r in [r0, r1) ---- */

static int have_avx2(void)
{
#if defined(__x86_64__)
	static int cached = -1;
	if (cached < 0) {
		__builtin_cpu_init();
		cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
			 __builtin_cpu_supports("f16c");
	}
	return cached;
#else
	return 0;
#endif
}

static void dot_rows_generic(const struct weight *w, const float *x, float *y, int r0, int r1)
{
	float buf[256];
	for (int r = r0; r < r1; r++) {
		const char *row = (const char *)w->data + (size_t)r * w->cols * st_dtype_size(w->dtype);
		float s = 0;
		for (int i = 0; i < w->cols; i += 256) {
			int m = w->cols - i < 256 ? w->cols - i : 256;
			st_to_f32(w->dtype, row + (size_t)i * st_dtype_size(w->dtype), buf, (size_t)m);
			for (int j = 0; j < m; j++)
				s += buf[j] * x[i + j];
		}
		y[r] = s;
	}
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static inline __m256 load8(enum st_dtype t, const void *p, size_t i)
{
	if (t == ST_F32)
		return _mm256_loadu_ps((const float *)p + i);
	__m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
	if (t == ST_F16)
		return _mm256_cvtph_ps(h);
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

__attribute__((target("avx2,fma,f16c")))
static float hsum8(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma,f16c")))
static void dot_rows_avx2(const struct weight *w, const float *x, float *y, int r0, int r1)
{
	const size_t cols = (size_t)w->cols, cols8 = cols / 8 * 8, es = st_dtype_size(w->dtype);
	const size_t stride = cols * es;
	const enum st_dtype t = w->dtype;
	int r = r0;
	/* four rows at a time: four independent accumulators share each load of x */
	for (; r + 3 < r1; r += 4) {
		const char *a = (const char *)w->data + (size_t)r * stride;
		__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
		__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
		size_t i = 0;
		for (; i < cols8; i += 8) {
			__m256 xv = _mm256_loadu_ps(x + i);
			if (!((i * es) & 63) && r + 7 < r1) {
				/* the next four rows, a cache line at a time: the hardware
				 * prefetcher alone leaves about a third of the bandwidth unused */
				const char *next = a + 4 * stride + i * es;
				_mm_prefetch(next, _MM_HINT_T0);
				_mm_prefetch(next + stride, _MM_HINT_T0);
				_mm_prefetch(next + 2 * stride, _MM_HINT_T0);
				_mm_prefetch(next + 3 * stride, _MM_HINT_T0);
			}
			s0 = _mm256_fmadd_ps(load8(t, a, i), xv, s0);
			s1 = _mm256_fmadd_ps(load8(t, a + stride, i), xv, s1);
			s2 = _mm256_fmadd_ps(load8(t, a + 2 * stride, i), xv, s2);
			s3 = _mm256_fmadd_ps(load8(t, a + 3 * stride, i), xv, s3);
		}
		float f[4] = { hsum8(s0), hsum8(s1), hsum8(s2), hsum8(s3) };
		for (; i < cols; i++)
			for (int k = 0; k < 4; k++) {
				float v;
				st_to_f32(t, a + k * stride + i * es, &v, 1);
				f[k] += v * x[i];
			}
		for (int k = 0; k < 4; k++)
			y[r + k] = f[k];
	}
	if (r < r1)
		dot_rows_generic(w, x, y, r, r1);
}
#endif

/* ---- small vector kernels (attention over the cache) ---- */

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float vec_dot_avx2(const float *a, const float *b, int n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	int i = 0;
	for (; i + 15 < n; i += 16) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
	}
	for (; i + 7 < n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	float s = hsum8(_mm256_add_ps(s0, s1));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

__attribute__((target("avx2,fma,f16c")))
static void vec_axpy_avx2(float *y, float alpha, const float *x, int n)
{
	__m256 av = _mm256_set1_ps(alpha);
	int i = 0;
	for (; i + 7 < n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i),
							_mm256_loadu_ps(y + i)));
	for (; i < n; i++)
		y[i] += alpha * x[i];
}

/* four keys at a time, sharing each load of q */
__attribute__((target("avx2,fma,f16c")))
static void attn_scores_avx2(float *s, const float *q, const float *k, size_t stride, int nk,
			     int hd, float scale)
{
	int j = 0, hd8 = hd / 8 * 8;
	for (; j + 3 < nk; j += 4) {
		const float *k0 = k + (size_t)j * stride;
		__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
		__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
		int i = 0;
		for (; i < hd8; i += 8) {
			__m256 qv = _mm256_loadu_ps(q + i);
			a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + i), a0);
			a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + stride + i), a1);
			a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 2 * stride + i), a2);
			a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 3 * stride + i), a3);
		}
		float f[4] = { hsum8(a0), hsum8(a1), hsum8(a2), hsum8(a3) };
		for (; i < hd; i++)
			for (int r = 0; r < 4; r++)
				f[r] += q[i] * k0[r * stride + i];
		for (int r = 0; r < 4; r++)
			s[j + r] = f[r] * scale;
	}
	for (; j < nk; j++)
		s[j] = vec_dot_avx2(q, k + (size_t)j * stride, hd) * scale;
}

/* the output stays in registers, 64 values at a time, while the rows stream by */
__attribute__((target("avx2,fma,f16c")))
static void attn_mix_avx2(float *o, const float *p, const float *v, size_t stride, int nk, int hd)
{
	int i0 = 0;
	for (; i0 + 64 <= hd; i0 += 64) {
		__m256 acc[8];
		for (int r = 0; r < 8; r++)
			acc[r] = _mm256_setzero_ps();
		for (int j = 0; j < nk; j++) {
			const float *vr = v + (size_t)j * stride + i0;
			__m256 pj = _mm256_set1_ps(p[j]);
			for (int r = 0; r < 8; r++)
				acc[r] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vr + 8 * r), acc[r]);
		}
		for (int r = 0; r < 8; r++)
			_mm256_storeu_ps(o + i0 + 8 * r, acc[r]);
	}
	if (i0 < hd) {
		memset(o + i0, 0, (size_t)(hd - i0) * sizeof(float));
		for (int j = 0; j < nk; j++)
			vec_axpy_avx2(o + i0, p[j], v + (size_t)j * stride + i0, hd - i0);
	}
}
#endif

static float vec_dot(const float *a, const float *b, int n);

void attn_scores(float *s, const float *q, const float *k, size_t stride, int nk, int hd,
		 float scale)
{
#if defined(__x86_64__)
	if (have_avx2()) {
		attn_scores_avx2(s, q, k, stride, nk, hd, scale);
		return;
	}
#endif
	for (int j = 0; j < nk; j++)
		s[j] = vec_dot(q, k + (size_t)j * stride, hd) * scale;
}

void attn_mix(float *o, const float *p, const float *v, size_t stride, int nk, int hd)
{
#if defined(__x86_64__)
	if (have_avx2()) {
		attn_mix_avx2(o, p, v, stride, nk, hd);
		return;
	}
#endif
	memset(o, 0, (size_t)hd * sizeof(float));
	for (int j = 0; j < nk; j++)
		vec_axpy(o, p[j], v + (size_t)j * stride, hd);
}

/* a · b over n floats; the summation order differs from a plain loop by rounding only. */
static float vec_dot(const float *a, const float *b, int n)
{
#if defined(__x86_64__)
	if (have_avx2())
		return vec_dot_avx2(a, b, n);
#endif
	float s[4] = { 0, 0, 0, 0 };	/* four chains, not one long dependency */
	int i = 0;
	for (; i + 3 < n; i += 4)
		for (int k = 0; k < 4; k++)
			s[k] += a[i + k] * b[i + k];
	for (; i < n; i++)
		s[0] += a[i] * b[i];
	return (s[0] + s[1]) + (s[2] + s[3]);
}

void vec_axpy(float *y, float alpha, const float *x, int n)
{
#if defined(__x86_64__)
	if (have_avx2()) {
		vec_axpy_avx2(y, alpha, x, n);
		return;
	}
#endif
	for (int i = 0; i < n; i++)
		y[i] += alpha * x[i];
}

/* Up to MATMUL_MAX_JOBS weights applied to the same x, as one parallel batch. */
struct gemv_batch {
	const struct matmul_job *jobs;
	int njobs;
	const float *x;
	int cols, rows_per_task;
	int first_task[MATMUL_MAX_JOBS + 1];	/* prefix sums of each job's task count */
};

static void gemv_task(void *arg, int task)
{
	struct gemv_batch *b = arg;
	int k = 0, r0, r1;
	const struct matmul_job *j;
	while (task >= b->first_task[k + 1])
		k++;
	j = &b->jobs[k];
	r0 = (task - b->first_task[k]) * b->rows_per_task;
	r1 = r0 + b->rows_per_task < j->w->rows ? r0 + b->rows_per_task : j->w->rows;
	if (j->w->quant)
		dequant_dot_rows(j->w->quant, j->w->data, j->w->cols, b->x, j->y, r0, r1);
#if defined(__x86_64__)
	else if (have_avx2())
		dot_rows_avx2(j->w, b->x, j->y, r0, r1);
	else
#endif
		dot_rows_generic(j->w, b->x, j->y, r0, r1);
	if (j->bias)
		for (int r = r0; r < r1; r++)
			j->y[r] += j->bias[r];
}

/* ---- block conversion for sgemm ---- */

#define SCRATCH_FLOATS ((size_t)1 << 20)
#define CONVERT_ROWS 32

size_t weight_scratch_floats(void)
{
	return SCRATCH_FLOATS;
}

struct convert_job {
	const struct weight *w;
	float *dst;
	int r0;
};

static void convert_rows(void *arg, size_t lo, size_t hi)
{
	const struct convert_job *j = arg;
	size_t es = st_dtype_size(j->w->dtype), cols = (size_t)j->w->cols;
	if (j->w->quant) {
		size_t rb = quant_row_bytes(j->w->quant, j->w->cols);
		for (size_t r = lo; r < hi; r++)
			dequant_row(j->w->quant, (const char *)j->w->data + ((size_t)j->r0 + r) * rb,
				    j->dst + r * cols, j->w->cols);
		return;
	}
	st_to_f32(j->w->dtype, (const char *)j->w->data + ((size_t)j->r0 + lo) * cols * es,
		  j->dst + lo * cols, (hi - lo) * cols);
}

void weight_rows_f32(const struct weight *w, int r0, int r1, float *dst)
{
	struct convert_job j = { w, dst, r0 };
	parallel_ranges((size_t)(r1 - r0), CONVERT_ROWS, convert_rows, &j);
}

void weight_row(const struct weight *w, int r, float *out)
{
	if (w->quant) {
		dequant_row(w->quant, (const char *)w->data + (size_t)r * quant_row_bytes(w->quant, w->cols),
			    out, w->cols);
		return;
	}
	st_to_f32(w->dtype, (const char *)w->data + (size_t)r * w->cols * st_dtype_size(w->dtype),
		  out, (size_t)w->cols);
}

/* y (n, rows) = x · Wᵀ through sgemm, converting W by blocks unless it is aligned f32. */
static void matmul_sgemm(float *y, const float *x, int n, const struct weight *w,
			 const float *bias, float *scratch)
{
	const int rows = w->rows, cols = w->cols;
	if (w->dtype == ST_F32 && !w->quant && ((uintptr_t)w->data & 3) == 0) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rows, cols, 1.0f, x, cols,
			    (const float *)w->data, cols, 0.0f, y, rows);
	} else {
		int block = (int)(SCRATCH_FLOATS / (size_t)cols);
		if (block < 1)
			die("matmul: a weight row of %d values does not fit the scratch buffer", cols);
		for (int r0 = 0; r0 < rows; r0 += block) {
			int r1 = r0 + block < rows ? r0 + block : rows;
			weight_rows_f32(w, r0, r1, scratch);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r1 - r0, cols, 1.0f,
				    x, cols, scratch, cols, 0.0f, y + r0, rows);
		}
	}
	if (bias)
		for (int t = 0; t < n; t++)
			for (int r = 0; r < rows; r++)
				y[(size_t)t * rows + r] += bias[r];
}

/* y (n, rows) += scale · (x·Aᵀ)·Bᵀ, through scratch a block of tokens at a time. */
static void delta_add(float *y, const float *x, int n, const struct weight *w, float *scratch)
{
	const struct weight_delta *d = w->delta;
	int block = (int)(SCRATCH_FLOATS / (size_t)d->rank);
	for (int t0 = 0; t0 < n; t0 += block) {
		int m = n - t0 < block ? n - t0 : block;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, d->rank, w->cols, 1.0f,
			    x + (size_t)t0 * w->cols, w->cols, d->a, w->cols, 0.0f, scratch, d->rank);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, w->rows, d->rank, d->scale,
			    scratch, d->rank, d->b, d->rank, 1.0f, y + (size_t)t0 * w->rows, w->rows);
	}
}

void matmul_many(const float *x, int n, const struct matmul_job *jobs, int njobs, float *scratch)
{
	if (njobs > MATMUL_MAX_JOBS)
		die("matmul_many: %d jobs (at most %d)", njobs, MATMUL_MAX_JOBS);
	if (n > 2) {
		for (int k = 0; k < njobs; k++)
			matmul_sgemm(jobs[k].y, x, n, jobs[k].w, jobs[k].bias, scratch);
	}
	for (int t = 0; t < n && n <= 2; t++) {
		struct matmul_job shifted[MATMUL_MAX_JOBS];
		struct gemv_batch b;
		int threads = parallel_threads(), total_rows = 0, cols = jobs[0].w->cols;
		for (int k = 0; k < njobs; k++) {
			shifted[k] = jobs[k];
			shifted[k].y = jobs[k].y + (size_t)t * jobs[k].w->rows;
			total_rows += jobs[k].w->rows;
			if (jobs[k].w->cols != cols)
				die("matmul_many: weights of different widths (%d, %d)", cols, jobs[k].w->cols);
		}
		b.jobs = shifted;
		b.njobs = njobs;
		b.x = x + (size_t)t * cols;
		b.cols = cols;
		/* about 8 tasks per thread, rows in multiples of 16 */
		b.rows_per_task = total_rows / (threads * 8);
		b.rows_per_task = b.rows_per_task < 16 ? 16 : (b.rows_per_task + 15) / 16 * 16;
		b.first_task[0] = 0;
		for (int k = 0; k < njobs; k++)
			b.first_task[k + 1] = b.first_task[k] +
					      (jobs[k].w->rows + b.rows_per_task - 1) / b.rows_per_task;
		parallel_for(b.first_task[njobs], gemv_task, &b);
	}
	for (int k = 0; k < njobs; k++)
		if (jobs[k].w->delta)
			delta_add(jobs[k].y, x, n, jobs[k].w, scratch);
}

void matmul(float *y, const float *x, int n, const struct weight *w, const float *bias,
	    float *scratch)
{
	struct matmul_job j = { y, w, bias };
	matmul_many(x, n, &j, 1, scratch);
}

/* ---- elementwise ---- */

void rmsnorm(float *y, const float *x, const float *w, int n, int d, float eps)
{
	for (int t = 0; t < n; t++) {
		const float *xr = x + (size_t)t * d;
		float *yr = y + (size_t)t * d;
		double ss = 0;
		for (int i = 0; i < d; i++)
			ss += (double)xr[i] * xr[i];
		float inv = 1.0f / sqrtf((float)(ss / d) + eps);
		for (int i = 0; i < d; i++)
			yr[i] = w[i] * (xr[i] * inv);
	}
}

void silu_mul(float *x, const float *gate, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float g = gate[i];
		x[i] *= g / (1.0f + expf(-g));
	}
}

void softmax(float *x, int n)
{
	float max = -INFINITY, sum = 0;
	for (int i = 0; i < n; i++)
		if (x[i] > max)
			max = x[i];
	for (int i = 0; i < n; i++) {
		x[i] = expf(x[i] - max);
		sum += x[i];
	}
	for (int i = 0; i < n; i++)
		x[i] /= sum;
}

void rope_apply(float *x, int n, int heads, int head_dim, int pos0, const float *inv_freq)
{
	int half = head_dim / 2;
	float c[512], s[512];
	if (half > 512)
		die("rope_apply: head_dim %d is larger than supported (1024)", head_dim);
	for (int t = 0; t < n; t++) {
		float pos = (float)(pos0 + t);
		for (int i = 0; i < half; i++) {
			float a = pos * inv_freq[i];
			c[i] = cosf(a);
			s[i] = sinf(a);
		}
		for (int h = 0; h < heads; h++) {
			float *v = x + ((size_t)t * heads + h) * head_dim;
			for (int i = 0; i < half; i++) {
				float a = v[i], b = v[i + half];
				v[i] = a * c[i] - b * s[i];
				v[i + half] = b * c[i] + a * s[i];
			}
		}
	}
}
