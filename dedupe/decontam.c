/*
 * decontam.c - decontamination: which training records share a 13-gram
 * with an evaluation set, so evaluation numbers stay honest.
 *
 * Text becomes tokens: every CJK character (Han, kana) is a token, every
 * run of other letters and digits is a word token, case and width folded;
 * whitespace, punctuation and symbols only separate tokens. Each window of
 * 13 consecutive tokens (within one field) is hashed with a rolling
 * polynomial hash into a 64-bit value kept in an open-addressed set. A
 * field shorter than 13 tokens has no window and cannot be matched; the
 * loader counts such evaluation items so the user knows.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../lib/json.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROLL_BASE 0x100000001b3ULL

struct ngram_set {
	uint64_t *slots;	/* 0 = empty */
	size_t size, nr;	/* size is a power of two, nr <= size / 2 */
};

struct ngram_set *ngram_set_new(void)
{
	struct ngram_set *set = xcalloc(1, sizeof(*set));
	set->size = 1024;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	return set;
}

void ngram_set_free(struct ngram_set *set)
{
	if (!set)
		return;
	free(set->slots);
	free(set);
}

size_t ngram_set_size(const struct ngram_set *set)
{
	return set->nr;
}

static void set_insert(struct ngram_set *set, uint64_t key)
{
	if (2 * (set->nr + 1) > set->size) {
		uint64_t *old = set->slots;
		size_t old_size = set->size;
		set->size *= 2;
		set->slots = xcalloc(set->size, sizeof(*set->slots));
		set->nr = 0;
		for (size_t i = 0; i < old_size; i++)
			if (old[i])
				set_insert(set, old[i]);
		free(old);
	}
	size_t s = (size_t)key & (set->size - 1);
	while (set->slots[s]) {
		if (set->slots[s] == key)
			return;
		s = (s + 1) & (set->size - 1);
	}
	set->slots[s] = key;
	set->nr++;
}

static int set_has(const struct ngram_set *set, uint64_t key)
{
	size_t s = (size_t)key & (set->size - 1);
	while (set->slots[s]) {
		if (set->slots[s] == key)
			return 1;
		s = (s + 1) & (set->size - 1);
	}
	return 0;
}

struct windows {
	uint64_t ring[DECONTAM_NGRAM], roll, top;
	size_t ntokens, count;
	int (*fn)(void *ctx, uint64_t key);
	void *ctx;
};

/* Adds one token; returns fn's answer for the window it completes, else 0. */
static int push_token(struct windows *w, uint64_t token)
{
	size_t slot = w->ntokens % DECONTAM_NGRAM;
	if (w->ntokens >= DECONTAM_NGRAM)
		w->roll -= w->ring[slot] * w->top;
	w->roll = w->roll * ROLL_BASE + token;
	w->ring[slot] = token;
	if (++w->ntokens < DECONTAM_NGRAM)
		return 0;
	w->count++;
	return w->fn ? w->fn(w->ctx, mix64(w->roll) | 1) : 0;
}

/*
 * Calls fn(ctx, key) for every 13-token window of text; stops when fn
 * returns non-zero and returns that value, else 0. *windows counts them.
 */
static int for_each_window(const char *text, size_t len, size_t *windows,
			   int (*fn)(void *ctx, uint64_t key), void *ctx)
{
	const unsigned char *p = (const unsigned char *)text;
	struct windows w;
	uint64_t word = 0;
	size_t pos = 0, word_len = 0;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.ctx = ctx;
	w.top = 1;
	for (int i = 0; i < DECONTAM_NGRAM - 1; i++)
		w.top *= ROLL_BASE;	/* the weight of the oldest token in the window */
	while (!rc) {
		uint32_t folded[DEDUPE_FOLD_MAX];
		size_t nf = pos < len ? dedupe_fold_char(dedupe_utf8_next(p, len, &pos), folded) : 0;
		if (!nf && word_len) {		/* a separator or the end closes the word */
			rc = push_token(&w, word | 1);
			word = 0;
			word_len = 0;
		}
		for (size_t k = 0; k < nf && !rc; k++) {
			if (!cp_is_cjk_word((int32_t)folded[k])) {
				word = mix64(word * 31 + folded[k] + 1);
				word_len++;
				continue;
			}
			if (word_len) {
				rc = push_token(&w, word | 1);
				word = 0;
				word_len = 0;
			}
			if (!rc)
				rc = push_token(&w, mix64((uint64_t)folded[k] + 0xc1a0000ULL) | 1);
		}
		if (pos >= len && !word_len)
			break;
	}
	*windows += w.count;
	return rc;
}

static int add_key(void *ctx, uint64_t key)
{
	set_insert(ctx, key);
	return 0;
}

static int has_key(void *ctx, uint64_t key)
{
	return set_has(ctx, key);
}

size_t ngram_set_add_text(struct ngram_set *set, const char *text, size_t len)
{
	size_t windows = 0;
	for_each_window(text, len, &windows, add_key, set);
	return windows;
}

int ngram_set_hits(const struct ngram_set *set, const char *text, size_t len)
{
	size_t windows = 0;
	if (!set->nr)
		return 0;
	return for_each_window(text, len, &windows, has_key, (void *)set);
}

int ngram_set_load_alpaca(struct ngram_set *set, const char *path, long *items,
			  long *short_items, int *bad_data)
{
	static const char *const fields[] = { "instruction", "input", "output" };
	struct json_reader jr;
	char perr[200];
	int got, rc = 0;

	*items = *short_items = 0;
	*bad_data = 0;
	if (json_reader_open(&jr, path, JSON_LAYOUT_AUTO))
		return error("cannot open evaluation set '%s': %s", path, strerror(errno));
	while ((got = json_reader_next(&jr)) > 0) {
		json_t *obj = json_parse(jr.item.buf, jr.item.len, perr, sizeof(perr));
		size_t windows = 0;
		int any = 0;
		if (!obj) {
			rc = error("%s:%ld: not valid JSON (%s)", path, jr.line, perr);
			break;
		}
		if (!json_is_object(obj)) {
			rc = error("%s:%ld: expected an Alpaca object with instruction, input and "
				   "output, found %s", path, jr.line, json_type_name(obj));
			json_decref(obj);
			break;
		}
		for (int f = 0; f < 3 && !rc; f++) {
			json_t *v = json_object_get(obj, fields[f]);
			if (!v || json_is_null(v))
				continue;
			if (!json_is_string(v)) {
				rc = error("%s:%ld: field '%s' must be a string, found %s", path,
					   jr.line, fields[f], json_type_name(v));
				break;
			}
			any = 1;
			windows += ngram_set_add_text(set, json_string_value(v), json_string_length(v));
		}
		if (!rc && !any)
			rc = error("%s:%ld: the item has no instruction, input or output field",
				   path, jr.line);
		json_decref(obj);
		if (rc)
			break;
		(*items)++;
		if (!windows)
			(*short_items)++;
	}
	if (!rc && got < 0)
		rc = error("%s: %s", path, jr.err);
	if (rc)
		*bad_data = 1;
	json_reader_close(&jr);
	return rc;
}
