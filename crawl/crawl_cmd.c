/*
 * crawl_cmd.c - `winnow crawl [SOURCE...]`: fetch what is due, extract,
 * store. Safe under cron: one crawl per corpus at a time (a lock row in
 * the corpus; a lock left by a dead process is taken over), SIGINT and
 * SIGTERM finish the pages in flight and exit 0, and the frontier in the
 * corpus lets the next run continue where this one stopped.
 */
#define _POSIX_C_SOURCE 200809L
#include "crawl_internal.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct command_help crawl_help = {
	"winnow crawl [options] [SOURCE...]",
	"Fetch the pages of the sites that are due, extract their text, store it.",
	"With no SOURCE, crawls every site whose --every interval has passed since\n"
	"its last crawl; naming sources crawls them now. Pages go to `pages` (the\n"
	"frontier), main text to `documents`, --qa records to `records` (stage raw).\n"
	"Each page is committed as it finishes: a killed crawl loses at most the\n"
	"pages in flight, and the next run continues without fetching anything twice.\n"
	"Only one crawl runs per corpus; a second one exits 75 (try again later).\n"
	"Ctrl-C (or SIGTERM) finishes the pages in flight, saves and exits 0.",
	"  winnow crawl\n"
	"  winnow crawl forum --max-pages 100\n"
	"  15 2 * * *  cd /data && winnow crawl --max-time 3h   # crontab: nightly",
};

static volatile int stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Takes the corpus's crawl lock. Returns 0, 1 if another crawl holds it, -1 on error. */
static int lock_take(sqlite3 *db, const char *host)
{
	sqlite3_stmt *st;
	int held = 0;
	if (corpus_begin_write(db))
		return -1;
	st = corpus_prepare(db, "SELECT pid, host, started_at FROM crawl_lock WHERE id = 1");
	if (!st) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		long pid = (long)sqlite3_column_int64(st, 0);
		const char *lock_host = (const char *)sqlite3_column_text(st, 1);
		const char *started = (const char *)sqlite3_column_text(st, 2);
		int alive = strcmp(lock_host, host) ||
			    (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM));
		if (alive) {
			error("another crawl is running on this corpus (pid %ld on %s, started %s); "
			      "try again when it has finished", pid, lock_host, started);
			held = 1;
		} else {
			warning("taking over the crawl lock of pid %ld (started %s), which is no longer running",
				pid, started);
		}
	}
	sqlite3_finalize(st);
	if (held) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return 1;
	}
	st = corpus_prepare(db, "INSERT OR REPLACE INTO crawl_lock (id, pid, host, started_at) "
				"VALUES (1, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
	if (!st) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (int64_t)getpid());
	sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
	int ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok || corpus_exec(db, "COMMIT")) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void lock_release(sqlite3 *db)
{
	char *sql = xstrfmt("DELETE FROM crawl_lock WHERE id = 1 AND pid = %ld", (long)getpid());
	corpus_exec(db, sql);
	free(sql);
}

struct due_sites {
	int64_t *ids;
	struct site_rules **rules;
	size_t nr;
};

static void due_sites_release(struct due_sites *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		site_rules_release(d->rules[i]);
		free(d->rules[i]);
	}
	free(d->rules);
	free(d->ids);
}

/* Collects the named sites (all due ones when none are named). Returns 0, or an exit code. */
static int pick_sites(sqlite3 *db, int argc, char **argv, struct due_sites *d)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT id, name, rules, last_crawl_at FROM sources "
		"WHERE kind = 'site' AND rules <> '{}' ORDER BY name");
	int found[256] = { 0 };
	if (!st)
		return EXIT_FAILURE_;
	if (argc > 256)
		argc = 256;
	time_t now = time(NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		int wanted = argc == 0;
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], name))
				wanted = found[i] = 1;
		if (!wanted)
			continue;
		struct site_rules *r = xmalloc(sizeof(*r));
		if (site_rules_from_json(r, (const char *)sqlite3_column_text(st, 2), name)) {
			site_rules_release(r);
			free(r);
			continue;
		}
		if (argc == 0 && sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 3) + r->every > (int64_t)now) {
			site_rules_release(r);
			free(r);
			continue;	/* not due yet */
		}
		d->ids = xrealloc(d->ids, (d->nr + 1) * sizeof(*d->ids));
		d->rules = xrealloc(d->rules, (d->nr + 1) * sizeof(*d->rules));
		d->ids[d->nr] = sqlite3_column_int64(st, 0);
		d->rules[d->nr++] = r;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < argc; i++)
		if (!found[i])
			return usage_error(&crawl_help, "there is no site called '%s'; "
					   "'winnow source list' shows them", argv[i]);
	return 0;
}

/*
 * Parses the options into limits. Returns how many site names are left in
 * argv, or PARSE_HELP / PARSE_ERROR (help or the usage error printed).
 */
static int crawl_parse_options(int argc, char **argv, struct crawl_limits *limits)
{
	const char *max_time = NULL;
	long max_pages = 0, concurrency = 8, timeout = 60, max_links = CRAWL_MAX_LINKS;
	struct option opts[] = {
		OPT_STRING(0, "max-time", &max_time, "DURATION", "stop starting pages after this long (30m, 2h)"),
		OPT_INT(0, "max-pages", &max_pages, "N", 0, 1000000000, "fetch at most N pages in this run"),
		OPT_INT(0, "concurrency", &concurrency, "N", 1, 256, "requests in flight over all hosts (default 8)"),
		OPT_INT(0, "timeout", &timeout, "SECONDS", 1, 3600, "give up on one request after this long (default 60)"),
		OPT_INT(0, "max-links", &max_links, "N", 1, 10000000, "follow at most N links of one page "
			"(default 5000); the rest are counted in pages.links_dropped"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &crawl_help);
	if (argc < 0)
		return argc;
	memset(limits, 0, sizeof(*limits));
	if (max_time) {
		long secs;
		if (parse_duration(max_time, &secs) || secs < 1) {
			usage_error(&crawl_help, "--max-time: '%s' is not a duration (like 30m, 2h)", max_time);
			return PARSE_ERROR;
		}
		limits->deadline = now_seconds() + (double)secs;
	}
	limits->max_pages = max_pages;
	limits->concurrency = concurrency;
	limits->timeout = timeout;
	limits->max_links = max_links;
	return argc;
}

/* Crawls the due sites with Ctrl-C and SIGTERM finishing the pages in flight; 1 if the corpus failed. */
static int crawl_due(struct command *cmd, struct due_sites *due, const struct crawl_limits *limits,
		     struct crawl_totals *totals)
{
	struct sigaction sa, old_int, old_term;
	for (size_t i = 0; i < due->nr; i++) {
		char *sql = xstrfmt("UPDATE sources SET last_crawl_at = %lld WHERE id = %lld",
				    (long long)time(NULL), (long long)due->ids[i]);
		corpus_exec(cmd->db, sql);
		free(sql);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int failed = crawl_sites(cmd->db, cmd->run.id, due->ids, due->rules, due->nr, limits, &stop_requested,
				 totals);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return failed;
}

static int crawl_report(struct command *cmd, const struct crawl_totals *totals, int failed)
{
	struct run *run = &cmd->run;
	run_count(run, "fetched", totals->fetched);
	run_count(run, "not_modified", totals->not_modified);
	run_count(run, "unchanged", totals->unchanged);
	run_count(run, "redirects", totals->redirects);
	run_count(run, "documents", totals->documents);
	run_count(run, "records", totals->records);
	run_count(run, "failed", totals->failed);
	run_count(run, "blocked", totals->blocked);
	run_count(run, "retried", totals->retried);
	run_count(run, "new_links", totals->links);
	run_count(run, "sitemaps", totals->sitemaps);
	run_count(run, "links_dropped", totals->links_dropped);
	if (totals->pages_capped)
		warning("%ld page%s had more links than --max-links; %ld links were not followed "
			"(counted in pages.links_dropped)", totals->pages_capped, totals->pages_capped == 1 ? "" : "s",
			totals->links_dropped);
	if (failed)
		error("the crawl stopped because the corpus failed; finished pages are saved");
	return command_end(cmd, failed ? EXIT_FAILURE_ : EXIT_OK,
			   "%ld fetched, %ld not modified, %ld unchanged, %ld redirected, %ld new documents, "
			   "%ld records, %ld failed%s%s%s, %ld blocked by robots.txt%s",
			   totals->fetched, totals->not_modified, totals->unchanged, totals->redirects,
			   totals->documents, totals->records, totals->failed, totals->failures.len ? " (" : "",
			   totals->failures.buf, totals->failures.len ? ")" : "", totals->blocked,
			   stop_requested ? "; interrupted, the rest is due next run" : "");
}

int cmd_crawl(int argc, char **argv)
{
	struct crawl_limits limits;
	struct crawl_totals totals;
	struct due_sites due = { NULL, NULL, 0 };
	struct command cmd;
	int rc;

	argc = crawl_parse_options(argc, argv, &limits);
	if (argc < 0)
		return options_exit_code(argc);
	if ((rc = command_begin(&cmd, "crawl", COMMAND_CREATE)))
		return rc;
	rc = lock_take(cmd.db, host_name());
	if (rc)
		return command_end(&cmd, rc > 0 ? EXIT_TEMPFAIL : EXIT_FAILURE_, "another crawl holds the lock");
	rc = pick_sites(cmd.db, argc, argv, &due);
	if (rc || !due.nr) {
		lock_release(cmd.db);
		due_sites_release(&due);
		return rc ? command_end(&cmd, rc, "nothing crawled")
			  : command_end(&cmd, EXIT_OK, "no site is due (see 'winnow source list')");
	}
	memset(&totals, 0, sizeof(totals));
	strbuf_init(&totals.failures, 0);
	int failed = crawl_due(&cmd, &due, &limits, &totals);
	lock_release(cmd.db);
	rc = crawl_report(&cmd, &totals, failed);
	strbuf_release(&totals.failures);
	due_sites_release(&due);
	return rc;
}
