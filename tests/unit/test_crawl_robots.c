/*
 * test_crawl_robots.c - crawl/robots.c: RFC 9309 decisions. Group choice
 * (our token, case-insensitive, merged groups, else "*"), longest match
 * with Allow winning ties, "*" and "$", Crawl-delay and Sitemap lines.
 * The expected answers come from the RFC's text and its section 5 example.
 */
#include "unit.h"

#include <string.h>

#include "../../crawl/crawl.h"

static const char *const example =
	"# comment line\n"
	"User-Agent: *\n"
	"Disallow: *.gif$\n"
	"Disallow: /example/\n"
	"Allow: /publications/\n"
	"\n"
	"User-Agent: foobot\n"
	"Disallow:/\n"
	"Allow:/example/page.html\n"
	"Allow:/example/allowed.gif\n"
	"\n"
	"User-Agent: barbot\n"
	"User-Agent: bazbot\n"
	"Disallow: /example/page.html\n"
	"\n"
	"User-Agent: quxbot\n"
	"\n"
	"Sitemap: https://example.com/sitemap.xml\n";

static int allowed(const char *agent, const char *path)
{
	struct robots r;
	robots_parse(&r, example, strlen(example), agent);
	int ok = robots_allowed(&r, path);
	robots_release(&r);
	return ok;
}

/* the RFC's own walk-through of this file */
static void test_rfc_example(void **state)
{
	(void)state;
	assert_false(allowed("foobot", "/"));
	assert_true(allowed("foobot", "/example/page.html"));
	assert_true(allowed("foobot", "/example/allowed.gif"));
	assert_false(allowed("foobot", "/other"));
	assert_false(allowed("FooBot", "/other"));		/* case-insensitive */
	assert_false(allowed("barbot", "/example/page.html"));
	assert_false(allowed("bazbot", "/example/page.html"));
	assert_true(allowed("bazbot", "/example/other.html"));
	assert_true(allowed("quxbot", "/anything"));		/* empty group: all allowed */
	assert_false(allowed("winnow", "/example/x"));		/* no group of its own: "*" */
	assert_false(allowed("winnow", "/img/a.gif"));
	assert_true(allowed("winnow", "/img/a.gif?x=1"));	/* $ anchors the end */
	assert_true(allowed("winnow", "/publications/a"));
	assert_true(allowed("winnow", "/robots.txt"));
}

static void test_longest_match_and_ties(void **state)
{
	(void)state;
	const char *txt = "user-agent: winnow\n"
			  "disallow: /a\n"
			  "allow: /a/b\n"
			  "disallow: /a/b/c\n"
			  "allow: /x\n"
			  "disallow: /x\n"
			  "disallow: /*/secret\n"
			  "allow: /p/*/open$\n"
			  "disallow: /p/\n";
	struct robots r;
	robots_parse(&r, txt, strlen(txt), "winnow");
	assert_false(robots_allowed(&r, "/a"));
	assert_true(robots_allowed(&r, "/a/b"));
	assert_false(robots_allowed(&r, "/a/b/c/d"));
	assert_true(robots_allowed(&r, "/x"));		/* equal length: Allow wins */
	assert_false(robots_allowed(&r, "/z/secret/1"));
	assert_true(robots_allowed(&r, "/p/q/open"));
	assert_false(robots_allowed(&r, "/p/q/open/more"));
	assert_true(robots_allowed(&r, "/elsewhere"));
	robots_release(&r);
}

static void test_merged_groups_delay_sitemaps(void **state)
{
	(void)state;
	const char *txt = "User-agent: winnow\nDisallow: /one\nCrawl-delay: 2.5\n\n"
			  "User-agent: other\nDisallow: /two\n\n"
			  "User-agent: winnow\nDisallow: /three\n"
			  "Sitemap: http://h/s1.xml\nsitemap: http://h/s2.xml.gz\n";
	struct robots r;
	robots_parse(&r, txt, strlen(txt), "winnow");
	assert_false(robots_allowed(&r, "/one"));
	assert_true(robots_allowed(&r, "/two"));
	assert_false(robots_allowed(&r, "/three"));
	assert_true(r.crawl_delay > 2.4 && r.crawl_delay < 2.6);
	assert_int_equal(r.sitemaps_nr, 2);
	assert_string_equal(r.sitemaps[1], "http://h/s2.xml.gz");
	robots_release(&r);
}

static void test_garbage_and_disallow_all(void **state)
{
	(void)state;
	const char *txt = "\x01\x02 not robots\n<html>oops</html>\nDisallow: /before-any-group\n";
	struct robots r;
	robots_parse(&r, txt, strlen(txt), "winnow");
	assert_true(robots_allowed(&r, "/before-any-group"));
	r.disallow_all = 1;	/* what a 5xx robots.txt means */
	assert_false(robots_allowed(&r, "/anything"));
	robots_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_longest_match_and_ties),
		cmocka_unit_test(test_merged_groups_delay_sitemaps),
		cmocka_unit_test(test_garbage_and_disallow_all),
	};
	return RUN_TESTS(tests);
}
