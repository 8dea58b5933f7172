/*
 * augment_cmd.c - `winnow augment`: each chosen record yields K
 * variants written by the LLM platform - a paraphrase, a deeper or broader
 * Evol-Instruct rewrite, a translation, or one of the six expansion
 * directions Baidu Qianfan's data augmentation offers - stored as raw
 * records with origin augment and the record as their parent. Variant k
 * of a record is request sample k, so a re-run gets its answers from the
 * cache and adds nothing twice. A variant of the six directions is kept
 * only when its instruction's character ROUGE-L against the source's is at
 * most 0.7 (generate's rule): a near copy adds nothing.
 */
#include "generate_internal.h"
#include "../db/corpus.h"
#include "../dedupe/dedupe.h"
#include "../lib/options.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source_record {
	int64_t id, task_id;
	char *instruction, *input, *output, *system;
};

struct augmenting {
	sqlite3 *db;
	struct record_inserter ins;
	const struct method *method;
	long added, present, unusable, truncated, too_similar;
	int failed;
};

#define ROUGE_MAX 0.7	/* a variant closer than this to its source is a near copy */

static const struct method {
	const char *name, *instructions;
	int rouge_filter;	/* drop variants too similar to the source (ROUGE-L > ROUGE_MAX) */
} methods[] = {
	{ "paraphrase",
	  "Rewrite the instruction below so that it asks for exactly the same thing in different words. "
	  "Keep its language (Chinese stays Chinese). Keep the output's content; change its wording only "
	  "where the new instruction needs it.", 0 },
	{ "evol-deepen",
	  "Rewrite the instruction below into a harder version of itself: add a constraint or requirement, "
	  "make it more concrete, or require more steps of reasoning. It must stay reasonable and answerable "
	  "by a person, in the same language. Then write a complete, correct output for the new instruction.", 0 },
	{ "evol-broaden",
	  "Write a brand-new instruction in the same domain as the one below, on a different and less common "
	  "topic, of similar length and difficulty, in the same language. Then write a complete, correct "
	  "output for it.", 0 },
	{ "translate",
	  "Translate the instruction, input and output below into %s. Keep the meaning, formatting, numbers "
	  "and names; translate naturally, not word for word.", 0 },
	/* Qianfan's six directions (同类泛化, 同义泛化, 增加约束, 复杂场景变换, 考察方向变换, 前提条件变换) */
	{ "same-kind",
	  "Write a new instruction of the same kind as the one below: the same type of task in the same domain, "
	  "about different specific content. Same language, similar length. Then write a complete, correct "
	  "output for it.", 1 },
	{ "synonym",
	  "Say the instruction below again in clearly different words and sentence structure, so that it asks "
	  "for exactly the same thing (use synonyms, reorder, change the phrasing; do not keep long stretches of "
	  "the original). Same language. Keep the output's content, reworded only where the new instruction "
	  "needs it.", 1 },
	{ "constraint",
	  "Add one or two explicit constraints to the instruction below (a required format, a length, an "
	  "audience, a condition the answer must respect), in the same language. Then write a complete, correct "
	  "output that satisfies every constraint.", 1 },
	{ "scenario",
	  "Move the instruction below into a more complex, concrete real-life scenario: who is asking, in what "
	  "situation, with which details that matter to the answer. Same language. Then write a complete, "
	  "correct output for that scenario.", 1 },
	{ "focus",
	  "Keep the subject of the instruction below but ask about a different aspect of it: another point of "
	  "knowledge or another skill it can test. Same language, similar difficulty. Then write a complete, "
	  "correct output for it.", 1 },
	{ "premise",
	  "Change a premise of the instruction below (its starting situation, an assumption or a given fact) so "
	  "that the right answer changes too. Same language. Then write a complete, correct output for the new "
	  "premise.", 1 },
};

static int has_cjk(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), n;
	for (size_t i = 0; i < len; i += n)
		if (cp_is_cjk_word(utf8_decode(p + i, len - i, &n)))
			return 1;
	return 0;
}

static char *build_prompt(const struct method *m, const struct source_record *rec, const char *to,
			  int k, long variants)
{
	struct strbuf p = STRBUF_INIT;
	json_t *obj = json_object();
	char *text;
	if (!strcmp(m->name, "translate"))
		strbuf_addf(&p, m->instructions, to ? to : has_cjk(rec->instruction) ? "English" : "Chinese (简体中文)");
	else
		strbuf_addstr(&p, m->instructions);
	if (m->rouge_filter)
		strbuf_addstr(&p, " Word the new instruction freshly: a near copy of the original is thrown away.");
	if (variants > 1)
		strbuf_addf(&p, " This is variant %d of %ld: make it differ from the others.", k + 1, variants);
	json_object_set_new(obj, "instruction", json_string(rec->instruction));
	json_object_set_new(obj, "input", json_string(rec->input));
	json_object_set_new(obj, "output", json_string(rec->output));
	text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_addf(&p, "\n\n%s\n\nAnswer in JSON with the same keys: "
		    "{\"instruction\": \"...\", \"input\": \"...\", \"output\": \"...\"}\n", text);
	free(text);
	json_decref(obj);
	return strbuf_detach(&p, NULL);
}

static const char *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static int on_variant(struct llm_request *req, void *ctx)
{
	struct augmenting *a = ctx;
	struct source_record *rec = req->data;
	json_t *v, *item;
	int64_t id;
	if (req->status == LLM_FAILED)
		return 0;
	if (req->status == LLM_TRUNCATED) {
		a->truncated++;
		return 0;
	}
	v = llm_extract_json(req->content.buf, req->content.len);
	item = json_is_array(v) ? json_array_get(v, 0) : v;
	if (json_is_object(item) && json_is_array(json_object_get(item, "items")))
		item = json_array_get(json_object_get(item, "items"), 0);
	struct strbuf in = STRBUF_INIT, input = STRBUF_INIT, out = STRBUF_INIT;
	strbuf_addstr(&in, member(item, "instruction"));
	strbuf_addstr(&input, member(item, "input"));
	strbuf_addstr(&out, member(item, "output"));
	strbuf_trim(&in);
	strbuf_trim(&input);
	strbuf_trim(&out);
	if (!in.len || !out.len ||
	    (!strcmp(in.buf, rec->instruction) && !strcmp(a->method->name, "paraphrase"))) {
		a->unusable++;
	} else if (a->method->rouge_filter &&
		   rouge_l(in.buf, in.len, rec->instruction, strlen(rec->instruction)) > ROUGE_MAX) {
		a->too_similar++;
	} else {
		struct record r = { in.buf, input.buf, out.buf, rec->system, "[]",
				    in.len, input.len, out.len, strlen(rec->system), 2 };
		id = record_insert(&a->ins, &r, "augment", 0, rec->task_id, rec->id);
		if (id < 0) {
			a->failed = 1;
		} else if (!id) {
			a->present++;
		} else {
			sqlite3_stmt *st = corpus_prepare(a->db, "UPDATE records SET llm_call_id = ? WHERE id = ?");
			if (st) {
				sqlite3_bind_int64(st, 1, req->call_id);
				sqlite3_bind_int64(st, 2, id);
				sqlite3_step(st);
				sqlite3_finalize(st);
			}
			a->added++;
		}
	}
	strbuf_release(&in);
	strbuf_release(&input);
	strbuf_release(&out);
	json_decref(v);
	return a->failed;
}

static const struct command_help augment_help = {
	"winnow augment --method METHOD [--n K] [--where SQL] [options]",
	"Make K variants of each chosen record with the LLM platform (stage raw, origin augment).",
	"Methods:\n"
	"  paraphrase    the same request in other words, same answer\n"
	"  evol-deepen   a harder version (a constraint, more concrete, more reasoning) and its answer\n"
	"  evol-broaden  a new request in the same domain, rarer topic, and its answer\n"
	"  translate     instruction, input and output in another language (--to; default\n"
	"                English for Chinese records, Chinese otherwise)\n"
	"The six expansion directions of Baidu Qianfan's data augmentation, each with its\n"
	"answer; a variant whose instruction is too similar to the source's (character\n"
	"ROUGE-L > 0.7) is dropped and counted:\n"
	"  same-kind     同类泛化: a new request of the same kind, other content\n"
	"  synonym       同义泛化: the same request in clearly different words\n"
	"  constraint    增加约束: the request with added constraints\n"
	"  scenario      复杂场景变换: the request inside a complex, concrete scenario\n"
	"  focus         考察方向变换: the same subject, another aspect tested\n"
	"  premise       前提条件变换: a changed premise, so a changed answer\n"
	"Records are chosen with --where (an SQL condition on the records table); the\n"
	"default is stage IN ('unique','approved'). Each variant keeps the record as its\n"
	"parent (records.parent_id) and its task. Run again: answers come from the cache\n"
	"and variants already present are not added twice.",
	"  winnow augment --method paraphrase --n 2 --provider zhipu\n"
	"  winnow augment --method evol-deepen --where \"task_id = 1 AND stage = 'approved'\" --provider deepseek\n"
	"  winnow augment --method translate --to English --where \"lang = 'zh'\" --limit 100 --provider openai",
};

struct augment_options {
	struct llm_options llm;
	const char *method_name, *where, *to;
	long variants, limit;
	const struct method *method;
};

/* Returns OPTIONS_GO_ON, or the exit code after --help or a usage error. */
static int augment_parse_options(int argc, char **argv, struct augment_options *o)
{
	memset(o, 0, sizeof(*o));
	o->variants = 1;
	llm_options_init(&o->llm);
	struct option opts[] = {
		OPT_CHOICE('m', "method", &o->method_name, "paraphrase|evol-deepen|evol-broaden|translate|same-kind|"
			   "synonym|constraint|scenario|focus|premise", "how to make variants (required)"),
		OPT_INT('n', "n", &o->variants, "K", 1, 100, "variants per record (default 1)"),
		OPT_STRING('w', "where", &o->where, "SQL", "which records (default: stage IN ('unique','approved'))"),
		OPT_STRING(0, "to", &o->to, "LANGUAGE", "translate: the target language"),
		OPT_INT(0, "limit", &o->limit, "N", 0, 100000000, "at most N records"),
		LLM_OPTIONS(&o->llm),
		OPT_END(),
	};
	argc = parse_options(argc, argv, opts, &augment_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&augment_help, "augment takes no arguments; choose records with --where");
	if (!o->method_name)
		return usage_error(&augment_help, "say how to augment: --method paraphrase|evol-deepen|evol-broaden|"
				   "translate|same-kind|synonym|constraint|scenario|focus|premise");
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, o->method_name))
			o->method = &methods[i];
	return OPTIONS_GO_ON;
}

/*
 * Prepares the record selection (--where checked to be one read-only
 * condition). Returns the statement, or NULL after printing why.
 */
static sqlite3_stmt *augment_select(sqlite3 *db, const struct augment_options *o)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	char *sql = xstrfmt("SELECT id, task_id, instruction, input, output, system FROM records WHERE (%s) "
			    "ORDER BY id LIMIT %ld", o->where ? o->where : "stage IN ('unique','approved')",
			    o->limit > 0 ? o->limit : -1L);
	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK || (tail && *tail) ||
	    !sqlite3_stmt_readonly(st)) {
		error("--where '%s' is not a condition on records: %s", o->where ? o->where : "",
		      st && tail && *tail ? "it holds more than one statement" : sqlite3_errmsg(db));
		sqlite3_finalize(st);
		st = NULL;
	}
	free(sql);
	return st;
}

static void augment_collect(sqlite3_stmt *st, struct source_record **recs, size_t *nrec)
{
	size_t alloc = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct source_record *r;
		if (*nrec == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*recs = xrealloc(*recs, alloc * sizeof(**recs));
		}
		r = &(*recs)[(*nrec)++];
		r->id = sqlite3_column_int64(st, 0);
		r->task_id = sqlite3_column_int64(st, 1);
		r->instruction = xstrdup((const char *)sqlite3_column_text(st, 2));
		r->input = xstrdup((const char *)sqlite3_column_text(st, 3));
		r->output = xstrdup((const char *)sqlite3_column_text(st, 4));
		r->system = xstrdup((const char *)sqlite3_column_text(st, 5));
	}
	sqlite3_finalize(st);
}

/* Asks for every variant; returns the exit code after the summary. */
static int augment_all(struct command *cmd, const struct augment_options *o, struct augmenting *a,
		       struct source_record *recs, size_t nrec)
{
	const struct method *m = o->method;
	struct llm_client *c = llm_client_new(&o->llm, cmd->db, cmd->run.id);
	if (!c)
		return command_end(cmd, EXIT_USAGE, "nothing augmented");
	char *purpose = xstrfmt("augment:%s", m->name);
	size_t nreq = nrec * (size_t)o->variants;
	struct llm_request *reqs = xcalloc(nreq, sizeof(*reqs));
	for (size_t i = 0; i < nreq; i++) {
		struct source_record *r = &recs[i / (size_t)o->variants];
		int k = (int)(i % (size_t)o->variants);
		llm_request_init(&reqs[i]);
		reqs[i].prompt = build_prompt(m, r, o->to, k, o->variants);
		reqs[i].purpose = purpose;
		reqs[i].json = 1;
		reqs[i].sample = k;
		reqs[i].data = r;
	}
	enum llm_run_result res = llm_run(c, reqs, nreq, on_variant, a);
	const struct llm_totals *t = llm_client_totals(c);
	if (a->unusable)
		warning("%ld answer%s held no usable variant (no JSON with instruction and output, or unchanged)",
			a->unusable, a->unusable == 1 ? "" : "s");
	if (a->truncated)
		warning("%ld answer%s cut off at the token limit; raise --answer-tokens", a->truncated,
			a->truncated == 1 ? " was" : "s were");
	if (a->too_similar)
		warning("%ld variant%s too similar to %s source (ROUGE-L > %.1f) and dropped; run again with "
			"--no-cache, or a higher --temperature", a->too_similar, a->too_similar == 1 ? " was" : "s were",
			a->too_similar == 1 ? "its" : "their", ROUGE_MAX);
	run_count(&cmd->run, "too_similar", a->too_similar);
	run_count(&cmd->run, "records", (int64_t)nrec);
	run_count(&cmd->run, "added", a->added);
	run_count(&cmd->run, "present", a->present);
	run_count(&cmd->run, "unusable", a->unusable);
	llm_count_run(&cmd->run, t);
	int rc = a->failed ? EXIT_FAILURE_ : llm_run_exit(res, t);
	rc = command_end(cmd, rc, "%ld variant%s added from %zu record%s (%s), %ld already present; %ld call%s, "
			 "%ld cached, %ld + %ld tokens", a->added, a->added == 1 ? "" : "s", nrec,
			 nrec == 1 ? "" : "s", m->name, a->present, t->calls, t->calls == 1 ? "" : "s", t->cached,
			 t->tokens_in, t->tokens_out);
	for (size_t i = 0; i < nreq; i++) {
		free((char *)reqs[i].prompt);
		llm_request_release(&reqs[i]);
	}
	free(reqs);
	free(purpose);
	llm_client_free(c);
	return rc;
}

int cmd_augment(int argc, char **argv)
{
	struct augment_options o;
	struct augmenting a;
	struct command cmd;
	struct source_record *recs = NULL;
	size_t nrec = 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = augment_parse_options(argc, argv, &o)) != OPTIONS_GO_ON)
		return rc;
	if ((rc = command_begin(&cmd, "augment", 0)))
		return rc;
	memset(&a, 0, sizeof(a));
	a.db = cmd.db;
	a.method = o.method;
	st = augment_select(cmd.db, &o);
	if (!st)
		return command_end(&cmd, EXIT_USAGE, "nothing augmented");
	augment_collect(st, &recs, &nrec);
	if (!nrec)
		rc = command_end(&cmd, EXIT_OK, "no records match%s%s",
				 o.where ? " " : " (default: unique or approved)", o.where ? o.where : "");
	else if (record_inserter_init(&a.ins, cmd.db))
		rc = command_end(&cmd, EXIT_FAILURE_, "nothing augmented");
	else
		rc = augment_all(&cmd, &o, &a, recs, nrec);
	for (size_t i = 0; i < nrec; i++) {
		free(recs[i].instruction);
		free(recs[i].input);
		free(recs[i].output);
		free(recs[i].system);
	}
	free(recs);
	record_inserter_release(&a.ins);
	return rc;
}
