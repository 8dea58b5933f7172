/*
 * train_data.c - training examples: Alpaca records encoded with the prompt
 * template (labels -100 on the prompt, as LLaMA-Factory masks them), or
 * plain documents for causal LM; cut to --seq tokens; a seeded validation
 * split; and each epoch's order, one example per sequence or packed
 * several to a sequence.
 */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "../model/template.h"
#include "../model/tokenizer.h"
#include "../db/corpus.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push_example(struct train_dataset *ds, const int32_t *ids, const int32_t *labels,
			 int n)
{
	struct train_example *e;
	int any = 0;
	for (int i = 1; i < n; i++)	/* the first token is never predicted */
		any |= labels[i] != LABEL_IGNORE;
	if (!any) {
		ds->skipped++;
		return;
	}
	if (ds->n == ds->alloc) {
		ds->alloc = ds->alloc ? 2 * ds->alloc : 256;
		ds->ex = xrealloc(ds->ex, (size_t)ds->alloc * sizeof(*ds->ex));
	}
	e = &ds->ex[ds->n++];
	e->n = n;
	e->ids = xmalloc((size_t)n * sizeof(int32_t));
	e->labels = xmalloc((size_t)n * sizeof(int32_t));
	memcpy(e->ids, ids, (size_t)n * sizeof(int32_t));
	memcpy(e->labels, labels, (size_t)n * sizeof(int32_t));
	ds->tokens += n;
	for (int i = 1; i < n; i++)
		ds->targets += labels[i] != LABEL_IGNORE;
}

void train_dataset_release(struct train_dataset *ds)
{
	for (long i = 0; i < ds->n; i++) {
		free(ds->ex[i].ids);
		free(ds->ex[i].labels);
	}
	free(ds->ex);
	memset(ds, 0, sizeof(*ds));
}

/* A string member of obj ("" when absent or null); -1 after an error. */
static int string_field(json_t *obj, const char *key, const char *path, long index, long line,
			const char **out, char **owned)
{
	json_t *v = json_object_get(obj, key);
	*out = "";
	if (!v || json_is_null(v))
		return 0;
	if (!strcmp(key, "history") && json_is_array(v)) {
		*owned = json_dumps(v, JSON_COMPACT);
		*out = *owned ? *owned : "[]";
		return 0;
	}
	if (!json_is_string(v))
		return error("%s: record %ld (line %ld): '%s' must be a string, not %s", path, index + 1,
			     line, key, json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int train_data_load_alpaca(struct train_dataset *ds, const char *path, struct tokenizer *tok,
			   int kind, int seq)
{
	struct json_reader r;
	int got, rc = 0;
	memset(ds, 0, sizeof(*ds));
	if (json_reader_open(&r, path, JSON_LAYOUT_AUTO))
		return error("cannot read '%s': no such file or not readable", path);
	while (!rc && (got = json_reader_next(&r)) > 0) {
		char perr[200], *hist = NULL;
		json_t *obj = json_parse(r.item.buf, r.item.len, perr, sizeof(perr));
		struct chat_example ex;
		struct token_ids ids = { NULL, 0, 0 }, labels = { NULL, 0, 0 };
		if (!obj || !json_is_object(obj)) {
			rc = error("%s: record %ld (line %ld): %s", path, r.index + 1, r.line,
				   obj ? "expected an object with instruction/input/output" : perr);
			json_decref(obj);
			break;
		}
		rc |= string_field(obj, "system", path, r.index, r.line, &ex.system, &hist);
		rc |= string_field(obj, "instruction", path, r.index, r.line, &ex.instruction, &hist);
		rc |= string_field(obj, "input", path, r.index, r.line, &ex.input, &hist);
		rc |= string_field(obj, "output", path, r.index, r.line, &ex.output, &hist);
		rc |= string_field(obj, "history", path, r.index, r.line, &ex.history, &hist);
		if (!rc && !*ex.output)
			rc = error("%s: record %ld (line %ld): 'output' is empty; there is nothing to learn",
				   path, r.index + 1, r.line);
		if (!rc && template_encode(tok, (enum template_kind)kind, &ex, &ids, &labels))
			rc = error("%s: record %ld (line %ld) could not be encoded", path, r.index + 1,
				   r.line);
		if (!rc) {
			int n = (int)ids.n;
			if (n > seq) {
				ds->truncated++;
				n = seq;
			}
			push_example(ds, ids.ids, labels.ids, n);
		}
		token_ids_release(&ids);
		token_ids_release(&labels);
		free(hist);
		json_decref(obj);
	}
	if (!rc && got < 0)
		rc = error("%s: %s", path, r.err);
	json_reader_close(&r);
	if (!rc && !ds->n)
		rc = error("'%s' holds no records with response tokens to train on", path);
	if (rc)
		train_dataset_release(ds);
	return rc;
}

/* One document: BOS when the tokenizer wants it, the text, EOS; cut in pieces of seq. */
static int add_document(struct train_dataset *ds, struct tokenizer *tok, const char *text,
			size_t len)
{
	struct token_ids ids = { NULL, 0, 0 };
	int32_t bos = tokenizer_bos(tok), eos = tokenizer_eos(tok);
	if (tokenizer_add_bos(tok) && bos >= 0)
		token_ids_push(&ids, bos);
	if (tokenizer_encode(tok, text, len, &ids)) {
		token_ids_release(&ids);
		return -1;
	}
	if (eos >= 0)
		token_ids_push(&ids, eos);
	for (size_t at = 0; at + 1 < ids.n;) {
		/* consecutive pieces overlap by one token so every token is predicted once */
		size_t n = ids.n - at < (size_t)ds->seq ? ids.n - at : (size_t)ds->seq;
		push_example(ds, ids.ids + at, ids.ids + at, (int)n);
		if (at + n >= ids.n)
			break;
		at += n - 1;
	}
	token_ids_release(&ids);
	return 0;
}

int train_data_load_text(struct train_dataset *ds, const char *path, const char *db,
			 struct tokenizer *tok, int seq)
{
	int rc = 0;
	memset(ds, 0, sizeof(*ds));
	ds->seq = seq;
	if (path) {
		struct json_reader r;
		int got;
		if (json_reader_open(&r, path, JSON_LAYOUT_AUTO))
			return error("cannot read '%s': no such file or not readable", path);
		while (!rc && (got = json_reader_next(&r)) > 0) {
			char perr[200];
			json_t *obj = json_parse(r.item.buf, r.item.len, perr, sizeof(perr)), *text;
			text = obj && json_is_object(obj) ? json_object_get(obj, "text") : NULL;
			if (!obj)
				rc = error("%s: document %ld (line %ld): %s", path, r.index + 1, r.line, perr);
			else if (!json_is_string(text))
				rc = error("%s: document %ld (line %ld): expected an object with a \"text\" "
					   "string", path, r.index + 1, r.line);
			else if (add_document(ds, tok, json_string_value(text), json_string_length(text)))
				rc = error("%s: document %ld (line %ld) could not be tokenised", path,
					   r.index + 1, r.line);
			json_decref(obj);
		}
		if (!rc && got < 0)
			rc = error("%s: %s", path, r.err);
		json_reader_close(&r);
	} else {
		sqlite3 *c = corpus_open(db, 0);
		sqlite3_stmt *st;
		if (!c)
			return -1;
		st = corpus_prepare(c, "SELECT text FROM documents ORDER BY id");
		if (!st) {
			corpus_close(c);
			return -1;
		}
		while (!rc && sqlite3_step(st) == SQLITE_ROW)
			rc = add_document(ds, tok, (const char *)sqlite3_column_text(st, 0),
					  (size_t)sqlite3_column_bytes(st, 0));
		sqlite3_finalize(st);
		corpus_close(c);
		path = db;
	}
	if (!rc && !ds->n)
		rc = error("'%s' holds no documents with text to train on", path);
	if (rc)
		train_dataset_release(ds);
	return rc;
}

static void shuffle(long *v, long n, uint64_t seed)
{
	uint64_t s = seed;
	for (long i = n - 1; i > 0; i--) {
		long j = (long)(rng_next(&s) % (uint64_t)(i + 1));
		long t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

void train_data_split(struct train_dataset *ds, struct train_dataset *val, double frac,
		      uint64_t seed)
{
	long n = ds->n, nval = (long)(frac * (double)n + 0.5), *idx = xmalloc((size_t)n * sizeof(long));
	struct train_example *keep = xmalloc((size_t)n * sizeof(*keep));
	unsigned char *to_val = xcalloc((size_t)n, 1);
	long nk = 0;
	memset(val, 0, sizeof(*val));
	if (nval < 1 && frac > 0)
		nval = 1;
	if (nval >= n)
		nval = n - 1;
	for (long i = 0; i < n; i++)
		idx[i] = i;
	shuffle(idx, n, seed ^ 0x76616c73706c6974ULL);
	for (long i = 0; i < nval; i++)
		to_val[idx[i]] = 1;
	val->ex = xmalloc((size_t)(nval ? nval : 1) * sizeof(*val->ex));
	val->alloc = nval;
	for (long i = 0; i < n; i++) {
		struct train_example *e = &ds->ex[i];
		long t = 0;
		for (int k = 1; k < e->n; k++)
			t += e->labels[k] != LABEL_IGNORE;
		if (to_val[i]) {
			val->ex[val->n++] = *e;
			val->tokens += e->n;
			val->targets += t;
			ds->tokens -= e->n;
			ds->targets -= t;
		} else {
			keep[nk++] = *e;
		}
	}
	memcpy(ds->ex, keep, (size_t)nk * sizeof(*keep));
	ds->n = nk;
	free(keep);
	free(to_val);
	free(idx);
}

void epoch_plan_make(struct epoch_plan *p, const struct train_dataset *ds, uint64_t seed,
		     int epoch, int pack, int seq, int batch, int shuffled)
{
	long n = ds->n, used = 0;
	memset(p, 0, sizeof(*p));
	p->order = xmalloc((size_t)(n ? n : 1) * sizeof(long));
	p->seq_start = xmalloc((size_t)(n + 1) * sizeof(long));
	for (long i = 0; i < n; i++)
		p->order[i] = i;
	if (shuffled)
		shuffle(p->order, n, rng_mix(seed + 0x65706f6368ULL * (uint64_t)(epoch + 1)));
	for (long i = 0; i < n; i++) {
		int len = ds->ex[p->order[i]].n;
		if (!pack || !p->nseqs || used + len > seq) {
			p->seq_start[p->nseqs++] = i;
			used = 0;
		}
		used += len;
	}
	p->seq_start[p->nseqs] = n;
	p->nbatches = (p->nseqs + batch - 1) / batch;
}

void epoch_plan_free(struct epoch_plan *p)
{
	free(p->order);
	free(p->seq_start);
	memset(p, 0, sizeof(*p));
}

void epoch_plan_batch(const struct epoch_plan *p, const struct train_dataset *ds, long i,
		      int batch, struct train_batch *b)
{
	long s0 = i * batch, s1 = s0 + batch < p->nseqs ? s0 + batch : p->nseqs;
	train_batch_clear(b);
	for (long s = s0; s < s1; s++) {
		for (long k = p->seq_start[s]; k < p->seq_start[s + 1]; k++) {
			const struct train_example *e = &ds->ex[p->order[k]];
			train_batch_add(b, e->ids, e->labels, e->n);
		}
		b->nseq++;
	}
}
