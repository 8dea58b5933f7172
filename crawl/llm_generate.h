/*
 * llm_generate.h - shared by the generation commands (generate, answer,
 * augment): prompt pieces, reading items out of answers, and the filters
 * generated items pass before they become records.
 */
#ifndef WINNOW_LLM_GENERATE_H
#define WINNOW_LLM_GENERATE_H

#include "llm_internal.h"

struct rouge_index;

enum gen_verdict { GEN_KEEP, GEN_EMPTY, GEN_TOO_SHORT, GEN_TOO_LONG, GEN_BLOCKED, GEN_SIMILAR,
		   GEN_VERDICTS };

struct gen_filter {
	long min_chars, max_chars;	/* instruction length in characters */
	double threshold;		/* ROUGE-L above this is too similar */
	int documents;			/* also block "according to the text" and the like */
	struct string_list block;	/* extra blocked words (--block) */
	struct rouge_index *index;	/* seeds, existing records and items kept so far */
};

void gen_filter_init(struct gen_filter *f, int documents);
void gen_filter_release(struct gen_filter *f);
/*
 * Checks one item. GEN_SIMILAR sets *similar_to to the id given to the
 * indexed instruction it resembles. Does not add the item to the index.
 */
enum gen_verdict gen_filter_check(struct gen_filter *f, const char *instruction, const char *output,
				  int need_output, int64_t *similar_to);
void gen_filter_add(struct gen_filter *f, int64_t id, const char *instruction);
/* "kept", "empty", "too_short", ... (also the run count names) */
const char *gen_verdict_name(enum gen_verdict v);

/*
 * The items of an answer as a JSON array of {instruction, input, output}
 * strings (trimmed): from the first JSON value when there is one, else
 * from a numbered list (whose last line is dropped when truncated).
 * Never NULL; the caller decrefs.
 */
json_t *gen_parse_items(const char *text, size_t len, int truncated);

/* Appends examples as a numbered list (with input/output when with_output). */
void gen_prompt_examples(struct strbuf *p, json_t *examples, int with_output);
/* Appends the feedback rules and rejected counter-examples sections (if any). */
void gen_prompt_feedback(struct strbuf *p, const struct string_list *rules,
			 const struct string_list *rejected);

#endif
