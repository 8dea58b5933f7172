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
	int begun, started, finished;
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

/*
 * Fast path for the common case of a flat object (Alpaca records): every
 * value a string, null or an empty array. Values are unescaped into the
 * object's own arena; keys and values are NUL-terminated.
 */
#define FLAT_MAX_MEMBERS 32

enum flat_kind { FLAT_STRING, FLAT_NULL, FLAT_EMPTY_ARRAY };

struct flat_member {
	const char *key, *value;
	size_t key_len, value_len;
	enum flat_kind kind;
};

struct flat_object {
	size_t n;
	struct flat_member members[FLAT_MAX_MEMBERS];
	struct strbuf arena;	/* owns the text of keys and values */
};

/*
 * Parses text as a flat object. Returns 1 on success; 0 when the text is not
 * a flat object or not valid JSON (nested values, numbers, bad escapes,
 * invalid UTF-8, too many members) — the caller then parses it with jansson,
 * which reports errors precisely. Pointers stay valid until the next call.
 */
int flat_object_parse(struct flat_object *obj, const char *text, size_t len);
/* The last member called key, or NULL. */
const struct flat_member *flat_object_get(const struct flat_object *obj, const char *key);

#endif
