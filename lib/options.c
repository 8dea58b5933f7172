/*
 * options.c - table-driven option parsing and help output (see options.h).
 */
#include "options.h"
#include "strbuf.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *opt_db_path;

static const struct option global_options[] = {
	OPT_STRING(0, "db", &opt_db_path, "PATH",
		   "corpus file (default: $WINNOW_DB, else ./winnow.db)"),
	OPT_END(),
};

const char *corpus_path(void)
{
	const char *env;
	if (opt_db_path)
		return opt_db_path;
	env = getenv("WINNOW_DB");
	return env && *env ? env : "winnow.db";
}

void string_list_append(struct string_list *list, const char *s)
{
	if (list->nr == list->alloc) {
		list->alloc = list->alloc ? list->alloc * 2 : 8;
		list->items = xrealloc(list->items, list->alloc * sizeof(*list->items));
	}
	list->items[list->nr++] = xstrdup(s);
}

void string_list_clear(struct string_list *list)
{
	for (size_t i = 0; i < list->nr; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->nr = list->alloc = 0;
}

void string_list_split(struct string_list *list, const char *s, int sep)
{
	while (*s) {
		const char *end = strchr(s, sep);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		if (n) {
			char *piece = xstrndup(s, n);
			string_list_append(list, piece);
			free(piece);
		}
		s += n + (end ? 1 : 0);
	}
}

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t m = bar ? (size_t)(bar - p) : strlen(p);
		if (m == n && !strncmp(p, v, n))
			return 1;
		p += m + (bar ? 1 : 0);
	}
	return 0;
}

static void option_name(const struct option *o, char *buf, size_t size)
{
	if (o->long_name)
		snprintf(buf, size, "--%s", o->long_name);
	else
		snprintf(buf, size, "-%c", o->short_name);
}

/* Stores arg into o's value; returns 0 or prints an error and returns -1. */
static int set_value(const struct option *o, const char *arg,
		     const struct command_help *help)
{
	char name[64];
	option_name(o, name, sizeof(name));
	switch (o->type) {
	case OPTION_FLAG:
		*(int *)o->value = 1;
		return 0;
	case OPTION_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPTION_LIST:
		string_list_append(o->value, arg);
		return 0;
	case OPTION_CHOICE:
		if (!choice_ok(o->choices, arg))
			return usage_error(help, "option '%s' does not take '%s' (choose one of: %s)",
					   name, arg, o->choices), -1;
		*(const char **)o->value = arg;
		return 0;
	case OPTION_INT: {
		long v;
		if (parse_long(arg, (long)o->min, (long)o->max, &v))
			return usage_error(help, "option '%s' needs a whole number from %.0f to %.0f, not '%s'",
					   name, o->min, o->max, arg), -1;
		*(long *)o->value = v;
		return 0;
	}
	case OPTION_DOUBLE: {
		double v;
		if (parse_double(arg, o->min, o->max, &v))
			return usage_error(help, "option '%s' needs a number from %g to %g, not '%s'",
					   name, o->min, o->max, arg), -1;
		*(double *)o->value = v;
		return 0;
	}
	case OPTION_END:
		break;
	}
	die("option table corrupt");
}

static const struct option *find_long(const struct option *opts, const char *name, size_t n)
{
	for (const struct option *o = opts; o->type != OPTION_END; o++)
		if (o->long_name && strlen(o->long_name) == n && !strncmp(o->long_name, name, n))
			return o;
	for (const struct option *o = global_options; o->type != OPTION_END; o++)
		if (strlen(o->long_name) == n && !strncmp(o->long_name, name, n))
			return o;
	return NULL;
}

static const struct option *find_short(const struct option *opts, int c)
{
	for (const struct option *o = opts; o->type != OPTION_END; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

int parse_options(int argc, char **argv, const struct option *opts,
		  const struct command_help *help)
{
	int npos = 0, only_args = 0;
	char **pos = xmalloc(sizeof(char *) * (size_t)(argc + 1));

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct option *o;
		const char *val = NULL;

		if (only_args || a[0] != '-' || !a[1]) {
			pos[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			free(pos);
			print_help(opts, help);
			return PARSE_HELP;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(opts, a + 2, n);
			if (!o) {
				free(pos);
				if (strpbrk(a, " \t\n")) {	/* no option has spaces: an argument (SQL "-- note") */
					int shown = (int)strcspn(a, "\n");
					return usage_error(help, "'%.*s%s' is read as an option; put -- before an "
							   "argument that starts with '-'", shown > 30 ? 30 : shown,
							   a, shown > 30 || a[shown] ? "..." : ""), PARSE_ERROR;
				}
				return usage_error(help, "unknown option '%.*s'", (int)n + 2, a), PARSE_ERROR;
			}
			if (eq) {
				if (o->type == OPTION_FLAG) {
					free(pos);
					return usage_error(help, "option '--%s' takes no value", o->long_name), PARSE_ERROR;
				}
				val = eq + 1;
			}
		} else {
			o = find_short(opts, a[1]);
			if (!o || (a[2] && o->type == OPTION_FLAG)) {
				free(pos);
				return usage_error(help, "unknown option '%s'", a), PARSE_ERROR;
			}
			if (a[2])
				val = a + 2;
		}
		if (o->type != OPTION_FLAG && !val) {
			if (i + 1 >= argc) {
				char name[64];
				option_name(o, name, sizeof(name));
				free(pos);
				return usage_error(help, "option '%s' needs a value (%s)", name,
						   o->argh ? o->argh : "VALUE"), PARSE_ERROR;
			}
			val = argv[++i];
		}
		if (set_value(o, val, help)) {
			free(pos);
			return PARSE_ERROR;
		}
	}
	for (int i = 0; i < npos; i++)
		argv[i] = pos[i];
	argv[npos] = NULL;
	free(pos);
	return npos;
}

int options_exit_code(int parse_result)
{
	return parse_result == PARSE_HELP ? EXIT_OK : EXIT_USAGE;
}

int usage_error(const struct command_help *help, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (help) {
		fprintf(stderr, "usage: %s\n", help->usage);
		const char *sp = strchr(help->usage + 7, ' ');
		int n = sp ? (int)(sp - help->usage) : (int)strlen(help->usage);
		fprintf(stderr, "try '%.*s --help' for the options\n", n, help->usage);
	}
	return EXIT_USAGE;
}

static void print_option_list(const struct option *opts)
{
	for (const struct option *o = opts; o->type != OPTION_END; o++) {
		char left[80];
		int n;
		if (o->short_name)
			n = snprintf(left, sizeof(left), "  -%c, ", o->short_name);
		else
			n = snprintf(left, sizeof(left), "      ");
		if (o->long_name)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->long_name);
		if (o->type != OPTION_FLAG && n < (int)sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
				 o->type == OPTION_CHOICE ? o->choices : o->argh ? o->argh : "VALUE");
		if (strlen(left) > 26)
			printf("%s\n%28s%s\n", left, "", o->help);
		else
			printf("%-28s%s\n", left, o->help);
	}
}

void print_help(const struct option *opts, const struct command_help *help)
{
	printf("usage: %s\n\n%s\n", help->usage, help->summary);
	if (help->description)
		printf("\n%s\n", help->description);
	if (opts && opts->type != OPTION_END) {
		printf("\noptions:\n");
		print_option_list(opts);
	}
	printf("\nglobal options:\n");
	print_option_list(global_options);
	printf("%-28s%s\n", "  -h, --help", "show this help");
	if (help->examples)
		printf("\nexamples:\n%s\n", help->examples);
	printf("\nexit codes: 0 ok, 1 failure, 2 usage error, 65 bad input data, 75 try again later\n");
}

int run_subcommand(int argc, char **argv, const struct subcommand *subs,
		   const struct command_help *help)
{
	struct strbuf names = STRBUF_INIT;
	int rc;
	if (argc >= 2)
		for (const struct subcommand *s = subs; s->name; s++)
			if (!strcmp(argv[1], s->name))
				return s->fn(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_help(NULL, help);
		return EXIT_OK;
	}
	for (const struct subcommand *s = subs; s->name; s++)
		strbuf_addf(&names, "%s%s", s == subs ? "" : s[1].name ? ", " : " or ", s->name);
	if (argc < 2)
		rc = usage_error(help, "say what to do: %s", names.buf);
	else
		rc = usage_error(help, "'%s' is not a '%s' subcommand (%s)", argv[1], argv[0], names.buf);
	strbuf_release(&names);
	return rc;
}
