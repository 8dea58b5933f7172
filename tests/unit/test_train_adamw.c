/*
 * test_train_adamw.c - 20 AdamW steps of LoRA training (two micro-batches
 * accumulated per step, gradient clipping, weight decay, cosine schedule
 * with warmup) against PyTorch's torch.optim.AdamW + LambdaLR run by
 * tests/make_lora_reference.py: every step's loss and the final A/B
 * within 1e-4. Also the schedules' values and gradient clipping.
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"
#include "../../model/lora.h"
#include "../../train/train.h"
#include "train_fixture.h"

static const float *tensor(struct safetensors *st, const char *name)
{
	const struct st_tensor *t = safetensors_find(st, name);
	if (!t)
		fail_msg("reference tensor '%s' is missing", name);
	return t->data;
}

static void test_adamw_20_steps(void **state)
{
	const char *root = getenv("WINNOW_FIXTURES") ? getenv("WINNOW_FIXTURES") : "tests/fixtures";
	char path[512];
	json_error_t jerr;
	json_t *info, *adam, *losses, *micro;
	struct safetensors st;
	struct model *m;
	struct train_model tm;
	struct lora_config lc = { 0 };
	struct adamw opt;
	struct train_batch b[2] = { { 0 }, { 0 } };
	long steps, warmup, total_targets;
	double lr, wd, clip, maxdiff = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/lora/llama_gqa/reference.json", root);
	info = json_load_file(path, 0, &jerr);
	assert_non_null(info);
	snprintf(path, sizeof(path), "%s/lora/llama_gqa/reference.safetensors", root);
	assert_int_equal(safetensors_open(&st, path), 0);
	adam = json_object_get(info, "adam");
	steps = (long)json_integer_value(json_object_get(adam, "steps"));
	warmup = (long)json_integer_value(json_object_get(adam, "warmup"));
	lr = json_number_value(json_object_get(adam, "lr"));
	wd = json_number_value(json_object_get(adam, "weight_decay"));
	clip = json_number_value(json_object_get(adam, "max_grad_norm"));
	losses = json_object_get(adam, "losses");
	micro = json_object_get(adam, "micro");
	total_targets = (long)json_integer_value(json_object_get(adam, "targets"));
	assert_int_equal(steps, 20);

	snprintf(path, sizeof(path), "%s/models/llama_gqa", root);
	m = model_load(path, 64);
	assert_non_null(m);
	lc.rank = (int)json_integer_value(json_object_get(info, "rank"));
	lc.alpha = json_number_value(json_object_get(info, "alpha"));
	lc.targets = LORA_ALL_TARGETS;
	assert_int_equal(train_model_init(&tm, m, 0, &lc, 1), 0);
	for (int l = 0; l < m->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			struct lora_pair *p = &tm.lora.pairs[l * LORA_MODULES + k];
			char name[128];
			snprintf(name, sizeof(name), "adam_init.%d.%s.A", l, lora_module_names[k]);
			memcpy(p->a, tensor(&st, name), (size_t)lc.rank * p->in * sizeof(float));
			snprintf(name, sizeof(name), "adam_init.%d.%s.B", l, lora_module_names[k]);
			memcpy(p->b, tensor(&st, name), (size_t)lc.rank * p->out * sizeof(float));
		}
	for (int i = 0; i < 2; i++)
		add_examples(&b[i], json_array_get(micro, (size_t)i));
	assert_int_equal(b[0].ntargets + b[1].ntargets, total_targets);

	adamw_init(&opt, tm.nparams, lr, wd);
	for (long step = 0; step < steps; step++) {
		double nll = 0, want = json_number_value(json_array_get(losses, (size_t)step));
		memset(tm.grads, 0, tm.nparams * sizeof(float));
		for (int i = 0; i < 2; i++)
			nll += train_forward_backward(&tm, &b[i], 1, (uint64_t)step,
						      1.0f / (float)total_targets);
		nll /= (double)total_targets;
		if (!(fabs(nll - want) <= 1e-4 * fabs(want) + 1e-6))
			fail_msg("step %ld: loss %.8f, reference %.8f", step, nll, want);
		clip_grad_norm(tm.grads, tm.nparams, clip);
		adamw_step(&opt, tm.params, tm.grads, tm.groups, tm.ngroups,
			   lr_at(SCHEDULE_COSINE, lr, step, warmup, steps));
	}
	for (int l = 0; l < m->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			struct lora_pair *p = &tm.lora.pairs[l * LORA_MODULES + k];
			for (int ab = 0; ab < 2; ab++) {
				char name[128];
				size_t n = (size_t)lc.rank * (ab ? p->out : p->in);
				const float *want, *got = ab ? p->b : p->a;
				snprintf(name, sizeof(name), "adam_final.%d.%s.%c", l, lora_module_names[k],
					 ab ? 'B' : 'A');
				want = tensor(&st, name);
				for (size_t j = 0; j < n; j++) {
					double d = fabs((double)got[j] - want[j]);
					if (!(d <= maxdiff))
						maxdiff = d;
				}
				if (!(maxdiff <= 1e-4))
					fail_msg("%s differs from PyTorch by %.3g after %ld steps", name, maxdiff,
						 steps);
			}
		}
	/* the weights moved: the comparison is not of two untouched copies */
	{
		const float *b0 = tensor(&st, "adam_final.0.q_proj.B");
		double mx = 0;
		for (int j = 0; j < 16; j++)
			mx = fmax(mx, fabs(b0[j]));
		assert_true(mx > 1e-3);
	}
	adamw_free(&opt);
	train_batch_release(&b[0]);
	train_batch_release(&b[1]);
	train_model_free(&tm);
	model_free(m);
	safetensors_close(&st);
	json_decref(info);
}

static void test_schedules(void **state)
{
	(void)state;
	/* transformers: warmup is linear from 0; cosine reaches 0 at total */
	assert_true(lr_at(SCHEDULE_COSINE, 1.0, 0, 10, 110) == 0.0);
	assert_true(fabs(lr_at(SCHEDULE_COSINE, 1.0, 5, 10, 110) - 0.5) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_COSINE, 1.0, 10, 10, 110) - 1.0) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_COSINE, 1.0, 60, 10, 110) - 0.5) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_COSINE, 1.0, 110, 10, 110)) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_LINEAR, 2.0, 60, 10, 110) - 1.0) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_LINEAR, 2.0, 110, 10, 110)) < 1e-12);
	assert_true(fabs(lr_at(SCHEDULE_CONSTANT, 2.0, 100, 10, 110) - 2.0) < 1e-12);
}

static void test_clip(void **state)
{
	float g[4] = { 3, 4, 0, 0 };
	(void)state;
	assert_true(fabs(clip_grad_norm(g, 4, 1.0) - 5.0) < 1e-9);
	assert_true(fabs(g[0] - 0.6f) < 1e-6 && fabs(g[1] - 0.8f) < 1e-6);
	assert_true(fabs(clip_grad_norm(g, 4, 10.0) - 1.0) < 1e-6);
	assert_true(fabs(g[0] - 0.6f) < 1e-6);	/* under the limit: unchanged */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adamw_20_steps),
		cmocka_unit_test(test_schedules),
		cmocka_unit_test(test_clip),
	};
	return RUN_TESTS(tests);
}
