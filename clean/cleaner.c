/*
 * cleaner.c - one record through the whole of clean/: every field
 * (instruction, input, output, system and each history turn) normalised,
 * PII masked or counted, then the filters. The command decides what to do
 * with the answer; nothing here touches the corpus.
 */
#include "clean_internal.h"
#include "../db/corpus.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <string.h>

void cleaned_init(struct cleaned *out)
{
	memset(out, 0, sizeof(*out));
	for (int f = 0; f < CLEAN_FIELD_COUNT; f++)
		strbuf_init(&out->field[f], 0);
	strbuf_init(&out->history, 0);
	out->reject = RULE_COUNT;
}

void cleaned_release(struct cleaned *out)
{
	for (int f = 0; f < CLEAN_FIELD_COUNT; f++)
		strbuf_release(&out->field[f]);
	strbuf_release(&out->history);
}

static struct strbuf *next_turn(struct cleaner *c)
{
	if (c->nturns == c->turns_alloc) {
		size_t old = c->turns_alloc;
		c->turns_alloc = old ? old * 2 : 8;
		c->turns = xrealloc(c->turns, c->turns_alloc * sizeof(*c->turns));
		for (size_t i = old; i < c->turns_alloc; i++)
			strbuf_init(&c->turns[i], 0);
	}
	strbuf_reset(&c->turns[c->nturns]);
	return &c->turns[c->nturns++];
}

/* Normalises s into out, then masks (or counts) PII according to the rules. */
static void clean_text(struct cleaner *c, struct cleaned *res, struct strbuf *out, const char *s, size_t len)
{
	unsigned flags = (c->rules.nfkc ? NORMALIZE_NFKC : 0) | (c->rules.markup ? NORMALIZE_MARKUP : 0);
	strbuf_reset(out);
	clean_normalize_changes(out, s, len, flags, &res->changes);
	if (c->rules.pii == PII_MODE_KEEP || !out->len)
		return;
	strbuf_reset(&c->tmp);
	size_t n = pii_mask(&c->tmp, out->buf, out->len, res->pii);
	res->pii_total += n;
	if (n && c->rules.pii == PII_MODE_MASK) {
		res->changes |= 1u << CHANGE_PII;
		struct strbuf swap = *out;
		*out = c->tmp;
		c->tmp = swap;
	}
}

/* Splits history JSON into c->turns, normalised. Returns -1 if it is not a list of pairs. */
static int clean_history(struct cleaner *c, struct cleaned *res, const char *s, size_t len)
{
	json_t *root, *pair;
	json_error_t jerr;
	size_t i;
	c->nturns = 0;
	strbuf_reset(&res->history);
	if (!len || (len == 2 && !memcmp(s, "[]", 2))) {
		strbuf_addstr(&res->history, "[]");
		return 0;
	}
	root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_array(root)) {
		json_decref(root);
		return -1;
	}
	strbuf_addch(&res->history, '[');
	json_array_foreach(root, i, pair) {
		json_t *q = json_array_get(pair, 0), *a = json_array_get(pair, 1);
		if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(q) || !json_is_string(a)) {
			json_decref(root);
			return -1;
		}
		struct strbuf *tq = next_turn(c);
		clean_text(c, res, tq, json_string_value(q), json_string_length(q));
		struct strbuf *ta = next_turn(c);
		clean_text(c, res, ta, json_string_value(a), json_string_length(a));
		if (i)
			strbuf_addch(&res->history, ',');
		strbuf_addch(&res->history, '[');
		json_write_string(&res->history, tq->buf, tq->len);
		strbuf_addch(&res->history, ',');
		json_write_string(&res->history, ta->buf, ta->len);
		strbuf_addch(&res->history, ']');
	}
	strbuf_addch(&res->history, ']');
	json_decref(root);
	return 0;
}

static int differs(const struct strbuf *sb, const char *s, size_t len)
{
	return sb->len != len || memcmp(sb->buf, s, len);
}

static enum clean_rule filter_record(struct cleaner *c, const struct record *r, struct cleaned *out)
{
	const char *in[CLEAN_FIELD_COUNT] = { r->instruction, r->input, r->output, r->system };
	size_t len[CLEAN_FIELD_COUNT] = { r->instruction_len, r->input_len, r->output_len, r->system_len };
	int bad_history;

	cleaner_span(c, NULL, 0, NULL, 0);
	memset(out->pii, 0, sizeof(out->pii));
	out->pii_total = 0;
	out->changed = 0;
	out->changes = 0;
	out->span = out->span_in = NULL;
	out->span_len = out->span_in_len = 0;
	out->reject_field = NULL;
	for (int f = 0; f < CLEAN_FIELD_COUNT; f++) {
		clean_text(c, out, &out->field[f], in[f] ? in[f] : "", in[f] ? len[f] : 0);
		out->changed |= differs(&out->field[f], in[f] ? in[f] : "", in[f] ? len[f] : 0);
	}
	bad_history = clean_history(c, out, r->history ? r->history : "[]", r->history ? r->history_len : 2);
	if (!bad_history)
		out->changed |= differs(&out->history, r->history ? r->history : "[]", r->history ? r->history_len : 2);

	if (!out->changed)
		out->changes = 0;
	out->reject = RULE_COUNT;
	if (bad_history && !c->rules.off[RULE_BAD_HISTORY]) {
		out->reject = RULE_BAD_HISTORY;
		out->reject_field = "history";
		return out->reject;
	}
	if (c->rules.pii == PII_MODE_REJECT && out->pii_total) {
		out->reject = RULE_PII;
		out->reject_field = "record";
		return out->reject;
	}
	/* system prompt and history turns: template leftovers and blocklists */
	for (size_t t = 0; t <= c->nturns; t++) {
		const struct strbuf *sb = t < c->nturns ? &c->turns[t] : &out->field[FIELD_SYSTEM];
		out->reject_field = t < c->nturns ? "history" : "system";
		if (!c->rules.off[RULE_PROMPT_SCAFFOLDING] && (anchors(sb->buf, sb->len) & ANCHOR_SCAFFOLDING) &&
		    cleaner_match(c, c->re[RE_SCAFFOLDING], sb->buf, sb->len))
			return out->reject = RULE_PROMPT_SCAFFOLDING;
		if (cleaner_match(c, c->block, sb->buf, sb->len))
			return out->reject = RULE_BLOCKLIST;
	}
	out->reject = cleaner_check(c, out->field[FIELD_INSTRUCTION].buf, out->field[FIELD_INPUT].buf,
				    out->field[FIELD_OUTPUT].buf, &out->reject_field);
	return out->reject;
}

/*
 * The language of the request: instruction and input, or the output when
 * they have no letters. A Chinese question answered with code is Chinese,
 * so its English translation (same code) is in another language for dedupe.
 */
static void detect_record_lang(struct cleaner *c, struct cleaned *out)
{
	struct text_stats sum, st;
	memset(&sum, 0, sizeof(sum));
	for (int f = 0; f < 3; f++) {
		const struct text_stats *p = &c->stats[f];
		if (f == 2 && lang_from_stats(&sum, c->rules.lang_min_fraction) != LANG_NONE)
			break;
		if (!c->stats_ready) {
			text_stats(out->field[f].buf, out->field[f].len, &st, NULL);
			p = &st;
		}
		sum.han += p->han;
		sum.kana += p->kana;
		sum.latin_words += p->latin_words;
		sum.other_words += p->other_words;
	}
	out->lang = lang_from_stats(&sum, c->rules.lang_min_fraction);
}

enum clean_rule cleaner_run(struct cleaner *c, const struct record *r, struct cleaned *out)
{
	c->stats_ready = 0;
	filter_record(c, r, out);
	if (out->reject != RULE_COUNT && c->span) {
		out->span_in = c->span_in;
		out->span_in_len = c->span_in_len;
		out->span = c->span;
		out->span_len = c->span_len;
	}
	detect_record_lang(c, out);
	return out->reject;
}
