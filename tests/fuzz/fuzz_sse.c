/* fuzz_sse.c - the server-sent events parser of streamed LLM answers, fed in two chunks. */
#include "fuzz.h"
#include "../../llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_sse s;
	size_t cut = size ? data[0] % (size + 1) : 0;
	llm_sse_init(&s);
	llm_sse_feed(&s, (const char *)data, cut);
	llm_sse_feed(&s, (const char *)data + cut, size - cut);
	llm_sse_finish(&s);
	llm_sse_release(&s);
	return 0;
}
