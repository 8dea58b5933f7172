/*
 * source_cmd.c - `winnow source add|list|rm`: declaring the sites to crawl.
 * A site's rules are a JSON object in sources.rules (see site_rules.c);
 * adding a source that exists replaces its rules, so rules can be tuned
 * without losing the frontier.
 */
#include "crawl_internal.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct command_help source_help = {
	"winnow source add|list|rm ...",
	"Declare the sites to crawl, their rules and schedule.",
	"  winnow source add NAME --url URL [options]   add a site, or replace its rules\n"
	"  winnow source list                           sites with pages fetched/pending/failed,\n"
	"                                               records made, last run and next due time\n"
	"  winnow source rm NAME                        forget a site: its rules, frontier and\n"
	"                                               documents (records it made are kept)\n"
	"\n'winnow source add --help' lists the rules.",
	"  winnow source add forum --url https://forum.example.com/ --deny '/login' --every 1d\n"
	"  winnow source list",
};

static const struct command_help add_help = {
	"winnow source add NAME --url URL [options]",
	"Add a site to crawl, or replace the rules of one already added.",
	"Links are followed within the site (www. and the bare host are one site),\n"
	"within --allow/--deny (POSIX extended regexes matched against the whole\n"
	"URL; with --allow, a URL must match one) and --depth. Politeness: one\n"
	"request at a time per host (--concurrency) and --delay between them,\n"
	"or robots.txt's Crawl-delay if longer; robots.txt is obeyed unless\n"
	"--ignore-robots. With --qa, every page also yields one Q&A record per\n"
	"question node (see 'winnow extract --help').",
	"  winnow source add forum --url https://forum.example.com/ --depth 3\n"
	"  winnow source add qa --url https://qa.example.com/ --sitemap https://qa.example.com/sitemap.xml \\\n"
	"      --qa '//h1' '//div[@class=\"answer\"]' --qa-input '//div[@class=\"question\"]' --every 12h",
};

static int parse_url_arg(const char *arg, const char *option, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	if (url_resolve(NULL, arg, &sb)) {
		strbuf_release(&sb);
		return error("%s: '%s' is not an http:// or https:// URL", option, arg);
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int check_regexes(const struct string_list *list, const char *option)
{
	for (size_t i = 0; i < list->nr; i++) {
		regex_t re;
		int rc = regcomp(&re, list->items[i], REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			return error("%s: '%s' is not a valid regular expression: %s", option,
				     list->items[i], msg);
		}
		regfree(&re);
	}
	return 0;
}

static char **copy_list(const struct string_list *l, size_t *n)
{
	char **v = xcalloc(l->nr + 1, sizeof(*v));
	for (size_t i = 0; i < l->nr; i++)
		v[i] = xstrdup(l->items[i]);
	*n = l->nr;
	return v;
}

struct source_add_options {
	const char *name, *url, *every, *qa_input, *content, *ua, *qa_placeholder, *qa_q, *qa_a;
	struct string_list sitemaps, allow, deny;
	long depth, max_pages, delay, concurrency;
	int ignore_robots;
};

/* Parses the options into o. Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int source_add_parse(int argc, char **argv, struct source_add_options *o)
{
	memset(o, 0, sizeof(*o));
	o->depth = -1;
	o->delay = 1000;
	o->concurrency = 1;
	struct option opts[] = {
		OPT_STRING(0, "url", &o->url, "URL", "start URL (required)"),
		OPT_LIST(0, "sitemap", &o->sitemaps, "URL", "a sitemap or sitemap index (.gz too); repeatable"),
		OPT_LIST(0, "allow", &o->allow, "REGEX", "only follow URLs matching one of these; repeatable"),
		OPT_LIST(0, "deny", &o->deny, "REGEX", "never follow URLs matching this; repeatable"),
		OPT_INT(0, "depth", &o->depth, "N", -1, 1000, "links to follow from a start page (default: no limit)"),
		OPT_INT(0, "max-pages", &o->max_pages, "N", 0, 100000000, "pages per run (default: no limit)"),
		OPT_INT(0, "delay", &o->delay, "MS", 0, 3600000, "milliseconds between requests to a host (default 1000)"),
		OPT_INT(0, "concurrency", &o->concurrency, "N", 1, 64, "requests in flight per host (default 1)"),
		OPT_STRING(0, "every", &o->every, "DURATION", "recrawl interval: 30m, 12h, 1d, 1w (default 1d)"),
		OPT_STRING(0, "qa", &o->qa_placeholder, "QUESTION_XPATH ANSWER_XPATH", "make a Q&A record per question"),
		OPT_STRING(0, "qa-input", &o->qa_input, "XPATH", "with --qa: the question's body (record input)"),
		OPT_STRING(0, "content", &o->content, "XPATH", "the main text is the text of these nodes"),
		OPT_STRING(0, "user-agent", &o->ua, "UA",
			   "User-Agent header; its first word is the robots.txt token (default: winnow)"),
		OPT_FLAG(0, "ignore-robots", &o->ignore_robots, "do not obey robots.txt (only for your own sites)"),
		OPT_END(),
	};
	argc = take_qa_option(argc, argv, &o->qa_q, &o->qa_a);
	if (argc < 0)
		return usage_error(&add_help, "--qa needs two values: QUESTION_XPATH ANSWER_XPATH");
	argc = parse_options(argc, argv, opts, &add_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&add_help, argc ? "give one NAME" : "say the source's NAME");
	o->name = argv[0];
	if (!o->url)
		return usage_error(&add_help, "--url is required");
	if (o->qa_input && !o->qa_q)
		return usage_error(&add_help, "--qa-input needs --qa");
	return OPTIONS_GO_ON;
}

/* Checks the options and builds the rules. Returns 0, or the exit code (message printed). */
static int source_add_rules(const struct source_add_options *o, struct site_rules *rules)
{
	if (o->every && (parse_duration(o->every, &rules->every) || rules->every < 60))
		return usage_error(&add_help, "--every: '%s' is not a duration of at least 1m "
				   "(like 30m, 12h, 1d)", o->every);
	if (parse_url_arg(o->url, "--url", &rules->url))
		return EXIT_USAGE;
	rules->sitemaps = xcalloc(o->sitemaps.nr + 1, sizeof(char *));
	for (size_t i = 0; i < o->sitemaps.nr; i++) {
		if (parse_url_arg(o->sitemaps.items[i], "--sitemap", &rules->sitemaps[i]))
			return EXIT_USAGE;
		rules->sitemaps_nr++;
	}
	if (check_regexes(&o->allow, "--allow") || check_regexes(&o->deny, "--deny") ||
	    xpath_check(o->qa_q, "--qa") || xpath_check(o->qa_a, "--qa") ||
	    xpath_check(o->qa_input, "--qa-input") || xpath_check(o->content, "--content"))
		return EXIT_USAGE;
	rules->allow = copy_list(&o->allow, &rules->allow_nr);
	rules->deny = copy_list(&o->deny, &rules->deny_nr);
	rules->depth = o->depth;
	rules->max_pages = o->max_pages;
	rules->delay_ms = o->delay;
	rules->concurrency = o->concurrency;
	rules->ignore_robots = o->ignore_robots;
	rules->qa_question = o->qa_q ? xstrdup(o->qa_q) : NULL;
	rules->qa_answer = o->qa_a ? xstrdup(o->qa_a) : NULL;
	rules->qa_input = o->qa_input ? xstrdup(o->qa_input) : NULL;
	rules->content = o->content ? xstrdup(o->content) : NULL;
	rules->user_agent = o->ua ? xstrdup(o->ua) : NULL;
	return 0;
}

/* Adds or updates the site called name with these rules; returns the exit code. */
static int source_store(struct command *cmd, const char *name, const struct site_rules *rules)
{
	sqlite3 *db = cmd->db;
	struct strbuf json = STRBUF_INIT;
	int64_t existing = 0;
	const char *kind = NULL;
	int ok = 0;
	sqlite3_stmt *st = corpus_prepare(db, "SELECT id, kind FROM sources WHERE name = ?");
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			existing = sqlite3_column_int64(st, 0);
			kind = strcmp((const char *)sqlite3_column_text(st, 1), "site") ? "other" : "site";
		}
		sqlite3_finalize(st);
	}
	if (existing && strcmp(kind, "site")) {
		error("there is already a source called '%s' that is not a site; choose another name", name);
		return command_end(cmd, EXIT_USAGE, "nothing changed");
	}
	int64_t id = source_ensure(db, name, "site", rules->url);
	st = id > 0 ? corpus_prepare(db, "UPDATE sources SET rules = ?, location = ? WHERE id = ?") : NULL;
	if (!st)
		return command_end(cmd, EXIT_FAILURE_, "cannot store the source");
	site_rules_to_json(rules, &json);
	sqlite3_bind_text(st, 1, json.buf, (int)json.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rules->url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	ok = sqlite3_step(st) == SQLITE_DONE;
	if (!ok)
		error("cannot store the rules of '%s': %s", name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	strbuf_release(&json);
	if (!ok)
		return command_end(cmd, EXIT_FAILURE_, "nothing changed");
	return command_end(cmd, EXIT_OK, "%s site '%s' (%s)", existing ? "updated" : "added", name, rules->url);
}

static int source_add(int argc, char **argv)
{
	struct source_add_options o;
	struct site_rules rules;
	struct command cmd;
	int rc;

	site_rules_init(&rules);
	rc = source_add_parse(argc, argv, &o);
	if (rc != OPTIONS_GO_ON)
		goto out;
	rc = source_add_rules(&o, &rules);
	if (!rc)
		rc = command_begin(&cmd, "source add", COMMAND_CREATE);
	if (!rc)
		rc = source_store(&cmd, o.name, &rules);
out:
	site_rules_release(&rules);
	string_list_clear(&o.sitemaps);
	string_list_clear(&o.allow);
	string_list_clear(&o.deny);
	return rc;
}

static void format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

static int source_list(int argc, char **argv)
{
	static const struct command_help list_help = {
		"winnow source list", "List the sites with their crawl state.",
		"FAILED pages gave up after their retries; BLOCKED ones robots.txt keeps out.", NULL };
	struct option opts[] = { OPT_END() };
	argc = parse_options(argc, argv, opts, &list_help);
	if (argc < 0)
		return options_exit_code(argc);
	sqlite3 *db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT s.name, s.location, s.rules, s.last_crawl_at,"
		" (SELECT count(*) FROM pages p WHERE p.source_id = s.id AND p.status = 'fetched'),"
		" (SELECT count(*) FROM pages p WHERE p.source_id = s.id AND p.status = 'pending'),"
		" (SELECT count(*) FROM pages p WHERE p.source_id = s.id AND p.status = 'failed'),"
		" (SELECT count(*) FROM records r WHERE r.source_id = s.id AND r.origin = 'crawl'),"
		" (SELECT count(*) FROM documents d WHERE d.source_id = s.id),"
		" (SELECT count(*) FROM pages p WHERE p.source_id = s.id AND p.status = 'blocked')"
		" FROM sources s WHERE s.kind = 'site' AND s.rules <> '{}' ORDER BY s.name");
	if (!st) {
		corpus_close(db);
		return EXIT_FAILURE_;
	}
	int n = 0;
	time_t now = time(NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		struct site_rules rules;
		char last[32] = "never", next[32] = "now";
		if (!n++)
			printf("%-16s %8s %8s %7s %8s %8s %9s %-17s %-17s %s\n", "NAME", "FETCHED", "PENDING",
			       "FAILED", "BLOCKED", "RECORDS", "DOCUMENTS", "LAST RUN (UTC)", "NEXT DUE (UTC)", "URL");
		if (site_rules_from_json(&rules, (const char *)sqlite3_column_text(st, 2), name))
			continue;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			int64_t t = sqlite3_column_int64(st, 3);
			format_time(t, last, sizeof(last));
			if (t + rules.every > now)
				format_time(t + rules.every, next, sizeof(next));
		}
		printf("%-16s %8lld %8lld %7lld %8lld %8lld %9lld %-17s %-17s %s\n", name,
		       (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5),
		       (long long)sqlite3_column_int64(st, 6), (long long)sqlite3_column_int64(st, 9),
		       (long long)sqlite3_column_int64(st, 7),
		       (long long)sqlite3_column_int64(st, 8), last, next,
		       (const char *)sqlite3_column_text(st, 1));
		site_rules_release(&rules);
	}
	if (!n)
		fprintf(stderr, "no sites yet; add one with 'winnow source add NAME --url URL'\n");
	sqlite3_finalize(st);
	corpus_close(db);
	return EXIT_OK;
}

static int source_rm(int argc, char **argv)
{
	static const struct command_help rm_help = {
		"winnow source rm NAME",
		"Forget a site: its rules, its frontier and its documents.",
		"Records the site's pages made are data in the pipeline and are kept;\n"
		"the source row then stays (without rules) so they still say where they\n"
		"came from.", NULL };
	struct option opts[] = { OPT_END() };
	struct run run;
	argc = parse_options(argc, argv, opts, &rm_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&rm_help, "give one NAME");
	sqlite3 *db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "source rm");
	sqlite3_stmt *st = corpus_prepare(db, "SELECT id FROM sources WHERE name = ? AND kind = 'site'");
	int64_t id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, argv[0], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!id) {
		error("there is no site called '%s'; 'winnow source list' shows them", argv[0]);
		int rc = run_end(&run, EXIT_USAGE, "nothing removed");
		corpus_close(db);
		return rc;
	}
	char *sql = xstrfmt(
		"BEGIN IMMEDIATE;"
		"DELETE FROM pages WHERE source_id = %lld;"
		"UPDATE records SET document_id = NULL WHERE document_id IN"
		"  (SELECT id FROM documents WHERE source_id = %lld);"
		"DELETE FROM documents WHERE source_id = %lld;"
		"UPDATE sources SET rules = '{}', last_crawl_at = NULL WHERE id = %lld;"
		"DELETE FROM sources WHERE id = %lld AND NOT EXISTS"
		"  (SELECT 1 FROM records WHERE source_id = %lld);"
		"COMMIT;", (long long)id, (long long)id, (long long)id, (long long)id,
		(long long)id, (long long)id);
	int rc;
	if (corpus_exec(db, sql)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		rc = run_end(&run, EXIT_FAILURE_, "nothing removed");
	} else {
		char *q = xstrfmt("SELECT count(*) FROM records WHERE source_id = %lld", (long long)id);
		long long kept = (long long)corpus_int(db, q);
		free(q);
		rc = run_end(&run, EXIT_OK, "removed site '%s' (%lld records it made are kept)",
			     argv[0], kept);
	}
	free(sql);
	corpus_close(db);
	return rc;
}

int cmd_source(int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{ "add", source_add }, { "list", source_list }, { "rm", source_rm }, { "remove", source_rm },
		{ NULL, NULL },
	};
	return run_subcommand(argc, argv, subs, &source_help);
}
