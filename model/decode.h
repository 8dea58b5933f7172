/*
 * decode.h - a reply from a model, token by token: the conversation rendered
 * through the chat template, the prompt run through the key/value cache
 * (reusing the prefix it already holds), then one token per step until an
 * end-of-sequence token, a stop string or the token budget. `winnow chat`
 * and `winnow serve` both generate through this, so their greedy output is
 * the same for the same conversation.
 *
 * Ownership: a generator borrows its model and tokenizer. A decode borrows
 * the cache, the ids the cache holds and the sampler (the caller keeps them
 * between replies); it owns gen, text and logits until decode_release().
 */
#ifndef WINNOW_DECODE_H
#define WINNOW_DECODE_H

#include <jansson.h>

#include "model.h"
#include "template.h"
#include "tokenizer.h"
#include "../lib/strbuf.h"

#define GENERATOR_MAX_STOP_IDS 32
#define DECODE_MAX_STOPS 16	/* stop strings: the template's and the caller's */

/* How a model's replies end; one per loaded model. */
struct generator {
	struct model *m;
	struct tokenizer *tok;
	enum template_kind kind;
	int32_t stop_ids[GENERATOR_MAX_STOP_IDS];
	int nstop;
};

/*
 * Fills g for model m loaded from dir: end-of-sequence ids from the
 * tokenizer, config.json, generation_config.json and the template's stop
 * strings that are single tokens.
 */
void generator_init(struct generator *g, struct model *m, struct tokenizer *tok,
		    enum template_kind kind, const char *dir);

/*
 * Loads the model in base (with the LoRA adapter in adapter when not NULL;
 * its projections quantised when quant is not QUANT_NONE: --quant) for replies of up to *context positions (lowered to the model's maximum),
 * with template ("auto" or a name). The tokenizer is tok when not NULL
 * (shared between models of one base), else loaded. Returns 0, or -1 after
 * printing why with nothing left loaded.
 */
int generator_load(struct generator *g, const char *base, const char *adapter,
		   enum quant_type quant, const char *template, struct tokenizer *tok, long *context);
/* Frees the model, and the tokenizer too when free_tok. */
void generator_unload(struct generator *g, int free_tok);

/*
 * Encodes system + history ([question, answer] pairs) + user through the
 * template into ids; drops the oldest turns of history (in place) while the
 * prompt does not leave 16 positions free in a context of cap. Returns 0 or
 * -1 after printing why.
 */
int chat_render(const struct generator *g, const char *system, const char *user,
		json_t *history, int cap, struct token_ids *ids);

struct decode {
	/* set by the caller before decode_start */
	struct kv_cache *cache;
	struct token_ids *cached;	/* the ids whose keys/values cache holds */
	struct sampler *sampler;
	long max_tokens;
	const char *stops[DECODE_MAX_STOPS + 1];	/* NULL-terminated */
	/* set by decode_start / decode_step */
	struct token_ids gen;		/* reply tokens, stop token excluded */
	struct strbuf text;		/* reply text, cut before a stop string */
	size_t emitted;			/* bytes of text handed out so far */
	size_t prompt_tokens, reused;	/* prompt length, positions taken from the cache */
	const char *finish;		/* NULL while running, then "stop" or "length" */
	float *logits;			/* (V) */
	int32_t next;			/* the token decode_pick chose, to run */
};

/* Stop strings of the template of g followed by extra (may be NULL), at most DECODE_MAX_STOPS. */
void decode_set_stops(struct decode *d, const struct generator *g, const char *const *extra, size_t nextra);

/*
 * Runs the prompt. The caller has checked that it fits the cache (one free
 * position at least). Returns 0 or -1 after printing why.
 */
int decode_start(struct decode *d, const struct generator *g, const struct token_ids *prompt);

/*
 * Picks one token and runs it. Text that is safe to hand out (no partial
 * UTF-8 character, no possible start of a stop string) is
 * text.buf[*from .. *to); when the reply ends, everything left is. Returns 0
 * while the reply goes on, 1 when it has ended (finish set), -1 on error.
 */
int decode_step(struct decode *d, const struct generator *g, size_t *from, size_t *to);

/*
 * decode_step in two halves, so a caller can run the chosen tokens of
 * several replies in one model_forward_batch: decode_pick chooses d->next
 * and hands out text as decode_step does (1 = ended, nothing to run);
 * after d->next has run into d->cache with its logits in d->logits,
 * decode_ran records it.
 */
int decode_pick(struct decode *d, const struct generator *g, size_t *from, size_t *to);
void decode_ran(struct decode *d);

void decode_release(struct decode *d);

#endif
