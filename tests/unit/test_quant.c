/*
 * test_quant.c - --quant's blocks against the libraries' own: NF4 against
 * bitsandbytes' quantize_4bit / dequantize_4bit, Q8_0 and Q4_0 against
 * llama.cpp's reference quantisers (through the gguf package), from
 * tests/fixtures/quant/reference.json (written by
 * tests/make_quant_reference.py). Blocks must match byte for byte and the
 * dequantised values bit for bit, on the AVX-512 path and the scalar one.
 */
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/ops.h"
#include "../../model/quant.h"

/* train/backward.c */
void matmul_dx(float *dx, const float *dy, int n, const struct weight *w, float *scratch);

static json_t *ref;
static int rows, cols;

static void load(void)
{
	const char *env = getenv("WINNOW_FIXTURES");
	char path[600];
	json_error_t jerr;
	snprintf(path, sizeof(path), "%s/quant/reference.json", env ? env : "tests/fixtures");
	ref = json_load_file(path, 0, &jerr);
	if (!ref)
		fail_msg("%s: %s", path, jerr.text);
	rows = (int)json_integer_value(json_object_get(ref, "rows"));
	cols = (int)json_integer_value(json_object_get(ref, "cols"));
}

static float *floats(const char *key)
{
	json_t *a = json_object_get(ref, key);
	float *f = malloc(json_array_size(a) * sizeof(float));
	for (size_t i = 0; i < json_array_size(a); i++) {
		uint32_t u = (uint32_t)json_integer_value(json_array_get(a, i));
		memcpy(&f[i], &u, 4);
	}
	return f;
}

static unsigned char *bytes(const char *key, size_t *n)
{
	json_t *a = json_object_get(ref, key);
	unsigned char *b = malloc(json_array_size(a));
	for (size_t i = 0; i < json_array_size(a); i++)
		b[i] = (unsigned char)json_integer_value(json_array_get(a, i));
	*n = json_array_size(a);
	return b;
}

/* The reference blocks in winnow's layout: llama.cpp's are already; NF4's
 * absmax goes in front of each block's 32 bytes of nibbles. */
static unsigned char *want_blocks(enum quant_type t, size_t *n)
{
	size_t np, na;
	if (t == QUANT_Q8_0)
		return bytes("q8_blocks", n);
	if (t == QUANT_Q4_0)
		return bytes("q4_blocks", n);
	unsigned char *packed = bytes("nf4_packed", &np);
	float *absmax = floats("nf4_absmax");
	na = np / 32;
	unsigned char *out = malloc(na * 36);
	for (size_t b = 0; b < na; b++) {
		memcpy(out + 36 * b, &absmax[b], 4);
		memcpy(out + 36 * b + 4, packed + 32 * b, 32);
	}
	free(packed);
	free(absmax);
	*n = na * 36;
	return out;
}

static void check(enum quant_type t, const char *deq_key)
{
	size_t rb = quant_row_bytes(t, cols), nwant;
	float *w = floats("weight"), *want = floats(deq_key);
	unsigned char *blocks = malloc(rb * rows), *expect = want_blocks(t, &nwant);
	float *got = malloc((size_t)cols * sizeof(float)), y[8], x[192];

	assert_int_equal(nwant, rb * rows);
	for (int r = 0; r < rows; r++)
		quant_row(t, w + (size_t)r * cols, blocks + r * rb, cols);
	for (size_t i = 0; i < nwant; i++)
		if (blocks[i] != expect[i])
			fail_msg("%s: byte %zu of the blocks is %u, the reference's %u", quant_name(t), i,
				 blocks[i], expect[i]);
	for (int r = 0; r < rows; r++) {
		dequant_row(t, blocks + r * rb, got, cols);
		assert_memory_equal(got, want + (size_t)r * cols, (size_t)cols * sizeof(float));
		dequant_row_scalar(t, blocks + r * rb, got, cols);
		assert_memory_equal(got, want + (size_t)r * cols, (size_t)cols * sizeof(float));
	}
	for (int i = 0; i < cols; i++)
		x[i] = (float)((i * 37) % 11) / 7.0f - 0.6f;
	dequant_dot_rows(t, blocks, cols, x, y, 0, rows);
	for (int r = 0; r < rows; r++) {
		double s = 0;
		for (int i = 0; i < cols; i++)
			s += (double)want[(size_t)r * cols + i] * x[i];
		assert_true(fabs(y[r] - s) <= 1e-5 * (1 + fabs(s)));
	}
	free(w);
	free(want);
	free(blocks);
	free(expect);
	free(got);
}

static void test_nf4(void **state)
{
	(void)state;
	check(QUANT_NF4, "nf4_dequant");
}

static void test_q8(void **state)
{
	(void)state;
	check(QUANT_Q8_0, "q8_dequant");
}

static void test_q4(void **state)
{
	(void)state;
	check(QUANT_Q4_0, "q4_dequant");
}

static void test_names(void **state)
{
	enum quant_type t;
	(void)state;
	assert_int_equal(quant_parse("nf4", &t), 0);
	assert_int_equal(t, QUANT_NF4);
	assert_int_equal(quant_parse("q8", &t), 0);
	assert_int_equal(t, QUANT_Q8_0);
	assert_int_equal(quant_parse("q4", &t), 0);
	assert_int_equal(t, QUANT_Q4_0);
	assert_int_equal(quant_parse("int3", &t), -1);
	assert_int_equal(quant_row_bytes(QUANT_NF4, 128), 72);
	assert_int_equal(quant_row_bytes(QUANT_Q8_0, 64), 68);
	assert_int_equal(quant_row_bytes(QUANT_Q4_0, 64), 36);
}

/* The products over quantised weights (one token: the dot-product kernel;
 * more: blocks of rows dequantised for sgemm; the backward product; an
 * unmerged low-rank delta) against sums over the dequantised rows. */
static void test_products(void **state)
{
	enum { R = 70, C = 128, N = 5, RANK = 3 };
	static const enum quant_type types[] = { QUANT_NF4, QUANT_Q8_0, QUANT_Q4_0 };
	float *w = malloc(R * C * sizeof(float)), *deq = malloc(R * C * sizeof(float));
	float *x = malloc(N * C * sizeof(float)), *y = malloc(N * R * sizeof(float));
	float *dx = malloc(N * C * sizeof(float)), *scratch = malloc(weight_scratch_floats() * sizeof(float));
	float a[RANK * C], b[R * RANK];
	(void)state;
	for (int i = 0; i < R * C; i++)
		w[i] = sinf((float)i * 0.37f) * (1.0f + (float)(i % 7));
	for (int i = 0; i < N * C; i++)
		x[i] = cosf((float)i * 0.11f);
	for (int i = 0; i < RANK * C; i++)
		a[i] = sinf((float)i);
	for (int i = 0; i < R * RANK; i++)
		b[i] = cosf((float)i * 0.5f);
	for (size_t k = 0; k < 3; k++) {
		enum quant_type t = types[k];
		size_t rb = quant_row_bytes(t, C);
		unsigned char *q = malloc(rb * R);
		struct weight_delta d = { a, b, RANK, 0.25f };
		struct weight qw = { .data = q, .rows = R, .cols = C, .quant = t };
		for (int r = 0; r < R; r++) {
			quant_row(t, w + r * C, q + r * rb, C);
			dequant_row(t, q + r * rb, deq + r * C, C);
		}
		for (int pass = 0; pass < 3; pass++) {
			int n = pass == 0 ? 1 : N;
			qw.delta = pass == 2 ? &d : NULL;
			matmul(y, x, n, &qw, NULL, scratch);
			for (int s = 0; s < n; s++)
				for (int r = 0; r < R; r++) {
					double want = 0;
					for (int c = 0; c < C; c++)
						want += (double)deq[r * C + c] * x[s * C + c];
					if (pass == 2)
						for (int j = 0; j < RANK; j++) {
							double ax = 0;
							for (int c = 0; c < C; c++)
								ax += (double)a[j * C + c] * x[s * C + c];
							want += 0.25 * b[r * RANK + j] * ax;
						}
					if (fabs(y[s * R + r] - want) > 1e-4 * (1 + fabs(want)))
						fail_msg("%s n=%d pass %d: y[%d][%d] = %g, want %g", quant_name(t), n,
							 pass, s, r, y[s * R + r], want);
				}
		}
		memset(dx, 0, N * C * sizeof(float));
		qw.delta = NULL;
		matmul_dx(dx, y, N, &qw, scratch);
		for (int s = 0; s < N; s++)
			for (int c = 0; c < C; c++) {
				double want = 0;
				for (int r = 0; r < R; r++)
					want += (double)y[s * R + r] * deq[r * C + c];
				assert_true(fabs(dx[s * C + c] - want) <= 1e-4 * (1 + fabs(want)));
			}
		free(q);
	}
	free(w);
	free(deq);
	free(x);
	free(y);
	free(dx);
	free(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf4),
		cmocka_unit_test(test_q8),
		cmocka_unit_test(test_q4),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_products),
	};
	load();
	return RUN_TESTS(tests);
}
