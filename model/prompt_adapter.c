/*
 * prompt_adapter.c - reading and writing PEFT's prompt-learning adapters
 * (PROMPT_TUNING, P_TUNING), and adapter_apply(), which picks the reader
 * from adapter_config.json's peft_type for eval and chat.
 */
#define _POSIX_C_SOURCE 200809L
#include "prompt_adapter.h"
#include "lora.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int prompt_save(const float *emb, int n, enum prompt_method method, const struct prompt_encoder_info *enc,
		const struct model_config *cfg, const char *dir, const char *base)
{
	struct strbuf sb = STRBUF_INIT;
	struct st_write_tensor t = { "prompt_embeddings", ST_F32, 2, { n, cfg->hidden }, emb };
	char *path;
	int rc;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return error("cannot create '%s': %s", dir, strerror(errno));
	strbuf_addstr(&sb, "{\n  \"base_model_name_or_path\": ");
	json_write_string(&sb, base, strlen(base));
	if (method == P_TUNING)
		strbuf_addf(&sb, ",\n  \"encoder_dropout\": 0.0,\n  \"encoder_hidden_size\": %d,\n"
				 "  \"encoder_num_layers\": 2,\n  \"encoder_reparameterization_type\": \"%s\"",
			    enc->hidden, enc->type);
	strbuf_addf(&sb, ",\n  \"inference_mode\": true,\n  \"num_attention_heads\": %d,\n"
			 "  \"num_layers\": %d,\n  \"num_transformer_submodules\": 1,\n"
			 "  \"num_virtual_tokens\": %d,\n  \"peft_type\": \"%s\",\n",
		    cfg->heads, cfg->layers, n, method == P_TUNING ? "P_TUNING" : "PROMPT_TUNING");
	if (method == PROMPT_TUNING)
		strbuf_addstr(&sb, "  \"prompt_tuning_init\": \"RANDOM\",\n  \"prompt_tuning_init_text\": null,\n"
				   "  \"tokenizer_kwargs\": null,\n  \"tokenizer_name_or_path\": null,\n");
	strbuf_addf(&sb, "  \"revision\": null,\n  \"task_type\": \"CAUSAL_LM\",\n  \"token_dim\": %d\n}\n",
		    cfg->hidden);
	path = xstrfmt("%s/adapter_config.json", dir);
	rc = write_file_atomic(path, sb.buf, sb.len);
	free(path);
	strbuf_release(&sb);
	if (rc)
		return rc;
	path = xstrfmt("%s/adapter_model.safetensors", dir);
	rc = safetensors_write(path, &t, 1);
	free(path);
	return rc;
}

/* adapter_config.json of dir, or NULL after naming what is wrong. */
static json_t *adapter_config(const char *dir)
{
	char *path = xstrfmt("%s/adapter_config.json", dir);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root)
		error("%s: %s (is '%s' a PEFT adapter folder?)", path, jerr.text, dir);
	free(path);
	return root;
}

int prompt_load(const char *dir, const struct model_config *cfg, float **emb, int *n)
{
	json_t *root = adapter_config(dir);
	struct safetensors st;
	const struct st_tensor *t;
	char *path = xstrfmt("%s/adapter_model.safetensors", dir);
	int rc = -1;
	json_int_t nv, dim;

	*emb = NULL;
	memset(&st, 0, sizeof(st));
	if (!root)
		goto out;
	nv = json_integer_value(json_object_get(root, "num_virtual_tokens"));
	dim = json_integer_value(json_object_get(root, "token_dim"));
	if (nv < 1 || nv > 1 << 20) {
		error("%s/adapter_config.json: num_virtual_tokens must be a positive integer", dir);
		goto out;
	}
	if (dim != cfg->hidden) {
		error("%s/adapter_config.json: token_dim is %lld but the model's hidden size is %d; the "
		      "adapter was trained for another model", dir, (long long)dim, cfg->hidden);
		goto out;
	}
	if (json_integer_value(json_object_get(root, "num_transformer_submodules")) > 1) {
		error("%s/adapter_config.json: num_transformer_submodules above 1 is for encoder-decoder "
		      "models; winnow's are decoder-only", dir);
		goto out;
	}
	if (safetensors_open(&st, path))
		goto out;
	t = safetensors_find(&st, "prompt_embeddings");
	if (!t || t->ndim != 2 || t->shape[0] != nv || t->shape[1] != dim) {
		error("%s: needs a tensor prompt_embeddings of shape [%lld, %lld]", path, (long long)nv,
		      (long long)dim);
		goto out;
	}
	*emb = xmalloc((size_t)t->numel * sizeof(float));
	st_to_f32(t->dtype, t->data, *emb, (size_t)t->numel);
	*n = (int)nv;
	rc = 0;
out:
	safetensors_close(&st);
	json_decref(root);
	free(path);
	return rc;
}

int adapter_apply(struct model *m, const char *dir)
{
	json_t *root = adapter_config(dir), *v;
	const char *type;
	int rc = -1;
	if (!root)
		return -1;
	v = json_object_get(root, "peft_type");
	type = json_is_string(v) ? json_string_value(v) : NULL;
	if (type && !strcmp(type, "LORA")) {
		rc = lora_apply(m, dir);
	} else if (type && (!strcmp(type, "PROMPT_TUNING") || !strcmp(type, "P_TUNING"))) {
		float *emb;
		int n;
		rc = prompt_load(dir, &m->cfg, &emb, &n);
		if (!rc) {
			free(m->prompt);
			m->prompt = emb;
			m->prompt_len = n;
		}
	} else if (type) {
		error("%s/adapter_config.json: peft_type %s is not one winnow can load (it loads LORA, "
		      "PROMPT_TUNING and P_TUNING)", dir, type);
	} else {
		error("%s/adapter_config.json has no peft_type; is it a PEFT adapter?", dir);
	}
	json_decref(root);
	return rc;
}
