/*
 * clean_cmd.c - `winnow clean`: raw records become clean (their normalised,
 * PII-masked text written back) or rejected (reason = the rule's name).
 *
 * Invariants:
 *  1. Records are read and written in batches of --batch; each batch is
 *     one transaction, so a killed run loses at most the batch in flight
 *     and the next run simply carries on with what is still raw.
 *  2. Only records at stage raw are touched, and each leaves raw, so a
 *     second run finds nothing to do and changes nothing.
 *  3. A rejected record keeps its original text: the reason says why, and
 *     requeueing it (rejected -> raw) cleans it again from scratch.
 *  4. content_hash stays UNIQUE: a record whose normalised text equals
 *     another record's is rejected as duplicate-after-normalise with
 *     duplicate_of naming the other, instead of being written.
 *  5. --dry-run opens nothing for writing except its own line in `runs`.
 */
#include "clean.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct command_help clean_help = {
	"winnow clean [options]",
	"Normalise raw records and filter them: raw -> clean, or -> rejected with the rule's name.",
	"Every field (instruction, input, output, system and each history turn) is\n"
	"normalised: NFC (or --nfkc) with Chinese full-width punctuation kept, full-width\n"
	"letters and digits folded, control/zero-width/private-use characters removed,\n"
	"certain mojibake (Latin-1, Windows-1252) repaired, spaces and blank lines tidied;\n"
	"fenced code blocks are kept verbatim. HTML entities and tags are cleaned only in\n"
	"crawled records (the web profile). PII is masked with typed\n"
	"placeholders (<EMAIL>, <PHONE>, <ID_NUMBER>, <BANK_CARD>, <IP_ADDRESS>,\n"
	"<CREDENTIALS>) unless --pii says otherwise. Then the rules run; the first that\n"
	"fires rejects the record and its name goes in records.reason. 'winnow clean\n"
	"--list-rules' shows every rule, its threshold and what it means.\n\n"
	"Profiles: records from crawled pages get the web profile (repetition rules from\n"
	"50 words, markup stripped), every other record the instruction profile\n"
	"(repetition rules only on texts of 500 words, markup kept); --profile forces one.\n"
	"Thresholds come from the profile, then --rules FILE (key = value lines, '#'\n"
	"comments), then each --rule KEY=VALUE; 'off' disables a rule. --dry-run shows\n"
	"what would be rejected and why, with examples, and changes nothing.",
	"  winnow clean --dry-run\n"
	"  winnow clean --lang zh --pii reject\n"
	"  winnow clean --rule too-long=4000 --rule truncated=off --block words.txt\n"
	"  winnow sql \"SELECT reason, count(*) FROM records WHERE stage = 'rejected' GROUP BY reason\"",
};

/* One record of a batch, copied out of SQLite so the batch can be written. */
struct batch_item {
	int64_t id;
	char *text[5];	/* instruction, input, output, system, history */
	size_t len[5];
	enum clean_profile profile;	/* chosen by --profile, or by the record's origin */
};

struct example {
	int64_t id;
	const char *field;
	char *snippet;
};

/* What the options of `winnow clean` ask for. */
struct clean_options {
	const char *rules_file, *lang, *pii, *profile;
	struct string_list blocks, sets;
	int dry_run, nfkc, show_rules, diff;
	long examples, batch, limit;
};

struct clean_run {
	sqlite3 *db;
	struct cleaner *cleaner[PROFILE_COUNT];
	struct cleaned res;
	const struct clean_rules *rules;	/* of each profile */
	int profile;			/* -1: by origin */
	int dry_run, diff;
	long examples_per_rule;
	sqlite3_stmt *read, *find_hash, *set_clean_text, *set_clean, *set_rejected, *keep_original;
	char now[32];
	long read_count, cleaned, changed, rejected, pii_records;
	long rule_count[RULE_COUNT];
	long change_count[CHANGE_KIND_COUNT];	/* clean records changed in each way */
	size_t pii_count[PII_TYPE_COUNT];
	struct example *examples;	/* examples_per_rule per rule, for --dry-run */
	long *nexamples;
};

static void list_rules(const struct clean_rules *rules)
{
	char buf[2][32];
	const struct clean_rules *web = &rules[PROFILE_WEB];
	printf("%-28s %-11s %-10s %s\n", "rule (records.reason)", clean_profile_name(PROFILE_INSTRUCTION),
	       clean_profile_name(PROFILE_WEB), "rejects a record when");
	for (int r = 0; r < RULE_COUNT; r++)
		printf("%-28s %-11s %-10s %s\n", clean_rule_name(r), clean_rule_value(rules, r, buf[0], sizeof(buf[0])),
		       clean_rule_value(web, r, buf[1], sizeof(buf[1])), clean_rule_doc(r));
	printf("\nsettings:                    instruction web\n"
	       "%-28s %-11g %-9g ratio rules skip fields with fewer characters\n"
	       "%-28s %-11g %-9g line and n-gram rules skip texts with fewer words\n"
	       "%-28s %-11s %-9s decode HTML entities and strip tags\n"
	       "%-28s %-11g %-9s share of words in a script for a language (zh, en)\n"
	       "%-28s %-11s %-9s --lang: zh, en or any\n"
	       "%-28s %-11s %-9s --pii: mask, reject or keep\n"
	       "%-28s %-11s %-9s --nfkc: on or off\n",
	       "ratio-min-chars", rules->ratio_min_chars, web->ratio_min_chars,
	       "repetition-min-words", rules->repetition_min_units, web->repetition_min_units,
	       "strip-markup", rules->markup ? "on" : "off", web->markup ? "on" : "off",
	       "lang-fraction", rules->lang_min_fraction, "",
	       "lang", rules->lang == LANG_NONE ? "any" : clean_lang_name(rules->lang), "",
	       "pii", rules->pii == PII_MODE_MASK ? "mask" : rules->pii == PII_MODE_REJECT ? "reject" : "keep", "",
	       "nfkc", rules->nfkc ? "on" : "off", "");
	printf("\nprofiles: --profile auto (the default) uses web for crawled records and instruction for\n"
	       "the rest; --profile instruction or --profile web uses one for every record.\n");
}

/* Appends s[0..len) with line breaks and tabs shown as \n and \t, cut to about max bytes ("…"). */
static void add_visible(struct strbuf *sb, const char *s, size_t len, size_t max)
{
	for (size_t i = 0; i < len; i++) {
		if (i >= max && ((unsigned char)s[i] & 0xC0) != 0x80) {
			strbuf_addstr(sb, "\xe2\x80\xa6");
			return;
		}
		if (s[i] == '\n')
			strbuf_addstr(sb, "\\n");
		else if (s[i] == '\t')
			strbuf_addstr(sb, "\\t");
		else
			strbuf_addch(sb, s[i]);
	}
}

/* The byte offset at most back bytes before pos in s, on a character boundary. */
static size_t back_to_char(const char *s, size_t pos, size_t back)
{
	size_t from = pos > back ? pos - back : 0;
	while (from < pos && ((unsigned char)s[from] & 0xC0) == 0x80)
		from++;
	return from;
}

/* An example for --dry-run: the span that fired in [brackets] with some text around it, else the field's start. */
static void add_example(struct clean_run *cr, enum clean_rule rule, int64_t id, const char *field,
			const char *text, size_t len, const struct cleaned *res)
{
	struct strbuf sb = STRBUF_INIT;
	long n = cr->nexamples[rule];
	if (n >= cr->examples_per_rule)
		return;
	if (res->span && res->span >= res->span_in && res->span + res->span_len <= res->span_in + res->span_in_len) {
		const char *in = res->span_in;
		size_t at = (size_t)(res->span - in), end = at + res->span_len, from = back_to_char(in, at, 24);
		if (from)
			strbuf_addstr(&sb, "\xe2\x80\xa6");
		add_visible(&sb, in + from, at - from, 24);
		strbuf_addch(&sb, '[');
		add_visible(&sb, res->span, res->span_len, 60);
		strbuf_addch(&sb, ']');
		add_visible(&sb, in + end, res->span_in_len - end, 24);
	} else {
		text_fit(&sb, text, len, 70);
	}
	cr->examples[rule * cr->examples_per_rule + n] = (struct example){ id, field, strbuf_detach(&sb, NULL) };
	cr->nexamples[rule]++;
}

/* The kinds of change in changes as "whitespace,pii" into sb. */
static void add_change_names(struct strbuf *sb, unsigned changes)
{
	for (int k = 0; k < CHANGE_KIND_COUNT; k++)
		if (changes & (1u << k))
			strbuf_addf(sb, "%s%s", sb->len ? "," : "", clean_change_name(k));
}

/* --diff: each changed field of a record, the changed part with a little context before and after. */
static void print_diff(const struct batch_item *it, const struct cleaned *res)
{
	static const char *const names[] = { "instruction", "input", "output", "system", "history" };
	struct strbuf sb = STRBUF_INIT;
	add_change_names(&sb, res->changes);
	printf("#%lld (%s)\n", (long long)it->id, sb.buf);
	for (int f = 0; f < 5; f++) {
		const struct strbuf *now = f < CLEAN_FIELD_COUNT ? &res->field[f] : &res->history;
		const char *was = it->text[f];
		size_t wlen = it->len[f], pre = 0, suf = 0;
		if (now->len == wlen && !memcmp(now->buf, was, wlen))
			continue;
		while (pre < wlen && pre < now->len && was[pre] == now->buf[pre])
			pre++;
		while (suf < wlen - pre && suf < now->len - pre && was[wlen - 1 - suf] == now->buf[now->len - 1 - suf])
			suf++;
		pre = back_to_char(was, pre, 16);
		while (suf > 0 && ((unsigned char)was[wlen - suf] & 0xC0) == 0x80)
			suf--;
		suf = suf > 16 ? suf - 16 : 0;
		strbuf_reset(&sb);
		add_visible(&sb, was + pre, wlen - pre - suf, 100);
		printf("  %s: - %s%s\n", names[f], pre ? "\xe2\x80\xa6" : "", sb.buf);
		strbuf_reset(&sb);
		add_visible(&sb, now->buf + pre, now->len - pre - suf, 100);
		printf("  %*s  + %s%s\n", (int)strlen(names[f]), "", pre ? "\xe2\x80\xa6" : "", sb.buf);
	}
	strbuf_release(&sb);
}

static const char *field_text(const struct batch_item *it, const struct cleaned *res, const char *field,
			      size_t *len)
{
	static const char *const names[] = { "instruction", "input", "output", "system", "history" };
	for (int f = 0; f < 5; f++)
		if (field && !strcmp(field, names[f])) {
			if (f < CLEAN_FIELD_COUNT && res->field[f].len) {
				*len = res->field[f].len;
				return res->field[f].buf;
			}
			*len = it->len[f];
			return it->text[f];
		}
	*len = res->field[FIELD_OUTPUT].len ? res->field[FIELD_OUTPUT].len : it->len[2];
	return res->field[FIELD_OUTPUT].len ? res->field[FIELD_OUTPUT].buf : it->text[2];
}

static int step_done(struct clean_run *cr, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return error("corpus: %s", sqlite3_errmsg(cr->db));
	return 0;
}

/* The id of another record with this content hash, 0 if none, -1 on error. */
static int64_t other_with_hash(struct clean_run *cr, int64_t hash, int64_t id)
{
	int64_t other = 0;
	int rc;
	sqlite3_bind_int64(cr->find_hash, 1, hash);
	sqlite3_bind_int64(cr->find_hash, 2, id);
	rc = sqlite3_step(cr->find_hash);
	if (rc == SQLITE_ROW)
		other = sqlite3_column_int64(cr->find_hash, 0);
	else if (rc != SQLITE_DONE)
		other = error("corpus: %s", sqlite3_errmsg(cr->db));
	sqlite3_reset(cr->find_hash);
	return other;
}

/* Writes the cleaned text of it (the original is r) and keeps the original. Returns 0 or -1. */
static int write_clean_text(struct clean_run *cr, const struct batch_item *it, const struct record *r,
			    int64_t hash, const char *lang)
{
	struct cleaned *res = &cr->res;
	sqlite3_stmt *st = cr->set_clean_text;
	struct strbuf changes = STRBUF_INIT;
	int rc;
	for (int f = 0; f < CLEAN_FIELD_COUNT; f++)
		sqlite3_bind_text(st, f + 1, res->field[f].buf, (int)res->field[f].len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, res->history.buf, (int)res->history.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, hash);
	sqlite3_bind_text(st, 7, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, cr->now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, it->id);
	if (step_done(cr, st))
		return -1;
	/* the first original is kept: a record cleaned again after a requeue keeps its import */
	st = cr->keep_original;
	sqlite3_bind_int64(st, 1, it->id);
	for (int f = 0; f < 5; f++)
		sqlite3_bind_text(st, f + 2, it->text[f], (int)it->len[f], SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, record_hash(r));
	add_change_names(&changes, res->changes);
	sqlite3_bind_text(st, 8, changes.buf, (int)changes.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, cr->now, -1, SQLITE_STATIC);
	rc = step_done(cr, st);
	strbuf_release(&changes);
	return rc;
}

/* Cleans one record and (unless dry run) writes the outcome. Returns 0 or -1. */
static int clean_one(struct clean_run *cr, struct batch_item *it)
{
	struct cleaned *res = &cr->res;
	struct record r = {
		it->text[0], it->text[1], it->text[2], it->text[3], it->text[4],
		it->len[0], it->len[1], it->len[2], it->len[3], it->len[4],
	};
	enum clean_rule rule = cleaner_run(cr->cleaner[it->profile], &r, res);
	int64_t duplicate_of = 0;
	const char *lang = clean_lang_name(res->lang);

	cr->read_count++;
	if (rule == RULE_COUNT && res->changed) {
		struct record c = {
			res->field[0].buf, res->field[1].buf, res->field[2].buf, res->field[3].buf, res->history.buf,
			res->field[0].len, res->field[1].len, res->field[2].len, res->field[3].len, res->history.len,
		};
		int64_t hash = record_hash(&c);
		duplicate_of = other_with_hash(cr, hash, it->id);
		if (duplicate_of < 0)
			return -1;
		if (duplicate_of) {
			rule = RULE_DUPLICATE_AFTER_NORMALISE;
			res->reject_field = "record";
		} else if (!cr->dry_run && write_clean_text(cr, it, &r, hash, lang)) {
			return -1;
		}
	} else if (rule == RULE_COUNT && !cr->dry_run) {
		sqlite3_bind_text(cr->set_clean, 1, lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(cr->set_clean, 2, cr->now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(cr->set_clean, 3, it->id);
		if (step_done(cr, cr->set_clean))
			return -1;
	}
	if (rule == RULE_COUNT) {
		cr->cleaned++;
		cr->changed += res->changed;
		for (int k = 0; k < CHANGE_KIND_COUNT; k++)
			cr->change_count[k] += (res->changes >> k) & 1;
		if (cr->diff && res->changed)
			print_diff(it, res);
		cr->pii_records += res->pii_total > 0;
		for (int t = 0; t < PII_TYPE_COUNT; t++)
			cr->pii_count[t] += res->pii[t];
		return 0;
	}
	cr->rejected++;
	cr->rule_count[rule]++;
	if (cr->dry_run) {
		size_t len;
		const char *text = field_text(it, res, res->reject_field, &len);
		add_example(cr, rule, it->id, res->reject_field ? res->reject_field : "record", text, len, res);
		return 0;
	}
	sqlite3_stmt *st = cr->set_rejected;
	sqlite3_bind_text(st, 1, clean_rule_name(rule), -1, SQLITE_STATIC);
	if (duplicate_of)
		sqlite3_bind_int64(st, 2, duplicate_of);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, cr->now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, it->id);
	return step_done(cr, st);
}

/* Reads up to n raw records after *last into items; returns how many, or -1. */
static long read_batch(struct clean_run *cr, int64_t *last, struct batch_item *items, long n)
{
	long got = 0;
	int rc;
	sqlite3_bind_int64(cr->read, 1, *last);
	sqlite3_bind_int64(cr->read, 2, n);
	while ((rc = sqlite3_step(cr->read)) == SQLITE_ROW) {
		struct batch_item *it = &items[got++];
		it->id = *last = sqlite3_column_int64(cr->read, 0);
		it->profile = cr->profile >= 0 ? (enum clean_profile)cr->profile
			: clean_profile_for_origin((const char *)sqlite3_column_text(cr->read, 6));
		for (int f = 0; f < 5; f++) {
			const char *t = (const char *)sqlite3_column_text(cr->read, f + 1);
			it->len[f] = (size_t)sqlite3_column_bytes(cr->read, f + 1);
			it->text[f] = xstrndup(t ? t : "", it->len[f]);
		}
	}
	sqlite3_reset(cr->read);
	if (rc != SQLITE_DONE)
		return error("corpus: cannot read records: %s", sqlite3_errmsg(cr->db));
	return got;
}

static void free_batch(struct batch_item *items, long n)
{
	for (long i = 0; i < n; i++)
		for (int f = 0; f < 5; f++)
			free(items[i].text[f]);
}

static int rules_by_count(const long *count, int *order);

static void print_dry_run(struct clean_run *cr)
{
	char buf[32];
	printf("dry run: %ld raw records; %ld would be cleaned (%ld with text changes, %ld with PII %s), "
	       "%ld would be rejected\n", cr->read_count, cr->cleaned, cr->changed, cr->pii_records,
	       cr->rules->pii == PII_MODE_MASK ? "masked" : "found", cr->rejected);
	if (!cr->rejected)
		return;
	int order[RULE_COUNT], n = rules_by_count(cr->rule_count, order);
	printf("\n%-28s %-10s %s\n", "rule", "threshold", "would reject");
	for (int i = 0; i < n; i++)
		printf("%-28s %-10s %ld\n", clean_rule_name(order[i]),
		       clean_rule_value(cr->rules, order[i], buf, sizeof(buf)), cr->rule_count[order[i]]);
	for (int i = 0; i < n; i++) {
		int r = order[i];
		printf("\n%s (%ld):\n", clean_rule_name(r), cr->rule_count[r]);
		for (long e = 0; e < cr->nexamples[r]; e++) {
			struct example *ex = &cr->examples[r * cr->examples_per_rule + e];
			printf("  #%lld %s: %s\n", (long long)ex->id, ex->field, ex->snippet);
		}
	}
}

static int prepare_all(struct clean_run *cr)
{
	cr->read = corpus_prepare(cr->db,
		"SELECT id, instruction, input, output, system, history, origin FROM records "
		"WHERE stage = 'raw' AND id > ?1 ORDER BY id LIMIT ?2");
	cr->find_hash = corpus_prepare(cr->db, "SELECT id FROM records WHERE content_hash = ?1 AND id <> ?2");
	cr->set_clean_text = corpus_prepare(cr->db,
		"UPDATE records SET instruction = ?1, input = ?2, output = ?3, system = ?4, history = ?5, "
		"content_hash = ?6, lang = ?7, stage = 'clean', reason = NULL, updated_at = ?8 "
		"WHERE id = ?9 AND stage = 'raw'");
	cr->set_clean = corpus_prepare(cr->db,
		"UPDATE records SET lang = ?1, stage = 'clean', reason = NULL, updated_at = ?2 "
		"WHERE id = ?3 AND stage = 'raw'");
	cr->keep_original = corpus_prepare(cr->db,
		"INSERT OR IGNORE INTO record_originals (record_id, instruction, input, output, system, history, "
		"content_hash, changes, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	cr->set_rejected = corpus_prepare(cr->db,
		"UPDATE records SET stage = 'rejected', reason = ?1, duplicate_of = ?2, lang = ?3, "
		"updated_at = ?4 WHERE id = ?5 AND stage = 'raw'");
	return cr->read && cr->find_hash && cr->set_clean_text && cr->set_clean && cr->set_rejected &&
	       cr->keep_original ? 0 : -1;
}

static void finalize_all(struct clean_run *cr)
{
	sqlite3_finalize(cr->read);
	sqlite3_finalize(cr->find_hash);
	sqlite3_finalize(cr->set_clean_text);
	sqlite3_finalize(cr->set_clean);
	sqlite3_finalize(cr->set_rejected);
	sqlite3_finalize(cr->keep_original);
}

/* Cleans every raw record (up to limit). Returns an exit code. */
static int clean_all(struct clean_run *cr, long batch, long limit)
{
	struct batch_item *items = xcalloc((size_t)batch, sizeof(*items));
	struct progress progress;
	int64_t last = 0;
	int64_t total = corpus_int(cr->db, "SELECT count(*) FROM records WHERE stage = 'raw'");
	int rc = EXIT_OK;

	if (limit && total > limit)
		total = limit;
	progress_start(&progress, cr->dry_run ? "clean (dry run)" : "clean", total > 0 ? (uint64_t)total : 0,
		       "records");
	for (;;) {
		long want = limit && limit - cr->read_count < batch ? limit - cr->read_count : batch;
		long n = want > 0 ? read_batch(cr, &last, items, want) : 0;
		if (n <= 0) {
			if (n < 0)
				rc = EXIT_FAILURE_;
			break;
		}
		now_iso(cr->now, sizeof(cr->now));
		if (!cr->dry_run && corpus_begin_write(cr->db)) {
			free_batch(items, n);
			rc = EXIT_TEMPFAIL;
			break;
		}
		int failed = 0;
		for (long i = 0; i < n && !failed; i++) {
			failed = clean_one(cr, &items[i]);
			progress_update(&progress, (uint64_t)cr->read_count);
		}
		free_batch(items, n);
		if (!cr->dry_run && (failed || corpus_exec(cr->db, "COMMIT"))) {
			sqlite3_exec(cr->db, "ROLLBACK", NULL, NULL, NULL);
			rc = EXIT_FAILURE_;
			break;
		}
	}
	progress_finish(&progress);
	free(items);
	return rc;
}

/* The indexes 0..nr-1 with a count, largest count first (ties in index order); returns how many. */
static int by_count(const long *count, int nr, int *order)
{
	int n = 0;
	for (int r = 0; r < nr; r++)
		if (count[r])
			order[n++] = r;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && count[order[j]] > count[order[j - 1]]; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n;
}

static int rules_by_count(const long *count, int *order)
{
	return by_count(count, RULE_COUNT, order);
}

static int kinds_by_count(const long *count, int *order)
{
	return by_count(count, CHANGE_KIND_COUNT, order);
}

/* Records the run's counts and prints its one-line summary; returns the exit code. */
static int finish_run(struct clean_run *cr, struct run *run, int rc)
{
	struct strbuf why = STRBUF_INIT, how = STRBUF_INIT;
	int order[RULE_COUNT], n = rules_by_count(cr->rule_count, order);
	run_count(run, "read", cr->read_count);
	run_count(run, "clean", cr->cleaned);
	run_count(run, "rejected", cr->rejected);
	run_count(run, "normalised", cr->changed);
	for (int k = 0; k < CHANGE_KIND_COUNT; k++) {
		char name[32];
		snprintf(name, sizeof(name), "changed_%s", clean_change_name(k));
		run_count(run, name, cr->change_count[k]);
	}
	run_count(run, "pii_records", cr->pii_records);
	for (int t = 0; t < PII_TYPE_COUNT; t++) {
		char name[32];
		snprintf(name, sizeof(name), "pii_%s", pii_type_name(t));
		run_count(run, name, (int64_t)cr->pii_count[t]);
	}
	for (int r = 0; r < RULE_COUNT; r++)
		run_count(run, clean_rule_name(r), cr->rule_count[r]);
	if (cr->dry_run)
		run_count(run, "dry_run", 1);
	for (int i = 0; i < n && i < 6; i++)
		strbuf_addf(&why, "%s%s %ld", i ? ", " : " (", clean_rule_name(order[i]), cr->rule_count[order[i]]);
	if (n > 6)
		strbuf_addf(&why, ", %d more rules", n - 6);
	if (n)
		strbuf_addch(&why, ')');
	n = kinds_by_count(cr->change_count, order);
	for (int i = 0; i < n; i++)
		strbuf_addf(&how, "%s%s %ld", i ? ", " : ": ", clean_change_name(order[i]), cr->change_count[order[i]]);
	if (rc != EXIT_OK)
		rc = run_end(run, rc, "stopped after %ld records; finished batches are kept, "
			     "run clean again to continue", cr->read_count);
	else
		rc = run_end(run, rc, "%s%ld raw records: %ld clean (%ld normalised%s; %ld with PII %s), "
			     "%ld rejected%s", cr->dry_run ? "dry run, nothing changed: " : "", cr->read_count,
			     cr->cleaned, cr->changed, how.buf, cr->pii_records,
			     cr->rules->pii == PII_MODE_MASK ? "masked" : "found", cr->rejected, why.buf);
	strbuf_release(&how);
	strbuf_release(&why);
	return rc;
}

/* Cleans the corpus with rules (one set per profile) as opts asks. Returns an exit code. */
static int clean_corpus(const struct clean_options *opts, const struct clean_rules *rules)
{
	struct clean_run cr;
	struct run run;
	int rc = EXIT_OK, lock = -1;

	memset(&cr, 0, sizeof(cr));
	cr.dry_run = opts->dry_run;
	cr.diff = opts->diff;
	cr.rules = rules;
	cr.profile = opts->profile && strcmp(opts->profile, "auto") ? clean_profile_find(opts->profile) : -1;
	cr.examples_per_rule = opts->examples;
	for (int p = 0; p < PROFILE_COUNT && rc == EXIT_OK; p++) {
		cr.cleaner[p] = cleaner_new(&rules[p]);
		if (!cr.cleaner[p])
			rc = EXIT_FAILURE_;
		for (size_t i = 0; rc == EXIT_OK && i < opts->blocks.nr; i++)
			if (cleaner_add_blocklist(cr.cleaner[p], opts->blocks.items[i]))
				rc = EXIT_DATAERR;
	}
	if (rc != EXIT_OK)
		goto out;
	cr.db = corpus_open(corpus_path(), 0);
	if (!cr.db) {
		rc = EXIT_FAILURE_;
		goto out;
	}
	run_begin(&run, cr.db, "clean");
	/* two cleans would both process the same batches and count them twice */
	if (!opts->dry_run && (lock = corpus_command_lock("clean")) < 0) {
		rc = run_end(&run, lock == -2 ? EXIT_TEMPFAIL : EXIT_FAILURE_, "nothing cleaned");
		corpus_close(cr.db);
		goto out;
	}
	cleaned_init(&cr.res);
	cr.examples = xcalloc((size_t)RULE_COUNT * (size_t)(opts->examples ? opts->examples : 1), sizeof(*cr.examples));
	cr.nexamples = xcalloc(RULE_COUNT, sizeof(*cr.nexamples));
	rc = prepare_all(&cr) ? EXIT_FAILURE_ : clean_all(&cr, opts->batch, opts->limit);
	if (rc == EXIT_OK && opts->dry_run)
		print_dry_run(&cr);
	rc = finish_run(&cr, &run, rc);
	for (int r = 0; r < RULE_COUNT; r++)
		for (long e = 0; e < cr.nexamples[r]; e++)
			free(cr.examples[r * cr.examples_per_rule + e].snippet);
	free(cr.examples);
	free(cr.nexamples);
	finalize_all(&cr);
	cleaned_release(&cr.res);
	corpus_close(cr.db);
out:
	if (lock >= 0)
		close(lock);
	for (int p = 0; p < PROFILE_COUNT; p++)
		cleaner_free(cr.cleaner[p]);
	return rc;
}

/* The rules of every profile with the options applied. Returns EXIT_OK or an exit code after a message. */
static int build_rules(struct clean_options *opts, struct clean_rules *rules)
{
	char err[256];
	for (int p = 0; p < PROFILE_COUNT; p++) {
		struct clean_rules *r = &rules[p];
		clean_rules_profile(r, p);
		if (opts->rules_file && clean_rules_load(r, opts->rules_file))
			return EXIT_DATAERR;
		for (size_t i = 0; i < opts->sets.nr; i++) {
			char *item = opts->sets.items[i], *eq = strchr(item, '=');
			if (!eq)
				return usage_error(&clean_help, "--rule wants KEY=VALUE, not '%s'", item);
			*eq = '\0';
			int bad = clean_rules_set(r, item, eq + 1, err, sizeof(err));
			*eq = '=';
			if (bad)
				return usage_error(&clean_help, "--rule: %s", err);
		}
		if ((opts->lang && clean_rules_set(r, "lang", opts->lang, err, sizeof(err))) ||
		    (opts->pii && clean_rules_set(r, "pii", opts->pii, err, sizeof(err))))
			return usage_error(&clean_help, "%s", err);
		if (opts->nfkc)
			r->nfkc = 1;
	}
	return EXIT_OK;
}

int cmd_clean(int argc, char **argv)
{
	struct clean_options opts = { .examples = 3, .batch = 1000,
				      .blocks = STRING_LIST_INIT, .sets = STRING_LIST_INIT };
	struct option options[] = {
		OPT_FLAG('n', "dry-run", &opts.dry_run, "report what would be rejected and why; change nothing"),
		OPT_CHOICE(0, "profile", &opts.profile, "auto|instruction|web", "defaults for this kind of text; "
			   "auto (the default): web for crawled records, instruction for the rest"),
		OPT_STRING(0, "rules", &opts.rules_file, "FILE", "thresholds as 'key = value' lines (see --list-rules)"),
		OPT_LIST('r', "rule", &opts.sets, "KEY=VALUE", "set one threshold, e.g. too-long=4000 or truncated=off"),
		OPT_CHOICE(0, "lang", &opts.lang, "zh|en|any", "keep only records whose instruction and output are "
			   "mainly in this language"),
		OPT_LIST(0, "block", &opts.blocks, "FILE", "reject records containing a word or 're:PATTERN' from FILE"),
		OPT_CHOICE(0, "pii", &opts.pii, "mask|reject|keep", "what to do with personal data (default mask)"),
		OPT_FLAG(0, "nfkc", &opts.nfkc, "NFKC instead of NFC (Chinese punctuation is still kept)"),
		OPT_FLAG(0, "diff", &opts.diff, "show every change made to a record's text, with what kind it is "
			 "(with --dry-run: what would change)"),
		OPT_FLAG(0, "list-rules", &opts.show_rules, "print every rule with its threshold in each profile and exit"),
		OPT_INT(0, "examples", &opts.examples, "N", 0, 100, "examples per rule in --dry-run (default 3)"),
		OPT_INT(0, "batch", &opts.batch, "N", 1, 1000000, "records per transaction (default 1000)"),
		OPT_INT(0, "limit", &opts.limit, "N", 0, 1e15, "clean at most N records (default all)"),
		OPT_END(),
	};
	struct clean_rules rules[PROFILE_COUNT];
	int rc;

	argc = parse_options(argc, argv, options, &clean_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		rc = usage_error(&clean_help, "clean takes no arguments (it cleans every raw record)");
	else if ((rc = build_rules(&opts, rules)) == EXIT_OK) {
		if (opts.show_rules)
			list_rules(rules);
		else
			rc = clean_corpus(&opts, rules);
	}
	string_list_clear(&opts.blocks);
	string_list_clear(&opts.sets);
	return rc;
}
