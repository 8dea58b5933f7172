/*
 * prompt_adapter.h - prompt-learning adapters as PEFT stores them: prompt
 * tuning (peft_type PROMPT_TUNING) and P-tuning (P_TUNING) both save the
 * virtual-token embeddings the model sees, one tensor "prompt_embeddings"
 * (num_virtual_tokens, token_dim) in adapter_model.safetensors, with
 * num_virtual_tokens and token_dim in adapter_config.json. The virtual
 * tokens sit at positions 0..N-1 before every input, as PEFT prepends them.
 */
#ifndef WINNOW_PROMPT_ADAPTER_H
#define WINNOW_PROMPT_ADAPTER_H

#include "config.h"
#include "model.h"

enum prompt_method { PROMPT_TUNING = 1, P_TUNING };

/* What a P-tuning adapter_config.json records about the encoder it was trained with. */
struct prompt_encoder_info {
	int hidden;		/* encoder_hidden_size */
	const char *type;	/* "MLP" */
};

/*
 * Writes dir/adapter_config.json and dir/adapter_model.safetensors for
 * emb (n, cfg->hidden). enc is NULL for prompt tuning. Returns 0 or -1.
 */
int prompt_save(const float *emb, int n, enum prompt_method method, const struct prompt_encoder_info *enc,
		const struct model_config *cfg, const char *dir, const char *base);

/*
 * Reads a PROMPT_TUNING or P_TUNING adapter for a model of config cfg:
 * *emb (malloc'd, n x hidden, any of F32/BF16/F16 on disk) and *n.
 * Returns 0, or -1 after naming what is wrong.
 */
int prompt_load(const char *dir, const struct model_config *cfg, float **emb, int *n);

/*
 * Applies the adapter in dir to m, whatever its kind: LORA through
 * lora_apply(), PROMPT_TUNING / P_TUNING by prepending its virtual tokens
 * (model_forward does it). Any other peft_type is refused, named.
 * Returns 0 or -1.
 */
int adapter_apply(struct model *m, const char *dir);

#endif
