/*
 * judge.c - `winnow judge`: an LLM scores each unique record on a rubric
 * (1-5 per criterion, JSON, with a rationale). Records whose mean score
 * reaches --min-score are approved; the others are rejected, with reason
 * `needs-fix` for `winnow fix` (--on-fail fix, the default) or `judge`
 * (--on-fail reject). Every verdict is an annotation by llm:MODEL holding
 * the scores and the rationale, committed with the stage move.
 *
 * `judge --calibrate` judges the records people have already decided on
 * (without moving them) and prints how often the judge agrees with the
 * people, and Cohen's kappa, so a user knows how far to trust it.
 */
#include "annotate_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct command_help judge_help = {
	"winnow judge [options]\n   or: winnow judge --calibrate [options]",
	"Score unique records with an LLM on a rubric; approve the good ones, mark the rest for fixing.",
	"Each record is sent with the rubric (clarity, correctness, helpfulness, fluency\n"
	"and language match, harmlessness; or your own with --rubric FILE, lines of\n"
	"'name: what a 5 means') and the LLM answers in JSON: a score from 1 to 5 per\n"
	"criterion and a rationale. A record whose mean score is at least --min-score is\n"
	"approved; any other is rejected with reason needs-fix (for 'winnow fix') or,\n"
	"with --on-fail reject, with reason judge. The scores and rationale are stored\n"
	"as an annotation by llm:MODEL and the mean as records.quality. An answer that\n"
	"cannot be read is asked again (--json-retries) and then set aside.\n\n"
	"--calibrate judges the records that people have accepted or rejected (without\n"
	"changing them) and prints the agreement and Cohen's kappa between the judge and\n"
	"the people: review 50-100 records by hand first, then calibrate.",
	"  winnow judge --provider deepseek --limit 100\n"
	"  winnow judge --provider zhipu --model glm-4-flash --min-score 4 --on-fail reject\n"
	"  winnow judge --calibrate --provider deepseek",
};

struct judged {
	int64_t id;
};

struct judging {
	sqlite3 *db;
	const struct rubric *rubric;
	const char *author;
	double min_score;
	int on_fail_reject, calibrate, failed;
	long approved, needs_fix, rejected, moved_on;
	char first_error[300];
};

/* The record as the judge sees it: a JSON object of its non-empty fields. */
static void record_json(struct strbuf *sb, sqlite3_stmt *st)
{
	static const char *const names[5] = { "instruction", "input", "output", "system", "history" };
	strbuf_addch(sb, '{');
	for (int i = 0; i < 5; i++) {
		const char *v = (const char *)sqlite3_column_text(st, 1 + i);
		if (i != 0 && i != 2 && (!v || !*v || (i == 4 && !strcmp(v, "[]"))))
			continue;
		if (sb->buf[sb->len - 1] != '{')
			strbuf_addstr(sb, ", ");
		json_write_string(sb, names[i], strlen(names[i]));
		strbuf_addstr(sb, ": ");
		if (i == 4)
			strbuf_addstr(sb, v);
		else
			json_write_string(sb, v ? v : "", v ? strlen(v) : 0);
	}
	strbuf_addch(sb, '}');
}

static char *judge_prompt(const struct rubric *r, sqlite3_stmt *st)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addstr(&p, "Rate this record of an instruction-tuning dataset on each criterion, "
			  "from 1 (very poor) to 5 (excellent):\n");
	for (size_t i = 0; i < r->nr; i++)
		strbuf_addf(&p, "- %s: %s\n", r->name[i], r->description[i]);
	strbuf_addstr(&p, "\nAnswer with one JSON object and nothing else, like {");
	for (size_t i = 0; i < r->nr; i++)
		strbuf_addf(&p, "\"%s\": 4, ", r->name[i]);
	strbuf_addstr(&p, "\"rationale\": \"the main problems, in one or two sentences\"}. "
			  "Write the rationale in the language of the record.\n\nThe record:\n");
	record_json(&p, st);
	strbuf_addch(&p, '\n');
	return strbuf_detach(&p, NULL);
}

static const char judge_system[] =
	"You are a strict, fair reviewer of training data for language models. "
	"You answer only with the JSON object asked for.";

static int on_answer(struct llm_request *req, void *ctx)
{
	struct judging *j = ctx;
	struct judged *item = req->data;
	struct strbuf rationale = STRBUF_INIT, scores = STRBUF_INIT, reason = STRBUF_INIT;
	double s[16], overall;
	char err[200];
	int rc = 0;

	if (rubric_parse_answer(j->rubric, req->content.buf, req->content.len, s, &overall, &rationale,
				err, sizeof(err))) {
		if (!j->first_error[0])
			snprintf(j->first_error, sizeof(j->first_error), "record %lld: %s",
				 (long long)item->id, err);
		strbuf_release(&rationale);
		return 1;
	}
	strbuf_addch(&scores, '{');
	for (size_t i = 0; i < j->rubric->nr; i++)
		strbuf_addf(&scores, "\"%s\":%g,", j->rubric->name[i], s[i]);
	strbuf_addf(&scores, "\"overall\":%.2f}", overall);

	int pass = overall + 1e-9 >= j->min_score;
	const char *verdict = pass ? "accept" : j->on_fail_reject ? "reject" : "fix";
	if (corpus_begin_write(j->db)) {
		j->failed = 1;
		rc = -1;
		goto out;
	}
	char *sql = xstrfmt("SELECT stage = 'unique' FROM records WHERE id = %lld", (long long)item->id);
	int still_unique = corpus_int(j->db, sql) == 1;
	free(sql);
	if (!j->calibrate && !still_unique) {
		j->moved_on++;	/* someone decided on it meanwhile */
		corpus_exec(j->db, "ROLLBACK");
		goto out;
	}
	if (annotation_insert(j->db, item->id, j->author, verdict, scores.buf, "", rationale.buf) < 0)
		rc = -1;
	if (!rc && !j->calibrate) {
		if (pass) {
			rc = record_move(j->db, item->id, STAGE_APPROVED, NULL, 0);
		} else {
			if (j->on_fail_reject)
				strbuf_addf(&reason, "judge: %.2f < %g", overall, j->min_score);
			else
				strbuf_addstr(&reason, "needs-fix");
			rc = record_move(j->db, item->id, STAGE_REJECTED, reason.buf, 0);
		}
		sql = xstrfmt("UPDATE records SET quality = %.4f WHERE id = %lld", overall, (long long)item->id);
		if (!rc)
			rc = corpus_exec(j->db, sql);
		free(sql);
	}
	if (rc || corpus_exec(j->db, "COMMIT")) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		j->failed = 1;
		rc = -1;
		goto out;
	}
	if (pass)
		j->approved++;
	else if (j->on_fail_reject)
		j->rejected++;
	else
		j->needs_fix++;
out:
	strbuf_release(&rationale);
	strbuf_release(&scores);
	strbuf_release(&reason);
	return rc;
}

/* Prints the judge-versus-people table for author. Returns the records compared. */
static long print_calibration(sqlite3 *db, const struct record_filter *f, const char *author,
			      double min_score, int *usage)
{
	long counts[2][2] = { { 0, 0 }, { 0, 0 } };
	struct agreement a;
	sqlite3_stmt *st = filter_prepare(db, f, "raw,clean,unique,approved,rejected,duplicate",
		"(SELECT json_extract(scores, '$.overall') FROM annotations WHERE record_id = r.id AND "
		"author = :author AND scores IS NOT NULL ORDER BY id DESC LIMIT 1), "
		"(SELECT verdict FROM annotations WHERE record_id = r.id AND author NOT LIKE 'llm:%' AND "
		"verdict IN ('accept', 'reject', 'edit') ORDER BY id DESC LIMIT 1)", "", usage);
	if (!st)
		return -1;
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":author"), author, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		int judge_yes = sqlite3_column_double(st, 0) + 1e-9 >= min_score;
		int human_yes = !strcmp((const char *)sqlite3_column_text(st, 1), "accept");
		counts[judge_yes][human_yes]++;
	}
	sqlite3_finalize(st);
	agreement_compute(counts, &a);
	printf("%s against people on %ld record%s (pass = mean score >= %g):\n\n", author, a.n,
	       a.n == 1 ? "" : "s", min_score);
	printf("                 people accept  people reject\n");
	printf("  judge pass     %13ld  %13ld\n", counts[1][1], counts[1][0]);
	printf("  judge fail     %13ld  %13ld\n\n", counts[0][1], counts[0][0]);
	if (!a.n) {
		printf("no record has both a human decision and a score from %s yet: review some "
		       "records with 'winnow review' first\n", author);
	} else if (a.undefined) {
		printf("agreement %.1f%%; kappa is undefined: both always gave the same answer, "
		       "so there is nothing to compare; review a mix of good and bad records\n",
		       100 * a.observed);
	} else {
		printf("agreement %.1f%% (%.1f%% expected by chance), Cohen's kappa %.2f: %s\n",
		       100 * a.observed, 100 * a.expected, a.kappa, kappa_words(a.kappa));
		if (a.n < 30)
			printf("(only %ld records: review more for a firmer number)\n", a.n);
	}
	return a.n;
}

struct judge_options {
	struct record_filter filter;
	struct llm_options llm;
	const char *rubric_path, *on_fail;
	double min_score;
	long limit, json_retries;
	int calibrate;
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int judge_parse_options(int argc, char **argv, struct judge_options *o)
{
	struct record_filter *f = &o->filter;
	memset(o, 0, sizeof(*o));
	o->on_fail = "fix";
	o->min_score = 3.5;
	o->json_retries = 2;
	llm_options_init(&o->llm);
	o->llm.temperature = 0;
	struct option opts[] = {
		OPT_STRING(0, "task", &f->task, "NAME", "only records of this generation task"),
		OPT_STRING(0, "source", &f->source, "NAME", "only records from this source"),
		OPT_STRING(0, "where", &f->where, "SQL", "extra condition on records, e.g. \"lang = 'zh'\""),
		OPT_INT(0, "limit", &o->limit, "N", 0, 1e15, "judge at most N records"),
		OPT_DOUBLE(0, "min-score", &o->min_score, "S", 1, 5, "mean score a record needs to pass (default 3.5)"),
		OPT_CHOICE(0, "on-fail", &o->on_fail, "fix|reject", "records under --min-score: needs-fix "
			   "(default) or rejected for good"),
		OPT_STRING(0, "rubric", &o->rubric_path, "FILE", "criteria as 'name: what a 5 means' lines"),
		OPT_INT(0, "json-retries", &o->json_retries, "N", 0, 10, "ask again this often when an answer "
			"cannot be read (default 2)"),
		OPT_FLAG(0, "calibrate", &o->calibrate, "judge records people decided on and print agreement "
			 "and Cohen's kappa; changes no stage"),
		LLM_OPTIONS(&o->llm),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &judge_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&judge_help, "judge takes no arguments (did you mean --task %s?)", argv[0]);
	return OPTIONS_GO_ON;
}

/* Reads the records to judge into jobs. Returns 0 or an exit code. */
static int judge_collect(sqlite3 *db, struct judge_options *o, const struct rubric *rubric,
			 const char *author, struct llm_jobs *jobs)
{
	sqlite3_stmt *st;
	int usage;
	if (o->calibrate)
		st = filter_prepare(db, &o->filter, "raw,clean,unique,approved,rejected,duplicate",
			"r.id, r.instruction, r.input, r.output, r.system, r.history",
			"AND EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = r.id AND a.author NOT LIKE "
			"'llm:%' AND a.verdict IN ('accept', 'reject', 'edit')) AND NOT EXISTS (SELECT 1 FROM "
			"annotations a WHERE a.record_id = r.id AND a.author = :author AND a.scores IS NOT NULL) "
			"ORDER BY r.id LIMIT :limit", &usage);
	else
		st = filter_prepare(db, &o->filter, "unique",
				    "r.id, r.instruction, r.input, r.output, r.system, r.history",
				    "ORDER BY r.id LIMIT :limit", &usage);
	if (!st)
		return usage ? EXIT_USAGE : EXIT_FAILURE_;
	if (o->calibrate)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":author"), author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), o->limit > 0 ? o->limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct judged *item = xcalloc(1, sizeof(*item));
		item->id = sqlite3_column_int64(st, 0);
		llm_jobs_add(jobs, judge_system, judge_prompt(rubric, st), item);
	}
	sqlite3_finalize(st);
	return 0;
}

/* Warns, counts and prints the summary; returns the exit code. */
static int judge_report(struct command *cmd, const struct judge_options *o, const struct judging *j,
			const struct llm_ask_totals *t, const struct llm_totals *lt, size_t n,
			enum llm_run_result r)
{
	struct run *run = &cmd->run;
	int rc, usage;
	if (t->unreadable)
		warning("%ld answer%s could not be read after %ld retr%s and %s set aside (e.g. %s); "
			"the record%s stay%s unique", t->unreadable, t->unreadable == 1 ? "" : "s",
			o->json_retries, o->json_retries == 1 ? "y" : "ies", t->unreadable == 1 ? "was" : "were",
			j->first_error, t->unreadable == 1 ? "" : "s", t->unreadable == 1 ? "s" : "");
	run_count(run, "approved", j->approved);
	run_count(run, "needs_fix", j->needs_fix);
	run_count(run, "rejected", j->rejected);
	run_count(run, "unreadable", t->unreadable);
	run_count(run, "retried", t->retried);
	run_count(run, "failed", t->failed);
	llm_count_run(run, lt);
	rc = j->failed ? EXIT_FAILURE_ : llm_ask_exit(r, t);
	if (o->calibrate) {
		long compared = print_calibration(j->db, &o->filter, j->author, o->min_score, &usage);
		if (compared < 0 && !rc)
			rc = EXIT_FAILURE_;
		return command_end(cmd, rc, "%zu record%s judged for calibration, %ld compared with people; "
			       "%ld call%s, %ld cached", n, n == 1 ? "" : "s", compared < 0 ? 0 : compared,
			       lt->calls, lt->calls == 1 ? "" : "s", lt->cached);
	}
	return command_end(cmd, rc, "%zu record%s judged by %s: %ld approved, %ld need a fix, %ld rejected, "
		       "%ld unreadable, %ld failed%s; %ld call%s, %ld cached, %ld + %ld tokens", n,
		       n == 1 ? "" : "s", j->author, j->approved, j->needs_fix, j->rejected, t->unreadable,
		       t->failed, j->moved_on ? " (some were decided meanwhile)" : "", lt->calls,
		       lt->calls == 1 ? "" : "s", lt->cached, lt->tokens_in, lt->tokens_out);
}

int cmd_judge(int argc, char **argv)
{
	struct judge_options o;
	struct llm_jobs jobs = LLM_JOBS_INIT(NULL);
	struct llm_ask_totals t;
	struct llm_client *c = NULL;
	struct rubric rubric;
	struct judging j;
	struct command cmd;
	int rc;

	if ((rc = judge_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	if (o.rubric_path ? rubric_load(&rubric, o.rubric_path) : (rubric_default(&rubric), 0))
		return EXIT_DATAERR;
	if ((rc = command_begin(&cmd, o.calibrate ? "judge calibrate" : "judge", COMMAND_CREATE))) {
		rubric_release(&rubric);
		return rc;
	}
	memset(&j, 0, sizeof(j));
	memset(&t, 0, sizeof(t));
	c = llm_client_new(&o.llm, cmd.db, cmd.run.id);
	if (!c) {
		rc = command_end(&cmd, EXIT_USAGE, "nothing judged");
		goto out;
	}
	j.db = cmd.db;
	j.rubric = &rubric;
	j.author = xstrfmt("llm:%s", llm_client_model(c));
	j.min_score = o.min_score;
	j.on_fail_reject = !strcmp(o.on_fail, "reject");
	j.calibrate = o.calibrate;
	if ((rc = judge_collect(cmd.db, &o, &rubric, j.author, &jobs))) {
		rc = command_end(&cmd, rc, "nothing judged");
		goto out;
	}
	enum llm_run_result r = LLM_RUN_DONE;
	if (jobs.nr)
		r = llm_ask_all(c, "judge", jobs.job, jobs.nr, (int)o.json_retries, on_answer, &j, &t);
	rc = judge_report(&cmd, &o, &j, &t, llm_client_totals(c), jobs.nr, r);
out:
	llm_jobs_release(&jobs);
	free((char *)j.author);
	llm_client_free(c);
	rubric_release(&rubric);
	string_list_clear(&o.filter.stages);
	return rc;
}
