/*
 * llm_generate_cmd.c - `winnow generate TASK`: asks the platform for new
 * items "like these" (a few seeds sampled per request, the task's review
 * feedback as rules), filters what comes back and stores the survivors as
 * raw records with origin generate, the task and the call they came from.
 *
 * Requests are numbered; request k of a run samples its seeds from a
 * generator seeded by (task, round, k), so a run killed half-way and run
 * again sends the same requests and gets the answers from the cache. A
 * completed run moves the task to its next round, so the next run asks
 * fresh questions. The first run of a task stops at 20 records and prints
 * them: review those before asking for more.
 */
#include "generate_internal.h"
#include "../db/corpus.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_RUN_MAX 20	/* the method: a small batch first, reviewed */
#define MAX_WAVES 5		/* rounds of requests when filters drop too many */

struct chunk {
	int64_t document_id;
	char *text;
};

struct generation {
	sqlite3 *db;
	struct task *task;
	struct record_inserter ins;
	struct gen_filter filter;
	struct string_list rules, rejected;
	long want, kept, resumed, surplus, unparsed, truncated;
	long verdicts[GEN_VERDICTS];
	long like_seed, like_record, like_run;	/* GEN_SIMILAR by what the item resembled */
	long shots, batch, per_chunk;
	uint64_t round_seed;
	int64_t *kept_ids;
	size_t kept_alloc;
	int failed;
};

static uint64_t next_u64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* `shots` distinct seeds, chosen by request number k. */
static json_t *sample_seeds(struct generation *g, long k)
{
	json_t *all = g->task->seeds, *picked = json_array();
	size_t n = json_array_size(all), want = (size_t)g->shots < n ? (size_t)g->shots : n;
	size_t *order = xmalloc(n * sizeof(*order));
	uint64_t s = hash64(&k, sizeof(k), g->round_seed) | 1;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 0; i < want; i++) {
		size_t j = i + (size_t)(next_u64(&s) % (n - i)), tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
		json_array_append(picked, json_array_get(all, order[i]));
	}
	free(order);
	return picked;
}

static char *build_prompt(struct generation *g, long k, const char *chunk)
{
	struct strbuf p = STRBUF_INIT;
	int pairs = g->task->mode != TASK_QUESTIONS;
	json_t *examples = sample_seeds(g, k);
	strbuf_addstr(&p, g->task->prompt);
	strbuf_addch(&p, '\n');
	if (chunk) {
		strbuf_addf(&p, "\nText:\n\"\"\"\n%s\n\"\"\"\n", chunk);
		strbuf_addf(&p, "\nWrite %ld question-and-answer pairs that this text answers. Each question must "
			    "stand on its own: never refer to \"the text\", \"the passage\" or \"according to the "
			    "text\" (不要出现\"根据文本\"、\"文中\"之类的说法), and each answer must be complete "
			    "and correct by the text alone.\n", g->per_chunk);
		if (json_array_size(examples)) {
			strbuf_addstr(&p, "\nExamples of the style wanted:\n");
			gen_prompt_examples(&p, examples, 1);
		}
	} else {
		strbuf_addstr(&p, "\nExamples:\n");
		gen_prompt_examples(&p, examples, pairs);
	}
	gen_prompt_feedback(&p, &g->rules, &g->rejected);
	if (chunk)
		strbuf_addstr(&p, "\nAnswer in JSON: {\"items\": [{\"instruction\": \"...\", \"output\": \"...\"}]}\n");
	else if (pairs)
		strbuf_addf(&p, "\nWrite %ld new items, different from the examples and from each other. Answer in "
			    "JSON: {\"items\": [{\"instruction\": \"...\", \"input\": \"\", \"output\": \"...\"}]}\n",
			    g->batch);
	else
		strbuf_addf(&p, "\nWrite %ld new items, different from the examples and from each other. Answer "
			    "with a numbered list, one item per line, and nothing else.\n", g->batch);
	json_decref(examples);
	return strbuf_detach(&p, NULL);
}

static int set_links(sqlite3 *db, int64_t id, int64_t call_id, int64_t document_id)
{
	sqlite3_stmt *st = corpus_prepare(db, "UPDATE records SET llm_call_id = ?, document_id = ? WHERE id = ?");
	int rc;
	if (!st)
		return -1;
	if (call_id > 0)
		sqlite3_bind_int64(st, 1, call_id);
	if (document_id > 0)
		sqlite3_bind_int64(st, 2, document_id);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : error("corpus: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/*
 * The record an item of a cached answer already became (an interrupted run
 * stored it), or 0: such items count towards --n again instead of being
 * dropped as duplicates, so a run resumed after a crash does the same job.
 */
static int64_t resumed_record(struct generation *g, int64_t call_id, const char *instruction)
{
	int64_t id = 0;
	sqlite3_stmt *st = corpus_prepare(g->db,
		"SELECT id FROM records WHERE llm_call_id = ? AND instruction = ? AND task_id = ?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, call_id);
	sqlite3_bind_text(st, 2, instruction, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, g->task->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static void remember_kept(struct generation *g, int64_t id)
{
	if ((size_t)g->kept == g->kept_alloc) {
		g->kept_alloc = g->kept_alloc ? 2 * g->kept_alloc : 32;
		g->kept_ids = xrealloc(g->kept_ids, g->kept_alloc * sizeof(*g->kept_ids));
	}
	g->kept_ids[g->kept++] = id;
}

/* Books a too-similar item to a seed (negative ids), an item of this run, or an older record. */
static void count_similar(struct generation *g, int64_t similar_to)
{
	if (similar_to < 0) {
		g->like_seed++;
		return;
	}
	for (long i = 0; i < g->kept; i++)
		if (g->kept_ids[i] == similar_to) {
			g->like_run++;
			return;
		}
	g->like_record++;
}

/* Filters and stores the items of one answer. Returns non-zero to stop the run. */
static int on_answer(struct llm_request *req, void *ctx)
{
	struct generation *g = ctx;
	struct chunk *chunk = req->data;
	int need_output = g->task->mode != TASK_QUESTIONS;
	json_t *items, *it;
	size_t i;
	if (req->status == LLM_FAILED)
		return 0;
	if (req->status == LLM_TRUNCATED)
		g->truncated++;
	items = gen_parse_items(req->content.buf, req->content.len, req->status == LLM_TRUNCATED);
	if (!json_array_size(items))
		g->unparsed++;
	json_array_foreach(items, i, it) {
		const char *in = json_string_value(json_object_get(it, "instruction"));
		const char *input = json_string_value(json_object_get(it, "input"));
		const char *out = need_output ? json_string_value(json_object_get(it, "output")) : "";
		int64_t similar = 0, id;
		enum gen_verdict v;
		if (req->cached && g->kept < g->want && (id = resumed_record(g, req->call_id, in))) {
			g->resumed++;
			remember_kept(g, id);
			continue;
		}
		v = gen_filter_check(&g->filter, in, out, need_output, &similar);
		if (v == GEN_SIMILAR)
			count_similar(g, similar);
		struct record r = {
			in, g->task->mode == TASK_PAIRS ? input : "", out, "", "[]",
			strlen(in), g->task->mode == TASK_PAIRS ? strlen(input) : 0, strlen(out), 0, 2
		};
		if (v != GEN_KEEP) {
			g->verdicts[v]++;
			continue;
		}
		if (g->kept >= g->want) {
			g->surplus++;
			continue;
		}
		id = record_insert(&g->ins, &r, "generate", 0, g->task->id, 0);
		if (id < 0) {
			json_decref(items);
			g->failed = 1;
			return 1;
		}
		if (!id) {
			g->verdicts[GEN_SIMILAR]++;	/* an identical record exists */
			g->like_record++;
			continue;
		}
		if (set_links(g->db, id, req->call_id, chunk ? chunk->document_id : 0)) {
			json_decref(items);
			g->failed = 1;
			return 1;
		}
		gen_filter_add(&g->filter, id, in);
		g->verdicts[GEN_KEEP]++;
		remember_kept(g, id);
	}
	json_decref(items);
	return 0;
}

/* Seeds and the task's existing records go into the similarity index. */
static int index_existing(struct generation *g)
{
	size_t i;
	json_t *s;
	sqlite3_stmt *st;
	json_array_foreach(g->task->seeds, i, s)
		gen_filter_add(&g->filter, -1 - (int64_t)i, json_string_value(json_object_get(s, "instruction")));
	st = corpus_prepare(g->db, "SELECT id, instruction FROM records WHERE task_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, g->task->id);
	while (sqlite3_step(st) == SQLITE_ROW)
		gen_filter_add(&g->filter, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return 0;
}

/*
 * Splits the next unused documents into chunks of about chunk_chars bytes
 * at paragraph (else line, else character) boundaries, appending up to
 * max chunks. Documents already turned into records of this task are skipped.
 */
static int load_chunks(struct generation *g, long chunk_chars, size_t max, struct chunk **chunks, size_t *nr)
{
	sqlite3_stmt *st = corpus_prepare(g->db,
		"SELECT d.id, d.title, d.text FROM documents d WHERE NOT EXISTS (SELECT 1 FROM records r "
		"WHERE r.task_id = ?1 AND r.document_id = d.id) ORDER BY d.id");
	size_t alloc = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, g->task->id);
	while (*nr < max && sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2), pos = 0;
		while (pos < len && *nr < max) {
			size_t end = len - pos <= (size_t)chunk_chars ? len : pos + (size_t)chunk_chars, cut = end;
			if (end < len) {
				/* back up to a paragraph break, else a line break, else a character start */
				for (cut = end; cut > pos + (size_t)chunk_chars / 2; cut--)
					if (text[cut - 1] == '\n' && text[cut - 2] == '\n')
						break;
				if (cut <= pos + (size_t)chunk_chars / 2)
					for (cut = end; cut > pos + (size_t)chunk_chars / 2 && text[cut - 1] != '\n'; cut--)
						;
				if (cut <= pos + (size_t)chunk_chars / 2)
					for (cut = end; cut > pos && ((unsigned char)text[cut] & 0xC0) == 0x80; cut--)
						;
			}
			struct strbuf c = STRBUF_INIT;
			strbuf_add(&c, text + pos, cut - pos);
			strbuf_trim(&c);
			pos = cut;
			if (c.len < 40) {	/* a scrap: nothing to ask about */
				strbuf_release(&c);
				continue;
			}
			if (*nr == alloc) {
				alloc = alloc ? 2 * alloc : 16;
				*chunks = xrealloc(*chunks, alloc * sizeof(**chunks));
			}
			(*chunks)[*nr].document_id = id;
			(*chunks)[*nr].text = strbuf_detach(&c, NULL);
			(*nr)++;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static const struct command_help generate_help = {
	"winnow generate TASK [options]",
	"Ask the LLM platform for new records like the task's seeds (stage raw, origin generate).",
	"Each request shows --shots seeds sampled at random, the task's question rules and\n"
	"a few records rejected in review, and asks for --batch items. Items are dropped\n"
	"when empty, shorter than --min-chars or longer than --max-chars, blocked (images,\n"
	"files, drawing...; --block adds words), starting with punctuation, or too similar\n"
	"(character ROUGE-L > 0.7) to a seed, a record of the task, or an item kept before.\n"
	"When fewer records than asked for were added, the end says why: the count per\n"
	"reason and what to change.\n"
	"The first run of a task stops at 20 records and prints them: review them\n"
	"(winnow review --task TASK), and the rejection notes become rules for the next\n"
	"prompts; then generate more. An interrupted run, run again, gets its answers\n"
	"from the cache; a finished run makes the next one ask afresh.\n"
	"Modes (task add --mode): questions (answer them with `winnow answer`), pairs,\n"
	"from-documents (Q&A pairs from crawled documents, chunk by chunk).",
	"  winnow generate luck --provider zhipu\n"
	"  winnow generate luck --n 200 --provider deepseek --parallel 8 --rpm 60\n"
	"  winnow generate manual-qa --n 100 --provider ollama --model qwen2.5:7b",
};

struct generate_options {
	long n, shots, batch, seed, per_chunk, chunk_chars, min_chars, max_chars;
	struct string_list block;
	int print;
	struct llm_options lo;
};

/* Why a run ended with fewer records than it wanted. */
enum stop_reason { STOP_DONE, STOP_NOTHING_NEW, STOP_WAVES, STOP_DOCUMENTS, STOP_BUDGET, STOP_ERROR };

/* Sets up g for task (filters, rules, the similarity index); 0 or -1. */
static int generation_init(struct generation *g, sqlite3 *db, struct task *task, struct generate_options *o,
			   int *first)
{
	memset(g, 0, sizeof(*g));
	g->db = db;
	g->task = task;
	g->shots = o->shots;
	g->batch = o->batch;
	g->per_chunk = o->per_chunk;
	gen_filter_init(&g->filter, task->mode == TASK_DOCUMENTS);
	g->filter.min_chars = o->min_chars;
	g->filter.max_chars = o->max_chars;
	g->filter.block = o->block;
	o->block = (struct string_list)STRING_LIST_INIT;	/* the filter owns it now */
	g->round_seed = hash64(&task->id, sizeof(task->id), (uint64_t)(o->seed >= 0 ? o->seed : task->rounds));
	char *sql = xstrfmt("SELECT count(*) FROM records WHERE task_id = %lld AND origin = 'generate'",
			    (long long)task->id);
	*first = task->rounds == 0 && corpus_int(db, sql) == 0;
	free(sql);
	if (*first && o->n > FIRST_RUN_MAX) {
		fprintf(stderr, "generate: the first run of task '%s' stops at %d records, to be reviewed before "
			"more are asked for\n", task->name, FIRST_RUN_MAX);
		o->n = FIRST_RUN_MAX;
	}
	g->want = o->n;
	if (task_feedback_rules(db, task->id, "question", &g->rules) ||
	    task_rejected_examples(db, task->id, 5, &g->rejected) || index_existing(g) ||
	    record_inserter_init(&g->ins, db))
		return -1;
	return 0;
}

/* Asks in waves until g->want records are kept or asking again will not help. */
static enum stop_reason generate_waves(struct generation *g, struct llm_client *c, struct chunk *chunks,
				       size_t nchunks, enum llm_run_result *r)
{
	struct task *task = g->task;
	size_t next_chunk = 0;
	char *purpose = xstrfmt("generate:%s", task->name);
	enum stop_reason why = STOP_WAVES;
	long k = 0;
	*r = LLM_RUN_DONE;
	for (int wave = 0; wave < MAX_WAVES; wave++) {
		long need = g->want - g->kept, per = task->mode == TASK_DOCUMENTS ? g->per_chunk : g->batch;
		size_t nreq = (size_t)((need + per - 1) / per), i;
		long before = g->kept;
		if (task->mode == TASK_DOCUMENTS && nreq > nchunks - next_chunk)
			nreq = nchunks - next_chunk;
		if (!nreq) {
			why = STOP_DOCUMENTS;
			break;
		}
		struct llm_request *reqs = xcalloc(nreq, sizeof(*reqs));
		char **prompts = xcalloc(nreq, sizeof(*prompts));
		for (i = 0; i < nreq; i++, k++) {
			struct chunk *ch = task->mode == TASK_DOCUMENTS ? &chunks[next_chunk++] : NULL;
			llm_request_init(&reqs[i]);
			prompts[i] = build_prompt(g, k, ch ? ch->text : NULL);
			reqs[i].prompt = prompts[i];
			reqs[i].purpose = purpose;
			reqs[i].json = task->mode != TASK_QUESTIONS;
			reqs[i].sample = (int)k;
			reqs[i].data = ch;
		}
		*r = llm_run(c, reqs, nreq, on_answer, g);
		for (i = 0; i < nreq; i++) {
			llm_request_release(&reqs[i]);
			free(prompts[i]);
		}
		free(reqs);
		free(prompts);
		if (g->kept >= g->want || *r != LLM_RUN_DONE || g->failed) {
			why = g->kept >= g->want ? STOP_DONE : *r == LLM_RUN_BUDGET ? STOP_BUDGET : STOP_ERROR;
			break;
		}
		if (g->kept == before) {
			why = STOP_NOTHING_NEW;	/* a whole wave added nothing: asking again will not help */
			break;
		}
	}
	free(purpose);
	return why;
}

static void print_kept(struct generation *g)
{
	sqlite3_stmt *st = corpus_prepare(g->db, "SELECT instruction, output FROM records WHERE id = ?");
	for (long i = 0; st && i < g->kept; i++) {
		sqlite3_bind_int64(st, 1, g->kept_ids[i]);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *out = (const char *)sqlite3_column_text(st, 1);
			printf("%3ld. %s\n", i + 1, (const char *)sqlite3_column_text(st, 0));
			if (*out)
				printf("     -> %s\n", out);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Says why the run added fewer records than it wanted: one line per reason, with what to change. */
static void explain_shortfall(const struct generation *g, enum stop_reason why, const struct llm_totals *t)
{
	static const char *const stops[] = {
		[STOP_NOTHING_NEW] = "a whole round of requests added nothing new, so asking again would not help",
		[STOP_WAVES] = "it asked 5 rounds of requests and the filters kept dropping items",
		[STOP_DOCUMENTS] = "every unused document chunk has been asked about",
		[STOP_BUDGET] = "the budget ran out (--max-calls/--max-tokens)",
		[STOP_ERROR] = "calls failed (see the errors above)",
	};
	const struct { long n; const char *what, *change; } reasons[] = {
		{ g->like_seed, "too similar to a seed", "add more varied seeds, show fewer (--shots), or raise "
		  "--temperature" },
		{ g->like_record, "too similar to (or the same as) a record of the task", "the task covers what the "
		  "model writes: add a rule asking for new topics (winnow feedback add), or new seeds" },
		{ g->like_run, "duplicates within this run", "the model repeats itself: ask for fewer per request "
		  "(--batch) or raise --temperature" },
		{ g->verdicts[GEN_BLOCKED], "blocked (images, files, drawing, --block words, leading punctuation, "
		  "\"according to the text\")", "add a rule against it (winnow feedback add)" },
		{ g->verdicts[GEN_TOO_SHORT], "shorter than --min-chars", "lower --min-chars, or add a rule" },
		{ g->verdicts[GEN_TOO_LONG], "longer than --max-chars", "raise --max-chars, or add a rule" },
		{ g->verdicts[GEN_EMPTY], "empty (no question, or a pair without an answer)", "see llm_calls.response "
		  "of this run's calls" },
		{ g->unparsed, "answers held no items (neither JSON nor a numbered list)", "see llm_calls.response; "
		  "a smaller model may need --batch 5" },
		{ g->truncated, "answers cut off at the token limit", "raise --answer-tokens or lower --batch" },
		{ t->failed, "calls failed", "run again: answers received are cached" },
	};
	fprintf(stderr, "generate: %ld of the %ld records wanted were added; it stopped because %s.\n",
		g->kept - g->resumed, g->want - g->resumed, stops[why]);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].n)
			fprintf(stderr, "  %4ld %s: %s\n", reasons[i].n, reasons[i].what, reasons[i].change);
}

static int parse_generate_options(int argc, char **argv, struct generate_options *o)
{
	memset(o, 0, sizeof(*o));
	o->n = FIRST_RUN_MAX, o->shots = 3, o->batch = 20, o->seed = -1, o->per_chunk = 3;
	o->chunk_chars = 1500, o->min_chars = 4, o->max_chars = 500;
	llm_options_init(&o->lo);
	struct option opts[] = {
		OPT_INT('n', "n", &o->n, "N", 1, 1000000, "records wanted (default 20; the first run stops at 20)"),
		OPT_INT(0, "shots", &o->shots, "K", 0, 50, "seed examples shown per request (default 3)"),
		OPT_INT(0, "batch", &o->batch, "K", 1, 200, "items asked for per request (default 20)"),
		OPT_INT(0, "seed", &o->seed, "N", 0, 1L << 40, "sample seeds with this seed (default: the task's round)"),
		OPT_INT(0, "min-chars", &o->min_chars, "N", 1, 100000, "drop instructions shorter than N characters (4)"),
		OPT_INT(0, "max-chars", &o->max_chars, "N", 1, 1000000, "drop instructions longer than N characters (500)"),
		OPT_LIST(0, "block", &o->block, "WORD", "also drop items containing WORD (repeatable)"),
		OPT_INT(0, "per-chunk", &o->per_chunk, "K", 1, 50, "from-documents: pairs asked per chunk (3)"),
		OPT_INT(0, "chunk-chars", &o->chunk_chars, "N", 200, 100000, "from-documents: chunk size in bytes (1500)"),
		OPT_FLAG(0, "print", &o->print, "print the records added (always on the first run)"),
		LLM_OPTIONS(&o->lo),
		OPT_END(),
	};
	return parse_options(argc, argv, opts, &generate_help);
}

/* Books the run's counts and writes its summary line; returns the exit code. */
static int generate_finish(struct generation *g, struct run *run, enum llm_run_result r, enum stop_reason why,
			   const struct llm_totals *t)
{
	int rc = g->failed ? EXIT_FAILURE_ : llm_run_exit(r, t);
	if (r != LLM_RUN_FATAL && !g->failed && !t->failed) {
		char *sql = xstrfmt("UPDATE tasks SET rounds = rounds + 1 WHERE id = %lld", (long long)g->task->id);
		corpus_exec(g->db, sql);
		free(sql);
	}
	for (int v = 0; v < GEN_VERDICTS; v++)
		run_count(run, gen_verdict_name((enum gen_verdict)v), g->verdicts[v]);
	run_count(run, "similar_seed", g->like_seed);
	run_count(run, "similar_record", g->like_record);
	run_count(run, "similar_run", g->like_run);
	run_count(run, "unparsed", g->unparsed);
	llm_count_run(run, t);
	run_count(run, "resumed", g->resumed);
	if (g->resumed)
		fprintf(stderr, "generate: %ld record%s from an interrupted run count towards --n\n", g->resumed,
			g->resumed == 1 ? "" : "s");
	if (why != STOP_DONE)
		explain_shortfall(g, why, t);
	return run_end(run, rc, "%ld record%s added to task '%s' (wanted %ld); dropped %ld similar, %ld blocked, "
		       "%ld too short, %ld too long, %ld empty; %ld call%s, %ld cached, %ld + %ld tokens",
		       g->kept - g->resumed, g->kept - g->resumed == 1 ? "" : "s", g->task->name, g->want,
		       g->verdicts[GEN_SIMILAR], g->verdicts[GEN_BLOCKED], g->verdicts[GEN_TOO_SHORT],
		       g->verdicts[GEN_TOO_LONG], g->verdicts[GEN_EMPTY], t->calls, t->calls == 1 ? "" : "s",
		       t->cached, t->tokens_in, t->tokens_out);
}

/* How to review the first batch before asking for more. */
static void review_hint(const struct task *task)
{
	fprintf(stderr, "generate: review these before asking for more: 'winnow review --task %s' in the "
		"terminal, or 'winnow review --task %s --export first.jsonl', fill in the decisions and "
		"'winnow review --import first.jsonl'. Rejection notes become rules for the next prompts",
		task->name, task->name);
	if (task->mode == TASK_QUESTIONS)
		fprintf(stderr, "; 'winnow answer %s' then answers the questions not rejected", task->name);
	fprintf(stderr, ".\n");
}

int cmd_generate(int argc, char **argv)
{
	struct generate_options o;
	struct generation g;
	struct task task;
	struct run run;
	struct llm_client *c = NULL;
	struct chunk *chunks = NULL;
	size_t nchunks = 0;
	enum llm_run_result r = LLM_RUN_DONE;
	enum stop_reason why;
	int first = 0, rc;
	sqlite3 *db;

	argc = parse_generate_options(argc, argv, &o);
	if (argc < 0 || argc != 1) {
		string_list_clear(&o.block);
		return argc < 0 ? options_exit_code(argc) : usage_error(&generate_help, "say which TASK to generate for");
	}
	if (!(db = corpus_open(corpus_path(), 0))) {
		string_list_clear(&o.block);
		return EXIT_FAILURE_;
	}
	run_begin(&run, db, "generate");
	if (task_load(db, argv[0], &task)) {
		string_list_clear(&o.block);
		rc = run_end(&run, EXIT_FAILURE_, "nothing generated");
		corpus_close(db);
		return rc;
	}
	if (generation_init(&g, db, &task, &o, &first)) {
		rc = run_end(&run, EXIT_FAILURE_, "nothing generated");
		goto out;
	}
	if (!(c = llm_client_new(&o.lo, db, run.id))) {
		rc = run_end(&run, EXIT_USAGE, "nothing generated");
		goto out;
	}
	if (task.mode == TASK_DOCUMENTS &&
	    load_chunks(&g, o.chunk_chars, (size_t)(o.n / o.per_chunk + 1) * MAX_WAVES, &chunks, &nchunks)) {
		rc = run_end(&run, EXIT_FAILURE_, "nothing generated");
		goto out;
	}
	if (task.mode == TASK_DOCUMENTS && !nchunks) {
		error("task '%s' makes records from documents, and every document has been used (or there "
		      "are none); crawl or import some first", task.name);
		rc = run_end(&run, EXIT_FAILURE_, "nothing generated");
		goto out;
	}
	why = generate_waves(&g, c, chunks, nchunks, &r);
	if (o.print || first)
		print_kept(&g);
	if (first && g.kept)
		review_hint(&task);
	rc = generate_finish(&g, &run, r, why, llm_client_totals(c));
out:
	for (size_t i = 0; i < nchunks; i++)
		free(chunks[i].text);
	free(chunks);
	free(g.kept_ids);
	llm_client_free(c);
	record_inserter_release(&g.ins);
	string_list_clear(&g.rules);
	string_list_clear(&g.rejected);
	gen_filter_release(&g.filter);
	string_list_clear(&o.block);
	task_release(&task);
	corpus_close(db);
	return rc;
}
