/*
 * gguf.c - GGUF version 3 files for llama.cpp and Ollama (see gguf.h for
 * the rules followed). A file is: "GGUF", version, tensor count, metadata
 * count, the metadata (typed key/value pairs), one info per tensor (name,
 * dimensions, type, offset), padding to 32 bytes, then the tensor data,
 * each tensor starting on a 32-byte boundary.
 */
#include "gguf.h"
#include "quant.h"
#include "template.h"
#include "tokenizer.h"
#include "../lib/file.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GGUF_ALIGN 32
#define QK8_0 32

enum gguf_value_type {
	GV_UINT32 = 4, GV_INT32 = 5, GV_FLOAT32 = 6, GV_BOOL = 7, GV_STRING = 8, GV_ARRAY = 9,
};
enum ggml_type { GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8, GGML_BF16 = 30 };
/* general.file_type values (llama_ftype) */
enum { FTYPE_F32 = 0, FTYPE_F16 = 1, FTYPE_Q8_0 = 7, FTYPE_BF16 = 32 };
/* tokenizer.ggml.token_type values */
enum { TOK_NORMAL = 1, TOK_CONTROL = 3, TOK_USER_DEFINED = 4, TOK_UNUSED = 5 };

int gguf_out_type_parse(const char *name, enum gguf_out_type *type)
{
	static const char *const names[] = { "f32", "f16", "bf16", "q8_0" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*type = (enum gguf_out_type)i;
			return 0;
		}
	return -1;
}

/* ---- metadata ---- */

struct gguf_meta {
	struct strbuf kv;	/* the encoded pairs */
	uint64_t n;
};

static void put_u32(struct strbuf *sb, uint32_t v)
{
	strbuf_add(sb, &v, 4);	/* GGUF is little-endian, as x86-64 */
}

static void put_u64(struct strbuf *sb, uint64_t v)
{
	strbuf_add(sb, &v, 8);
}

static void put_str(struct strbuf *sb, const char *s, size_t len)
{
	put_u64(sb, len);
	strbuf_add(sb, s, len);
}

static void kv_key(struct gguf_meta *m, const char *key, uint32_t type)
{
	put_str(&m->kv, key, strlen(key));
	put_u32(&m->kv, type);
	m->n++;
}

static void kv_string(struct gguf_meta *m, const char *key, const char *value)
{
	kv_key(m, key, GV_STRING);
	put_str(&m->kv, value, strlen(value));
}

static void kv_u32(struct gguf_meta *m, const char *key, uint32_t value)
{
	kv_key(m, key, GV_UINT32);
	put_u32(&m->kv, value);
}

static void kv_f32(struct gguf_meta *m, const char *key, double value)
{
	float f = (float)value;
	kv_key(m, key, GV_FLOAT32);
	strbuf_add(&m->kv, &f, 4);
}

static void kv_bool(struct gguf_meta *m, const char *key, int value)
{
	char b = value ? 1 : 0;
	kv_key(m, key, GV_BOOL);
	strbuf_add(&m->kv, &b, 1);
}

/* "ARCH.suffix" keys */
static void kv_arch_u32(struct gguf_meta *m, const char *arch, const char *suffix, uint32_t value)
{
	char key[128];
	snprintf(key, sizeof(key), "%s.%s", arch, suffix);
	kv_u32(m, key, value);
}

static void kv_arch_f32(struct gguf_meta *m, const char *arch, const char *suffix, double value)
{
	char key[128];
	snprintf(key, sizeof(key), "%s.%s", arch, suffix);
	kv_f32(m, key, value);
}

static const char *gguf_arch(const struct model_config *cfg)
{
	return cfg->arch == ARCH_QWEN2 ? "qwen2" : "llama";	/* convert_hf_to_gguf maps Mistral to llama */
}

static void add_hparams(struct gguf_meta *m, const struct model_config *cfg)
{
	const char *a = gguf_arch(cfg);
	kv_arch_u32(m, a, "context_length", (uint32_t)cfg->max_position);
	kv_arch_u32(m, a, "embedding_length", (uint32_t)cfg->hidden);
	kv_arch_u32(m, a, "block_count", (uint32_t)cfg->layers);
	kv_arch_u32(m, a, "feed_forward_length", (uint32_t)cfg->intermediate);
	kv_arch_u32(m, a, "attention.head_count", (uint32_t)cfg->heads);
	kv_arch_u32(m, a, "attention.head_count_kv", (uint32_t)cfg->kv_heads);
	kv_arch_f32(m, a, "attention.layer_norm_rms_epsilon", cfg->rms_eps);
	kv_arch_f32(m, a, "rope.freq_base", cfg->rope_theta);
	kv_arch_u32(m, a, "rope.dimension_count", (uint32_t)cfg->head_dim);
	kv_arch_u32(m, a, "vocab_size", (uint32_t)cfg->vocab);
	if (cfg->head_dim * cfg->heads != cfg->hidden) {
		kv_arch_u32(m, a, "attention.key_length", (uint32_t)cfg->head_dim);
		kv_arch_u32(m, a, "attention.value_length", (uint32_t)cfg->head_dim);
	}
	if (cfg->rope == ROPE_LINEAR) {
		char key[128];
		snprintf(key, sizeof(key), "%s.rope.scaling.type", a);
		kv_string(m, key, "linear");
		kv_arch_f32(m, a, "rope.scaling.factor", cfg->rope_factor);
	}
}

/* ---- the tokenizer ---- */

/* 1 if a pre-tokenizer or decoder step anywhere in node is ByteLevel. */
static int has_byte_level(json_t *node)
{
	const char *type = json_string_value(json_object_get(node, "type"));
	json_t *list, *step;
	size_t i;
	if (type && !strcmp(type, "ByteLevel"))
		return 1;
	list = json_object_get(node, "pretokenizers");
	if (!list)
		list = json_object_get(node, "decoders");
	json_array_foreach(list, i, step)
		if (has_byte_level(step))
			return 1;
	return 0;
}

/* llama.cpp's name for the pre-tokenizer (its regexes are chosen by it). */
static const char *pre_name(const struct model_config *cfg, json_t *root)
{
	char *pre = json_dumps(json_object_get(root, "pre_tokenizer"), JSON_COMPACT);
	const char *name = "gpt-2";
	if (cfg->arch == ARCH_QWEN2)
		name = "qwen2";
	else if (pre && strstr(pre, "\\\\p{N}{1,3}"))
		name = "llama-bpe";	/* Llama 3 */
	else if (pre && strstr(pre, "\"Digits\"") && strstr(pre, "\"individual_digits\":true"))
		name = "smollm";
	free(pre);
	return name;
}

/* Appends the string array "key" of n strings to m. */
static void kv_strings(struct gguf_meta *m, const char *key, char *const *s, size_t n)
{
	kv_key(m, key, GV_ARRAY);
	put_u32(&m->kv, GV_STRING);
	put_u64(&m->kv, n);
	for (size_t i = 0; i < n; i++)
		put_str(&m->kv, s[i], strlen(s[i]));
}

/* tokens and token types by id, padded to cfg->vocab; returns 0 or -1. */
static int add_vocab(struct gguf_meta *m, json_t *root, const struct model_config *cfg, const char *path)
{
	json_t *vocab = json_object_get(json_object_get(root, "model"), "vocab"), *v;
	json_t *added = json_object_get(root, "added_tokens");
	size_t n = (size_t)cfg->vocab, i;
	char **tokens = xcalloc(n, sizeof(*tokens));
	int32_t *types = xcalloc(n, sizeof(*types));
	const char *key;
	int rc = 0;

	json_object_foreach(vocab, key, v) {
		json_int_t id = json_integer_value(v);
		if (json_is_integer(v) && id >= 0 && (size_t)id < n && !tokens[id]) {
			tokens[id] = xstrdup(key);
			types[id] = TOK_NORMAL;
		} else if (!json_is_integer(v) || id < 0 || (size_t)id >= n) {
			rc = error("%s: token '%s' has id %lld, outside the model's %zu embeddings", path, key,
				   (long long)id, n);
			break;
		}
	}
	json_array_foreach(added, i, v) {
		json_int_t id = json_integer_value(json_object_get(v, "id"));
		const char *content = json_string_value(json_object_get(v, "content"));
		if (rc || !content)
			continue;
		if (id < 0 || (size_t)id >= n) {
			rc = error("%s: added token '%s' has id %lld, outside the model's %zu embeddings", path,
				   content, (long long)id, n);
			break;
		}
		free(tokens[id]);
		tokens[id] = xstrdup(content);
		types[id] = json_is_true(json_object_get(v, "special")) ? TOK_CONTROL : TOK_USER_DEFINED;
	}
	for (i = 0; i < n; i++)
		if (!tokens[i]) {
			tokens[i] = xstrfmt("[PAD%zu]", i);
			types[i] = TOK_UNUSED;
		}
	if (!rc) {
		kv_strings(m, "tokenizer.ggml.tokens", tokens, n);
		kv_key(m, "tokenizer.ggml.token_type", GV_ARRAY);
		put_u32(&m->kv, GV_INT32);
		put_u64(&m->kv, n);
		strbuf_add(&m->kv, types, n * sizeof(*types));
	}
	for (i = 0; i < n; i++)
		free(tokens[i]);
	free(tokens);
	free(types);
	return rc;
}

static void add_merges(struct gguf_meta *m, json_t *root)
{
	json_t *merges = json_object_get(json_object_get(root, "model"), "merges"), *v;
	size_t n = json_array_size(merges), i;
	char **s = xcalloc(n ? n : 1, sizeof(*s));
	json_array_foreach(merges, i, v) {
		if (json_is_string(v))
			s[i] = xstrdup(json_string_value(v));
		else	/* newer files: ["a", "b"] */
			s[i] = xstrfmt("%s %s", json_string_value(json_array_get(v, 0)) ?: "",
				       json_string_value(json_array_get(v, 1)) ?: "");
	}
	kv_strings(m, "tokenizer.ggml.merges", s, n);
	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static int add_tokenizer(struct gguf_meta *m, const char *dir, const struct model_config *cfg)
{
	char *path = xstrfmt("%s/tokenizer.json", dir);
	struct strbuf text = STRBUF_INIT;
	struct tokenizer *tok = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	if (read_file_limited(path, (size_t)512 << 20, &text))
		goto out;
	root = json_loadb(text.buf, text.len, 0, &jerr);
	if (!root) {
		error("%s: line %d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	const char *type = json_string_value(json_object_get(json_object_get(root, "model"), "type"));
	if (!type || strcmp(type, "BPE") || !(has_byte_level(json_object_get(root, "pre_tokenizer")) ||
					      has_byte_level(json_object_get(root, "decoder")))) {
		error("%s: a %s tokenizer%s; winnow writes GGUF for byte-level BPE tokenizers (Qwen2, "
		      "SmolLM, Llama 3) - use llama.cpp's convert_hf_to_gguf.py on the merged folder",
		      path, type ? type : "typeless", type && !strcmp(type, "BPE") ? " without ByteLevel" : "");
		goto out;
	}
	tok = tokenizer_load(dir);
	if (!tok)
		goto out;
	kv_string(m, "tokenizer.ggml.model", "gpt2");
	kv_string(m, "tokenizer.ggml.pre", pre_name(cfg, root));
	if (add_vocab(m, root, cfg, path))
		goto out;
	add_merges(m, root);
	if (tokenizer_bos(tok) >= 0)
		kv_u32(m, "tokenizer.ggml.bos_token_id", (uint32_t)tokenizer_bos(tok));
	if (tokenizer_eos(tok) >= 0)
		kv_u32(m, "tokenizer.ggml.eos_token_id", (uint32_t)tokenizer_eos(tok));
	if (tokenizer_pad(tok) >= 0)
		kv_u32(m, "tokenizer.ggml.padding_token_id", (uint32_t)tokenizer_pad(tok));
	kv_bool(m, "tokenizer.ggml.add_bos_token", tokenizer_add_bos(tok));
	if (tokenizer_chat_template(tok))
		kv_string(m, "tokenizer.chat_template", tokenizer_chat_template(tok));
	rc = 0;
out:
	tokenizer_free(tok);
	json_decref(root);
	strbuf_release(&text);
	free(path);
	return rc;
}

/* ---- tensors ---- */

struct out_tensor {
	char name[128];
	int ndim;
	uint64_t ne[4];		/* innermost first */
	enum ggml_type type;
	uint64_t offset, nbytes;
	const struct st_write_tensor *src;	/* NULL: data below */
	const float *data;	/* f32 data of a tensor made here (rope_freqs, LoRA) */
	int permute_heads;	/* llama q/k: rows permuted in this many heads */
};

/* llama.cpp's name for a Hugging Face tensor; 1 to leave it out, -1 when unknown. */
static int gguf_name(const char *hf, char *out, size_t size)
{
	static const struct { const char *hf, *gguf; } layer_map[] = {
		{ "input_layernorm.weight", "attn_norm.weight" },
		{ "post_attention_layernorm.weight", "ffn_norm.weight" },
		{ "self_attn.q_proj.weight", "attn_q.weight" }, { "self_attn.q_proj.bias", "attn_q.bias" },
		{ "self_attn.k_proj.weight", "attn_k.weight" }, { "self_attn.k_proj.bias", "attn_k.bias" },
		{ "self_attn.v_proj.weight", "attn_v.weight" }, { "self_attn.v_proj.bias", "attn_v.bias" },
		{ "self_attn.o_proj.weight", "attn_output.weight" }, { "self_attn.o_proj.bias", "attn_output.bias" },
		{ "mlp.gate_proj.weight", "ffn_gate.weight" }, { "mlp.gate_proj.bias", "ffn_gate.bias" },
		{ "mlp.up_proj.weight", "ffn_up.weight" }, { "mlp.up_proj.bias", "ffn_up.bias" },
		{ "mlp.down_proj.weight", "ffn_down.weight" }, { "mlp.down_proj.bias", "ffn_down.bias" },
	};
	int layer, len;
	if (!strcmp(hf, "model.embed_tokens.weight"))
		return snprintf(out, size, "token_embd.weight") < 0;
	if (!strcmp(hf, "model.norm.weight"))
		return snprintf(out, size, "output_norm.weight") < 0;
	if (!strcmp(hf, "lm_head.weight"))
		return snprintf(out, size, "output.weight") < 0;
	if (strstr(hf, "rotary_emb.inv_freq"))
		return 1;
	if (sscanf(hf, "model.layers.%d.%n", &layer, &len) == 1 && layer >= 0)
		for (size_t i = 0; i < sizeof(layer_map) / sizeof(layer_map[0]); i++)
			if (!strcmp(hf + len, layer_map[i].hf)) {
				snprintf(out, size, "blk.%d.%s", layer, layer_map[i].gguf);
				return 0;
			}
	return -1;
}

static uint64_t type_bytes(enum ggml_type t, uint64_t numel)
{
	switch (t) {
	case GGML_F32: return numel * 4;
	case GGML_Q8_0: return numel / QK8_0 * (2 + QK8_0);
	default: return numel * 2;
	}
}

/* Fills in type, sizes and offset; *end is the data size so far. */
static void place(struct out_tensor *o, enum gguf_out_type want, uint64_t *end)
{
	uint64_t numel = 1;
	for (int d = 0; d < o->ndim; d++)
		numel *= o->ne[d];
	if (o->ndim < 2)
		o->type = GGML_F32;
	else if (want == GGUF_OUT_Q8_0)
		o->type = o->ne[0] % QK8_0 ? GGML_F16 : GGML_Q8_0;	/* as convert_hf_to_gguf falls back */
	else
		o->type = want == GGUF_OUT_F16 ? GGML_F16 : want == GGUF_OUT_BF16 ? GGML_BF16 : GGML_F32;
	o->nbytes = type_bytes(o->type, numel);
	o->offset = *end;
	*end += (o->nbytes + GGUF_ALIGN - 1) / GGUF_ALIGN * GGUF_ALIGN;
}

static void put_tensor_info(struct strbuf *sb, const struct out_tensor *o)
{
	put_str(sb, o->name, strlen(o->name));
	put_u32(sb, (uint32_t)o->ndim);
	for (int d = 0; d < o->ndim; d++)
		put_u64(sb, o->ne[d]);
	put_u32(sb, o->type);
	put_u64(sb, o->offset);
}

/*
 * Rows of one (heads * hd, cols) matrix from transformers' rotate-half order
 * to llama.cpp's interleaved pairs: within a head, row 2i + j comes from
 * row j * hd / 2 + i.
 */
static void permute_rows(float *w, int heads, uint64_t rows, uint64_t cols)
{
	uint64_t hd = rows / (uint64_t)heads, half = hd / 2;
	float *tmp = xmalloc(hd * cols * sizeof(float));
	for (int h = 0; h < heads; h++) {
		float *head = w + (uint64_t)h * hd * cols;
		for (uint64_t i = 0; i < half; i++)
			for (uint64_t j = 0; j < 2; j++)
				memcpy(tmp + (2 * i + j) * cols, head + (j * half + i) * cols, cols * sizeof(float));
		memcpy(head, tmp, hd * cols * sizeof(float));
	}
	free(tmp);
}

/* Writes one tensor's data in its type. Returns 0 or -1. */
static int write_data(FILE *fp, const struct out_tensor *o)
{
	uint64_t numel = 1;
	for (int d = 0; d < o->ndim; d++)
		numel *= o->ne[d];
	float *f = xmalloc(numel * sizeof(float));
	void *out = xmalloc(o->nbytes ? o->nbytes : 1);
	if (o->src)
		st_to_f32(o->src->dtype, o->src->data, f, numel);
	else
		memcpy(f, o->data, numel * sizeof(float));
	if (o->permute_heads)
		permute_rows(f, o->permute_heads, o->ndim > 1 ? o->ne[1] : o->ne[0], o->ndim > 1 ? o->ne[0] : 1);
	switch (o->type) {
	case GGML_F32:
		memcpy(out, f, numel * 4);
		break;
	case GGML_F16:
		for (uint64_t i = 0; i < numel; i++)
			((uint16_t *)out)[i] = f32_to_f16(f[i]);
		break;
	case GGML_BF16:
		for (uint64_t i = 0; i < numel; i++)
			((uint16_t *)out)[i] = f32_to_bf16(f[i]);
		break;
	case GGML_Q8_0:	/* quant.c's Q8_0 rows are llama.cpp's blocks */
		for (uint64_t r = 0; r < numel / o->ne[0]; r++)
			quant_row(QUANT_Q8_0, f + r * o->ne[0], (unsigned char *)out + r * (o->ne[0] / QK8_0) * (2 + QK8_0),
				  (int)o->ne[0]);
		break;
	}
	static const char zeros[GGUF_ALIGN];
	uint64_t pad = (GGUF_ALIGN - o->nbytes % GGUF_ALIGN) % GGUF_ALIGN;
	int rc = fwrite(out, 1, o->nbytes, fp) != o->nbytes || fwrite(zeros, 1, pad, fp) != pad ? -1 : 0;
	free(f);
	free(out);
	return rc;
}

/* Writes header, metadata, tensor infos and data through path.tmp. Returns 0 or -1. */
static int write_file(const char *path, struct gguf_meta *m, struct out_tensor *t, size_t n)
{
	struct strbuf head = STRBUF_INIT;
	char *tmp = xstrfmt("%s.tmp", path);
	FILE *fp = fopen(tmp, "wb");
	int rc = 0;

	if (!fp) {
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	strbuf_add(&head, "GGUF", 4);
	put_u32(&head, 3);
	put_u64(&head, n);
	put_u64(&head, m->n);
	strbuf_add(&head, m->kv.buf, m->kv.len);
	for (size_t i = 0; i < n; i++)
		put_tensor_info(&head, &t[i]);
	while (head.len % GGUF_ALIGN)
		strbuf_addch(&head, '\0');
	if (fwrite(head.buf, 1, head.len, fp) != head.len)
		rc = -1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = write_data(fp, &t[i]);
	if (fclose(fp) || rc)
		rc = error("cannot write '%s': %s", tmp, strerror(errno ? errno : EIO));
	if (!rc && rename(tmp, path))
		rc = error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
out:
	strbuf_release(&head);
	free(tmp);
	return rc;
}

/* rope_freqs for llama3 scaling: base / scaled inverse frequency per pair. */
static float *llama3_rope_freqs(const struct model_config *cfg)
{
	int half = cfg->head_dim / 2;
	float *scaled = xmalloc((size_t)half * sizeof(float)), *factors = xmalloc((size_t)half * sizeof(float));
	rope_inv_freq(cfg, 1, scaled);
	for (int i = 0; i < half; i++) {
		double base = pow(cfg->rope_theta, -2.0 * i / cfg->head_dim);
		factors[i] = (float)(base / scaled[i]);
	}
	free(scaled);
	return factors;
}

static void meta_general(struct gguf_meta *m, const struct model_config *cfg, const char *name,
			 const char *type, int ftype)
{
	kv_string(m, "general.architecture", gguf_arch(cfg));
	kv_string(m, "general.type", type);
	kv_string(m, "general.name", name);
	if (ftype >= 0)
		kv_u32(m, "general.file_type", (uint32_t)ftype);
	if (ftype == FTYPE_Q8_0)
		kv_u32(m, "general.quantization_version", 2);
	kv_u32(m, "general.alignment", GGUF_ALIGN);
}

int gguf_write_model(const char *path, const struct gguf_model *in, enum gguf_out_type type)
{
	static const int ftypes[] = { FTYPE_F32, FTYPE_F16, FTYPE_BF16, FTYPE_Q8_0 };
	const struct model_config *cfg = in->cfg;
	struct gguf_meta m = { STRBUF_INIT, 0 };
	struct out_tensor *t = xcalloc(in->n + 1, sizeof(*t));
	float *rope_freqs = NULL;
	uint64_t end = 0;
	size_t n = 0;
	int rc = -1;

	if (cfg->rope == ROPE_DYNAMIC) {
		error("%s: dynamic (NTK) rope scaling has no GGUF equivalent llama.cpp runs the same; "
		      "not written", in->dir);
		goto out;
	}
	if (cfg->sliding_window && cfg->sliding_window < cfg->max_position)
		warning("%s: llama.cpp runs this model without its sliding window of %d tokens: past that "
			"length its answers differ from winnow's and transformers'", in->dir, cfg->sliding_window);
	meta_general(&m, cfg, in->name, "model", ftypes[type]);
	add_hparams(&m, cfg);
	if (add_tokenizer(&m, in->dir, cfg))
		goto out;
	for (size_t i = 0; i < in->n; i++) {
		const struct st_write_tensor *s = &in->tensors[i];
		struct out_tensor *o = &t[n];
		int r = gguf_name(s->name, o->name, sizeof(o->name));
		if (r > 0)
			continue;
		if (r < 0 || s->ndim < 1 || s->ndim > 2) {
			error("%s: tensor '%s' has no llama.cpp name; not written", in->dir, s->name);
			goto out;
		}
		o->ndim = s->ndim;
		for (int d = 0; d < s->ndim; d++)
			o->ne[d] = (uint64_t)s->shape[s->ndim - 1 - d];
		o->src = s;
		if (cfg->arch != ARCH_QWEN2 && (strstr(o->name, ".attn_q.") || strstr(o->name, ".attn_k.")))
			o->permute_heads = strstr(o->name, ".attn_q.") ? cfg->heads : cfg->kv_heads;
		place(o, type, &end);
		n++;
	}
	if (cfg->rope == ROPE_LLAMA3) {
		struct out_tensor *o = &t[n++];
		rope_freqs = llama3_rope_freqs(cfg);
		snprintf(o->name, sizeof(o->name), "rope_freqs.weight");
		o->ndim = 1;
		o->ne[0] = (uint64_t)cfg->head_dim / 2;
		o->data = rope_freqs;
		place(o, type, &end);
	}
	rc = write_file(path, &m, t, n);
out:
	strbuf_release(&m.kv);
	free(t);
	free(rope_freqs);
	return rc;
}

int gguf_write_lora(const char *path, const struct lora_adapter *ad, const struct model_config *cfg,
		    const char *name)
{
	static const char *const gguf_module[LORA_MODULES] = {
		"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
	};
	struct gguf_meta m = { STRBUF_INIT, 0 };
	struct out_tensor *t = xcalloc((size_t)ad->layers * LORA_MODULES * 2 + 1, sizeof(*t));
	uint64_t end = 0;
	size_t n = 0;
	int rc;

	meta_general(&m, cfg, name, "adapter", -1);
	kv_string(&m, "adapter.type", "lora");
	/* llama.cpp scales by alpha / r: this alpha gives winnow's scale, rsLoRA included */
	kv_f32(&m, "adapter.lora.alpha", (double)ad->scale * ad->cfg.rank);
	for (int l = 0; l < ad->layers; l++)
		for (int mod = 0; mod < LORA_MODULES; mod++) {
			const struct lora_pair *p = &ad->pairs[l * LORA_MODULES + mod];
			if (!p->a)
				continue;
			for (int k = 0; k < 2; k++) {
				struct out_tensor *o = &t[n++];
				snprintf(o->name, sizeof(o->name), "blk.%d.%s.weight.lora_%c", l, gguf_module[mod],
					 k ? 'b' : 'a');
				o->ndim = 2;
				o->ne[0] = (uint64_t)(k ? ad->cfg.rank : p->in);
				o->ne[1] = (uint64_t)(k ? p->out : ad->cfg.rank);
				o->data = k ? p->b : p->a;
				if (k && cfg->arch != ARCH_QWEN2 && (mod == LORA_Q || mod == LORA_K))
					o->permute_heads = mod == LORA_Q ? cfg->heads : cfg->kv_heads;
				place(o, GGUF_OUT_F32, &end);
			}
		}
	rc = write_file(path, &m, t, n);
	strbuf_release(&m.kv);
	free(t);
	return rc;
}

/* ---- Ollama ---- */

int ollama_modelfile_write(const char *path, const char *gguf_file, const char *model_dir)
{
	struct tokenizer *tok = tokenizer_load(model_dir);
	struct strbuf sb = STRBUF_INIT;
	int rc;
	if (!tok)
		return -1;
	strbuf_addf(&sb, "# Ollama Modelfile written by winnow: ollama create NAME -f %s\n", path);
	strbuf_addf(&sb, "FROM ./%s\n", gguf_file);
	switch (template_detect(tok)) {
	case TEMPLATE_CHATML:
		strbuf_addstr(&sb, "TEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n"
				   "{{ end }}{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
				   "{{ end }}<|im_start|>assistant\n\"\"\"\nPARAMETER stop \"<|im_end|>\"\n"
				   "PARAMETER stop \"<|im_start|>\"\n");
		break;
	case TEMPLATE_LLAMA3:
		strbuf_addstr(&sb, "TEMPLATE \"\"\"{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n"
				   "{{ .System }}<|eot_id|>{{ end }}{{ range .Messages }}<|start_header_id|>{{ .Role }}"
				   "<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant"
				   "<|end_header_id|>\n\n\"\"\"\nPARAMETER stop \"<|eot_id|>\"\n");
		break;
	case TEMPLATE_LLAMA2:
		strbuf_addstr(&sb, "TEMPLATE \"\"\"{{ range .Messages }}{{ if eq .Role \"user\" }}[INST] "
				   "{{ if and $.System (eq (len (slice $.Messages 0 1)) 1) }}<<SYS>>\n{{ $.System }}\n"
				   "<</SYS>>\n\n{{ end }}{{ .Content }} [/INST]{{ else }} {{ .Content }}</s>{{ end }}"
				   "{{ end }}\"\"\"\nPARAMETER stop \"</s>\"\n");
		break;
	default:
		strbuf_addstr(&sb, "# no chat template winnow knows: Ollama reads the one in the GGUF metadata\n");
	}
	rc = write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	tokenizer_free(tok);
	return rc;
}
