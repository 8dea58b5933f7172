/*
 * review_cmd.c - `winnow review`: options, then the terminal reviewer, or
 * --export / --import for reviewing somewhere else.
 */
#include "annotate_internal.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct command_help review_help = {
	"winnow review [options]\n"
	"   or: winnow review --export FILE [options]\n"
	"   or: winnow review --import FILE",
	"Review records by hand in the terminal: accept, reject with a note, or edit.",
	"Shows one record at a time (instruction, input, output, system, history, wrapped\n"
	"for Chinese), with its source, task, scores and earlier annotations, in batches\n"
	"of --batch records (20: review that many, then improve the task's prompt).\n"
	"Keys: a accept, r reject (asks for error tags and a note), e edit in $EDITOR\n"
	"(the edit becomes a new record, origin fix, that goes through clean and dedupe\n"
	"again), s skip, u undo, n/p next/previous, j/k scroll, ? help, q quit.\n"
	"Every decision is saved the moment it is made. A rejection note becomes\n"
	"feedback for the record's task ('winnow feedback list TASK').\n\n"
	"Records at stage unique are reviewed, and generated questions not yet answered\n"
	"(raw records without an output, from a questions task) that nobody has decided\n"
	"on, unless --stage says otherwise (approved and rejected records can be reviewed\n"
	"again; at stage raw only records without an output). Review a task's questions\n"
	"before `winnow answer`: an accepted question stays raw and is answered, a\n"
	"rejected one never is. A note on a record with an output asks whether it is a\n"
	"rule for the questions or for the answers (tags like answer or factual say so).\n\n"
	"--export writes the chosen records as JSON Lines with empty \"decision\",\n"
	"\"tags\" and \"note\" fields; fill them in (\"accept\", \"reject\", \"edit\" after\n"
	"correcting the text) and --import applies them in one transaction; \"note_for\":\n"
	"\"question\" or \"answer\" says which rules a note joins. A record made by\n"
	"`winnow fix` carries the critique it addressed in \"critique\".",
	"  winnow review\n"
	"  winnow review --task luck                  # the task's generated questions, before answer\n"
	"  winnow review --task luck --batch 10\n"
	"  winnow review --where \"lang = 'zh' AND length(output) < 40\"\n"
	"  winnow review --export todo.jsonl --limit 200 && winnow review --import todo.jsonl",
};

int cmd_review(int argc, char **argv)
{
	struct record_filter f = { NULL, NULL, NULL, STRING_LIST_INIT };
	const char *export_path = NULL, *import_path = NULL, *reviewer = NULL;
	long batch = 20, limit = 0;
	struct option opts[] = {
		OPT_STRING(0, "task", &f.task, "NAME", "only records of this generation task"),
		OPT_STRING(0, "source", &f.source, "NAME", "only records from this source"),
		OPT_LIST(0, "stage", &f.stages, "STAGE,...", "stages to review (default unique)"),
		OPT_STRING(0, "where", &f.where, "SQL", "extra condition on records, e.g. \"length(output) < 20\""),
		OPT_INT(0, "batch", &batch, "N", 1, 10000, "records per batch (default 20)"),
		OPT_STRING(0, "reviewer", &reviewer, "NAME", "name stored with each decision "
			   "(default $WINNOW_REVIEWER, else $USER)"),
		OPT_STRING(0, "export", &export_path, "FILE", "write the records as JSON Lines to review elsewhere"),
		OPT_STRING(0, "import", &import_path, "FILE", "apply the decisions in a reviewed --export file"),
		OPT_INT(0, "limit", &limit, "N", 0, 1e15, "with --export: at most N records"),
		OPT_END(),
	};
	struct strbuf summary = STRBUF_INIT;
	struct run run;
	sqlite3 *db;
	int rc, defaulted = 0;
	char *where = NULL;

	argc = parse_options(argc, argv, opts, &review_help);
	if (argc < 0) {
		string_list_clear(&f.stages);
		return options_exit_code(argc);
	}
	rc = EXIT_USAGE;
	if (argc > 0) {
		usage_error(&review_help, "review takes no arguments (did you mean --task %s?)", argv[0]);
		goto out_args;
	}
	if (export_path && import_path) {
		usage_error(&review_help, "--export and --import go in separate runs");
		goto out_args;
	}
	if (import_path && (f.task || f.source || f.where || f.stages.nr)) {
		usage_error(&review_help, "--import applies the decisions in the file; filters do not apply");
		goto out_args;
	}
	for (size_t i = 0; i < f.stages.nr; i++) {
		struct string_list parts = STRING_LIST_INIT;
		string_list_split(&parts, f.stages.items[i], ',');
		for (size_t k = 0; k < parts.nr; k++) {
			int s = stage_from_name(parts.items[k]);
			if (s != STAGE_UNIQUE && s != STAGE_APPROVED && s != STAGE_REJECTED && s != STAGE_RAW &&
			    !export_path) {
				usage_error(&review_help, "--stage %s: only raw (questions without an output), "
					    "unique, approved and rejected records can be reviewed", parts.items[k]);
				string_list_clear(&parts);
				goto out_args;
			}
		}
		string_list_clear(&parts);
	}
	/* raw records are reviewable only as questions (no output yet); by default the undecided ones */
	defaulted = !f.stages.nr;
	if (defaulted || !export_path) {
		const char *cond = defaulted ? "r.stage <> 'raw' OR (r.output = '' AND NOT EXISTS "
			"(SELECT 1 FROM annotations a WHERE a.record_id = r.id))" : "r.stage <> 'raw' OR r.output = ''";
		if (defaulted)
			string_list_append(&f.stages, "unique,raw");
		where = f.where ? xstrfmt("(%s) AND (%s)", cond, f.where) : xstrdup(cond);
		f.where = where;
	}

	db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!db) {
		rc = EXIT_FAILURE_;
		goto out_args;
	}
	if (!import_path) {
		int usage;
		sqlite3_stmt *check = filter_prepare(db, &f, "unique", "count(*)", "", &usage);
		if (!check) {
			corpus_close(db);
			rc = usage ? EXIT_USAGE : EXIT_FAILURE_;
			goto out_args;
		}
		sqlite3_finalize(check);
	}
	if (!export_path && !import_path && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		error("review needs a terminal (stdin and stdout); to review without one, write the "
		      "records with 'winnow review --export FILE', fill in the decisions, and apply them "
		      "with 'winnow review --import FILE'");
		corpus_close(db);
		goto out_args;
	}
	run_begin(&run, db, "review");
	if (export_path) {
		rc = review_export(db, &f, export_path, limit, &run);
	} else if (import_path) {
		rc = review_import(db, import_path, reviewer_name(reviewer), &run);
	} else {
		int r = review_tui(db, &f, batch, reviewer_name(reviewer), &run, &summary);
		if (r < 0)
			rc = run_end(&run, EXIT_FAILURE_, "review stopped; decisions made so far are saved");
		else if (r > 0)
			rc = run_end(&run, EXIT_OK, "nothing to review: no %s records match",
				     defaulted ? "unique records or undecided questions" : "such");
		else
			rc = run_end(&run, EXIT_OK, "%s", summary.buf);
	}
	corpus_close(db);
out_args:
	free(where);
	strbuf_release(&summary);
	string_list_clear(&f.stages);
	return rc;
}
