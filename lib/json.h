/*
 * json.h - JSON helpers on top of jansson: a streaming reader that yields
 * the items of a huge JSON array or JSON Lines file one at a time (constant
 * memory, with line numbers for error messages), and a fast writer for JSON
 * strings that keeps UTF-8 as it is (no \u escapes for Chinese).
 */
#ifndef WINNOW_JSON_H
#define WINNOW_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "strbuf.h"

enum json_layout {
	JSON_LAYOUT_AUTO,	/* '[' first: array, else lines */
	JSON_LAYOUT_ARRAY,	/* one top-level array of items */
	JSON_LAYOUT_LINES	/* JSON Lines: one item per non-blank line */
};

/* Largest single item accepted; past it the reader fails cleanly. */
#define JSON_ITEM_MAX ((size_t)256 << 20)

struct json_reader {
	FILE *fp;
	int own_fp;
	enum json_layout layout;
	struct strbuf item;	/* text of the current item */
	long line;		/* line where the current item starts (1-based) */
	long index;		/* 0-based item index in the array / line count of items */
	uint64_t bytes;		/* bytes consumed so far, for progress */
	char err[256];		/* structural error message after -1 */
	/* private */
	char *buf;
	size_t pos, len;
	long cur_line;
	int started, finished;
};

/* Opens path ("-" for stdin). Returns 0, or -1 with errno set. */
int json_reader_open(struct json_reader *r, const char *path, enum json_layout layout);
/*
 * Reads the next item into r->item. Returns 1 for an item, 0 at the end,
 * -1 on a structural error (unterminated array, item too large, garbage
 * between items) described in r->err; after -1 the reader stays at the end.
 */
int json_reader_next(struct json_reader *r);
void json_reader_close(struct json_reader *r);

/* Appends s as a quoted JSON string; UTF-8 passes through unescaped. */
void json_write_string(struct strbuf *sb, const char *s, size_t len);

/* "string", "number", ... for messages. */
const char *json_type_name(const json_t *v);

/* Parses text as one JSON value; on failure writes "line L column C: msg". */
json_t *json_parse(const char *text, size_t len, char *err, size_t errsize);

#endif
