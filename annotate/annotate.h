/*
 * annotate.h - the public API of annotate/: human review (a full-screen
 * terminal reviewer, and JSON Lines export/import for reviewing
 * elsewhere), the LLM judge with its calibration against people, LLM
 * correction of flawed records, and `winnow run`,
 * the whole pipeline for cron.
 *
 * How annotate/ uses the corpus:
 *  1. Every decision is an `annotations` row (author = reviewer name or
 *     llm:MODEL; verdict accept, reject, fix or edit) plus a stage move,
 *     committed together in one transaction.
 *  2. "Needs fix" is not a stage: the judge rejects the record with
 *     reason `needs-fix` and a `fix` annotation; `winnow fix` turns it into
 *     a new raw record (origin fix, parent = the flawed one) and sets the
 *     flawed one's reason to `fixed`.
 *  3. A human rejection note is also a `feedback` row (origin review,
 *     annotation_id set) for the record's task.
 *
 * Functions that return memory say who frees it.
 */
#ifndef WINNOW_ANNOTATE_H
#define WINNOW_ANNOTATE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/options.h"
#include "../lib/strbuf.h"

/* ---- terminal text (wrap.c) ---- */

/*
 * Splits s[0..len) into lines of at most width display columns (CJK
 * characters take two) and appends them to out: at newlines, at the last
 * space that fits, between two CJK characters, or anywhere inside a run
 * longer than a line. Tabs become spaces, other control characters and
 * invalid UTF-8 become U+FFFD, so nothing written can move the cursor.
 * An empty text gives one empty line.
 */
void wrap_text(const char *s, size_t len, size_t width, struct string_list *out);

/* ---- the editor file (review_edit.c) ---- */

/* The five text fields of a record, owned (free with edit_fields_release). */
struct edit_fields {
	char *field[5];	/* instruction, input, output, system, history */
};
void edit_fields_release(struct edit_fields *f);
/* Writes the fields as the text a person edits: "=== winnow:NAME ===" sections. */
void edit_format(struct strbuf *out, int64_t id, char *const field[5]);
/*
 * Parses an edited file back. Returns 0, or -1 with the problem in err
 * (missing section, empty instruction, or empty output unless
 * allow_no_output (a question not answered yet), history not a list of
 * [question, answer] pairs).
 */
int edit_parse(const char *text, size_t len, int allow_no_output, struct edit_fields *out, char *err,
	       size_t errsize);

/* ---- judge arithmetic (judge_rubric.c) ---- */

/* Agreement of two raters on yes/no decisions: counts[judge][human], 1 = accept. */
struct agreement {
	double observed;	/* share of records both raters decided alike */
	double expected;	/* share expected by chance from each rater's own rates */
	double kappa;		/* Cohen's kappa: (observed - expected) / (1 - expected) */
	long n;
	int undefined;		/* no records, or chance agreement is 1: kappa means nothing (0) */
};
/* Fills a from a 2x2 table counts[judge][human], index 1 = accept, 0 = reject. */
void agreement_compute(const long counts[2][2], struct agreement *a);
/* "poor ...", "slight", "fair", "moderate", "substantial", "almost perfect" (Landis & Koch). */
const char *kappa_words(double kappa);

struct rubric {
	size_t nr;
	char *name[16];		/* JSON key the judge answers with, e.g. "clarity" */
	char *description[16];
};
/* The built-in rubric: clarity, correctness, helpfulness, fluency, harmlessness. */
void rubric_default(struct rubric *r);
/*
 * Reads "name: description" lines ('#' comments, blank lines ignored).
 * Returns 0, or -1 after printing an error naming the file and line.
 */
int rubric_load(struct rubric *r, const char *path);
void rubric_release(struct rubric *r);
/*
 * Reads the judge's answer: a JSON object with an integer 1..5 for every
 * criterion and a "rationale" string. Fills scores[] (rubric order),
 * *overall (their mean) and rationale (appended). Returns 0, or -1 with
 * what was wrong in err.
 */
int rubric_parse_answer(const struct rubric *r, const char *text, size_t len, double *scores,
			double *overall, struct strbuf *rationale, char *err, size_t errsize);

/* ---- commands ---- */
int cmd_review(int argc, char **argv);
int cmd_judge(int argc, char **argv);
int cmd_fix(int argc, char **argv);

#endif
