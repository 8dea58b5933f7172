/*
 * test_model_batch.c - model_forward_batch (several sequences, one token
 * each, their own caches) against model_forward run on each sequence alone,
 * which test_model.c checks against PyTorch: the same logits up to
 * rounding and the same cache contents, for every fixture model (grouped
 * query attention, biases, a sliding window, tied and bf16 weights).
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"
#include "../../model/model.h"

static const char *const model_names[] = {
	"llama_gqa", "llama_bias_llama3_tied", "qwen2_tied_linear", "qwen2_bf16_sharded",
	"mistral_window_dynamic", "llama_f16",
};

#define B 3

static void test_batch_equals_one_by_one(void **state)
{
	static const int prompt_len[B] = { 7, 1, 19 };
	uint64_t rng = 12345;
	(void)state;
	for (size_t mi = 0; mi < sizeof(model_names) / sizeof(model_names[0]); mi++) {
		char dir[512];
		const char *env = getenv("WINNOW_FIXTURES");
		struct model *m;
		struct kv_cache alone[B], batched[B], *ptrs[B];
		int32_t next[B];
		float *want, *got;
		int V, kvd;
		snprintf(dir, sizeof(dir), "%s/models/%s", env ? env : "tests/fixtures", model_names[mi]);
		m = model_load(dir, 64);
		assert_non_null(m);
		if (m->cfg.rope == ROPE_DYNAMIC)	/* rope would depend on each call's length */
			m->cfg.rope = ROPE_DEFAULT;
		V = m->cfg.vocab;
		kvd = m->cfg.kv_heads * m->cfg.head_dim;
		want = xmalloc((size_t)B * V * sizeof(float));
		got = xmalloc((size_t)B * V * sizeof(float));
		for (int b = 0; b < B; b++) {
			int32_t ids[32];
			for (int i = 0; i < prompt_len[b]; i++) {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				ids[i] = (int32_t)((rng >> 33) % (uint64_t)V);
			}
			next[b] = ids[0];
			assert_int_equal(kv_cache_init(&alone[b], m, 32), 0);
			assert_int_equal(kv_cache_init(&batched[b], m, 32), 0);
			assert_int_equal(model_forward(m, &alone[b], ids, prompt_len[b], NULL, NULL), 0);
			assert_int_equal(model_forward(m, &batched[b], ids, prompt_len[b], NULL, NULL), 0);
			ptrs[b] = &batched[b];
		}
		for (int step = 0; step < 3; step++) {
			for (int b = 0; b < B; b++)
				assert_int_equal(model_forward(m, &alone[b], &next[b], 1, NULL, want + (size_t)b * V), 0);
			assert_int_equal(model_forward_batch(m, ptrs, next, B, got), 0);
			for (int i = 0; i < B * V; i++)
				if (!(fabs(want[i] - got[i]) <= 1e-4 * (1 + fabs(want[i]))))
					fail_msg("%s step %d: sequence %d logit %d: batch %g, alone %g", model_names[mi],
						 step, i / V, i % V, got[i], want[i]);
			for (int b = 0; b < B; b++) {
				assert_int_equal(batched[b].len, alone[b].len);
				for (int l = 0; l < m->cfg.layers; l++) {
					size_t at = ((size_t)l * 32 + (size_t)alone[b].len - 1) * kvd;
					for (int i = 0; i < kvd; i++)
						assert_true(fabs(batched[b].k[at + i] - alone[b].k[at + i]) <= 1e-4 &&
							    fabs(batched[b].v[at + i] - alone[b].v[at + i]) <= 1e-4);
				}
				next[b] = argmax(want + (size_t)b * V, V);
			}
		}
		/* a full cache refuses the step and leaves every cache as it was */
		batched[1].len = batched[1].cap;
		assert_int_equal(model_forward_batch(m, ptrs, next, B, got), -1);
		assert_int_equal(batched[0].len, alone[0].len);
		for (int b = 0; b < B; b++) {
			kv_cache_free(&alone[b]);
			kv_cache_free(&batched[b]);
		}
		free(want);
		free(got);
		model_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_equals_one_by_one),
	};
	return RUN_TESTS(tests);
}
