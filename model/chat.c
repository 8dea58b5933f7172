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
#include "decode.h"
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
	struct generator g;
	struct kv_cache cache;
	struct token_ids cached;	/* the ids whose keys/values the cache holds */
	struct sampler sampler;
	long max_tokens;
	int verbose;
};

/* Runs the prompt (reusing the cached prefix) and streams the reply to out. */
static int reply(struct chat *c, const struct token_ids *prompt, struct strbuf *answer, FILE *out)
{
	struct decode d = { .cache = &c->cache, .cached = &c->cached, .sampler = &c->sampler,
			    .max_tokens = c->max_tokens };
	double t0 = now_seconds(), t1;
	size_t from, to;
	int rc, step = 0;

	int cap = c->cache.cap - c->g.m->prompt_len;	/* a prompt adapter's virtual tokens come first */
	if (prompt->n + 1 > (size_t)cap)
		return error("the conversation is %zu tokens; the model's context here is %d. Start a "
			     "new one with /reset or a shorter prompt", prompt->n, cap);
	decode_set_stops(&d, &c->g, NULL, 0);
	rc = decode_start(&d, &c->g, prompt);
	t1 = now_seconds();
	while (!rc && (step = decode_step(&d, &c->g, &from, &to)) >= 0) {
		fwrite(d.text.buf + from, 1, to - from, out);
		fflush(out);
		if (step)
			break;
	}
	if (step < 0)
		rc = -1;
	fputc('\n', out);
	fflush(out);
	if (c->verbose && !rc) {
		double t2 = now_seconds();
		size_t fresh = d.prompt_tokens - d.reused;
		fprintf(stderr, "[prompt %zu tokens (%zu new) at %.1f tokens/s; reply %zu tokens at "
			"%.1f tokens/s]\n", d.prompt_tokens, fresh,
			(double)fresh / (t1 - t0 > 0 ? t1 - t0 : 1e-9), d.gen.n,
			(double)d.gen.n / (t2 - t1 > 0 ? t2 - t1 : 1e-9));
	}
	strbuf_add(answer, d.text.buf, d.text.len);
	decode_release(&d);
	return rc;
}

/* Encodes the turn with history (dropping the oldest turns while it does not fit) and replies. */
static int turn(struct chat *c, const char *system, const char *user, json_t *history, FILE *out)
{
	struct token_ids ids = { NULL, 0, 0 };
	struct strbuf answer = STRBUF_INIT;
	int rc = chat_render(&c->g, system, user, history, c->cache.cap, &ids);
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
	const char *base = NULL, *adapter = NULL, *template_opt = "auto", *system = "", *quant_opt = NULL;
	enum quant_type quant;
	double temperature = 0, top_p = 1;
	long top_k = 0, seed = 0, max_tokens = 512, context = 4096;
	int verbose = 0, rc = EXIT_OK;
	struct option opts[] = {
		OPT_STRING('b', "base", &base, "DIR", "a Hugging Face model folder"),
		OPT_STRING(0, "adapter", &adapter, "DIR", "a PEFT adapter (LoRA, prompt tuning or P-tuning; winnow train's --out) applied to it"),
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
		OPT_CHOICE(0, "quant", &quant_opt, "nf4|q8|q4", QUANT_OPTION_HELP),
		OPT_END(),
	};
	struct chat c;
	json_t *history;

	argc = parse_options(argc, argv, opts, &chat_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (!base)
		return usage_error(&chat_help, "chat needs --base DIR");
	if (argc > 1)
		return usage_error(&chat_help, "give the prompt as one argument (quote it)");

	memset(&c, 0, sizeof(c));
	if (quant_option(quant_opt, &quant))
		return EXIT_USAGE;
	if (generator_load(&c.g, base, adapter, quant, template_opt, NULL, &context))
		return EXIT_FAILURE_;
	if (kv_cache_init(&c.cache, c.g.m, (int)context)) {
		generator_unload(&c.g, 1);
		return EXIT_FAILURE_;
	}
	c.max_tokens = max_tokens;
	c.verbose = verbose;
	sampler_init(&c.sampler, temperature, top_p, (int)top_k, (uint64_t)seed);

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
				base, template_name(c.g.kind));
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
	sampler_release(&c.sampler);
	token_ids_release(&c.cached);
	kv_cache_free(&c.cache);
	generator_unload(&c.g, 1);
	return rc;
}
