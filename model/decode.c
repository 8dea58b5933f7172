/*
 * decode.c - a reply token by token (see decode.h): the template rendering
 * shared by chat and serve, the prompt through the cache with its prefix
 * reused, and one step per token with end-of-sequence ids and stop strings.
 */
#define _POSIX_C_SOURCE 200809L
#include "decode.h"
#include "lora.h"
#include "prompt_adapter.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

static void add_stop_id(struct generator *g, int32_t id)
{
	if (id < 0 || id >= g->m->cfg.vocab || g->nstop == GENERATOR_MAX_STOP_IDS)
		return;
	for (int i = 0; i < g->nstop; i++)
		if (g->stop_ids[i] == id)
			return;
	g->stop_ids[g->nstop++] = id;
}

static int is_stop_id(const struct generator *g, int32_t id)
{
	for (int i = 0; i < g->nstop; i++)
		if (g->stop_ids[i] == id)
			return 1;
	return 0;
}

/* eos_token_id of generation_config.json, a number or a list, when present. */
static void add_generation_config_eos(struct generator *g, const char *dir)
{
	char *path = xstrfmt("%s/generation_config.json", dir);
	json_t *root = json_load_file(path, 0, NULL), *eos, *v;
	size_t i;
	free(path);
	if (!root)
		return;
	eos = json_object_get(root, "eos_token_id");
	if (json_is_integer(eos))
		add_stop_id(g, (int32_t)json_integer_value(eos));
	json_array_foreach(eos, i, v)
		if (json_is_integer(v))
			add_stop_id(g, (int32_t)json_integer_value(v));
	json_decref(root);
}

void generator_init(struct generator *g, struct model *m, struct tokenizer *tok,
		    enum template_kind kind, const char *dir)
{
	const char *const *stops = template_stop_strings(kind);
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->tok = tok;
	g->kind = kind;
	add_stop_id(g, tokenizer_eos(tok));
	for (int i = 0; i < m->cfg.n_eos; i++)
		add_stop_id(g, m->cfg.eos_ids[i]);
	add_generation_config_eos(g, dir);
	for (int s = 0; stops && stops[s]; s++)
		add_stop_id(g, tokenizer_token_id(tok, stops[s]));
}

int generator_load(struct generator *g, const char *base, const char *adapter,
		   enum quant_type quant, const char *template, struct tokenizer *tok, long *context)
{
	struct tokenizer *own = tok ? NULL : tokenizer_load(base);
	struct model_config cfg;
	struct model *m;
	int kind;
	if (!tok && !(tok = own))
		return -1;
	if (model_config_load(base, &cfg)) {
		tokenizer_free(own);
		return -1;
	}
	if (*context > cfg.max_position)
		*context = cfg.max_position;
	m = model_load_quant(base, (int)*context, quant);
	if (!m || tokenizer_fits_model(tok, m, base) || (adapter && adapter_apply(m, adapter))) {
		model_free(m);
		tokenizer_free(own);
		return -1;
	}
	kind = template_from_name(template);
	generator_init(g, m, tok, kind == TEMPLATE_AUTO ? template_detect(tok) : (enum template_kind)kind, base);
	return 0;
}

void generator_unload(struct generator *g, int free_tok)
{
	model_free(g->m);
	if (free_tok)
		tokenizer_free(g->tok);
	g->m = NULL;
	g->tok = NULL;
}

int chat_render(const struct generator *g, const char *system, const char *user,
		json_t *history, int cap, struct token_ids *ids)
{
	int rc;
	for (;;) {
		char *hist = json_dumps(history, JSON_COMPACT);
		struct chat_example ex = { system, user, "", "", hist };
		ids->n = 0;
		rc = template_encode_prompt(g->tok, g->kind, &ex, ids);
		free(hist);
		if (rc || ids->n + 16 <= (size_t)cap || !json_array_size(history))
			return rc;
		json_array_remove(history, 0);
	}
}

void decode_set_stops(struct decode *d, const struct generator *g, const char *const *extra, size_t nextra)
{
	const char *const *tpl = template_stop_strings(g->kind);
	size_t n = 0;
	for (int s = 0; tpl && tpl[s] && n < DECODE_MAX_STOPS; s++)
		d->stops[n++] = tpl[s];
	for (size_t i = 0; i < nextra && n < DECODE_MAX_STOPS; i++)
		if (extra[i] && *extra[i])
			d->stops[n++] = extra[i];
	d->stops[n] = NULL;
}

int decode_start(struct decode *d, const struct generator *g, const struct token_ids *prompt)
{
	size_t keep = 0;
	long room = d->cache->cap - g->m->prompt_len - (long)prompt->n;
	memset(&d->gen, 0, sizeof(d->gen));
	strbuf_init(&d->text, 0);
	d->emitted = 0;
	d->finish = NULL;
	d->prompt_tokens = prompt->n;
	if (d->max_tokens > room)
		d->max_tokens = room;
	if (!d->logits)
		d->logits = xmalloc((size_t)g->m->cfg.vocab * sizeof(float));
	while (keep < d->cached->n && keep + 1 < prompt->n && d->cached->ids[keep] == prompt->ids[keep])
		keep++;
	d->reused = keep;
	d->cache->len = keep ? (int)keep + g->m->prompt_len : 0;	/* after a prompt adapter's tokens */
	d->cached->n = keep;
	if (model_forward(g->m, d->cache, prompt->ids + keep, (int)(prompt->n - keep), NULL, d->logits))
		return -1;
	for (size_t i = keep; i < prompt->n; i++)
		token_ids_push(d->cached, prompt->ids[i]);
	if (d->max_tokens <= 0)
		d->finish = "length";
	return 0;
}

/*
 * How much of text can be handed out: not a partial UTF-8 character at the
 * end, and not a tail that may be the start of a stop string.
 */
static size_t printable(const struct strbuf *text, const char *const *stops)
{
	size_t end = text->len, hold = 0;
	for (size_t back = 1; back <= 4 && back <= end; back++) {
		unsigned char b = (unsigned char)text->buf[end - back];
		if ((b & 0xc0) == 0x80)
			continue;
		size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
		if (need > back)
			end -= back;
		break;
	}
	for (int s = 0; stops[s]; s++) {
		size_t sl = strlen(stops[s]);
		for (size_t k = sl ? sl - 1 : 0; k > hold; k--)
			if (k <= end && !memcmp(text->buf + end - k, stops[s], k)) {
				hold = k;
				break;
			}
	}
	return end - hold;
}

/* Cuts text before the first stop string in it; returns 1 if there was one. */
static int cut_at_stop(struct strbuf *text, const char *const *stops)
{
	size_t cut = text->len;
	for (int s = 0; stops[s]; s++) {
		char *hit = strstr(text->buf, stops[s]);
		if (hit && (size_t)(hit - text->buf) < cut)
			cut = (size_t)(hit - text->buf);
	}
	if (cut == text->len)
		return 0;
	text->len = cut;
	text->buf[cut] = 0;
	return 1;
}

int decode_pick(struct decode *d, const struct generator *g, size_t *from, size_t *to)
{
	*from = *to = d->emitted;
	if (d->finish)
		goto ended;
	d->next = sampler_next(d->sampler, d->logits, g->m->cfg.vocab);
	if (is_stop_id(g, d->next)) {
		d->finish = "stop";
		goto ended;
	}
	token_ids_push(&d->gen, d->next);
	strbuf_reset(&d->text);
	if (tokenizer_decode(g->tok, d->gen.ids, d->gen.n, 0, &d->text))
		return -1;
	if (cut_at_stop(&d->text, d->stops))
		d->finish = "stop";
	else if ((long)d->gen.n >= d->max_tokens)
		d->finish = "length";
	if (d->finish)
		goto ended;
	*to = printable(&d->text, d->stops);
	if (*to < *from)
		*to = *from;
	d->emitted = *to;
	return 0;
ended:
	*to = d->text.len > d->emitted ? d->text.len : d->emitted;
	d->emitted = *to;
	return 1;
}

void decode_ran(struct decode *d)
{
	token_ids_push(d->cached, d->next);
}

int decode_step(struct decode *d, const struct generator *g, size_t *from, size_t *to)
{
	int rc = decode_pick(d, g, from, to);
	if (rc)
		return rc;
	if (model_forward(g->m, d->cache, &d->next, 1, NULL, d->logits))
		return -1;
	decode_ran(d);
	return 0;
}

void decode_release(struct decode *d)
{
	token_ids_release(&d->gen);
	strbuf_release(&d->text);
	free(d->logits);
	d->logits = NULL;
}
