/*
 * merge_cmd.c - `winnow merge`: folds a LoRA adapter into its base model,
 * W' = W + scale · B · A for each adapted projection, and writes a whole
 * Hugging Face checkpoint (config.json, model.safetensors in the base's
 * dtype, tokenizer files) that transformers, llama.cpp's converter and
 * winnow itself load without knowing about LoRA.
 */
#define _POSIX_C_SOURCE 200809L
#include "lora.h"
#include "../lib/options.h"
#include "../lib/file.h"
#include "../lib/rng.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct command_help merge_help = {
	"winnow merge --base DIR --adapter DIR --out DIR",
	"Fold a LoRA adapter into its base model and write a whole checkpoint.",
	"Each adapted projection becomes W + scale·B·A (scale = lora_alpha / r, or\n"
	"lora_alpha / sqrt(r) with use_rslora), computed in f32 and stored in the\n"
	"base's dtype; every other tensor is copied unchanged. OUT holds\n"
	"model.safetensors, config.json and the tokenizer files, ready for winnow\n"
	"eval / chat, transformers, or llama.cpp's convert_hf_to_gguf.py.",
	"winnow merge --base models/qwen2.5-0.5b --adapter out/lora --out models/merged"
};


static uint16_t f32_to_f16(float f)
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

/* layer and module of "model.layers.N.<parent>.<module>.weight", or -1. */
static int module_of(const char *name, int *layer)
{
	const char *rest;
	int m;
	if (strncmp(name, "model.layers.", 13) || (m = lora_module_at(name + 13, layer, &rest)) < 0)
		return -1;
	return strcmp(rest, ".weight") ? -1 : m;
}

static int merge(const char *base, const char *adapter, const char *out)
{
	struct model_config cfg;
	struct safetensors st = { 0 };
	struct lora_adapter ad = { 0 };
	struct st_write_tensor *t = NULL;
	void **owned = NULL;
	size_t nowned = 0;
	char *path = NULL;
	int rc = -1, merged = 0;

	if (model_config_load(base, &cfg) || safetensors_open(&st, base))
		goto out;
	if (lora_load(&ad, adapter, &cfg))
		goto out;
	t = xcalloc(st.n ? st.n : 1, sizeof(*t));
	owned = xcalloc(st.n ? st.n : 1, sizeof(*owned));
	for (size_t i = 0; i < st.n; i++) {
		const struct st_tensor *s = &st.tensors[i];
		int layer, mod = module_of(s->name, &layer);
		t[i].name = s->name;
		t[i].dtype = s->dtype;
		t[i].ndim = s->ndim;
		memcpy(t[i].shape, s->shape, sizeof(s->shape));
		t[i].data = s->data;
		if (mod >= 0 && layer < ad.layers && ad.pairs[layer * LORA_MODULES + mod].a) {
			const struct lora_pair *p = &ad.pairs[layer * LORA_MODULES + mod];
			size_t n = (size_t)s->numel;
			float *w;
			if (s->ndim != 2 || s->shape[0] != p->out || s->shape[1] != p->in) {
				error("%s: tensor '%s' does not have the shape [%d, %d] the adapter expects",
				      st.files[s->file].path, s->name, p->out, p->in);
				goto out;
			}
			w = xmalloc(n * sizeof(float));
			st_to_f32(s->dtype, s->data, w, n);
			lora_merge_into(w, p, ad.cfg.rank, ad.scale);
			if (s->dtype == ST_F32) {
				owned[nowned++] = w;
				t[i].data = w;
			} else {
				uint16_t *h = xmalloc(n * sizeof(uint16_t));
				for (size_t k = 0; k < n; k++)
					h[k] = s->dtype == ST_BF16 ? f32_to_bf16(w[k]) : f32_to_f16(w[k]);
				free(w);
				owned[nowned++] = h;
				t[i].data = h;
			}
			merged++;
		}
	}
	if (mkdir(out, 0777) && errno != EEXIST) {
		error("cannot create '%s': %s", out, strerror(errno));
		goto out;
	}
	if (copy_model_files(base, out))
		goto out;
	path = xstrfmt("%s/model.safetensors", out);
	if (safetensors_write(path, t, st.n))
		goto out;
	fprintf(stderr, "merge: %d projections merged (r=%d, scale %g), %zu tensors written to %s\n",
		merged, ad.cfg.rank, (double)ad.scale, st.n, path);
	rc = 0;
out:
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(t);
	free(path);
	lora_adapter_free(&ad);
	safetensors_close(&st);
	return rc;
}

int cmd_merge(int argc, char **argv)
{
	const char *base = NULL, *adapter = NULL, *out = NULL;
	struct option opts[] = {
		OPT_STRING('b', "base", &base, "DIR", "the base model the adapter was trained on"),
		OPT_STRING('a', "adapter", &adapter, "DIR", "a PEFT LoRA adapter folder (winnow train's --out)"),
		OPT_STRING('o', "out", &out, "DIR", "where to write the merged model"),
		OPT_END(),
	};
	struct stat a, b;
	argc = parse_options(argc, argv, opts, &merge_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&merge_help, "unexpected argument '%s'", argv[0]);
	if (!base || !adapter || !out)
		return usage_error(&merge_help, "merge needs --base, --adapter and --out");
	if (!stat(base, &a) && !stat(out, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return usage_error(&merge_help, "--out must not be the base folder: the base's files "
				   "are still being read");
	return merge(base, adapter, out) ? EXIT_FAILURE_ : EXIT_OK;
}
