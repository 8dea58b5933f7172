/*
 * llm_generate.c - the parts of generation that do not talk to the
 * network: building a prompt from the task's prompt, a few sampled seeds,
 * its feedback rules and rejected counter-examples; reading the items out
 * of an answer (JSON or a numbered list); and the filters every generated
 * item passes (length, blocklist, first character, ROUGE-L similarity).
 */
#include "generate_internal.h"
#include "../dedupe/dedupe.h"
#include "../lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Alpaca's blocklist (things a text model cannot do), with Chinese counterparts. */
static const char *const default_block[] = {
	"image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps",
	"draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
	"图片", "图像", "照片", "视频", "音频", "音乐", "流程图", "示意图", "绘制", "画一",
	NULL
};

/* Phrases a question made from a document must not lean on. */
static const char *const document_block[] = {
	"according to the text", "according to the passage", "in the text", "the passage",
	"the document", "the article", "根据文本", "根据上文", "根据原文", "根据文章", "根据材料",
	"文中", "本文", "上文", "原文", "这篇文章", "该文",
	NULL
};

void gen_filter_init(struct gen_filter *f, int documents)
{
	memset(f, 0, sizeof(*f));
	f->min_chars = 4;
	f->max_chars = 500;
	f->threshold = 0.7;
	f->documents = documents;
	f->index = rouge_index_new();
}

void gen_filter_release(struct gen_filter *f)
{
	rouge_index_free(f->index);
	string_list_clear(&f->block);
	f->index = NULL;
}

static size_t codepoints(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ASCII case-insensitive substring test (CJK bytes compare as they are). */
static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

/* Whole-word match for ASCII needles, substring match for others. */
static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	if (!isalpha((unsigned char)word[0]))
		return contains_ci(text, word);
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, word, n))
			continue;
		if (p > text && isalnum((unsigned char)p[-1]))
			continue;
		if (isalnum((unsigned char)p[n]))
			continue;
		return 1;
	}
	return 0;
}

static int starts_with_punct(const char *s)
{
	utf8proc_int32_t cp;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp) <= 0)
		return 1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		return cp != '"' && cp != 0x201C && cp != 0x300C && cp != 0xBF && cp != 0xA1;
	default:
		return 0;
	}
}

enum gen_verdict gen_filter_check(struct gen_filter *f, const char *instruction, const char *output,
				  int need_output, int64_t *similar_to)
{
	size_t n = codepoints(instruction);
	double score;
	if (!n || (need_output && (!output || !*output)))
		return GEN_EMPTY;
	if (n < (size_t)f->min_chars)
		return GEN_TOO_SHORT;
	if (n > (size_t)f->max_chars)
		return GEN_TOO_LONG;
	if (starts_with_punct(instruction) || !strncasecmp(instruction, "write a program", 15))
		return GEN_BLOCKED;
	for (int i = 0; default_block[i]; i++)
		if (has_word(instruction, default_block[i]))
			return GEN_BLOCKED;
	for (size_t i = 0; i < f->block.nr; i++)
		if (has_word(instruction, f->block.items[i]))
			return GEN_BLOCKED;
	if (f->documents)
		for (int i = 0; document_block[i]; i++)
			if (has_word(instruction, document_block[i]) || (output && has_word(output, document_block[i])))
				return GEN_BLOCKED;
	if (rouge_index_best(f->index, instruction, strlen(instruction), f->threshold, similar_to, &score))
		return GEN_SIMILAR;
	return GEN_KEEP;
}

void gen_filter_add(struct gen_filter *f, int64_t id, const char *instruction)
{
	rouge_index_add(f->index, id, instruction, strlen(instruction));
}

const char *gen_verdict_name(enum gen_verdict v)
{
	static const char *const names[] = { "kept", "empty", "too_short", "too_long", "blocked", "similar" };
	return names[v];
}

/* ---- reading answers ---- */

static const char *member_string(json_t *obj, const char *const *keys)
{
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(obj, keys[i]);
		if (json_is_string(v))
			return json_string_value(v);
	}
	return "";
}

static void add_item(json_t *items, const char *instruction, const char *input, const char *output)
{
	json_t *o = json_object();
	struct strbuf s = STRBUF_INIT;
	const char *text[3] = { instruction, input, output };
	const char *keys[3] = { "instruction", "input", "output" };
	for (int k = 0; k < 3; k++) {
		strbuf_reset(&s);
		strbuf_addstr(&s, text[k]);
		strbuf_trim(&s);
		json_object_set_new(o, keys[k], json_stringn(s.buf, s.len));
	}
	strbuf_release(&s);
	json_array_append_new(items, o);
}

/* The list of items in a JSON answer: the value itself, or its first array member. */
static json_t *json_items(json_t *v)
{
	const char *key;
	json_t *m;
	if (json_is_array(v))
		return v;
	if (!json_is_object(v))
		return NULL;
	json_object_foreach(v, key, m)
		if (json_is_array(m))
			return m;
	/* a single item given as an object */
	return json_object_get(v, "instruction") || json_object_get(v, "question") ? v : NULL;
}

json_t *gen_parse_items(const char *text, size_t len, int truncated)
{
	static const char *const ikeys[] = { "instruction", "question", "prompt", "q", NULL };
	static const char *const inkeys[] = { "input", "context", NULL };
	static const char *const okeys[] = { "output", "answer", "response", "a", NULL };
	json_t *items = json_array(), *v = llm_extract_json(text, len), *list = json_items(v);
	if (list) {
		size_t i;
		json_t *it;
		if (json_is_object(list)) {
			add_item(items, member_string(list, ikeys), member_string(list, inkeys),
				 member_string(list, okeys));
		} else {
			json_array_foreach(list, i, it) {
				if (json_is_string(it))
					add_item(items, json_string_value(it), "", "");
				else if (json_is_object(it))
					add_item(items, member_string(it, ikeys), member_string(it, inkeys),
						 member_string(it, okeys));
			}
		}
	} else if (!v) {
		struct string_list lines = STRING_LIST_INIT;
		llm_parse_list(text, len, &lines);
		/* a cut-off answer's last line is probably cut too */
		for (size_t i = 0; i + (truncated ? 1 : 0) < lines.nr; i++)
			add_item(items, lines.items[i], "", "");
		string_list_clear(&lines);
	}
	json_decref(v);
	return items;
}

/* ---- prompts ---- */

void gen_prompt_examples(struct strbuf *p, json_t *examples, int with_output)
{
	size_t i;
	json_t *s;
	json_array_foreach(examples, i, s) {
		const char *in = json_string_value(json_object_get(s, "instruction"));
		const char *input = json_string_value(json_object_get(s, "input"));
		const char *out = json_string_value(json_object_get(s, "output"));
		if (!with_output) {
			strbuf_addf(p, "%zu. %s\n", i + 1, in);
			continue;
		}
		strbuf_addf(p, "%zu. instruction: %s\n", i + 1, in);
		if (input && *input)
			strbuf_addf(p, "   input: %s\n", input);
		strbuf_addf(p, "   output: %s\n", out ? out : "");
	}
}

void gen_prompt_feedback(struct strbuf *p, const struct string_list *rules,
			 const struct string_list *rejected)
{
	if (rules->nr) {
		strbuf_addstr(p, "\nRules from review of earlier batches (follow every one):\n");
		for (size_t i = 0; i < rules->nr; i++)
			strbuf_addf(p, "- %s\n", rules->items[i]);
	}
	if (rejected->nr) {
		strbuf_addstr(p, "\nThese earlier items were rejected in review; do not write anything like them:\n");
		for (size_t i = 0; i < rejected->nr; i++)
			strbuf_addf(p, "- %s\n", rejected->items[i]);
	}
}
