/*
 * csv.c - streaming CSV/TSV rows (see csv.h). Blank lines between rows are
 * skipped; a row's fields live in one buffer separated by NULs.
 */
#include "csv.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

void csv_reader_init(struct csv_reader *r, FILE *fp, int sep)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	r->sep = sep;
	r->cur_line = 1;
	r->peeked = EOF;
	strbuf_init(&r->row, 0);
}

void csv_reader_release(struct csv_reader *r)
{
	strbuf_release(&r->row);
	free(r->offsets);
	r->offsets = NULL;
}

static int next_char(struct csv_reader *r)
{
	int c;
	if (r->peeked != EOF) {
		c = r->peeked;
		r->peeked = EOF;
	} else {
		c = getc_unlocked(r->fp);
		if (c == EOF)
			return EOF;
	}
	r->bytes++;
	if (c == '\n')
		r->cur_line++;
	return c;
}

static void push_back(struct csv_reader *r, int c)
{
	r->peeked = c;
	r->bytes--;
	if (c == '\n')
		r->cur_line--;
}

static void start_field(struct csv_reader *r)
{
	if (r->nfields == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 16;
		r->offsets = xrealloc(r->offsets, r->alloc * sizeof(*r->offsets));
	}
	r->offsets[r->nfields++] = r->row.len;
}

/* UTF-16 text reads as bytes with NULs between them: name it, not the NUL */
static int utf16_error(struct csv_reader *r)
{
	snprintf(r->err, sizeof(r->err), "line 1: the file is UTF-16 (or has NUL bytes), not UTF-8; "
		 "convert it first, e.g. iconv -f UTF-16 -t UTF-8");
	return -1;
}

int csv_reader_next(struct csv_reader *r)
{
	int c;
	strbuf_reset(&r->row);
	r->nfields = 0;

	/* skip blank lines */
	do {
		c = next_char(r);
		if (c == '\r') {
			int d = next_char(r);
			if (d != '\n' && d != EOF)
				push_back(r, d);
			c = '\n';
		}
	} while (c == '\n');
	if (c == EOF)
		return 0;
	/* a UTF-8 BOM before the header is dropped; UTF-16 is named */
	if ((c == 0xFF || c == 0xFE) && r->bytes == 1) {
		int d = next_char(r);
		if (d == (c == 0xFF ? 0xFE : 0xFF))
			return utf16_error(r);
		push_back(r, d);
	}
	if (c == 0xEF && r->bytes == 1) {
		if (next_char(r) == 0xBB && next_char(r) == 0xBF)
			c = next_char(r);
		else {
			snprintf(r->err, sizeof(r->err), "line 1: not UTF-8 text");
			return -1;
		}
	}
	r->line = r->cur_line;
	start_field(r);
	for (;;) {
		if (r->row.len >= CSV_ROW_MAX) {
			snprintf(r->err, sizeof(r->err), "line %ld: row longer than the 256 MB limit", r->line);
			return -1;
		}
		if (c == EOF || c == '\n')
			return 1;
		if (c == '\r') {
			int d = next_char(r);
			if (d == '\n' || d == EOF)
				return 1;
			push_back(r, d);
			strbuf_addch(&r->row, c);
		} else if (c == r->sep) {
			strbuf_addch(&r->row, '\0');
			start_field(r);
		} else if (c == '"' && r->row.len == r->offsets[r->nfields - 1]) {
			/* quoted field */
			for (;;) {
				c = next_char(r);
				if (c == EOF) {
					snprintf(r->err, sizeof(r->err),
						 "line %ld: quoted field never closed (missing '\"')", r->line);
					return -1;
				}
				if (c == '"') {
					c = next_char(r);
					if (c != '"')
						break;
				}
				if (r->row.len >= CSV_ROW_MAX) {
					snprintf(r->err, sizeof(r->err), "line %ld: row longer than the 256 MB limit", r->line);
					return -1;
				}
				strbuf_addch(&r->row, c);
			}
			if (c != r->sep && c != '\n' && c != '\r' && c != EOF) {
				snprintf(r->err, sizeof(r->err),
					 "line %ld: unexpected text after a closing quote in field %zu",
					 r->cur_line, r->nfields);
				return -1;
			}
			continue;
		} else if (!c && r->line == 1) {
			return utf16_error(r);
		} else {
			strbuf_addch(&r->row, c);
		}
		c = next_char(r);
	}
}
