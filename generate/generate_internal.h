/*
 * generate_internal.h - shared by the generation commands (generate, answer,
 * augment): prompt pieces, reading items out of answers, and the filters
 * generated items pass before they become records.
 */
#ifndef WINNOW_GENERATE_INTERNAL_H
#define WINNOW_GENERATE_INTERNAL_H

#include "generate.h"
#include "../llm/llm_internal.h"

/* ---- tasks (task_cmd.c) ---- */

enum task_mode { TASK_QUESTIONS, TASK_PAIRS, TASK_DOCUMENTS };

struct task {
	int64_t id;
	char *name, *prompt, *system;
	json_t *seeds;		/* array of {instruction, input, output} */
	enum task_mode mode;
	long rounds;		/* generate runs completed */
};

/* Loads the task called name; returns 0, or -1 after printing that it does not exist. */
int task_load(sqlite3 *db, const char *name, struct task *t);
void task_release(struct task *t);
const char *task_mode_name(enum task_mode m);

/* Appends the task's feedback rules of kind "question" or "answer" (NULL: both), one per item. */
int task_feedback_rules(sqlite3 *db, int64_t task_id, const char *kind, struct string_list *rules);
/* Appends up to max instructions of the task's rejected records (counter-examples). */
int task_rejected_examples(sqlite3 *db, int64_t task_id, size_t max, struct string_list *out);

/* feedback_summarize.c: `winnow feedback summarize TASK` */
int cmd_feedback_summarize(int argc, char **argv);

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
