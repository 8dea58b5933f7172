/*
 * test_crawl_url.c - crawl/url.c: resolving links against a base (the
 * examples of RFC 3986 section 5.4) and the canonical form the frontier
 * keys pages by, so one page is never fetched twice under two spellings.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../crawl/crawl.h"

static void expect_resolve(const char *base, const char *href, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	int rc = url_resolve(base, href, &out);
	if (!want) {
		assert_int_equal(rc, -1);
		assert_int_equal(out.len, 0);
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(out.buf, want);
	}
	strbuf_release(&out);
}

/* RFC 3986 5.4.1 normal examples (fragments dropped, as the frontier does) */
static void test_rfc3986_normal(void **state)
{
	(void)state;
	const char *b = "http://a/b/c/d;p?q";
	expect_resolve(b, "g", "http://a/b/c/g");
	expect_resolve(b, "./g", "http://a/b/c/g");
	expect_resolve(b, "g/", "http://a/b/c/g/");
	expect_resolve(b, "/g", "http://a/g");
	expect_resolve(b, "//g", "http://g/");
	expect_resolve(b, "?y", "http://a/b/c/d;p?y");
	expect_resolve(b, "g?y", "http://a/b/c/g?y");
	expect_resolve(b, "#s", "http://a/b/c/d;p?q");
	expect_resolve(b, "g#s", "http://a/b/c/g");
	expect_resolve(b, ";x", "http://a/b/c/;x");
	expect_resolve(b, "", "http://a/b/c/d;p?q");
	expect_resolve(b, ".", "http://a/b/c/");
	expect_resolve(b, "./", "http://a/b/c/");
	expect_resolve(b, "..", "http://a/b/");
	expect_resolve(b, "../", "http://a/b/");
	expect_resolve(b, "../g", "http://a/b/g");
	expect_resolve(b, "../..", "http://a/");
	expect_resolve(b, "../../g", "http://a/g");
}

/* RFC 3986 5.4.2 abnormal examples */
static void test_rfc3986_abnormal(void **state)
{
	(void)state;
	const char *b = "http://a/b/c/d;p?q";
	expect_resolve(b, "../../../g", "http://a/g");
	expect_resolve(b, "../../../../g", "http://a/g");
	expect_resolve(b, "/./g", "http://a/g");
	expect_resolve(b, "/../g", "http://a/g");
	expect_resolve(b, "g.", "http://a/b/c/g.");
	expect_resolve(b, "..g", "http://a/b/c/..g");
	expect_resolve(b, "./../g", "http://a/b/g");
	expect_resolve(b, "./g/.", "http://a/b/c/g/");
	expect_resolve(b, "g/./h", "http://a/b/c/g/h");
	expect_resolve(b, "g/../h", "http://a/b/c/h");
}

static void test_canonical_form(void **state)
{
	(void)state;
	expect_resolve(NULL, "HTTP://Example.COM:80/a", "http://example.com/a");
	expect_resolve(NULL, "https://example.com:443", "https://example.com/");
	expect_resolve(NULL, "https://example.com:8443/x", "https://example.com:8443/x");
	expect_resolve(NULL, "http://example.com/a b%2fc", "http://example.com/a%20b%2Fc");
	expect_resolve(NULL, "  http://example.com/\n#frag", "http://example.com/");
	expect_resolve("http://example.com/a/", "\\b\\c", "http://example.com/b/c");
	expect_resolve(NULL, "http://例子.com/页", "http://例子.com/%E9%A1%B5");
}

static void test_rejected(void **state)
{
	(void)state;
	expect_resolve("http://a/b", "mailto:x@y.z", NULL);
	expect_resolve("http://a/b", "javascript:void(0)", NULL);
	expect_resolve("http://a/b", "ftp://a/file", NULL);
	expect_resolve(NULL, "relative/only", NULL);
	expect_resolve(NULL, "http://", NULL);
	expect_resolve(NULL, "http://host:99999/", NULL);
}

static void test_site_and_page_key(void **state)
{
	(void)state;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	url_site("http://www.example.com/x", &a);
	url_site("http://example.com/y", &b);
	assert_string_equal(a.buf, "example.com");
	assert_string_equal(b.buf, "example.com");
	strbuf_reset(&a);
	strbuf_reset(&b);
	url_page_key("https://www.example.com/p?q=1", &a);
	url_page_key("https://example.com/p?q=1", &b);
	assert_string_equal(a.buf, b.buf);
	strbuf_reset(&a);
	url_site("http://127.0.0.1:8080/", &a);
	assert_string_equal(a.buf, "127.0.0.1:8080");
	assert_string_equal(url_path("http://h/a/b?c=d"), "/a/b?c=d");
	assert_string_equal(url_path("http://h"), "/");
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3986_normal),
		cmocka_unit_test(test_rfc3986_abnormal),
		cmocka_unit_test(test_canonical_form),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_site_and_page_key),
	};
	return RUN_TESTS(tests);
}
