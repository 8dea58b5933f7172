/*
 * config.h - a Hugging Face config.json for the Llama family (llama, qwen2,
 * mistral) reduced to the numbers the forward pass needs, with the
 * defaults transformers applies when a key is absent.
 */
#ifndef WINNOW_CONFIG_H
#define WINNOW_CONFIG_H

#include <stdint.h>

enum rope_kind {
	ROPE_DEFAULT,
	ROPE_LINEAR,	/* inv_freq / factor */
	ROPE_DYNAMIC,	/* NTK: theta grows once the sequence outgrows max_position */
	ROPE_LLAMA3	/* per-band blend between inv_freq and inv_freq / factor */
};

enum model_arch { ARCH_LLAMA, ARCH_QWEN2, ARCH_MISTRAL };

#define CONFIG_MAX_EOS 8

struct model_config {
	enum model_arch arch;
	char model_type[32];
	int hidden;		/* D */
	int intermediate;	/* F */
	int layers;		/* L */
	int heads;		/* H, query heads */
	int kv_heads;		/* KV heads (GQA); = heads when absent or null */
	int head_dim;		/* config head_dim, else hidden / heads */
	int vocab;		/* V, rows of embed_tokens */
	int max_position;	/* max_position_embeddings */
	double rms_eps;
	double rope_theta;
	enum rope_kind rope;
	double rope_factor;
	double rope_low_freq, rope_high_freq;	/* llama3 */
	int rope_original_max;			/* llama3 original_max_position_embeddings */
	int tie_embeddings;
	int qkv_bias, o_bias, mlp_bias;
	int sliding_window;	/* 0 = none */
	int window_from_layer;	/* layers >= this use sliding_window (qwen2's max_window_layers) */
	int bos_id;		/* -1 when absent */
	int eos_ids[CONFIG_MAX_EOS];
	int n_eos;
};

/*
 * Reads dir/config.json (or the file itself when path ends in .json).
 * Unsupported model types are refused with the supported list. Returns 0,
 * or -1 after printing what is wrong and where.
 */
int model_config_load(const char *path, struct model_config *cfg);

/* Writes cfg as a config.json transformers can read. Returns 0 or -1. */
int model_config_write(const struct model_config *cfg, const char *path);

/* Fills default inverse frequencies (head_dim / 2 of them) for a sequence of
 * seq_len positions; seq_len matters only for dynamic scaling. */
void rope_inv_freq(const struct model_config *cfg, int seq_len, float *inv_freq);

/*
 * Copies the files besides the weights that make a folder a loadable model
 * (config.json, tokenizer files, generation_config.json ...), those that
 * base has, into dir. Returns 0, or -1 after printing the error.
 */
int copy_model_files(const char *base, const char *dir);

#endif
