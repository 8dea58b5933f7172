/*
 * eval_llm.c - the LLM-platform side of `winnow eval --generate`:
 * candidates whose answers come from a model on an OpenAI-compatible
 * platform (--api-model, through winnow's LLM client with its cache,
 * budgets and retries), and --judge: an LLM that compares each candidate's
 * answer with the first candidate's, record by record, for a win rate.
 * Answer A and B swap places on every other record, so a judge that
 * prefers a position does not favour one candidate.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval.h"
#include "../db/corpus.h"
#include "../llm/llm.h"
#include "../lib/strbuf.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *user_turn(const struct eval_record *rec)
{
	return *rec->input ? xstrfmt("%s\n\n%s", rec->instruction, rec->input) : xstrdup(rec->instruction);
}

static struct llm_client *client_for(const struct llm_options *lo, const char *model, struct command *cmd)
{
	struct llm_options o = *lo;
	o.model = model;
	return llm_client_new(&o, cmd->db, cmd->run.id);
}

int eval_api_answers(struct command *cmd, const struct llm_options *lo, const char *model,
		     const struct eval_record *recs, long n, struct eval_result *res)
{
	struct llm_client *c = client_for(lo, model, cmd);
	struct llm_request *reqs;
	char **prompts;
	enum llm_run_result r;
	double rouge = 0;
	if (!c)
		return -1;
	snprintf(res->model, sizeof(res->model), "%s/%s", llm_client_provider(c), llm_client_model(c));
	res->template = "api";
	res->api = 1;
	res->records = n;
	reqs = xcalloc((size_t)n, sizeof(*reqs));
	prompts = xcalloc((size_t)n, sizeof(*prompts));
	for (long i = 0; i < n; i++) {
		llm_request_init(&reqs[i]);
		prompts[i] = user_turn(&recs[i]);
		reqs[i].system = *recs[i].system ? recs[i].system : NULL;
		reqs[i].prompt = prompts[i];
		reqs[i].purpose = "eval";
	}
	r = llm_run(c, reqs, (size_t)n, NULL, NULL);
	llm_count_run(&cmd->run, llm_client_totals(c));
	res->answers = xcalloc((size_t)n, sizeof(*res->answers));
	for (long i = 0; i < n; i++) {
		struct strbuf valid = STRBUF_INIT;
		int is_short, exact;
		if (reqs[i].status == LLM_FAILED || reqs[i].status == LLM_SKIPPED)
			res->failed++;
		text_append_valid(&valid, reqs[i].content.buf, reqs[i].content.len);
		res->answers[i] = strbuf_detach(&valid, NULL);
		rouge += answer_rouge_l(res->answers[i], recs[i].output, &is_short, &exact);
		res->short_refs += is_short;
		res->exact += is_short && exact;
		llm_request_release(&reqs[i]);
		free(prompts[i]);
	}
	res->rouge_l = rouge / (double)n;
	free(reqs);
	free(prompts);
	llm_client_free(c);
	return r == LLM_RUN_FATAL ? -1 : 0;
}

static const char judge_system[] =
	"You judge answers to a question. Compare answer A and answer B against the question and the "
	"reference answer: which is more correct and more helpful? Reply with JSON only: "
	"{\"winner\": \"A\"}, {\"winner\": \"B\"} or {\"winner\": \"tie\"}.";

/* The judge's verdict for the candidate: 1 win, 0.5 tie, 0 loss, -1 unreadable. */
static double verdict(const struct llm_request *req, int candidate_is_a)
{
	json_t *v = llm_extract_json(req->content.buf, req->content.len);
	const char *w = json_string_value(json_object_get(v, "winner"));
	double score = -1;
	if (req->status == LLM_OK && w) {
		if (!strcasecmp(w, "tie"))
			score = 0.5;
		else if (!strcasecmp(w, "A") || !strcasecmp(w, "B"))
			score = (!strcasecmp(w, "A")) == candidate_is_a ? 1 : 0;
	}
	json_decref(v);
	return score;
}

int eval_judge(struct command *cmd, const struct llm_options *lo, const char *judge,
	       const struct eval_record *recs, long n, struct eval_result *res, size_t nmodels)
{
	struct llm_client *c = client_for(lo, judge, cmd);
	size_t total = (nmodels - 1) * (size_t)n;
	struct llm_request *reqs;
	char **prompts;
	enum llm_run_result r;
	if (!c)
		return -1;
	reqs = xcalloc(total, sizeof(*reqs));
	prompts = xcalloc(total, sizeof(*prompts));
	for (size_t m = 1, k = 0; m < nmodels; m++)
		for (long i = 0; i < n; i++, k++) {
			char *q = user_turn(&recs[i]);
			const char *first = res[0].answers[i], *cand = res[m].answers[i];
			int cand_a = i % 2;
			prompts[k] = xstrfmt("Question:\n%s\n\nReference answer:\n%s\n\nAnswer A:\n%s\n\nAnswer B:\n%s",
					     q, recs[i].output, cand_a ? cand : first, cand_a ? first : cand);
			free(q);
			llm_request_init(&reqs[k]);
			reqs[k].system = judge_system;
			reqs[k].prompt = prompts[k];
			reqs[k].purpose = "eval:judge";
			reqs[k].json = 1;
		}
	r = llm_run(c, reqs, total, NULL, NULL);
	llm_count_run(&cmd->run, llm_client_totals(c));
	for (size_t m = 1, k = 0; m < nmodels; m++) {
		double wins = 0;
		for (long i = 0; i < n; i++, k++) {
			double v = verdict(&reqs[k], i % 2);
			if (v < 0) {
				res[m].unjudged++;
			} else {
				wins += v;
				res[m].judged++;
			}
			llm_request_release(&reqs[k]);
			free(prompts[k]);
		}
		res[m].win_rate = res[m].judged ? wins / (double)res[m].judged : -1;
	}
	free(reqs);
	free(prompts);
	llm_client_free(c);
	return r == LLM_RUN_FATAL ? -1 : 0;
}
