/*
 * template.h - prompt templates shared by training, eval and chat: how a
 * record becomes token ids, and which of them the loss counts.
 *
 * Encoding follows LLaMA-Factory: each prompt part and each response is
 * tokenised separately and the pieces concatenated; every response is
 * followed by the template's end token (eos, or <|im_end|> for ChatML);
 * BOS is prepended only when the tokenizer asks for it (Llama 2/3, never
 * Qwen). Labels are -100 for prompt tokens and the token id for response
 * tokens and their end tokens.
 */
#ifndef WINNOW_TEMPLATE_H
#define WINNOW_TEMPLATE_H

#include "tokenizer.h"

enum template_kind {
	TEMPLATE_AUTO,		/* detect from the tokenizer's chat_template */
	TEMPLATE_ALPACA,	/* Stanford Alpaca wording, with and without input */
	TEMPLATE_CHATML,	/* Qwen: <|im_start|>role\n...<|im_end|>\n */
	TEMPLATE_LLAMA3,
	TEMPLATE_LLAMA2
};

#define LABEL_IGNORE (-100)

/* Returns the kind for "auto", "alpaca", "chatml", "llama3", "llama2", or -1. */
int template_from_name(const char *name);
const char *template_name(enum template_kind kind);
/* Recognises the tokenizer's chat_template; ALPACA when there is none. */
enum template_kind template_detect(const struct tokenizer *tok);

/* One example; strings are NUL-terminated, "" when absent. */
struct chat_example {
	const char *system, *instruction, *input, *output;
	const char *history;	/* JSON list of [question, answer] pairs, "" or "[]" for none */
};

/*
 * Appends the whole example (history turns, then instruction/input with
 * output) to ids, and the matching labels to labels (same length). kind
 * must not be TEMPLATE_AUTO (resolve it with template_detect first).
 * Returns 0, or -1 after printing an error (bad history JSON).
 */
int template_encode(const struct tokenizer *tok, enum template_kind kind,
		    const struct chat_example *ex, struct token_ids *ids, struct token_ids *labels);
/* Appends the prompt only (ex->output ignored): what a model continues in chat. */
int template_encode_prompt(const struct tokenizer *tok, enum template_kind kind,
			   const struct chat_example *ex, struct token_ids *ids);
/*
 * The token that ends every response in this template: <|im_end|> for
 * ChatML, <|eot_id|> for llama3 (when the tokenizer has them), else EOS;
 * -1 when the tokenizer has none. Generation should stop at it too.
 */
int32_t template_end_token(const struct tokenizer *tok, enum template_kind kind);
/* Strings that end a reply besides EOS (NULL-terminated list). */
const char *const *template_stop_strings(enum template_kind kind);

#endif
