/*
 * model.h - Llama-family causal language models (llama, qwen2, mistral) as
 * Hugging Face stores them, run on the CPU in fp32 with the weights kept in
 * their file dtype, a key/value cache, and generation.
 *
 * Ownership: model_load() returns a model that owns its mapped files and
 * scratch buffers; model_free() releases everything. A kv_cache belongs to
 * the caller and must be used with the model it was made for.
 */
#ifndef WINNOW_MODEL_H
#define WINNOW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ops.h"
#include "safetensors.h"

struct layer_weights {
	const float *attn_norm;		/* (D) */
	struct weight wq;		/* (H*hd, D) */
	struct weight wk, wv;		/* (KV*hd, D) */
	struct weight wo;		/* (D, H*hd) */
	const float *bq, *bk, *bv, *bo;	/* (H*hd), (KV*hd), (KV*hd), (D); NULL when absent */
	const float *mlp_norm;		/* (D) */
	struct weight gate, up;		/* (F, D) */
	struct weight down;		/* (D, F) */
	const float *bgate, *bup, *bdown; /* (F), (F), (D); NULL when absent */
	int window;			/* sliding attention window, 0 = full causal */
};

struct model {
	struct model_config cfg;
	struct safetensors st;
	struct weight embed;		/* (V, D) */
	struct weight lm_head;		/* (V, D); the same data as embed when tied */
	struct layer_weights *layers;	/* (L) */
	const float *final_norm;	/* (D) */
	size_t weight_bytes;		/* bytes of all tensors used, as stored */
	/* private */
	void **owned;
	size_t nowned;
	float *wscratch;		/* weight_scratch_floats() */
	float *prompt;			/* (prompt_len, D) virtual tokens before every sequence, or NULL */
	int prompt_len;			/* (a prompt-tuning adapter: prompt_adapter.h) */
	void *qmap, *qheap;		/* quantised projections: the mapped cache, or the heap copy */
	size_t qmap_bytes;
};

/* Keys and values of every position seen so far. */
struct kv_cache {
	int len, cap;			/* positions filled, positions allocated */
	float *k, *v;			/* (L, cap, KV*hd) */
};

/*
 * Loads dir (config.json + safetensors). context is the longest sequence
 * the caller will run, used for the memory estimate checked against
 * MemAvailable before anything is read. Returns NULL after printing why.
 */
struct model *model_load(const char *dir, int context);
/* The same with the projections quantised (quant.h; QUANT_NONE = model_load). */
struct model *model_load_quant(const char *dir, int context, enum quant_type quant);
void model_free(struct model *m);

/* ---- --quant (quant_model.c) ---- */
/* Quantises m's q/k/v/o/gate/up/down, or maps them from the cache beside dir. Returns 0 or -1. */
int model_quantise(struct model *m, const char *dir, enum quant_type t);
/* Bytes the projections in st's headers shrink by when quantised to t. */
size_t quant_model_saving(const struct safetensors *st, enum quant_type t);
/* The --quant option of train, eval, chat and serve: its help text, and parsing
 * it (-1 after naming the bad value). */
#define QUANT_OPTION_HELP "quantise the frozen base's q/k/v/o/gate/up/down projections " \
	"when loading: nf4 (bitsandbytes' NF4, blocks of 64), q8 or q4 (llama.cpp's Q8_0/Q4_0, " \
	"blocks of 32); cached beside the model in winnow-quant-TYPE.bin. Projections whose " \
	"input size is not a multiple of the block stay unquantised, counted in a warning"
int quant_option(const char *value, enum quant_type *t);

/* Bytes the model and a cache of context positions will need. */
/* MemAvailable in bytes ($WINNOW_MEMINFO names another meminfo file, for tests); 0 if unknown. */
size_t mem_available(void);
size_t model_memory_estimate(const struct model_config *cfg, size_t weight_bytes, int context);

/* Returns 0, or -1 if cap positions do not fit in memory. With a prompt
 * adapter the cache holds its virtual tokens too (cap + m->prompt_len). */
int kv_cache_init(struct kv_cache *c, const struct model *m, int cap);
void kv_cache_free(struct kv_cache *c);

/*
 * Runs n tokens at positions c->len .. c->len + n - 1, appending their keys
 * and values to c; on an empty cache a model with a prompt adapter first
 * runs its prompt_len virtual tokens, so the tokens start after them. Keys
 * and values to c. When hidden is not NULL it receives the final normed
 * hidden states (n, D); when logits is not NULL it receives the logits of
 * the last token (V). Returns 0, or -1 after printing an error (token id
 * out of range, cache full); the cache is unchanged on error.
 */
int model_forward(struct model *m, struct kv_cache *c, const int32_t *tokens, int n,
		  float *hidden, float *logits);
/*
 * One token for each of B sequences, each with its own cache (batch.c):
 * tokens[b] runs at position caches[b]->len, logits (B, V) receive each
 * one's next-token logits. Equal to B model_forward calls up to rounding.
 * Returns 0, or -1 after printing an error with every cache unchanged.
 */
int model_forward_batch(struct model *m, struct kv_cache **caches, const int32_t *tokens, int B,
			float *logits);
/* logits (n, V) = hidden (n, D) · lm_headᵀ. */
void model_logits(struct model *m, const float *hidden, int n, float *logits);

/* ---- generation (generate.c) ---- */

struct sampler {
	double temperature;	/* 0 = greedy */
	double top_p;		/* 1 = off */
	int top_k;		/* 0 = off */
	uint64_t rng;		/* state, from the seed */
	/* private */
	float *probs;
	int *order;
};

void sampler_init(struct sampler *s, double temperature, double top_p, int top_k, uint64_t seed);
void sampler_release(struct sampler *s);
/* Picks the next token from logits (V values; they may be overwritten). */
int32_t sampler_next(struct sampler *s, float *logits, int vocab);
/* Index of the largest logit (the first one on ties, like torch.argmax). */
int32_t argmax(const float *logits, int n);
/* -log softmax(logits)[label], computed in double: one token's cross-entropy. */
double token_nll(const float *logits, int vocab, int label);

/* Checks that tok's ids fit the model's embeddings; prints why not and returns -1. */
struct tokenizer;
int tokenizer_fits_model(const struct tokenizer *tok, const struct model *m, const char *dir);

/* ---- commands ---- */
int cmd_model(int argc, char **argv);	/* model_cmd.c: winnow model init */
int cmd_eval(int argc, char **argv);	/* eval.c */
int cmd_chat(int argc, char **argv);	/* chat.c */

#endif
