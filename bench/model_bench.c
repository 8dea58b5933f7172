/*
 * model_bench.c - the forward pass's speed and memory on one model folder,
 * next to what OpenBLAS sgemm reaches on this machine in the same run.
 *
 *   model_bench DIR [PROMPT_TOKENS [GEN_TOKENS]]
 *
 * Prints one "name value" line per figure (medians of RUNS runs):
 *   sgemm_gflops     sgemm on the prompt's MLP shape (PROMPT x 1536 x 576, etc.)
 *   pp_gflops        useful arithmetic of a prompt pass (matrix products + causal
 *                    attention; logits for the last position only) per second
 *   pp_tokens_per_s, gen_tokens_per_s (greedy, one token per step with the cache,
 *                    from an empty context, as llama-bench's tg128 measures it)
 *   gen_after_prompt_tokens_per_s  the same, continuing after the prompt (the
 *                    cache already holds PROMPT positions)
 *   gen_tokens_per_cpu_s  generated tokens per second of CPU time used, all
 *                    threads together (pool spinning included): less sensitive
 *                    to other programs sharing the machine than the wall rate
 *   rss_mib, weights_mib (peak resident set vs the tensors' size on disk)
 */
#define _GNU_SOURCE
#include "../model/model.h"
#include "../lib/util.h"

#include <cblas.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 5

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	double kb = 0;
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtod(line + 6, NULL);
	fclose(fp);
	return kb / 1024;
}

/*
 * sgemm GFLOP/s on y (m, n) = x (m, k) · wᵀ, as the forward pass calls it,
 * straight through OpenBLAS with its own threads: the machine's reference
 * figure. (winnow's cblas_sgemm, train/blas.c, turns those threads off and
 * shares products over its own pool; the model code below goes through it.)
 */
static double sgemm_gflops(int m, int n, int k)
{
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
	void (*ref_sgemm)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
			  blasint, blasint, float, const float *, blasint, const float *, blasint,
			  float, float *, blasint);
	void (*set_threads)(int);
	if (!h)
		die("cannot load libopenblas.so.0: %s", dlerror());
	ref_sgemm = (void (*)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
			      blasint, blasint, float, const float *, blasint, const float *,
			      blasint, float, float *, blasint))dlsym(h, "cblas_sgemm");
	set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
	if (!ref_sgemm)
		die("libopenblas.so.0 has no cblas_sgemm");
	if (set_threads)
		set_threads(parallel_threads());
	float *x = xmalloc((size_t)m * k * sizeof(float)), *w = xmalloc((size_t)n * k * sizeof(float));
	float *y = xmalloc((size_t)m * n * sizeof(float));
	double best[RUNS];
	for (size_t i = 0; i < (size_t)m * k; i++)
		x[i] = (float)(i % 7) * 0.01f;
	for (size_t i = 0; i < (size_t)n * k; i++)
		w[i] = (float)(i % 5) * 0.01f;
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_seconds();
		int reps = 0;
		do {
			ref_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w, k,
				  0.0f, y, n);
			reps++;
		} while (now_seconds() - t0 < 0.3);
		best[r] = 2.0 * m * n * k * reps / (now_seconds() - t0) / 1e9;
	}
	free(x);
	free(w);
	free(y);
	if (set_threads)
		set_threads(1);	/* as train/blas.c leaves it */
	return median(best, RUNS);
}

/* gen greedy steps, one token at a time through the cache, from logits. */
static int generate(struct model *m, struct kv_cache *cache, float *logits, long gen)
{
	for (long g = 0; g < gen; g++) {
		int32_t tok = argmax(logits, m->cfg.vocab);
		if (model_forward(m, cache, &tok, 1, NULL, logits))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long prompt = 512, gen = 128;
	struct model *m;
	const struct model_config *c;
	double pp[RUNS], pps[RUNS], tg[RUNS], tgc[RUNS], tga[RUNS], flops, sg;
	int32_t *ids;
	float *logits;

	if (argc < 2 || (argc > 2 && parse_long(argv[2], 1, 100000, &prompt)) ||
	    (argc > 3 && parse_long(argv[3], 1, 100000, &gen))) {
		fprintf(stderr, "usage: model_bench DIR [PROMPT_TOKENS [GEN_TOKENS]]\n");
		return 2;
	}
	m = model_load(argv[1], (int)(prompt + gen));
	if (!m)
		return 1;
	c = &m->cfg;
	sg = sgemm_gflops((int)prompt, c->intermediate, c->hidden);
	printf("sgemm_gflops %.1f\n", sg);
	fflush(stdout);

	{	/* useful flops of one prompt pass */
		double D = c->hidden, F = c->intermediate, qd = (double)c->heads * c->head_dim;
		double kvd = (double)c->kv_heads * c->head_dim, n = (double)prompt;
		double per_tok = D * qd + 2 * D * kvd + qd * D + 3 * D * F;
		flops = 2 * n * per_tok * c->layers +
			2.0 * 2 * qd * (n * (n + 1) / 2) * c->layers +	/* scores and mixing, causal */
			2 * D * c->vocab;				/* last position's logits */
	}
	ids = xmalloc((size_t)(prompt + gen) * sizeof(*ids));
	logits = xmalloc((size_t)c->vocab * sizeof(float));
	for (long i = 0; i < prompt; i++)
		ids[i] = (int32_t)((i * 7919 + 13) % c->vocab);
	for (int r = 0; r < RUNS; r++) {
		struct kv_cache cache;
		double t0, t1, c1;
		if (kv_cache_init(&cache, m, (int)(prompt + gen)))
			return 1;
		/* generation from an empty context: one start token, then gen steps */
		if (model_forward(m, &cache, ids, 1, NULL, logits))
			return 1;
		t0 = now_seconds();
		c1 = cpu_seconds();
		if (generate(m, &cache, logits, gen))
			return 1;
		tg[r] = (double)gen / (now_seconds() - t0);
		tgc[r] = (double)gen / (cpu_seconds() - c1);
		cache.len = 0;	/* the prompt pass starts from an empty cache again */

		t0 = now_seconds();
		if (model_forward(m, &cache, ids, (int)prompt, NULL, logits))
			return 1;
		t1 = now_seconds();
		pp[r] = flops / (t1 - t0) / 1e9;
		pps[r] = (double)prompt / (t1 - t0);
		if (generate(m, &cache, logits, gen))
			return 1;
		tga[r] = (double)gen / (now_seconds() - t1);
		kv_cache_free(&cache);
	}
	printf("pp_gflops %.1f\n", median(pp, RUNS));
	printf("pp_tokens_per_s %.1f\n", median(pps, RUNS));
	printf("gen_tokens_per_s %.1f\n", median(tg, RUNS));
	printf("gen_tokens_per_cpu_s %.1f\n", median(tgc, RUNS));
	printf("gen_after_prompt_tokens_per_s %.1f\n", median(tga, RUNS));
	printf("threads %d\n", parallel_threads());
	printf("rss_mib %.1f\n", peak_rss_mib());
	printf("weights_mib %.1f\n", (double)m->weight_bytes / (1 << 20));
	free(ids);
	free(logits);
	model_free(m);
	return 0;
}
