/* fuzz_config.c - a model's config.json (absurd sizes must be refused, not allocated). */
#include "fuzz.h"
#include "../../model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_config cfg;
	model_config_load(fuzz_file(data, size, "config.json"), &cfg);
	return 0;
}
