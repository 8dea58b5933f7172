/*
 * clean.h - the public API of clean/: text normalisation that respects
 * Chinese text, quality filters with named rules and thresholds, PII
 * masking, script-based language detection, and `winnow clean`.
 *
 * A `struct cleaner` holds everything compiled once (regular expressions,
 * blocklists, scratch buffers) and is reused for every record, so cleaning
 * a record allocates nothing in the common case and memory does not grow
 * with the corpus. A cleaner is not thread-safe; use one per thread.
 */
#ifndef WINNOW_CLEAN_H
#define WINNOW_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/strbuf.h"

struct record;

/* ---- normalisation ---- */

enum clean_normalize_flags {
	NORMALIZE_NFKC = 1 << 0,	/* NFKC instead of NFC (Chinese punctuation still kept) */
	NORMALIZE_MARKUP = 1 << 1,	/* decode HTML entities and strip tags (text from crawled pages only) */
};

/*
 * Appends the normalised form of s[0..len) to out (see normalize.c for the
 * steps). Invalid UTF-8 becomes U+FFFD. The result is stable: normalising
 * it again gives the same bytes.
 */
void clean_normalize(struct strbuf *out, const char *s, size_t len, unsigned flags);

/* What normalising (or masking) changed in a text, one bit (1 << kind) each. */
enum clean_change {
	CHANGE_MOJIBAKE,	/* UTF-8 read as Latin-1 / Windows-1252, repaired */
	CHANGE_MARKUP,		/* HTML entities decoded, tags stripped (crawled text only) */
	CHANGE_CHARACTERS,	/* control, zero-width, private-use removed; full-width folded; bad UTF-8 */
	CHANGE_UNICODE,		/* NFC / NFKC */
	CHANGE_WHITESPACE,	/* spaces, blank lines, line ends, trimming */
	CHANGE_PII,		/* personal data masked */
	CHANGE_KIND_COUNT
};
/* "mojibake", "markup", ... (names used in counts and --diff) */
const char *clean_change_name(enum clean_change k);
/* clean_normalize, adding to *changes (may be NULL) a bit for each kind of change it made. */
void clean_normalize_changes(struct strbuf *out, const char *s, size_t len, unsigned flags, unsigned *changes);

/* ---- PII ---- */

enum pii_type {
	PII_EMAIL, PII_PHONE, PII_ID_NUMBER, PII_BANK_CARD, PII_IP_ADDRESS, PII_CREDENTIALS,
	PII_TYPE_COUNT
};
/* "email", "phone", ... (names used in counts) */
const char *pii_type_name(enum pii_type t);
/* "<EMAIL>", "<PHONE>", ... (what replaces a match) */
const char *pii_placeholder(enum pii_type t);

/*
 * Appends s with every PII match replaced by its placeholder to out, adds
 * the matches per type to counts (may be NULL) and returns how many there
 * were (0 means out received s unchanged).
 */
size_t pii_mask(struct strbuf *out, const char *s, size_t len, size_t counts[PII_TYPE_COUNT]);

/* Checks used by pii_mask, exposed for tests. */
int pii_id_number_valid(const char *digits18);	/* mainland resident ID, MOD 11-2 + date */
int pii_luhn_valid(const char *digits, size_t n);

/* ---- language ---- */

enum clean_lang { LANG_NONE, LANG_ZH, LANG_EN, LANG_OTHER, LANG_COUNT };
/* "", "zh", "en", "other" */
const char *clean_lang_name(enum clean_lang l);
/*
 * The main script of s: zh when Han characters make up at least min_fraction
 * of the words (one Han character counts as one word) and there is no
 * notable kana, en when Latin words do, other when some other script
 * does, none when s has no letters at all.
 */
enum clean_lang clean_detect_lang(const char *s, size_t len, double min_fraction);
/* Words with one CJK character counting as one word. */
size_t clean_count_words(const char *s, size_t len);

/* ---- rules ---- */

enum clean_rule {
	RULE_EMPTY_INSTRUCTION, RULE_EMPTY_OUTPUT, RULE_BAD_HISTORY,
	RULE_PII, RULE_BLOCKLIST, RULE_PROMPT_SCAFFOLDING, RULE_REFUSAL,
	RULE_AI_SELF_REFERENCE, RULE_LOREM_IPSUM, RULE_REPLACEMENT_CHAR,
	RULE_JS_CSS_LEAK, RULE_TOO_SHORT, RULE_TOO_LONG, RULE_OUTPUT_REPEATS_INSTRUCTION,
	RULE_LANG, RULE_SYMBOL_RATIO, RULE_DIGIT_RATIO, RULE_URL_RATIO,
	RULE_DUPLICATE_LINES, RULE_DUPLICATE_LINE_CHARS,
	RULE_TOP_2GRAM, RULE_TOP_3GRAM, RULE_TOP_4GRAM,
	RULE_DUP_5GRAM, RULE_DUP_6GRAM, RULE_DUP_7GRAM, RULE_DUP_8GRAM, RULE_DUP_9GRAM,
	RULE_DUP_10GRAM,
	RULE_TRUNCATED,
	RULE_PLACEHOLDER_OUTPUT, RULE_REPEATED_SENTENCE, RULE_WEB_BOILERPLATE,
	RULE_DUPLICATE_AFTER_NORMALISE,	/* decided by the command, against the corpus */
	RULE_COUNT
};

enum pii_mode { PII_MODE_MASK, PII_MODE_REJECT, PII_MODE_KEEP };

/*
 * Every threshold and setting of a cleaning run. A rule whose `off` flag is
 * set never rejects anything. Settings that are not rules (the unit counts
 * below which ratios are not judged, the language fraction) live here too
 * so one rules file can hold them all.
 */
struct clean_rules {
	double threshold[RULE_COUNT];
	unsigned char off[RULE_COUNT];
	double repetition_min_units;	/* texts with fewer words are not judged by line/n-gram rules */
	double cjk_chars_per_word;	/* how many CJK characters make a word for repetition_min_units */
	double ratio_min_chars;		/* texts with fewer characters are not judged by ratios */
	double lang_min_fraction;	/* share of words in the script for a language */
	enum clean_lang lang;		/* LANG_NONE: keep every language */
	enum pii_mode pii;
	int nfkc;
	int markup;			/* decode entities and strip HTML tags (text from crawled pages) */
};

/*
 * A profile is a set of defaults for one kind of text. Instruction records
 * (imported, generated) are short and often code, lists, tables, poems or
 * one word: the web-scale repetition rules judge only long texts and markup
 * is left alone. Crawled documents are long prose extracted from HTML:
 * repetition is judged from 50 words and stray tags are stripped.
 */
enum clean_profile { PROFILE_INSTRUCTION, PROFILE_WEB, PROFILE_COUNT };
/* "instruction", "web" */
const char *clean_profile_name(enum clean_profile p);
/* The profile called name, or -1. */
int clean_profile_find(const char *name);
/* The profile for records of this origin (crawl: web; import, generate, ...: instruction). */
enum clean_profile clean_profile_for_origin(const char *origin);
/* Fills rules with the profile's defaults. */
void clean_rules_profile(struct clean_rules *rules, enum clean_profile p);
/* Fills rules with the defaults of the instruction profile. */
void clean_rules_default(struct clean_rules *rules);
/* The rule's name: the reason stored in records.reason and the key in rules files. */
const char *clean_rule_name(enum clean_rule r);
/* What the threshold means, for --list-rules. */
const char *clean_rule_doc(enum clean_rule r);
/* The threshold as text ("0.3", "on", "off") into buf. */
const char *clean_rule_value(const struct clean_rules *rules, enum clean_rule r, char *buf, size_t size);
/*
 * Sets one rule or setting from text ("top-2gram", "0.25"; "lang", "zh";
 * "refusal", "off"). Returns 0, or -1 after writing why into err.
 */
int clean_rules_set(struct clean_rules *rules, const char *key, const char *value,
		    char *err, size_t errsize);
/*
 * Reads `key = value` lines ('#' starts a comment). Returns 0, or -1 after
 * printing an error naming the file and line.
 */
int clean_rules_load(struct clean_rules *rules, const char *path);

/* ---- cleaning a record ---- */

enum clean_field { FIELD_INSTRUCTION, FIELD_INPUT, FIELD_OUTPUT, FIELD_SYSTEM, CLEAN_FIELD_COUNT };

/* What cleaning made of one record; the buffers are reused between records. */
struct cleaned {
	struct strbuf field[CLEAN_FIELD_COUNT];
	struct strbuf history;		/* JSON list of [q, a] pairs, normalised */
	int changed;			/* 1 if any field differs from the input */
	unsigned changes;		/* what changed it: 1 << enum clean_change, 0 when unchanged */
	const char *span_in, *span;	/* the text the rule judged and the part that made it fire, or NULL */
	size_t span_in_len, span_len;	/* (pointers into the cleaner's buffers: valid until its next record) */
	enum clean_lang lang;		/* of instruction and input (of the output when they have no letters) */
	size_t pii[PII_TYPE_COUNT];	/* matches per type (masked unless keep) */
	size_t pii_total;
	enum clean_rule reject;		/* RULE_COUNT when the record passed */
	const char *reject_field;	/* which field the rule fired on, for reports */
};

struct cleaner;

/* A cleaner for rules (copied). Returns NULL after printing why. */
struct cleaner *cleaner_new(const struct clean_rules *rules);
/*
 * Adds the words and regular expressions in the blocklist file at path:
 * one per line, "re:" before a regular expression, '#' for comments.
 * Returns 0, or -1 after printing an error naming the file and line.
 */
int cleaner_add_blocklist(struct cleaner *c, const char *path);
void cleaner_free(struct cleaner *c);
void cleaned_init(struct cleaned *out);
void cleaned_release(struct cleaned *out);
/*
 * Normalises, masks and filters r into out. Returns out->reject (RULE_COUNT
 * when the record passed). Never fails: bad input is a rejection.
 */
enum clean_rule cleaner_run(struct cleaner *c, const struct record *r, struct cleaned *out);

/* Filters alone, on already-normalised text; for tests. Returns the rule or RULE_COUNT. */
enum clean_rule cleaner_check(struct cleaner *c, const char *instruction, const char *input,
			      const char *output, const char **field);

int cmd_clean(int argc, char **argv);

#endif
