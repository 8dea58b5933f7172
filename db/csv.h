/*
 * csv.h - a streaming RFC 4180 reader (CSV or TSV): quoted fields with
 * doubled quotes, CRLF or LF line ends, newlines inside quoted fields, and
 * the line number where each row starts for error messages.
 */
#ifndef WINNOW_CSV_H
#define WINNOW_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "../lib/strbuf.h"

#define CSV_ROW_MAX ((size_t)256 << 20)

struct csv_reader {
	FILE *fp;
	int sep;		/* ',' or '\t' */
	long line;		/* line where the current row starts */
	uint64_t bytes;
	struct strbuf row;	/* fields of the current row, each NUL-terminated */
	size_t *offsets;	/* start of each field in row.buf */
	size_t nfields, alloc;
	char err[160];
	/* private */
	long cur_line;
	int peeked;
};

void csv_reader_init(struct csv_reader *r, FILE *fp, int sep);
void csv_reader_release(struct csv_reader *r);
/* 1 for a row, 0 at end, -1 on a malformed row (message in err, with line). */
int csv_reader_next(struct csv_reader *r);
static inline const char *csv_field(const struct csv_reader *r, size_t i)
{
	return r->row.buf + r->offsets[i];
}
static inline size_t csv_field_len(const struct csv_reader *r, size_t i)
{
	size_t end = i + 1 < r->nfields ? r->offsets[i + 1] - 1 : r->row.len;
	return end - r->offsets[i];
}

#endif
