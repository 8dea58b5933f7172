/*
 * blas.c - OpenBLAS, loaded on first use.
 *
 * Linking libopenblas into the one winnow binary made every command pay
 * for it: the library starts its thread pool when it loads, and the idle
 * workers spin on sched_yield (thousands of calls for a `winnow sql
 * "SELECT 1"`) on a 2-core machine. Only model code multiplies matrices,
 * so cblas_sgemm here opens the library the first time it is called and
 * forwards to it; every other command never loads it.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>

#include "../lib/util.h"

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
			 const enum CBLAS_TRANSPOSE, const blasint, const blasint, const blasint,
			 const float, const float *, const blasint, const float *, const blasint,
			 const float, float *, const blasint);

static sgemm_fn real_sgemm;
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
	}
	if (!real_sgemm)
		die("cannot load OpenBLAS (%s); install it with 'make deps' "
		    "(Debian package libopenblas0)", why);
}

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
		 const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n, const blasint k,
		 const float alpha, const float *a, const blasint lda, const float *b,
		 const blasint ldb, const float beta, float *c, const blasint ldc)
{
	pthread_once(&blas_once, blas_load);
	real_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
