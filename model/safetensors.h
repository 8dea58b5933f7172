/*
 * safetensors.h - reading and writing .safetensors files: one file or a
 * sharded set (model.safetensors.index.json), memory-mapped, with the
 * header checked before any tensor is touched.
 *
 * Ownership: a struct safetensors owns its mappings and tensor names;
 * tensor data pointers stay valid until safetensors_close().
 */
#ifndef WINNOW_SAFETENSORS_H
#define WINNOW_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum st_dtype { ST_F32, ST_BF16, ST_F16 };

#define ST_MAX_DIMS 8

struct st_tensor {
	char *name;
	enum st_dtype dtype;
	int ndim;
	int64_t shape[ST_MAX_DIMS];
	int64_t numel;
	const void *data;	/* into the mapping; not necessarily aligned */
	size_t nbytes;
	int file;		/* index into files[] */
};

struct st_mapping {
	char *path;
	void *map;
	size_t size;
};

struct safetensors {
	struct st_mapping *files;
	int nfiles;
	struct st_tensor *tensors;
	size_t n, alloc;
};

/* Bytes per element of a dtype; its name as written in headers. */
size_t st_dtype_size(enum st_dtype t);
const char *st_dtype_name(enum st_dtype t);

/*
 * Opens dir/model.safetensors, or every shard named by
 * dir/model.safetensors.index.json, or the .safetensors file path names.
 * Tensors of other dtypes (I64, ...) are refused. Returns 0, or -1 after
 * printing an error naming the file and tensor (st is left empty).
 */
int safetensors_open(struct safetensors *st, const char *path);
void safetensors_close(struct safetensors *st);
/* The tensor called name, or NULL. */
const struct st_tensor *safetensors_find(const struct safetensors *st, const char *name);

/* bf16 / f16 bit patterns to and from f32 (round-to-nearest-even). */
static inline float bf16_to_f32(uint16_t h)
{
	union { uint32_t u; float f; } v = { (uint32_t)h << 16 };
	return v.f;
}
uint16_t f32_to_bf16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
/* Converts n elements of src (any dtype) to f32. */
void st_to_f32(enum st_dtype t, const void *src, float *dst, size_t n);

/* A tensor to write: data in dtype, numel elements. */
struct st_write_tensor {
	const char *name;
	enum st_dtype dtype;
	int ndim;
	int64_t shape[ST_MAX_DIMS];
	const void *data;
};

/*
 * Writes tensors to path (through a temporary file renamed into place), with
 * __metadata__ {"format":"pt"} and the header padded with spaces to a
 * multiple of 8 bytes. Returns 0 or -1.
 */
int safetensors_write(const char *path, const struct st_write_tensor *tensors, size_t n);

#endif
