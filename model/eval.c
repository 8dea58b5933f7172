/*
 * eval.c - `winnow eval`: how well each candidate base model predicts the
 * responses of an Alpaca test file. Records are encoded exactly as training
 * will encode them (template.h), and the loss is the mean next-token
 * cross-entropy over every response token of the file, end tokens included;
 * perplexity is its exponential. One row per --base, so models can be
 * compared on the user's own data before choosing one to fine-tune.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval.h"
#include "lora.h"
#include "prompt_adapter.h"
#include "model.h"
#include "template.h"
#include "tokenizer.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../db/corpus.h"
#include "../llm/llm.h"
#include "../lib/file.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGIT_ROWS 16	/* positions whose logits are held at once */

static const struct command_help eval_help = {
	"winnow eval --base DIR [--base DIR2 ...] --data FILE [--generate] [options]",
	"Loss, perplexity and bits per byte of candidate models on an Alpaca test file; with --generate, their answers scored.",
	"Each record is encoded with the model's prompt template (--template, detected\n"
	"from tokenizer_config.json by default) exactly as training encodes it; the loss\n"
	"is the mean cross-entropy over all response tokens of the file, each response's\n"
	"end token included, and perplexity = exp(loss). bits_per_byte is the summed loss\n"
	"in bits over the UTF-8 bytes of the reference answers: comparable between models\n"
	"with different tokenizers. Lower is better. Records longer than --cutoff-len\n"
	"tokens are cut, as training cuts them.\n"
	"With --generate each model also answers every record (greedy, as chat does) and\n"
	"the answers are scored against the references: ROUGE-L F1 on characters for\n"
	"Chinese/Japanese references (whitespace ignored, punctuation counted), on words\n"
	"otherwise; exact match over the short references (at most 5 words or 10\n"
	"characters). Higher is better. --api-model adds candidates answered on an LLM\n"
	"platform (--provider/--base-url); --judge MODEL has an LLM compare each\n"
	"candidate's answers with the first candidate's and prints win rates.",
	"winnow eval --base models/qwen2.5-0.5b --base models/smollm2-360m --data test.json\n"
	"winnow eval --base models/tiny --data test.json --json\n"
	"winnow eval --base models/a --base models/b --data test.json --generate --report eval.html"
};

static char *field(json_t *obj, const char *key, const char *path, long index, long line,
		   int *bad)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return xstrdup("");
	if (!strcmp(key, "history") && json_is_array(v)) {
		char *s = json_dumps(v, JSON_COMPACT);
		return s ? s : xstrdup("[]");
	}
	if (!json_is_string(v)) {
		error("%s: record %ld (line %ld): '%s' must be a string, not %s", path, index + 1, line,
		      key, json_type_name(v));
		*bad = 1;
		return xstrdup("");
	}
	return xstrdup(json_string_value(v));
}

static void free_records(struct eval_record *recs, long n);

/* Reads every record of path. Returns the count, or -1 after an error. */
static long read_records(const char *path, struct eval_record **out)
{
	struct json_reader r;
	struct eval_record *recs = NULL;
	long n = 0, alloc = 0;
	int got, bad = 0;
	if (json_reader_open(&r, path, JSON_LAYOUT_AUTO))
		return error("cannot read '%s': no such file or not readable", path);
	while (!bad && (got = json_reader_next(&r)) > 0) {
		char perr[200];
		json_t *obj = json_parse(r.item.buf, r.item.len, perr, sizeof(perr));
		if (!obj || !json_is_object(obj)) {
			error("%s: record %ld (line %ld): %s", path, r.index + 1, r.line,
			      obj ? "expected an object with instruction/input/output" : perr);
			json_decref(obj);
			bad = 1;
			break;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			recs = xrealloc(recs, (size_t)alloc * sizeof(*recs));
		}
		recs[n].system = field(obj, "system", path, r.index, r.line, &bad);
		recs[n].instruction = field(obj, "instruction", path, r.index, r.line, &bad);
		recs[n].input = field(obj, "input", path, r.index, r.line, &bad);
		recs[n].output = field(obj, "output", path, r.index, r.line, &bad);
		recs[n].history = field(obj, "history", path, r.index, r.line, &bad);
		n++;
		if (!bad && !*recs[n - 1].output) {
			error("%s: record %ld (line %ld): 'output' is empty; there is nothing to score",
			      path, r.index + 1, r.line);
			bad = 1;
		}
		json_decref(obj);
	}
	if (!bad && got < 0) {
		error("%s: %s", path, r.err);
		bad = 1;
	}
	json_reader_close(&r);
	if (!bad && !n) {
		error("'%s' holds no records", path);
		bad = 1;
	}
	if (bad) {
		free_records(recs, n);
		return -1;
	}
	*out = recs;
	return n;
}

int tokenizer_fits_model(const struct tokenizer *tok, const struct model *m, const char *dir)
{
	size_t tv = tokenizer_vocab_size(tok);
	if (tv > (size_t)m->cfg.vocab)
		return error("the tokenizer in '%s' has %zu tokens but the model has only %d embeddings; "
			     "the tokenizer does not belong to this model", dir, tv, m->cfg.vocab);
	return 0;
}

/* Summed cross-entropy of the labelled positions of one encoded record. */
static double record_nll(struct model *m, struct kv_cache *cache, const struct token_ids *ids,
			 const struct token_ids *labels, int n, float *hidden, float *logits,
			 long *counted)
{
	int V = m->cfg.vocab, D = m->cfg.hidden;
	double nll = 0;
	cache->len = 0;
	if (model_forward(m, cache, ids->ids, n, hidden, NULL))
		return NAN;
	for (int t0 = 0; t0 + 1 < n; t0 += LOGIT_ROWS) {
		int rows = n - 1 - t0 < LOGIT_ROWS ? n - 1 - t0 : LOGIT_ROWS, any = 0;
		for (int i = 0; i < rows; i++)
			any |= labels->ids[t0 + i + 1] != LABEL_IGNORE;
		if (!any)
			continue;
		model_logits(m, hidden + (size_t)t0 * D, rows, logits);
		for (int i = 0; i < rows; i++) {
			int32_t label = labels->ids[t0 + i + 1];
			if (label == LABEL_IGNORE)
				continue;
			nll += token_nll(logits + (size_t)i * V, V, label);
			(*counted)++;
		}
	}
	return nll;
}

struct eval_opts {
	const char *template_opt;
	long cutoff, max_new;
	int generate;
	enum quant_type quant;
};

static int eval_model(const char *dir, const char *adapter, const struct eval_opts *o,
		      const struct eval_record *recs, long nrecs, struct eval_result *res)
{
	struct tokenizer *tok = tokenizer_load(dir);
	struct model *m = NULL;
	struct kv_cache cache = { 0, 0, NULL, NULL };
	struct progress progress;
	float *hidden = NULL, *logits = NULL;
	double nll = 0;
	int kind, rc = -1;

	if (!tok)
		return -1;
	long cutoff = o->cutoff;
	m = model_load_quant(dir, (int)cutoff, o->quant);
	if (!m || tokenizer_fits_model(tok, m, dir))
		goto cleanup;
	if (adapter && adapter_apply(m, adapter))
		goto cleanup;
	kind = template_from_name(o->template_opt);
	if (kind == TEMPLATE_AUTO)
		kind = template_detect(tok);
	snprintf(res->model, sizeof(res->model), adapter ? "%s + %s" : "%s", dir, adapter);
	res->template = template_name((enum template_kind)kind);
	if (kv_cache_init(&cache, m, (int)cutoff))
		goto cleanup;
	hidden = xmalloc((size_t)cutoff * m->cfg.hidden * sizeof(float));
	logits = xmalloc((size_t)LOGIT_ROWS * m->cfg.vocab * sizeof(float));
	progress_start(&progress, dir, (uint64_t)nrecs, "records");
	for (long i = 0; i < nrecs; i++) {
		struct chat_example ex = { recs[i].system, recs[i].instruction, recs[i].input,
					   recs[i].output, recs[i].history };
		struct token_ids ids = { NULL, 0, 0 }, labels = { NULL, 0, 0 };
		int n;
		double r;
		if (template_encode(tok, (enum template_kind)kind, &ex, &ids, &labels)) {
			error("record %ld could not be encoded", i + 1);
			token_ids_release(&ids);
			token_ids_release(&labels);
			goto cleanup;
		}
		n = (int)(ids.n < (size_t)cutoff ? ids.n : (size_t)cutoff);
		if (ids.n > (size_t)cutoff)
			res->cut++;
		r = record_nll(m, &cache, &ids, &labels, n, hidden, logits, &res->tokens);
		token_ids_release(&ids);
		token_ids_release(&labels);
		if (isnan(r))
			goto cleanup;
		nll += r;
		res->records++;
		res->bytes += strlen(recs[i].output);
		progress_update(&progress, (uint64_t)i + 1);
	}
	progress_finish(&progress);
	if (!res->tokens) {
		error("no response tokens to score in the data (all cut by --cutoff-len %ld?)", cutoff);
		goto cleanup;
	}
	res->loss = nll / (double)res->tokens;
	res->nll = nll;
	rc = 0;
	if (o->generate) {
		struct generator g;
		generator_init(&g, m, tok, (enum template_kind)kind, dir);
		rc = eval_generate(&g, recs, nrecs, o->max_new, (int)cutoff, res);
	}
cleanup:
	free(hidden);
	free(logits);
	kv_cache_free(&cache);
	model_free(m);
	tokenizer_free(tok);
	return rc;
}

/* --json: per model its scores; null where --generate was not asked for or nothing is short. */
static void print_json(const struct eval_result *res, size_t n, int generate, int judge)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "[");
	for (size_t i = 0; i < n; i++) {
		const struct eval_result *r = &res[i];
		strbuf_addstr(&sb, i ? ",\n {\"model\": " : "{\"model\": ");
		json_write_string(&sb, r->model, strlen(r->model));
		strbuf_addf(&sb, ", \"template\": \"%s\", \"records\": %ld", r->template, r->records);
		if (r->api)
			strbuf_addstr(&sb, ", \"loss\": null, \"perplexity\": null, \"bits_per_byte\": null");
		else
			strbuf_addf(&sb, ", \"tokens\": %ld, \"cut\": %ld, \"loss\": %.6f, \"perplexity\": %.6g, "
				    "\"bits_per_byte\": %.6f", r->tokens, r->cut, r->loss, exp(r->loss),
				    r->nll / log(2) / (double)r->bytes);
		if (r->judged)
			strbuf_addf(&sb, ", \"win_rate\": %.6f", r->win_rate);
		else if (judge)
			strbuf_addstr(&sb, ", \"win_rate\": null");
		if (generate)
			strbuf_addf(&sb, ", \"rouge_l\": %.6f", r->rouge_l);
		else
			strbuf_addstr(&sb, ", \"rouge_l\": null");
		if (generate && r->short_refs)
			strbuf_addf(&sb, ", \"exact_match\": %.6f}", (double)r->exact / (double)r->short_refs);
		else
			strbuf_addstr(&sb, ", \"exact_match\": null}");
	}
	strbuf_addstr(&sb, "]\n");
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
}

static void print_table(const struct eval_result *res, size_t n, int generate, int judge)
{
	printf("%-32s %-8s %8s %9s %9s %12s %9s", "model", "template", "records", "tokens", "loss",
	       "perplexity", "bits/byte");
	printf(generate ? " %8s %15s" : "", "ROUGE-L", "exact match");
	printf(judge ? " %9s\n" : "\n", "win rate");
	for (size_t i = 0; i < n; i++) {
		if (res[i].api)
			printf("%-32s %-8s %8ld %9s %9s %12s %9s", res[i].model, res[i].template, res[i].records,
			       "-", "-", "-", "-");
		else
			printf("%-32s %-8s %8ld %9ld %9.4f %12.4g %9.4f", res[i].model, res[i].template,
			       res[i].records, res[i].tokens, res[i].loss, exp(res[i].loss),
			       res[i].nll / log(2) / (double)res[i].bytes);
		if (generate && res[i].short_refs)
			printf(" %8.4f %5.3f (%ld/%ld)", res[i].rouge_l,
			       (double)res[i].exact / (double)res[i].short_refs, res[i].exact, res[i].short_refs);
		else if (generate)
			printf(" %8.4f %15s", res[i].rouge_l, "-");
		if (judge && res[i].judged)
			printf(" %9.3f\n", res[i].win_rate);
		else
			printf(judge ? " %9s\n" : "\n", i ? "-" : "(first)");
	}
}

/*
 * The candidates on an LLM platform (--api-model, --model) after the local
 * ones in res, then the judge. Opens the corpus for the client's cache and
 * records the run. Returns 0 or -1.
 */
static int eval_with_llm(const struct llm_options *lo, const struct string_list *api_models,
			 const char *judge, const struct eval_record *recs, long nrecs,
			 struct eval_result *res, size_t nlocal, size_t *nmodels)
{
	struct command cmd;
	long failed = 0, unjudged = 0;
	int rc = 0;
	if (command_begin(&cmd, "eval", COMMAND_CREATE))
		return -1;
	for (size_t i = 0; i < api_models->nr && !rc; i++, (*nmodels)++) {
		rc = eval_api_answers(&cmd, lo, api_models->items[i], recs, nrecs, &res[nlocal + i]);
		failed += res[nlocal + i].failed;
	}
	if (!rc && judge)
		rc = eval_judge(&cmd, lo, judge, recs, nrecs, res, *nmodels);
	for (size_t i = 1; judge && i < *nmodels; i++)
		unjudged += res[i].unjudged;
	if (failed)
		warning("%ld answers from the platform did not come (see the messages above); they are "
			"empty and score 0", failed);
	if (unjudged)
		warning("the judge gave no readable verdict for %ld answers; the win rates leave them out",
			unjudged);
	return command_end(&cmd, rc ? EXIT_FAILURE_ : EXIT_OK, "eval: %zu answers from the platform, "
			   "%ld failed", api_models->nr * (size_t)nrecs, failed) ? -1 : 0;
}

/* --answers-out: one JSON line per model and record. */
static int write_answers(const char *path, const struct eval_result *res, size_t n, long nrecs)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;
	for (size_t m = 0; m < n; m++)
		for (long i = 0; i < nrecs; i++) {
			strbuf_addstr(&sb, "{\"model\": ");
			json_write_string(&sb, res[m].model, strlen(res[m].model));
			strbuf_addf(&sb, ", \"index\": %ld, \"answer\": ", i);
			json_write_string(&sb, res[m].answers[i], strlen(res[m].answers[i]));
			strbuf_addstr(&sb, "}\n");
		}
	rc = write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}

static void free_records(struct eval_record *recs, long n)
{
	for (long i = 0; i < n; i++) {
		free(recs[i].system);
		free(recs[i].instruction);
		free(recs[i].input);
		free(recs[i].output);
		free(recs[i].history);
	}
	free(recs);
}

int cmd_eval(int argc, char **argv)
{
	struct string_list bases = STRING_LIST_INIT, api_models = STRING_LIST_INIT;
	const char *adapter = NULL, *data = NULL, *answers_out = NULL, *report = NULL, *judge = NULL;
	const char *quant_opt = NULL;
	struct llm_options lo;
	struct eval_opts o = { "auto", 2048, 256, 0, QUANT_NONE };
	int as_json = 0, rc = EXIT_OK;
	struct option opts[] = {
		OPT_LIST('b', "base", &bases, "DIR", "a Hugging Face model folder (repeat to compare)"),
		OPT_STRING(0, "adapter", &adapter, "DIR", "a PEFT adapter (LoRA, prompt tuning or P-tuning; winnow train's --out) "
			   "applied to each --base"),
		OPT_STRING('d', "data", &data, "FILE", "Alpaca JSON or JSON Lines test records"),
		OPT_CHOICE(0, "template", &o.template_opt, "auto|alpaca|chatml|llama3|llama2",
			   "prompt template (default auto: from the tokenizer's chat template)"),
		OPT_INT(0, "cutoff-len", &o.cutoff, "N", 2, 1 << 20,
			"cut records to N tokens (default 2048)"),
		OPT_FLAG(0, "generate", &o.generate, "also answer every record (greedy) and score the "
			 "answers against the references: ROUGE-L F1 and exact match"),
		OPT_INT(0, "max-new-tokens", &o.max_new, "N", 1, 1 << 20, "longest answer with --generate "
			"(default 256)"),
		OPT_STRING(0, "answers-out", &answers_out, "FILE", "write the answers as JSON Lines "
			   "{model, index, answer} (with --generate)"),
		OPT_STRING(0, "report", &report, "FILE.html", "write a self-contained HTML page: scores, "
			   "bar charts, answers side by side (with --generate)"),
		OPT_FLAG(0, "json", &as_json, "print a JSON array instead of a table"),
		OPT_LIST(0, "api-model", &api_models, "NAME", "also a candidate: this model on the LLM "
			 "platform (--provider/--base-url; repeatable; --model adds one too), with --generate"),
		OPT_STRING(0, "judge", &judge, "MODEL", "with --generate: this model on the LLM platform "
			   "compares each candidate's answers with the first candidate's; prints win rates"),
		LLM_OPTIONS(&lo),
		OPT_CHOICE(0, "quant", &quant_opt, "nf4|q8|q4", QUANT_OPTION_HELP),
		OPT_END(),
	};
	struct eval_record *recs = NULL;
	struct eval_result *res;
	size_t nmodels;
	long nrecs;

	llm_options_init(&lo);
	argc = parse_options(argc, argv, opts, &eval_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (lo.model)
		string_list_append(&api_models, lo.model);
	if (argc || !bases.nr || !data || ((answers_out || report || judge || api_models.nr) && !o.generate)) {
		string_list_clear(&bases);
		string_list_clear(&api_models);
		return argc ? usage_error(&eval_help, "unexpected argument '%s'", argv[0])
			    : bases.nr && data ? usage_error(&eval_help, "--answers-out, --report, --judge "
							   "and --api-model need --generate")
			    : usage_error(&eval_help, "eval needs at least one --base and --data");
	}
	if (quant_option(quant_opt, &o.quant)) {
		string_list_clear(&bases);
		string_list_clear(&api_models);
		return EXIT_USAGE;
	}
	nrecs = read_records(data, &recs);
	if (nrecs < 0) {
		string_list_clear(&bases);
		return EXIT_DATAERR;
	}
	res = xcalloc(bases.nr + api_models.nr, sizeof(*res));
	nmodels = bases.nr;
	for (size_t i = 0; i < bases.nr && rc == EXIT_OK; i++)
		if (eval_model(bases.items[i], adapter, &o, recs, nrecs, &res[i]))
			rc = EXIT_FAILURE_;
	if (rc == EXIT_OK && (api_models.nr || judge) &&
	    eval_with_llm(&lo, &api_models, judge, recs, nrecs, res, bases.nr, &nmodels))
		rc = EXIT_FAILURE_;
	if (rc == EXIT_OK && as_json)
		print_json(res, nmodels, o.generate, judge != NULL);
	else if (rc == EXIT_OK)
		print_table(res, nmodels, o.generate, judge != NULL);
	for (size_t i = 0; rc == EXIT_OK && i < bases.nr; i++) {
		if (res[i].cut)
			warning("%s: %ld records were longer than --cutoff-len %ld and were cut; their loss "
				"covers only the tokens kept", res[i].model, res[i].cut, o.cutoff);
		if (res[i].too_long)
			warning("%s: %ld prompts left no room to answer within --cutoff-len %ld; their "
				"answers are empty and score 0", res[i].model, res[i].too_long, o.cutoff);
	}
	if (rc == EXIT_OK && answers_out && write_answers(answers_out, res, nmodels, nrecs))
		rc = EXIT_FAILURE_;
	if (rc == EXIT_OK && report && eval_write_report(report, res, nmodels, recs, nrecs))
		rc = EXIT_FAILURE_;
	if (rc == EXIT_OK)
		fprintf(stderr, "eval: %ld records, %zu model%s\n", nrecs, nmodels, nmodels == 1 ? "" : "s");
	for (size_t i = 0; i < nmodels; i++) {
		for (long k = 0; res[i].answers && k < nrecs; k++)
			free(res[i].answers[k]);
		free(res[i].answers);
	}
	free_records(recs, nrecs);
	free(res);
	string_list_clear(&bases);
	string_list_clear(&api_models);
	return rc;
}
