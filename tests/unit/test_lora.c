/*
 * test_lora.c - LoRA and full training gradients against the PyTorch
 * reference of tests/make_lora_reference.py (float64 autograd): the loss of
 * a packed batch to 1e-5 relative, every LoRA A/B gradient (and, for
 * --full, every weight's gradient) to 1e-4 relative to the tensor's largest
 * value; a finite-difference check of a few gradients; PEFT's
 * initialisation; and adapter files written and read back as PEFT lays
 * them out.
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../model/lora.h"
#include "../../model/template.h"
#include "../../train/train.h"
#include "train_fixture.h"

struct ref {
	char model_dir[512];
	json_t *info;
	struct safetensors st;
};

static void open_ref(struct ref *r, const char *name)
{
	const char *env = getenv("WINNOW_FIXTURES");
	const char *root = env ? env : "tests/fixtures";
	char path[600];
	json_error_t jerr;
	snprintf(path, sizeof(path), "%s/lora/%s/reference.json", root, name);
	r->info = json_load_file(path, 0, &jerr);
	if (!r->info)
		fail_msg("%s: %s", path, jerr.text);
	snprintf(r->model_dir, sizeof(r->model_dir), "%s/models/%s", root,
		 json_string_value(json_object_get(r->info, "model")));
	snprintf(path, sizeof(path), "%s/lora/%s/reference.safetensors", root, name);
	assert_int_equal(safetensors_open(&r->st, path), 0);
}

static void close_ref(struct ref *r)
{
	json_decref(r->info);
	safetensors_close(&r->st);
}

static const float *ref_tensor(struct ref *r, const char *name, size_t numel)
{
	const struct st_tensor *t = safetensors_find(&r->st, name);
	if (!t)
		fail_msg("reference tensor '%s' is missing", name);
	assert_int_equal(t->dtype, ST_F32);
	assert_int_equal((size_t)t->numel, numel);
	return t->data;
}

/* max |got - want| / max |want| over n values. */
static double rel_err(const float *got, const float *want, size_t n)
{
	double md = 0, mw = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= md))
			md = d;	/* NaN propagates */
		if (fabs(want[i]) > mw)
			mw = fabs(want[i]);
	}
	return mw > 0 ? md / mw : md;
}

static void lora_setup(struct ref *r, struct model **m, struct train_model *tm, const char *prefix)
{
	struct lora_config lc = { 0 };
	lc.rank = (int)json_integer_value(json_object_get(r->info, "rank"));
	lc.alpha = json_number_value(json_object_get(r->info, "alpha"));
	lc.targets = LORA_ALL_TARGETS;
	*m = model_load(r->model_dir, 64);
	assert_non_null(*m);
	assert_int_equal(train_model_init(tm, *m, 0, &lc, 7), 0);
	for (int l = 0; l < (*m)->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			struct lora_pair *p = &tm->lora.pairs[l * LORA_MODULES + k];
			char name[128];
			snprintf(name, sizeof(name), "%s.%d.%s.A", prefix, l, lora_module_names[k]);
			memcpy(p->a, ref_tensor(r, name, (size_t)lc.rank * p->in),
			       (size_t)lc.rank * p->in * sizeof(float));
			snprintf(name, sizeof(name), "%s.%d.%s.B", prefix, l, lora_module_names[k]);
			memcpy(p->b, ref_tensor(r, name, (size_t)lc.rank * p->out),
			       (size_t)lc.rank * p->out * sizeof(float));
		}
}

static void check_lora_gradients(const char *name)
{
	struct ref r;
	struct model *m;
	struct train_model tm;
	struct train_batch b = { 0 };
	double nll, want_loss, loss;
	open_ref(&r, name);
	lora_setup(&r, &m, &tm, "lora");
	add_examples(&b, json_object_get(r.info, "batch"));
	assert_int_equal(b.ntargets, json_integer_value(json_object_get(r.info, "targets")));
	nll = train_forward_backward(&tm, &b, 1, 0, 1.0f / (float)b.ntargets);
	loss = nll / (double)b.ntargets;
	want_loss = json_number_value(json_object_get(r.info, "loss"));
	if (!(fabs(loss - want_loss) <= 1e-5 * fabs(want_loss)))
		fail_msg("%s: loss %.9f, reference %.9f", name, loss, want_loss);
	for (int l = 0; l < m->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			const struct lora_pair *p = &tm.lora.pairs[l * LORA_MODULES + k];
			for (int ab = 0; ab < 2; ab++) {
				char tn[128];
				size_t numel = (size_t)tm.lora.cfg.rank * (ab ? p->out : p->in);
				const float *got = train_grad_of(&tm, ab ? p->b : p->a);
				double e;
				snprintf(tn, sizeof(tn), "grad.%d.%s.%c", l, lora_module_names[k], ab ? 'B' : 'A');
				e = rel_err(got, ref_tensor(&r, tn, numel), numel);
				if (!(e <= 1e-4))
					fail_msg("%s: %s relative error %.3g", name, tn, e);
			}
		}
	train_batch_release(&b);
	train_model_free(&tm);
	model_free(m);
	close_ref(&r);
}

static void test_lora_grad_llama_gqa(void **s) { (void)s; check_lora_gradients("llama_gqa"); }
static void test_lora_grad_qwen2_tied(void **s) { (void)s; check_lora_gradients("qwen2_tied_linear"); }
static void test_lora_grad_llama_bias(void **s) { (void)s; check_lora_gradients("llama_bias_llama3_tied"); }
static void test_lora_grad_qwen2_bf16(void **s) { (void)s; check_lora_gradients("qwen2_bf16_sharded"); }

static void check_full_gradients(const char *name)
{
	struct ref r;
	struct model *m;
	struct train_model tm;
	struct train_batch b = { 0 };
	double nll, want;
	open_ref(&r, name);
	m = model_load(r.model_dir, 64);
	assert_non_null(m);
	assert_int_equal(train_model_init(&tm, m, 1, NULL, 7), 0);
	add_examples(&b, json_object_get(r.info, "batch"));
	nll = train_forward_backward(&tm, &b, 1, 0, 1.0f / (float)b.ntargets);
	want = json_number_value(json_object_get(r.info, "loss_full"));
	if (!(fabs(nll / (double)b.ntargets - want) <= 1e-5 * fabs(want)))
		fail_msg("%s: full loss %.9f, reference %.9f", name, nll / (double)b.ntargets, want);
	assert_true(tm.ngroups > 10);
	for (size_t g = 0; g < tm.ngroups; g++) {
		char tn[200];
		double e;
		snprintf(tn, sizeof(tn), "full.%s", tm.groups[g].name);
		e = rel_err(tm.grads + tm.groups[g].offset, ref_tensor(&r, tn, tm.groups[g].numel),
			    tm.groups[g].numel);
		if (!(e <= 1e-4))
			fail_msg("%s: gradient of %s relative error %.3g", name, tm.groups[g].name, e);
	}
	train_batch_release(&b);
	train_model_free(&tm);
	model_free(m);
	close_ref(&r);
}

static void test_full_grad_qwen2_tied(void **s) { (void)s; check_full_gradients("qwen2_tied_linear"); }
static void test_full_grad_llama_bias(void **s) { (void)s; check_full_gradients("llama_bias_llama3_tied"); }

/* Central differences of the C loss itself, independent of PyTorch. */
static void test_lora_finite_differences(void **state)
{
	struct ref r;
	struct model *m;
	struct train_model tm;
	struct train_batch b = { 0 };
	const int probes[][3] = { { 0, LORA_Q, 3 }, { 1, LORA_V, 17 }, { 0, LORA_DOWN, 40 },
				  { 1, LORA_GATE, 5 }, { 1, LORA_O, 11 } };
	(void)state;
	open_ref(&r, "llama_gqa");
	lora_setup(&r, &m, &tm, "lora");
	add_examples(&b, json_object_get(r.info, "batch"));
	train_forward_backward(&tm, &b, 1, 0, 1.0f / (float)b.ntargets);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		for (int ab = 0; ab < 2; ab++) {
			struct lora_pair *p = &tm.lora.pairs[probes[i][0] * LORA_MODULES + probes[i][1]];
			float *x = (ab ? p->b : p->a) + probes[i][2];
			float g = *train_grad_of(&tm, x), h = 1e-2f, saved = *x;
			double up, down, fd;
			*x = saved + h;
			up = train_forward_backward(&tm, &b, 0, 0, 0) / (double)b.ntargets;
			*x = saved - h;
			down = train_forward_backward(&tm, &b, 0, 0, 0) / (double)b.ntargets;
			*x = saved;
			fd = (up - down) / (2.0 * h);
			if (!(fabs(fd - g) <= 2e-2 * fabs(g) + 2e-3))
				fail_msg("probe %zu %c: analytic %.6g, finite difference %.6g", i,
					 ab ? 'B' : 'A', g, fd);
		}
	train_batch_release(&b);
	train_model_free(&tm);
	model_free(m);
	close_ref(&r);
}

/* Packing two examples into one batch gives the sum of running them apart. */
static void test_packing_equals_separate(void **state)
{
	struct ref r;
	struct model *m;
	struct train_model tm;
	struct train_batch b = { 0 };
	json_t *batch, *one;
	double packed, apart = 0;
	(void)state;
	open_ref(&r, "llama_gqa");
	lora_setup(&r, &m, &tm, "lora");
	batch = json_object_get(r.info, "batch");
	add_examples(&b, batch);
	packed = train_forward_backward(&tm, &b, 0, 0, 0);
	for (size_t i = 0; i < json_array_size(batch); i++) {
		one = json_array();
		json_array_append(one, json_array_get(batch, i));
		add_examples(&b, one);
		apart += train_forward_backward(&tm, &b, 0, 0, 0);
		json_decref(one);
	}
	assert_true(fabs(packed - apart) <= 1e-4 * fabs(apart));
	train_batch_release(&b);
	train_model_free(&tm);
	model_free(m);
	close_ref(&r);
}

static void test_peft_init(void **state)
{
	struct model *m = model_load("tests/fixtures/models/llama_gqa", 64);
	struct lora_adapter a, b, c;
	struct lora_config lc = { 8, 16, 0, 0, LORA_ALL_TARGETS };
	(void)state;
	assert_non_null(m);
	lora_adapter_init(&a, &m->cfg, &lc, 42);
	lora_adapter_init(&b, &m->cfg, &lc, 42);
	lora_adapter_init(&c, &m->cfg, &lc, 43);
	assert_memory_equal(a.params, b.params, a.nparams * sizeof(float));
	assert_true(memcmp(a.params, c.params, a.nparams * sizeof(float)) != 0);
	for (int i = 0; i < a.layers * LORA_MODULES; i++) {
		const struct lora_pair *p = &a.pairs[i];
		float bound = 1.0f / sqrtf((float)p->in), mx = 0;
		double sum = 0, sq = 0;
		size_t n = (size_t)lc.rank * p->in;
		for (size_t j = 0; j < n; j++) {
			assert_true(fabsf(p->a[j]) <= bound);
			if (fabsf(p->a[j]) > mx)
				mx = fabsf(p->a[j]);
			sum += p->a[j];
			sq += (double)p->a[j] * p->a[j];
		}
		/* uniform on ±bound: variance bound²/3, and values reach near the bound */
		assert_true(fabs(sq / n - bound * bound / 3.0) < 0.15 * bound * bound / 3.0);
		assert_true(fabs(sum / n) < 0.1 * bound);
		assert_true(mx > 0.9f * bound);
		for (size_t j = 0; j < (size_t)lc.rank * p->out; j++)
			assert_true(p->b[j] == 0.0f);
	}
	assert_true(fabs(lora_scale(&lc) - 2.0) < 1e-7);
	lc.rslora = 1;
	assert_true(fabs(lora_scale(&lc) - 16.0 / sqrt(8.0)) < 1e-6);
	lora_adapter_free(&a);
	lora_adapter_free(&b);
	lora_adapter_free(&c);
	model_free(m);
}

static void test_adapter_files(void **state)
{
	struct model *m = model_load("tests/fixtures/models/qwen2_tied_linear", 64);
	struct lora_adapter a, back;
	struct lora_config lc = { 4, 8, 0.05, 0, (1u << LORA_Q) | (1u << LORA_V) | (1u << LORA_DOWN) };
	char dir[] = "/tmp/winnow-lora-XXXXXX", path[256];
	json_t *cfg;
	json_error_t jerr;
	struct safetensors st;
	const struct st_tensor *t;
	(void)state;
	assert_non_null(m);
	assert_non_null(mkdtemp(dir));
	lora_adapter_init(&a, &m->cfg, &lc, 1);
	for (size_t i = 0; i < a.nparams; i++)
		a.params[i] = (float)i * 1e-3f;
	assert_int_equal(lora_save(&a, dir, "models/base"), 0);

	snprintf(path, sizeof(path), "%s/adapter_config.json", dir);
	cfg = json_load_file(path, 0, &jerr);
	assert_non_null(cfg);
	assert_string_equal(json_string_value(json_object_get(cfg, "peft_type")), "LORA");
	assert_string_equal(json_string_value(json_object_get(cfg, "task_type")), "CAUSAL_LM");
	assert_string_equal(json_string_value(json_object_get(cfg, "base_model_name_or_path")),
			    "models/base");
	assert_int_equal(json_integer_value(json_object_get(cfg, "r")), 4);
	assert_int_equal(json_integer_value(json_object_get(cfg, "lora_alpha")), 8);
	assert_int_equal(json_array_size(json_object_get(cfg, "target_modules")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "target_modules"), 2)),
			    "down_proj");
	assert_true(json_is_false(json_object_get(cfg, "use_rslora")));
	assert_string_equal(json_string_value(json_object_get(cfg, "bias")), "none");
	json_decref(cfg);

	snprintf(path, sizeof(path), "%s/adapter_model.safetensors", dir);
	assert_int_equal(safetensors_open(&st, path), 0);
	assert_int_equal(st.n, (size_t)m->cfg.layers * 3 * 2);
	t = safetensors_find(&st, "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
	assert_non_null(t);
	assert_int_equal(t->shape[0], 4);
	assert_int_equal(t->shape[1], m->cfg.hidden);
	t = safetensors_find(&st, "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
	assert_non_null(t);
	assert_int_equal(t->shape[0], m->cfg.hidden);
	assert_int_equal(t->shape[1], 4);
	safetensors_close(&st);
	/* the header carries {"format":"pt"} as PEFT's loader expects */
	{
		FILE *fp = fopen(path, "rb");
		char head[4096] = { 0 };
		assert_non_null(fp);
		assert_true(fread(head, 1, sizeof(head) - 1, fp) > 8);
		fclose(fp);
		assert_non_null(strstr(head + 8, "\"__metadata__\":{\"format\":\"pt\"}"));
	}

	assert_int_equal(lora_load(&back, dir, &m->cfg), 0);
	assert_int_equal(back.nparams, a.nparams);
	assert_memory_equal(back.params, a.params, a.nparams * sizeof(float));
	assert_int_equal(back.cfg.targets, lc.targets);
	assert_true(fabs(back.scale - 2.0f) < 1e-7);
	lora_adapter_free(&back);
	lora_adapter_free(&a);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	model_free(m);
}

/* Logits of ids through model_forward, (n, V). */
static float *all_logits(struct model *m, const int32_t *ids, int n)
{
	struct kv_cache c;
	float *hidden = xmalloc((size_t)n * m->cfg.hidden * sizeof(float));
	float *logits = xmalloc((size_t)n * m->cfg.vocab * sizeof(float));
	assert_int_equal(kv_cache_init(&c, m, n), 0);
	assert_int_equal(model_forward(m, &c, ids, n, hidden, NULL), 0);
	model_logits(m, hidden, n, logits);
	kv_cache_free(&c);
	free(hidden);
	return logits;
}

/* merge's checkpoint = base + adapter (lora_apply, what eval/chat --adapter use) = the
 * training forward with the adapter. */
static void test_merge_equals_adapter(void **state)
{
	const char *base = "tests/fixtures/models/llama_gqa";
	char dir[] = "/tmp/winnow-merge-XXXXXX", adir[64], mdir[64], cmd[128];
	struct model *m = model_load(base, 64), *m1, *m2;
	struct lora_adapter a;
	struct lora_config lc = { 4, 8, 0, 0, LORA_ALL_TARGETS };
	struct train_model tm;
	struct train_batch b = { 0 };
	int32_t ids[20];
	float *l1, *l2;
	double nll = 0, train_nll, maxd = 0;
	uint64_t rng = 5;
	int V;
	(void)state;
	assert_non_null(m);
	assert_non_null(mkdtemp(dir));
	snprintf(adir, sizeof(adir), "%s/adapter", dir);
	snprintf(mdir, sizeof(mdir), "%s/merged", dir);
	lora_adapter_init(&a, &m->cfg, &lc, 3);
	for (int i = 0; i < a.layers * LORA_MODULES; i++)
		for (int j = 0; j < lc.rank * a.pairs[i].out; j++)
			a.pairs[i].b[j] = (rng_uniform(&rng) - 0.5f) * 0.2f;
	assert_int_equal(lora_save(&a, adir, base), 0);
	{
		char *argv[] = { "merge", "--base", (char *)base, "--adapter", adir, "--out", mdir, NULL };
		assert_int_equal(cmd_merge(7, argv), 0);
	}
	for (int i = 0; i < 20; i++)
		ids[i] = (int32_t)(rng_next(&rng) % (uint64_t)m->cfg.vocab);
	V = m->cfg.vocab;
	m1 = model_load(base, 64);
	assert_int_equal(lora_apply(m1, adir), 0);
	m2 = model_load(mdir, 64);
	assert_non_null(m2);
	l1 = all_logits(m1, ids, 20);
	l2 = all_logits(m2, ids, 20);
	for (size_t i = 0; i < (size_t)20 * V; i++)
		maxd = fmax(maxd, fabs((double)l1[i] - l2[i]));
	if (!(maxd <= 1e-4))
		fail_msg("merged model logits differ from base + adapter by %.3g", maxd);
	for (int t = 0; t + 1 < 20; t++)
		nll += token_nll(l2 + (size_t)t * V, V, ids[t + 1]);

	/* the training forward with the same adapter gives the same loss */
	assert_int_equal(train_model_init(&tm, m, 0, &lc, 1), 0);
	memcpy(tm.lora.params, a.params, a.nparams * sizeof(float));
	train_batch_add(&b, ids, ids, 20);
	train_nll = train_forward_backward(&tm, &b, 0, 0, 0);
	if (!(fabs(train_nll - nll) <= 1e-5 * fabs(nll)))
		fail_msg("training forward NLL %.8f, merged model %.8f", train_nll, nll);
	/* and the adapter changed the model: the test compares two different things */
	{
		float *l0 = all_logits(m, ids, 20);
		double d0 = 0;
		for (size_t i = 0; i < (size_t)20 * V; i++)
			d0 = fmax(d0, fabs((double)l0[i] - l2[i]));
		assert_true(d0 > 1e-2);
		free(l0);
	}
	free(l1);
	free(l2);
	train_batch_release(&b);
	train_model_free(&tm);
	lora_adapter_free(&a);
	model_free(m1);
	model_free(m2);
	model_free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A bf16 base stays bf16, each merged value the rounding of W + scale·B·A. */
static void test_merge_keeps_bf16(void **state)
{
	const char *base = "tests/fixtures/models/qwen2_bf16_sharded";
	char dir[] = "/tmp/winnow-merge-XXXXXX", adir[64], mdir[64], path[128];
	struct model *m = model_load(base, 64);
	struct lora_adapter a;
	struct lora_config lc = { 2, 4, 0, 0, 1u << LORA_V };
	struct safetensors in, out;
	const struct st_tensor *w0, *w1;
	uint64_t rng = 9;
	(void)state;
	assert_non_null(m);
	assert_non_null(mkdtemp(dir));
	snprintf(adir, sizeof(adir), "%s/adapter", dir);
	snprintf(mdir, sizeof(mdir), "%s/merged", dir);
	lora_adapter_init(&a, &m->cfg, &lc, 3);
	for (size_t j = 0; j < a.nparams; j++)
		a.params[j] = rng_uniform(&rng) - 0.5f;
	assert_int_equal(lora_save(&a, adir, base), 0);
	{
		char *argv[] = { "merge", "--base", (char *)base, "--adapter", adir, "--out", mdir, NULL };
		assert_int_equal(cmd_merge(7, argv), 0);
	}
	assert_int_equal(safetensors_open(&in, base), 0);
	snprintf(path, sizeof(path), "%s/model.safetensors", mdir);
	assert_int_equal(safetensors_open(&out, path), 0);
	assert_int_equal(out.n, in.n);
	w0 = safetensors_find(&in, "model.layers.1.self_attn.v_proj.weight");
	w1 = safetensors_find(&out, "model.layers.1.self_attn.v_proj.weight");
	assert_non_null(w0);
	assert_non_null(w1);
	assert_int_equal(w1->dtype, ST_BF16);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 3; c++) {
			const struct lora_pair *p = &a.pairs[1 * LORA_MODULES + LORA_V];
			float w, s = 0, got;
			st_to_f32(ST_BF16, (const uint16_t *)w0->data + r * p->in + c, &w, 1);
			st_to_f32(ST_BF16, (const uint16_t *)w1->data + r * p->in + c, &got, 1);
			for (int k = 0; k < lc.rank; k++)
				s += p->b[r * lc.rank + k] * p->a[k * p->in + c];
			assert_true(fabsf(got - bf16_to_f32(f32_to_bf16(w + a.scale * s))) <= 1e-6f * fabsf(got) + 1e-7f);
		}
	/* an untouched tensor is copied as it was */
	w0 = safetensors_find(&in, "model.layers.0.mlp.up_proj.weight");
	w1 = safetensors_find(&out, "model.layers.0.mlp.up_proj.weight");
	assert_memory_equal(w0->data, w1->data, w0->nbytes);
	safetensors_close(&in);
	safetensors_close(&out);
	lora_adapter_free(&a);
	model_free(m);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void test_parse_targets(void **state)
{
	unsigned t;
	(void)state;
	assert_int_equal(lora_parse_targets("q_proj,v_proj", &t), 0);
	assert_int_equal(t, (1u << LORA_Q) | (1u << LORA_V));
	assert_int_equal(lora_parse_targets("all", &t), 0);
	assert_int_equal(t, LORA_ALL_TARGETS);
	assert_int_equal(lora_parse_targets("q_proj,wq", &t), -1);
	assert_int_equal(lora_parse_targets(",", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lora_grad_llama_gqa),
		cmocka_unit_test(test_lora_grad_qwen2_tied),
		cmocka_unit_test(test_lora_grad_llama_bias),
		cmocka_unit_test(test_lora_grad_qwen2_bf16),
		cmocka_unit_test(test_full_grad_qwen2_tied),
		cmocka_unit_test(test_full_grad_llama_bias),
		cmocka_unit_test(test_lora_finite_differences),
		cmocka_unit_test(test_packing_equals_separate),
		cmocka_unit_test(test_peft_init),
		cmocka_unit_test(test_adapter_files),
		cmocka_unit_test(test_merge_equals_adapter),
		cmocka_unit_test(test_merge_keeps_bf16),
		cmocka_unit_test(test_parse_targets),
	};
	return RUN_TESTS(tests);
}
