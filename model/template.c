/*
 * template.c - prompt templates: a record (system, history, instruction,
 * input, output) becomes token ids and loss labels the way LLaMA-Factory
 * builds them, so a model trained here sees what it would see there.
 *
 * A conversation is a list of turns (history pairs, then the record's own
 * instruction and output). Each turn is encoded as pieces, each piece
 * tokenised on its own and the ids concatenated:
 *   [BOS] [system piece] user piece | response ids, end token [, "\n"]
 * Prompt pieces are labelled LABEL_IGNORE; response ids and the end token
 * (and ChatML's newline after <|im_end|>, part of LLaMA-Factory's assistant
 * slot) are labelled with themselves.
 *
 * alpaca keeps the Stanford Alpaca wording: the preamble (or the record's
 * system prompt in its place), "### Instruction:", "### Input:" when there
 * is input, "### Response:", and the output directly after, then EOS.
 */
#include "template.h"
#include "../lib/util.h"

#include <jansson.h>
#include <string.h>

static const char alpaca_preamble[] =
	"Below is an instruction that describes a task. "
	"Write a response that appropriately completes the request.";
static const char alpaca_preamble_input[] =
	"Below is an instruction that describes a task, paired with an input that provides "
	"further context. Write a response that appropriately completes the request.";

static const char *const template_names[] = {
	[TEMPLATE_AUTO] = "auto", [TEMPLATE_ALPACA] = "alpaca", [TEMPLATE_CHATML] = "chatml",
	[TEMPLATE_LLAMA3] = "llama3", [TEMPLATE_LLAMA2] = "llama2",
};

int template_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(template_names) / sizeof(template_names[0]); i++)
		if (!strcmp(name, template_names[i]))
			return (int)i;
	if (!strcmp(name, "qwen"))
		return TEMPLATE_CHATML;
	return -1;
}

const char *template_name(enum template_kind kind)
{
	return (unsigned)kind < sizeof(template_names) / sizeof(template_names[0]) ? template_names[kind] : "?";
}

enum template_kind template_detect(const struct tokenizer *tok)
{
	const char *t = tokenizer_chat_template(tok);
	if (!t || !*t)
		return TEMPLATE_ALPACA;
	if (strstr(t, "<|im_start|>"))
		return TEMPLATE_CHATML;
	if (strstr(t, "<|start_header_id|>"))
		return TEMPLATE_LLAMA3;
	if (strstr(t, "[INST]"))
		return TEMPLATE_LLAMA2;
	warning("the tokenizer's chat_template is none of chatml, llama3, llama2; using alpaca "
		"(choose one with --template)");
	return TEMPLATE_ALPACA;
}

const char *const *template_stop_strings(enum template_kind kind)
{
	static const char *const alpaca[] = { "### Instruction:", NULL };
	static const char *const chatml[] = { "<|im_end|>", "<|im_start|>", "<|endoftext|>", NULL };
	static const char *const llama3[] = { "<|eot_id|>", "<|eom_id|>", "<|start_header_id|>", NULL };
	static const char *const llama2[] = { "[INST]", "</s>", NULL };
	switch (kind) {
	case TEMPLATE_CHATML: return chatml;
	case TEMPLATE_LLAMA3: return llama3;
	case TEMPLATE_LLAMA2: return llama2;
	default: return alpaca;
	}
}

int32_t template_end_token(const struct tokenizer *tok, enum template_kind kind)
{
	int32_t id = -1;
	if (kind == TEMPLATE_CHATML)
		id = tokenizer_token_id(tok, "<|im_end|>");
	else if (kind == TEMPLATE_LLAMA3)
		id = tokenizer_token_id(tok, "<|eot_id|>");
	return id >= 0 ? id : tokenizer_eos(tok);
}

/* --- encoding ------------------------------------------------------------- */

struct turn {
	const char *user, *assistant;
	char *owned_user;	/* instruction + "\n" + input, freed after */
};

/* Appends the ids of text; labelled LABEL_IGNORE (prompt) or with themselves (response). */
static int add_piece(const struct tokenizer *tok, const char *text, size_t len, int is_response,
		     struct token_ids *ids, struct token_ids *labels)
{
	size_t from = ids->n;
	if (tokenizer_encode(tok, text, len, ids))
		return -1;
	if (labels)
		for (size_t i = from; i < ids->n; i++)
			token_ids_push(labels, is_response ? ids->ids[i] : LABEL_IGNORE);
	return 0;
}

static void add_id(int32_t id, int is_response, struct token_ids *ids, struct token_ids *labels)
{
	token_ids_push(ids, id);
	if (labels)
		token_ids_push(labels, is_response ? id : LABEL_IGNORE);
}

static int add_str(const struct tokenizer *tok, const struct strbuf *sb, struct token_ids *ids, struct token_ids *labels)
{
	return add_piece(tok, sb->buf, sb->len, 0, ids, labels);
}

/* The turns of ex: history pairs, then instruction (+ input) with output. */
static int collect_turns(const struct chat_example *ex, json_t **history, struct turn **turns, size_t *n)
{
	json_error_t err;
	json_t *pair;
	size_t i;

	*history = NULL;
	*n = 0;
	if (ex->history && *ex->history) {
		*history = json_loads(ex->history, 0, &err);
		if (!*history || !json_is_array(*history))
			return error("history is not a JSON list of [question, answer] pairs%s%s",
				     *history ? "" : ": ", *history ? "" : err.text);
	}
	*turns = xcalloc(json_array_size(*history) + 1, sizeof(**turns));
	json_array_foreach(*history, i, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(json_array_get(pair, 0)) || !json_is_string(json_array_get(pair, 1)))
			return error("history item %zu is not a [question, answer] pair of strings", i + 1);
		(*turns)[*n].user = json_string_value(json_array_get(pair, 0));
		(*turns)[*n].assistant = json_string_value(json_array_get(pair, 1));
		(*n)++;
	}
	return 0;
}

/*
 * Encodes the conversation; the last turn's response only when
 * with_response. Returns 0 or -1.
 */
static int encode(const struct tokenizer *tok, enum template_kind kind, const struct chat_example *ex,
		  int with_response, struct token_ids *ids, struct token_ids *labels)
{
	const char *system = ex->system ? ex->system : "", *input = ex->input ? ex->input : "";
	json_t *history = NULL;
	struct turn *turns = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	int32_t bos = tokenizer_bos(tok), end = template_end_token(tok, kind);
	int rc = -1;

	if (kind == TEMPLATE_AUTO)
		kind = template_detect(tok);
	if (end < 0) {
		error("the %s template needs an end token, but the tokenizer has no %s", template_name(kind),
		      kind == TEMPLATE_CHATML ? "<|im_end|> or eos token" :
		      kind == TEMPLATE_LLAMA3 ? "<|eot_id|> or eos token" : "eos token");
		goto cleanup;
	}
	if (collect_turns(ex, &history, &turns, &n))
		goto cleanup;
	turns[n].user = ex->instruction ? ex->instruction : "";
	turns[n].assistant = ex->output ? ex->output : "";
	if (kind != TEMPLATE_ALPACA && *input)	/* alpaca has its own "### Input:" */
		turns[n].user = turns[n].owned_user = xstrfmt("%s\n%s", turns[n].user, input);
	n++;

	/* BOS: part of the Llama 2/3 formats; elsewhere only when the tokenizer asks for it */
	if (bos >= 0 && (kind == TEMPLATE_LLAMA3 || (kind != TEMPLATE_LLAMA2 && tokenizer_add_bos(tok))))
		add_id(bos, 0, ids, labels);
	for (size_t i = 0; i < n; i++) {
		const struct turn *t = &turns[i];
		int last = i + 1 == n;
		strbuf_reset(&sb);
		switch (kind) {
		case TEMPLATE_CHATML:
			if (i == 0 && *system) {
				strbuf_addf(&sb, "<|im_start|>system\n%s<|im_end|>\n", system);
				if (add_str(tok, &sb, ids, labels))
					goto cleanup;
				strbuf_reset(&sb);
			}
			strbuf_addf(&sb, "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n", t->user);
			break;
		case TEMPLATE_LLAMA3:
			if (i == 0 && *system) {
				strbuf_addf(&sb, "<|start_header_id|>system<|end_header_id|>\n\n%s<|eot_id|>", system);
				if (add_str(tok, &sb, ids, labels))
					goto cleanup;
				strbuf_reset(&sb);
			}
			strbuf_addf(&sb, "<|start_header_id|>user<|end_header_id|>\n\n%s<|eot_id|>"
					 "<|start_header_id|>assistant<|end_header_id|>\n\n", t->user);
			break;
		case TEMPLATE_LLAMA2:
			if (bos >= 0)
				add_id(bos, 0, ids, labels);
			strbuf_addstr(&sb, "[INST] ");
			if (i == 0 && *system)
				strbuf_addf(&sb, "<<SYS>>\n%s\n<</SYS>>\n\n", system);
			strbuf_addf(&sb, "%s [/INST]", t->user);
			break;
		default:	/* alpaca */
			if (i == 0)
				strbuf_addstr(&sb, *system ? system : *input ? alpaca_preamble_input : alpaca_preamble);
			strbuf_addf(&sb, "\n\n### Instruction:\n%s\n\n", t->user);
			if (last && *input)
				strbuf_addf(&sb, "### Input:\n%s\n\n", input);
			strbuf_addstr(&sb, "### Response:");
			break;
		}
		if (add_str(tok, &sb, ids, labels))
			goto cleanup;
		if (last && !with_response)
			break;
		if (add_piece(tok, t->assistant, strlen(t->assistant), 1, ids, labels))
			goto cleanup;
		add_id(end, 1, ids, labels);
		if (kind == TEMPLATE_CHATML && add_piece(tok, "\n", 1, 1, ids, labels))
			goto cleanup;
	}
	rc = 0;
cleanup:
	for (size_t i = 0; i < n; i++)
		free(turns[i].owned_user);
	free(turns);
	json_decref(history);
	strbuf_release(&sb);
	return rc;
}

int template_encode(const struct tokenizer *tok, enum template_kind kind,
		    const struct chat_example *ex, struct token_ids *ids, struct token_ids *labels)
{
	return encode(tok, kind, ex, 1, ids, labels);
}

int template_encode_prompt(const struct tokenizer *tok, enum template_kind kind,
			   const struct chat_example *ex, struct token_ids *ids)
{
	return encode(tok, kind, ex, 0, ids, NULL);
}
