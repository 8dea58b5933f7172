/*
 * tokenizer.h - Hugging Face tokenizer.json in C: byte-level BPE (GPT-2,
 * Qwen2/Qwen3, Llama 3) and SentencePiece-style BPE (Llama 2, TinyLlama),
 * with added/special tokens, normalisers and decoding. Token ids must be
 * identical to transformers' for the same files.
 *
 * Ownership: a struct tokenizer is created by tokenizer_load() and freed by
 * tokenizer_free(); strings it returns stay valid until then.
 */
#ifndef WINNOW_TOKENIZER_H
#define WINNOW_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/strbuf.h"

struct tokenizer;

/* A growable list of token ids; zero-initialise, then push. */
struct token_ids {
	int32_t *ids;
	size_t n, alloc;
};
void token_ids_push(struct token_ids *t, int32_t id);
void token_ids_release(struct token_ids *t);

/*
 * Loads a tokenizer from a folder (tokenizer.json, and tokenizer_config.json
 * when present) or from a tokenizer.json file. Returns NULL after printing
 * what is wrong (missing file, unsupported model type, bad JSON).
 */
struct tokenizer *tokenizer_load(const char *dir_or_file);
void tokenizer_free(struct tokenizer *tok);

/*
 * Appends the ids of text to out, as transformers' encode(text,
 * add_special_tokens=False): added/special tokens written in the text are
 * recognised, but BOS/EOS are never added here. Returns 0, or -1 on error.
 */
int tokenizer_encode(const struct tokenizer *tok, const char *text, size_t len,
		     struct token_ids *out);
/*
 * Appends the text of ids to out; skip_special leaves special tokens out.
 * Ids with no token (past the vocabulary) add nothing. Bytes are passed on
 * as the tokens hold them, so a character split across tokens is whole
 * only once all its tokens are decoded: to stream, decode everything so
 * far and print what is new (decoders such as Llama 2's strip a leading
 * space from the first token, so decoding tokens one by one loses spaces).
 */
int tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
		     int skip_special, struct strbuf *out);

/* Largest token id + 1 (vocabulary and added tokens). */
size_t tokenizer_vocab_size(const struct tokenizer *tok);
/* The id of a token's exact string (vocabulary or added), or -1. */
int32_t tokenizer_token_id(const struct tokenizer *tok, const char *token);
/* Special token ids from tokenizer_config.json / the post-processor, or -1. */
int32_t tokenizer_bos(const struct tokenizer *tok);
int32_t tokenizer_eos(const struct tokenizer *tok);
int32_t tokenizer_pad(const struct tokenizer *tok);
/* 1 if sequences should start with BOS (add_bos_token, or the post-processor adds it). */
int tokenizer_add_bos(const struct tokenizer *tok);
/* The chat_template string from tokenizer_config.json, or NULL. */
const char *tokenizer_chat_template(const struct tokenizer *tok);

/*
 * Writes tokenizer.json and tokenizer_config.json into dir for a byte-level
 * tokenizer: 256 byte tokens plus the special tokens the ChatML template
 * needs (<|endoftext|>, <|im_start|>, <|im_end|>), so a model can be built
 * and trained without downloading anything. Returns 0 or -1.
 */
int tokenizer_write_byte_level(const char *dir);

/* `winnow tokenize`: ids or counts of each input line (tokenize_cmd.c). */
int cmd_tokenize(int argc, char **argv);

#endif
