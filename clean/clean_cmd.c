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
	"letters and digits folded, control/zero-width/private-use characters removed, HTML\n"
	"entities and tags cleaned, certain mojibake repaired, spaces and blank lines\n"
	"tidied; fenced code blocks are kept verbatim. PII is masked with typed\n"
	"placeholders (<EMAIL>, <PHONE>, <ID_NUMBER>, <BANK_CARD>, <IP_ADDRESS>,\n"
	"<CREDENTIALS>) unless --pii says otherwise. Then the rules run; the first that\n"
	"fires rejects the record and its name goes in records.reason. 'winnow clean\n"
	"--list-rules' shows every rule, its threshold and what it means.\n\n"
	"Thresholds come from the defaults, then --rules FILE (key = value lines, '#'\n"
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
};

struct example {
	int64_t id;
	const char *field;
	char *snippet;
};

struct clean_run {
	sqlite3 *db;
	struct cleaner *cleaner;
	struct cleaned res;
	const struct clean_rules *rules;
	int dry_run;
	long examples_per_rule;
	sqlite3_stmt *read, *find_hash, *set_clean_text, *set_clean, *set_rejected;
	char now[32];
	long read_count, cleaned, changed, rejected, pii_records;
	long rule_count[RULE_COUNT];
	size_t pii_count[PII_TYPE_COUNT];
	struct example *examples;	/* examples_per_rule per rule, for --dry-run */
	long *nexamples;
};

static void list_rules(const struct clean_rules *rules)
{
	char buf[32];
	printf("%-28s %-10s %s\n", "rule (records.reason)", "threshold", "rejects a record when");
	for (int r = 0; r < RULE_COUNT; r++)
		printf("%-28s %-10s %s\n", clean_rule_name(r), clean_rule_value(rules, r, buf, sizeof(buf)),
		       clean_rule_doc(r));
	printf("\nsettings:\n"
	       "%-28s %-9g ratio rules skip fields with fewer characters\n"
	       "%-28s %-9g line and n-gram rules skip texts with fewer words\n"
	       "%-28s %-9g share of words in a script for a language (zh, en)\n"
	       "%-28s %-9s --lang: zh, en or any\n"
	       "%-28s %-9s --pii: mask, reject or keep\n"
	       "%-28s %-9s --nfkc: on or off\n",
	       "ratio-min-chars", rules->ratio_min_chars, "repetition-min-words", rules->repetition_min_units,
	       "lang-fraction", rules->lang_min_fraction,
	       "lang", rules->lang == LANG_NONE ? "any" : clean_lang_name(rules->lang),
	       "pii", rules->pii == PII_MODE_MASK ? "mask" : rules->pii == PII_MODE_REJECT ? "reject" : "keep",
	       "nfkc", rules->nfkc ? "on" : "off");
}

static void add_example(struct clean_run *cr, enum clean_rule rule, int64_t id, const char *field,
			const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	long n = cr->nexamples[rule];
	if (n >= cr->examples_per_rule)
		return;
	text_fit(&sb, text, len, 70);
	cr->examples[rule * cr->examples_per_rule + n] = (struct example){ id, field, strbuf_detach(&sb, NULL) };
	cr->nexamples[rule]++;
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

/* Cleans one record and (unless dry run) writes the outcome. Returns 0 or -1. */
static int clean_one(struct clean_run *cr, struct batch_item *it)
{
	struct cleaned *res = &cr->res;
	struct record r = {
		it->text[0], it->text[1], it->text[2], it->text[3], it->text[4],
		it->len[0], it->len[1], it->len[2], it->len[3], it->len[4],
	};
	enum clean_rule rule = cleaner_run(cr->cleaner, &r, res);
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
		} else if (!cr->dry_run) {
			sqlite3_stmt *st = cr->set_clean_text;
			for (int f = 0; f < CLEAN_FIELD_COUNT; f++)
				sqlite3_bind_text(st, f + 1, res->field[f].buf, (int)res->field[f].len, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, res->history.buf, (int)res->history.len, SQLITE_STATIC);
			sqlite3_bind_int64(st, 6, hash);
			sqlite3_bind_text(st, 7, lang, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 8, cr->now, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 9, it->id);
			if (step_done(cr, st))
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
		add_example(cr, rule, it->id, res->reject_field ? res->reject_field : "record", text, len);
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

static void print_dry_run(struct clean_run *cr)
{
	char buf[32];
	printf("dry run: %ld raw records; %ld would be cleaned (%ld with text changes, %ld with PII %s), "
	       "%ld would be rejected\n", cr->read_count, cr->cleaned, cr->changed, cr->pii_records,
	       cr->rules->pii == PII_MODE_MASK ? "masked" : "found", cr->rejected);
	if (!cr->rejected)
		return;
	printf("\n%-28s %-10s %s\n", "rule", "threshold", "would reject");
	for (int r = 0; r < RULE_COUNT; r++)
		if (cr->rule_count[r])
			printf("%-28s %-10s %ld\n", clean_rule_name(r),
			       clean_rule_value(cr->rules, r, buf, sizeof(buf)), cr->rule_count[r]);
	for (int r = 0; r < RULE_COUNT; r++) {
		if (!cr->rule_count[r])
			continue;
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
		"SELECT id, instruction, input, output, system, history FROM records "
		"WHERE stage = 'raw' AND id > ?1 ORDER BY id LIMIT ?2");
	cr->find_hash = corpus_prepare(cr->db, "SELECT id FROM records WHERE content_hash = ?1 AND id <> ?2");
	cr->set_clean_text = corpus_prepare(cr->db,
		"UPDATE records SET instruction = ?1, input = ?2, output = ?3, system = ?4, history = ?5, "
		"content_hash = ?6, lang = ?7, stage = 'clean', reason = NULL, updated_at = ?8 "
		"WHERE id = ?9 AND stage = 'raw'");
	cr->set_clean = corpus_prepare(cr->db,
		"UPDATE records SET lang = ?1, stage = 'clean', reason = NULL, updated_at = ?2 "
		"WHERE id = ?3 AND stage = 'raw'");
	cr->set_rejected = corpus_prepare(cr->db,
		"UPDATE records SET stage = 'rejected', reason = ?1, duplicate_of = ?2, lang = ?3, "
		"updated_at = ?4 WHERE id = ?5 AND stage = 'raw'");
	return cr->read && cr->find_hash && cr->set_clean_text && cr->set_clean && cr->set_rejected ? 0 : -1;
}

static void finalize_all(struct clean_run *cr)
{
	sqlite3_finalize(cr->read);
	sqlite3_finalize(cr->find_hash);
	sqlite3_finalize(cr->set_clean_text);
	sqlite3_finalize(cr->set_clean);
	sqlite3_finalize(cr->set_rejected);
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

int cmd_clean(int argc, char **argv)
{
	const char *rules_file = NULL, *lang = NULL, *pii = NULL;
	struct string_list blocks = STRING_LIST_INIT, sets = STRING_LIST_INIT;
	int dry_run = 0, nfkc = 0, show_rules = 0;
	long examples = 3, batch = 1000, limit = 0;
	struct option opts[] = {
		OPT_FLAG('n', "dry-run", &dry_run, "report what would be rejected and why; change nothing"),
		OPT_STRING(0, "rules", &rules_file, "FILE", "thresholds as 'key = value' lines (see --list-rules)"),
		OPT_LIST('r', "rule", &sets, "KEY=VALUE", "set one threshold, e.g. too-long=4000 or truncated=off"),
		OPT_CHOICE(0, "lang", &lang, "zh|en|any", "keep only records whose instruction and output are "
			   "mainly in this language"),
		OPT_LIST(0, "block", &blocks, "FILE", "reject records containing a word or 're:PATTERN' from FILE"),
		OPT_CHOICE(0, "pii", &pii, "mask|reject|keep", "what to do with personal data (default mask)"),
		OPT_FLAG(0, "nfkc", &nfkc, "NFKC instead of NFC (Chinese punctuation is still kept)"),
		OPT_FLAG(0, "list-rules", &show_rules, "print every rule with its threshold and exit"),
		OPT_INT(0, "examples", &examples, "N", 0, 100, "examples per rule in --dry-run (default 3)"),
		OPT_INT(0, "batch", &batch, "N", 1, 1000000, "records per transaction (default 1000)"),
		OPT_INT(0, "limit", &limit, "N", 0, 1e15, "clean at most N records (default all)"),
		OPT_END(),
	};
	struct clean_rules rules;
	struct clean_run cr;
	struct run run;
	char err[256];
	int rc = EXIT_OK, lock = -1;

	argc = parse_options(argc, argv, opts, &clean_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&clean_help, "clean takes no arguments (it cleans every raw record)");
	clean_rules_default(&rules);
	if (rules_file && clean_rules_load(&rules, rules_file)) {
		rc = EXIT_DATAERR;
		goto out_args;
	}
	for (size_t i = 0; i < sets.nr; i++) {
		char *eq = strchr(sets.items[i], '=');
		if (!eq) {
			rc = usage_error(&clean_help, "--rule wants KEY=VALUE, not '%s'", sets.items[i]);
			goto out_args;
		}
		*eq = '\0';
		if (clean_rules_set(&rules, sets.items[i], eq + 1, err, sizeof(err))) {
			rc = usage_error(&clean_help, "--rule: %s", err);
			goto out_args;
		}
	}
	if ((lang && clean_rules_set(&rules, "lang", lang, err, sizeof(err))) ||
	    (pii && clean_rules_set(&rules, "pii", pii, err, sizeof(err)))) {
		rc = usage_error(&clean_help, "%s", err);
		goto out_args;
	}
	if (nfkc)
		rules.nfkc = 1;
	if (show_rules) {
		list_rules(&rules);
		goto out_args;
	}

	memset(&cr, 0, sizeof(cr));
	cr.dry_run = dry_run;
	cr.rules = &rules;
	cr.examples_per_rule = examples;
	cr.cleaner = cleaner_new(&rules);
	if (!cr.cleaner) {
		rc = EXIT_FAILURE_;
		goto out_args;
	}
	for (size_t i = 0; i < blocks.nr; i++)
		if (cleaner_add_blocklist(cr.cleaner, blocks.items[i])) {
			rc = EXIT_DATAERR;
			goto out_cleaner;
		}
	cr.db = corpus_open(corpus_path(), 0);
	if (!cr.db) {
		rc = EXIT_FAILURE_;
		goto out_cleaner;
	}
	run_begin(&run, cr.db, "clean");
	/* two cleans would both process the same batches and count them twice */
	if (!dry_run && (lock = corpus_command_lock("clean")) < 0) {
		rc = run_end(&run, lock == -2 ? EXIT_TEMPFAIL : EXIT_FAILURE_, "nothing cleaned");
		corpus_close(cr.db);
		goto out_cleaner;
	}
	cleaned_init(&cr.res);
	cr.examples = xcalloc((size_t)RULE_COUNT * (size_t)(examples ? examples : 1), sizeof(*cr.examples));
	cr.nexamples = xcalloc(RULE_COUNT, sizeof(*cr.nexamples));
	if (prepare_all(&cr))
		rc = EXIT_FAILURE_;
	else
		rc = clean_all(&cr, batch, limit);

	run_count(&run, "read", cr.read_count);
	run_count(&run, "clean", cr.cleaned);
	run_count(&run, "rejected", cr.rejected);
	run_count(&run, "normalised", cr.changed);
	run_count(&run, "pii_records", cr.pii_records);
	for (int t = 0; t < PII_TYPE_COUNT; t++) {
		char name[32];
		snprintf(name, sizeof(name), "pii_%s", pii_type_name(t));
		run_count(&run, name, (int64_t)cr.pii_count[t]);
	}
	for (int r = 0; r < RULE_COUNT; r++)
		run_count(&run, clean_rule_name(r), cr.rule_count[r]);
	if (dry_run)
		run_count(&run, "dry_run", 1);

	if (rc == EXIT_OK && dry_run)
		print_dry_run(&cr);
	{
		struct strbuf why = STRBUF_INIT;
		int shown = 0;
		for (int r = 0; r < RULE_COUNT; r++)
			if (cr.rule_count[r] && shown++ < 6)
				strbuf_addf(&why, "%s%s %ld", shown > 1 ? ", " : " (", clean_rule_name(r), cr.rule_count[r]);
		if (shown > 6)
			strbuf_addstr(&why, ", ...");
		if (shown)
			strbuf_addch(&why, ')');
		if (rc != EXIT_OK)
			rc = run_end(&run, rc, "stopped after %ld records; finished batches are kept, "
				     "run clean again to continue", cr.read_count);
		else
			rc = run_end(&run, rc, "%s%ld raw records: %ld clean (%ld normalised, %ld with PII %s), "
				     "%ld rejected%s", dry_run ? "dry run, nothing changed: " : "", cr.read_count,
				     cr.cleaned, cr.changed, cr.pii_records,
				     rules.pii == PII_MODE_MASK ? "masked" : "found", cr.rejected, why.buf);
		strbuf_release(&why);
	}
	for (int r = 0; r < RULE_COUNT; r++)
		for (long e = 0; e < cr.nexamples[r]; e++)
			free(cr.examples[r * cr.examples_per_rule + e].snippet);
	free(cr.examples);
	free(cr.nexamples);
	finalize_all(&cr);
	cleaned_release(&cr.res);
	corpus_close(cr.db);
out_cleaner:
	if (lock >= 0)
		close(lock);
	cleaner_free(cr.cleaner);
out_args:
	string_list_clear(&blocks);
	string_list_clear(&sets);
	return rc;
}
