/*
 * quant_model.c - --quant for a loaded model: the q/k/v/o/gate/up/down
 * projections of every layer become quant.h blocks (embeddings, norms and
 * the output head keep their dtype), and the blocks are cached beside the
 * model in winnow-quant-<type>.bin so the next run maps them instead of
 * quantising again.
 *
 * The cache starts with a 4 KiB text header naming the format version, the
 * quantisation, and the size and modification time (ns) of config.json and
 * of every safetensors file; a cache whose header differs from the model's
 * is ignored and rewritten, so a changed model never uses stale blocks.
 * It is written with write_file_atomic; a directory that cannot be written
 * only costs the cache (a warning).
 *
 * Projections whose rows are not a whole number of blocks (in % 64 for
 * nf4, % 32 for q8/q4) are kept unquantised, counted in a warning that
 * names the first of them.
 */
#define _POSIX_C_SOURCE 200809L
#include "lora.h"
#include "quant.h"
#include "../lib/file.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_BYTES 4096
#define ALIGN 64

static int quantisable(const struct weight *w, enum quant_type t)
{
	return w->cols % quant_block_values(t) == 0;
}

static size_t aligned(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

size_t quant_model_saving(const struct safetensors *st, enum quant_type t)
{
	size_t saved = 0;
	if (t == QUANT_NONE)
		return 0;
	for (size_t i = 0; i < st->n; i++) {
		const struct st_tensor *x = &st->tensors[i];
		const char *rest;
		int layer;
		if (strncmp(x->name, "model.layers.", 13) || x->ndim != 2 ||
		    lora_module_at(x->name + 13, &layer, &rest) < 0 || strcmp(rest, ".weight") ||
		    x->shape[1] % quant_block_values(t))
			continue;
		size_t q = (size_t)x->shape[0] * quant_row_bytes(t, (int)x->shape[1]);
		if (q < x->nbytes)
			saved += x->nbytes - q;
	}
	return saved;
}

/* The cache key: what must be unchanged for cached blocks to be reused. */
static void cache_key(const struct model *m, const char *dir, enum quant_type t, size_t bytes,
		      char *key, size_t size)
{
	struct stat sb;
	char path[4096];
	size_t used = (size_t)snprintf(key, size, "winnow quantised weights 1\nquant %s\nbytes %zu\n",
				       quant_name(t), bytes);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	for (int i = -1; i < m->st.nfiles && used < size; i++) {
		const char *p = i < 0 ? path : m->st.files[i].path;
		if (stat(p, &sb))
			memset(&sb, 0, sizeof(sb));
		used += (size_t)snprintf(key + used, size - used, "file %s %lld %lld.%09ld\n",
					 strrchr(p, '/') ? strrchr(p, '/') + 1 : p, (long long)sb.st_size,
					 (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	}
}

/* Maps path when its header is key and its size total; NULL otherwise. */
static void *cache_map(const char *path, const char *key, size_t total)
{
	char head[HEADER_BYTES];
	struct stat sb;
	void *map;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) || (size_t)sb.st_size != total ||
	    pread(fd, head, HEADER_BYTES, 0) != HEADER_BYTES || strncmp(head, key, HEADER_BYTES)) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

struct quant_job {
	const struct weight *w;
	enum quant_type t;
	unsigned char *dst;
};

static void quant_rows(void *arg, size_t lo, size_t hi)
{
	const struct quant_job *j = arg;
	size_t rb = quant_row_bytes(j->t, j->w->cols);
	float *row = xmalloc((size_t)j->w->cols * sizeof(float));
	for (size_t r = lo; r < hi; r++) {
		weight_row(j->w, (int)r, row);
		quant_row(j->t, row, j->dst + r * rb, j->w->cols);
	}
	free(row);
}

/* Gives the pages of a tensor in m's file mappings back (they are read
 * again from the file if touched); heap copies are left alone. */
static void drop_pages(const struct model *m, const void *data, size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	int mapped = 0;
	for (int i = 0; i < m->st.nfiles; i++) {
		const char *map = m->st.files[i].map;
		mapped |= (const char *)data >= map && (const char *)data + bytes <= map + m->st.files[i].size;
	}
	if (!mapped)
		return;
	uintptr_t lo = ((uintptr_t)data + (uintptr_t)page - 1) / (uintptr_t)page * (uintptr_t)page;
	uintptr_t hi = ((uintptr_t)data + bytes) / (uintptr_t)page * (uintptr_t)page;
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Quantises every quantisable projection into arena (laid out as the cache file). */
static void quantise_all(struct model *m, enum quant_type t, unsigned char *arena)
{
	struct progress pg;
	size_t off = HEADER_BYTES;
	progress_start(&pg, "quantising", (uint64_t)m->cfg.layers, "layers");
	for (int l = 0; l < m->cfg.layers; l++) {
		for (int k = 0; k < LORA_MODULES; k++) {
			const struct weight *w = model_module_weight(m, l, (enum lora_module)k);
			struct quant_job j = { w, t, arena + off };
			if (!quantisable(w, t))
				continue;
			parallel_ranges((size_t)w->rows, 16, quant_rows, &j);
			drop_pages(m, w->data, (size_t)w->rows * w->cols * st_dtype_size(w->dtype));
			off += aligned((size_t)w->rows * quant_row_bytes(t, w->cols));
		}
		progress_update(&pg, (uint64_t)l + 1);
	}
	progress_finish(&pg);
}

int model_quantise(struct model *m, const char *dir, enum quant_type t)
{
	size_t total = HEADER_BYTES, before = 0, after = 0, off = HEADER_BYTES;
	long kept = 0;
	int first_layer = 0;
	const char *first = NULL;
	char key[HEADER_BYTES], path[4096];
	unsigned char *base;

	if (t == QUANT_NONE)
		return 0;
	for (int l = 0; l < m->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			const struct weight *w = model_module_weight(m, l, (enum lora_module)k);
			if (!quantisable(w, t)) {
				if (!kept++) {
					first = lora_module_names[k];
					first_layer = l;
				}
				continue;
			}
			total += aligned((size_t)w->rows * quant_row_bytes(t, w->cols));
		}
	if (kept)
		warning("%ld projection%s of '%s' (the first: layer %d's %s) %s rows of a size that is not "
			"a multiple of %d and stay%s unquantised", kept, kept == 1 ? "" : "s", dir,
			first_layer, first, kept == 1 ? "has" : "have", quant_block_values(t), kept == 1 ? "s" : "");
	memset(key, 0, sizeof(key));
	cache_key(m, dir, t, total, key, sizeof(key) - 1);
	snprintf(path, sizeof(path), "%s/winnow-quant-%s.bin", dir, quant_name(t));
	base = cache_map(path, key, total);
	if (base) {
		m->qmap = base;
		m->qmap_bytes = total;
	} else {
		base = xmalloc(total);
		memcpy(base, key, HEADER_BYTES);
		quantise_all(m, t, base);
		if (write_file_atomic(path, base, total))
			warning("the quantised weights could not be cached in '%s'; the next run "
				"quantises again", path);
		m->qheap = base;
	}
	for (int l = 0; l < m->cfg.layers; l++)
		for (int k = 0; k < LORA_MODULES; k++) {
			struct weight *w = model_module_weight(m, l, (enum lora_module)k);
			if (!quantisable(w, t))
				continue;
			before += (size_t)w->rows * w->cols * st_dtype_size(w->dtype);
			w->data = base + off;
			w->quant = t;
			after += (size_t)w->rows * quant_row_bytes(t, w->cols);
			off += aligned((size_t)w->rows * quant_row_bytes(t, w->cols));
		}
	m->weight_bytes = m->weight_bytes - before + after;
	fprintf(stderr, "quant: %d projections of '%s' in %s, %zu MiB (%s %s)\n",
		m->cfg.layers * LORA_MODULES - (int)kept, dir, quant_name(t), after >> 20,
		m->qmap ? "read from" : "quantised, cached in", path);
	return 0;
}

int quant_option(const char *value, enum quant_type *t)
{
	if (!value) {
		*t = QUANT_NONE;
		return 0;
	}
	if (quant_parse(value, t))
		return error("--quant '%s' is not a quantisation winnow knows; use nf4, q8 or q4", value);
	return 0;
}
