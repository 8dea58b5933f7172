/*
 * run_cmd.c - `winnow run`: the whole pipeline in one command, for cron.
 * crawl (the due sites) -> clean -> dedupe -> judge -> fix -> clean ->
 * dedupe -> export. The LLM steps run only when an LLM is configured;
 * export only with --export.
 *
 * Each step is the ordinary command, run as a child process of this same
 * binary: it records itself in `runs` as usual, a crash in one cannot take
 * the others with it, and a step is exactly what a person would type.
 *
 * Invariants:
 *  1. A failing step stops the run, which exits with the step's code
 *     (75 stays 75, so cron can tell "try later" from a real failure).
 *  2. Killing the run (SIGTERM, SIGINT) passes the signal to the running
 *     step, which stops at a transaction boundary; running again carries
 *     on, because every step only picks up what is still to do.
 *  3. One run at a time per corpus: a second one exits 75 at once
 *     (an flock on CORPUS.run-lock, released by the kernel if we die).
 *  4. The run's own `runs` row holds the counts of every step, nested by
 *     step name; a step's output on stderr is shown only when it fails
 *     (or with --verbose), so a good night prints one line.
 */
#include "pipeline.h"
#include "../annotate/annotate.h"
#include "../db/corpus.h"
#include "../llm/llm.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct command_help run_help = {
	"winnow run [options]",
	"Run the whole pipeline once: crawl, clean, dedupe, judge and fix, export. For cron.",
	"Steps, each the ordinary command: crawl the sites that are due (when the corpus\n"
	"has sites), clean, dedupe; then, when an LLM is configured (--provider or\n"
	"--base-url, or $WINNOW_LLM_PROVIDER), judge the unique records and fix the\n"
	"flawed ones, and clean and dedupe the fixes; finally export with --export FILE.\n"
	"A failing step stops the run with that step's exit code. Killing the run is\n"
	"safe: run it again and it carries on. Only one run works on a corpus at a time\n"
	"(another exits 75). Steps' messages are shown when they fail, or with\n"
	"--verbose; the run prints one summary line and records one `runs` row with the\n"
	"counts of every step.",
	"  winnow run --export out/alpaca.json\n"
	"  winnow run --provider deepseek --min-score 4 --export out/alpaca.json --approved-only\n"
	"  crontab: 30 2 * * * cd /srv/data && winnow --db forum.db run --export out/forum.json "
	">>run.log 2>&1\n"
	"  winnow sql \"SELECT started_at, status, summary FROM runs WHERE command = 'run' "
	"ORDER BY id DESC LIMIT 7\"",
};

static volatile sig_atomic_t stop_signal;
static volatile pid_t step_pid;

static void on_stop(int sig)
{
	stop_signal = sig;
	if (step_pid > 0)
		kill(step_pid, sig);
}

struct step {
	const char *name;
	const char *label;		/* its key in the run's counts (name when NULL) */
	struct string_list args;	/* after the command name */
};

struct pipeline {
	sqlite3 *db;
	struct run *run;
	int verbose;
	struct strbuf done;	/* "crawl, clean, ..." */
};

/* Appends the step's counts (from its own runs row) to the run's counts. */
static void collect_counts(struct pipeline *p, const char *name, const char *label, int64_t after)
{
	sqlite3_stmt *st = corpus_prepare(p->db, "SELECT counts FROM runs WHERE id > ? AND command = ? "
						 "ORDER BY id DESC LIMIT 1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *counts = (const char *)sqlite3_column_text(st, 0);
		struct strbuf *c = &p->run->counts;
		if (c->len)
			strbuf_addch(c, ',');
		json_write_string(c, label, strlen(label));
		strbuf_addf(c, ":%s", counts && *counts == '{' ? counts : "{}");
	}
	sqlite3_finalize(st);
}

static void copy_output(FILE *from)
{
	char buf[4096];
	size_t n;
	rewind(from);
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		fwrite(buf, 1, n, stderr);
	fflush(stderr);
}

/* Runs one step. Returns its exit code (128 + signal when it was killed). */
static int run_step(struct pipeline *p, const char *self, struct step *s)
{
	int64_t last_run = corpus_int(p->db, "SELECT coalesce(max(id), 0) FROM runs");
	FILE *log = tmpfile();
	char **argv = xcalloc(s->args.nr + 5, sizeof(*argv));
	int status, code;
	pid_t pid;

	argv[0] = "winnow";
	argv[1] = "--db";
	argv[2] = (char *)corpus_path();
	argv[3] = (char *)s->name;
	for (size_t i = 0; i < s->args.nr; i++)
		argv[4 + i] = s->args.items[i];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		free(argv);
		if (log)
			fclose(log);
		return error("cannot start step '%s': %s", s->name, strerror(errno)), EXIT_FAILURE_;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (log && !p->verbose)
			dup2(fileno(log), STDERR_FILENO);
		execv(self, argv);
		fprintf(stderr, "error: cannot run '%s': %s\n", self, strerror(errno));
		_exit(EXIT_FAILURE_);
	}
	step_pid = pid;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = EXIT_FAILURE_ << 8;
			break;
		}
	}
	step_pid = 0;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (code && log && !p->verbose)
		copy_output(log);
	if (log)
		fclose(log);
	free(argv);
	collect_counts(p, s->name, s->label ? s->label : s->name, last_run);
	if (!code) {
		if (p->done.len)
			strbuf_addstr(&p->done, ", ");
		strbuf_addstr(&p->done, s->name);
	}
	return code;
}

static void add_args(struct step *s, ...)
{
	va_list ap;
	const char *a;
	va_start(ap, s);
	while ((a = va_arg(ap, const char *)))
		string_list_append(&s->args, a);
	va_end(ap);
}

static void add_opt(struct step *s, const char *name, const char *value)
{
	if (value)
		add_args(s, name, value, (const char *)NULL);
}

/* "12 unique, 3 approved, ..." */
static void stage_summary(sqlite3 *db, struct strbuf *out)
{
	sqlite3_stmt *st = corpus_prepare(db, "SELECT stage, count(*) FROM records GROUP BY stage "
					      "ORDER BY CASE stage WHEN 'raw' THEN 0 WHEN 'clean' THEN 1 "
					      "WHEN 'unique' THEN 2 WHEN 'approved' THEN 3 WHEN 'rejected' THEN 4 "
					      "ELSE 5 END");
	if (!st)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		strbuf_addf(out, "%s%lld %s", out->len ? ", " : "", (long long)sqlite3_column_int64(st, 1),
			    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!out->len)
		strbuf_addstr(out, "no records");
}

/* Takes the run lock. Returns the fd, -2 when another run holds it, -1 on error. */
static int lock_run(const char *corpus)
{
	char *path = xstrfmt("%s.run-lock", corpus);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		error("cannot open the run lock '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return errno == EWOULDBLOCK ? -2 : -1;
	}
	return fd;
}

struct run_options {
	const char *export_path, *format, *on_fail;
	const char *provider, *base_url, *model, *key_env;
	const char *crawl_max_time;
	long crawl_timeout, max_calls;
	double min_score;
	int approved_only, verbose, no_crawl;
	/* option values as the steps' arguments */
	char crawl_timeout_text[32], min_score_text[32], max_calls_text[32];
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int run_parse_options(int argc, char **argv, struct run_options *o)
{
	memset(o, 0, sizeof(*o));
	o->min_score = -1;
	o->max_calls = -1;
	struct option opts[] = {
		OPT_STRING(0, "export", &o->export_path, "FILE", "export at the end (as 'winnow export -o FILE')"),
		OPT_CHOICE(0, "format", &o->format, "alpaca|jsonl|sharegpt", "export format (default alpaca)"),
		OPT_FLAG(0, "approved-only", &o->approved_only, "export only records approved in review or by the judge"),
		OPT_FLAG(0, "no-crawl", &o->no_crawl, "do not crawl, even when sites are due"),
		OPT_STRING(0, "crawl-max-time", &o->crawl_max_time, "DURATION", "crawl: stop starting pages after "
			   "this long (30m, 2h)"),
		OPT_INT(0, "crawl-timeout", &o->crawl_timeout, "SECONDS", 1, 3600, "crawl: give up on one request "
			"after this long (default 60)"),
		OPT_CHOICE(0, "provider", &o->provider, LLM_PROVIDER_NAMES, "LLM platform for judge and fix "
			   "(default $WINNOW_LLM_PROVIDER; without one they are skipped)"),
		OPT_STRING(0, "base-url", &o->base_url, "URL", "OpenAI-compatible endpoint for judge and fix"),
		OPT_STRING(0, "model", &o->model, "NAME", "model for judge and fix"),
		OPT_STRING(0, "api-key-env", &o->key_env, "VAR", "environment variable holding the API key"),
		OPT_INT(0, "max-calls", &o->max_calls, "N", 0, 100000000, "at most N LLM calls in each of judge and fix"),
		OPT_DOUBLE(0, "min-score", &o->min_score, "S", 1, 5, "judge: records scoring under S fail (default 3.5)"),
		OPT_CHOICE(0, "on-fail", &o->on_fail, "fix|reject", "judge: what failing records become (default fix)"),
		OPT_FLAG('v', "verbose", &o->verbose, "show every step's messages, not only a failing step's"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &run_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&run_help, "run takes no arguments");
	if (o->format && !o->export_path)
		return usage_error(&run_help, "--format goes with --export FILE");
	if (o->approved_only && !o->export_path)
		return usage_error(&run_help, "--approved-only goes with --export FILE");
	snprintf(o->crawl_timeout_text, sizeof(o->crawl_timeout_text), "%ld", o->crawl_timeout);
	snprintf(o->min_score_text, sizeof(o->min_score_text), "%g", o->min_score);
	snprintf(o->max_calls_text, sizeof(o->max_calls_text), "%ld", o->max_calls);
	return OPTIONS_GO_ON;
}

/* Fills steps (room for 8) with the stages to run, in order; returns how many. */
static size_t plan_steps(const struct run_options *o, int sites, int llm, struct step *steps)
{
	size_t n = 0;
	memset(steps, 0, 8 * sizeof(*steps));
	if (sites && !o->no_crawl) {
		struct step *c = &steps[n++];
		c->name = "crawl";
		add_opt(c, "--timeout", o->crawl_timeout ? o->crawl_timeout_text : NULL);
		add_opt(c, "--max-time", o->crawl_max_time);
	}
	steps[n++].name = "clean";
	steps[n++].name = "dedupe";
	if (llm) {
		struct step *j = &steps[n++], *f = &steps[n++];
		j->name = "judge";
		f->name = "fix";
		add_opt(j, "--min-score", o->min_score >= 0 ? o->min_score_text : NULL);
		add_opt(j, "--on-fail", o->on_fail);
		for (struct step *s = j; s <= f; s++) {
			add_opt(s, "--provider", o->provider);
			add_opt(s, "--base-url", o->base_url);
			add_opt(s, "--model", o->model);
			add_opt(s, "--api-key-env", o->key_env);
			add_opt(s, "--max-calls", o->max_calls >= 0 ? o->max_calls_text : NULL);
		}
		steps[n].label = "clean_fixes";
		steps[n++].name = "clean";
		steps[n].label = "dedupe_fixes";
		steps[n++].name = "dedupe";
	}
	if (o->export_path) {
		struct step *e = &steps[n++];
		e->name = "export";
		add_args(e, "-o", o->export_path, (const char *)NULL);
		add_opt(e, "--format", o->format);
		if (o->approved_only)
			add_args(e, "--approved-only", (const char *)NULL);
	}
	return n;
}

/* Runs the steps until one fails or a signal asks to stop; *failed names the failing one. */
static int run_steps(struct pipeline *p, const char *self, struct step *steps, size_t n, const char **failed)
{
	struct sigaction sa, old_int, old_term;
	int rc = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (size_t i = 0; i < n && !rc && !stop_signal; i++) {
		rc = run_step(p, self, &steps[i]);
		if (rc)
			*failed = steps[i].name;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (stop_signal && !rc)
		rc = 128 + stop_signal;
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct pipeline p;
	struct step steps[8];
	size_t nsteps;
	struct strbuf stages = STRBUF_INIT;
	struct command cmd;
	char self[4096];
	const char *failed = NULL;
	int rc, lock;
	ssize_t n;

	if ((rc = run_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return error("cannot find the winnow binary: %s", strerror(errno)), EXIT_FAILURE_;
	self[n] = '\0';
	lock = lock_run(corpus_path());
	if (lock < 0) {
		if (lock == -2) {
			error("another 'winnow run' is working on '%s'; try again when it has finished",
			      corpus_path());
			return EXIT_TEMPFAIL;
		}
		return EXIT_FAILURE_;
	}
	if ((rc = command_begin(&cmd, "run", COMMAND_CREATE))) {
		close(lock);
		return rc;
	}
	memset(&p, 0, sizeof(p));
	strbuf_init(&p.done, 0);
	p.verbose = o.verbose;
	p.db = cmd.db;
	p.run = &cmd.run;

	int llm = o.provider || o.base_url || (getenv("WINNOW_LLM_PROVIDER") && *getenv("WINNOW_LLM_PROVIDER"));
	int sites = corpus_int(p.db, "SELECT count(*) FROM sources WHERE kind = 'site'") > 0;
	nsteps = plan_steps(&o, sites, llm, steps);
	rc = run_steps(&p, self, steps, nsteps, &failed);

	stage_summary(p.db, &stages);
	if (stop_signal)
		rc = command_end(&cmd, rc, "stopped by signal %d after %s; run again to carry on; corpus: %s",
				 (int)stop_signal, p.done.len ? p.done.buf : "no step", stages.buf);
	else if (rc)
		rc = command_end(&cmd, rc, "step '%s' failed (exit %d) after %s; corpus: %s", failed, rc,
				 p.done.len ? p.done.buf : "no step", stages.buf);
	else
		rc = command_end(&cmd, EXIT_OK, "%s done%s; corpus: %s", p.done.buf,
				 llm ? "" : " (no LLM configured: judge and fix skipped)", stages.buf);
	for (size_t i = 0; i < nsteps; i++)
		string_list_clear(&steps[i].args);
	strbuf_release(&stages);
	strbuf_release(&p.done);
	close(lock);
	return rc;
}
