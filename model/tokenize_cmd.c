/*
 * tokenize_cmd.c - `winnow tokenize`: the token ids, or the token count, of
 * every line of a file or stdin under a Hugging Face tokenizer. Handy for
 * checking a tokenizer and for knowing how long a dataset's texts are
 * before training. Special tokens written in the text count as one token;
 * BOS/EOS are not added.
 */
#include "tokenizer.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TOKENIZE_LINE_MAX (256 << 20)	/* bytes; a longer line is refused */

static const struct command_help tokenize_help = {
	"winnow tokenize --tokenizer DIR_OR_FILE [--ids | --count] [FILE]",
	"Print the token ids (or the number of tokens) of each line of FILE or stdin.",
	"DIR_OR_FILE is a model folder holding tokenizer.json (and tokenizer_config.json)\n"
	"or a tokenizer.json itself. Each input line (without its line ending) is encoded\n"
	"as transformers' encode(line, add_special_tokens=False) would: special tokens\n"
	"written in the text, like <|im_end|>, are one token each, and no BOS or EOS is\n"
	"added. Output has one line per input line: ids separated by spaces (--ids, the\n"
	"default) or the count (--count). The total goes to stderr.",
	"  echo 'Hello, world!' | winnow tokenize --tokenizer models/Qwen3-0.6B\n"
	"  winnow tokenize --tokenizer models/Qwen3-0.6B --count answers.txt | sort -n | tail -1",
};

struct tokenize_options {
	const char *tokenizer_path, *input;
	int want_ids, want_count;
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int tokenize_parse_options(int argc, char **argv, struct tokenize_options *o)
{
	memset(o, 0, sizeof(*o));
	o->input = "-";
	struct option opts[] = {
		OPT_STRING('t', "tokenizer", &o->tokenizer_path, "DIR_OR_FILE",
			   "model folder with tokenizer.json, or the file (required)"),
		OPT_FLAG(0, "ids", &o->want_ids, "print the token ids of each line (the default)"),
		OPT_FLAG(0, "count", &o->want_count, "print the number of tokens of each line"),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &tokenize_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (!o->tokenizer_path)
		return usage_error(&tokenize_help, "say which tokenizer with --tokenizer DIR_OR_FILE");
	if (o->want_ids && o->want_count)
		return usage_error(&tokenize_help, "choose one of --ids and --count");
	if (argc > 1)
		return usage_error(&tokenize_help, "unexpected argument '%s' (one input FILE at most)", argv[1]);
	if (argc == 1)
		o->input = argv[0];
	return OPTIONS_GO_ON;
}

/* Encodes one line and prints its ids or count. Returns 0 or an exit code. */
static int tokenize_line(struct tokenizer *tok, const struct tokenize_options *o, const char *line, size_t len,
			 uint64_t lineno, struct token_ids *ids, struct strbuf *out)
{
	ids->n = 0;
	if (tokenizer_encode(tok, line, len, ids)) {
		error("'%s' line %llu: cannot tokenize", o->input, (unsigned long long)lineno);
		return EXIT_DATAERR;
	}
	strbuf_reset(out);
	if (o->want_count) {
		strbuf_addf(out, "%zu\n", ids->n);
	} else {
		for (size_t i = 0; i < ids->n; i++)
			strbuf_addf(out, i ? " %d" : "%d", (int)ids->ids[i]);
		strbuf_addch(out, '\n');
	}
	if (fwrite(out->buf, 1, out->len, stdout) != out->len) {
		error("cannot write the output: %s", strerror(errno));
		return EXIT_FAILURE_;
	}
	return 0;
}

/* Tokenizes every line of in. Returns the exit code. */
static int tokenize_stream(struct tokenizer *tok, const struct tokenize_options *o, FILE *in)
{
	struct token_ids ids = { NULL, 0, 0 };
	struct strbuf out = STRBUF_INIT;
	struct progress progress;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lines = 0, tokens = 0, bytes = 0;
	int rc = EXIT_OK;

	progress_start(&progress, "tokenizing", in != stdin && !fstat(fileno(in), &st) ? (uint64_t)st.st_size : 0,
		       "bytes");
	while (rc == EXIT_OK && (len = getline(&line, &cap, in)) >= 0) {
		bytes += (uint64_t)len;
		if (len > TOKENIZE_LINE_MAX) {
			error("'%s' line %llu is longer than %d MB; split it first", o->input,
			      (unsigned long long)lines + 1, TOKENIZE_LINE_MAX >> 20);
			rc = EXIT_DATAERR;
			break;
		}
		if (len && line[len - 1] == '\n')
			len--;
		if (len && line[len - 1] == '\r')
			len--;
		rc = tokenize_line(tok, o, line, (size_t)len, lines + 1, &ids, &out);
		lines++;
		tokens += ids.n;
		progress_update(&progress, bytes);
	}
	progress_finish(&progress);
	if (rc == EXIT_OK && ferror(in)) {
		error("cannot read '%s': %s", o->input, strerror(errno));
		rc = EXIT_FAILURE_;
	}
	if (rc == EXIT_OK && fflush(stdout)) {
		error("cannot write the output: %s", strerror(errno));
		rc = EXIT_FAILURE_;
	}
	if (rc == EXIT_OK)
		fprintf(stderr, "tokenize: %llu lines, %llu tokens\n", (unsigned long long)lines,
			(unsigned long long)tokens);
	free(line);
	strbuf_release(&out);
	token_ids_release(&ids);
	return rc;
}

int cmd_tokenize(int argc, char **argv)
{
	struct tokenize_options o;
	struct tokenizer *tok;
	struct stat st;
	FILE *in = stdin;
	int rc;

	if ((rc = tokenize_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	if (stat(o.tokenizer_path, &st)) {
		error("cannot read tokenizer '%s': %s", o.tokenizer_path, strerror(errno));
		return EXIT_FAILURE_;
	}
	tok = tokenizer_load(o.tokenizer_path);
	if (!tok)
		return EXIT_DATAERR;
	if (strcmp(o.input, "-") && !(in = fopen(o.input, "rb"))) {
		error("cannot open '%s': %s", o.input, strerror(errno));
		tokenizer_free(tok);
		return EXIT_FAILURE_;
	}
	rc = tokenize_stream(tok, &o, in);
	if (in != stdin)
		fclose(in);
	tokenizer_free(tok);
	return rc;
}
