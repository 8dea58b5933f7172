/*
 * llm_cmd.c - `winnow llm ask` (one prompt to the configured platform: the
 * quickest way to check a key, a model and the limits before a big run)
 * and `winnow llm stats` (what the calls cost, by provider, model and task).
 */
#include "llm_internal.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct command_help llm_help = {
	"winnow llm ask|stats [options]",
	"Talk to the configured LLM platform, or see what the calls so far cost.",
	"  ask PROMPT   send one prompt (--n K for K answers) and print the answers\n"
	"  stats        calls, tokens and latency by provider, model and task\n"
	"Every call is stored in the table llm_calls; an identical request is answered\n"
	"from there unless --no-cache. Keys come from the environment only.",
	"  ZHIPUAI_API_KEY=... winnow llm ask --provider zhipu '用一句话介绍你自己'\n"
	"  winnow llm ask --provider ollama --model qwen2.5:7b --json 'Give {\"ok\": true}'\n"
	"  winnow llm stats",
};

struct ask_state {
	int json, printed;
};

static int print_answer(struct llm_request *req, void *ctx)
{
	struct ask_state *as = ctx;
	if (req->status != LLM_OK && req->status != LLM_TRUNCATED)
		return 0;
	if (as->printed++)
		putchar('\n');
	if (as->json) {
		json_t *v = llm_extract_json(req->content.buf, req->content.len);
		char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (text)
			printf("%s\n", text);
		else
			warning("answer %d holds no JSON value", req->sample + 1);
		free(text);
		json_decref(v);
	} else {
		fwrite(req->content.buf, 1, req->content.len, stdout);
		putchar('\n');
	}
	if (req->status == LLM_TRUNCATED)
		warning("answer %d was cut off at the token limit (finish_reason length)", req->sample + 1);
	return 0;
}

/* The exit code and summary shared by commands after llm_run. */
int llm_run_exit(enum llm_run_result r, const struct llm_totals *t)
{
	if (r == LLM_RUN_FATAL)
		return EXIT_FAILURE_;
	if (t->failed > t->failed_permanent)	/* some may work later */
		return EXIT_TEMPFAIL;
	if (t->failed)				/* none will: a too large answer, a refusal */
		return EXIT_FAILURE_;
	return EXIT_OK;
}

static int cmd_llm_ask(int argc, char **argv)
{
	struct llm_options lo;
	const char *system = NULL;
	long n = 1;
	int json = 0, rc;
	llm_options_init(&lo);
	struct option opts[] = {
		LLM_OPTIONS(&lo),
		OPT_STRING(0, "system", &system, "TEXT", "system message"),
		OPT_FLAG(0, "json", &json, "ask for JSON and print the first JSON value of each answer"),
		OPT_INT('n', "n", &n, "K", 1, 1000, "how many answers (requests are looped; default 1)"),
		OPT_END(),
	};
	static const struct command_help help = {
		"winnow llm ask [options] PROMPT",
		"Send one prompt to the LLM platform and print the answer.",
		NULL, "  winnow llm ask --provider deepseek '你好'",
	};
	struct run run;
	struct llm_client *c;
	struct llm_request *reqs;
	struct ask_state as = { 0, 0 };
	sqlite3 *db;
	enum llm_run_result r;

	argc = parse_options(argc, argv, opts, &help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&help, "give one PROMPT (quote it)");
	as.json = json;
	db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "llm ask");
	c = llm_client_new(&lo, db, run.id);
	if (!c) {
		rc = run_end(&run, EXIT_USAGE, "no call made");
		corpus_close(db);
		return rc;
	}
	reqs = xcalloc((size_t)n, sizeof(*reqs));
	for (long i = 0; i < n; i++) {
		llm_request_init(&reqs[i]);
		reqs[i].system = system;
		reqs[i].prompt = argv[0];
		reqs[i].purpose = "ask";
		reqs[i].json = json;
		reqs[i].sample = (int)i;
	}
	r = llm_run(c, reqs, (size_t)n, print_answer, &as);
	const struct llm_totals *t = llm_client_totals(c);
	llm_count_run(&run, t);
	rc = llm_run_exit(r, t);
	rc = run_end(&run, rc, "%d answer%s from %s/%s: %ld call%s, %ld cached, %ld retried, %ld failed, "
		     "%ld + %ld tokens", as.printed, as.printed == 1 ? "" : "s", llm_client_provider(c),
		     llm_client_model(c), t->calls, t->calls == 1 ? "" : "s", t->cached, t->retries,
		     t->failed, t->tokens_in, t->tokens_out);
	for (long i = 0; i < n; i++)
		llm_request_release(&reqs[i]);
	free(reqs);
	llm_client_free(c);
	corpus_close(db);
	return rc;
}

static int cmd_llm_stats(int argc, char **argv)
{
	const char *since = NULL;
	struct option opts[] = {
		OPT_STRING(0, "since", &since, "DATE", "only calls made on or after DATE (e.g. 2025-01-31)"),
		OPT_END(),
	};
	static const struct command_help help = {
		"winnow llm stats [--since DATE]",
		"Calls, cache hits, tokens and latency by provider, model and task.",
		"'calls' counts requests that reached the platform (retries included); 'errors'\n"
		"those that did not get an answer. Tokens are as the platform reported them.",
		"  winnow llm stats\n  winnow llm stats --since 2025-06-01",
	};
	sqlite3 *db;
	sqlite3_stmt *st;
	int rows = 0;
	argc = parse_options(argc, argv, opts, &help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&help, "stats takes no arguments");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	st = corpus_prepare(db,
		"SELECT provider, model, task, count(*), "
		"sum(status IN ('ok','truncated')), sum(status NOT IN ('ok','truncated')), "
		"sum(tokens_in), sum(tokens_out), avg(latency) FROM llm_calls "
		"WHERE ?1 IS NULL OR created_at >= ?1 "
		"GROUP BY provider, model, task ORDER BY provider, model, task");
	if (!st) {
		corpus_close(db);
		return EXIT_FAILURE_;
	}
	if (since)
		sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	printf("%-10s %-20s %-24s %7s %7s %7s %10s %10s %8s\n", "provider", "model", "task", "calls",
	       "answers", "errors", "tokens_in", "tokens_out", "latency");
	while (sqlite3_step(st) == SQLITE_ROW) {
		printf("%-10s %-20s %-24s %7lld %7lld %7lld %10lld %10lld %7.2fs\n",
		       (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2), (long long)sqlite3_column_int64(st, 3),
		       (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5),
		       (long long)sqlite3_column_int64(st, 6), (long long)sqlite3_column_int64(st, 7),
		       sqlite3_column_double(st, 8));
		rows++;
	}
	if (!rows)
		printf("(no calls yet)\n");
	sqlite3_finalize(st);
	corpus_close(db);
	return EXIT_OK;
}

int cmd_llm(int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{ "ask", cmd_llm_ask }, { "stats", cmd_llm_stats }, { NULL, NULL },
	};
	return run_subcommand(argc, argv, subs, &llm_help);
}
