/*
 * import.h - shared by import.c (the command and the insert side) and
 * import_items.c (turning file items into records). Internal to db/.
 *
 * An import runs on two threads: the reader thread calls items_next() and
 * hands parsed records over in batches; the main thread inserts them. The
 * fields marked "reader" below are touched only by the reader thread once
 * the import has started, the others only by the main thread.
 */
#ifndef WINNOW_IMPORT_H
#define WINNOW_IMPORT_H

#include <jansson.h>
#include <stdio.h>

#include "corpus.h"
#include "csv.h"
#include "../lib/json.h"
#include "../lib/progress.h"
#include "../lib/strbuf.h"

enum field { F_INSTRUCTION, F_INPUT, F_OUTPUT, F_SYSTEM, F_HISTORY, FIELD_COUNT };

extern const char *const field_names[FIELD_COUNT];
/* Keys tried, in order, when --map does not name one (common dataset spellings). */
extern const char *const field_aliases[FIELD_COUNT][4];

struct importer {
	/* set up before the import starts, then read-only */
	const char *name;		/* file or URL, for messages */
	const char *format;		/* --format, or NULL to detect */
	char *map[FIELD_COUNT];		/* --map: source key for each field (owned) */
	int skip_bad;

	/* main thread */
	sqlite3 *db;
	struct record_inserter ins;
	int64_t source_id;
	long read, added, present, bad, docs_added, docs_present;
	sqlite3_stmt *doc_insert;	/* pre-training {"text"} items go to documents */
	struct progress progress;

	/* reader */
	struct strbuf history, err, where;
	struct strbuf tools, media, roles;	/* LLaMA-Factory's other fields, as stored */
	struct record_extra extra;	/* the current item's, pointing into the buffers */
	struct strbuf turn_user, turn_assistant, turn_system, turn_rejected;	/* ShareGPT turn text */
	struct flat_object flat;	/* fast path for flat Alpaca objects */
	json_t *obj;			/* jansson tree of the current item, if any */
	int is_csv;
	struct json_reader jr;
	struct csv_reader cr;
	FILE *csv_fp;
	int col[FIELD_COUNT];		/* CSV column of each field, -1 for none */
	char *col_name[FIELD_COUNT];	/* its header, for messages */
	size_t header_fields;
	long items;			/* items read so far */
	uint64_t bytes;			/* input bytes consumed so far */
};

enum item_result {
	ITEM_END,	/* no more items */
	ITEM_RECORD,	/* *r holds a record, valid until the next call */
	ITEM_DOCUMENT,	/* a pre-training {"text": ...} item: r->output holds the text */
	ITEM_BAD,	/* im->where and im->err say what is wrong with this item */
	ITEM_FATAL	/* the file cannot be read further; im->err says why */
};

/*
 * Open path for items_next(). Return 0, or -1 after printing why (the CSV
 * header is checked here: a missing column counts as bad input, im->bad).
 */
int items_open_json(struct importer *im, const char *path, enum json_layout layout);
int items_open_csv(struct importer *im, const char *path, int sep);
enum item_result items_next(struct importer *im, struct record *r);
void items_close(struct importer *im);

#endif
