/*
 * lora.h - LoRA adapters for the Llama-family model: the low-rank matrices
 * A (r, in) and B (out, r) added to chosen projections, PEFT's
 * initialisation, and reading and writing them exactly as PEFT stores them
 * (adapter_config.json + adapter_model.safetensors), so that
 * PeftModel.from_pretrained and llama.cpp's convert_lora_to_gguf.py load
 * what winnow trains and winnow loads what they write.
 *
 * A LoRA projection computes y = W x + scale · B (A dropout(x)) with
 * scale = alpha / r (alpha / √r with rsLoRA).
 *
 * Ownership: a struct lora_adapter owns one allocation holding every A and
 * B (params); lora_adapter_free() releases it.
 */
#ifndef WINNOW_LORA_H
#define WINNOW_LORA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model.h"

/* The seven projections of a block, in PEFT's module names. */
enum lora_module { LORA_Q, LORA_K, LORA_V, LORA_O, LORA_GATE, LORA_UP, LORA_DOWN, LORA_MODULES };
extern const char *const lora_module_names[LORA_MODULES];	/* "q_proj", ... */
#define LORA_ALL_TARGETS ((1u << LORA_MODULES) - 1)

struct lora_config {
	int rank;		/* r */
	double alpha;		/* lora_alpha */
	double dropout;		/* lora_dropout, on the input of the LoRA branch only */
	int rslora;		/* scale alpha / sqrt(r) instead of alpha / r */
	unsigned targets;	/* 1 << enum lora_module for each adapted projection */
};

/* One adapted projection; a == NULL when the projection is not a target. */
struct lora_pair {
	float *a;		/* (r, in) */
	float *b;		/* (out, r) */
	int in, out;
};

struct lora_adapter {
	struct lora_config cfg;
	int layers;
	struct lora_pair *pairs;	/* (layers, LORA_MODULES) */
	float *params;			/* every A then B, layer by layer, module by module */
	size_t nparams;
	float scale;
};

/* scale of a config: alpha / r, or alpha / sqrt(r) with rslora. */
float lora_scale(const struct lora_config *c);

/*
 * Parses a comma-separated list of module names ("q_proj,v_proj", or "all")
 * into a target mask. Returns 0, or -1 after naming the unknown module.
 */
int lora_parse_targets(const char *list, unsigned *targets);
/*
 * p points at "N.<parent>.<module>..." (what follows "layers." in a tensor
 * name). Returns the module index (0..LORA_MODULES-1) and sets *layer and
 * *rest (the text after the module name), or -1 if p is not such a name.
 */
int lora_module_at(const char *p, int *layer, const char **rest);

/* in and out sizes of a projection under config cfg. */
void lora_module_dims(const struct model_config *cfg, enum lora_module mod, int *in, int *out);
/* The base weight of a projection in layer l of m. */
struct weight *model_module_weight(struct model *m, int layer, enum lora_module mod);
/* Its bias (NULL when the model has none). */
const float *model_module_bias(const struct model *m, int layer, enum lora_module mod);

/*
 * Allocates an adapter for cfg with PEFT's initialisation: every A uniform
 * in [-1/√in, 1/√in) from a generator seeded with seed, every B zero.
 */
void lora_adapter_init(struct lora_adapter *ad, const struct model_config *cfg,
		       const struct lora_config *lc, uint64_t seed);
void lora_adapter_free(struct lora_adapter *ad);

/*
 * Writes dir/adapter_config.json and dir/adapter_model.safetensors (F32,
 * metadata {"format":"pt"}); base is written as base_model_name_or_path.
 * Returns 0 or -1.
 */
int lora_save(const struct lora_adapter *ad, const char *dir, const char *base);

/*
 * Reads a PEFT LoRA adapter from dir for a model of config cfg. Tensors may
 * be F32, BF16 or F16; "lora_A.default.weight" names are accepted too.
 * Returns 0, or -1 after printing what is wrong (missing file, unsupported
 * peft_type, a tensor of the wrong shape); ad is left empty on error.
 */
int lora_load(struct lora_adapter *ad, const char *dir, const struct model_config *cfg);

/*
 * Folds the adapter in dir into m's weights in memory (W + scale·B·A, kept
 * in f32), for eval and chat with --adapter; a quantised projection keeps
 * its blocks and gets the adapter as its unmerged delta (ops.h), as QLoRA
 * runs. The merged matrices belong to m and are freed by model_free().
 * Returns 0 or -1.
 */
int lora_apply(struct model *m, const char *dir);

/* `winnow merge` (merge_cmd.c). */
int cmd_merge(int argc, char **argv);
/* `winnow train` (train_cmd.c). */
int cmd_train(int argc, char **argv);

/* W (out, in) += scale · B · A, in f32. */
void lora_merge_into(float *w, const struct lora_pair *p, int rank, float scale);

#endif
