/*
 * llm_task_cmd.c - generation tasks and their feedback: `winnow task
 * add|list|show|rm` keeps a task's instruction prompt, hand-written seed
 * examples and mode; `winnow feedback add|list|rm` keeps the mistakes
 * found in review, which every later generation prompt carries as rules.
 * Rejection notes written in review count as feedback too.
 */
#include "generate_internal.h"
#include "../db/corpus.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

static const char *const mode_names[] = { "questions", "pairs", "from-documents" };

const char *task_mode_name(enum task_mode m)
{
	return mode_names[m];
}

static int mode_from_name(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return TASK_QUESTIONS;
}

int task_load(sqlite3 *db, const char *name, struct task *t)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT id, name, prompt, system, seeds, mode, rounds FROM tasks WHERE name = ?");
	int rc = -1;
	memset(t, 0, sizeof(*t));
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char err[160];
		const char *seeds = (const char *)sqlite3_column_text(st, 4);
		t->id = sqlite3_column_int64(st, 0);
		t->name = xstrdup((const char *)sqlite3_column_text(st, 1));
		t->prompt = xstrdup((const char *)sqlite3_column_text(st, 2));
		t->system = xstrdup((const char *)sqlite3_column_text(st, 3));
		t->seeds = json_parse(seeds, strlen(seeds), err, sizeof(err));
		if (!json_is_array(t->seeds)) {
			json_decref(t->seeds);
			t->seeds = json_array();
		}
		t->mode = (enum task_mode)mode_from_name((const char *)sqlite3_column_text(st, 5));
		t->rounds = (long)sqlite3_column_int64(st, 6);
		rc = 0;
	} else {
		error("there is no task '%s'; see 'winnow task list', or create it with 'winnow task add'", name);
	}
	sqlite3_finalize(st);
	return rc;
}

void task_release(struct task *t)
{
	free(t->name);
	free(t->prompt);
	free(t->system);
	json_decref(t->seeds);
	memset(t, 0, sizeof(*t));
}

static int has_item(const struct string_list *l, const char *s)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

int task_feedback_rules(sqlite3 *db, int64_t task_id, const char *kind, struct string_list *rules)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT text FROM feedback WHERE task_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	if (kind)
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		if (text && *text && !has_item(rules, text))
			string_list_append(rules, text);
	}
	sqlite3_finalize(st);
	return 0;
}

int task_rejected_examples(sqlite3 *db, int64_t task_id, size_t max, struct string_list *out)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT r.instruction FROM records r WHERE r.task_id = ? AND r.stage = 'rejected' "
		"AND EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = r.id AND a.verdict = 'reject' "
		"AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.annotation_id = a.id AND f.kind = 'answer')) "
		"ORDER BY r.id DESC LIMIT ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (sqlite3_step(st) == SQLITE_ROW)
		string_list_append(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

/* ---- reading the prompt and seed files ---- */

/* Reads a whole UTF-8 text file (at most 1 MB). Returns 0, or -1 with *bad set for bad content. */
static int read_text_file(const char *path, const char *what, struct strbuf *out, int *bad)
{
	if (read_file_limited(path, 1 << 20, out)) {
		*bad = errno == EFBIG;
		return -1;
	}
	if (utf8proc_decompose((const utf8proc_uint8_t *)out->buf, (utf8proc_ssize_t)out->len, NULL, 0, 0) < 0 ||
	    memchr(out->buf, '\0', out->len)) {
		*bad = 1;
		return error("%s file '%s' is not UTF-8 text; convert it first, e.g. iconv -f GB18030 -t UTF-8",
			     what, path);
	}
	strbuf_trim(out);
	if (!out->len) {
		*bad = 1;
		return error("%s file '%s' is empty", what, path);
	}
	return 0;
}

static const char *string_member(json_t *obj, const char *const *keys, const char **key)
{
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(obj, keys[i]);
		*key = keys[i];
		if (v && !json_is_null(v))
			return json_is_string(v) ? json_string_value(v) : NULL;
	}
	*key = keys[0];
	return "";
}

/* One seed from a JSON item (object or string) appended to seeds. */
static int seed_from_json(json_t *item, json_t *seeds, const char *where)
{
	static const char *const ikeys[] = { "instruction", "question", "prompt", NULL };
	static const char *const inkeys[] = { "input", "context", NULL };
	static const char *const okeys[] = { "output", "answer", "response", NULL };
	const char *in, *input, *output, *key;
	json_t *seed;
	if (json_is_string(item)) {
		in = json_string_value(item), input = output = "";
	} else if (json_is_object(item)) {
		if (!(in = string_member(item, ikeys, &key)) || !*in)
			return error("%s: field '%s' must be a non-empty string", where, key);
		if (!(input = string_member(item, inkeys, &key)))
			return error("%s: field '%s' must be a string", where, key);
		if (!(output = string_member(item, okeys, &key)))
			return error("%s: field '%s' must be a string", where, key);
	} else {
		return error("%s: a seed must be an object with 'instruction' (and 'output') or a string, "
			     "found %s", where, json_type_name(item));
	}
	seed = json_object();
	json_object_set_new(seed, "instruction", json_string(in));
	json_object_set_new(seed, "input", json_string(input));
	json_object_set_new(seed, "output", json_string(output));
	json_array_append_new(seeds, seed);
	return 0;
}

/*
 * Seeds from an Alpaca JSON array / JSON Lines file, or one question per
 * line. Returns the array, or NULL after an error naming file and line
 * (always bad input: the caller exits 65).
 */
static json_t *read_seeds(const char *path)
{
	struct strbuf text = STRBUF_INIT;
	json_t *seeds = json_array();
	int bad = 0;
	if (read_text_file(path, "seeds", &text, &bad))
		goto fail;
	if (text.buf[0] == '[') {
		char err[200];
		json_t *all = json_parse(text.buf, text.len, err, sizeof(err)), *item;
		size_t i;
		if (!all) {
			error("%s: not valid JSON (%s)", path, err);
			goto fail;
		}
		json_array_foreach(all, i, item) {
			char *where = xstrfmt("%s (item %zu)", path, i);
			int rc = seed_from_json(item, seeds, where);
			free(where);
			if (rc) {
				json_decref(all);
				goto fail;
			}
		}
		json_decref(all);
	} else if (text.buf[0] == '{') {
		/* JSON Lines */
		char *p = text.buf, err[200];
		long lineno = 0;
		while (p) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			lineno++;
			struct strbuf l = STRBUF_INIT;
			strbuf_add(&l, p, n);
			strbuf_trim(&l);
			p = nl ? nl + 1 : NULL;
			if (!l.len) {
				strbuf_release(&l);
				continue;
			}
			char *where = xstrfmt("%s:%ld", path, lineno);
			json_t *item = json_parse(l.buf, l.len, err, sizeof(err));
			int rc = item ? seed_from_json(item, seeds, where) : error("%s: not valid JSON (%s)", where, err);
			json_decref(item);
			free(where);
			strbuf_release(&l);
			if (rc)
				goto fail;
		}
	} else {
		char *save = text.buf, *line;
		while ((line = save)) {
			char *nl = strchr(line, '\n');
			save = nl ? nl + 1 : NULL;
			if (nl)
				*nl = '\0';
			struct strbuf l = STRBUF_INIT;
			strbuf_addstr(&l, line);
			strbuf_trim(&l);
			if (l.len) {
				json_t *s = json_string(l.buf);
				seed_from_json(s, seeds, path);
				json_decref(s);
			}
			strbuf_release(&l);
		}
	}
	if (!json_array_size(seeds)) {
		error("seeds file '%s' holds no examples", path);
		goto fail;
	}
	strbuf_release(&text);
	return seeds;
fail:
	strbuf_release(&text);
	json_decref(seeds);
	return NULL;
}

/* ---- task ---- */

static const struct command_help task_help = {
	"winnow task add|list|show|rm ...",
	"Generation tasks: an instruction prompt, seed examples, and what to produce.",
	"  add NAME --prompt FILE --seeds FILE [--mode MODE] [--system FILE]\n"
	"  list\n"
	"  show NAME\n"
	"  rm NAME\n"
	"Modes: questions (instructions only; `winnow answer` writes the outputs),\n"
	"pairs (instruction and output together), from-documents (Q&A pairs answerable\n"
	"from crawled documents). Seeds are an Alpaca JSON array or JSON Lines file, or\n"
	"a text file with one question per line.",
	"  winnow task add luck --prompt luck_prompt.txt --seeds luck_seeds.txt\n"
	"  winnow task add faq --mode pairs --prompt faq.txt --seeds faq_seeds.json\n"
	"  winnow task show luck",
};

struct task_add_options {
	const char *name, *prompt_path, *seeds_path, *mode, *system_path, *description;
	int update;
};

static const struct command_help task_add_help = {
	"winnow task add NAME --prompt FILE --seeds FILE [options]",
	"Create a generation task (or change one with --update).",
	"Without --mode the seeds decide: seeds with outputs make a pairs task (the\n"
	"model writes whole examples like them), seeds without make a questions task\n"
	"(questions first, `winnow answer` writes the outputs). When only some seeds\n"
	"have outputs, task add asks on a terminal, and otherwise wants --mode.",
	"  winnow task add luck --prompt luck_prompt.txt --seeds luck_seeds.txt\n"
	"  winnow task add faq --prompt faq.txt --seeds faq_seeds.json --mode questions",
};

static int task_add_parse(int argc, char **argv, struct task_add_options *o)
{
	memset(o, 0, sizeof(*o));
	o->description = "";
	struct option opts[] = {
		OPT_STRING('p', "prompt", &o->prompt_path, "FILE", "the instruction prompt (UTF-8 text)"),
		OPT_STRING('s', "seeds", &o->seeds_path, "FILE", "seed examples: Alpaca JSON/JSONL, or one question per line"),
		OPT_CHOICE('m', "mode", &o->mode, "questions|pairs|from-documents", "what generate produces "
			   "(default: pairs when the seeds have outputs, questions when they have none)"),
		OPT_STRING(0, "system", &o->system_path, "FILE", "system prompt for `winnow answer`"),
		OPT_STRING('d', "description", &o->description, "TEXT", "what the task's records are for"),
		OPT_FLAG(0, "update", &o->update, "replace the prompt/seeds/mode/system of an existing task"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &task_add_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&task_add_help, "give the task one NAME");
	if (!o->update && (!o->prompt_path || !o->seeds_path))
		return usage_error(&task_add_help, "a new task needs --prompt FILE and --seeds FILE");
	o->name = argv[0];
	return OPTIONS_GO_ON;
}

/*
 * The mode when --mode was not given, from the seeds: pairs when every seed
 * has an output, questions when none has, else asked on a terminal. Returns
 * the mode name, or NULL after saying --mode is needed.
 */
static const char *mode_from_seeds(json_t *seeds)
{
	size_t i, with = 0, n = json_array_size(seeds);
	json_t *s;
	json_array_foreach(seeds, i, s)
		with += *json_string_value(json_object_get(s, "output")) != '\0';
	if (with == n) {
		fprintf(stderr, "task: pairs mode: every seed has an output, so generate writes whole examples "
			"like them (--mode questions to write questions and answer them with `winnow answer`)\n");
		return "pairs";
	}
	if (!with) {
		fprintf(stderr, "task: questions mode: the seeds have no outputs, so generate writes questions "
			"and `winnow answer` their outputs\n");
		return "questions";
	}
	if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		char line[64];
		fprintf(stderr, "%zu of the %zu seeds have an output. Generate p) pairs like them, or q) questions "
			"to answer later with `winnow answer`? [p/q] ", with, n);
		if (fgets(line, sizeof(line), stdin) && (line[0] == 'p' || line[0] == 'q'))
			return line[0] == 'p' ? "pairs" : "questions";
	}
	error("%zu of the %zu seeds have an output: say which mode with --mode pairs (whole examples) or "
	      "--mode questions (questions now, `winnow answer` later)", with, n);
	return NULL;
}

/* Inserts or updates the task; returns 0 or -1. */
static int task_store(sqlite3 *db, const struct task_add_options *o, int exists, const struct strbuf *prompt,
		      const struct strbuf *system, const char *seeds_text, const char *mode)
{
	char now[32];
	int rc;
	sqlite3_stmt *st = corpus_prepare(db, exists ?
		"UPDATE tasks SET prompt = coalesce(?2, prompt), seeds = coalesce(?3, seeds), "
		"mode = coalesce(?4, mode), system = coalesce(?5, system), "
		"description = CASE WHEN ?6 = '' THEN description ELSE ?6 END WHERE name = ?1" :
		"INSERT INTO tasks (name, prompt, seeds, mode, system, description, created_at) "
		"VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6, ?7)");
	if (!st)
		return -1;
	now_iso(now, sizeof(now));
	sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
	if (o->prompt_path)
		sqlite3_bind_text(st, 2, prompt->buf, (int)prompt->len, SQLITE_STATIC);
	if (seeds_text)
		sqlite3_bind_text(st, 3, seeds_text, -1, SQLITE_STATIC);
	if (mode)
		sqlite3_bind_text(st, 4, mode, -1, SQLITE_STATIC);
	if (o->system_path)
		sqlite3_bind_text(st, 5, system->buf, (int)system->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : error("cannot store task '%s': %s", o->name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

static int task_add(int argc, char **argv)
{
	struct task_add_options o;
	struct strbuf prompt = STRBUF_INIT, system = STRBUF_INIT;
	json_t *seeds = NULL;
	char *seeds_text = NULL, *sql;
	const char *mode;
	sqlite3 *db = NULL;
	struct run run;
	int bad = 0, rc;
	int64_t exists;

	if ((rc = task_add_parse(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "task add");
	if ((o.prompt_path && read_text_file(o.prompt_path, "prompt", &prompt, &bad)) ||
	    (o.system_path && read_text_file(o.system_path, "system prompt", &system, &bad)) ||
	    (o.seeds_path && !(seeds = read_seeds(o.seeds_path)))) {
		rc = run_end(&run, EXIT_DATAERR, "task '%s' not %s", o.name, o.update ? "changed" : "added");
		goto out;
	}
	sql = sqlite3_mprintf("SELECT count(*) FROM tasks WHERE name = %Q", o.name);
	exists = corpus_int(db, sql);
	sqlite3_free(sql);
	rc = EXIT_FAILURE_;
	if (exists && !o.update)
		error("task '%s' already exists; change it with 'winnow task add %s --update ...'", o.name, o.name);
	else if (!exists && o.update && (!o.prompt_path || !o.seeds_path))
		error("there is no task '%s' to update; a new task needs --prompt and --seeds", o.name);
	else
		rc = EXIT_OK;
	mode = o.mode ? o.mode : seeds ? mode_from_seeds(seeds) : NULL;
	if (rc || (seeds && !mode)) {
		rc = run_end(&run, rc ? rc : EXIT_USAGE, "task '%s' not %s", o.name, o.update ? "changed" : "added");
		goto out;
	}
	if (seeds && !strcmp(mode, "pairs")) {
		size_t i, missing = 0;
		json_t *s;
		json_array_foreach(seeds, i, s)
			missing += !*json_string_value(json_object_get(s, "output"));
		if (missing)
			warning("%zu of the %zu seeds have no output; pairs tasks show the model whole examples",
				missing, json_array_size(seeds));
	}
	if (seeds)
		seeds_text = json_dumps(seeds, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (task_store(db, &o, exists > 0, &prompt, &system, seeds_text, mode)) {
		rc = run_end(&run, EXIT_FAILURE_, "task '%s' not added", o.name);
		goto out;
	}
	run_count(&run, "seeds", seeds ? (int64_t)json_array_size(seeds) : 0);
	rc = run_end(&run, EXIT_OK, "task '%s' %s (%s mode%s%zu seeds)", o.name, exists ? "updated" : "added",
		     mode ? mode : "same", seeds ? ", " : "", seeds ? json_array_size(seeds) : 0);
out:
	free(seeds_text);
	json_decref(seeds);
	strbuf_release(&prompt);
	strbuf_release(&system);
	corpus_close(db);
	return rc;
}

static int task_list(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	static const struct command_help help = { "winnow task list", "List generation tasks.", NULL, NULL };
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = 0;
	argc = parse_options(argc, argv, opts, &help);
	if (argc < 0)
		return options_exit_code(argc);
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	st = corpus_prepare(db,
		"SELECT t.name, t.mode, json_array_length(t.seeds), "
		"(SELECT count(*) FROM feedback f WHERE f.task_id = t.id), "
		"(SELECT count(*) FROM records r WHERE r.task_id = t.id), t.rounds FROM tasks t ORDER BY t.name");
	if (!st) {
		corpus_close(db);
		return EXIT_FAILURE_;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!n++)
			printf("%-20s %-15s %6s %9s %8s %7s\n", "task", "mode", "seeds", "feedback", "records", "rounds");
		printf("%-20s %-15s %6lld %9lld %8lld %7lld\n", (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), (long long)sqlite3_column_int64(st, 2),
		       (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 4),
		       (long long)sqlite3_column_int64(st, 5));
	}
	if (!n)
		printf("(no tasks; create one with 'winnow task add NAME --prompt FILE --seeds FILE')\n");
	sqlite3_finalize(st);
	corpus_close(db);
	return EXIT_OK;
}

static int task_show(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	static const struct command_help help = { "winnow task show NAME",
		"Show a task's prompt, seeds, feedback and records.", NULL, NULL };
	struct string_list rules = STRING_LIST_INIT;
	struct task t;
	sqlite3 *db;
	size_t i;
	json_t *s;
	char *sql;
	argc = parse_options(argc, argv, opts, &help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&help, "say which task to show");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	if (task_load(db, argv[0], &t)) {
		corpus_close(db);
		return EXIT_FAILURE_;
	}
	printf("task:   %s\nmode:   %s\nrounds: %ld\n\nprompt:\n%s\n", t.name, task_mode_name(t.mode),
	       t.rounds, t.prompt);
	if (*t.system)
		printf("\nsystem prompt (answer):\n%s\n", t.system);
	printf("\nseeds (%zu):\n", json_array_size(t.seeds));
	json_array_foreach(t.seeds, i, s) {
		const char *out = json_string_value(json_object_get(s, "output"));
		printf("%3zu. %s\n", i + 1, json_string_value(json_object_get(s, "instruction")));
		if (out && *out)
			printf("     -> %s\n", out);
	}
	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "answer" : "question";
		task_feedback_rules(db, t.id, kind, &rules);
		printf("\n%s rules (%zu):\n", kind, rules.nr);
		for (i = 0; i < rules.nr; i++)
			printf("  - %s\n", rules.items[i]);
		string_list_clear(&rules);
	}
	sql = xstrfmt("SELECT group_concat(stage || ' ' || n, ', ') FROM (SELECT stage, count(*) n FROM records "
		      "WHERE task_id = %lld GROUP BY stage)", (long long)t.id);
	sqlite3_stmt *st = corpus_prepare(db, sql);
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		printf("\nrecords: %s\n", (const char *)sqlite3_column_text(st, 0));
	else
		printf("\nrecords: none yet ('winnow generate %s')\n", t.name);
	sqlite3_finalize(st);
	free(sql);
	string_list_clear(&rules);
	task_release(&t);
	corpus_close(db);
	return EXIT_OK;
}

static int task_rm(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	static const struct command_help help = { "winnow task rm NAME",
		"Remove a task and its feedback (only while no records belong to it).", NULL, NULL };
	struct task t;
	struct run run;
	sqlite3 *db;
	int rc;
	argc = parse_options(argc, argv, opts, &help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&help, "say which task to remove");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "task rm");
	if (task_load(db, argv[0], &t)) {
		rc = run_end(&run, EXIT_FAILURE_, "nothing removed");
	} else {
		char *sql = xstrfmt("SELECT count(*) FROM records WHERE task_id = %lld", (long long)t.id);
		int64_t n = corpus_int(db, sql);
		free(sql);
		if (n) {
			error("task '%s' has %lld records, which keep it; remove or re-assign them first "
			      "(winnow sql --write)", t.name, (long long)n);
			rc = run_end(&run, EXIT_FAILURE_, "nothing removed");
		} else {
			sql = xstrfmt("DELETE FROM feedback WHERE task_id = %lld; DELETE FROM tasks WHERE id = %lld",
				      (long long)t.id, (long long)t.id);
			rc = corpus_exec(db, sql) ? run_end(&run, EXIT_FAILURE_, "nothing removed")
						 : run_end(&run, EXIT_OK, "task '%s' removed", t.name);
			free(sql);
		}
		task_release(&t);
	}
	corpus_close(db);
	return rc;
}

int cmd_task(int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{ "add", task_add }, { "list", task_list }, { "show", task_show }, { "rm", task_rm }, { NULL, NULL },
	};
	return run_subcommand(argc, argv, subs, &task_help);
}

/* ---- feedback ---- */

static const struct command_help feedback_help = {
	"winnow feedback add|list|rm|summarize TASK ...",
	"The mistakes found in review, fed back into a task's next generation prompts.",
	"  add TASK \"TEXT\"   a rule: what the model got wrong and should avoid\n"
	"                    (--for answer: a rule for the answers instead of the questions)\n"
	"  list TASK         the task's rules, with ids (review rejection notes included)\n"
	"  rm TASK ID...     remove rules by id (--all: every rule)\n"
	"  summarize TASK    condense the notes into a few rules with an LLM (see its --help)\n"
	"Question rules go into every generation prompt of the task, with a few records\n"
	"rejected in review as counter-examples; answer rules into `winnow answer`'s.\n"
	"A review rejection note joins one or the other (see winnow review --help).",
	"  winnow feedback add luck \"不要使用'在比赛中'这类状语\"\n"
	"  winnow feedback add luck --for answer \"回答要先给结论\"\n"
	"  winnow feedback list luck\n  winnow feedback rm luck 3",
};

static int feedback_add(sqlite3 *db, struct task *t, int argc, char **argv, const char *kind, struct run *run)
{
	char now[32];
	int added = 0;
	sqlite3_stmt *st = corpus_prepare(db,
		"INSERT OR IGNORE INTO feedback (task_id, text, origin, kind, created_at) "
		"VALUES (?1, ?2, 'manual', ?4, ?3)");
	if (!st)
		return run_end(run, EXIT_FAILURE_, "no feedback added");
	now_iso(now, sizeof(now));
	for (int i = 0; i < argc; i++) {
		struct strbuf text = STRBUF_INIT;
		strbuf_addstr(&text, argv[i]);
		strbuf_trim(&text);
		if (!text.len) {
			strbuf_release(&text);
			continue;
		}
		sqlite3_bind_int64(st, 1, t->id);
		sqlite3_bind_text(st, 2, text.buf, (int)text.len, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			error("cannot add feedback: %s", sqlite3_errmsg(db));
			sqlite3_finalize(st);
			strbuf_release(&text);
			return run_end(run, EXIT_FAILURE_, "feedback not added");
		}
		if (sqlite3_changes(db))
			added++;
		else
			warning("task '%s' already has the %s rule '%s'", t->name, kind, text.buf);
		sqlite3_reset(st);
		strbuf_release(&text);
	}
	sqlite3_finalize(st);
	run_count(run, "added", added);
	return run_end(run, EXIT_OK, "%d %s rule%s added to task '%s'", added, kind, added == 1 ? "" : "s",
		       t->name);
}

static int feedback_list(sqlite3 *db, struct task *t)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT id, origin, kind, text FROM feedback WHERE task_id = ?1 ORDER BY kind DESC, id");
	int n = 0;
	if (!st)
		return EXIT_FAILURE_;
	sqlite3_bind_int64(st, 1, t->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!n++)
			printf("%4s  %-8s %-8s %s\n", "id", "kind", "origin", "rule");
		printf("%4lld  %-8s %-8s %s\n", (long long)sqlite3_column_int64(st, 0),
		       (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	if (!n)
		printf("(no feedback for task '%s'; add some with 'winnow feedback add %s \"...\"')\n",
		       t->name, t->name);
	return EXIT_OK;
}

static int feedback_rm(sqlite3 *db, struct task *t, int argc, char **argv, int all, struct run *run)
{
	int removed = 0;
	sqlite3_stmt *st;
	if (all) {
		char *sql = xstrfmt("DELETE FROM feedback WHERE task_id = %lld", (long long)t->id);
		int rc = corpus_exec(db, sql);
		free(sql);
		if (rc)
			return run_end(run, EXIT_FAILURE_, "no feedback removed");
		removed = sqlite3_changes(db);
		return run_end(run, EXIT_OK, "%d rule%s removed from task '%s'", removed, removed == 1 ? "" : "s",
			       t->name);
	}
	st = corpus_prepare(db, "DELETE FROM feedback WHERE task_id = ? AND id = ?");
	if (!st)
		return run_end(run, EXIT_FAILURE_, "no feedback removed");
	for (int i = 0; i < argc; i++) {
		long id;
		if (parse_long(argv[i], 1, 1L << 62, &id)) {
			sqlite3_finalize(st);
			error("'%s' is not a feedback id; see 'winnow feedback list %s'", argv[i], t->name);
			return run_end(run, EXIT_USAGE, "no feedback removed");
		}
		sqlite3_bind_int64(st, 1, t->id);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		if (sqlite3_changes(db))
			removed++;
		else
			warning("task '%s' has no feedback %ld", t->name, id);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return run_end(run, EXIT_OK, "%d rule%s removed from task '%s'", removed, removed == 1 ? "" : "s", t->name);
}

int cmd_feedback(int argc, char **argv)
{
	int all = 0, rc;
	const char *kind = "question";
	struct option opts[] = {
		OPT_FLAG(0, "all", &all, "rm: remove every rule of the task"),
		OPT_CHOICE(0, "for", &kind, "question|answer", "add: a rule for generated questions (default) "
			   "or for answers (answer, fix)"),
		OPT_END(),
	};
	const char *sub;
	struct task t;
	struct run run;
	sqlite3 *db;

	if (argc >= 2 && !strcmp(argv[1], "summarize"))
		return cmd_feedback_summarize(argc - 1, argv + 1);
	argc = parse_options(argc, argv, opts, &feedback_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc < 1)
		return usage_error(&feedback_help, "say what to do: add, list, rm or summarize");
	sub = argv[0];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "rm"))
		return usage_error(&feedback_help, "'%s' is not a feedback subcommand (add, list, rm)", sub);
	if (argc < 2)
		return usage_error(&feedback_help, "say which TASK");
	if (!strcmp(sub, "add") && argc < 3)
		return usage_error(&feedback_help, "say what the model should avoid: feedback add TASK \"TEXT\"");
	if (!strcmp(sub, "rm") && argc < 3 && !all)
		return usage_error(&feedback_help, "say which feedback ids to remove (or --all)");
	db = corpus_open(corpus_path(), 0);
	if (!db)
		return EXIT_FAILURE_;
	if (task_load(db, argv[1], &t)) {
		corpus_close(db);
		return EXIT_FAILURE_;
	}
	if (!strcmp(sub, "list")) {
		rc = feedback_list(db, &t);
	} else {
		run_begin(&run, db, !strcmp(sub, "add") ? "feedback add" : "feedback rm");
		rc = !strcmp(sub, "add") ? feedback_add(db, &t, argc - 2, argv + 2, kind, &run)
					 : feedback_rm(db, &t, argc - 2, argv + 2, all, &run);
	}
	task_release(&t);
	corpus_close(db);
	return rc;
}
