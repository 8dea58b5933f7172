/* fuzz_charset.c - charset detection and decoding to UTF-8; the result must be valid UTF-8. */
#include "fuzz.h"
#include "../../crawl/crawl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, "text/html", "text/html; charset=gbk",
					     "text/html; charset=utf-16", "text/plain; charset=big5",
					     "text/html; charset=shift_jis" };
	const char *ct = size ? types[data[0] % (sizeof(types) / sizeof(types[0]))] : NULL;
	struct strbuf out = STRBUF_INIT;
	charset_decode((const char *)data, size, ct, &out);
	if (!utf8_valid(out.buf, out.len))
		abort();
	strbuf_release(&out);
	return 0;
}
