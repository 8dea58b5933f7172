/*
 * main.c - the command table. Set up, look the command up, run it.
 */
#include <stdio.h>
#include <string.h>

#include "annotate/annotate.h"
#include "clean/clean.h"
#include "crawl/crawl.h"
#include "llm/llm.h"
#include "db/corpus.h"
#include "dedupe/dedupe.h"
#include "generate/generate.h"
#include "lib/options.h"
#include "lib/util.h"
#include "model/lora.h"
#include "model/model.h"
#include "model/tokenizer.h"
#include "pipeline/pipeline.h"
#include "serve/serve.h"

static int cmd_help(int argc, char **argv);

static const struct command_entry {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	/* collect */
	{ "init", cmd_init, "create or migrate the corpus" },
	{ "source", cmd_source, "add, list or remove the sites to crawl (rules and schedule)" },
	{ "crawl", cmd_crawl, "fetch what is due from the sites, extract main text and Q&A, store" },
	{ "extract", cmd_extract, "print the main text (or Q&A records) of one page or file" },
	{ "import", cmd_import, "add records from Alpaca / ShareGPT / JSONL / CSV files or URLs" },
	{ "task", cmd_task, "generation tasks: instruction prompt, seed examples, mode" },
	{ "feedback", cmd_feedback, "mistakes found in review, fed back into a task's prompts" },
	{ "generate", cmd_generate, "ask an LLM platform for new records like a task's seeds" },
	{ "answer", cmd_answer, "write the outputs of a questions task's records with an LLM" },
	{ "augment", cmd_augment, "variants of records with an LLM: paraphrase, evol-deepen/broaden, translate" },
	{ "llm", cmd_llm, "ask the configured LLM platform one prompt; spend by provider, model, task" },
	/* clean, dedupe, annotate */
	{ "clean", cmd_clean, "normalise, filter and mask PII (raw -> clean | rejected)" },
	{ "dedupe", cmd_dedupe, "remove exact and near-duplicate records (clean -> unique | duplicate)" },
	{ "review", cmd_review, "review records by hand in the terminal, or via --export/--import" },
	{ "judge", cmd_judge, "score unique records with an LLM on a rubric; approve or mark for fixing" },
	{ "fix", cmd_fix, "correct flawed records with an LLM; each fix re-enters the pipeline as raw" },
	{ "run", cmd_run, "the whole pipeline once (crawl, clean, dedupe, judge, fix, export), for cron" },
	/* export and look inside */
	{ "export", cmd_export, "write Alpaca JSON (+ dataset_info.json), JSONL or ShareGPT, with splits" },
	{ "search", cmd_search, "full-text search of records and documents (Chinese works)" },
	{ "sql", cmd_sql, "run SQL on the corpus" },
	{ "stats", cmd_stats, "counts by stage, origin, source, task and length" },
	{ "schema", cmd_schema, "the corpus tables and what each column means" },
	/* models */
	{ "tokenize", cmd_tokenize, "token ids or counts of each line under a Hugging Face tokenizer" },
	{ "model", cmd_model, "create a random Llama model in Hugging Face layout (model init)" },
	{ "train", cmd_train, "fine-tune a model on the CPU: LoRA (PEFT adapter) or --full" },
	{ "merge", cmd_merge, "fold a LoRA adapter into its base model (a whole checkpoint)" },
	{ "eval", cmd_eval, "compare models on a test file: loss, bits per byte; --generate scores their answers" },
	{ "chat", cmd_chat, "talk to a model: one prompt or a conversation on stdin" },
	{ "serve", cmd_serve, "serve models over an OpenAI-compatible HTTP API (chat, completions, adapters)" },
	{ "help", cmd_help, "show help for winnow or a command" },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct command_entry *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void list_commands(FILE *out)
{
	fprintf(out, "usage: winnow [--db PATH] COMMAND [options]\n\n"
		     "winnow turns raw material into a fine-tuning dataset and a fine-tuned model:\n"
		     "crawl, import and generate records, clean, dedupe, review and export them, and\n"
		     "train on the CPU. Everything lives in one SQLite corpus.\n\ncommands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'winnow help COMMAND' or 'winnow COMMAND --help' shows a command's options.\n"
		     "The corpus is ./winnow.db unless --db PATH or WINNOW_DB says otherwise.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct command_entry *c;
	if (argc < 2) {
		list_commands(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c || c->fn == cmd_help) {
		if (!c)
			error("unknown command '%s'", argv[1]);
		list_commands(c ? stdout : stderr);
		return c ? EXIT_OK : EXIT_USAGE;
	}
	char *args[] = { argv[1], "--help", NULL };
	return c->fn(2, args);
}

int main(int argc, char **argv)
{
	int i = 1;
	const struct command_entry *c;

	/* global options before the command */
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			opt_db_path = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--db=", 5)) {
			opt_db_path = argv[i] + 5;
			i++;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			list_commands(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("winnow 0.1.0 (corpus schema %d)\n", corpus_schema_version());
			return EXIT_OK;
		} else {
			error("unknown option '%s' before the command", argv[i]);
			list_commands(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		list_commands(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[i]);
	if (!c) {
		error("'%s' is not a winnow command; see 'winnow help'", argv[i]);
		return EXIT_USAGE;
	}
	run_set_argv(argc - 1, argv + 1);
	return c->fn(argc - i, argv + i);
}
