/*
 * rules.c - the table of cleaning rules: each has a name (the reason stored
 * in records.reason and the key in a rules file), a default threshold that
 * suits ordinary Chinese and English instruction data, and a line of help.
 * Thresholds are changed with `--rule KEY=VALUE` or a `--rules FILE` of
 * `key = value` lines; "off" turns any rule off.
 */
#include "clean_internal.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum rule_kind {
	KIND_SWITCH,		/* on/off */
	KIND_FRACTION,		/* reject above this share (0..1) */
	KIND_MIN,		/* reject below this count */
	KIND_MAX,		/* reject above this count */
	KIND_FIXED		/* set by an option, not a threshold */
};

static const struct rule_info {
	const char *name;
	enum rule_kind kind;
	double def;
	const char *doc;
} rule_info[RULE_COUNT] = {
	[RULE_EMPTY_INSTRUCTION] = { "empty-instruction", KIND_SWITCH, 1, "the instruction is empty after normalisation" },
	[RULE_EMPTY_OUTPUT] = { "empty-output", KIND_SWITCH, 1, "the output is empty after normalisation" },
	[RULE_BAD_HISTORY] = { "bad-history", KIND_SWITCH, 1, "history is not a JSON list of [question, answer] string pairs" },
	[RULE_PII] = { "pii", KIND_FIXED, 0, "personal data was found and --pii reject is in force" },
	[RULE_BLOCKLIST] = { "blocklist", KIND_FIXED, 0, "a word or pattern from a --block FILE occurs in some field" },
	[RULE_PROMPT_SCAFFOLDING] = { "prompt-scaffolding", KIND_SWITCH, 1,
		"template leftovers in any field: ### Instruction:, <|im_start|>, [INST], <<SYS>>, </s>" },
	[RULE_REFUSAL] = { "refusal", KIND_SWITCH, 1,
		"the output opens with a refusal: I'm sorry, but I can't / 抱歉，我无法 / 我无法回答" },
	[RULE_AI_SELF_REFERENCE] = { "ai-self-reference", KIND_SWITCH, 1,
		"the output talks about itself: As an AI language model / 作为一个AI语言模型" },
	[RULE_LOREM_IPSUM] = { "lorem-ipsum", KIND_SWITCH, 1, "placeholder text (lorem ipsum, dolor sit amet)" },
	[RULE_REPLACEMENT_CHAR] = { "replacement-char", KIND_MAX, 0,
		"most U+FFFD replacement characters allowed in instruction, input and output" },
	[RULE_JS_CSS_LEAK] = { "js-css-leak", KIND_SWITCH, 1,
		"JavaScript or CSS in prose (outside code blocks) when the instruction is not about code" },
	[RULE_TOO_SHORT] = { "too-short", KIND_MIN, 3,
		"fewest words in instruction + input + output (one CJK character is one word)" },
	[RULE_TOO_LONG] = { "too-long", KIND_MAX, 10000,
		"most words in instruction + input + output (one CJK character is one word)" },
	[RULE_OUTPUT_REPEATS_INSTRUCTION] = { "output-repeats-instruction", KIND_SWITCH, 1,
		"the output is the instruction again (ignoring case, spaces and punctuation), once or repeated" },
	[RULE_LANG] = { "lang", KIND_FIXED, 0, "instruction or output is not mainly in the --lang language" },
	[RULE_SYMBOL_RATIO] = { "symbol-ratio", KIND_FRACTION, 0.20,
		"largest share of non-ASCII symbols (emoji, stars, box drawing) among a field's characters" },
	[RULE_DIGIT_RATIO] = { "digit-ratio", KIND_FRACTION, 0.60, "largest share of digits among a field's characters" },
	[RULE_URL_RATIO] = { "url-ratio", KIND_FRACTION, 0.50, "largest share of a field's characters inside URLs" },
	[RULE_DUPLICATE_LINES] = { "duplicate-lines", KIND_FRACTION, 0.30,
		"largest share of lines that repeat an earlier line (output and input)" },
	[RULE_DUPLICATE_LINE_CHARS] = { "duplicate-line-chars", KIND_FRACTION, 0.20,
		"largest share of characters in repeated lines" },
	[RULE_TOP_2GRAM] = { "top-2gram", KIND_FRACTION, 0.20,
		"largest share of characters covered by the most frequent word 2-gram (characters for CJK)" },
	[RULE_TOP_3GRAM] = { "top-3gram", KIND_FRACTION, 0.18, "the same for 3-grams" },
	[RULE_TOP_4GRAM] = { "top-4gram", KIND_FRACTION, 0.16, "the same for 4-grams" },
	[RULE_DUP_5GRAM] = { "dup-5gram", KIND_FRACTION, 0.15,
		"largest share of characters in 5-grams that occur more than once" },
	[RULE_DUP_6GRAM] = { "dup-6gram", KIND_FRACTION, 0.14, "the same for 6-grams" },
	[RULE_DUP_7GRAM] = { "dup-7gram", KIND_FRACTION, 0.13, "the same for 7-grams" },
	[RULE_DUP_8GRAM] = { "dup-8gram", KIND_FRACTION, 0.12, "the same for 8-grams" },
	[RULE_DUP_9GRAM] = { "dup-9gram", KIND_FRACTION, 0.11, "the same for 9-grams" },
	[RULE_DUP_10GRAM] = { "dup-10gram", KIND_FRACTION, 0.10, "the same for 10-grams" },
	[RULE_TRUNCATED] = { "truncated", KIND_MIN, 30,
		"prose outputs of at least this many characters that stop mid-sentence (not code, lists, "
		"verse, hashtags or names), and any output that "
		"leaves a code block open, were cut off at the generation limit" },
	[RULE_PLACEHOLDER_OUTPUT] = { "placeholder-output", KIND_SWITCH, 1,
		"the output is only a placeholder: N/A, TODO, TBD, ..., none, 无, 略, 暂无, <noinput>" },
	[RULE_REPEATED_SENTENCE] = { "repeated-sentence", KIND_MIN, 3,
		"a sentence of at least 15 characters said this many times in a row (a generation loop)" },
	[RULE_WEB_BOILERPLATE] = { "web-boilerplate", KIND_SWITCH, 1,
		"the output ends with a web page's furniture: copyright, share buttons, cookies, "
		"subscribe, 版权所有, 分享到, 扫码关注 (unless the instruction is about web pages)" },
	[RULE_DUPLICATE_AFTER_NORMALISE] = { "duplicate-after-normalise", KIND_FIXED, 0,
		"after normalisation the record equals another record in the corpus (duplicate_of names it)" },
};

const char *clean_change_name(enum clean_change k)
{
	static const char *const names[CHANGE_KIND_COUNT] = {
		"mojibake", "markup", "characters", "unicode", "whitespace", "pii",
	};
	return (unsigned)k < CHANGE_KIND_COUNT ? names[k] : "?";
}

static const char *const profile_names[PROFILE_COUNT] = { "instruction", "web" };

const char *clean_profile_name(enum clean_profile p)
{
	return (unsigned)p < PROFILE_COUNT ? profile_names[p] : "?";
}

int clean_profile_find(const char *name)
{
	for (int p = 0; p < PROFILE_COUNT; p++)
		if (!strcmp(profile_names[p], name))
			return p;
	return -1;
}

enum clean_profile clean_profile_for_origin(const char *origin)
{
	return origin && !strcmp(origin, "crawl") ? PROFILE_WEB : PROFILE_INSTRUCTION;
}

void clean_rules_profile(struct clean_rules *rules, enum clean_profile p)
{
	memset(rules, 0, sizeof(*rules));
	for (int r = 0; r < RULE_COUNT; r++)
		rules->threshold[r] = rule_info[r].def;
	/*
	 * Gopher's repetition rules were made for web documents of 50 to
	 * 100,000 words. On instruction records (a median of about 60 words
	 * in Alpaca) they fire on ordinary definitions, lists and short
	 * Chinese answers, so there they wait for texts of 500 words (two
	 * Chinese characters counting as one word there).
	 */
	rules->repetition_min_units = p == PROFILE_WEB ? 50 : 500;
	rules->cjk_chars_per_word = p == PROFILE_WEB ? 1 : 2;
	rules->ratio_min_chars = 50;
	rules->lang_min_fraction = 0.5;
	rules->lang = LANG_NONE;
	rules->pii = PII_MODE_MASK;
	rules->markup = p == PROFILE_WEB;
}

void clean_rules_default(struct clean_rules *rules)
{
	clean_rules_profile(rules, PROFILE_INSTRUCTION);
}

const char *clean_rule_name(enum clean_rule r)
{
	return (unsigned)r < RULE_COUNT ? rule_info[r].name : "?";
}

const char *clean_rule_doc(enum clean_rule r)
{
	return (unsigned)r < RULE_COUNT ? rule_info[r].doc : "";
}

const char *clean_rule_value(const struct clean_rules *rules, enum clean_rule r, char *buf, size_t size)
{
	switch (rule_info[r].kind) {
	case KIND_FIXED:
		if (r == RULE_PII)
			return rules->pii == PII_MODE_REJECT ? "on" : "off";
		if (r == RULE_LANG)
			return rules->lang == LANG_NONE ? "off" : clean_lang_name(rules->lang);
		return r == RULE_BLOCKLIST ? "--block" : "on";
	case KIND_SWITCH:
		return rules->off[r] ? "off" : "on";
	default:
		if (rules->off[r])
			return "off";
		snprintf(buf, size, "%g", rules->threshold[r]);
		return buf;
	}
}

static int set_error(char *err, size_t errsize, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errsize, fmt, a, b);
	return -1;
}

static int parse_switch(const char *value, int *on)
{
	if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
		*on = 1;
	else if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
		*on = 0;
	else
		return -1;
	return 0;
}

int clean_rules_set(struct clean_rules *rules, const char *key, const char *value,
		    char *err, size_t errsize)
{
	double v;
	int on;
	if (!strcmp(key, "lang")) {
		if (!strcmp(value, "zh"))
			rules->lang = LANG_ZH;
		else if (!strcmp(value, "en"))
			rules->lang = LANG_EN;
		else if (!strcmp(value, "any") || !strcmp(value, "off"))
			rules->lang = LANG_NONE;
		else
			return set_error(err, errsize, "'%s' must be zh, en or any, not '%s'", key, value);
		return 0;
	}
	if (!strcmp(key, "pii")) {
		if (!strcmp(value, "mask"))
			rules->pii = PII_MODE_MASK;
		else if (!strcmp(value, "reject"))
			rules->pii = PII_MODE_REJECT;
		else if (!strcmp(value, "keep"))
			rules->pii = PII_MODE_KEEP;
		else
			return set_error(err, errsize, "'%s' must be mask, reject or keep, not '%s'", key, value);
		return 0;
	}
	if (!strcmp(key, "nfkc") || !strcmp(key, "strip-markup")) {
		if (parse_switch(value, &on))
			return set_error(err, errsize, "'%s' must be on or off, not '%s'", key, value);
		*(key[0] == 'n' ? &rules->nfkc : &rules->markup) = on;
		return 0;
	}
	if (!strcmp(key, "repetition-min-words") || !strcmp(key, "ratio-min-chars")) {
		if (parse_double(value, 0, 1e9, &v))
			return set_error(err, errsize, "'%s' must be a number of words or characters, not '%s'",
					 key, value);
		*(key[0] == 'r' && key[1] == 'e' ? &rules->repetition_min_units : &rules->ratio_min_chars) = v;
		return 0;
	}
	if (!strcmp(key, "lang-fraction")) {
		if (parse_double(value, 0, 1, &v))
			return set_error(err, errsize, "'%s' must be a fraction between 0 and 1, not '%s'", key, value);
		rules->lang_min_fraction = v;
		return 0;
	}
	for (int r = 0; r < RULE_COUNT; r++) {
		if (strcmp(rule_info[r].name, key))
			continue;
		switch (rule_info[r].kind) {
		case KIND_FIXED:
			return set_error(err, errsize, "'%s' is set by its own option (%s), not a threshold",
					 key, r == RULE_LANG ? "--lang" : r == RULE_PII ? "--pii" : r == RULE_BLOCKLIST ? "--block" : "always on");
		case KIND_SWITCH:
			if (parse_switch(value, &on))
				return set_error(err, errsize, "'%s' must be on or off, not '%s'", key, value);
			rules->off[r] = !on;
			return 0;
		default:
			if (!strcmp(value, "off")) {
				rules->off[r] = 1;
				return 0;
			}
			if (parse_double(value, 0, rule_info[r].kind == KIND_FRACTION ? 1 : 1e12, &v))
				return set_error(err, errsize, rule_info[r].kind == KIND_FRACTION
						 ? "'%s' must be a fraction between 0 and 1 or off, not '%s'"
						 : "'%s' must be a non-negative number or off, not '%s'", key, value);
			rules->threshold[r] = v;
			rules->off[r] = 0;
			return 0;
		}
	}
	return set_error(err, errsize, "unknown rule '%s'%s; 'winnow clean --list-rules' shows them all",
			 key, "");
}

int clean_rules_load(struct clean_rules *rules, const char *path)
{
	FILE *fp = fopen(path, "r");
	struct strbuf line = STRBUF_INIT;
	char err[256];
	long lineno = 0;
	int c, rc = 0;
	if (!fp)
		return error("cannot read rules file '%s': %s", path, strerror(errno));
	while (!rc) {
		strbuf_reset(&line);
		while ((c = getc(fp)) != EOF && c != '\n')
			if (line.len < 4096)
				strbuf_addch(&line, c);
		if (c == EOF && !line.len)
			break;
		lineno++;
		char *hash = strchr(line.buf, '#');
		if (hash)
			*hash = '\0', line.len = (size_t)(hash - line.buf);
		strbuf_trim(&line);
		if (!line.len)
			continue;
		char *eq = strchr(line.buf, '=');
		if (!eq) {
			rc = error("%s:%ld: expected 'key = value', found '%s'", path, lineno, line.buf);
			break;
		}
		*eq = '\0';
		char *key = line.buf, *value = eq + 1, *end = eq;
		while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		if (!*key || !*value)
			rc = error("%s:%ld: expected 'key = value'", path, lineno);
		else if (clean_rules_set(rules, key, value, err, sizeof(err)))
			rc = error("%s:%ld: %s", path, lineno, err);
	}
	strbuf_release(&line);
	fclose(fp);
	return rc;
}
