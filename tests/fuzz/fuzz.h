/*
 * fuzz.h - what every harness in tests/fuzz/ shares. A harness defines
 * LLVMFuzzerTestOneInput(data, size) and feeds the bytes to one parser of
 * outside input; `make fuzz` links it with libFuzzer (clang, ASan+UBSan),
 * `make test` with replay.c, which runs the committed seeds and every kept
 * crash (tests/fuzz/corpus/NAME, tests/fuzz/regressions/NAME) through it.
 */
#ifndef WINNOW_FUZZ_H
#define WINNOW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Writes the input to this process's scratch file named name (for parsers
 * that take a path) and returns its path; the same path every call.
 */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *name)
{
	static char path[256];
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/winnow-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	return path;
}

#endif
