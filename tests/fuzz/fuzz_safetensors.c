/* fuzz_safetensors.c - safetensors headers (lengths, offsets, dtypes, shapes) against the file size. */
#include "fuzz.h"
#include "../../model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct safetensors st;
	if (!safetensors_open(&st, fuzz_file(data, size, "model.safetensors")))
		safetensors_close(&st);
	return 0;
}
