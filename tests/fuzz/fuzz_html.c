/* fuzz_html.c - one page's extraction: links, main text, Q&A and structured data (schema.org, microdata). */
#include "fuzz.h"
#include "../../crawl/crawl.h"

#include <string.h>

static void on_link(void *ctx, const char *url, int rel_next)
{
	(void)rel_next;
	*(size_t *)ctx += strlen(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf utf8 = STRBUF_INIT;
	struct extract_rules rules;
	size_t seen = 0;
	struct link_sink sink = { on_link, &seen };
	memset(&rules, 0, sizeof(rules));
	charset_decode((const char *)data, size, "text/html", &utf8);
	for (unsigned lean = 0; lean < 2; lean++) {
		struct extraction e;
		struct qa_list qa = { NULL, 0, 0 };
		extraction_init(&e);
		extract_page(utf8.buf, utf8.len, "http://127.0.0.1/page", &rules,
			     lean ? HTML_TEXT_ONLY | HTML_KEEP_LINKS : 0, &sink, &e, &qa);
		qa_list_release(&qa);
		extraction_release(&e);
	}
	strbuf_release(&utf8);
	return 0;
}
