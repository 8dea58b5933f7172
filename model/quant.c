/*
 * quant.c - NF4, Q8_0 and Q4_0 blocks: quantising a row, and turning rows
 * back into f32 inside the matrix products (ops.c converts a few rows at a
 * time into its scratch buffer, so no full-size f32 copy of a quantised
 * weight ever exists). AVX-512 kernels where the CPU has them (NF4's 16
 * code values fit one register, looked up with a permute), else scalar
 * loops computing the same products to the bit.
 *
 * The rounding rules are the reference implementations': bitsandbytes
 * scales a block by 1/absmax, clamps to [-1, 1] and picks the code whose
 * midpoint interval holds the value (a value on a midpoint goes to the
 * lower code, as torch.bucketize does); llama.cpp's Q8_0 rounds x/d half
 * away from zero, Q4_0 truncates x/d + 8.5 with d = (value of largest
 * magnitude) / -8.
 */
#include "quant.h"
#include "safetensors.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

const float nf4_code[16] = {
	-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
	-0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
	0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
	0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

int quant_parse(const char *s, enum quant_type *t)
{
	if (!strcmp(s, "nf4"))
		*t = QUANT_NF4;
	else if (!strcmp(s, "q8") || !strcmp(s, "q8_0"))
		*t = QUANT_Q8_0;
	else if (!strcmp(s, "q4") || !strcmp(s, "q4_0"))
		*t = QUANT_Q4_0;
	else if (!strcmp(s, "none"))
		*t = QUANT_NONE;
	else
		return -1;
	return 0;
}

const char *quant_name(enum quant_type t)
{
	switch (t) {
	case QUANT_NF4: return "nf4";
	case QUANT_Q8_0: return "q8";
	case QUANT_Q4_0: return "q4";
	default: return "none";
	}
}

int quant_block_values(enum quant_type t)
{
	return t == QUANT_NF4 ? 64 : 32;
}

size_t quant_block_bytes(enum quant_type t)
{
	switch (t) {
	case QUANT_NF4: return 4 + 32;
	case QUANT_Q8_0: return 2 + 32;
	case QUANT_Q4_0: return 2 + 16;
	default: return 0;
	}
}

size_t quant_row_bytes(enum quant_type t, int cols)
{
	return (size_t)(cols / quant_block_values(t)) * quant_block_bytes(t);
}

/* ---- quantising (scalar: done once per weight, then cached) ---- */

static void quant_block_nf4(const float *x, unsigned char *dst)
{
	float amax = 0, inv, mid[15];
	unsigned char q[64];
	for (int i = 0; i < 15; i++)
		mid[i] = (nf4_code[i] + nf4_code[i + 1]) / 2.0f;
	for (int j = 0; j < 64; j++)
		if (fabsf(x[j]) > amax)
			amax = fabsf(x[j]);
	inv = 1.0f / (amax > 1e-38f ? amax : 1e-38f);
	for (int j = 0; j < 64; j++) {
		float s = x[j] * inv;
		int k = 0;
		s = s < -1.0f ? -1.0f : s > 1.0f ? 1.0f : s;
		while (k < 15 && s > mid[k])
			k++;
		q[j] = (unsigned char)k;
	}
	memcpy(dst, &amax, 4);
	for (int j = 0; j < 32; j++)
		dst[4 + j] = (unsigned char)(q[2 * j] << 4 | q[2 * j + 1]);
}

static void quant_block_q8(const float *x, unsigned char *dst)
{
	float amax = 0, d, id;
	uint16_t h;
	for (int j = 0; j < 32; j++)
		if (fabsf(x[j]) > amax)
			amax = fabsf(x[j]);
	d = amax / 127.0f;
	id = d != 0 ? 1.0f / d : 0.0f;
	h = f32_to_f16(d);
	memcpy(dst, &h, 2);
	for (int j = 0; j < 32; j++)
		dst[2 + j] = (unsigned char)(int8_t)roundf(x[j] * id);
}

static void quant_block_q4(const float *x, unsigned char *dst)
{
	float amax = 0, max = 0, d, id;
	uint16_t h;
	for (int j = 0; j < 32; j++)
		if (fabsf(x[j]) > amax) {
			amax = fabsf(x[j]);
			max = x[j];
		}
	d = max / -8.0f;
	id = d != 0 ? 1.0f / d : 0.0f;
	h = f32_to_f16(d);
	memcpy(dst, &h, 2);
	for (int j = 0; j < 16; j++) {
		int a = (int8_t)(x[j] * id + 8.5f), b = (int8_t)(x[16 + j] * id + 8.5f);
		a = a < 15 ? a : 15;
		b = b < 15 ? b : 15;
		dst[2 + j] = (unsigned char)(a | b << 4);
	}
}

void quant_row(enum quant_type t, const float *x, void *dst, int cols)
{
	int bv = quant_block_values(t);
	size_t bb = quant_block_bytes(t);
	unsigned char *out = dst;
	for (int i = 0; i < cols / bv; i++, out += bb, x += bv) {
		if (t == QUANT_NF4)
			quant_block_nf4(x, out);
		else if (t == QUANT_Q8_0)
			quant_block_q8(x, out);
		else
			quant_block_q4(x, out);
	}
}

/* ---- dequantising ---- */

void dequant_row_scalar(enum quant_type t, const void *src, float *y, int cols)
{
	const unsigned char *p = src;
	int bv = quant_block_values(t);
	size_t bb = quant_block_bytes(t);
	for (int i = 0; i < cols / bv; i++, p += bb, y += bv) {
		float s;
		uint16_t h;
		if (t == QUANT_NF4) {
			memcpy(&s, p, 4);
			for (int j = 0; j < 32; j++) {
				y[2 * j] = nf4_code[p[4 + j] >> 4] * s;
				y[2 * j + 1] = nf4_code[p[4 + j] & 15] * s;
			}
			continue;
		}
		memcpy(&h, p, 2);
		s = f16_to_f32(h);
		if (t == QUANT_Q8_0) {
			for (int j = 0; j < 32; j++)
				y[j] = (float)(int8_t)p[2 + j] * s;
		} else {
			for (int j = 0; j < 16; j++) {
				y[j] = (float)((p[2 + j] & 15) - 8) * s;
				y[j + 16] = (float)((p[2 + j] >> 4) - 8) * s;
			}
		}
	}
}

#if defined(__x86_64__)
static int have_avx512(void)
{
	static int cached = -1;
	if (cached < 0) {
		__builtin_cpu_init();
		cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
	}
	return cached;
}

/* Sixteen 4-bit indices (a 128-bit register of bytes) as floats from table, times s. */
__attribute__((target("avx512f,avx512bw")))
static inline __m512 lookup16(__m128i idx, __m512 table, __m512 s)
{
	return _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(idx), table), s);
}

__attribute__((target("avx512f,avx512bw")))
static void dequant_avx512(enum quant_type t, const unsigned char *p, float *y, int cols)
{
	const __m128i low = _mm_set1_epi8(15);
	const __m512 code = _mm512_loadu_ps(nf4_code);
	int bv = quant_block_values(t);
	size_t bb = quant_block_bytes(t);
	for (int i = 0; i < cols / bv; i++, p += bb, y += bv) {
		if (t == QUANT_NF4) {
			float am;
			memcpy(&am, p, 4);
			__m512 s = _mm512_set1_ps(am);
			for (int half = 0; half < 2; half++) {
				__m128i b = _mm_loadu_si128((const __m128i *)(p + 4 + 16 * half));
				__m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), low);
				__m128i lo = _mm_and_si128(b, low);
				_mm512_storeu_ps(y + 32 * half, lookup16(_mm_unpacklo_epi8(hi, lo), code, s));
				_mm512_storeu_ps(y + 32 * half + 16,
						 lookup16(_mm_unpackhi_epi8(hi, lo), code, s));
			}
			continue;
		}
		uint16_t h;
		memcpy(&h, p, 2);
		__m512 s = _mm512_set1_ps(f16_to_f32(h));
		if (t == QUANT_Q8_0) {
			for (int k = 0; k < 2; k++) {
				__m128i b = _mm_loadu_si128((const __m128i *)(p + 2 + 16 * k));
				__m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b));
				_mm512_storeu_ps(y + 16 * k, _mm512_mul_ps(v, s));
			}
		} else {
			__m128i b = _mm_loadu_si128((const __m128i *)(p + 2));
			__m512i eight = _mm512_set1_epi32(8);
			__m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(b, low));
			__m512i hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(b, 4), low));
			_mm512_storeu_ps(y, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(lo, eight)), s));
			_mm512_storeu_ps(y + 16,
					 _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(hi, eight)), s));
		}
	}
}
#endif

void dequant_row(enum quant_type t, const void *src, float *y, int cols)
{
#if defined(__x86_64__)
	if (have_avx512()) {
		dequant_avx512(t, src, y, cols);
		return;
	}
#endif
	dequant_row_scalar(t, src, y, cols);
}

void dequant_dot_rows(enum quant_type t, const void *data, int cols, const float *x, float *y,
		      int r0, int r1)
{
	size_t rb = quant_row_bytes(t, cols), bb = quant_block_bytes(t);
	int bv = quant_block_values(t);
	float buf[256];
	for (int r = r0; r < r1; r++) {
		const unsigned char *row = (const unsigned char *)data + (size_t)r * rb;
		float acc[8] = { 0 };
		for (int i = 0; i < cols; i += 256) {
			int m = cols - i < 256 ? cols - i : 256;
			dequant_row(t, row + (size_t)(i / bv) * bb, buf, m);
			for (int j = 0; j + 8 <= m; j += 8)	/* eight lanes the compiler vectorises */
				for (int k = 0; k < 8; k++)
					acc[k] += buf[j + k] * x[i + j + k];
		}
		y[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	}
}
