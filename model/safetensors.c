/*
 * safetensors.c - memory-mapped .safetensors files (single or sharded) and
 * a writer. The header is validated as the reference implementation does:
 * offsets inside the file, contiguous from 0 with no gap, each tensor's
 * byte count equal to its dtype size times its element count, and the data
 * section exactly covered, so a truncated download is caught at open time
 * rather than as garbage logits.
 */
#define _POSIX_C_SOURCE 200809L
#include "safetensors.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAX ((uint64_t)100 << 20)

size_t st_dtype_size(enum st_dtype t)
{
	return t == ST_F32 ? 4 : 2;
}

const char *st_dtype_name(enum st_dtype t)
{
	return t == ST_F32 ? "F32" : t == ST_BF16 ? "BF16" : "F16";
}

uint16_t f32_to_bf16(float f)
{
	union { float f; uint32_t u; } v = { f };
	if ((v.u & 0x7fffffffu) > 0x7f800000u)
		return 0x7fc0;
	return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1)) >> 16);
}

float f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
	union { uint32_t u; float f; } v;
	if (exp == 0x1f) {
		u = sign | 0x7f800000u | (man << 13);
	} else if (exp) {
		u = sign | ((exp + 112) << 23) | (man << 13);
	} else if (!man) {
		u = sign;
	} else {	/* subnormal: normalise */
		exp = 113;
		while (!(man & 0x400)) {
			man <<= 1;
			exp--;
		}
		u = sign | (exp << 23) | ((man & 0x3ff) << 13);
	}
	v.u = u;
	return v.f;
}

void st_to_f32(enum st_dtype t, const void *src, float *dst, size_t n)
{
	const unsigned char *p = src;
	for (size_t i = 0; i < n; i++) {
		uint16_t h;
		if (t == ST_F32) {
			memcpy(dst + i, p + 4 * i, 4);
			continue;
		}
		memcpy(&h, p + 2 * i, 2);
		dst[i] = t == ST_BF16 ? bf16_to_f32(h) : f16_to_f32(h);
	}
}

static int parse_dtype(const char *s, enum st_dtype *t)
{
	if (!strcmp(s, "F32"))
		*t = ST_F32;
	else if (!strcmp(s, "BF16"))
		*t = ST_BF16;
	else if (!strcmp(s, "F16"))
		*t = ST_F16;
	else
		return -1;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct st_tensor *x = a, *y = b;
	const char *px = x->data, *py = y->data;
	return px < py ? -1 : px > py;
}

/* Parses one tensor entry of a header; data points into the data section. */
static int parse_entry(const char *file, const char *name, json_t *e, const char *data,
		       uint64_t data_size, struct st_tensor *t)
{
	json_t *dt = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape");
	json_t *off = json_object_get(e, "data_offsets"), *v;
	uint64_t begin, end, numel = 1;
	size_t i;
	if (!json_is_object(e) || !json_is_string(dt) || !json_is_array(shape) ||
	    !json_is_array(off) || json_array_size(off) != 2 ||
	    !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)))
		return error("%s: tensor '%s' has a malformed header entry (needs dtype, shape, "
			     "data_offsets); the file is corrupt", file, name);
	if (parse_dtype(json_string_value(dt), &t->dtype))
		return error("%s: tensor '%s' has dtype %s; only F32, BF16 and F16 are supported",
			     file, name, json_string_value(dt));
	if (json_array_size(shape) > ST_MAX_DIMS)
		return error("%s: tensor '%s' has %zu dimensions (at most %d)", file, name,
			     json_array_size(shape), ST_MAX_DIMS);
	t->ndim = (int)json_array_size(shape);
	json_array_foreach(shape, i, v) {
		json_int_t d = json_is_integer(v) ? json_integer_value(v) : -1;
		if (d < 0 || (d && numel > UINT64_MAX / 8 / (uint64_t)d))
			return error("%s: tensor '%s' has a bad shape", file, name);
		t->shape[i] = d;
		numel *= (uint64_t)d;
	}
	if (json_integer_value(json_array_get(off, 0)) < 0 || json_integer_value(json_array_get(off, 1)) < 0)
		return error("%s: tensor '%s' has negative data offsets", file, name);
	begin = (uint64_t)json_integer_value(json_array_get(off, 0));
	end = (uint64_t)json_integer_value(json_array_get(off, 1));
	if (end < begin)
		return error("%s: tensor '%s' ends before it begins; the file is corrupt", file, name);
	if (end - begin != numel * st_dtype_size(t->dtype))
		return error("%s: tensor '%s' is %s with %llu elements (%llu bytes) but its offsets "
			     "span %llu bytes; the file is corrupt", file, name,
			     json_string_value(dt), (unsigned long long)numel,
			     (unsigned long long)(numel * st_dtype_size(t->dtype)),
			     (unsigned long long)(end - begin));
	if (end > data_size)
		return error("%s: tensor '%s' ends at byte %llu of the data but the file holds only "
			     "%llu; the file is truncated (download it again)", file, name,
			     (unsigned long long)end, (unsigned long long)data_size);
	t->name = xstrdup(name);
	t->numel = (int64_t)numel;
	t->data = data + begin;
	t->nbytes = end - begin;
	return 0;
}

static void push_tensor(struct safetensors *st, const struct st_tensor *t)
{
	if (st->n == st->alloc) {
		st->alloc = st->alloc ? 2 * st->alloc : 64;
		st->tensors = xrealloc(st->tensors, st->alloc * sizeof(*st->tensors));
	}
	st->tensors[st->n++] = *t;
}

/* Maps one file and appends its tensors. */
static int map_file(struct safetensors *st, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	void *map;
	uint64_t hlen;
	json_t *root = NULL;
	json_error_t jerr;
	const char *key, *data;
	json_t *val;
	size_t first = st->n, fi = (size_t)st->nfiles;
	uint64_t data_size, expect = 0;
	int rc = 0;

	if (fd < 0)
		return error("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) || (uint64_t)sb.st_size < 8) {
		close(fd);
		return error("%s: the file is %s; it is truncated or not a safetensors file", path,
			     (uint64_t)sb.st_size < 8 ? "shorter than 8 bytes" : "unreadable");
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return error("cannot map '%s': %s", path, strerror(errno));
	st->files = xrealloc(st->files, (fi + 1) * sizeof(*st->files));
	st->files[fi].path = xstrdup(path);
	st->files[fi].map = map;
	st->files[fi].size = (size_t)sb.st_size;
	st->nfiles++;

	memcpy(&hlen, map, 8);	/* little-endian hosts only, like the format */
	if (hlen > HEADER_MAX || hlen > (uint64_t)sb.st_size - 8)
		return error("%s: the header claims %llu bytes but the file has %llu; it is "
			     "truncated or not a safetensors file", path, (unsigned long long)hlen,
			     (unsigned long long)sb.st_size);
	root = json_loadb((const char *)map + 8, (size_t)hlen, 0, &jerr);
	if (!root || !json_is_object(root)) {
		rc = error("%s: the header is not a JSON object (%s); the file is corrupt", path,
			   root ? "wrong type" : jerr.text);
		goto cleanup;
	}
	data = (const char *)map + 8 + hlen;
	data_size = (uint64_t)sb.st_size - 8 - hlen;
	json_object_foreach(root, key, val) {
		struct st_tensor t;
		if (!strcmp(key, "__metadata__"))
			continue;
		memset(&t, 0, sizeof(t));
		t.file = (int)fi;
		if (parse_entry(path, key, val, data, data_size, &t)) {
			rc = -1;
			goto cleanup;
		}
		push_tensor(st, &t);
	}
	/* contiguity: sorted by start, each begins where the previous ended */
	qsort(st->tensors + first, st->n - first, sizeof(*st->tensors), by_offset);
	for (size_t i = first; i < st->n; i++) {
		uint64_t b = (uint64_t)((const char *)st->tensors[i].data - data);
		if (b != expect) {
			rc = error("%s: tensor '%s' starts at byte %llu but the previous one ends at "
				   "%llu; the offsets overlap or leave a gap, so the file is corrupt",
				   path, st->tensors[i].name, (unsigned long long)b,
				   (unsigned long long)expect);
			goto cleanup;
		}
		expect = b + st->tensors[i].nbytes;
	}
	if (expect != data_size)
		rc = error("%s: the tensors cover %llu bytes but the data section has %llu; the file "
			   "is corrupt", path, (unsigned long long)expect, (unsigned long long)data_size);
cleanup:
	json_decref(root);
	return rc;
}

static int file_exists(const char *path)
{
	struct stat sb;
	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

static int open_sharded(struct safetensors *st, const char *dir, const char *index)
{
	json_error_t jerr;
	json_t *root = json_load_file(index, 0, &jerr), *map, *v;
	struct string_list shards = STRING_LIST_INIT;
	const char *key;
	int rc = 0;
	if (!root)
		return error("%s: line %d: %s", index, jerr.line, jerr.text);
	map = json_object_get(root, "weight_map");
	if (!json_is_object(map)) {
		json_decref(root);
		return error("%s: 'weight_map' is missing or not an object", index);
	}
	json_object_foreach(map, key, v) {
		size_t i;
		const char *f = json_string_value(v);
		if (!f || strchr(f, '/')) {
			rc = error("%s: 'weight_map' entry '%s' must name a file in the same folder",
				   index, key);
			break;
		}
		for (i = 0; i < shards.nr; i++)
			if (!strcmp(shards.items[i], f))
				break;
		if (i == shards.nr)
			string_list_append(&shards, f);
	}
	for (size_t i = 0; !rc && i < shards.nr; i++) {
		char *p = xstrfmt("%s/%s", dir, shards.items[i]);
		if (!file_exists(p))
			rc = error("'%s' is listed in %s but missing; download it too", p, index);
		else
			rc = map_file(st, p);
		free(p);
	}
	json_object_foreach(map, key, v) {
		const struct st_tensor *t;
		if (rc)
			break;
		t = safetensors_find(st, key);
		if (!t)
			rc = error("%s: tensor '%s' should be in '%s' but is not there", index, key,
				   json_string_value(v));
	}
	string_list_clear(&shards);
	json_decref(root);
	return rc;
}

int safetensors_open(struct safetensors *st, const char *path)
{
	int rc;
	memset(st, 0, sizeof(*st));
	if (ends_with_ci(path, ".safetensors")) {
		rc = map_file(st, path);
	} else {
		char *single = xstrfmt("%s/model.safetensors", path);
		char *index = xstrfmt("%s/model.safetensors.index.json", path);
		if (file_exists(single))
			rc = map_file(st, single);
		else if (file_exists(index))
			rc = open_sharded(st, path, index);
		else
			rc = error("no model.safetensors or model.safetensors.index.json in '%s'", path);
		free(single);
		free(index);
	}
	for (size_t i = 0; !rc && i < st->n; i++)
		for (size_t j = i + 1; j < st->n; j++)
			if (!strcmp(st->tensors[i].name, st->tensors[j].name) &&
			    st->tensors[i].file != st->tensors[j].file) {
				rc = error("tensor '%s' appears in both '%s' and '%s'", st->tensors[i].name,
					   st->files[st->tensors[i].file].path,
					   st->files[st->tensors[j].file].path);
				break;
			}
	if (rc)
		safetensors_close(st);
	return rc;
}

void safetensors_close(struct safetensors *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->tensors[i].name);
	for (int i = 0; i < st->nfiles; i++) {
		munmap(st->files[i].map, st->files[i].size);
		free(st->files[i].path);
	}
	free(st->tensors);
	free(st->files);
	memset(st, 0, sizeof(*st));
}

const struct st_tensor *safetensors_find(const struct safetensors *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->tensors[i].name, name))
			return &st->tensors[i];
	return NULL;
}

int safetensors_write(const char *path, const struct st_write_tensor *tensors, size_t n)
{
	json_t *root = json_object(), *meta = json_object();
	char *header, *tmp = xstrfmt("%s.tmp.%ld", path, (long)getpid());
	uint64_t offset = 0, hlen;
	size_t len;
	FILE *fp;
	int rc = 0;

	json_object_set_new(meta, "format", json_string("pt"));
	json_object_set_new(root, "__metadata__", meta);
	for (size_t i = 0; i < n; i++) {
		const struct st_write_tensor *t = &tensors[i];
		json_t *e = json_object(), *shape = json_array();
		uint64_t numel = 1;
		for (int d = 0; d < t->ndim; d++) {
			json_array_append_new(shape, json_integer(t->shape[d]));
			numel *= (uint64_t)t->shape[d];
		}
		json_object_set_new(e, "dtype", json_string(st_dtype_name(t->dtype)));
		json_object_set_new(e, "shape", shape);
		json_object_set_new(e, "data_offsets", json_pack("[II]", (json_int_t)offset,
			(json_int_t)(offset + numel * st_dtype_size(t->dtype))));
		json_object_set_new(root, t->name, e);
		offset += numel * st_dtype_size(t->dtype);
	}
	header = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	len = strlen(header);
	hlen = (len + 7) / 8 * 8;
	if (make_parent_dirs(path)) {
		free(header);
		free(tmp);
		return -1;
	}
	fp = fopen(tmp, "wb");
	if (!fp) {
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
		goto cleanup;
	}
	fwrite(&hlen, 8, 1, fp);
	fwrite(header, 1, len, fp);
	for (size_t i = len; i < hlen; i++)
		fputc(' ', fp);
	for (size_t i = 0; i < n; i++) {
		uint64_t numel = 1;
		for (int d = 0; d < tensors[i].ndim; d++)
			numel *= (uint64_t)tensors[i].shape[d];
		fwrite(tensors[i].data, st_dtype_size(tensors[i].dtype), numel, fp);
	}
	if (ferror(fp) | fclose(fp)) {
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
	} else if (rename(tmp, path)) {
		rc = error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
	}
cleanup:
	free(header);
	free(tmp);
	return rc;
}

/* f32 to IEEE half, rounding to nearest even (overflow to infinity, NaN kept). */
uint16_t f32_to_f16(float f)
{
	uint32_t x, sign, mant, h, rem;
	int32_t e;
	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	mant = x & 0x7fffff;
	if (((x >> 23) & 0xff) == 0xff)
		return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
	e = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	if (e >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (e <= 0) {
		uint32_t shift;
		if (e < -10)
			return (uint16_t)sign;
		mant |= 0x800000;
		shift = (uint32_t)(14 - e);
		h = mant >> shift;
		rem = mant & ((1u << shift) - 1);
		if (rem > (1u << (shift - 1)) || (rem == (1u << (shift - 1)) && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	h = sign | ((uint32_t)e << 10) | (mant >> 13);
	rem = mant & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++;	/* a carry into the exponent is the right rounding */
	return (uint16_t)h;
}
