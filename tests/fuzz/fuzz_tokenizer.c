/* fuzz_tokenizer.c - tokenizer.json loading, then a round trip of a fixed text through it. */
#include "fuzz.h"
#include "../../model/tokenizer.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "Hello, 世界! 123 <|im_start|>";
	struct tokenizer *tok = tokenizer_load(fuzz_file(data, size, "tokenizer.json"));
	struct token_ids ids = { 0 };
	struct strbuf back = STRBUF_INIT;
	if (!tok)
		return 0;
	if (!tokenizer_encode(tok, text, strlen(text), &ids))
		tokenizer_decode(tok, ids.ids, ids.n, 0, &back);
	strbuf_release(&back);
	token_ids_release(&ids);
	tokenizer_free(tok);
	return 0;
}
