/*
 * test_csv.c - db/csv.c: RFC 4180 rows from CSV and TSV text: quoted
 * fields, doubled quotes, CRLF and LF, newlines inside quotes, blank
 * lines, a BOM, the line where each row starts, and malformed rows.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../db/csv.h"

struct fixture {
	FILE *fp;
	struct csv_reader r;
};

static void open_csv(struct fixture *f, const char *text, size_t len, int sep)
{
	f->fp = fmemopen((void *)text, len, "rb");
	assert_non_null(f->fp);
	csv_reader_init(&f->r, f->fp, sep);
}

static void close_csv(struct fixture *f)
{
	csv_reader_release(&f->r);
	fclose(f->fp);
}

/* Next row must be the n fields given (as one '|'-joined string) at line `line`. */
static void expect_row(struct fixture *f, const char *joined, long line)
{
	struct strbuf got = STRBUF_INIT;
	assert_int_equal(csv_reader_next(&f->r), 1);
	for (size_t i = 0; i < f->r.nfields; i++) {
		if (i)
			strbuf_addch(&got, '|');
		assert_int_equal(strlen(csv_field(&f->r, i)), csv_field_len(&f->r, i));
		strbuf_add(&got, csv_field(&f->r, i), csv_field_len(&f->r, i));
	}
	assert_string_equal(got.buf, joined);
	assert_int_equal(f->r.line, line);
	strbuf_release(&got);
}

#define OPEN(f, lit, sep) open_csv(f, lit, sizeof(lit) - 1, sep)

static void test_plain_rows(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "a,b,c\n1,2,3\nx,,z\n,,\n", ',');
	expect_row(&f, "a|b|c", 1);
	expect_row(&f, "1|2|3", 2);
	expect_row(&f, "x||z", 3);
	assert_int_equal(f.r.nfields, 3);
	expect_row(&f, "||", 4);
	assert_int_equal(f.r.nfields, 3);
	assert_int_equal(csv_reader_next(&f.r), 0);
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
}

static void test_quotes(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "\"a,b\",\"say \"\"hi\"\"\",\"\",\"\"\"\"\nplain \"inner\" quote,x\n", ',');
	expect_row(&f, "a,b|say \"hi\"||\"", 1);
	expect_row(&f, "plain \"inner\" quote|x", 2);	/* a quote mid-field is literal */
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
}

static void test_line_ends_and_embedded_newlines(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "q,a\r\n\"多行\r\n问题\",\"line1\nline2\n\"\r\n\r\n\n3,4\r\nlast,no newline", ',');
	expect_row(&f, "q|a", 1);
	expect_row(&f, "多行\r\n问题|line1\nline2\n", 2);
	expect_row(&f, "3|4", 8);	/* row 2 spans lines 2-5, then two blank lines */
	expect_row(&f, "last|no newline", 9);
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
	/* a lone CR inside an unquoted field stays; CR at the end is a line end */
	OPEN(&f, "a\rb,c\r", ',');
	expect_row(&f, "a\rb|c", 1);
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
}

static void test_tsv(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "prompt\tresponse\n写一句问候语。\t你好, \"朋友\"\n\"a\tb\"\tc\n", '\t');
	expect_row(&f, "prompt|response", 1);
	expect_row(&f, "写一句问候语。|你好, \"朋友\"", 2);	/* commas are plain text in TSV */
	expect_row(&f, "a\tb|c", 3);
	close_csv(&f);
}

static void test_bom(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "\xEF\xBB\xBFinstruction,output\n\xEF\xBB\xBFx,y\n", ',');
	expect_row(&f, "instruction|output", 1);
	expect_row(&f, "\xEF\xBB\xBFx|y", 2);	/* only a BOM at the very start is dropped */
	close_csv(&f);
	OPEN(&f, "\xEF\xBB\xBF\"quoted\",b\n", ',');
	expect_row(&f, "quoted|b", 1);
	close_csv(&f);
	OPEN(&f, "\xEF\x41,b\n", ',');
	assert_int_equal(csv_reader_next(&f.r), -1);
	assert_non_null(strstr(f.r.err, "line 1"));
	close_csv(&f);
}

static void test_errors(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "a,b\n\"ok\",\"fine\"\n\"never closed,x\nmore\n", ',');
	expect_row(&f, "a|b", 1);
	expect_row(&f, "ok|fine", 2);
	assert_int_equal(csv_reader_next(&f.r), -1);
	assert_string_equal(f.r.err, "line 3: quoted field never closed (missing '\"')");
	close_csv(&f);
	OPEN(&f, "a,b\n\n\"x\"y,z\n", ',');
	expect_row(&f, "a|b", 1);
	assert_int_equal(csv_reader_next(&f.r), -1);
	assert_string_equal(f.r.err, "line 3: unexpected text after a closing quote in field 1");
	close_csv(&f);
	OPEN(&f, "a,\"b\"  \n", ',');
	assert_int_equal(csv_reader_next(&f.r), -1);
	assert_non_null(strstr(f.r.err, "field 2"));
	close_csv(&f);
}

static void test_empty_input(void **state)
{
	struct fixture f;
	(void)state;
	OPEN(&f, "\n\r\n\n", ',');
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
	f.fp = fopen("/dev/null", "rb");
	assert_non_null(f.fp);
	csv_reader_init(&f.r, f.fp, ',');
	assert_int_equal(csv_reader_next(&f.r), 0);
	close_csv(&f);
}

static void test_many_fields_and_long_rows(void **state)
{
	struct strbuf text = STRBUF_INIT;
	struct fixture f;
	(void)state;
	for (int i = 0; i < 100; i++)
		strbuf_addf(&text, "%sf%d", i ? "," : "", i);
	strbuf_addstr(&text, "\n\"");
	for (int i = 0; i < 200000; i++)
		strbuf_addstr(&text, i % 1000 ? "季" : "\"\"");
	strbuf_addstr(&text, "\"\n");
	open_csv(&f, text.buf, text.len, ',');
	assert_int_equal(csv_reader_next(&f.r), 1);
	assert_int_equal(f.r.nfields, 100);
	assert_string_equal(csv_field(&f.r, 99), "f99");
	assert_int_equal(csv_reader_next(&f.r), 1);
	assert_int_equal(f.r.nfields, 1);
	assert_int_equal(csv_field_len(&f.r, 0), 199800 * 3 + 200);
	assert_int_equal(f.r.line, 2);
	assert_int_equal(f.r.bytes, text.len);
	close_csv(&f);
	strbuf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_rows),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_line_ends_and_embedded_newlines),
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_many_fields_and_long_rows),
	};
	return RUN_TESTS(tests);
}
