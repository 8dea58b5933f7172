/*
 * train_cmd.c - `winnow train`: LoRA (or --full) fine-tuning on the CPU.
 *
 * The loop, and what must stay true of it:
 *  1. An optimizer step is up to --grad-accum batches of one epoch; the
 *     loss is the summed token NLL of all of them divided by their labelled
 *     tokens, so accumulation gives the same update as one big batch.
 *  2. The state after step s is a function of the options and s alone
 *     (train.h invariant 3): --resume from a checkpoint at step s and an
 *     uninterrupted run log the same losses and end with the same weights.
 *  3. Files in OUT are replaced atomically (temporary file + rename), so a
 *     kill never leaves a half-written adapter, chart or checkpoint.
 *  4. SIGINT finishes the current step, writes a checkpoint and exits 75.
 */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "../model/prompt_adapter.h"
#include "../model/template.h"
#include "../model/tokenizer.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/strbuf.h"
#include "../lib/file.h"
#include "../lib/util.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct command_help train_help = {
	"winnow train --base DIR --data FILE --out DIR [options]",
	"Fine-tune a model on the CPU with LoRA (or every weight with --full).",
	"Trains on Alpaca records (JSON array or JSON Lines; the export of winnow\n"
	"export) encoded with the model's prompt template: the loss counts response\n"
	"tokens only. With --text the data is plain documents ({\"text\": ...} per item,\n"
	"or the corpus documents table when --data is left out) for causal LM.\n"
	"\n"
	"OUT receives adapter_config.json + adapter_model.safetensors (PEFT's format;\n"
	"with --full, a whole model), train_log.jsonl (one line per step), loss.svg\n"
	"(train and validation curves) and checkpoint/ (every --save-steps and at the\n"
	"end). --resume continues from checkpoint/ exactly as if the run had not\n"
	"stopped; Ctrl-C writes a checkpoint first. Memory and time are estimated\n"
	"before training starts, and training is refused when memory is short.",
	"winnow train --base models/qwen2.5-0.5b --data train.json --val-split 0.05 --out out/lora\n"
	"winnow train --base models/tiny --data train.json --out out/r16 --rank 16 --alpha 32 --pack\n"
	"winnow train --base models/tiny --text --data docs.jsonl --full --out out/pretrained\n"
	"winnow train --base models/tiny --data train.json --out out/lora --resume"
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct train_opts {
	const char *base, *data, *val, *out, *template_name, *targets, *schedule, *quant, *method;
	double val_split, alpha, dropout, lr, weight_decay, max_grad_norm;
	long rank, epochs, max_steps, batch, accum, seq, warmup, seed, eval_steps, save_steps, vtokens;
	int rslora, full, text, pack, resume, checkpointing;
};


/* sgemm throughput of this machine now, in FLOP/s, from a short measurement. */
static double measure_flops(void)
{
	int n = 384;
	float *a = xcalloc((size_t)n * n, sizeof(float)), *b = xcalloc((size_t)n * n, sizeof(float));
	float *c = xcalloc((size_t)n * n, sizeof(float));
	double t0, t;
	int reps = 0;
	for (int i = 0; i < n * n; i++)
		a[i] = b[i] = (float)(i % 7) * 0.1f;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
	t0 = now_seconds();
	do {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
		reps++;
		t = now_seconds() - t0;
	} while (t < 0.05);
	free(a);
	free(b);
	free(c);
	return 2.0 * n * n * (double)n * reps / t;
}

static void human_duration(char *buf, size_t size, double s)
{
	if (s < 90)
		snprintf(buf, size, "%.0f s", s);
	else if (s < 5400)
		snprintf(buf, size, "%.0f min", s / 60);
	else
		snprintf(buf, size, "%.1f h", s / 3600);
}

/* Options that must be the same for --resume to continue the same run. */
static char *options_json(const struct train_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"data\": ");
	json_write_string(&sb, o->data ? o->data : "", o->data ? strlen(o->data) : 0);
	strbuf_addf(&sb, ", \"template\": \"%s\", \"targets\": \"%s\", \"rank\": %ld, "
			 "\"alpha\": %.17g, \"dropout\": %.17g, \"rslora\": %d, \"full\": %d, "
			 "\"text\": %d, \"epochs\": %ld, \"max-steps\": %ld, \"batch\": %ld, "
			 "\"grad-accum\": %ld, \"seq\": %ld, \"lr\": %.17g, \"schedule\": \"%s\", "
			 "\"warmup\": %ld, \"weight-decay\": %.17g, \"max-grad-norm\": %.17g, "
			 "\"seed\": %ld, \"pack\": %d, \"val-split\": %.17g, \"quant\": \"%s\", "
			 "\"method\": \"%s\", \"virtual-tokens\": %ld}",
		    o->template_name, o->targets, o->rank, o->alpha, o->dropout, o->rslora, o->full,
		    o->text, o->epochs, o->max_steps, o->batch, o->accum, o->seq, o->lr, o->schedule,
		    o->warmup, o->weight_decay, o->max_grad_norm, o->seed, o->pack, o->val_split,
		    o->quant ? o->quant : "none", o->method, o->vtokens);
	return strbuf_detach(&sb, NULL);
}

/* Mean NLL per labelled token of a dataset, in batches, no dropout. */
static double validation_loss(struct train_model *tm, const struct train_dataset *val, int batch,
			      int seq)
{
	struct epoch_plan p;
	struct train_batch b = { 0 };
	double nll = 0;
	long count = 0;
	epoch_plan_make(&p, val, 0, 0, 0, seq, batch, 0);
	for (long i = 0; i < p.nbatches; i++) {
		double r;
		epoch_plan_batch(&p, val, i, batch, &b);
		r = train_forward_backward(tm, &b, 0, 0, 0);
		if (isnan(r)) {
			nll = NAN;
			break;
		}
		nll += r;
		count += b.ntargets;
	}
	train_batch_release(&b);
	epoch_plan_free(&p);
	return count ? nll / (double)count : NAN;
}

/* Keeps the lines of the log up to step (a resumed run rewrites what follows). */
static int trim_log(const char *path, long step, struct loss_point **train, size_t *ntrain,
		    struct loss_point **val, size_t *nval)
{
	FILE *fp = fopen(path, "r");
	struct strbuf keep = STRBUF_INIT;
	char line[4096];
	int rc;
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		long s = o ? (long)json_integer_value(json_object_get(o, "step")) : -1;
		if (o && s <= step) {
			strbuf_addstr(&keep, line);
			if (json_is_number(json_object_get(o, "loss"))) {
				*train = xrealloc(*train, (*ntrain + 1) * sizeof(**train));
				(*train)[*ntrain].step = s;
				(*train)[(*ntrain)++].loss = json_number_value(json_object_get(o, "loss"));
			}
			if (json_is_number(json_object_get(o, "val_loss"))) {
				*val = xrealloc(*val, (*nval + 1) * sizeof(**val));
				(*val)[*nval].step = s;
				(*val)[(*nval)++].loss = json_number_value(json_object_get(o, "val_loss"));
			}
		}
		json_decref(o);
	}
	fclose(fp);
	rc = write_file_atomic(path, keep.buf, keep.len);
	strbuf_release(&keep);
	return rc;
}

static int save_outputs(const struct train_opts *o, const struct train_model *tm)
{
	if (tm->full)
		return train_save_full(tm, o->base, o->out);
	if (tm->prompt_method)
		return prompt_model_save((struct train_model *)tm, o->out, o->base);
	return lora_save(&tm->lora, o->out, o->base);
}

static long env_long(const char *name)
{
	const char *v = getenv(name);
	long n;
	return v && !parse_long(v, 0, 1L << 40, &n) ? n : -1;
}

static int run_training(struct train_opts *o)
{
	struct tokenizer *tok = NULL;
	struct model *m = NULL;
	struct train_model tm;
	struct train_dataset ds = { 0 }, val = { 0 };
	struct adamw opt = { 0 };
	struct epoch_plan *plans = NULL;
	struct train_batch *micro = NULL;
	struct train_state st = { 0 };
	struct loss_point *tpts = NULL, *vpts = NULL;
	size_t ntp = 0, nvp = 0;
	struct lora_config lc = { 0 };
	enum quant_type quant;
	struct progress prog;
	char title[160], *log_path = NULL, *svg_path = NULL;
	FILE *log = NULL;
	long total_steps = 0, *steps_in_epoch;
	int kind = TEMPLATE_ALPACA, rc = EXIT_FAILURE_, tm_ready = 0;
	enum lr_schedule sched = !strcmp(o->schedule, "linear") ? SCHEDULE_LINEAR :
				 !strcmp(o->schedule, "constant") ? SCHEDULE_CONSTANT : SCHEDULE_COSINE;
	long kill_at = env_long("WINNOW_TRAIN_KILL_AT"), sigint_at = env_long("WINNOW_TRAIN_SIGINT_AT");
	double t_start;

	if (!o->full && lora_parse_targets(o->targets, &lc.targets))
		return EXIT_USAGE;
	lc.rank = (int)o->rank;
	lc.alpha = o->alpha;
	lc.dropout = o->dropout;
	lc.rslora = o->rslora;

	tok = tokenizer_load(o->base);
	if (!tok)
		return EXIT_FAILURE_;
	kind = template_from_name(o->template_name);
	if (kind == TEMPLATE_AUTO)
		kind = template_detect(tok);

	/* data */
	if (o->text ? train_data_load_text(&ds, o->data, corpus_path(), tok, (int)o->seq)
		    : train_data_load_alpaca(&ds, o->data, tok, kind, (int)o->seq)) {
		rc = EXIT_DATAERR;
		goto cleanup;
	}
	if (o->val) {
		if (o->text ? train_data_load_text(&val, o->val, NULL, tok, (int)o->seq)
			    : train_data_load_alpaca(&val, o->val, tok, kind, (int)o->seq)) {
			rc = EXIT_DATAERR;
			goto cleanup;
		}
	} else if (o->val_split > 0) {
		if (ds.n < 2) {
			error("--val-split needs at least 2 examples; '%s' has %ld", o->data ? o->data : "the corpus", ds.n);
			rc = EXIT_DATAERR;
			goto cleanup;
		}
		train_data_split(&ds, &val, o->val_split, (uint64_t)o->seed);
	}
	if (ds.truncated)
		warning("%ld example%s longer than --seq %ld tokens were cut (raise --seq to keep them whole)",
			ds.truncated, ds.truncated == 1 ? " was" : "s", o->seq);
	if (ds.skipped)
		warning("%ld example%s had no response tokens left after cutting and %s skipped",
			ds.skipped, ds.skipped == 1 ? "" : "s", ds.skipped == 1 ? "was" : "were");

	/* model */
	if (quant_option(o->quant, &quant))
		goto cleanup;
	m = model_load_quant(o->base, (int)o->seq, quant);
	if (!m || tokenizer_fits_model(tok, m, o->base))
		goto cleanup;
	if (strcmp(o->method, "lora") ? prompt_model_init(&tm, m, !strcmp(o->method, "p-tuning") ?
					 P_TUNING : PROMPT_TUNING, (int)o->vtokens, (uint64_t)o->seed)
				       : train_model_init(&tm, m, o->full, &lc, (uint64_t)o->seed))
		goto cleanup;
	tm_ready = 1;
	tm.checkpointing = o->checkpointing;

	/* plan */
	plans = xcalloc((size_t)o->epochs, sizeof(*plans));
	steps_in_epoch = xcalloc((size_t)o->epochs, sizeof(long));
	for (int e = 0; e < o->epochs; e++) {
		epoch_plan_make(&plans[e], &ds, (uint64_t)o->seed, e, o->pack, (int)o->seq, (int)o->batch, 1);
		steps_in_epoch[e] = (plans[e].nbatches + o->accum - 1) / o->accum;
		total_steps += steps_in_epoch[e];
	}
	free(steps_in_epoch);
	if (o->max_steps > 0 && o->max_steps < total_steps)
		total_steps = o->max_steps;

	/* estimate */
	{
		size_t rows = (size_t)o->batch * (size_t)o->seq, have = mem_available();
		size_t need = m->weight_bytes + tm.nparams * sizeof(float) * 4 +
			      train_activation_bytes(&tm, (int)rows, (int)o->seq) +
			      weight_scratch_floats() * sizeof(float);
		const struct model_config *c = &m->cfg;
		double per_layer = 2.0 * c->hidden * (c->heads + 2.0 * c->kv_heads) * c->head_dim +
				   2.0 * c->heads * c->head_dim * c->hidden +
				   6.0 * c->hidden * c->intermediate;
		double flops_tok = (o->full ? 3.0 : 2.0) * per_layer * c->layers +
				   (o->full ? 3.0 : 2.0) * 2.0 * c->hidden * c->vocab * ds.targets /
					   (double)(ds.tokens ? ds.tokens : 1);
		double rate = measure_flops() * 0.5;	/* training reaches about half of sgemm */
		double epoch_s = flops_tok * (double)ds.tokens / rate;
		char dur[32];
		human_duration(dur, sizeof(dur), epoch_s);
		char vbuf[64] = "", what[64];
		if (val.n)
			snprintf(vbuf, sizeof(vbuf), ", %ld for validation", val.n);
		if (o->full)
			snprintf(what, sizeof(what), "every weight");
		else
			snprintf(what, sizeof(what), "LoRA r=%d on %s", lc.rank, o->targets);
		fprintf(stderr, "train: %ld examples (%ld tokens, %ld to learn)%s; training %s\n",
			ds.n, ds.tokens, ds.targets, vbuf, what);
		fprintf(stderr, "train: %zu trainable parameters; about %zu MiB of memory; about %s per "
			"epoch, %ld steps in all\n", tm.nparams, need >> 20, dur, total_steps);
		if (have && need > have) {
			error("training needs about %zu MiB (weights %zu MiB, activations for a batch of "
			      "%ld x %ld tokens %zu MiB) but only %zu MiB of memory is available; try "
			      "--checkpointing, a smaller --batch or --seq, or close other programs",
			      need >> 20, m->weight_bytes >> 20, o->batch, o->seq,
			      train_activation_bytes(&tm, (int)rows, (int)o->seq) >> 20, have >> 20);
			goto cleanup;
		}
	}

	if (mkdir(o->out, 0777) && errno != EEXIST) {
		error("cannot create '%s': %s", o->out, strerror(errno));
		goto cleanup;
	}
	adamw_init(&opt, tm.nparams, o->lr, o->weight_decay);
	st.options = options_json(o);
	log_path = xstrfmt("%s/train_log.jsonl", o->out);
	svg_path = xstrfmt("%s/loss.svg", o->out);
	if (o->resume) {
		if (checkpoint_load(o->out, &tm, &opt, &st))
			goto cleanup;
		if (trim_log(log_path, st.step, &tpts, &ntp, &vpts, &nvp))
			goto cleanup;
		fprintf(stderr, "train: resuming at step %ld of %ld\n", st.step, total_steps);
	}
	log = fopen(log_path, o->resume ? "a" : "w");
	if (!log) {
		error("cannot write '%s': %s", log_path, strerror(errno));
		goto cleanup;
	}

	micro = xcalloc((size_t)o->accum, sizeof(*micro));
	interrupted = 0;
	signal(SIGINT, on_sigint);
	progress_start(&prog, "train", (uint64_t)total_steps, "steps");
	prog.title = title;
	snprintf(title, sizeof(title), "train");
	t_start = now_seconds() - st.seconds;
	while (st.step < total_steps && st.epoch < o->epochs) {
		struct epoch_plan *p = &plans[st.epoch];
		long nm = 0, targets = 0, tokens = 0;
		double nll = 0, norm, lr, t0 = now_seconds(), loss;
		memset(tm.grads, 0, tm.nparams * sizeof(float));
		while (nm < o->accum && st.batch < p->nbatches) {
			epoch_plan_batch(p, &ds, st.batch++, (int)o->batch, &micro[nm]);
			targets += micro[nm].ntargets;
			tokens += micro[nm].n;
			nm++;
		}
		for (long i = 0; i < nm; i++) {
			double r = targets ? train_forward_backward(&tm, &micro[i], 1,
								    (uint64_t)st.step * o->accum + i,
								    1.0f / (float)targets) : 0;
			if (isnan(r))
				goto cleanup;
			nll += r;
		}
		norm = clip_grad_norm(tm.grads, tm.nparams, o->max_grad_norm);
		lr = lr_at(sched, o->lr, st.step, o->warmup, total_steps);
		adamw_step(&opt, tm.params, tm.grads, tm.groups, tm.ngroups, lr);
		st.step++;
		st.tokens += tokens;
		loss = targets ? nll / (double)targets : 0;
		if (st.batch >= p->nbatches) {
			st.epoch++;
			st.batch = 0;
		}
		{
			double now = now_seconds(), dt = now - t0;
			double epoch_f = st.epoch + (st.epoch < o->epochs ?
				(double)st.batch / (double)plans[st.epoch].nbatches : 0);
			st.seconds = now - t_start;
			fprintf(log, "{\"step\": %ld, \"epoch\": %.4f, \"loss\": %.6f, \"lr\": %.6g, "
				     "\"grad_norm\": %.6g, \"tokens\": %ld, \"tokens_per_s\": %.1f, "
				     "\"seconds\": %.3f}\n", st.step, epoch_f, loss, lr, norm, tokens,
				dt > 0 ? tokens / dt : 0, st.seconds);
			fflush(log);
			tpts = xrealloc(tpts, (ntp + 1) * sizeof(*tpts));
			tpts[ntp].step = st.step;
			tpts[ntp++].loss = loss;
			snprintf(title, sizeof(title), "train epoch %.2f loss %.4f %.0f tok/s", epoch_f,
				 loss, st.seconds > 0 ? st.tokens / st.seconds : 0);
		}
		if (val.n && (st.step % o->eval_steps == 0 || st.step == total_steps)) {
			double vl = validation_loss(&tm, &val, (int)o->batch, (int)o->seq);
			fprintf(log, "{\"step\": %ld, \"val_loss\": %.6f}\n", st.step, vl);
			fflush(log);
			vpts = xrealloc(vpts, (nvp + 1) * sizeof(*vpts));
			vpts[nvp].step = st.step;
			vpts[nvp++].loss = vl;
		}
		if (st.step % o->eval_steps == 0 || st.step == total_steps)
			loss_svg_write(svg_path, tpts, ntp, vpts, nvp);
		progress_update(&prog, (uint64_t)st.step);
		if (sigint_at >= 0 && st.step == sigint_at)
			raise(SIGINT);
		if (interrupted || st.step % o->save_steps == 0 || st.step == total_steps) {
			if (checkpoint_save(o->out, &tm, &opt, &st))
				goto cleanup;
		}
		if (interrupted) {
			progress_finish(&prog);
			loss_svg_write(svg_path, tpts, ntp, vpts, nvp);
			fprintf(stderr, "train: interrupted after step %ld of %ld; checkpoint written to "
				"%s/checkpoint; continue with the same command and --resume\n", st.step,
				total_steps, o->out);
			rc = EXIT_TEMPFAIL;
			goto cleanup;
		}
		if (kill_at >= 0 && st.step == kill_at)
			raise(SIGKILL);	/* tests: a crash between checkpoints */
	}
	progress_finish(&prog);
	loss_svg_write(svg_path, tpts, ntp, vpts, nvp);
	if (save_outputs(o, &tm))
		goto cleanup;
	{
		char vbuf[64] = "";
		if (nvp)
			snprintf(vbuf, sizeof(vbuf), ", validation %.4f", vpts[nvp - 1].loss);
		fprintf(stderr, "train: %ld steps, %ld tokens in %.1f s (%.0f tokens/s); final loss "
			"%.4f%s; %s written to %s\n", st.step, st.tokens, st.seconds,
			st.seconds > 0 ? st.tokens / st.seconds : 0, ntp ? tpts[ntp - 1].loss : 0.0, vbuf,
			o->full ? "model" : "adapter", o->out);
	}
	rc = EXIT_OK;
cleanup:
	signal(SIGINT, SIG_DFL);
	if (log)
		fclose(log);
	for (long i = 0; micro && i < o->accum; i++)
		train_batch_release(&micro[i]);
	free(micro);
	for (int e = 0; plans && e < o->epochs; e++)
		epoch_plan_free(&plans[e]);
	free(plans);
	free(tpts);
	free(vpts);
	free(st.options);
	free(log_path);
	free(svg_path);
	adamw_free(&opt);
	if (tm_ready)
		train_model_free(&tm);
	model_free(m);
	train_dataset_release(&ds);
	train_dataset_release(&val);
	tokenizer_free(tok);
	return rc;
}

int cmd_train(int argc, char **argv)
{
	struct train_opts o = { 0 };
	struct option opts[] = {
		OPT_STRING('b', "base", &o.base, "DIR", "the Hugging Face model folder to fine-tune"),
		OPT_STRING('d', "data", &o.data, "FILE", "training data: Alpaca JSON / JSON Lines (with --text: {\"text\"} items)"),
		OPT_STRING(0, "val", &o.val, "FILE", "validation data in the same format"),
		OPT_DOUBLE(0, "val-split", &o.val_split, "F", 0, 0.5, "hold out this fraction of --data for validation"),
		OPT_STRING('o', "out", &o.out, "DIR", "where the adapter, log, loss.svg and checkpoint go"),
		OPT_CHOICE(0, "template", &o.template_name, "auto|alpaca|chatml|llama3|llama2",
			   "prompt template (default auto: from the tokenizer's chat template)"),
		OPT_STRING(0, "targets", &o.targets, "LIST", "projections to adapt (default all: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)"),
		OPT_INT('r', "rank", &o.rank, "N", 1, 4096, "LoRA rank r (default 8)"),
		OPT_DOUBLE(0, "alpha", &o.alpha, "A", 1e-6, 1e6, "LoRA alpha; scale = alpha/r (default 16)"),
		OPT_DOUBLE(0, "dropout", &o.dropout, "P", 0, 0.9, "dropout on the LoRA input (default 0.05)"),
		OPT_FLAG(0, "rslora", &o.rslora, "scale by alpha/sqrt(r) (rank-stabilised LoRA)"),
		OPT_FLAG(0, "full", &o.full, "train every weight instead of LoRA (small models)"),
		OPT_CHOICE(0, "method", &o.method, "lora|prompt-tuning|p-tuning", "what to train "
			   "(default lora): prompt-tuning learns --virtual-tokens embeddings put before every "
			   "example; p-tuning learns them through PEFT's MLP prompt encoder. Both save a PEFT "
			   "adapter (PROMPT_TUNING / P_TUNING) that eval and chat load"),
		OPT_INT(0, "virtual-tokens", &o.vtokens, "N", 1, 4096, "virtual tokens of prompt-tuning / p-tuning (default 20)"),
		OPT_CHOICE(0, "quant", &o.quant, "nf4|q8|q4", QUANT_OPTION_HELP "; LoRA trains on top (QLoRA)"),
		OPT_FLAG(0, "text", &o.text, "plain causal LM on documents instead of Alpaca records"),
		OPT_INT(0, "epochs", &o.epochs, "N", 1, 100000, "passes over the data (default 3)"),
		OPT_INT(0, "max-steps", &o.max_steps, "N", 0, 1L << 40, "stop after N optimizer steps"),
		OPT_INT(0, "batch", &o.batch, "N", 1, 1 << 16, "sequences per batch (default 4)"),
		OPT_INT(0, "grad-accum", &o.accum, "N", 1, 1 << 16, "batches per optimizer step (default 1)"),
		OPT_INT(0, "seq", &o.seq, "N", 2, 1 << 20, "longest sequence in tokens; longer examples are cut (default 1024)"),
		OPT_DOUBLE(0, "lr", &o.lr, "LR", 0, 10, "peak learning rate (default 2e-4; 1e-3 with --full or p-tuning, 3e-2 with prompt-tuning)"),
		OPT_CHOICE(0, "schedule", &o.schedule, "cosine|linear|constant", "learning-rate schedule after warmup (default cosine)"),
		OPT_INT(0, "warmup", &o.warmup, "STEPS", 0, 1L << 40, "linear warmup steps (default 0)"),
		OPT_DOUBLE(0, "weight-decay", &o.weight_decay, "W", 0, 10, "AdamW weight decay (default 0)"),
		OPT_DOUBLE(0, "max-grad-norm", &o.max_grad_norm, "N", 0, 1e9, "clip the gradient norm (default 1; 0 = off)"),
		OPT_INT(0, "seed", &o.seed, "N", 0, 1L << 40, "seed for LoRA init, data order and dropout (default 42)"),
		OPT_FLAG(0, "pack", &o.pack, "pack several examples per sequence (attention stays inside each)"),
		OPT_INT(0, "eval-steps", &o.eval_steps, "N", 1, 1L << 40, "validation loss and loss.svg every N steps (default 50)"),
		OPT_INT(0, "save-steps", &o.save_steps, "N", 1, 1L << 40, "checkpoint every N steps (default 100)"),
		OPT_FLAG(0, "resume", &o.resume, "continue from OUT/checkpoint"),
		OPT_FLAG(0, "checkpointing", &o.checkpointing, "recompute activations in the backward pass (less memory, ~30% slower)"),
		OPT_END(),
	};
	o.template_name = "auto";
	o.method = "lora";
	o.vtokens = 20;
	o.targets = "all";
	o.schedule = "cosine";
	o.rank = 8;
	o.alpha = 16;
	o.dropout = 0.05;
	o.epochs = 3;
	o.batch = 4;
	o.accum = 1;
	o.seq = 1024;
	o.lr = -1;
	o.max_grad_norm = 1.0;
	o.seed = 42;
	o.eval_steps = 50;
	o.save_steps = 100;

	argc = parse_options(argc, argv, opts, &train_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&train_help, "unexpected argument '%s'", argv[0]);
	if (!o.base || !o.out)
		return usage_error(&train_help, "train needs --base and --out");
	if (!o.data && !o.text)
		return usage_error(&train_help, "train needs --data (or --text to train on the corpus documents)");
	if (o.val && o.val_split > 0)
		return usage_error(&train_help, "use either --val or --val-split, not both");
	if (o.full && o.quant)
		return usage_error(&train_help, "--quant freezes the base in blocks for LoRA; --full trains every weight");
	if (o.full && strcmp(o.targets, "all"))
		return usage_error(&train_help, "--targets is for LoRA; --full trains every weight");
	if (strcmp(o.method, "lora") && (o.full || strcmp(o.targets, "all")))
		return usage_error(&train_help, "--method %s trains virtual tokens only; --full and "
				   "--targets are for LoRA", o.method);
	if (o.lr < 0)
		o.lr = o.full ? 1e-3 : !strcmp(o.method, "prompt-tuning") ? 3e-2 :
		       !strcmp(o.method, "p-tuning") ? 1e-3 : 2e-4;
	return run_training(&o);
}
