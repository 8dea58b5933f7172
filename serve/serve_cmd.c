/*
 * serve_cmd.c - `winnow serve`: options, loading the base model and each
 * adapter (one model each, sharing the tokenizer), and running the server.
 */
#define _POSIX_C_SOURCE 200809L
#include "serve.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct command_help serve_help = {
	"winnow serve --base DIR [--adapter NAME=DIR]... [options]",
	"Serve models over an OpenAI-compatible HTTP API.",
	"Endpoints: GET /v1/models, POST /v1/chat/completions (messages through the\n"
	"model's chat template; \"stream\": true sends server-sent events ending with\n"
	"data: [DONE]) and POST /v1/completions (raw text). A request's \"model\" is the\n"
	"base's --name (default: its folder name) or an adapter's NAME. Requests that\n"
	"arrive together are decoded together, one token each per round, in up to\n"
	"--parallel slots; greedy output (temperature 0) equals `winnow chat`'s. Past the\n"
	"limits, clients get OpenAI-style errors: 400 bad request, 401 bad key, 404\n"
	"unknown model, 413 body too large, 429 queue full, 503 too many connections or\n"
	"shutting down. Ctrl-C stops accepting and finishes the requests in flight.\n"
	"response_format json_object is accepted but not enforced.",
	"winnow serve --base models/qwen --adapter support=out/support-lora --port 8000\n"
	"winnow llm ask --provider openai --base-url http://127.0.0.1:8000/v1 --model support \"Hi\"\n"
	"WINNOW_KEY=secret winnow serve --base models/qwen --api-key-env WINNOW_KEY --host 0.0.0.0"
};

static const char *folder_name(const char *dir)
{
	size_t len = strlen(dir);
	static char name[256];
	while (len > 1 && dir[len - 1] == '/')
		len--;
	const char *start = dir + len;
	while (start > dir && start[-1] != '/')
		start--;
	snprintf(name, sizeof(name), "%.*s", (int)(dir + len - start), start);
	return name;
}

/* Loads the base and every NAME=DIR adapter into s->models. */
static int load_models(struct server *s, const char *base, const char *name,
		       const struct string_list *adapters, const char *template, long *context)
{
	s->models = xcalloc(adapters->nr + 2, sizeof(*s->models));	/* NULL-name ended */
	s->models[0].name = xstrdup(name ? name : folder_name(base));
	if (generator_load(&s->models[0].g, base, NULL, QUANT_NONE, template, NULL, context))
		return -1;
	s->nmodels = 1;
	for (size_t i = 0; i < adapters->nr; i++) {
		const char *eq = strchr(adapters->items[i], '=');
		struct serve_model *sm = &s->models[s->nmodels];
		if (!eq || eq == adapters->items[i] || !eq[1])
			return error("--adapter '%s' must be NAME=DIR", adapters->items[i]);
		sm->name = xstrndup(adapters->items[i], (size_t)(eq - adapters->items[i]));
		for (int k = 0; k < s->nmodels; k++)
			if (!strcmp(s->models[k].name, sm->name))
				return error("two models are named '%s'; give each --adapter its own NAME", sm->name);
		sm->adapter = xstrdup(eq + 1);
		if (generator_load(&sm->g, base, sm->adapter, QUANT_NONE, template, s->models[0].g.tok, context))
			return error("cannot load the adapter '%s'", sm->adapter);
		s->nmodels++;
	}
	return 0;
}

static void unload_models(struct server *s)
{
	for (int i = s->nmodels - 1; i >= 0; i--)
		generator_unload(&s->models[i].g, i == 0);
	for (int i = 0; s->models && s->models[i].name; i++) {
		free(s->models[i].name);
		free(s->models[i].adapter);
	}
	free(s->models);
}

int cmd_serve(int argc, char **argv)
{
	const char *base = NULL, *name = NULL, *host = "127.0.0.1", *template = "auto", *key_env = NULL;
	struct string_list adapters = STRING_LIST_INIT;
	long port = 8000, parallel = 4, queue = 64, conns = 64, context = 4096, max_tokens = 2048;
	long max_body = 2 << 20;
	double timeout = 60;
	struct option opts[] = {
		OPT_STRING('b', "base", &base, "DIR", "a Hugging Face model folder"),
		OPT_STRING(0, "name", &name, "NAME", "the base model's name in requests (default: its folder name)"),
		OPT_LIST(0, "adapter", &adapters, "NAME=DIR", "also serve the base with this LoRA adapter "
			 "as model NAME (repeatable)"),
		OPT_STRING(0, "host", &host, "ADDR", "address to listen on (default 127.0.0.1)"),
		OPT_INT('p', "port", &port, "N", 0, 65535, "port (default 8000; 0 = any free one)"),
		OPT_CHOICE(0, "template", &template, "auto|alpaca|chatml|llama3|llama2",
			   "chat template (default auto: from the tokenizer)"),
		OPT_STRING(0, "api-key-env", &key_env, "VAR", "require the key in environment variable VAR "
			   "(Authorization: Bearer KEY)"),
		OPT_INT(0, "parallel", &parallel, "N", 1, 256, "requests decoded together (default 4)"),
		OPT_INT(0, "queue", &queue, "N", 0, 100000, "requests waiting beyond those; more get 429 (default 64)"),
		OPT_INT(0, "max-connections", &conns, "N", 1, 10000, "open connections; more get 503 (default 64)"),
		OPT_INT(0, "context", &context, "N", 16, 1 << 20, "positions per request, prompt and reply "
			"(default 4096, at most the model's)"),
		OPT_INT(0, "max-tokens", &max_tokens, "N", 1, 1 << 20, "largest max_tokens a request may ask "
			"for, and the default (2048)"),
		OPT_INT(0, "max-body", &max_body, "BYTES", 1024, 1L << 30, "largest request body (default 2 MiB)"),
		OPT_DOUBLE(0, "timeout", &timeout, "SECONDS", 0.1, 86400, "time a client has to send its "
			   "request or to read more of its answer (default 60)"),
		OPT_END(),
	};
	struct server s;
	int rc = EXIT_OK;

	argc = parse_options(argc, argv, opts, &serve_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (!base)
		return usage_error(&serve_help, "serve needs --base DIR");
	if (argc > 0)
		return usage_error(&serve_help, "serve takes no arguments besides its options");
	memset(&s, 0, sizeof(s));
	if (key_env) {
		s.api_key = getenv(key_env);
		if (!s.api_key || !*s.api_key) {
			string_list_clear(&adapters);
			return usage_error(&serve_help, "--api-key-env %s: that environment variable is empty", key_env);
		}
	}
	if (load_models(&s, base, name, &adapters, template, &context)) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	s.lim = (struct serve_limits){ .max_header = 64 << 10, .max_body = (size_t)max_body,
				       .max_tokens = max_tokens, .parallel = (int)parallel, .queue = (int)queue,
				       .max_connections = (int)conns, .timeout = timeout, .context = (int)context };
	s.started = (long)time(NULL);
	if (engine_init(&s) || server_run(&s, host, (int)port))
		rc = EXIT_FAILURE_;
out:
	engine_free(&s);
	unload_models(&s);
	string_list_clear(&adapters);
	return rc;
}
