/*
 * gguf.h - writing llama.cpp's GGUF files (version 3), so a model trained
 * here runs in llama.cpp and Ollama: a whole model (hyper-parameters, the
 * tokenizer and chat template in metadata, tensors under llama.cpp's names
 * in f32, f16, bf16 or Q8_0), a LoRA adapter llama.cpp's --lora loads, and
 * an Ollama Modelfile beside a model.
 *
 * What llama.cpp expects and convert_hf_to_gguf.py does, done the same way:
 *  1. Tensor dimensions are listed innermost first (a PyTorch (out, in)
 *     weight is ne = {in, out}); one-dimensional tensors stay f32.
 *  2. For the "llama" architecture the rows of q_proj and k_proj (and the
 *     B of their LoRA pairs) are permuted per head from the rotate-half
 *     layout transformers uses to the interleaved pairs llama.cpp rotates;
 *     "qwen2" keeps them as they are.
 *  3. The vocabulary has exactly as many tokens as the embedding has rows
 *     (missing ids are padded as unused tokens).
 */
#ifndef WINNOW_GGUF_H
#define WINNOW_GGUF_H

#include <stddef.h>

#include "config.h"
#include "lora.h"
#include "safetensors.h"

enum gguf_out_type { GGUF_OUT_F32, GGUF_OUT_F16, GGUF_OUT_BF16, GGUF_OUT_Q8_0 };

/* "f32", "f16", "bf16", "q8_0"; returns 0, or -1 for another name. */
int gguf_out_type_parse(const char *name, enum gguf_out_type *type);

/* A model to write: its Hugging Face tensors (names as in safetensors). */
struct gguf_model {
	const char *dir;			/* tokenizer.json, tokenizer_config.json */
	const char *name;			/* general.name */
	const struct model_config *cfg;
	const struct st_write_tensor *tensors;
	size_t n;
};

/*
 * Writes the model to path (through a temporary and a rename). Refuses,
 * with a message, what llama.cpp could not run the same: a tokenizer that
 * is not byte-level BPE, dynamic rope scaling. Returns 0 or -1.
 */
int gguf_write_model(const char *path, const struct gguf_model *m, enum gguf_out_type type);

/* Writes the LoRA adapter as a llama.cpp adapter for a model of cfg. Returns 0 or -1. */
int gguf_write_lora(const char *path, const struct lora_adapter *ad, const struct model_config *cfg,
		    const char *name);

/*
 * Writes an Ollama Modelfile: FROM the GGUF file (a path relative to the
 * Modelfile's folder), the chat template as a Go template and its stop
 * tokens, for the templates winnow knows (ChatML, Llama 3, Llama 2).
 * Returns 0 or -1.
 */
int ollama_modelfile_write(const char *path, const char *gguf_file, const char *model_dir);

#endif
