/*
 * test_lib_file_http.c - lib/file.c (reading with a limit that fails
 * cleanly, atomic writes and copies) and lib/http.c's Retry-After parser
 * (seconds and HTTP dates, as both the crawler and the LLM client use it).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/file.h"
#include "../../lib/http.h"
#include "../../lib/util.h"

static char dir[] = "/tmp/winnow-test-file-XXXXXX";

static char *path_in_dir(const char *name)
{
	return xstrfmt("%s/%s", dir, name);
}

static void test_read_limit_fails_cleanly(void **state)
{
	(void)state;
	char *p = path_in_dir("ten");
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(write_file_atomic(p, "0123456789", 10), 0);
	assert_int_equal(read_file_limited(p, 10, &sb), 0);
	assert_int_equal(sb.len, 10);
	assert_memory_equal(sb.buf, "0123456789", 10);
	/* one byte over the limit: refused, errno EFBIG, nothing silently cut */
	strbuf_reset(&sb);
	errno = 0;
	assert_int_equal(read_file_limited(p, 9, &sb), -1);
	assert_int_equal(errno, EFBIG);
	/* the limit counts this file only, not what out already held */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "already here ");
	assert_int_equal(read_file_limited(p, 10, &sb), 0);
	assert_string_equal(sb.buf, "already here 0123456789");
	strbuf_release(&sb);
	free(p);
}

static void test_missing_file(void **state)
{
	(void)state;
	char *p = path_in_dir("missing");
	struct strbuf sb = STRBUF_INIT;
	errno = 0;
	assert_int_equal(read_file_limited(p, 100, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(copy_file(p, "/dev/null"), -1);
	strbuf_release(&sb);
	free(p);
}

static void test_atomic_write_and_copy(void **state)
{
	(void)state;
	char *a = path_in_dir("a"), *b = path_in_dir("b"), *tmp = path_in_dir("b.tmp");
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(write_file_atomic(a, "first", 5), 0);
	assert_int_equal(write_file_atomic(a, "second", 6), 0);	/* replaces */
	assert_int_equal(copy_file(a, b), 0);
	assert_int_equal(read_file_limited(b, 100, &sb), 0);
	assert_string_equal(sb.buf, "second");
	assert_int_not_equal(access(tmp, F_OK), 0);	/* no temporary left behind */
	/* a write into a folder that does not exist fails and leaves nothing */
	char *bad = xstrfmt("%s/no/such/file", dir);
	assert_int_equal(write_file_atomic(bad, "x", 1), -1);
	strbuf_release(&sb);
	free(a);
	free(b);
	free(tmp);
	free(bad);
}

static void test_retry_after(void **state)
{
	(void)state;
	char date[64];
	time_t later = time(NULL) + 120;
	struct tm tm;
	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	assert_true(http_retry_after("30") == 30);
	assert_true(http_retry_after("  7 \r\n") == 7);
	assert_true(http_retry_after("0") == 0);
	double d = http_retry_after(date);
	assert_true(d >= 110 && d <= 120);
	/* a date in the past means now */
	assert_true(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT") == 0);
	/* garbage, negative and absurd values are not a wait */
	assert_true(http_retry_after("soon") < 0);
	assert_true(http_retry_after("") < 0);
	assert_true(http_retry_after("-5") < 0);
	assert_true(http_retry_after("99999999") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_limit_fails_cleanly),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_atomic_write_and_copy),
		cmocka_unit_test(test_retry_after),
	};
	if (!mkdtemp(dir))
		return 1;
	int rc = RUN_TESTS(tests);
	char *cmd = xstrfmt("rm -rf '%s'", dir);
	if (system(cmd))
		rc = 1;
	free(cmd);
	return rc;
}
