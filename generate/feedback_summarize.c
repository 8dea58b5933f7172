/*
 * feedback_summarize.c - `winnow feedback summarize TASK`: after many
 * reviews a task collects dozens of overlapping notes; the LLM condenses
 * them into a short list of rules, the question rules and the answer rules
 * each on their own. It always prints what would change as a diff (- a
 * note replaced, + a new rule, = unchanged); --apply makes the change.
 *
 * Rules written by hand (`feedback add`, origin manual) are kept as they
 * are and left out of the summary unless --replace-manual: a person's rule
 * is never dropped because a model left it out. Review notes and earlier
 * summaries are replaced by the new rules (origin summary); the review
 * annotations the notes came from stay in `annotations`.
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
	"Condense a task's review notes into a short list of rules with an LLM.",
	"The question rules and the answer rules are condensed separately. Prints the\n"
	"change as a diff: '-' a note that goes, '+' a new rule, '=' a rule that stays,\n"
	"'  manual' a rule written by hand, kept. With --apply the notes are replaced by\n"
	"the rules, so every later prompt carries the short list. Hand-written rules\n"
	"(feedback add) are kept and not sent unless --replace-manual.",
	"  winnow feedback summarize luck --provider deepseek\n"
	"  winnow feedback summarize luck --provider deepseek --max-rules 8 --apply",
};

/* One kind of rules: what is there, what the model made of it. */
struct rule_set {
	const char *kind;		/* "question" or "answer" */
	struct string_list kept;	/* manual rules left alone */
	struct string_list notes;	/* the notes sent (replaced on --apply) */
	struct string_list rules;	/* the answer */
	char *prompt;
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

static int load_notes(sqlite3 *db, int64_t task_id, int replace_manual, struct rule_set *set)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT origin, text FROM feedback WHERE task_id = ? AND kind = ? "
					      "ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_text(st, 2, set->kind, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int manual = !strcmp((const char *)sqlite3_column_text(st, 0), "manual");
		string_list_append(manual && !replace_manual ? &set->kept : &set->notes,
				   (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return 0;
}

static char *build_prompt(const char *task, const struct rule_set *set, long max_rules)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "Reviewers wrote these notes about mistakes in the %ss of examples generated for "
		    "the task \"%s\":\n\n", set->kind, task);
	for (size_t i = 0; i < set->notes.nr; i++)
		strbuf_addf(&p, "- %s\n", set->notes.items[i]);
	if (set->kept.nr) {
		strbuf_addstr(&p, "\nThese rules already exist and stay; do not repeat them:\n");
		for (size_t i = 0; i < set->kept.nr; i++)
			strbuf_addf(&p, "- %s\n", set->kept.items[i]);
	}
	strbuf_addf(&p, "\nCondense the notes into at most %ld short, concrete rules for writing the %ss: "
		    "merge notes that say the same thing, keep every distinct point, drop nothing that a note "
		    "insists on. Write the rules in the language most notes are written in. Answer with JSON "
		    "only: {\"rules\": [\"...\", ...]}", max_rules, set->kind);
	return strbuf_detach(&p, NULL);
}

static int listed(const struct string_list *l, const char *s)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

/* The change as a diff; returns how many lines change. */
static size_t print_diff(const struct rule_set *set)
{
	size_t changes = 0;
	printf("%s rules:\n", set->kind);
	for (size_t i = 0; i < set->kept.nr; i++)
		printf("  manual %s\n", set->kept.items[i]);
	for (size_t i = 0; i < set->notes.nr; i++)
		if (!listed(&set->rules, set->notes.items[i])) {
			printf("- %s\n", set->notes.items[i]);
			changes++;
		}
	for (size_t i = 0; i < set->rules.nr; i++) {
		int same = listed(&set->notes, set->rules.items[i]);
		printf("%c %s\n", same ? '=' : '+', set->rules.items[i]);
		changes += !same;
	}
	return changes;
}

/* Replaces the notes of every set with its rules, in one transaction. */
static int apply_rules(sqlite3 *db, int64_t task_id, int replace_manual, struct rule_set *sets, int nsets)
{
	char now[32];
	int rc = 0;
	sqlite3_stmt *del = NULL, *ins = NULL;
	now_iso(now, sizeof(now));
	if (corpus_exec(db, "BEGIN IMMEDIATE"))
		return -1;
	del = corpus_prepare(db, "DELETE FROM feedback WHERE task_id = ?1 AND kind = ?2 AND (?3 OR origin <> 'manual')");
	ins = corpus_prepare(db, "INSERT OR IGNORE INTO feedback (task_id, text, origin, kind, created_at) "
				 "VALUES (?1, ?2, 'summary', ?3, ?4)");
	rc = del && ins ? 0 : -1;
	for (int k = 0; !rc && k < nsets; k++) {
		if (!sets[k].rules.nr)
			continue;	/* not asked: left as it is */
		sqlite3_bind_int64(del, 1, task_id);
		sqlite3_bind_text(del, 2, sets[k].kind, -1, SQLITE_STATIC);
		sqlite3_bind_int(del, 3, replace_manual);
		rc = sqlite3_step(del) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(del);
		for (size_t i = 0; !rc && i < sets[k].rules.nr; i++) {
			sqlite3_bind_int64(ins, 1, task_id);
			sqlite3_bind_text(ins, 2, sets[k].rules.items[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 3, sets[k].kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 4, now, -1, SQLITE_STATIC);
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

/*
 * Asks for the rules of every set with two notes or more. Returns 0, or
 * the exit code after printing why it failed.
 */
static int ask_rules(struct llm_client *c, const char *task, struct rule_set *sets, int nsets, long max_rules)
{
	struct llm_request reqs[2];
	struct rule_set *asked[2];
	size_t n = 0;
	int rc = 0;
	for (int k = 0; k < nsets; k++) {
		if (sets[k].notes.nr < 2)
			continue;
		sets[k].prompt = build_prompt(task, &sets[k], max_rules);
		llm_request_init(&reqs[n]);
		reqs[n].prompt = sets[k].prompt;
		reqs[n].purpose = "feedback-summarize";
		reqs[n].json = 1;
		asked[n++] = &sets[k];
	}
	if (llm_run(c, reqs, n, NULL, NULL) == LLM_RUN_FATAL)
		rc = EXIT_TEMPFAIL;
	for (size_t i = 0; i < n; i++) {
		if (!rc && reqs[i].status != LLM_OK) {
			if (reqs[i].status == LLM_FAILED)
				error("the LLM call failed: %s", reqs[i].error);
			rc = EXIT_TEMPFAIL;
		} else if (!rc && parse_rules(reqs[i].content.buf, reqs[i].content.len, &asked[i]->rules)) {
			error("the answer for the %s rules holds no list of rules; run again with --no-cache to "
			      "ask anew", asked[i]->kind);
			rc = EXIT_FAILURE_;
		}
		while (asked[i]->rules.nr > (size_t)max_rules)
			free(asked[i]->rules.items[--asked[i]->rules.nr]);
		llm_request_release(&reqs[i]);
	}
	return rc;
}

int cmd_feedback_summarize(int argc, char **argv)
{
	struct llm_options lo;
	long max_rules = 10;
	int apply = 0, replace_manual = 0, rc = 0;
	llm_options_init(&lo);
	lo.temperature = 0.2;
	struct option opts[] = {
		OPT_INT(0, "max-rules", &max_rules, "N", 1, 50, "at most N rules of each kind (default 10)"),
		OPT_FLAG(0, "apply", &apply, "replace the notes with the rules"),
		OPT_FLAG(0, "replace-manual", &replace_manual, "also condense and replace the hand-written rules"),
		LLM_OPTIONS(&lo),
		OPT_END(),
	};
	struct rule_set sets[2] = {
		{ "question", STRING_LIST_INIT, STRING_LIST_INIT, STRING_LIST_INIT, NULL },
		{ "answer", STRING_LIST_INIT, STRING_LIST_INIT, STRING_LIST_INIT, NULL },
	};
	struct llm_client *c = NULL;
	size_t notes = 0, rules = 0, changes = 0;
	struct task task;
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
	if (task_load(db, argv[0], &task)) {
		rc = run_end(&run, EXIT_FAILURE_, "nothing summarized");
		corpus_close(db);
		return rc;
	}
	for (int k = 0; k < 2; k++) {
		if (load_notes(db, task.id, replace_manual, &sets[k]))
			rc = EXIT_FAILURE_;
		notes += sets[k].notes.nr >= 2 ? sets[k].notes.nr : 0;
	}
	if (!rc && !notes) {
		printf("task '%s' has fewer than two review notes of either kind: nothing to condense%s\n",
		       task.name, replace_manual ? "" : " (hand-written rules are kept; --replace-manual includes them)");
		rc = run_end(&run, EXIT_OK, "nothing to summarize");
		goto out;
	}
	if (!rc && !(c = llm_client_new(&lo, db, run.id)))
		rc = EXIT_USAGE;
	if (!rc)
		rc = ask_rules(c, task.name, sets, 2, max_rules);
	if (rc) {
		rc = run_end(&run, rc, "nothing summarized; the feedback was left as it was");
		goto out;
	}
	for (int k = 0; k < 2; k++)
		if (sets[k].rules.nr) {
			changes += print_diff(&sets[k]);
			rules += sets[k].rules.nr;
		}
	run_count(&run, "notes", (int64_t)notes);
	run_count(&run, "rules", (int64_t)rules);
	if (apply && apply_rules(db, task.id, replace_manual, sets, 2)) {
		rc = run_end(&run, EXIT_FAILURE_, "the feedback was left as it was");
		goto out;
	}
	rc = run_end(&run, EXIT_OK, "%zu notes condensed into %zu rules (%zu lines change)%s", notes, rules, changes,
		     apply ? ", now the task's feedback" : "; add --apply to use them");
out:
	for (int k = 0; k < 2; k++) {
		string_list_clear(&sets[k].kept);
		string_list_clear(&sets[k].notes);
		string_list_clear(&sets[k].rules);
		free(sets[k].prompt);
	}
	llm_client_free(c);
	task_release(&task);
	corpus_close(db);
	return rc;
}
