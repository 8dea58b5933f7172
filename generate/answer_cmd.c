/*
 * answer_cmd.c - `winnow answer TASK`: the second pass of a questions
 * task. Each raw record of the task without an output is sent as the user
 * message, and the answer becomes its output. The system message is the
 * task's system prompt (or --system), then a few of the seeds with their
 * outputs as examples of the answers wanted, then the task's answer rules,
 * so the answers follow the seeds' style and the review's corrections.
 * Only the system prompt itself is stored (--keep-system). Answers cut off
 * at the token limit are not stored. Rejected questions are never asked:
 * only raw records are.
 */
#include "generate_internal.h"
#include "../db/corpus.h"
#include "../lib/file.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct question {
	int64_t id;
	char *instruction, *input, *prompt;
};

struct answering {
	sqlite3 *db;
	sqlite3_stmt *update;
	const char *system;	/* stored in records.system with --keep-system, else NULL */
	long answered, truncated, empty, conflicts;
	int failed;
};

static int on_answer(struct llm_request *req, void *ctx)
{
	struct answering *a = ctx;
	struct question *q = req->data;
	struct strbuf out = STRBUF_INIT;
	char now[32];
	int rc;
	if (req->status == LLM_FAILED)
		return 0;
	if (req->status == LLM_TRUNCATED) {
		a->truncated++;
		return 0;
	}
	strbuf_add(&out, req->content.buf, req->content.len);
	strbuf_trim(&out);
	if (!out.len) {
		a->empty++;
		strbuf_release(&out);
		return 0;
	}
	const char *system = a->system ? a->system : "";
	struct record r = { q->instruction, q->input, out.buf, system, "[]",
			    strlen(q->instruction), strlen(q->input), out.len, strlen(system), 2 };
	now_iso(now, sizeof(now));
	sqlite3_bind_text(a->update, 1, out.buf, (int)out.len, SQLITE_STATIC);
	sqlite3_bind_text(a->update, 2, system, -1, SQLITE_STATIC);
	sqlite3_bind_int64(a->update, 3, record_hash(&r));
	sqlite3_bind_text(a->update, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(a->update, 5, q->id);
	rc = sqlite3_step(a->update);
	if (rc == SQLITE_DONE) {
		a->answered += sqlite3_changes(a->db) > 0;
	} else if (sqlite3_extended_errcode(a->db) == SQLITE_CONSTRAINT_UNIQUE) {
		a->conflicts++;	/* the same question and answer is already a record */
	} else {
		error("corpus: cannot store the answer of record %lld: %s", (long long)q->id, sqlite3_errmsg(a->db));
		a->failed = 1;
	}
	sqlite3_reset(a->update);
	strbuf_release(&out);
	return a->failed;
}

static const struct command_help answer_help = {
	"winnow answer TASK [options]",
	"Write the outputs of a questions task's records with the LLM platform.",
	"Takes the task's raw records whose output is empty (made by `winnow generate`\n"
	"in questions mode; review them first, rejected ones are never answered), sends\n"
	"each instruction (and input) with a system message made of the task's system\n"
	"prompt or --system, up to --examples seeds that have outputs (the style to\n"
	"follow) and the task's answer rules (winnow feedback add --for answer, or\n"
	"review notes about answers), and stores the answer as the output. Answers cut\n"
	"off at the token limit are left out (raise --answer-tokens). Run it again to\n"
	"continue.",
	"  winnow answer luck --provider zhipu --system fortune_teller.txt\n"
	"  winnow answer luck --limit 50 --provider deepseek --parallel 8",
};

struct answer_options {
	struct llm_options llm;
	const char *task, *system_path;
	long limit, examples;
	int keep_system;
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int answer_parse_options(int argc, char **argv, struct answer_options *o)
{
	memset(o, 0, sizeof(*o));
	o->examples = 3;
	llm_options_init(&o->llm);
	struct option opts[] = {
		OPT_INT(0, "examples", &o->examples, "N", 0, 50, "seeds with outputs shown as examples (default 3; "
			"0: none)"),
		OPT_STRING(0, "system", &o->system_path, "FILE", "system prompt (default: the task's, if any)"),
		OPT_FLAG(0, "keep-system", &o->keep_system, "also store the system prompt in the records' system field"),
		OPT_INT(0, "limit", &o->limit, "N", 0, 100000000, "answer at most N records"),
		LLM_OPTIONS(&o->llm),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &answer_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&answer_help, "say which TASK to answer");
	o->task = argv[0];
	return OPTIONS_GO_ON;
}

static void question_free(struct question *q)
{
	free(q->instruction);
	free(q->input);
	free(q->prompt);
}

/* The task's raw records without an output, at most limit (0: all). */
static int answer_collect(sqlite3 *db, int64_t task_id, long limit, struct question **qs, size_t *nq)
{
	size_t alloc = 0;
	sqlite3_stmt *st = corpus_prepare(db, "SELECT id, instruction, input FROM records WHERE task_id = ? "
					      "AND stage = 'raw' AND output = '' ORDER BY id LIMIT ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct question *q;
		if (*nq == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*qs = xrealloc(*qs, alloc * sizeof(**qs));
		}
		q = &(*qs)[(*nq)++];
		q->id = sqlite3_column_int64(st, 0);
		q->instruction = xstrdup((const char *)sqlite3_column_text(st, 1));
		q->input = xstrdup((const char *)sqlite3_column_text(st, 2));
		q->prompt = *q->input ? xstrfmt("%s\n\n%s", q->instruction, q->input) : xstrdup(q->instruction);
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * The system message sent with every question: the system prompt, up to
 * max seeds that have an output, and the task's answer rules. Returns the
 * number of examples shown (*rules: rules shown), or -1.
 */
static int answer_system(sqlite3 *db, const struct task *task, const char *system, long max,
			 struct strbuf *out, size_t *nrules)
{
	struct string_list rules = STRING_LIST_INIT;
	json_t *examples = json_array(), *s;
	size_t i;
	int n;
	if (task_feedback_rules(db, task->id, "answer", &rules)) {
		json_decref(examples);
		return -1;
	}
	json_array_foreach(task->seeds, i, s) {
		const char *o = json_string_value(json_object_get(s, "output"));
		if ((long)json_array_size(examples) < max && o && *o)
			json_array_append(examples, s);
	}
	strbuf_addstr(out, system);
	if (json_array_size(examples)) {
		strbuf_addstr(out, out->len ? "\n\n" : "");
		strbuf_addstr(out, "Answer in the style of these examples (their length, tone and form):\n");
		gen_prompt_examples(out, examples, 1);
	}
	if (rules.nr) {
		strbuf_addstr(out, out->len ? "\n" : "");
		strbuf_addstr(out, "Rules for the answer, from review of earlier answers (follow every one):\n");
		for (i = 0; i < rules.nr; i++)
			strbuf_addf(out, "- %s\n", rules.items[i]);
	}
	strbuf_trim(out);
	n = (int)json_array_size(examples);
	*nrules = rules.nr;
	json_decref(examples);
	string_list_clear(&rules);
	return n;
}

/* Asks every question; returns the exit code after the summary. */
static int answer_all(struct command *cmd, struct answer_options *o, const struct task *task,
		      const char *system, struct answering *a, struct question *qs, size_t nq)
{
	struct llm_client *c = llm_client_new(&o->llm, cmd->db, cmd->run.id);
	if (!c)
		return command_end(cmd, EXIT_USAGE, "nothing answered");
	a->update = corpus_prepare(cmd->db, "UPDATE records SET output = ?1, system = ?2, content_hash = ?3, "
					    "updated_at = ?4 WHERE id = ?5 AND output = '' AND stage = 'raw'");
	if (!a->update) {
		llm_client_free(c);
		return command_end(cmd, EXIT_FAILURE_, "nothing answered");
	}
	char *purpose = xstrfmt("answer:%s", task->name);
	struct llm_request *reqs = xcalloc(nq, sizeof(*reqs));
	for (size_t i = 0; i < nq; i++) {
		llm_request_init(&reqs[i]);
		reqs[i].system = *system ? system : NULL;
		reqs[i].prompt = qs[i].prompt;
		reqs[i].purpose = purpose;
		reqs[i].data = &qs[i];
	}
	enum llm_run_result r = llm_run(c, reqs, nq, on_answer, a);
	const struct llm_totals *t = llm_client_totals(c);
	if (a->truncated)
		warning("%ld answer%s cut off at the token limit were not stored; raise --answer-tokens and run "
			"again with --no-cache", a->truncated, a->truncated == 1 ? " was" : "s were");
	if (a->conflicts)
		warning("%ld answer%s made a record identical to an existing one; left unanswered",
			a->conflicts, a->conflicts == 1 ? "" : "s");
	run_count(&cmd->run, "answered", a->answered);
	run_count(&cmd->run, "truncated", a->truncated);
	llm_count_run(&cmd->run, t);
	int rc = a->failed ? EXIT_FAILURE_ : llm_run_exit(r, t);
	sqlite3_finalize(a->update);
	rc = command_end(cmd, rc, "%ld of %zu record%s of task '%s' answered; %ld call%s, %ld cached, "
			 "%ld failed, %ld + %ld tokens", a->answered, nq, nq == 1 ? "" : "s", task->name,
			 t->calls, t->calls == 1 ? "" : "s", t->cached, t->failed, t->tokens_in, t->tokens_out);
	for (size_t i = 0; i < nq; i++)
		llm_request_release(&reqs[i]);
	free(reqs);
	free(purpose);
	llm_client_free(c);
	return rc;
}

int cmd_answer(int argc, char **argv)
{
	struct answer_options o;
	struct answering a;
	struct task task;
	struct command cmd;
	struct question *qs = NULL;
	size_t nq = 0;
	struct strbuf system = STRBUF_INIT, sent = STRBUF_INIT;
	int rc;

	if ((rc = answer_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	if (o.system_path) {
		if (read_file_limited(o.system_path, 1 << 20, &system)) {
			strbuf_release(&system);
			return EXIT_DATAERR;
		}
		strbuf_trim(&system);
	}
	if ((rc = command_begin(&cmd, "answer", 0))) {
		strbuf_release(&system);
		return rc;
	}
	memset(&a, 0, sizeof(a));
	if (task_load(cmd.db, o.task, &task)) {
		strbuf_release(&system);
		return command_end(&cmd, EXIT_FAILURE_, "nothing answered");
	}
	if (!o.system_path)
		strbuf_addstr(&system, task.system);
	a.db = cmd.db;
	a.system = o.keep_system && system.len ? system.buf : NULL;
	size_t nrules = 0;
	int shown = answer_system(cmd.db, &task, system.buf, o.examples, &sent, &nrules);
	if (shown < 0 || answer_collect(cmd.db, task.id, o.limit, &qs, &nq)) {
		rc = command_end(&cmd, EXIT_FAILURE_, "nothing answered");
	} else if (!nq) {
		rc = command_end(&cmd, EXIT_OK, "task '%s' has no raw records without an output", task.name);
	} else {
		if (shown || nrules)
			fprintf(stderr, "answer: %d seed%s shown as example%s, %zu answer rule%s\n", shown,
				shown == 1 ? "" : "s", shown == 1 ? "" : "s", nrules, nrules == 1 ? "" : "s");
		rc = answer_all(&cmd, &o, &task, sent.buf, &a, qs, nq);
	}
	for (size_t i = 0; i < nq; i++)
		question_free(&qs[i]);
	free(qs);
	strbuf_release(&system);
	strbuf_release(&sent);
	task_release(&task);
	return rc;
}
