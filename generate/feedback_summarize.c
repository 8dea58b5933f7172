/*
 * llm_feedback_summarize.c - `winnow feedback summarize TASK`: after many
 * reviews a task collects dozens of overlapping notes; the LLM condenses
 * them into a short list of rules. Printed for a look by default; --apply
 * replaces the task's feedback with the rules (the review annotations the
 * notes came from stay in `annotations`).
 */
#include "../llm/llm.h"
#include "generate_internal.h"
#include "../db/corpus.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>

static const struct command_help summarize_help = {
	"winnow feedback summarize TASK [options]",
	"Condense a task's feedback notes into a short list of rules with an LLM.",
	"Prints the rules; with --apply they replace the task's feedback, so every\n"
	"later generation prompt carries the short list instead of every note.",
	"  winnow feedback summarize luck --provider deepseek\n"
	"  winnow feedback summarize luck --provider deepseek --max-rules 8 --apply",
};

/* Reads the rules out of the answer: {"rules": [...]} or a bare list. */
static int parse_rules(const char *text, size_t len, struct string_list *rules)
{
	json_t *v = llm_extract_json(text, len), *list;
	size_t i;
	json_t *item;
	list = json_is_object(v) ? json_object_get(v, "rules") : v;
	if (!json_is_array(list)) {
		json_decref(v);
		return -1;
	}
	json_array_foreach(list, i, item) {
		if (json_is_string(item) && json_string_length(item))
			string_list_append(rules, json_string_value(item));
	}
	json_decref(v);
	return rules->nr ? 0 : -1;
}

static int replace_feedback(sqlite3 *db, int64_t task_id, const struct string_list *rules)
{
	char now[32];
	sqlite3_stmt *del, *ins;
	int rc = 0;
	now_iso(now, sizeof(now));
	if (corpus_exec(db, "BEGIN IMMEDIATE"))
		return -1;
	del = corpus_prepare(db, "DELETE FROM feedback WHERE task_id = ?");
	ins = corpus_prepare(db, "INSERT OR IGNORE INTO feedback (task_id, text, origin, created_at) "
				 "VALUES (?, ?, 'manual', ?)");
	if (!del || !ins) {
		rc = -1;
	} else {
		sqlite3_bind_int64(del, 1, task_id);
		rc = sqlite3_step(del) == SQLITE_DONE ? 0 : -1;
		for (size_t i = 0; !rc && i < rules->nr; i++) {
			sqlite3_bind_int64(ins, 1, task_id);
			sqlite3_bind_text(ins, 2, rules->items[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 3, now, -1, SQLITE_STATIC);
			rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
			sqlite3_reset(ins);
		}
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	if (rc || corpus_exec(db, "COMMIT")) {
		error("cannot replace the feedback: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int cmd_feedback_summarize(int argc, char **argv)
{
	struct llm_options lo;
	long max_rules = 10;
	int apply = 0, rc;
	llm_options_init(&lo);
	lo.temperature = 0.2;
	struct option opts[] = {
		OPT_INT(0, "max-rules", &max_rules, "N", 1, 50, "at most N rules (default 10)"),
		OPT_FLAG(0, "apply", &apply, "replace the task's feedback with the rules"),
		LLM_OPTIONS(&lo),
		OPT_END(),
	};
	struct string_list notes = STRING_LIST_INIT, rules = STRING_LIST_INIT;
	struct strbuf prompt = STRBUF_INIT;
	struct llm_request req;
	struct llm_client *c = NULL;
	sqlite3_stmt *st;
	int64_t task_id;
	struct run run;
	sqlite3 *db;

	argc = parse_options(argc, argv, opts, &summarize_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&summarize_help, "say which TASK");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "feedback summarize");
	llm_request_init(&req);

	st = corpus_prepare(db, "SELECT id FROM tasks WHERE name = ?");
	task_id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, argv[0], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			task_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!task_id) {
		error("no task '%s'; see 'winnow task list'", argv[0]);
		rc = run_end(&run, EXIT_FAILURE_, "nothing summarized");
		goto out;
	}
	st = corpus_prepare(db, "SELECT text FROM feedback WHERE task_id = ? ORDER BY id");
	if (st) {
		sqlite3_bind_int64(st, 1, task_id);
		while (sqlite3_step(st) == SQLITE_ROW)
			string_list_append(&notes, (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (notes.nr < 2) {
		printf("task '%s' has %zu feedback note%s: nothing to condense\n", argv[0], notes.nr,
		       notes.nr == 1 ? "" : "s");
		rc = run_end(&run, EXIT_OK, "nothing to summarize");
		goto out;
	}

	strbuf_addf(&prompt, "Reviewers wrote these notes about mistakes in examples generated for the "
		    "task \"%s\":\n\n", argv[0]);
	for (size_t i = 0; i < notes.nr; i++)
		strbuf_addf(&prompt, "- %s\n", notes.items[i]);
	strbuf_addf(&prompt, "\nCondense them into at most %ld short, concrete rules the generator must "
		    "follow: merge notes that say the same thing, keep every distinct point, drop nothing "
		    "that a note insists on. Write the rules in the language most notes are written in. "
		    "Answer with JSON only: {\"rules\": [\"...\", ...]}", max_rules);
	req.prompt = prompt.buf;
	req.purpose = "feedback-summarize";
	req.json = 1;

	c = llm_client_new(&lo, db, run.id);
	if (!c) {
		rc = run_end(&run, EXIT_USAGE, "nothing summarized");
		goto out;
	}
	if (llm_run(c, &req, 1, NULL, NULL) == LLM_RUN_FATAL || req.status != LLM_OK) {
		if (req.status == LLM_FAILED)
			error("the LLM call failed: %s", req.error);
		rc = run_end(&run, EXIT_TEMPFAIL, "nothing summarized; run it again later");
		goto out;
	}
	if (parse_rules(req.content.buf, req.content.len, &rules)) {
		error("the answer holds no list of rules; run again with --no-cache to ask anew");
		rc = run_end(&run, EXIT_FAILURE_, "nothing summarized");
		goto out;
	}
	while (rules.nr > (size_t)max_rules)
		free(rules.items[--rules.nr]);
	for (size_t i = 0; i < rules.nr; i++)
		printf("%2zu. %s\n", i + 1, rules.items[i]);
	run_count(&run, "notes", (int64_t)notes.nr);
	run_count(&run, "rules", (int64_t)rules.nr);
	if (apply && replace_feedback(db, task_id, &rules)) {
		rc = run_end(&run, EXIT_FAILURE_, "the feedback was left as it was");
		goto out;
	}
	rc = run_end(&run, EXIT_OK, "%zu notes condensed into %zu rules%s", notes.nr, rules.nr,
		     apply ? ", now the task's feedback" : " (add --apply to use them)");
out:
	llm_request_release(&req);
	llm_client_free(c);
	strbuf_release(&prompt);
	string_list_clear(&notes);
	string_list_clear(&rules);
	corpus_close(db);
	return rc;
}
