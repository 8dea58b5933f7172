/*
 * eval_answers.c - `winnow eval --generate`: each candidate answers every
 * test record (greedy, through the same decode loop as chat and serve) and
 * each answer is scored against the reference with ROUGE-L F1 (dedupe's
 * LCS over 32-bit symbols: characters for CJK, hashed words otherwise) and,
 * for short references, exact match.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval.h"
#include "../dedupe/dedupe.h"
#include "../lib/progress.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

struct symbols {
	uint32_t *v;
	size_t n, alloc;
};

static void push(struct symbols *s, uint32_t x)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 64;
		s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static int is_space(int32_t cp)
{
	return cp == ' ' || (cp >= 9 && cp <= 13) || cp == 0x85 || cp == 0xA0 || cp == 0x3000 ||
	       (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
	       cp == 0x205F || cp == 0xFEFF;
}

static int has_cjk(const char *s)
{
	size_t len = strlen(s), used;
	for (size_t i = 0; i < len; i += used)
		if (cp_is_cjk_word(utf8_decode((const unsigned char *)s + i, len - i, &used)))
			return 1;
	return 0;
}

/* Characters without whitespace (cjk), or words as FNV-1a hashes. */
static void symbols_of(const char *s, int cjk, struct symbols *out)
{
	size_t len = strlen(s), used = 1;
	uint32_t h = 2166136261u;
	int in_word = 0;
	for (size_t i = 0; i <= len; i += used) {
		int32_t cp = i < len ? utf8_decode((const unsigned char *)s + i, len - i, &used) : ' ';
		int sep;
		if (i == len)
			used = 1;
		if (cjk) {
			if (i < len && !is_space(cp))
				push(out, cp < 0 ? 0xFFFD : (uint32_t)cp);
			continue;
		}
		sep = is_space(cp) || (cp < 128 && !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
						     (cp >= 'A' && cp <= 'Z')));
		if (sep) {
			if (in_word)
				push(out, h);
			h = 2166136261u;
			in_word = 0;
			continue;
		}
		for (size_t k = 0; k < used; k++) {
			unsigned char b = (unsigned char)s[i + k];
			h = (h ^ (b >= 'A' && b <= 'Z' ? b + 32 : b)) * 16777619u;
		}
		in_word = 1;
	}
}

double answer_rouge_l(const char *answer, const char *reference, int *is_short, int *exact)
{
	struct symbols a = { NULL, 0, 0 }, r = { NULL, 0, 0 };
	int cjk = has_cjk(reference);
	double f;
	symbols_of(answer, cjk, &a);
	symbols_of(reference, cjk, &r);
	f = rouge_l_codepoints(a.v, a.n, r.v, r.n);
	*is_short = r.n > 0 && r.n <= (cjk ? 10u : 5u);
	*exact = a.n == r.n && (!a.n || !memcmp(a.v, r.v, a.n * sizeof(*a.v)));
	free(a.v);
	free(r.v);
	return f;
}

/* One greedy answer to rec from g into *answer; 1 when the prompt leaves no room. */
static int answer_one(const struct generator *g, const struct eval_record *rec, long max_new,
		      struct kv_cache *cache, struct token_ids *cached, struct sampler *greedy,
		      char **answer)
{
	struct chat_example ex = { rec->system, rec->instruction, rec->input, "", rec->history };
	struct token_ids ids = { NULL, 0, 0 };
	struct decode d = { .cache = cache, .cached = cached, .sampler = greedy, .max_tokens = max_new };
	size_t from, to;
	int rc = template_encode_prompt(g->tok, g->kind, &ex, &ids), step = 0;
	*answer = NULL;
	if (!rc && ids.n + 1 > (size_t)cache->cap) {
		token_ids_release(&ids);
		*answer = xstrdup("");
		return 1;
	}
	decode_set_stops(&d, g, NULL, 0);
	if (!rc)
		rc = decode_start(&d, g, &ids);
	while (!rc && (step = decode_step(&d, g, &from, &to)) == 0)
		;
	if (!rc && step < 0)
		rc = -1;
	if (!rc) {	/* a byte-level model may stop inside a character: U+FFFD, so JSON and HTML stay valid */
		struct strbuf valid = STRBUF_INIT;
		text_append_valid(&valid, d.text.buf, d.text.len);
		*answer = strbuf_detach(&valid, NULL);
	}
	decode_release(&d);
	token_ids_release(&ids);
	return rc;
}

int eval_generate(const struct generator *g, const struct eval_record *recs, long n, long max_new,
		  int context, struct eval_result *res)
{
	struct kv_cache cache;
	struct token_ids cached = { NULL, 0, 0 };
	struct sampler greedy;
	struct progress progress;
	double rouge = 0;
	int rc = 0;
	if (kv_cache_init(&cache, g->m, context))
		return -1;
	sampler_init(&greedy, 0, 1, 0, 0);
	res->answers = xcalloc((size_t)n, sizeof(*res->answers));
	progress_start(&progress, "answers", (uint64_t)n, "records");
	for (long i = 0; i < n && !rc; i++) {
		int is_short, exact;
		rc = answer_one(g, &recs[i], max_new, &cache, &cached, &greedy, &res->answers[i]);
		if (rc == 1) {
			res->too_long++;
			rc = 0;
		}
		if (rc)
			break;
		rouge += answer_rouge_l(res->answers[i], recs[i].output, &is_short, &exact);
		res->short_refs += is_short;
		res->exact += is_short && exact;
		progress_update(&progress, (uint64_t)i + 1);
	}
	progress_finish(&progress);
	res->rouge_l = rouge / (double)n;
	sampler_release(&greedy);
	token_ids_release(&cached);
	kv_cache_free(&cache);
	return rc ? -1 : 0;
}
