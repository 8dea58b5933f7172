/*
 * options.h - one option parser for every command. A command describes its
 * options as a table; the same table drives parsing and `--help`, so the
 * help can never drift from what the parser accepts.
 *
 *	static const char *const usage[] = { "winnow export -o FILE [options]", NULL };
 *	struct option opts[] = {
 *		OPT_STRING('o', "output", &out, "FILE", "where to write"),
 *		OPT_END(),
 *	};
 *	argc = parse_options(argc, argv, opts, &cmd_help);
 *	if (argc < 0)
 *		return options_exit_code(argc);
 *
 * Global options (--db, --help) are accepted by every command.
 */
#ifndef WINNOW_OPTIONS_H
#define WINNOW_OPTIONS_H

#include <stddef.h>

enum option_type {
	OPTION_END,
	OPTION_FLAG,	/* int *: set to 1 */
	OPTION_STRING,	/* const char **: last one wins */
	OPTION_LIST,	/* struct string_list *: every occurrence appended */
	OPTION_CHOICE,	/* const char **: one of the '|'-separated words in extra */
	OPTION_INT,	/* long *: range [min, max] */
	OPTION_DOUBLE	/* double *: range [min, max] */
};

struct option {
	enum option_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh;	/* placeholder in help, e.g. "FILE" */
	const char *help;
	double min, max;
	const char *choices;	/* OPTION_CHOICE: "alpaca|jsonl|csv" */
};

#define OPT_END() { OPTION_END, 0, NULL, NULL, NULL, NULL, 0, 0, NULL }
#define OPT_FLAG(s, l, v, h) { OPTION_FLAG, s, l, v, NULL, h, 0, 0, NULL }
#define OPT_STRING(s, l, v, a, h) { OPTION_STRING, s, l, v, a, h, 0, 0, NULL }
#define OPT_LIST(s, l, v, a, h) { OPTION_LIST, s, l, v, a, h, 0, 0, NULL }
#define OPT_CHOICE(s, l, v, c, h) { OPTION_CHOICE, s, l, v, "WORD", h, 0, 0, c }
#define OPT_INT(s, l, v, a, lo, hi, h) { OPTION_INT, s, l, v, a, h, lo, hi, NULL }
#define OPT_DOUBLE(s, l, v, a, lo, hi, h) { OPTION_DOUBLE, s, l, v, a, h, lo, hi, NULL }

/* A growable list of strings it owns. */
struct string_list {
	char **items;
	size_t nr, alloc;
};
#define STRING_LIST_INIT { NULL, 0, 0 }
void string_list_append(struct string_list *list, const char *s);
void string_list_clear(struct string_list *list);
/* Appends each comma-separated piece of s (empty pieces skipped). */
void string_list_split(struct string_list *list, const char *s, int sep);

/* What a command says about itself in --help. */
struct command_help {
	const char *usage;		/* "winnow import [options] FILE|URL" */
	const char *summary;		/* one line, also shown by `winnow help` */
	const char *description;	/* paragraphs, may be NULL */
	const char *examples;		/* lines, may be NULL */
};

enum { PARSE_HELP = -1, PARSE_ERROR = -2 };

/*
 * Parses argv[1..] (argv[0] is the command name). Options may appear
 * anywhere; "--" ends them. Positional arguments are moved to argv[0..n-1]
 * and n is returned. Returns PARSE_HELP after printing help on stdout, or
 * PARSE_ERROR after printing a usage error naming the option.
 */
int parse_options(int argc, char **argv, const struct option *opts,
		  const struct command_help *help);
/* EXIT_OK for PARSE_HELP, EXIT_USAGE for PARSE_ERROR. */
/*
 * A command's own option parser (judge_parse_options ...) returns
 * OPTIONS_GO_ON when the command should run, else the exit code to stop
 * with: 0 after --help, 2 after a usage error.
 */
#define OPTIONS_GO_ON (-1)
int options_exit_code(int parse_result);
/* Prints "usage: ..." and a pointer to --help on stderr; returns EXIT_USAGE. */
int usage_error(const struct command_help *help, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void print_help(const struct option *opts, const struct command_help *help);

/* One sub-command of a command with several (`winnow task add`). */
struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);	/* gets argv[0] = the sub-command's name */
};

/*
 * Runs the sub-command named by argv[1], from a table ended by a NULL name.
 * `winnow CMD`, `winnow CMD --help` and an unknown name print the command's
 * help or a usage error that lists the sub-commands. Returns the exit code.
 */
int run_subcommand(int argc, char **argv, const struct subcommand *subs,
		   const struct command_help *help);

/* Global option values, set by parse_options wherever they appear. */
extern const char *opt_db_path;	/* --db, else $WINNOW_DB, else ./winnow.db */
const char *corpus_path(void);

#endif
