/*
 * config.c - config.json for llama, qwen2 and mistral models, read with the
 * same defaults transformers uses, and written back for `model init`.
 *
 * Rope settings may sit at the top level (rope_theta, rope_scaling) or, in
 * newer files, in one rope_parameters object; both are accepted.
 */
#include "config.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A real config.json is a few KB; anything near this is not one. */
#define CONFIG_JSON_MAX ((size_t)16 << 20)

static const char supported_types[] = "llama, qwen2, mistral";

/* Reads an integer key; absent or null leaves *out at its default. */
static int get_int(json_t *root, const char *file, const char *key, int required,
		   long min, long max, int *out)
{
	json_t *v = json_object_get(root, key);
	double d;
	if (!v || json_is_null(v)) {
		if (required)
			return error("%s: '%s' is missing", file, key);
		return 0;
	}
	if (!json_is_number(v))
		return error("%s: '%s' must be a number, not %s", file, key, json_type_name(v));
	d = json_number_value(v);
	if (d != floor(d) || d < (double)min || d > (double)max)
		return error("%s: '%s' is %g; it must be a whole number from %ld to %ld",
			     file, key, d, min, max);
	*out = (int)d;
	return 0;
}

static int get_double(json_t *root, const char *file, const char *key, double min,
		      double *out)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return error("%s: '%s' must be a number, not %s", file, key, json_type_name(v));
	*out = json_number_value(v);
	if (!(*out > min) || !isfinite(*out))
		return error("%s: '%s' is %g; it must be a finite number above %g", file, key, *out, min);
	return 0;
}

static int get_bool(json_t *root, const char *file, const char *key, int *out)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return error("%s: '%s' must be true or false, not %s", file, key, json_type_name(v));
	*out = json_is_true(v);
	return 0;
}

/* rope_scaling or rope_parameters: {"rope_type"|"type": ..., "factor": ...}. */
static int parse_rope(json_t *obj, const char *file, const char *key, struct model_config *cfg)
{
	json_t *t;
	const char *type;
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return error("%s: '%s' must be an object, not %s", file, key, json_type_name(obj));
	if (get_double(obj, file, "rope_theta", 0, &cfg->rope_theta))
		return -1;
	t = json_object_get(obj, "rope_type");
	if (!t)
		t = json_object_get(obj, "type");
	type = t && json_is_string(t) ? json_string_value(t) : "default";
	if (!strcmp(type, "default")) {
		cfg->rope = ROPE_DEFAULT;
		return 0;
	}
	if (!strcmp(type, "linear"))
		cfg->rope = ROPE_LINEAR;
	else if (!strcmp(type, "dynamic"))
		cfg->rope = ROPE_DYNAMIC;
	else if (!strcmp(type, "llama3"))
		cfg->rope = ROPE_LLAMA3;
	else
		return error("%s: rope type '%s' in '%s' is not supported (supported: default, "
			     "linear, dynamic, llama3)", file, type, key);
	cfg->rope_factor = 0;
	if (get_double(obj, file, "factor", 0, &cfg->rope_factor))
		return -1;
	if (cfg->rope_factor == 0)
		return error("%s: '%s' of type '%s' needs a 'factor'", file, key, type);
	if (cfg->rope == ROPE_LLAMA3) {
		cfg->rope_low_freq = 1;
		cfg->rope_high_freq = 4;
		cfg->rope_original_max = 8192;
		if (get_double(obj, file, "low_freq_factor", 0, &cfg->rope_low_freq) ||
		    get_double(obj, file, "high_freq_factor", 0, &cfg->rope_high_freq) ||
		    get_int(obj, file, "original_max_position_embeddings", 0, 1, 1L << 30,
			    &cfg->rope_original_max))
			return -1;
		if (cfg->rope_high_freq <= cfg->rope_low_freq)
			return error("%s: '%s' needs high_freq_factor above low_freq_factor", file, key);
	}
	return 0;
}

static int parse_eos(json_t *v, const char *file, struct model_config *cfg)
{
	size_t i;
	json_t *e;
	cfg->n_eos = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		cfg->eos_ids[cfg->n_eos++] = (int)json_integer_value(v);
		return 0;
	}
	if (!json_is_array(v))
		return error("%s: 'eos_token_id' must be a number or a list of numbers", file);
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e))
			return error("%s: 'eos_token_id' must be a number or a list of numbers", file);
		if (cfg->n_eos < CONFIG_MAX_EOS)
			cfg->eos_ids[cfg->n_eos++] = (int)json_integer_value(e);
	}
	return 0;
}

static int parse_config(json_t *root, const char *file, struct model_config *cfg)
{
	json_t *type = json_object_get(root, "model_type");
	const char *act;
	int use_window = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!json_is_object(root))
		return error("%s: expected a JSON object", file);
	if (!json_is_string(type))
		return error("%s: 'model_type' is missing; supported types: %s", file, supported_types);
	if (!strcmp(json_string_value(type), "llama"))
		cfg->arch = ARCH_LLAMA;
	else if (!strcmp(json_string_value(type), "qwen2"))
		cfg->arch = ARCH_QWEN2;
	else if (!strcmp(json_string_value(type), "mistral"))
		cfg->arch = ARCH_MISTRAL;
	else
		return error("%s: model type '%s' is not supported; supported types: %s",
			     file, json_string_value(type), supported_types);
	snprintf(cfg->model_type, sizeof(cfg->model_type), "%s", json_string_value(type));

	act = json_string_value(json_object_get(root, "hidden_act"));
	if (act && strcmp(act, "silu"))
		return error("%s: 'hidden_act' is '%s'; only silu is supported", file, act);

	cfg->max_position = 2048;
	cfg->rms_eps = 1e-6;
	cfg->rope_theta = 10000;
	cfg->bos_id = -1;
	cfg->kv_heads = cfg->head_dim = 0;
	if (get_int(root, file, "hidden_size", 1, 1, 1 << 20, &cfg->hidden) ||
	    get_int(root, file, "intermediate_size", 1, 1, 1 << 22, &cfg->intermediate) ||
	    get_int(root, file, "num_hidden_layers", 1, 1, 4096, &cfg->layers) ||
	    get_int(root, file, "num_attention_heads", 1, 1, 4096, &cfg->heads) ||
	    get_int(root, file, "num_key_value_heads", 0, 1, 4096, &cfg->kv_heads) ||
	    get_int(root, file, "head_dim", 0, 2, 1 << 16, &cfg->head_dim) ||
	    get_int(root, file, "vocab_size", 1, 1, 1 << 24, &cfg->vocab) ||
	    get_int(root, file, "max_position_embeddings", 0, 1, 1 << 30, &cfg->max_position) ||
	    get_int(root, file, "bos_token_id", 0, 0, 1 << 24, &cfg->bos_id) ||
	    get_double(root, file, "rms_norm_eps", 0, &cfg->rms_eps) ||
	    get_double(root, file, "rope_theta", 0, &cfg->rope_theta) ||
	    get_bool(root, file, "tie_word_embeddings", &cfg->tie_embeddings) ||
	    parse_eos(json_object_get(root, "eos_token_id"), file, cfg))
		return -1;
	if (json_object_get(root, "rope_parameters")) {
		if (parse_rope(json_object_get(root, "rope_parameters"), file, "rope_parameters", cfg))
			return -1;
	} else if (parse_rope(json_object_get(root, "rope_scaling"), file, "rope_scaling", cfg)) {
		return -1;
	}
	{
		double partial = 1;
		if (get_double(root, file, "partial_rotary_factor", 0, &partial))
			return -1;
		if (partial != 1)
			return error("%s: 'partial_rotary_factor' %g is not supported (only 1)", file, partial);
	}
	if (!cfg->kv_heads)
		cfg->kv_heads = cfg->heads;
	if (!cfg->head_dim) {
		if (cfg->hidden % cfg->heads)
			return error("%s: hidden_size %d is not a multiple of num_attention_heads %d "
				     "and there is no head_dim", file, cfg->hidden, cfg->heads);
		cfg->head_dim = cfg->hidden / cfg->heads;
	}
	if (cfg->head_dim % 2)
		return error("%s: head_dim %d must be even for rotary embeddings", file, cfg->head_dim);
	if (cfg->heads % cfg->kv_heads)
		return error("%s: num_attention_heads %d is not a multiple of num_key_value_heads %d",
			     file, cfg->heads, cfg->kv_heads);

	switch (cfg->arch) {
	case ARCH_LLAMA:
		if (get_bool(root, file, "attention_bias", &cfg->qkv_bias) ||
		    get_bool(root, file, "mlp_bias", &cfg->mlp_bias))
			return -1;
		cfg->o_bias = cfg->qkv_bias;
		break;
	case ARCH_QWEN2:
		cfg->qkv_bias = 1;
		cfg->sliding_window = 4096;
		cfg->window_from_layer = 28;
		if (get_bool(root, file, "use_sliding_window", &use_window) ||
		    get_int(root, file, "sliding_window", 0, 0, 1 << 30, &cfg->sliding_window) ||
		    get_int(root, file, "max_window_layers", 0, 0, 1 << 20, &cfg->window_from_layer))
			return -1;
		if (!use_window)
			cfg->sliding_window = 0;
		break;
	case ARCH_MISTRAL:
		cfg->sliding_window = 4096;
		if (json_is_null(json_object_get(root, "sliding_window")))
			cfg->sliding_window = 0;
		else if (get_int(root, file, "sliding_window", 0, 0, 1 << 30, &cfg->sliding_window))
			return -1;
		break;
	}
	return 0;
}

int model_config_load(const char *path, struct model_config *cfg)
{
	char *file = ends_with_ci(path, ".json") ? xstrdup(path) : xstrfmt("%s/config.json", path);
	struct strbuf text = STRBUF_INIT;
	json_error_t jerr;
	json_t *root = NULL;
	int rc;
	if (access(file, F_OK))
		rc = error("cannot read '%s': no config.json there; point --base at a Hugging "
			   "Face model folder", file);
	else if (read_file_limited(file, CONFIG_JSON_MAX, &text))
		rc = -1;
	else if (!(root = json_loadb(text.buf, text.len, 0, &jerr)))
		rc = error("%s: line %d column %d: %s", file, jerr.line, jerr.column, jerr.text);
	strbuf_release(&text);
	if (!root) {
		free(file);
		return rc;
	}
	rc = parse_config(root, file, cfg);
	json_decref(root);
	free(file);
	return rc;
}

int model_config_write(const struct model_config *cfg, const char *path)
{
	static const char *arch_class[] = { "LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM" };
	json_t *root = json_object(), *eos;
	int rc = 0;
	json_object_set_new(root, "architectures", json_pack("[s]", arch_class[cfg->arch]));
	json_object_set_new(root, "model_type", json_string(cfg->model_type));
	json_object_set_new(root, "hidden_size", json_integer(cfg->hidden));
	json_object_set_new(root, "intermediate_size", json_integer(cfg->intermediate));
	json_object_set_new(root, "num_hidden_layers", json_integer(cfg->layers));
	json_object_set_new(root, "num_attention_heads", json_integer(cfg->heads));
	json_object_set_new(root, "num_key_value_heads", json_integer(cfg->kv_heads));
	json_object_set_new(root, "head_dim", json_integer(cfg->head_dim));
	json_object_set_new(root, "vocab_size", json_integer(cfg->vocab));
	json_object_set_new(root, "max_position_embeddings", json_integer(cfg->max_position));
	json_object_set_new(root, "rms_norm_eps", json_real(cfg->rms_eps));
	json_object_set_new(root, "rope_theta", json_real(cfg->rope_theta));
	json_object_set_new(root, "rope_scaling", json_null());
	json_object_set_new(root, "hidden_act", json_string("silu"));
	json_object_set_new(root, "tie_word_embeddings", json_boolean(cfg->tie_embeddings));
	if (cfg->arch == ARCH_LLAMA) {
		json_object_set_new(root, "attention_bias", json_boolean(cfg->qkv_bias));
		json_object_set_new(root, "mlp_bias", json_boolean(cfg->mlp_bias));
	}
	json_object_set_new(root, "bos_token_id", cfg->bos_id >= 0 ? json_integer(cfg->bos_id) : json_null());
	eos = cfg->n_eos == 1 ? json_integer(cfg->eos_ids[0]) : json_array();
	for (int i = 0; cfg->n_eos != 1 && i < cfg->n_eos; i++)
		json_array_append_new(eos, json_integer(cfg->eos_ids[i]));
	json_object_set_new(root, "eos_token_id", eos);
	json_object_set_new(root, "torch_dtype", json_string("float32"));
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS))
		rc = error("cannot write '%s'", path);
	json_decref(root);
	return rc;
}

void rope_inv_freq(const struct model_config *cfg, int seq_len, float *inv_freq)
{
	int d = cfg->head_dim;
	double base = cfg->rope_theta;
	if (cfg->rope == ROPE_DYNAMIC && seq_len > cfg->max_position) {
		double f = cfg->rope_factor;
		base *= pow(f * seq_len / cfg->max_position - (f - 1), (double)d / (d - 2));
	}
	for (int i = 0; i < d / 2; i++) {
		/* transformers computes these in fp32: 1 / base^(2i/d) */
		float expo = (float)(2 * i) / (float)d;
		float f = 1.0f / powf((float)base, expo);
		if (cfg->rope == ROPE_LINEAR) {
			f = f / (float)cfg->rope_factor;
		} else if (cfg->rope == ROPE_LLAMA3) {
			float factor = (float)cfg->rope_factor;
			float old = (float)cfg->rope_original_max;
			float low_wl = old / (float)cfg->rope_low_freq;
			float high_wl = old / (float)cfg->rope_high_freq;
			float wl = 2.0f * (float)M_PI / f;
			if (wl > low_wl) {
				f = f / factor;
			} else if (!(wl < high_wl)) {
				float s = (old / wl - (float)cfg->rope_low_freq) /
					  (float)(cfg->rope_high_freq - cfg->rope_low_freq);
				f = (1 - s) * f / factor + s * f;
			}
		}
		inv_freq[i] = f;
	}
}

/* The files besides the weights that make a folder a loadable model. */
int copy_model_files(const char *base, const char *dir)
{
	static const char *const files[] = { "config.json", "generation_config.json",
					     "tokenizer.json", "tokenizer_config.json",
					     "special_tokens_map.json", "vocab.json", "merges.txt",
					     "tokenizer.model", NULL };
	for (int i = 0; files[i]; i++) {
		char *a = xstrfmt("%s/%s", base, files[i]), *b = xstrfmt("%s/%s", dir, files[i]);
		struct stat sb;
		int rc = stat(a, &sb) ? 0 : copy_file(a, b);	/* only the files the base has */
		free(a);
		free(b);
		if (rc)
			return -1;
	}
	return 0;
}
