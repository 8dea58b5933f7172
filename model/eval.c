/*
 * eval.c - `winnow eval`: how well each candidate base model predicts the
 * responses of an Alpaca test file. Records are encoded exactly as training
 * will encode them (template.h), and the loss is the mean next-token
 * cross-entropy over every response token of the file, end tokens included;
 * perplexity is its exponential. One row per --base, so models can be
 * compared on the user's own data before choosing one to fine-tune.
 */
#define _POSIX_C_SOURCE 200809L
#include "lora.h"
#include "model.h"
#include "template.h"
#include "tokenizer.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGIT_ROWS 16	/* positions whose logits are held at once */

static const struct command_help eval_help = {
	"winnow eval --base DIR [--base DIR2 ...] --data FILE [options]",
	"Mean loss and perplexity of base models on an Alpaca test file.",
	"Each record is encoded with the model's prompt template (--template, detected\n"
	"from tokenizer_config.json by default) exactly as training encodes it; the loss\n"
	"is the mean cross-entropy over all response tokens of the file, each response's\n"
	"end token included, and perplexity = exp(loss). Lower is better. Records longer\n"
	"than --cutoff-len tokens are cut, as training cuts them.",
	"winnow eval --base models/qwen2.5-0.5b --base models/smollm2-360m --data test.json\n"
	"winnow eval --base models/tiny --data test.json --json"
};

struct eval_record {
	char *system, *instruction, *input, *output, *history;
};

struct eval_result {
	char model[512];	/* the base folder, and " + ADAPTER" when one was applied */
	const char *template;
	long records, tokens, cut;
	double loss;
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
		for (long i = 0; i < n; i++) {
			free(recs[i].system);
			free(recs[i].instruction);
			free(recs[i].input);
			free(recs[i].output);
			free(recs[i].history);
		}
		free(recs);
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

static int eval_model(const char *dir, const char *adapter, const char *template_opt, long cutoff,
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
	m = model_load(dir, (int)cutoff);
	if (!m || tokenizer_fits_model(tok, m, dir))
		goto cleanup;
	if (adapter && lora_apply(m, adapter))
		goto cleanup;
	kind = template_from_name(template_opt);
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
		progress_update(&progress, (uint64_t)i + 1);
	}
	progress_finish(&progress);
	if (!res->tokens) {
		error("no response tokens to score in the data (all cut by --cutoff-len %ld?)", cutoff);
		goto cleanup;
	}
	res->loss = nll / (double)res->tokens;
	rc = 0;
cleanup:
	free(hidden);
	free(logits);
	kv_cache_free(&cache);
	model_free(m);
	tokenizer_free(tok);
	return rc;
}

int cmd_eval(int argc, char **argv)
{
	struct string_list bases = STRING_LIST_INIT;
	const char *adapter = NULL, *data = NULL, *template_opt = "auto";
	long cutoff = 2048;
	int as_json = 0, rc = EXIT_OK;
	struct option opts[] = {
		OPT_LIST('b', "base", &bases, "DIR", "a Hugging Face model folder (repeat to compare)"),
		OPT_STRING(0, "adapter", &adapter, "DIR", "a PEFT LoRA adapter (winnow train's --out) "
			   "applied to each --base"),
		OPT_STRING('d', "data", &data, "FILE", "Alpaca JSON or JSON Lines test records"),
		OPT_CHOICE(0, "template", &template_opt, "auto|alpaca|chatml|llama3|llama2",
			   "prompt template (default auto: from the tokenizer's chat template)"),
		OPT_INT(0, "cutoff-len", &cutoff, "N", 2, 1 << 20,
			"cut records to N tokens (default 2048)"),
		OPT_FLAG(0, "json", &as_json, "print a JSON array instead of a table"),
		OPT_END(),
	};
	struct eval_record *recs = NULL;
	struct eval_result *res;
	long nrecs;

	argc = parse_options(argc, argv, opts, &eval_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&eval_help, "unexpected argument '%s'", argv[0]);
	if (!bases.nr || !data) {
		string_list_clear(&bases);
		return usage_error(&eval_help, "eval needs at least one --base and --data");
	}
	nrecs = read_records(data, &recs);
	if (nrecs < 0) {
		string_list_clear(&bases);
		return EXIT_DATAERR;
	}
	res = xcalloc(bases.nr, sizeof(*res));
	for (size_t i = 0; i < bases.nr && rc == EXIT_OK; i++)
		if (eval_model(bases.items[i], adapter, template_opt, cutoff, recs, nrecs, &res[i]))
			rc = EXIT_FAILURE_;
	if (rc == EXIT_OK && as_json) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, "[");
		for (size_t i = 0; i < bases.nr; i++) {
			strbuf_addstr(&sb, i ? ",\n {\"model\": " : "{\"model\": ");
			json_write_string(&sb, res[i].model, strlen(res[i].model));
			strbuf_addf(&sb, ", \"template\": \"%s\", \"records\": %ld, \"tokens\": %ld, "
				    "\"cut\": %ld, \"loss\": %.6f, \"perplexity\": %.6g}", res[i].template,
				    res[i].records, res[i].tokens, res[i].cut, res[i].loss, exp(res[i].loss));
		}
		strbuf_addstr(&sb, "]\n");
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
	} else if (rc == EXIT_OK) {
		printf("%-32s %-8s %8s %9s %9s %12s\n", "model", "template", "records", "tokens", "loss",
		       "perplexity");
		for (size_t i = 0; i < bases.nr; i++)
			printf("%-32s %-8s %8ld %9ld %9.4f %12.4g\n", res[i].model, res[i].template,
			       res[i].records, res[i].tokens, res[i].loss, exp(res[i].loss));
	}
	for (size_t i = 0; rc == EXIT_OK && i < bases.nr; i++)
		if (res[i].cut)
			warning("%s: %ld records were longer than --cutoff-len %ld and were cut",
				res[i].model, res[i].cut, cutoff);
	if (rc == EXIT_OK)
		fprintf(stderr, "eval: %ld records, %zu model%s\n", nrecs, bases.nr,
			bases.nr == 1 ? "" : "s");
	for (long i = 0; i < nrecs; i++) {
		free(recs[i].system);
		free(recs[i].instruction);
		free(recs[i].input);
		free(recs[i].output);
		free(recs[i].history);
	}
	free(recs);
	free(res);
	string_list_clear(&bases);
	return rc;
}
