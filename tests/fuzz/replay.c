/*
 * replay.c - main() for a harness built without libFuzzer: runs every file
 * named on the command line through LLVMFuzzerTestOneInput once, so the
 * seeds and the crashes libFuzzer found stay regression tests in `make test`
 * (and under ASan/UBSan in `make check`). With --mutate, each input is also
 * run cut at 16 places and with 16 bytes flipped (a cheap smoke run beside
 * the real fuzzing). Exits 0 when every input ran.
 */
#include "fuzz.h"

#include <string.h>

/* The input cut short and with single bytes changed, deterministically. */
static void mutations(const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	for (size_t k = 1; k <= 16 && len; k++)
		LLVMFuzzerTestOneInput(buf, len * k / 17);
	for (size_t k = 0; k < 16 && len; k++) {
		size_t at = (k * 2654435761u) % len;
		memcpy(copy, buf, len);
		copy[at] ^= (uint8_t)(0x80 >> (k % 8)) | (k & 1 ? 0x20 : 0);
		LLVMFuzzerTestOneInput(copy, len);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	int mutate = argc > 1 && !strcmp(argv[1], "--mutate");
	for (int i = 1 + mutate; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t len = 0, alloc = 0, n;
		if (!fp) {
			fprintf(stderr, "cannot open '%s'\n", argv[i]);
			return 1;
		}
		do {
			if (len == alloc)
				buf = realloc(buf, alloc = alloc ? alloc * 2 : 65536);
			if (!buf)
				abort();
			n = fread(buf + len, 1, alloc - len, fp);
			len += n;
		} while (n);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, len);
		if (mutate)
			mutations(buf, len);
		free(buf);
	}
	return 0;
}
