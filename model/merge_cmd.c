/*
 * merge_cmd.c - `winnow merge`: folds a LoRA adapter into its base model,
 * W' = W + scale · B · A for each adapted projection, and writes a whole
 * Hugging Face checkpoint (config.json, model.safetensors in the base's
 * dtype, tokenizer files) that transformers, llama.cpp's converter and
 * winnow itself load without knowing about LoRA; and, with --gguf, the
 * same model as one GGUF file for llama.cpp with an Ollama Modelfile
 * beside it, or with --gguf-lora the adapter alone for llama.cpp's --lora.
 */
#define _POSIX_C_SOURCE 200809L
#include "gguf.h"
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
	"winnow merge --base DIR [--adapter DIR] (--out DIR | --gguf FILE [--type TYPE] | --gguf-lora FILE)",
	"Fold a LoRA adapter into its base model; write a checkpoint, a GGUF file, or both.",
	"Each adapted projection becomes W + scale·B·A (scale = lora_alpha / r, or\n"
	"lora_alpha / sqrt(r) with use_rslora), computed in f32 and stored in the\n"
	"base's dtype; every other tensor is copied unchanged. OUT holds\n"
	"model.safetensors, config.json and the tokenizer files, ready for winnow\n"
	"eval / chat and transformers.\n\n"
	"--gguf FILE writes the (merged) model for llama.cpp and Ollama: the llama or\n"
	"qwen2 architecture, llama.cpp's tensor names, the tokenizer and chat template\n"
	"in its metadata, weights as --type f16 (default), bf16, q8_0 or f32 (norms\n"
	"stay f32; q8_0 falls back to f16 for rows not a multiple of 32), and an Ollama\n"
	"Modelfile beside it (FROM, TEMPLATE, stop). Without --adapter the base itself\n"
	"is converted. Byte-level BPE tokenizers only (Qwen2, SmolLM, Llama 3).\n"
	"--gguf-lora FILE writes the adapter alone as a llama.cpp LoRA adapter\n"
	"(llama-cli -m base.gguf --lora FILE).",
	"winnow merge --base models/qwen2.5-0.5b --adapter out/lora --out models/merged\n"
	"winnow merge --base models/qwen2.5-0.5b --adapter out/lora --gguf deploy/model.gguf --type q8_0\n"
	"ollama create mymodel -f deploy/Modelfile"
};


/* layer and module of "model.layers.N.<parent>.<module>.weight", or -1. */
static int module_of(const char *name, int *layer)
{
	const char *rest;
	int m;
	if (strncmp(name, "model.layers.", 13) || (m = lora_module_at(name + 13, layer, &rest)) < 0)
		return -1;
	return strcmp(rest, ".weight") ? -1 : m;
}

struct merge_options {
	const char *base, *adapter, *out, *gguf, *gguf_lora, *type_name;
	enum gguf_out_type type;
};

/* The base's tensors with the adapter (if any) folded in; owned[] holds what was made here. */
struct merged {
	struct model_config cfg;
	struct safetensors st;
	struct lora_adapter ad;
	struct st_write_tensor *t;
	void **owned;
	size_t nowned;
	int count;		/* projections merged */
};

static void merged_release(struct merged *m)
{
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->t);
	lora_adapter_free(&m->ad);
	safetensors_close(&m->st);
}

/* Folds one pair into tensor t (the base's s). Returns 0 or -1. */
static int merge_one(struct merged *m, struct st_write_tensor *t, const struct st_tensor *s,
		     const struct lora_pair *p)
{
	size_t n = (size_t)s->numel;
	float *w;
	if (s->ndim != 2 || s->shape[0] != p->out || s->shape[1] != p->in)
		return error("%s: tensor '%s' does not have the shape [%d, %d] the adapter expects",
			     m->st.files[s->file].path, s->name, p->out, p->in);
	w = xmalloc(n * sizeof(float));
	st_to_f32(s->dtype, s->data, w, n);
	lora_merge_into(w, p, m->ad.cfg.rank, m->ad.scale);
	if (s->dtype == ST_F32) {
		m->owned[m->nowned++] = w;
		t->data = w;
	} else {
		uint16_t *h = xmalloc(n * sizeof(uint16_t));
		for (size_t k = 0; k < n; k++)
			h[k] = s->dtype == ST_BF16 ? f32_to_bf16(w[k]) : f32_to_f16(w[k]);
		free(w);
		m->owned[m->nowned++] = h;
		t->data = h;
	}
	m->count++;
	return 0;
}

static int merge_load(struct merged *m, const char *base, const char *adapter)
{
	memset(m, 0, sizeof(*m));
	if (model_config_load(base, &m->cfg) || safetensors_open(&m->st, base))
		return -1;
	if (adapter && lora_load(&m->ad, adapter, &m->cfg))
		return -1;
	m->t = xcalloc(m->st.n ? m->st.n : 1, sizeof(*m->t));
	m->owned = xcalloc(m->st.n ? m->st.n : 1, sizeof(*m->owned));
	for (size_t i = 0; i < m->st.n; i++) {
		const struct st_tensor *s = &m->st.tensors[i];
		int layer, mod = module_of(s->name, &layer);
		m->t[i].name = s->name;
		m->t[i].dtype = s->dtype;
		m->t[i].ndim = s->ndim;
		memcpy(m->t[i].shape, s->shape, sizeof(s->shape));
		m->t[i].data = s->data;
		if (adapter && mod >= 0 && layer < m->ad.layers && m->ad.pairs[layer * LORA_MODULES + mod].a &&
		    merge_one(m, &m->t[i], s, &m->ad.pairs[layer * LORA_MODULES + mod]))
			return -1;
	}
	return 0;
}

static int write_checkpoint(const struct merged *m, const char *base, const char *out)
{
	char *path;
	int rc;
	if (mkdir(out, 0777) && errno != EEXIST)
		return error("cannot create '%s': %s", out, strerror(errno));
	if (copy_model_files(base, out))
		return -1;
	path = xstrfmt("%s/model.safetensors", out);
	rc = safetensors_write(path, m->t, m->st.n);
	if (!rc)
		fprintf(stderr, "merge: %d projections merged (r=%d, scale %g), %zu tensors written to %s\n",
			m->count, m->ad.cfg.rank, (double)m->ad.scale, m->st.n, path);
	free(path);
	return rc;
}

/* The GGUF file and the Modelfile beside it. */
static int write_gguf(const struct merged *m, const struct merge_options *o)
{
	const char *slash = strrchr(o->gguf, '/'), *name = strrchr(o->base, '/');
	char *modelfile = slash ? xstrfmt("%.*s/Modelfile", (int)(slash - o->gguf), o->gguf) : xstrdup("Modelfile");
	struct gguf_model g = { o->base, name && name[1] ? name + 1 : o->base, &m->cfg, m->t, m->st.n };
	int rc = 0;
	if (slash) {
		char *dir = xstrfmt("%.*s", (int)(slash - o->gguf), o->gguf);
		if (*dir && mkdir(dir, 0777) && errno != EEXIST)
			rc = error("cannot create '%s': %s", dir, strerror(errno));
		free(dir);
	}
	if (!rc)
		rc = gguf_write_model(o->gguf, &g, o->type);
	if (!rc)
		rc = ollama_modelfile_write(modelfile, slash ? slash + 1 : o->gguf, o->base);
	if (!rc)
		fprintf(stderr, "merge: %s written (%s, %d projections merged) with %s beside it\n", o->gguf,
			o->type_name, m->count, modelfile);
	free(modelfile);
	return rc;
}

static int merge(const struct merge_options *o)
{
	struct merged m;
	int rc = merge_load(&m, o->base, o->adapter);
	if (!rc && o->out)
		rc = write_checkpoint(&m, o->base, o->out);
	if (!rc && o->gguf)
		rc = write_gguf(&m, o);
	if (!rc && o->gguf_lora) {
		rc = gguf_write_lora(o->gguf_lora, &m.ad, &m.cfg, o->adapter);
		if (!rc)
			fprintf(stderr, "merge: llama.cpp LoRA adapter written to %s\n", o->gguf_lora);
	}
	merged_release(&m);
	return rc;
}

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int merge_parse_options(int argc, char **argv, struct merge_options *o)
{
	struct stat a, b;
	memset(o, 0, sizeof(*o));
	o->type_name = "f16";
	struct option opts[] = {
		OPT_STRING('b', "base", &o->base, "DIR", "the base model the adapter was trained on"),
		OPT_STRING('a', "adapter", &o->adapter, "DIR", "a PEFT LoRA adapter folder (winnow train's --out)"),
		OPT_STRING('o', "out", &o->out, "DIR", "where to write the merged model (Hugging Face layout)"),
		OPT_STRING(0, "gguf", &o->gguf, "FILE", "also or instead write it as GGUF for llama.cpp / Ollama"),
		OPT_CHOICE(0, "type", &o->type_name, "f16|bf16|q8_0|f32", "GGUF weight type (default f16)"),
		OPT_STRING(0, "gguf-lora", &o->gguf_lora, "FILE", "write the adapter as a llama.cpp LoRA GGUF"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &merge_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&merge_help, "unexpected argument '%s'", argv[0]);
	if (!o->base || !(o->out || o->gguf || o->gguf_lora))
		return usage_error(&merge_help, "merge needs --base and one of --out, --gguf, --gguf-lora");
	if (!o->adapter && (o->out || o->gguf_lora))
		return usage_error(&merge_help, "%s needs --adapter", o->out ? "--out" : "--gguf-lora");
	gguf_out_type_parse(o->type_name, &o->type);
	if (o->out && !stat(o->base, &a) && !stat(o->out, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return usage_error(&merge_help, "--out must not be the base folder: the base's files "
				   "are still being read");
	return OPTIONS_GO_ON;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_options o;
	int rc = merge_parse_options(argc, argv, &o);
	if (rc != OPTIONS_GO_ON)
		return rc;
	return merge(&o) ? EXIT_FAILURE_ : EXIT_OK;
}
