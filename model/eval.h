/*
 * eval.h - what the files of `winnow eval` share: the test records, one
 * result row per candidate, answer scoring (eval_answers.c) and the HTML
 * report (eval_report.c).
 */
#ifndef WINNOW_EVAL_H
#define WINNOW_EVAL_H

#include <stddef.h>

#include "decode.h"

struct eval_record {
	char *system, *instruction, *input, *output, *history;
};

struct eval_result {
	char model[512];	/* the base folder, and " + ADAPTER" when one was applied */
	const char *template;
	long records, tokens, cut;
	double loss;		/* mean nats per response token */
	double nll;		/* summed nats over every response token */
	size_t bytes;		/* UTF-8 bytes of the reference answers scored */
	/* with --generate */
	char **answers;		/* (records), owned */
	long too_long;		/* prompts that left no room to answer: empty answers */
	double rouge_l;		/* mean ROUGE-L F1 against the references */
	long exact, short_refs;	/* exact matches among the short references */
	int api;		/* answered on an LLM platform: no loss */
	long failed;		/* API answers that did not come: empty, scored 0 */
	/* with --judge (not for the first candidate) */
	double win_rate;	/* wins + half the ties, over the records judged */
	long judged, unjudged;	/* verdicts read, and answers the judge gave nothing readable for */
};

/*
 * ROUGE-L F1 of answer against reference: on characters (whitespace left
 * out, punctuation kept) when the reference holds CJK text, else on words
 * (ASCII letters lower-cased; ASCII punctuation separates words). *is_short
 * is set when the reference is short enough for exact match (at most 5
 * words, or 10 characters), *exact when the two token sequences are equal.
 */
double answer_rouge_l(const char *answer, const char *reference, int *is_short, int *exact);

/*
 * Answers every record with g, greedily, up to max_new tokens each, in a
 * cache of context positions, into res->answers, and scores them.
 * Returns 0 or -1 after printing why.
 */
int eval_generate(const struct generator *g, const struct eval_record *recs, long n, long max_new,
		  int context, struct eval_result *res);

/* eval_llm.c: candidates on an LLM platform, and the judge. Return 0 or -1 after printing why. */
struct command;
struct llm_options;
int eval_api_answers(struct command *cmd, const struct llm_options *lo, const char *model,
		     const struct eval_record *recs, long n, struct eval_result *res);
/* Win rate of res[1..nmodels) against res[0], record by record, as judged by the model judge. */
int eval_judge(struct command *cmd, const struct llm_options *lo, const char *judge,
	       const struct eval_record *recs, long n, struct eval_result *res, size_t nmodels);

/* Writes a self-contained HTML page: the table, a bar chart, answers side by side. */
int eval_write_report(const char *path, const struct eval_result *res, size_t nmodels,
		      const struct eval_record *recs, long nrecs);

#endif
