/*
 * test_model.c - the forward pass against the PyTorch reference written by
 * tests/make_reference_models.py: logits of fixed inputs within tolerance
 * (1e-4 for f32 weights, 2e-2 for bf16 and f16), identical 32-token greedy
 * continuations, next-token cross-entropy, and key/value-cache decoding in
 * pieces equal to one full pass. Also config.json parsing and sampling.
 *
 * Every mismatch names the model, the tensor and the position.
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../model/model.h"

static const char *const model_names[] = {
	"llama_gqa", "llama_bias_llama3_tied", "qwen2_tied_linear", "qwen2_bf16_sharded",
	"mistral_window_dynamic", "llama_f16",
};
#define NMODELS (sizeof(model_names) / sizeof(model_names[0]))

struct fixture {
	char dir[512];
	struct model *m;
	json_t *ref;
	struct safetensors logits;
	double tol;
};

static void fixtures_dir(char *buf, size_t size, const char *name)
{
	/* __FILE__ is tests/unit/test_model.c relative to the top folder, where make runs */
	const char *env = getenv("WINNOW_FIXTURES");
	snprintf(buf, size, "%s/models/%s", env ? env : "tests/fixtures", name);
}

static void open_fixture(struct fixture *f, const char *name, int context)
{
	char path[600];
	json_error_t jerr;
	fixtures_dir(f->dir, sizeof(f->dir), name);
	f->m = model_load(f->dir, context);
	if (!f->m)
		fail_msg("%s: model_load failed", name);
	snprintf(path, sizeof(path), "%s/reference.json", f->dir);
	f->ref = json_load_file(path, 0, &jerr);
	if (!f->ref)
		fail_msg("%s: %s", path, jerr.text);
	snprintf(path, sizeof(path), "%s/reference.safetensors", f->dir);
	assert_int_equal(safetensors_open(&f->logits, path), 0);
	f->tol = json_real_value(json_object_get(f->ref, "tolerance"));
	assert_true(f->tol > 0);
}

static void close_fixture(struct fixture *f)
{
	model_free(f->m);
	json_decref(f->ref);
	safetensors_close(&f->logits);
}

static int32_t *input_ids(struct fixture *f, int which, int *n)
{
	json_t *arr = json_array_get(json_object_get(f->ref, "inputs"), (size_t)which);
	int32_t *ids;
	assert_non_null(arr);
	*n = (int)json_array_size(arr);
	ids = xmalloc((size_t)*n * sizeof(*ids));
	for (int i = 0; i < *n; i++)
		ids[i] = (int32_t)json_integer_value(json_array_get(arr, (size_t)i));
	return ids;
}

/* Full logits (n, V) of ids in one pass from an empty cache. */
static float *full_logits(struct model *m, const int32_t *ids, int n)
{
	struct kv_cache c;
	float *hidden = xmalloc((size_t)n * m->cfg.hidden * sizeof(float));
	float *logits = xmalloc((size_t)n * m->cfg.vocab * sizeof(float));
	assert_int_equal(kv_cache_init(&c, m, n), 0);
	assert_int_equal(model_forward(m, &c, ids, n, hidden, NULL), 0);
	assert_int_equal(c.len, n);
	model_logits(m, hidden, n, logits);
	kv_cache_free(&c);
	free(hidden);
	return logits;
}

static void test_logits_match_reference(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < NMODELS; mi++) {
		struct fixture f;
		open_fixture(&f, model_names[mi], 0);
		int V = f.m->cfg.vocab;
		size_t ninputs = json_array_size(json_object_get(f.ref, "inputs"));
		assert_true(ninputs >= 2);
		for (size_t k = 0; k < ninputs; k++) {
			int n;
			char name[32];
			int32_t *ids = input_ids(&f, (int)k, &n);
			float *got = full_logits(f.m, ids, n), want;
			const struct st_tensor *t;
			double worst = 0;
			int wt = 0, wv = 0;
			snprintf(name, sizeof(name), "logits.%zu", k);
			t = safetensors_find(&f.logits, name);
			assert_non_null(t);
			assert_int_equal(t->numel, (int64_t)n * V);
			for (int i = 0; i < n * V; i++) {
				st_to_f32(ST_F32, (const char *)t->data + 4 * (size_t)i, &want, 1);
				if (!(fabs(got[i] - want) <= worst)) {
					worst = isnan(got[i]) ? INFINITY : fabs(got[i] - want);
					wt = i / V;
					wv = i % V;
				}
			}
			print_message("# %s %s: max |dlogit| %.3g (tolerance %.0e)\n", model_names[mi],
				      name, worst, f.tol);
			if (!(worst <= f.tol))
				fail_msg("%s: tensor %s differs at position %d, vocab %d by %g (tolerance %g)",
					 model_names[mi], name, wt, wv, worst, f.tol);
			free(got);
			free(ids);
		}
		close_fixture(&f);
	}
}

static void test_greedy_continuation_matches(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < NMODELS; mi++) {
		struct fixture f;
		struct kv_cache c;
		int n;
		open_fixture(&f, model_names[mi], 0);
		json_t *want = json_object_get(f.ref, "greedy");
		int32_t *ids = input_ids(&f, (int)json_integer_value(json_object_get(f.ref, "greedy_prompt")), &n);
		int steps = (int)json_array_size(want);
		float *logits = xmalloc((size_t)f.m->cfg.vocab * sizeof(float));
		assert_int_equal(steps, 32);
		assert_int_equal(kv_cache_init(&c, f.m, n + steps), 0);
		assert_int_equal(model_forward(f.m, &c, ids, n, NULL, logits), 0);
		for (int s = 0; s < steps; s++) {
			int32_t tok = argmax(logits, f.m->cfg.vocab);
			int32_t exp = (int32_t)json_integer_value(json_array_get(want, (size_t)s));
			if (tok != exp)
				fail_msg("%s: greedy token %d (position %d) is %d, reference says %d",
					 model_names[mi], s, n + s, tok, exp);
			assert_int_equal(model_forward(f.m, &c, &tok, 1, NULL, logits), 0);
		}
		assert_int_equal(c.len, n + steps);
		kv_cache_free(&c);
		free(logits);
		free(ids);
		close_fixture(&f);
	}
}

static void test_cross_entropy_matches(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < NMODELS; mi++) {
		struct fixture f;
		int n;
		double nll = 0, want;
		open_fixture(&f, model_names[mi], 0);
		int32_t *ids = input_ids(&f, 0, &n);
		float *logits = full_logits(f.m, ids, n);
		for (int t = 0; t + 1 < n; t++)
			nll += token_nll(logits + (size_t)t * f.m->cfg.vocab, f.m->cfg.vocab, ids[t + 1]);
		want = json_real_value(json_object_get(f.ref, "nll_input0"));
		if (!(fabs(nll - want) <= f.tol * (n - 1)))
			fail_msg("%s: summed cross-entropy %.6f, reference %.6f", model_names[mi], nll, want);
		free(logits);
		free(ids);
		close_fixture(&f);
	}
}

/* Decoding in pieces (1, 3, 1, 5, ... tokens) through the cache gives the
 * logits of one full pass, on both the few-token and the blocked paths. */
static void test_kv_cache_equals_recompute(void **state)
{
	static const int pieces[] = { 5, 1, 3, 1, 1, 6, 2, 5 };
	(void)state;
	for (size_t mi = 0; mi < NMODELS; mi++) {
		struct fixture f;
		struct kv_cache c;
		int n, pos = 0, V;
		open_fixture(&f, model_names[mi], 0);
		/* dynamic NTK scaling rescales rope as the sequence grows, so by design
		 * (as in transformers) cached keys keep their older rotation; compare
		 * the sliding-window model with plain rope instead */
		if (f.m->cfg.rope == ROPE_DYNAMIC)
			f.m->cfg.rope = ROPE_DEFAULT;
		V = f.m->cfg.vocab;
		int32_t *ids = input_ids(&f, 0, &n);
		float *full = full_logits(f.m, ids, n);
		float *hidden = xmalloc((size_t)n * f.m->cfg.hidden * sizeof(float));
		float *part = xmalloc((size_t)n * V * sizeof(float));
		assert_int_equal(kv_cache_init(&c, f.m, n), 0);
		for (size_t p = 0; pos < n; p = (p + 1) % (sizeof(pieces) / sizeof(pieces[0]))) {
			int k = pieces[p] < n - pos ? pieces[p] : n - pos;
			assert_int_equal(model_forward(f.m, &c, ids + pos, k, hidden, NULL), 0);
			model_logits(f.m, hidden, k, part + (size_t)pos * V);
			pos += k;
		}
		for (int i = 0; i < n * V; i++)
			if (!(fabs(full[i] - part[i]) <= 1e-4))
				fail_msg("%s: cached decoding differs from recomputation at position %d, "
					 "vocab %d: %g vs %g", model_names[mi], i / V, i % V, part[i], full[i]);
		/* a full cache refuses more tokens and stays as it was */
		assert_int_equal(model_forward(f.m, &c, ids, 1, NULL, NULL), -1);
		assert_int_equal(c.len, n);
		kv_cache_free(&c);
		free(full);
		free(part);
		free(hidden);
		free(ids);
		close_fixture(&f);
	}
}

/*
 * A long context: generation's attention splits the cached keys into chunks
 * shared between threads and merges their partial softmaxes. One token (and
 * two tokens) at a time after a 300-token prompt must give the logits of a
 * single full pass, also with a sliding window shorter than a chunk.
 */
static void test_long_context_decoding(void **state)
{
	enum { PROMPT = 300, N = 340 };
	(void)state;
	for (size_t mi = 0; mi < NMODELS; mi++) {
		struct fixture f;
		struct kv_cache c;
		int32_t ids[N];
		int V, pos = PROMPT;
		uint64_t x = 12345;
		open_fixture(&f, model_names[mi], 0);
		if (f.m->cfg.rope == ROPE_DYNAMIC)	/* see test_kv_cache_equals_recompute */
			f.m->cfg.rope = ROPE_DEFAULT;
		V = f.m->cfg.vocab;
		for (int i = 0; i < N; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			ids[i] = (int32_t)((x >> 33) % (uint64_t)V);
		}
		float *full = full_logits(f.m, ids, N);
		float *hidden = xmalloc((size_t)2 * f.m->cfg.hidden * sizeof(float));
		float *part = xmalloc((size_t)2 * V * sizeof(float));
		assert_int_equal(kv_cache_init(&c, f.m, N), 0);
		assert_int_equal(model_forward(f.m, &c, ids, PROMPT, NULL, NULL), 0);
		while (pos < N) {
			int k = pos % 3 == 0 && pos + 2 <= N ? 2 : 1;
			assert_int_equal(model_forward(f.m, &c, ids + pos, k, hidden, NULL), 0);
			model_logits(f.m, hidden, k, part);
			for (int i = 0; i < k * V; i++)
				if (!(fabs(full[(size_t)pos * V + i] - part[i]) <= 1e-4))
					fail_msg("%s: decoding at position %d differs from one pass: "
						 "%g vs %g", model_names[mi], pos + i / V, part[i],
						 full[(size_t)pos * V + i]);
			pos += k;
		}
		kv_cache_free(&c);
		free(full);
		free(part);
		free(hidden);
		close_fixture(&f);
	}
}

static void test_bad_token_refused(void **state)
{
	struct fixture f;
	struct kv_cache c;
	int32_t bad[2] = { 3, 100000 };
	(void)state;
	open_fixture(&f, "llama_gqa", 0);
	assert_int_equal(kv_cache_init(&c, f.m, 8), 0);
	assert_int_equal(model_forward(f.m, &c, bad, 2, NULL, NULL), -1);
	assert_int_equal(c.len, 0);
	kv_cache_free(&c);
	close_fixture(&f);
}

static int write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

static void test_config_parsing(void **state)
{
	char path[64];
	struct model_config c;
	float inv[8];
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-config-%ld.json", (long)getpid());

	write_file(path, "{\"model_type\":\"gpt2\",\"hidden_size\":8}");
	assert_int_equal(model_config_load(path, &c), -1);

	/* null kv heads mean = heads; head_dim from hidden / heads; newer rope_parameters */
	write_file(path, "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":null,"
			 "\"vocab_size\":100,\"rope_parameters\":{\"rope_type\":\"linear\",\"factor\":4,"
			 "\"rope_theta\":1000},\"eos_token_id\":[7,9],\"attention_bias\":true}");
	assert_int_equal(model_config_load(path, &c), 0);
	assert_int_equal(c.kv_heads, 4);
	assert_int_equal(c.head_dim, 16);
	assert_int_equal(c.rope, ROPE_LINEAR);
	assert_true(c.rope_theta == 1000 && c.rope_factor == 4);
	assert_int_equal(c.n_eos, 2);
	assert_int_equal(c.eos_ids[1], 9);
	assert_true(c.qkv_bias && c.o_bias && !c.mlp_bias && !c.tie_embeddings);
	assert_int_equal(c.max_position, 2048);
	rope_inv_freq(&c, 10, inv);
	assert_true(fabsf(inv[0] - 0.25f) < 1e-7f);	/* 1 / 1000^0 / 4 */
	assert_true(fabsf(inv[1] - (float)(pow(1000, -2.0 / 16) / 4)) < 1e-7f);

	/* qwen2 always has q/k/v biases, never o or MLP biases; mistral's window defaults to 4096 */
	write_file(path, "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
			 "\"vocab_size\":100,\"head_dim\":32}");
	assert_int_equal(model_config_load(path, &c), 0);
	assert_true(c.qkv_bias && !c.o_bias && !c.mlp_bias && c.sliding_window == 0);
	assert_int_equal(c.head_dim, 32);
	write_file(path, "{\"model_type\":\"mistral\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100}");
	assert_int_equal(model_config_load(path, &c), 0);
	assert_int_equal(c.sliding_window, 4096);

	/* bad values are refused */
	write_file(path, "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":5,\"vocab_size\":100}");
	assert_int_equal(model_config_load(path, &c), -1);
	write_file(path, "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":3,"
			 "\"vocab_size\":100}");
	assert_int_equal(model_config_load(path, &c), -1);
	write_file(path, "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,"
			 "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,"
			 "\"rope_scaling\":{\"type\":\"yarn\",\"factor\":2}}");
	assert_int_equal(model_config_load(path, &c), -1);
	write_file(path, "{\"model_type\":\"llama\",\"hidden_size\":\"big\"}");
	assert_int_equal(model_config_load(path, &c), -1);
	unlink(path);
}

static void test_config_round_trip(void **state)
{
	char path[64];
	struct model_config a, b;
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-config-rt-%ld.json", (long)getpid());
	assert_int_equal(model_config_load("tests/fixtures/models/llama_gqa", &a), 0);
	assert_int_equal(model_config_write(&a, path), 0);
	assert_int_equal(model_config_load(path, &b), 0);
	assert_int_equal(b.hidden, a.hidden);
	assert_int_equal(b.kv_heads, a.kv_heads);
	assert_int_equal(b.vocab, a.vocab);
	assert_true(b.rms_eps == a.rms_eps && b.rope_theta == a.rope_theta);
	assert_int_equal(b.eos_ids[0], a.eos_ids[0]);
	unlink(path);
}

static void test_sampling(void **state)
{
	float logits[5], copy[5];
	struct sampler s;
	int counts[5] = { 0 };
	(void)state;
	for (int i = 0; i < 5; i++)
		logits[i] = (float)i;	/* softmax: 0.0117 0.0317 0.0861 0.2341 0.6364 */
	sampler_init(&s, 0, 1, 0, 1);
	memcpy(copy, logits, sizeof(copy));
	assert_int_equal(sampler_next(&s, copy, 5), 4);
	sampler_release(&s);

	/* top-k 2: only tokens 3 and 4 ever come out, in about 0.269 : 0.731 */
	sampler_init(&s, 1, 1, 2, 42);
	for (int i = 0; i < 4000; i++) {
		memcpy(copy, logits, sizeof(copy));
		counts[sampler_next(&s, copy, 5)]++;
	}
	sampler_release(&s);
	assert_int_equal(counts[0] + counts[1] + counts[2], 0);
	assert_true(fabs(counts[3] / 4000.0 - 0.2689) < 0.03);

	/* top-p 0.8: the nucleus is {4, 3} (0.636 < 0.8 <= 0.870) */
	memset(counts, 0, sizeof(counts));
	sampler_init(&s, 1, 0.8, 0, 7);
	for (int i = 0; i < 4000; i++) {
		memcpy(copy, logits, sizeof(copy));
		counts[sampler_next(&s, copy, 5)]++;
	}
	sampler_release(&s);
	assert_int_equal(counts[0] + counts[1] + counts[2], 0);
	assert_true(counts[3] > 800);

	/* the same seed repeats the same draws */
	{
		struct sampler a, b;
		sampler_init(&a, 0.7, 0.95, 0, 123);
		sampler_init(&b, 0.7, 0.95, 0, 123);
		for (int i = 0; i < 50; i++) {
			float x[5], y[5];
			memcpy(x, logits, sizeof(x));
			memcpy(y, logits, sizeof(y));
			assert_int_equal(sampler_next(&a, x, 5), sampler_next(&b, y, 5));
		}
		sampler_release(&a);
		sampler_release(&b);
	}
}

/* matmul's kernels (few-token dot products, blocked sgemm) against a plain
 * double loop, on odd shapes that leave tails, for every dtype. */
/* The attention kernels against plain double loops, for head sizes that hit
 * the 64-wide register path, its remainder and the scalar tail. */
static void test_attention_kernels(void **state)
{
	static const int hds[] = { 16, 64, 80, 128, 13 };
	static const int nks[] = { 1, 3, 4, 7, 65 };
	(void)state;
	for (size_t hi = 0; hi < sizeof(hds) / sizeof(hds[0]); hi++)
		for (size_t ni = 0; ni < sizeof(nks) / sizeof(nks[0]); ni++) {
			int hd = hds[hi], nk = nks[ni];
			size_t stride = (size_t)hd * 3 + 5;	/* rows of a wider cache */
			float *q = xmalloc((size_t)hd * sizeof(float));
			float *kv = xmalloc(stride * nk * sizeof(float));
			float *s = xmalloc((size_t)nk * sizeof(float));
			float *o = xmalloc((size_t)hd * sizeof(float));
			for (int i = 0; i < hd; i++)
				q[i] = (float)((i * 29 % 17) - 8) / 8.0f;
			for (size_t i = 0; i < stride * nk; i++)
				kv[i] = (float)((int)(i * 13 % 23) - 11) / 16.0f;
			attn_scores(s, q, kv + 2, stride, nk, hd, 0.125f);
			for (int j = 0; j < nk; j++) {
				double d = 0;
				for (int i = 0; i < hd; i++)
					d += (double)q[i] * kv[2 + (size_t)j * stride + i];
				if (fabs(d * 0.125 - s[j]) > 1e-4)
					fail_msg("attn_scores hd %d nk %d key %d: %g vs %g", hd, nk, j,
						 s[j], d * 0.125);
			}
			for (int i = 0; i < hd; i++)
				o[i] = 1e9f;	/* overwritten, not added to */
			attn_mix(o, s, kv + 2, stride, nk, hd);
			for (int i = 0; i < hd; i++) {
				double d = 0;
				for (int j = 0; j < nk; j++)
					d += (double)s[j] * kv[2 + (size_t)j * stride + i];
				if (fabs(d - o[i]) > 1e-3)
					fail_msg("attn_mix hd %d nk %d dim %d: %g vs %g", hd, nk, i, o[i], d);
			}
			free(q);
			free(kv);
			free(s);
			free(o);
		}
}

static void test_matmul_kernels(void **state)
{
	static const int shapes[][2] = { { 37, 29 }, { 64, 48 }, { 5, 3 }, { 130, 77 } };
	static const enum st_dtype dtypes[] = { ST_F32, ST_BF16, ST_F16 };
	(void)state;
	for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++)
		for (size_t di = 0; di < 3; di++)
			for (int n = 1; n <= 5; n += 4) {
				int rows = shapes[si][0], cols = shapes[si][1];
				enum st_dtype dt = dtypes[di];
				unsigned char *raw = xmalloc((size_t)rows * cols * 4);
				float *wf = xmalloc((size_t)rows * cols * sizeof(float));
				float *x = xmalloc((size_t)n * cols * sizeof(float));
				float *y = xmalloc((size_t)n * rows * sizeof(float));
				float *bias = xmalloc((size_t)rows * sizeof(float));
				float *scratch = xmalloc(weight_scratch_floats() * sizeof(float));
				struct weight w = { .dtype = dt, .data = raw, .rows = rows, .cols = cols };
				for (int i = 0; i < rows * cols; i++) {
					float v = (float)((i * 37 % 101) - 50) / 64.0f;	/* exact in f16 */
					if (dt == ST_F32)
						memcpy(raw + 4 * (size_t)i, &v, 4);
					else if (dt == ST_BF16) {
						uint16_t h = f32_to_bf16(v);
						memcpy(raw + 2 * (size_t)i, &h, 2);
					} else {
						/* v = k / 64 with |k| <= 50: build the f16 bits by hand */
						int k = (i * 37 % 101) - 50;
						uint16_t h = 0;
						if (k) {
							int a = k < 0 ? -k : k, e = 0;
							while ((a >> e) > 1)
								e++;
							h = (uint16_t)((k < 0 ? 0x8000 : 0) | ((e - 6 + 15) << 10) |
								       (((a << 10) >> e) & 0x3ff));
						}
						memcpy(raw + 2 * (size_t)i, &h, 2);
					}
				}
				st_to_f32(dt, raw, wf, (size_t)rows * cols);
				for (int i = 0; i < rows * cols; i++)
					assert_true(fabsf(wf[i] - (float)((i * 37 % 101) - 50) / 64.0f) < 1e-6f);
				for (int i = 0; i < n * cols; i++)
					x[i] = (float)((i * 13 % 17) - 8) / 8.0f;
				for (int r = 0; r < rows; r++)
					bias[r] = (float)r / 100.0f;
				matmul(y, x, n, &w, bias, scratch);
				for (int t = 0; t < n; t++)
					for (int r = 0; r < rows; r++) {
						double want = bias[r];
						for (int c = 0; c < cols; c++)
							want += (double)wf[(size_t)r * cols + c] * x[(size_t)t * cols + c];
						if (fabs(y[(size_t)t * rows + r] - want) > 1e-4)
							fail_msg("matmul %s %dx%d n=%d: row %d token %d is %g, want %g",
								 st_dtype_name(dt), rows, cols, n, r, t,
								 y[(size_t)t * rows + r], want);
					}
				free(raw);
				free(wf);
				free(x);
				free(y);
				free(bias);
				free(scratch);
			}
}

struct pool_probe {
	int *hits;
	int batch;
};

static void probe_task(void *arg, int task)
{
	struct pool_probe *p = arg;
	__atomic_fetch_add(&p->hits[task], 1, __ATOMIC_RELAXED);
	if (p->batch % 7 == 0)
		usleep(1);	/* let batches overlap a worker's wake-up */
}

/* Every task of every batch runs exactly once, and only in its own batch. */
static void test_parallel_for_runs_each_task_once(void **state)
{
	int hits[300];
	(void)state;
	for (int b = 0; b < 3000; b++) {
		struct pool_probe p = { hits, b };
		int n = 1 + (b * 37) % 300;
		memset(hits, 0, sizeof(hits));
		parallel_for(n, probe_task, &p);
		for (int t = 0; t < 300; t++)
			if (hits[t] != (t < n))
				fail_msg("batch %d of %d tasks: task %d ran %d times", b, n, t, hits[t]);
	}
}

static void test_memory_check(void **state)
{
	char path[64], dir[600];
	(void)state;
	snprintf(path, sizeof(path), "/tmp/winnow-test-meminfo-%ld", (long)getpid());
	write_file(path, "MemTotal:       1000 kB\nMemAvailable:      10 kB\n");
	setenv("WINNOW_MEMINFO", path, 1);
	fixtures_dir(dir, sizeof(dir), "llama_gqa");
	assert_null(model_load(dir, 0));
	unsetenv("WINNOW_MEMINFO");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logits_match_reference),
		cmocka_unit_test(test_greedy_continuation_matches),
		cmocka_unit_test(test_cross_entropy_matches),
		cmocka_unit_test(test_kv_cache_equals_recompute),
		cmocka_unit_test(test_long_context_decoding),
		cmocka_unit_test(test_bad_token_refused),
		cmocka_unit_test(test_config_parsing),
		cmocka_unit_test(test_config_round_trip),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_matmul_kernels),
		cmocka_unit_test(test_attention_kernels),
		cmocka_unit_test(test_parallel_for_runs_each_task_once),
		cmocka_unit_test(test_memory_check),
	};
	return RUN_TESTS(tests);
}
