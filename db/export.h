/*
 * export.h - shared by export.c (the command: selecting records, splits,
 * files) and export_format.c (one record as a LLaMA-Factory item, and the
 * dataset_info.json entry for a file of them). Internal to db/.
 */
#ifndef WINNOW_EXPORT_H
#define WINNOW_EXPORT_H

#include <jansson.h>
#include <sqlite3.h>

#include "../lib/strbuf.h"

enum export_format { EXPORT_ALPACA, EXPORT_JSONL, EXPORT_SHAREGPT };

/* The columns format_record() reads, in this order. */
#define EXPORT_COLUMNS "id, instruction, input, output, system, history, tools, kto_tag, rejected, " \
	"media, turn_roles"

/*
 * Which keys the items of a file have: dataset_info.json declares only
 * those, since LLaMA-Factory reads every declared column of every row.
 */
struct lf_keys {
	int system, history, tools, kto_tag, tool_turns;
	int images, videos, audios;
	long ranking, plain;	/* items that are preference pairs, and the others */
};

struct line_writer {
	enum export_format format;
	int pretty;
	struct strbuf line;	/* the formatted item */
	struct lf_keys keys;	/* what it has */
};

/* Formats the current row of st (EXPORT_COLUMNS) into w->line; -1 after saying why not. */
int format_record(struct line_writer *w, sqlite3_stmt *st);
/* Adds what one item has to a file's keys; -1 after saying why they cannot share a file. */
int lf_keys_add(struct lf_keys *file, const struct lf_keys *item, const char *path);
/* The dataset_info.json entry for a file of this format holding these keys. */
json_t *dataset_entry(enum export_format format, const char *file_name, const struct lf_keys *k);

#endif

/* export_config.c: a LLaMA-Factory training YAML for the exported files. */
struct lf_config {
	const char *path;		/* the YAML to write */
	const char *base;		/* model_name_or_path */
	const char *template_name;	/* NULL or "auto": LLaMA-Factory reads the tokenizer's, as winnow train does */
	char *dataset_dir;		/* folder of the exported files and dataset_info.json */
	char *train, *eval;		/* dataset names (eval may be NULL) */
	int ranking, kto;		/* the train file holds preference pairs / KTO labels */
};
int write_llamafactory_config(const struct lf_config *c);
