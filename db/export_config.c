/*
 * export_config.c - `winnow export --llamafactory-config FILE --base MODEL`:
 * a LLaMA-Factory training YAML for the dataset just exported, with the
 * settings `winnow train` uses by default, so the same data trains on GPUs
 * (several, or several nodes with DeepSpeed) with
 * `llamafactory-cli train FILE`.
 */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "export.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <string.h>

/*
 * `winnow train`'s defaults (train/train_cmd.c; tests/conformance/
 * llamafactory_config.t reads them from `winnow train --help`, so a change
 * there fails the test until it is made here too).
 */
#define TRAIN_TARGETS "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
#define TRAIN_RANK 8
#define TRAIN_ALPHA 16
#define TRAIN_DROPOUT 0.05
#define TRAIN_LR 2e-4
#define TRAIN_EPOCHS 3
#define TRAIN_BATCH 4
#define TRAIN_SEQ 1024
#define TRAIN_SEED 42
#define TRAIN_EVAL_STEPS 50
#define TRAIN_SAVE_STEPS 100

/* winnow's template names as LLaMA-Factory calls them */
static const char *lf_template(const char *name)
{
	static const char *const map[][2] = {
		{ "alpaca", "alpaca" }, { "chatml", "chatml" }, { "llama3", "llama3" }, { "llama2", "llama2" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return NULL;
}

static void yaml_string(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "%s: ", key);
	json_write_string(sb, value, strlen(value));	/* a JSON string is a YAML double-quoted scalar */
	strbuf_addch(sb, '\n');
}

int write_llamafactory_config(const struct lf_config *c)
{
	struct strbuf sb = STRBUF_INIT;
	const char *stage = c->ranking ? "dpo" : c->kto ? "kto" : "sft";
	strbuf_addf(&sb, "# LLaMA-Factory training config written by winnow export: the settings\n"
		    "# winnow train uses by default. Run: llamafactory-cli train %s\n\n### model\n", c->path);
	yaml_string(&sb, "model_name_or_path", c->base);
	strbuf_addf(&sb, "\n### method\nstage: %s\ndo_train: true\nfinetuning_type: lora\n", stage);
	strbuf_addf(&sb, "lora_rank: %d\nlora_alpha: %d\nlora_dropout: %g\nlora_target: %s\n",
		    TRAIN_RANK, TRAIN_ALPHA, TRAIN_DROPOUT, TRAIN_TARGETS);
	strbuf_addstr(&sb, "\n### dataset\n");
	yaml_string(&sb, "dataset_dir", c->dataset_dir);
	yaml_string(&sb, "dataset", c->train);
	if (c->eval)
		yaml_string(&sb, "eval_dataset", c->eval);
	if (c->template_name && strcmp(c->template_name, "auto"))
		yaml_string(&sb, "template", lf_template(c->template_name));
	else
		strbuf_addstr(&sb, "# no template: LLaMA-Factory reads the tokenizer's chat template, as winnow train does\n");
	strbuf_addf(&sb, "cutoff_len: %d\n", TRAIN_SEQ);
	strbuf_addstr(&sb, "\n### output\n");
	yaml_string(&sb, "output_dir", "saves/winnow-lora");
	strbuf_addf(&sb, "logging_steps: 10\nsave_steps: %d\nreport_to: none\n", TRAIN_SAVE_STEPS);
	strbuf_addf(&sb, "\n### train\nper_device_train_batch_size: %d\ngradient_accumulation_steps: 1\n"
		    "learning_rate: %g\nnum_train_epochs: %d\nlr_scheduler_type: cosine\nwarmup_steps: 0\n"
		    "weight_decay: 0.0\nmax_grad_norm: 1.0\nseed: %d\n",
		    TRAIN_BATCH, TRAIN_LR, TRAIN_EPOCHS, TRAIN_SEED);
	strbuf_addstr(&sb, "# on GPUs with bfloat16 (A100, H100, RTX 30xx and later) add: bf16: true\n");
	if (c->eval)
		strbuf_addf(&sb, "\n### eval\nper_device_eval_batch_size: %d\neval_strategy: steps\neval_steps: %d\n",
			    TRAIN_BATCH, TRAIN_EVAL_STEPS);
	int rc = write_file_atomic(c->path, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}
