/*
 * model_cmd.c - `winnow model init`: a randomly initialised Llama model in
 * Hugging Face layout (config.json, model.safetensors, tokenizer files), so
 * tests, the demo and benchmarks need nothing downloaded. Initialised as
 * transformers does: normal(0, 0.02) matrices and embeddings, norms at 1.
 */
#define _POSIX_C_SOURCE 200809L
#include "model.h"
#include "tokenizer.h"
#include "../lib/file.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct preset {
	const char *name;
	int hidden, intermediate, layers, heads, kv_heads, vocab, max_position;
	double rope_theta, rms_eps;
	int untied;		/* lm_head apart from the embeddings */
};

static const struct preset presets[] = {
	/* vocab 0: the tokenizer's, rounded up to a multiple of 64 */
	{ "tiny", 64, 176, 2, 4, 2, 0, 2048, 10000, 1e-5, 0 },
	{ "small", 256, 704, 4, 8, 4, 0, 2048, 10000, 1e-5, 0 },
	{ "smollm2-135m", 576, 1536, 30, 9, 3, 49152, 8192, 100000, 1e-5, 0 },
	/* Qwen2.5's shapes in the Llama layout (no q/k/v biases), for benchmarks */
	{ "qwen2.5-0.5b", 896, 4864, 24, 14, 2, 151936, 32768, 1000000, 1e-6, 0 },
	{ "qwen2.5-1.5b", 1536, 8960, 28, 12, 2, 151936, 32768, 1000000, 1e-6, 0 },
	{ "qwen2.5-7b", 3584, 18944, 28, 28, 4, 152064, 32768, 1000000, 1e-6, 1 },
};

static const struct command_help model_help = {
	"winnow model init --preset tiny|small|smollm2-135m|qwen2.5-0.5b|qwen2.5-1.5b|qwen2.5-7b (--tokenizer DIR_OR_FILE | --byte-tokenizer) --out DIR",
	"Create a randomly initialised Llama model in Hugging Face layout.",
	"Writes config.json, model.safetensors and the tokenizer files into DIR, which\n"
	"must not hold a model already. The vocabulary is the tokenizer's, rounded up to\n"
	"a multiple of 64 (smollm2-135m keeps its 49152). --byte-tokenizer writes a\n"
	"tokenizer of 256 byte tokens plus the ChatML special tokens, so nothing has to\n"
	"be downloaded. Presets:\n"
	"  tiny          2 layers, hidden 64 (tests)\n"
	"  small         4 layers, hidden 256 (the demo)\n"
	"  smollm2-135m  30 layers, hidden 576, 9 heads, 3 key/value heads (benchmarks)\n"
	"  qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-7b\n"
	"                Qwen2.5's shapes and vocabularies in the Llama layout, without\n"
	"                the q/k/v biases (benchmarks; the weights are held in memory\n"
	"                while they are written: 15 GB for the 7B in bf16)",
	"winnow model init --preset tiny --byte-tokenizer --out models/tiny\n"
	"winnow model init --preset small --tokenizer ~/Qwen2.5-0.5B --out models/small"
};

/* splitmix64 and Box-Muller: reproducible normal(0, 1) draws from a seed. */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double normal(uint64_t *s)
{
	double u1 = ((double)(next_u64(s) >> 11) + 1) * (1.0 / 9007199254740993.0);
	double u2 = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

struct init_tensors {
	struct st_write_tensor *t;
	size_t n, alloc;
	enum st_dtype dtype;
	uint64_t rng;
	struct progress progress;
	uint64_t done;
};

/* Adds a (rows, cols) tensor: normal(0, std), or all ones when std is 0. */
static void add_tensor(struct init_tensors *it, const char *name, int rows, int cols, double std)
{
	size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
	enum st_dtype dt = std ? it->dtype : ST_F32;
	void *data = xmalloc(n * st_dtype_size(dt));
	struct st_write_tensor *t;
	for (size_t i = 0; i < n; i++) {
		float v = std ? (float)(normal(&it->rng) * std) : 1.0f;
		if (dt == ST_BF16)
			((uint16_t *)data)[i] = f32_to_bf16(v);
		else
			((float *)data)[i] = v;
	}
	if (it->n == it->alloc) {
		it->alloc = it->alloc ? 2 * it->alloc : 64;
		it->t = xrealloc(it->t, it->alloc * sizeof(*it->t));
	}
	t = &it->t[it->n++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->dtype = dt;
	t->ndim = cols ? 2 : 1;
	t->shape[0] = rows;
	t->shape[1] = cols;
	t->data = data;
	it->done += n;
	progress_update(&it->progress, it->done);
}

static size_t param_count(const struct model_config *c)
{
	size_t D = (size_t)c->hidden, qd = (size_t)c->heads * c->head_dim;
	size_t kvd = (size_t)c->kv_heads * c->head_dim, F = (size_t)c->intermediate;
	size_t layer = 2 * D + qd * D + 2 * kvd * D + D * qd + 3 * F * D;
	return (size_t)c->vocab * D * (c->tie_embeddings ? 1 : 2) + D + (size_t)c->layers * layer;
}

static int write_weights(const struct model_config *c, const char *dir, enum st_dtype dtype,
			 uint64_t seed)
{
	struct init_tensors it = { NULL, 0, 0, dtype, seed, { 0 }, 0 };
	const double std = 0.02;
	char name[96], *path = xstrfmt("%s/model.safetensors", dir);
	int qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim, rc;

	progress_start(&it.progress, "initialising", param_count(c), "weights");
	add_tensor(&it, "model.embed_tokens.weight", c->vocab, c->hidden, std);
	for (int l = 0; l < c->layers; l++) {
#define LAYER(s) (snprintf(name, sizeof(name), "model.layers.%d.%s", l, s), name)
		add_tensor(&it, LAYER("input_layernorm.weight"), c->hidden, 0, 0);
		add_tensor(&it, LAYER("self_attn.q_proj.weight"), qd, c->hidden, std);
		add_tensor(&it, LAYER("self_attn.k_proj.weight"), kvd, c->hidden, std);
		add_tensor(&it, LAYER("self_attn.v_proj.weight"), kvd, c->hidden, std);
		add_tensor(&it, LAYER("self_attn.o_proj.weight"), c->hidden, qd, std);
		add_tensor(&it, LAYER("post_attention_layernorm.weight"), c->hidden, 0, 0);
		add_tensor(&it, LAYER("mlp.gate_proj.weight"), c->intermediate, c->hidden, std);
		add_tensor(&it, LAYER("mlp.up_proj.weight"), c->intermediate, c->hidden, std);
		add_tensor(&it, LAYER("mlp.down_proj.weight"), c->hidden, c->intermediate, std);
#undef LAYER
	}
	add_tensor(&it, "model.norm.weight", c->hidden, 0, 0);
	if (!c->tie_embeddings)
		add_tensor(&it, "lm_head.weight", c->vocab, c->hidden, std);
	progress_finish(&it.progress);
	rc = safetensors_write(path, it.t, it.n);
	for (size_t i = 0; i < it.n; i++) {
		free((void *)it.t[i].name);
		free((void *)it.t[i].data);
	}
	free(it.t);
	free(path);
	return rc;
}

static int is_dir(const char *path)
{
	struct stat sb;
	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

/* Copies tokenizer.json (and tokenizer_config.json when src is a folder) into dir. */
static int copy_tokenizer(const char *src, const char *dir)
{
	static const char *const files[] = { "tokenizer.json", "tokenizer_config.json",
					     "special_tokens_map.json" };
	int rc = 0;
	if (!is_dir(src)) {
		char *to = xstrfmt("%s/tokenizer.json", dir);
		rc = copy_file(src, to);
		free(to);
		return rc;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !rc; i++) {
		char *from = xstrfmt("%s/%s", src, files[i]), *to = xstrfmt("%s/%s", dir, files[i]);
		struct stat sb;
		if (!stat(from, &sb))
			rc = copy_file(from, to);
		else if (!i)
			rc = error("no tokenizer.json in '%s'", src);
		free(from);
		free(to);
	}
	return rc;
}

static int model_init(int argc, char **argv)
{
	const char *preset_name = NULL, *tokenizer = NULL, *out = NULL, *dtype_name = "f32";
	int byte_tokenizer = 0;
	long seed = 0;
	struct option opts[] = {
		OPT_CHOICE('p', "preset", &preset_name, "tiny|small|smollm2-135m|qwen2.5-0.5b|qwen2.5-1.5b|qwen2.5-7b", "the model's shape"),
		OPT_STRING('t', "tokenizer", &tokenizer, "DIR_OR_FILE",
			   "copy this tokenizer (a folder with tokenizer.json, or the file)"),
		OPT_FLAG(0, "byte-tokenizer", &byte_tokenizer,
			 "write a byte-level tokenizer with the ChatML special tokens"),
		OPT_STRING('o', "out", &out, "DIR", "the folder to create"),
		OPT_CHOICE(0, "dtype", &dtype_name, "f32|bf16", "weight storage (default f32)"),
		OPT_INT(0, "seed", &seed, "N", 0, 2147483647L, "random seed (default 0)"),
		OPT_END(),
	};
	const struct preset *p = NULL;
	struct model_config cfg;
	struct tokenizer *tok = NULL;
	char *path;
	size_t tv;

	argc = parse_options(argc, argv, opts, &model_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc)
		return usage_error(&model_help, "unexpected argument '%s'", argv[0]);
	if (!preset_name || !out)
		return usage_error(&model_help, "model init needs --preset and --out");
	if (!tokenizer == !byte_tokenizer)
		return usage_error(&model_help, "give exactly one of --tokenizer and --byte-tokenizer");
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(presets[i].name, preset_name))
			p = &presets[i];

	path = xstrfmt("%s/config.json", out);
	if (!access(path, F_OK)) {
		error("'%s' already holds a model; choose another --out or remove it first", out);
		free(path);
		return EXIT_FAILURE_;
	}
	if (make_parent_dirs(path)) {
		free(path);
		return EXIT_FAILURE_;
	}
	if (byte_tokenizer ? tokenizer_write_byte_level(out) : copy_tokenizer(tokenizer, out))
		goto fail;
	tok = tokenizer_load(out);
	if (!tok)
		goto fail;

	memset(&cfg, 0, sizeof(cfg));
	cfg.arch = ARCH_LLAMA;
	snprintf(cfg.model_type, sizeof(cfg.model_type), "llama");
	cfg.hidden = p->hidden;
	cfg.intermediate = p->intermediate;
	cfg.layers = p->layers;
	cfg.heads = p->heads;
	cfg.kv_heads = p->kv_heads;
	cfg.head_dim = p->hidden / p->heads;
	cfg.max_position = p->max_position;
	cfg.rms_eps = p->rms_eps;
	cfg.rope_theta = p->rope_theta;
	cfg.tie_embeddings = !p->untied;
	tv = tokenizer_vocab_size(tok);
	cfg.vocab = p->vocab ? p->vocab : (int)((tv + 63) / 64 * 64);
	if ((size_t)cfg.vocab < tv) {
		error("the tokenizer has %zu tokens but preset '%s' has %d embeddings; use a smaller "
		      "tokenizer or the tiny/small presets, whose vocabulary follows the tokenizer",
		      tv, p->name, cfg.vocab);
		goto fail;
	}
	cfg.bos_id = tokenizer_bos(tok);
	if (tokenizer_eos(tok) >= 0)
		cfg.eos_ids[cfg.n_eos++] = tokenizer_eos(tok);
	if (model_config_write(&cfg, path) ||
	    write_weights(&cfg, out, !strcmp(dtype_name, "bf16") ? ST_BF16 : ST_F32, (uint64_t)seed))
		goto fail;
	fprintf(stderr, "model init: %s (%s, %.1fM parameters, vocab %d, %s) in %s\n", p->name,
		cfg.model_type, (double)param_count(&cfg) / 1e6, cfg.vocab, dtype_name, out);
	tokenizer_free(tok);
	free(path);
	return EXIT_OK;
fail:
	tokenizer_free(tok);
	free(path);
	return EXIT_FAILURE_;
}

int cmd_model(int argc, char **argv)
{
	static const struct subcommand subs[] = { { "init", model_init }, { NULL, NULL } };
	return run_subcommand(argc, argv, subs, &model_help);
}
