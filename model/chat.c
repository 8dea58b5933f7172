/*
 * chat.c - `winnow chat`: talk to a model, one prompt from the command line
 * or a conversation read line by line from stdin. Replies stream as they
 * are generated; each new token costs one position thanks to the key/value
 * cache, and a new turn only runs the tokens that differ from what the
 * cache already holds (the conversation so far is a shared prefix).
 *
 * A reply ends at an end-of-sequence token (tokenizer, config.json or
 * generation_config.json), at one of the template's stop strings, or after
 * --max-tokens tokens.
 */
#define _POSIX_C_SOURCE 200809L
#include "lora.h"
#include "model.h"
#include "template.h"
#include "tokenizer.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_STOP_IDS 32

static const struct command_help chat_help = {
	"winnow chat --base DIR [options] [\"PROMPT\"]",
	"Talk to a model: one prompt, or a conversation from stdin.",
	"With a PROMPT, prints the model's reply and exits. Without one, reads one user\n"
	"turn per line from stdin and replies to each, keeping the conversation; a line\n"
	"/reset starts a new conversation, end of input ends it. Greedy decoding unless\n"
	"--temperature is above 0; then --top-k and --top-p narrow the choice, and\n"
	"--seed makes a run repeatable.",
	"winnow chat --base models/tiny \"Name three colours.\"\n"
	"winnow chat --base models/qwen --temperature 0.7 --top-p 0.9 --seed 1\n"
	"echo 'What is 2+2?' | winnow chat --base models/qwen --system 'Answer briefly.'"
};

struct chat {
	struct model *m;
	struct tokenizer *tok;
	enum template_kind kind;
	struct kv_cache cache;
	struct token_ids cached;	/* the ids whose keys/values the cache holds */
	struct sampler sampler;
	int32_t stop_ids[MAX_STOP_IDS];
	int nstop;
	const char *const *stop_strings;
	long max_tokens;
	int verbose;
	float *logits;
};

static void add_stop_id(struct chat *c, int32_t id)
{
	if (id < 0 || id >= c->m->cfg.vocab || c->nstop == MAX_STOP_IDS)
		return;
	for (int i = 0; i < c->nstop; i++)
		if (c->stop_ids[i] == id)
			return;
	c->stop_ids[c->nstop++] = id;
}

static int is_stop_id(const struct chat *c, int32_t id)
{
	for (int i = 0; i < c->nstop; i++)
		if (c->stop_ids[i] == id)
			return 1;
	return 0;
}

/* eos_token_id of generation_config.json, a number or a list, when present. */
static void add_generation_config_eos(struct chat *c, const char *dir)
{
	char *path = xstrfmt("%s/generation_config.json", dir);
	json_t *root = json_load_file(path, 0, NULL), *eos, *v;
	size_t i;
	free(path);
	if (!root)
		return;
	eos = json_object_get(root, "eos_token_id");
	if (json_is_integer(eos))
		add_stop_id(c, (int32_t)json_integer_value(eos));
	json_array_foreach(eos, i, v)
		if (json_is_integer(v))
			add_stop_id(c, (int32_t)json_integer_value(v));
	json_decref(root);
}

/*
 * How much of text can be printed: not a partial UTF-8 character at the
 * end, and not a tail that may be the start of a stop string.
 */
static size_t printable(const struct strbuf *text, const char *const *stops)
{
	size_t end = text->len, hold = 0;
	for (size_t back = 1; back <= 4 && back <= end; back++) {
		unsigned char b = (unsigned char)text->buf[end - back];
		if ((b & 0xc0) == 0x80)
			continue;
		size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
		if (need > back)
			end -= back;
		break;
	}
	for (int s = 0; stops && stops[s]; s++) {
		size_t sl = strlen(stops[s]);
		for (size_t k = sl ? sl - 1 : 0; k > hold; k--)
			if (k <= end && !memcmp(text->buf + end - k, stops[s], k)) {
				hold = k;
				break;
			}
	}
	return end - hold;
}

/* Runs the prompt (reusing the cached prefix) and streams the reply to out. */
static int reply(struct chat *c, const struct token_ids *prompt, struct strbuf *answer, FILE *out)
{
	struct token_ids gen = { NULL, 0, 0 };
	struct strbuf text = STRBUF_INIT;
	size_t keep = 0, printed = 0;
	long budget = c->max_tokens;
	double t0 = now_seconds(), t1;
	int rc = 0, done = 0;

	if (prompt->n + 1 > (size_t)c->cache.cap)
		return error("the conversation is %zu tokens; the model's context here is %d. Start a "
			     "new one with /reset or a shorter prompt", prompt->n, c->cache.cap);
	if ((long)(c->cache.cap - (int)prompt->n) < budget)
		budget = c->cache.cap - (long)prompt->n;
	while (keep < c->cached.n && keep + 1 < prompt->n && c->cached.ids[keep] == prompt->ids[keep])
		keep++;
	c->cache.len = (int)keep;
	c->cached.n = keep;
	if (model_forward(c->m, &c->cache, prompt->ids + keep, (int)(prompt->n - keep), NULL, c->logits))
		return -1;
	for (size_t i = keep; i < prompt->n; i++)
		token_ids_push(&c->cached, prompt->ids[i]);
	t1 = now_seconds();

	while (!done && (long)gen.n < budget) {
		int32_t tok = sampler_next(&c->sampler, c->logits, c->m->cfg.vocab);
		size_t upto;
		if (is_stop_id(c, tok))
			break;
		token_ids_push(&gen, tok);
		strbuf_reset(&text);
		if (tokenizer_decode(c->tok, gen.ids, gen.n, 0, &text)) {
			rc = -1;
			break;
		}
		for (int s = 0; c->stop_strings && c->stop_strings[s]; s++) {
			char *hit = strstr(text.buf, c->stop_strings[s]);
			if (hit) {
				text.len = (size_t)(hit - text.buf);
				text.buf[text.len] = 0;
				done = 1;
			}
		}
		upto = done ? text.len : printable(&text, c->stop_strings);
		if (upto > printed) {
			fwrite(text.buf + printed, 1, upto - printed, out);
			fflush(out);
			printed = upto;
		}
		if (done || (long)gen.n == budget)
			break;
		if (model_forward(c->m, &c->cache, &tok, 1, NULL, c->logits)) {
			rc = -1;
			break;
		}
		token_ids_push(&c->cached, tok);
	}
	if (!rc && printed < text.len)
		fwrite(text.buf + printed, 1, text.len - printed, out);
	fputc('\n', out);
	fflush(out);
	if (c->verbose) {
		double t2 = now_seconds();
		fprintf(stderr, "[prompt %zu tokens (%zu new) at %.1f tokens/s; reply %zu tokens at "
			"%.1f tokens/s]\n", prompt->n, prompt->n - keep,
			(double)(prompt->n - keep) / (t1 - t0 > 0 ? t1 - t0 : 1e-9), gen.n,
			(double)gen.n / (t2 - t1 > 0 ? t2 - t1 : 1e-9));
	}
	strbuf_add(answer, text.buf, text.len);
	strbuf_release(&text);
	token_ids_release(&gen);
	return rc;
}

/* Encodes the turn with history; drops the oldest turns while it does not fit. */
static int turn(struct chat *c, const char *system, const char *user, json_t *history, FILE *out)
{
	struct token_ids ids = { NULL, 0, 0 };
	struct strbuf answer = STRBUF_INIT;
	int rc;
	for (;;) {
		char *hist = json_dumps(history, JSON_COMPACT);
		struct chat_example ex = { system, user, "", "", hist };
		ids.n = 0;
		rc = template_encode_prompt(c->tok, c->kind, &ex, &ids);
		free(hist);
		if (rc || ids.n + 16 <= (size_t)c->cache.cap || !json_array_size(history))
			break;
		json_array_remove(history, 0);
	}
	if (!rc)
		rc = reply(c, &ids, &answer, out);
	if (!rc)
		json_array_append_new(history, json_pack("[ss]", user, answer.buf));
	token_ids_release(&ids);
	strbuf_release(&answer);
	return rc;
}

int cmd_chat(int argc, char **argv)
{
	const char *base = NULL, *adapter = NULL, *template_opt = "auto", *system = "";
	double temperature = 0, top_p = 1;
	long top_k = 0, seed = 0, max_tokens = 512, context = 4096;
	int verbose = 0, rc = EXIT_OK;
	struct option opts[] = {
		OPT_STRING('b', "base", &base, "DIR", "a Hugging Face model folder"),
		OPT_STRING(0, "adapter", &adapter, "DIR", "a PEFT LoRA adapter (winnow train's --out) applied to it"),
		OPT_CHOICE(0, "template", &template_opt, "auto|alpaca|chatml|llama3|llama2",
			   "prompt template (default auto: from the tokenizer's chat template)"),
		OPT_STRING('s', "system", &system, "TEXT", "a system prompt"),
		OPT_DOUBLE(0, "temperature", &temperature, "T", 0, 100, "0 = greedy (the default)"),
		OPT_DOUBLE(0, "top-p", &top_p, "P", 0, 1, "sample from the smallest set of tokens "
			   "whose probability reaches P (default 1 = off)"),
		OPT_INT(0, "top-k", &top_k, "K", 0, 1 << 24, "sample from the K likeliest tokens "
			"(default 0 = off)"),
		OPT_INT(0, "seed", &seed, "N", 0, 2147483647L, "random seed for sampling (default 0)"),
		OPT_INT('n', "max-tokens", &max_tokens, "N", 1, 1 << 20, "longest reply (default 512)"),
		OPT_INT(0, "context", &context, "N", 16, 1 << 20,
			"positions kept for the conversation (default 4096, at most the model's)"),
		OPT_FLAG('v', "verbose", &verbose, "print prompt and generation speed on stderr"),
		OPT_END(),
	};
	struct chat c;
	json_t *history;
	int kind;

	argc = parse_options(argc, argv, opts, &chat_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (!base)
		return usage_error(&chat_help, "chat needs --base DIR");
	if (argc > 1)
		return usage_error(&chat_help, "give the prompt as one argument (quote it)");

	memset(&c, 0, sizeof(c));
	c.tok = tokenizer_load(base);
	if (!c.tok)
		return EXIT_FAILURE_;
	{
		struct model_config cfg;
		if (model_config_load(base, &cfg)) {
			tokenizer_free(c.tok);
			return EXIT_FAILURE_;
		}
		if (context > cfg.max_position)
			context = cfg.max_position;
	}
	c.m = model_load(base, (int)context);
	if (!c.m || tokenizer_fits_model(c.tok, c.m, base) || (adapter && lora_apply(c.m, adapter)) ||
	    kv_cache_init(&c.cache, c.m, (int)context)) {
		model_free(c.m);
		tokenizer_free(c.tok);
		return EXIT_FAILURE_;
	}
	kind = template_from_name(template_opt);
	c.kind = kind == TEMPLATE_AUTO ? template_detect(c.tok) : (enum template_kind)kind;
	c.stop_strings = template_stop_strings(c.kind);
	c.max_tokens = max_tokens;
	c.verbose = verbose;
	c.logits = xmalloc((size_t)c.m->cfg.vocab * sizeof(float));
	sampler_init(&c.sampler, temperature, top_p, (int)top_k, (uint64_t)seed);
	add_stop_id(&c, tokenizer_eos(c.tok));
	for (int i = 0; i < c.m->cfg.n_eos; i++)
		add_stop_id(&c, c.m->cfg.eos_ids[i]);
	add_generation_config_eos(&c, base);
	for (int s = 0; c.stop_strings && c.stop_strings[s]; s++)
		add_stop_id(&c, tokenizer_token_id(c.tok, c.stop_strings[s]));

	history = json_array();
	if (argc == 1) {
		if (turn(&c, system, argv[0], history, stdout))
			rc = EXIT_FAILURE_;
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		int tty = isatty(0);
		if (tty)
			fprintf(stderr, "chatting with %s (template %s); /reset starts over, Ctrl-D ends\n",
				base, template_name(c.kind));
		for (;;) {
			if (tty)
				fputs("> ", stderr);
			if ((len = getline(&line, &cap, stdin)) < 0)
				break;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = 0;
			if (!len)
				continue;
			if (!strcmp(line, "/reset")) {
				json_array_clear(history);
				continue;
			}
			if (turn(&c, system, line, history, stdout)) {
				rc = EXIT_FAILURE_;
				break;
			}
		}
		free(line);
	}
	json_decref(history);
	free(c.logits);
	sampler_release(&c.sampler);
	token_ids_release(&c.cached);
	kv_cache_free(&c.cache);
	model_free(c.m);
	tokenizer_free(c.tok);
	return rc;
}
