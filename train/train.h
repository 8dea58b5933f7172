/*
 * train.h - the pieces of `winnow train` shared between its files: the
 * model being trained (LoRA on a frozen base, or every weight with --full),
 * a batch of token sequences, the training forward and the hand-written
 * backward pass, AdamW and its schedule, the data loader, checkpoints and
 * the loss chart.
 *
 * Invariants of training (see train_cmd.c for the loop):
 *  1. Trainable parameters live in one f32 array (tm->params) and their
 *     gradients in another of the same layout (tm->grads); nothing else is
 *     ever written by the backward pass, so a frozen weight never gets a
 *     gradient, not even a temporary one.
 *  2. A batch is a list of segments, each one example (or one piece of a
 *     document) at positions 0..len-1; attention never crosses a segment,
 *     so padding costs nothing and packing equals running examples apart.
 *  3. Everything random (LoRA init, data order, dropout) is a function of
 *     --seed and the step, never of time or of where a run was resumed.
 */
#ifndef WINNOW_TRAIN_H
#define WINNOW_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/rng.h"
#include "../model/lora.h"
#include "../model/model.h"

/* ---- the trained model ---- */

/* A named slice of the trainable parameters (for checkpoints and AdamW). */
struct param_group {
	char *name;
	size_t offset, numel;
	int rows, cols;		/* cols 0: a vector */
	int decay;		/* weight decay applies (matrices, not norms or biases) */
};

struct train_model {
	struct model *m;		/* the base; with full, its tensors point into params */
	const struct model_config *cfg;
	int full;			/* every weight trained */
	struct lora_adapter lora;	/* when !full */
	float *params, *grads;		/* (nparams) */
	size_t nparams;
	struct param_group *groups;
	size_t ngroups;
	float dropout;			/* LoRA dropout while training */
	int checkpointing;		/* recompute activations in the backward pass */
	uint64_t seed;
	float *scratch;			/* weight_scratch_floats() */
	struct train_workspace *ws;	/* activations, grown to the largest batch seen */
	/* prompt learning (prompt_tuning.c): params are the virtual tokens (and P-tuning's encoder) */
	int prompt_method;		/* 0, PROMPT_TUNING or P_TUNING (model/prompt_adapter.h) */
	int prompt_len, prompt_hidden;	/* virtual tokens N; the encoder's width */
	float *prompt;			/* (N, D) the virtual tokens this step sees */
	float *enc_h1, *enc_h2, *dprompt;	/* (N, H) × 2 encoder activations, (N, D) */
	struct train_batch *pbatch;	/* the batch with N virtual rows before each segment */
};

/*
 * Sets up tm on a loaded model. With full, every tensor is copied to f32
 * trainable storage and m's pointers moved to it; else a LoRA adapter is
 * initialised from lc and seed. Returns 0 or -1.
 */
int train_model_init(struct train_model *tm, struct model *m, int full,
		     const struct lora_config *lc, uint64_t seed);
void train_model_free(struct train_model *tm);
/* Sets up tm for prompt tuning or P-tuning (method) with n virtual tokens. Returns 0. */
int prompt_model_init(struct train_model *tm, struct model *m, int method, int n, uint64_t seed);
/* Writes the PEFT prompt-learning adapter (the encoder's output for P-tuning). */
int prompt_model_save(struct train_model *tm, const char *dir, const char *base);
/* The gradient slot of a trainable f32 tensor, or NULL when p is not trained. */
float *train_grad_of(const struct train_model *tm, const void *p);

/* ---- batches ---- */

struct train_batch {
	int n;			/* rows (tokens) */
	int32_t *ids;		/* (n) */
	int32_t *targets;	/* (n) next token to predict, or LABEL_IGNORE */
	int nseg;
	int *seg_start, *seg_len;	/* (nseg) */
	long ntargets;		/* targets != LABEL_IGNORE */
	int nseq;		/* sequences (rows of the batch before flattening) */
	/* private */
	int cap, segcap;
};
void train_batch_clear(struct train_batch *b);
/* Appends one example: ids with labels aligned to them (template.h). */
void train_batch_add(struct train_batch *b, const int32_t *ids, const int32_t *labels, int n);
void train_batch_release(struct train_batch *b);

/*
 * Runs the batch forward, then (when loss_scale > 0) backward, adding
 * loss_scale · d(sum of token NLL)/dθ to tm->grads. step seeds dropout
 * (only when training is set). Returns the summed NLL of the targets, or
 * NAN after printing an error (token id out of range).
 */
double train_forward_backward(struct train_model *tm, const struct train_batch *b, int training,
			      uint64_t step, float loss_scale);
/* Bytes of activations a batch of n rows keeps (for the memory estimate). */
size_t train_activation_bytes(const struct train_model *tm, int n, int longest);

/* ---- AdamW (adamw.c) ---- */

enum lr_schedule { SCHEDULE_COSINE, SCHEDULE_LINEAR, SCHEDULE_CONSTANT };

struct adamw {
	double lr, beta1, beta2, eps, weight_decay;
	float *m, *v;		/* (n) */
	size_t n;
	long t;			/* steps taken */
};
void adamw_init(struct adamw *o, size_t n, double lr, double weight_decay);
void adamw_free(struct adamw *o);
/* One step on params with grads at learning rate lr; decay per group. */
void adamw_step(struct adamw *o, float *params, const float *grads,
		const struct param_group *groups, size_t ngroups, double lr);
/* The learning rate for optimizer step `step` (0-based) as transformers' schedulers give it. */
double lr_at(enum lr_schedule s, double lr, long step, long warmup, long total);
/* Scales grads so their global L2 norm is at most max_norm (0 = off); returns the norm before. */
double clip_grad_norm(float *grads, size_t n, double max_norm);

/* ---- data (train_data.c) ---- */

struct train_example {
	int32_t *ids, *labels;	/* (n) */
	int n;
};

struct train_dataset {
	struct train_example *ex;
	long n, alloc;
	long truncated;		/* examples longer than --seq, cut */
	long skipped;		/* examples with nothing to learn after cutting */
	long tokens;		/* tokens kept */
	long targets;		/* labelled tokens */
	int seq;		/* longest example (documents are cut to it) */
};

struct tokenizer;
/* Alpaca JSON / JSON Lines records encoded with template kind, cut to seq tokens. */
int train_data_load_alpaca(struct train_dataset *ds, const char *path, struct tokenizer *tok,
			   int kind, int seq);
/*
 * Plain documents for causal LM: a JSON / JSON Lines file of {"text": ...}
 * objects, or (path NULL) the documents table of the corpus at db. Each
 * document ends with EOS and is cut into pieces of at most seq tokens.
 */
int train_data_load_text(struct train_dataset *ds, const char *path, const char *db,
			 struct tokenizer *tok, int seq);
/* Moves a seeded random fraction of ds into val. */
void train_data_split(struct train_dataset *ds, struct train_dataset *val, double frac,
		      uint64_t seed);
void train_dataset_release(struct train_dataset *ds);

/* One epoch's order: sequences (lists of example indices) grouped in batches. */
struct epoch_plan {
	long *order;		/* example indices, sequence after sequence */
	long *seq_start;	/* (nseqs + 1) offsets into order */
	long nseqs;
	long nbatches;		/* ceil(nseqs / batch) */
};
/* Shuffles with (seed, epoch); with pack, fills sequences up to seq tokens. */
void epoch_plan_make(struct epoch_plan *p, const struct train_dataset *ds, uint64_t seed,
		     int epoch, int pack, int seq, int batch, int shuffle);
void epoch_plan_free(struct epoch_plan *p);
/* Fills b with batch i of the plan. */
void epoch_plan_batch(const struct epoch_plan *p, const struct train_dataset *ds, long i,
		      int batch, struct train_batch *b);

/* ---- output ---- */

struct loss_point {
	long step;
	double loss;
};
/* Writes an SVG chart of the train and validation losses. Returns 0 or -1. */
int loss_svg_write(const char *path, const struct loss_point *train, size_t ntrain,
		   const struct loss_point *val, size_t nval);

/* ---- checkpoints (checkpoint.c) ---- */

struct train_state {
	long step;		/* optimizer steps done */
	int epoch;		/* epoch of the next batch */
	long batch;		/* next batch within that epoch */
	long tokens;		/* tokens seen */
	double seconds;		/* training time so far */
	char *options;		/* the options that must match on --resume (JSON text) */
};
/* Writes dir/checkpoint/ (trainer_state.json + state.safetensors) atomically. */
int checkpoint_save(const char *dir, const struct train_model *tm, const struct adamw *o,
		    const struct train_state *s);
/* Reads it back into tm and o (same layout); fills s. Returns 0 or -1. */
int checkpoint_load(const char *dir, struct train_model *tm, struct adamw *o,
		    struct train_state *s);
/* Writes the full model (config.json, model.safetensors, tokenizer files) to dir. */
int train_save_full(const struct train_model *tm, const char *base, const char *dir);

#endif
