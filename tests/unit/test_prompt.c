/*
 * test_prompt.c - adapters against PEFT: prompt-tuning and P-tuning
 * adapters written by PEFT load in winnow, and those written by winnow
 * (prompt tuning, P-tuning, a LoRA trained over an NF4 base) load in PEFT
 * over the unquantised model, giving the same logits for the same token
 * ids. The logits are PEFT's, from tests/fixtures/prompt/reference.json
 * (written by tests/make_prompt_reference.py).
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/model.h"
#include "../../model/prompt_adapter.h"
#include "../../train/train.h"

static const char *root(void)
{
	const char *env = getenv("WINNOW_FIXTURES");
	return env ? env : "tests/fixtures";
}

static void check_adapter(const char *name)
{
	char path[600], model_dir[600];
	json_error_t jerr;
	json_t *ref, *ids, *want;
	struct model *m;
	struct kv_cache cache;
	int32_t tok[64];
	int n;
	float *hidden, *logits;
	double worst = 0;

	snprintf(path, sizeof(path), "%s/prompt/reference.json", root());
	ref = json_load_file(path, 0, &jerr);
	if (!ref)
		fail_msg("%s: %s", path, jerr.text);
	snprintf(model_dir, sizeof(model_dir), "%s/models/%s", root(),
		 json_string_value(json_object_get(ref, "model")));
	ids = json_object_get(ref, "ids");
	want = json_object_get(json_object_get(ref, "adapters"), name);
	n = (int)json_array_size(ids);
	assert_true(n > 0 && n <= 64);
	for (int i = 0; i < n; i++)
		tok[i] = (int32_t)json_integer_value(json_array_get(ids, i));
	m = model_load(model_dir, 64);
	assert_non_null(m);
	snprintf(path, sizeof(path), "%s/prompt/%s", root(), name);
	assert_int_equal(adapter_apply(m, path), 0);
	assert_int_equal(json_array_size(want), (size_t)n * m->cfg.vocab);
	assert_int_equal(kv_cache_init(&cache, m, n), 0);
	hidden = malloc((size_t)n * m->cfg.hidden * sizeof(float));
	logits = malloc((size_t)n * m->cfg.vocab * sizeof(float));
	assert_int_equal(model_forward(m, &cache, tok, n, hidden, NULL), 0);
	model_logits(m, hidden, n, logits);
	for (size_t i = 0; i < (size_t)n * m->cfg.vocab; i++) {
		double w = json_number_value(json_array_get(want, i)), d = fabs(logits[i] - w);
		if (d > worst)
			worst = d;
		if (d > 1e-4 * (1 + fabs(w)))
			fail_msg("%s: logit %zu is %.7g, PEFT's %.7g", name, i, logits[i], w);
	}
	print_message("# %s: largest difference from PEFT %.2g\n", name, worst);
	free(hidden);
	free(logits);
	kv_cache_free(&cache);
	model_free(m);
	json_decref(ref);
}

static void test_peft_prompt_tuning(void **state)
{
	(void)state;
	check_adapter("peft_prompt_tuning");
}

static void test_peft_p_tuning(void **state)
{
	(void)state;
	check_adapter("peft_p_tuning");
}

static void test_winnow_prompt_tuning(void **state)
{
	(void)state;
	check_adapter("winnow_prompt_tuning");
}

static void test_winnow_p_tuning(void **state)
{
	(void)state;
	check_adapter("winnow_p_tuning");
}

static void test_winnow_qlora(void **state)
{
	(void)state;
	check_adapter("winnow_qlora_nf4");
}

/* The gradients of prompt tuning and P-tuning against central differences
 * of the loss, for parameters of the embedding and of each encoder layer. */
static void check_gradients(int method)
{
	char model_dir[600];
	struct model *m;
	struct train_model tm;
	struct train_batch b = { 0 };
	int32_t ids[2][9] = { { 5, 9, 33, 100, 7, 41, 2, 250, 12 }, { 70, 3, 3, 18, 200, 1, 0, 0, 0 } };
	int32_t labels[2][9] = { { -100, -100, 33, 100, 7, 41, 2, 250, 12 },
				 { -100, 3, 3, 18, 200, 1, 0, 0, 0 } };
	snprintf(model_dir, sizeof(model_dir), "%s/models/llama_gqa", root());
	m = model_load(model_dir, 64);
	assert_non_null(m);
	assert_int_equal(prompt_model_init(&tm, m, method, 3, 7), 0);
	train_batch_add(&b, ids[0], labels[0], 9);
	train_batch_add(&b, ids[1], labels[1], 6);
	train_forward_backward(&tm, &b, 1, 0, 1.0f);
	for (size_t g = 0; g < tm.ngroups; g++)
		for (int k = 0; k < 3; k++) {
			size_t i = tm.groups[g].offset + (size_t)(k * 7919 + 13) % tm.groups[g].numel;
			float keep = tm.params[i], eps = 2e-3f;
			double up, down, fd, an = tm.grads[i];
			tm.params[i] = keep + eps;
			up = train_forward_backward(&tm, &b, 1, 0, 0);
			tm.params[i] = keep - eps;
			down = train_forward_backward(&tm, &b, 1, 0, 0);
			tm.params[i] = keep;
			fd = (up - down) / (2.0 * eps);
			if (fabs(fd - an) > 2e-3 + 3e-2 * fabs(fd))
				fail_msg("%s[%zu]: gradient %.6g, central difference %.6g", tm.groups[g].name,
					 i - tm.groups[g].offset, an, fd);
		}
	train_batch_release(&b);
	train_model_free(&tm);
	model_free(m);
}

static void test_prompt_tuning_gradients(void **state)
{
	(void)state;
	check_gradients(PROMPT_TUNING);
}

static void test_p_tuning_gradients(void **state)
{
	(void)state;
	check_gradients(P_TUNING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peft_prompt_tuning),
		cmocka_unit_test(test_peft_p_tuning),
		cmocka_unit_test(test_winnow_prompt_tuning),
		cmocka_unit_test(test_winnow_p_tuning),
		cmocka_unit_test(test_winnow_qlora),
		cmocka_unit_test(test_prompt_tuning_gradients),
		cmocka_unit_test(test_p_tuning_gradients),
	};
	return RUN_TESTS(tests);
}
