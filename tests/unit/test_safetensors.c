/*
 * test_safetensors.c - the safetensors reader and writer: round trips in
 * F32/BF16/F16, the writer's padded header and metadata, sharded folders,
 * and every kind of broken file refused at open time.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../model/safetensors.h"

static char path[96];

static void temp_path(void)
{
	snprintf(path, sizeof(path), "/tmp/winnow-test-st-%ld.safetensors", (long)getpid());
}

/* Writes an 8-byte length, header text and n data bytes. */
static void write_raw(const char *header, size_t data_bytes)
{
	FILE *fp = fopen(path, "wb");
	uint64_t n = strlen(header);
	assert_non_null(fp);
	fwrite(&n, 8, 1, fp);
	fwrite(header, 1, n, fp);
	for (size_t i = 0; i < data_bytes; i++)
		fputc(0, fp);
	fclose(fp);
}

static int open_fails(void)
{
	struct safetensors st;
	int rc = safetensors_open(&st, path);
	if (!rc)
		safetensors_close(&st);
	return rc == -1;
}

static void test_conversions(void **state)
{
	(void)state;
	assert_int_equal(f32_to_bf16(1.0f), 0x3f80);
	assert_int_equal(f32_to_bf16(-2.0f), 0xc000);
	/* ties go to even: 1 + 2^-8 sits halfway between 0x3f80 and 0x3f81 */
	assert_int_equal(f32_to_bf16(1.00390625f), 0x3f80);
	assert_int_equal(f32_to_bf16(1.01171875f), 0x3f82);	/* halfway 0x3f81/0x3f82 */
	assert_int_equal(f32_to_bf16(NAN), 0x7fc0);
	assert_true(bf16_to_f32(0x3f80) == 1.0f);
	assert_true(bf16_to_f32(0xc0490000 >> 16) == -3.140625f);
	assert_true(f16_to_f32(0x3c00) == 1.0f);
	assert_true(f16_to_f32(0xc000) == -2.0f);
	assert_true(f16_to_f32(0x0001) == ldexpf(1, -24));
	assert_true(f16_to_f32(0x7bff) == 65504.0f);
	assert_true(isinf(f16_to_f32(0x7c00)));
	assert_true(f16_to_f32(0x3555) == 0.333251953125f);
}

static void test_round_trip(void **state)
{
	float a[6] = { 1, -2, 3.5f, 0.25f, -0.125f, 1e-3f };
	uint16_t b[4] = { 0x3f80, 0x4000, 0xbf80, 0x0000 };
	uint16_t h[2] = { 0x3c00, 0xc000 };
	struct st_write_tensor t[3] = {
		{ "a.weight", ST_F32, 2, { 2, 3 }, a },
		{ "b", ST_BF16, 1, { 4 }, b },
		{ "c", ST_F16, 3, { 1, 2, 1 }, h },
	};
	struct safetensors st;
	const struct st_tensor *x;
	float f[6];
	uint64_t hlen;
	FILE *fp;
	char head[512];
	(void)state;
	temp_path();
	assert_int_equal(safetensors_write(path, t, 3), 0);

	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(&hlen, 8, 1, fp), 1);
	assert_int_equal(hlen % 8, 0);
	assert_true(hlen < sizeof(head));
	assert_int_equal(fread(head, 1, hlen, fp), hlen);
	head[hlen] = 0;
	fclose(fp);
	assert_non_null(strstr(head, "\"__metadata__\":{\"format\":\"pt\"}"));

	assert_int_equal(safetensors_open(&st, path), 0);
	assert_int_equal(st.n, 3);
	x = safetensors_find(&st, "a.weight");
	assert_non_null(x);
	assert_int_equal(x->dtype, ST_F32);
	assert_int_equal(x->ndim, 2);
	assert_int_equal(x->shape[1], 3);
	st_to_f32(x->dtype, x->data, f, 6);
	assert_memory_equal(f, a, sizeof(a));
	x = safetensors_find(&st, "b");
	st_to_f32(x->dtype, x->data, f, 4);
	assert_true(f[0] == 1 && f[1] == 2 && f[2] == -1 && f[3] == 0);
	x = safetensors_find(&st, "c");
	assert_int_equal(x->numel, 2);
	st_to_f32(x->dtype, x->data, f, 2);
	assert_true(f[0] == 1 && f[1] == -2);
	assert_null(safetensors_find(&st, "d"));
	safetensors_close(&st);
	unlink(path);
}

static void test_broken_files_refused(void **state)
{
	(void)state;
	temp_path();
	/* the good case, so the failures below are about what they change */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
	assert_false(open_fails());
	/* truncated data */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 5);
	assert_true(open_fails());
	/* size is not dtype x shape */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
	assert_true(open_fails());
	/* a gap between tensors */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
	assert_true(open_fails());
	/* overlapping tensors */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
	assert_true(open_fails());
	/* trailing bytes nobody owns */
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12);
	assert_true(open_fails());
	/* unsupported dtype, bad JSON, missing fields, negative shape */
	write_raw("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
	assert_true(open_fails());
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],", 8);
	assert_true(open_fails());
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
	assert_true(open_fails());
	write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
	assert_true(open_fails());
	/* header length beyond the file, and a file shorter than 8 bytes */
	{
		FILE *fp = fopen(path, "wb");
		uint64_t n = 1000;
		fwrite(&n, 8, 1, fp);
		fputs("{}", fp);
		fclose(fp);
		assert_true(open_fails());
		fp = fopen(path, "wb");
		fputs("abc", fp);
		fclose(fp);
		assert_true(open_fails());
	}
	unlink(path);
	/* a folder without weights */
	{
		struct safetensors st;
		assert_int_equal(safetensors_open(&st, "/tmp"), -1);
	}
}

static void test_sharded_fixture(void **state)
{
	struct safetensors st;
	const struct st_tensor *a, *b;
	(void)state;
	assert_int_equal(safetensors_open(&st, "tests/fixtures/models/qwen2_bf16_sharded"), 0);
	assert_int_equal(st.nfiles, 2);
	a = safetensors_find(&st, "model.embed_tokens.weight");
	b = safetensors_find(&st, "lm_head.weight");
	assert_non_null(a);
	assert_non_null(b);
	assert_int_not_equal(a->file, b->file);
	assert_int_equal(a->dtype, ST_BF16);
	safetensors_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_broken_files_refused),
		cmocka_unit_test(test_sharded_fixture),
	};
	return RUN_TESTS(tests);
}
