/* fuzz_robots.c - robots.txt parsing and matching (RFC 9309). */
#include "fuzz.h"
#include "../../crawl/crawl.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/", "/private/x", "/a.pdf", "/%E4%B8%AD?q=1", "/*$" };
	struct robots r;
	memset(&r, 0, sizeof(r));
	robots_parse(&r, (const char *)data, size, "winnow");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		robots_allowed(&r, paths[i]);
	robots_release(&r);
	return 0;
}
