/*
 * quant.h - block-quantised weights for the frozen base of QLoRA training,
 * eval and chat (--quant): NF4 as bitsandbytes defines it (the 16 NF4 code
 * values, blocks of 64 values, an fp32 absmax per block, the first value of
 * a pair in the high nibble) and llama.cpp's Q8_0 and Q4_0 (blocks of 32
 * along a row with an fp16 scale).
 *
 * A quantised row is a run of blocks; every row of a weight has the same
 * number of bytes, so row r starts at r * quant_row_bytes(). Rows must be a
 * whole number of blocks (cols % quant_block_values() == 0): with blocks of
 * 64 over a row-major weight of such rows, NF4's blocks are exactly those
 * bitsandbytes cuts from the flattened weight.
 *
 * Block layouts (bytes):
 *   NF4   fp32 absmax, 32 bytes of nibbles (value 2j high, 2j+1 low)   = 36 per 64
 *   Q8_0  fp16 d, 32 int8 (value = q·d)                                = 34 per 32
 *   Q4_0  fp16 d, 16 bytes (value j low nibble, j+16 high; (q-8)·d)    = 18 per 32
 */
#ifndef WINNOW_QUANT_H
#define WINNOW_QUANT_H

#include <stddef.h>
#include <stdint.h>

enum quant_type { QUANT_NONE, QUANT_NF4, QUANT_Q8_0, QUANT_Q4_0 };

/* "nf4", "q8", "q4" (and "none"); -1 after naming the bad value. */
int quant_parse(const char *s, enum quant_type *t);
const char *quant_name(enum quant_type t);

/* Values per block and bytes per block. */
int quant_block_values(enum quant_type t);
size_t quant_block_bytes(enum quant_type t);
/* Bytes of one row of cols values (cols a multiple of the block). */
size_t quant_row_bytes(enum quant_type t, int cols);

/* The 16 NF4 code values, in order. */
extern const float nf4_code[16];

/* One row of cols values (a multiple of the block) to and from blocks. */
void quant_row(enum quant_type t, const float *x, void *dst, int cols);
void dequant_row(enum quant_type t, const void *src, float *y, int cols);
/* The portable loop dequant_row uses where the CPU has no AVX-512 (the same values). */
void dequant_row_scalar(enum quant_type t, const void *src, float *y, int cols);
/* y[r] = row r · x for r in [r0, r1), rows of cols values from data (for one
 * or two tokens: chat's decoding). */
void dequant_dot_rows(enum quant_type t, const void *data, int cols, const float *x, float *y,
		      int r0, int r1);

#endif
