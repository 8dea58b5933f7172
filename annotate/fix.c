/*
 * fix.c - `winnow fix`: LLM correction of flawed records. A record the
 * judge rejected as needs-fix, or a person rejected with a note, is sent
 * with its critique and its task's feedback rules; the corrected record
 * that comes back is a new raw record (origin fix, parent = the flawed
 * one) that goes through clean, dedupe and review like any other, and
 * the flawed one keeps stage rejected with reason `fixed`.
 *
 * Invariants:
 *  1. A lineage is corrected at most --max-rounds times: a record whose
 *     ancestry already holds that many fixes gets reason `fix-limit`.
 *  2. Each correction is one transaction (new record + new reason), so a
 *     killed run loses nothing and a second run does not fix twice.
 */
#include "annotate_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct command_help fix_help = {
	"winnow fix [options]",
	"Correct flawed records with an LLM: each fix is a new raw record that goes through the pipeline.",
	"Takes rejected records with reason needs-fix (from 'winnow judge') and records\n"
	"a person rejected in review with a note. Each is sent with its critique (the\n"
	"judge's rationale or the reviewer's tags and note) and its task's feedback rules,\n"
	"and the LLM answers with a corrected record in JSON. The correction is added as\n"
	"a new raw record (origin fix, parent_id = the flawed one) for clean, dedupe and\n"
	"review; the flawed record's reason becomes fixed. A lineage is fixed at most\n"
	"--max-rounds times (then reason fix-limit). An answer that cannot be read is\n"
	"asked again (--json-retries) and then set aside for the next run.",
	"  winnow fix --provider deepseek\n"
	"  winnow fix --provider zhipu --task luck --max-rounds 1\n"
	"  winnow clean && winnow dedupe && winnow review   # the fixes come back for review",
};

struct flawed {
	int64_t id, source_id, task_id;
	char *system, *history;
};

struct fixing {
	sqlite3 *db;
	long fixed, unchanged;
	int failed;
	char first_error[300];
};

static const char fix_system[] =
	"You correct records of an instruction-tuning dataset. You keep what is right, fix what "
	"the critique and the rules point out, keep the language of the record, and answer only "
	"with the JSON object asked for.";

/* Appends the critique of record id: the latest needs-fix rationale or reviewer note. */
static void add_critique(sqlite3 *db, int64_t id, struct strbuf *p)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT author, verdict, tags, note, coalesce(json_extract(scores, '$.overall'), '') "
		"FROM annotations WHERE record_id = ? AND ((verdict = 'fix' AND author LIKE 'llm:%') OR "
		"(verdict = 'reject' AND author NOT LIKE 'llm:%')) ORDER BY id DESC LIMIT 1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *tags = (const char *)sqlite3_column_text(st, 2);
		const char *note = (const char *)sqlite3_column_text(st, 3);
		if (!strcmp((const char *)sqlite3_column_text(st, 1), "fix"))
			strbuf_addf(p, "A judge scored it %s out of 5: %s\n", sqlite3_column_text(st, 4), note);
		else
			strbuf_addf(p, "A reviewer rejected it%s%s%s: %s\n", *tags ? " (problems: " : "", tags,
				    *tags ? ")" : "", *note ? note : "(no note)");
	}
	sqlite3_finalize(st);
}

static void add_rules(sqlite3 *db, int64_t task_id, struct strbuf *p)
{
	sqlite3_stmt *st;
	int n = 0;
	if (!task_id)
		return;
	st = corpus_prepare(db, "SELECT text FROM feedback WHERE task_id = ? ORDER BY id LIMIT 50");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, task_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!n++)
			strbuf_addstr(p, "\nRules for records of this kind (mistakes found before):\n");
		strbuf_addf(p, "%d. %s\n", n, sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

static char *fix_prompt(sqlite3 *db, sqlite3_stmt *st, const struct flawed *f)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addstr(&p, "This record of an instruction-tuning dataset has problems.\n\n");
	add_critique(db, f->id, &p);
	add_rules(db, f->task_id, &p);
	strbuf_addstr(&p, "\nThe record:\n{\"instruction\": ");
	for (int i = 0; i < 3; i++) {
		static const char *const names[3] = { "instruction", "input", "output" };
		const char *v = (const char *)sqlite3_column_text(st, 4 + i);
		if (i)
			strbuf_addf(&p, ", \"%s\": ", names[i]);
		json_write_string(&p, v, strlen(v));
	}
	strbuf_addstr(&p, "}\n\nWrite the corrected record. Answer with one JSON object and nothing else: "
			  "{\"instruction\": \"...\", \"input\": \"...\", \"output\": \"...\"} "
			  "(input may be \"\").\n");
	return strbuf_detach(&p, NULL);
}

/* A non-blank string member, or NULL. */
static const char *text_member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	const char *t = s;
	if (!s)
		return NULL;
	while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
		t++;
	return *t ? s : NULL;
}

static int on_answer(struct llm_request *req, void *ctx)
{
	struct fixing *x = ctx;
	struct flawed *f = req->data;
	json_t *obj = llm_extract_json(req->content.buf, req->content.len);
	const char *instruction = text_member(obj, "instruction"), *output = text_member(obj, "output");
	json_t *jin = json_object_get(obj, "input");
	const char *input = json_is_string(jin) ? json_string_value(jin) : "";
	struct record_inserter ins;
	int rc = 0;

	if (!instruction || !output || (jin && !json_is_null(jin) && !json_is_string(jin))) {
		if (!x->first_error[0])
			snprintf(x->first_error, sizeof(x->first_error), "record %lld: %s", (long long)f->id,
				 !json_is_object(obj) ? "no JSON object" : "no instruction and output strings");
		json_decref(obj);
		return 1;
	}
	struct record r = { instruction, input, output, f->system, f->history, strlen(instruction),
			    strlen(input), strlen(output), strlen(f->system), strlen(f->history) };
	if (corpus_begin_write(x->db) || record_inserter_init(&ins, x->db)) {
		x->failed = 1;
		json_decref(obj);
		return -1;
	}
	int64_t id = record_insert(&ins, &r, "fix", f->source_id, f->task_id, f->id);
	record_inserter_release(&ins);
	char *sql = xstrfmt("UPDATE records SET reason = '%s', updated_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', "
			    "'now') WHERE id = %lld AND stage = 'rejected'", id > 0 ? "fixed" : "fix-unchanged",
			    (long long)f->id);
	if (id < 0 || corpus_exec(x->db, sql) || corpus_exec(x->db, "COMMIT")) {
		sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
		x->failed = 1;
		rc = -1;
	} else if (id > 0) {
		x->fixed++;
	} else {
		x->unchanged++;	/* the "correction" is a record we already have */
	}
	free(sql);
	json_decref(obj);
	return rc;
}

struct fix_options {
	struct record_filter filter;
	struct llm_options llm;
	long limit, max_rounds, json_retries;
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int fix_parse_options(int argc, char **argv, struct fix_options *o)
{
	struct record_filter *f = &o->filter;
	memset(o, 0, sizeof(*o));
	o->max_rounds = 2;
	o->json_retries = 2;
	llm_options_init(&o->llm);
	o->llm.temperature = 0.3;
	struct option opts[] = {
		OPT_STRING(0, "task", &f->task, "NAME", "only records of this generation task"),
		OPT_STRING(0, "source", &f->source, "NAME", "only records from this source"),
		OPT_STRING(0, "where", &f->where, "SQL", "extra condition on records"),
		OPT_INT(0, "limit", &o->limit, "N", 0, 1e15, "fix at most N records"),
		OPT_INT(0, "max-rounds", &o->max_rounds, "N", 1, 100, "fixes per lineage at most (default 2)"),
		OPT_INT(0, "json-retries", &o->json_retries, "N", 0, 10, "ask again this often when an answer "
			"cannot be read (default 2)"),
		LLM_OPTIONS(&o->llm),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &fix_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&fix_help, "fix takes no arguments (did you mean --task %s?)", argv[0]);
	return OPTIONS_GO_ON;
}

static void flawed_free(void *data)
{
	struct flawed *f = data;
	free(f->system);
	free(f->history);
	free(f);
}

/*
 * Reads the records to fix into jobs; those whose lineage already holds
 * --max-rounds fixes get reason fix-limit and are counted in *at_limit.
 * Returns 0 or an exit code.
 */
static int fix_collect(sqlite3 *db, struct fix_options *o, struct llm_jobs *jobs, long *at_limit)
{
	int usage;
	/* fixes already in the lineage: the record and its ancestors of origin fix */
	sqlite3_stmt *st = filter_prepare(db, &o->filter, "rejected",
		"r.id, coalesce(r.source_id, 0), coalesce(r.task_id, 0), "
		"(WITH RECURSIVE up(id, parent, origin) AS (SELECT r.id, r.parent_id, r.origin UNION ALL "
		"SELECT p.id, p.parent_id, p.origin FROM records p JOIN up ON p.id = up.parent) "
		"SELECT count(*) FROM up WHERE origin = 'fix'), r.instruction, r.input, r.output, r.system, r.history",
		"AND (r.reason = 'needs-fix' OR (r.reason LIKE 'review%' AND EXISTS (SELECT 1 FROM annotations a "
		"WHERE a.record_id = r.id AND a.verdict = 'reject' AND a.author NOT LIKE 'llm:%' AND "
		"trim(a.note) <> ''))) ORDER BY r.id LIMIT :limit", &usage);
	if (!st)
		return usage ? EXIT_USAGE : EXIT_FAILURE_;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), o->limit > 0 ? o->limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_int64(st, 3) >= o->max_rounds) {
			char *sql = xstrfmt("UPDATE records SET reason = 'fix-limit' WHERE id = %lld", (long long)id);
			corpus_exec(db, sql);
			free(sql);
			(*at_limit)++;
			continue;
		}
		struct flawed *f = xcalloc(1, sizeof(*f));
		f->id = id;
		f->source_id = sqlite3_column_int64(st, 1);
		f->task_id = sqlite3_column_int64(st, 2);
		f->system = xstrdup((const char *)sqlite3_column_text(st, 7));
		f->history = xstrdup((const char *)sqlite3_column_text(st, 8));
		llm_jobs_add(jobs, fix_system, fix_prompt(db, st, f), f);
	}
	sqlite3_finalize(st);
	return 0;
}

int cmd_fix(int argc, char **argv)
{
	struct fix_options o;
	struct llm_jobs jobs = LLM_JOBS_INIT(flawed_free);
	struct llm_client *c = NULL;
	struct llm_ask_totals t;
	struct fixing x;
	struct command cmd;
	long at_limit = 0;
	int rc;

	if ((rc = fix_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	if ((rc = command_begin(&cmd, "fix", COMMAND_CREATE)))
		return rc;
	memset(&x, 0, sizeof(x));
	memset(&t, 0, sizeof(t));
	x.db = cmd.db;
	c = llm_client_new(&o.llm, cmd.db, cmd.run.id);
	if (!c) {
		rc = command_end(&cmd, EXIT_USAGE, "nothing fixed");
		goto out;
	}
	if ((rc = fix_collect(cmd.db, &o, &jobs, &at_limit))) {
		rc = command_end(&cmd, rc, "nothing fixed");
		goto out;
	}
	enum llm_run_result r = LLM_RUN_DONE;
	if (jobs.nr)
		r = llm_ask_all(c, "fix", jobs.job, jobs.nr, (int)o.json_retries, on_answer, &x, &t);
	if (t.unreadable)
		warning("%ld answer%s could not be read and %s set aside for the next run (e.g. %s)",
			t.unreadable, t.unreadable == 1 ? "" : "s", t.unreadable == 1 ? "was" : "were", x.first_error);
	const struct llm_totals *lt = llm_client_totals(c);
	run_count(&cmd.run, "fixed", x.fixed);
	run_count(&cmd.run, "unchanged", x.unchanged);
	run_count(&cmd.run, "at_limit", at_limit);
	run_count(&cmd.run, "unreadable", t.unreadable);
	run_count(&cmd.run, "failed", t.failed);
	llm_count_run(&cmd.run, lt);
	rc = x.failed ? EXIT_FAILURE_ : llm_ask_exit(r, &t);
	rc = command_end(&cmd, rc, "%ld record%s fixed (new raw records for clean and dedupe), %ld answer%s "
			 "unchanged, %ld at the --max-rounds limit, %ld unreadable, %ld failed; %ld call%s, %ld cached",
			 x.fixed, x.fixed == 1 ? "" : "s", x.unchanged, x.unchanged == 1 ? "" : "s", at_limit,
			 t.unreadable, t.failed, lt->calls, lt->calls == 1 ? "" : "s", lt->cached);
out:
	llm_jobs_release(&jobs);
	llm_client_free(c);
	string_list_clear(&o.filter.stages);
	return rc;
}
