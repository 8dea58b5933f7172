/*
 * blas.c - OpenBLAS, loaded on first use.
 *
 * Linking libopenblas into the one winnow binary made every command pay
 * for it: the library starts its thread pool when it loads, and the idle
 * workers spin on sched_yield (thousands of calls for a `winnow sql
 * "SELECT 1"`) on a 2-core machine. Only model code multiplies matrices,
 * so cblas_sgemm here opens the library the first time it is called and
 * forwards to it; every other command never loads it.
 *
 * OpenBLAS's own threads are turned off: their idle workers spin on
 * sched_yield while winnow's element-wise code runs, and with winnow's
 * pool beside them the two oversubscribe the cores. Instead a large
 * product is cut into blocks of rows (or of columns, when there are few
 * rows) and the blocks run on winnow's pool (ops.c), one single-threaded
 * sgemm each, over the whole k range, as OpenBLAS's own threads would.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>

#include "ops.h"
#include "../lib/util.h"

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
			 const enum CBLAS_TRANSPOSE, const blasint, const blasint, const blasint,
			 const float, const float *, const blasint, const float *, const blasint,
			 const float, float *, const blasint);

static sgemm_fn real_sgemm;
static void (*set_num_threads)(int);
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_load(void)
{
	static const char *const names[] = { "libopenblas.so.0", "libopenblas.so", "libblas.so.3" };
	const char *why = "not found";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !real_sgemm; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			why = dlerror();
			continue;
		}
		real_sgemm = (sgemm_fn)(void (*)(void))dlsym(h, "cblas_sgemm");
		set_num_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
	}
	if (set_num_threads)
		set_num_threads(1);
	if (!real_sgemm)
		die("cannot load OpenBLAS (%s); install it with 'make deps' "
		    "(Debian package libopenblas0)", why);
}

/* Below this many multiply-adds a product is not worth sharing. */
#define SPLIT_MIN_WORK (1 << 19)
/* Blocks are multiples of this many rows or columns (OpenBLAS's kernel tiles). */
#define SPLIT_ALIGN 16

struct sgemm_split {
	enum CBLAS_ORDER order;
	enum CBLAS_TRANSPOSE ta, tb;
	blasint m, n, k, lda, ldb, ldc, block;
	int by_rows;
	float alpha, beta;
	const float *a, *b;
	float *c;
};

/* Rows [i0, i1) of C need rows i0.. of op(A); columns j0.. need columns of op(B). */
static void sgemm_block(void *arg, int task)
{
	const struct sgemm_split *s = arg;
	blasint lo = (blasint)task * s->block;
	int row_major = s->order == CblasRowMajor;
	if (s->by_rows) {
		blasint hi = lo + s->block < s->m ? lo + s->block : s->m;
		/* element (i, p) of op(A) is at a[i*lda + p] for row-major NoTrans, a[p*lda + i] for Trans */
		size_t aoff = (size_t)lo * (row_major == (s->ta == CblasNoTrans) ? (size_t)s->lda : 1);
		size_t coff = (size_t)lo * (row_major ? (size_t)s->ldc : 1);
		if (hi > lo)
			real_sgemm(s->order, s->ta, s->tb, hi - lo, s->n, s->k, s->alpha, s->a + aoff,
				   s->lda, s->b, s->ldb, s->beta, s->c + coff, s->ldc);
	} else {
		blasint hi = lo + s->block < s->n ? lo + s->block : s->n;
		/* element (p, j) of op(B) is at b[p*ldb + j] for row-major NoTrans, b[j*ldb + p] for Trans */
		size_t boff = (size_t)lo * (row_major == (s->tb == CblasNoTrans) ? 1 : (size_t)s->ldb);
		size_t coff = (size_t)lo * (row_major ? 1 : (size_t)s->ldc);
		if (hi > lo)
			real_sgemm(s->order, s->ta, s->tb, s->m, hi - lo, s->k, s->alpha, s->a, s->lda,
				   s->b + boff, s->ldb, s->beta, s->c + coff, s->ldc);
	}
}

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
		 const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n, const blasint k,
		 const float alpha, const float *a, const blasint lda, const float *b,
		 const blasint ldb, const float beta, float *c, const blasint ldc)
{
	struct sgemm_split s = { order, ta, tb, m, n, k, lda, ldb, ldc, 0, 0, alpha, beta, a, b, c };
	int threads, tasks;
	blasint along;

	pthread_once(&blas_once, blas_load);
	threads = parallel_threads();
	if (threads == 1 || (double)m * n * k < SPLIT_MIN_WORK) {
		real_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
		return;
	}
	/* two blocks a thread, so a thread that falls behind is helped by the others */
	s.by_rows = m >= n || m >= 4 * SPLIT_ALIGN * threads;
	along = s.by_rows ? m : n;
	tasks = 2 * threads;
	while (tasks > 1 && along / tasks < 2 * SPLIT_ALIGN)
		tasks--;
	s.block = (along + tasks - 1) / tasks;
	s.block = (s.block + SPLIT_ALIGN - 1) / SPLIT_ALIGN * SPLIT_ALIGN;
	tasks = (int)((along + s.block - 1) / s.block);
	if (tasks <= 1) {
		real_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
		return;
	}
	parallel_for(tasks, sgemm_block, &s);
}
