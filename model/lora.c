/*
 * lora.c - LoRA adapters: PEFT's initialisation, and adapter_config.json +
 * adapter_model.safetensors read and written as PEFT does (see lora.h and
 * REFERENCE.md "PEFT LoRA adapters").
 */
#define _POSIX_C_SOURCE 200809L
#include "lora.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/strbuf.h"
#include "../lib/file.h"
#include "../lib/rng.h"
#include "../lib/util.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const lora_module_names[LORA_MODULES] = {
	"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"
};

static const char *module_parent(enum lora_module mod)
{
	return mod <= LORA_O ? "self_attn" : "mlp";
}

float lora_scale(const struct lora_config *c)
{
	return (float)(c->rslora ? c->alpha / sqrt((double)c->rank) : c->alpha / c->rank);
}

int lora_parse_targets(const char *list, unsigned *targets)
{
	struct string_list parts = STRING_LIST_INIT;
	int rc = 0;
	*targets = 0;
	string_list_split(&parts, list, ',');
	for (size_t i = 0; i < parts.nr && !rc; i++) {
		int found = 0;
		if (!strcmp(parts.items[i], "all") || !strcmp(parts.items[i], "all-linear")) {
			*targets |= LORA_ALL_TARGETS;
			continue;
		}
		for (int m = 0; m < LORA_MODULES; m++)
			if (!strcmp(parts.items[i], lora_module_names[m])) {
				*targets |= 1u << m;
				found = 1;
			}
		if (!found)
			rc = error("unknown LoRA target '%s'; choose from q_proj, k_proj, v_proj, o_proj, "
				   "gate_proj, up_proj, down_proj (or all)", parts.items[i]);
	}
	if (!rc && !*targets)
		rc = error("no LoRA targets given");
	string_list_clear(&parts);
	return rc;
}

void lora_module_dims(const struct model_config *c, enum lora_module mod, int *in, int *out)
{
	int qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim;
	switch (mod) {
	case LORA_Q: *in = c->hidden; *out = qd; break;
	case LORA_K:
	case LORA_V: *in = c->hidden; *out = kvd; break;
	case LORA_O: *in = qd; *out = c->hidden; break;
	case LORA_GATE:
	case LORA_UP: *in = c->hidden; *out = c->intermediate; break;
	default: *in = c->intermediate; *out = c->hidden; break;
	}
}

struct weight *model_module_weight(struct model *m, int layer, enum lora_module mod)
{
	struct layer_weights *l = &m->layers[layer];
	struct weight *w[LORA_MODULES] = { &l->wq, &l->wk, &l->wv, &l->wo, &l->gate, &l->up, &l->down };
	return w[mod];
}

const float *model_module_bias(const struct model *m, int layer, enum lora_module mod)
{
	const struct layer_weights *l = &m->layers[layer];
	const float *b[LORA_MODULES] = { l->bq, l->bk, l->bv, l->bo, l->bgate, l->bup, l->bdown };
	return b[mod];
}

/* Sets up pairs and params for cfg and lc, everything zero. */
static void adapter_alloc(struct lora_adapter *ad, const struct model_config *cfg,
			  const struct lora_config *lc)
{
	size_t total = 0, off = 0;
	memset(ad, 0, sizeof(*ad));
	ad->cfg = *lc;
	ad->layers = cfg->layers;
	ad->scale = lora_scale(lc);
	ad->pairs = xcalloc((size_t)cfg->layers * LORA_MODULES, sizeof(*ad->pairs));
	for (int l = 0; l < cfg->layers; l++)
		for (int m = 0; m < LORA_MODULES; m++) {
			int in, out;
			if (!(lc->targets & (1u << m)))
				continue;
			lora_module_dims(cfg, (enum lora_module)m, &in, &out);
			total += (size_t)lc->rank * (size_t)(in + out);
		}
	ad->nparams = total;
	ad->params = xcalloc(total ? total : 1, sizeof(float));
	for (int l = 0; l < cfg->layers; l++)
		for (int m = 0; m < LORA_MODULES; m++) {
			struct lora_pair *p = &ad->pairs[l * LORA_MODULES + m];
			if (!(lc->targets & (1u << m)))
				continue;
			lora_module_dims(cfg, (enum lora_module)m, &p->in, &p->out);
			p->a = ad->params + off;
			off += (size_t)lc->rank * p->in;
			p->b = ad->params + off;
			off += (size_t)lc->rank * p->out;
		}
}

void lora_adapter_init(struct lora_adapter *ad, const struct model_config *cfg,
		       const struct lora_config *lc, uint64_t seed)
{
	uint64_t rng = seed ^ 0x6c6f7261696e6974ULL;	/* "lorainit" */
	adapter_alloc(ad, cfg, lc);
	for (int i = 0; i < ad->layers * LORA_MODULES; i++) {
		struct lora_pair *p = &ad->pairs[i];
		/* kaiming_uniform_(a=√5) on (r, in): bound = √(1/3) · √(3/in) = 1/√in */
		float bound = 1.0f / sqrtf((float)(p->a ? p->in : 1));
		if (!p->a)
			continue;
		for (size_t j = 0; j < (size_t)lc->rank * p->in; j++)
			p->a[j] = (2.0f * rng_uniform(&rng) - 1.0f) * bound;
	}
}

void lora_adapter_free(struct lora_adapter *ad)
{
	free(ad->params);
	free(ad->pairs);
	memset(ad, 0, sizeof(*ad));
}

static void tensor_name(char *buf, size_t size, int layer, int mod, char which)
{
	snprintf(buf, size, "base_model.model.model.layers.%d.%s.%s.lora_%c.weight", layer,
		 module_parent((enum lora_module)mod), lora_module_names[mod], which);
}

int lora_save(const struct lora_adapter *ad, const char *dir, const char *base)
{
	struct strbuf sb = STRBUF_INIT;
	struct st_write_tensor *t = xcalloc((size_t)ad->layers * LORA_MODULES * 2, sizeof(*t));
	char **names = xcalloc((size_t)ad->layers * LORA_MODULES * 2, sizeof(*names));
	size_t n = 0;
	char *path = NULL;
	int rc, first = 1;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		rc = error("cannot create '%s': %s", dir, strerror(errno));
		goto cleanup;
	}
	strbuf_addstr(&sb, "{\n  \"alpha_pattern\": {},\n  \"auto_mapping\": null,\n"
			   "  \"base_model_name_or_path\": ");
	json_write_string(&sb, base, strlen(base));
	strbuf_addstr(&sb, ",\n  \"bias\": \"none\",\n  \"fan_in_fan_out\": false,\n"
			   "  \"inference_mode\": true,\n  \"init_lora_weights\": true,\n"
			   "  \"layers_pattern\": null,\n  \"layers_to_transform\": null,\n");
	if (ad->cfg.alpha == floor(ad->cfg.alpha) && fabs(ad->cfg.alpha) < 1e9)
		strbuf_addf(&sb, "  \"lora_alpha\": %.0f,\n", ad->cfg.alpha);
	else
		strbuf_addf(&sb, "  \"lora_alpha\": %.17g,\n", ad->cfg.alpha);
	strbuf_addf(&sb, "  \"lora_dropout\": %.15g,\n  \"modules_to_save\": null,\n"
			 "  \"peft_type\": \"LORA\",\n  \"r\": %d,\n  \"rank_pattern\": {},\n"
			 "  \"revision\": null,\n  \"target_modules\": [", ad->cfg.dropout, ad->cfg.rank);
	for (int m = 0; m < LORA_MODULES; m++)
		if (ad->cfg.targets & (1u << m)) {
			strbuf_addf(&sb, "%s\"%s\"", first ? "" : ", ", lora_module_names[m]);
			first = 0;
		}
	strbuf_addf(&sb, "],\n  \"task_type\": \"CAUSAL_LM\",\n  \"use_dora\": false,\n"
			 "  \"use_rslora\": %s\n}\n", ad->cfg.rslora ? "true" : "false");
	path = xstrfmt("%s/adapter_config.json", dir);
	rc = write_file_atomic(path, sb.buf, sb.len);
	if (rc)
		goto cleanup;

	for (int l = 0; l < ad->layers; l++)
		for (int m = 0; m < LORA_MODULES; m++) {
			const struct lora_pair *p = &ad->pairs[l * LORA_MODULES + m];
			char buf[160];
			if (!p->a)
				continue;
			for (int k = 0; k < 2; k++) {
				tensor_name(buf, sizeof(buf), l, m, k ? 'B' : 'A');
				names[n] = xstrdup(buf);
				t[n].name = names[n];
				t[n].dtype = ST_F32;
				t[n].ndim = 2;
				t[n].shape[0] = k ? p->out : ad->cfg.rank;
				t[n].shape[1] = k ? ad->cfg.rank : p->in;
				t[n].data = k ? p->b : p->a;
				n++;
			}
		}
	free(path);
	path = xstrfmt("%s/adapter_model.safetensors", dir);
	rc = safetensors_write(path, t, n);
cleanup:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(t);
	free(path);
	strbuf_release(&sb);
	return rc;
}

/* Reads adapter_config.json into lc. */
static int read_adapter_config(const char *dir, struct lora_config *lc)
{
	char *path = xstrfmt("%s/adapter_config.json", dir);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *v;
	int rc = -1;
	memset(lc, 0, sizeof(*lc));
	if (!root) {
		error("%s: %s (is '%s' a PEFT LoRA adapter folder?)", path, jerr.text, dir);
		goto out;
	}
	v = json_object_get(root, "peft_type");
	if (!json_is_string(v) || strcmp(json_string_value(v), "LORA")) {
		error("%s: peft_type is %s; only LORA adapters are supported", path,
		      json_is_string(v) ? json_string_value(v) : "missing");
		goto out;
	}
	v = json_object_get(root, "r");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65536) {
		error("%s: 'r' must be a positive integer", path);
		goto out;
	}
	lc->rank = (int)json_integer_value(v);
	v = json_object_get(root, "lora_alpha");
	lc->alpha = json_is_number(v) ? json_number_value(v) : 8.0;	/* PEFT's default */
	v = json_object_get(root, "lora_dropout");
	lc->dropout = json_is_number(v) ? json_number_value(v) : 0;
	lc->rslora = json_is_true(json_object_get(root, "use_rslora"));
	if (json_is_true(json_object_get(root, "use_dora"))) {
		error("%s: DoRA adapters (use_dora) are not supported", path);
		goto out;
	}
	v = json_object_get(root, "bias");
	if (json_is_string(v) && strcmp(json_string_value(v), "none")) {
		error("%s: bias \"%s\" is not supported (only \"none\")", path, json_string_value(v));
		goto out;
	}
	if (json_is_true(json_object_get(root, "fan_in_fan_out"))) {
		error("%s: fan_in_fan_out adapters are not supported", path);
		goto out;
	}
	v = json_object_get(root, "target_modules");
	if (json_is_string(v)) {
		if (lora_parse_targets(json_string_value(v), &lc->targets))
			goto out;
	} else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			unsigned one;
			if (!json_is_string(item) || lora_parse_targets(json_string_value(item), &one)) {
				error("%s: target_modules[%zu] is not a projection winnow knows", path, i);
				goto out;
			}
			lc->targets |= one;
		}
	}
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

int lora_module_at(const char *p, int *layer, const char **rest)
{
	char *end;
	long l;
	errno = 0;
	l = strtol(p, &end, 10);
	if (end == p || *end != '.' || l < 0 || l > 1000000)
		return -1;
	p = end + 1;
	if (!strncmp(p, "self_attn.", 10))
		p += 10;
	else if (!strncmp(p, "mlp.", 4))
		p += 4;
	else
		return -1;
	for (int m = 0; m < LORA_MODULES; m++) {
		size_t len = strlen(lora_module_names[m]);
		if (!strncmp(p, lora_module_names[m], len) && p[len] == '.') {
			*layer = (int)l;
			*rest = p + len;
			return m;
		}
	}
	return -1;
}

/* Parses "...layers.N.<parent>.<module>.lora_X[.default].weight". */
static int parse_tensor_name(const char *name, int *layer, int *mod, char *which)
{
	const char *p = strstr(name, "layers.");
	int m;
	if (!p || (m = lora_module_at(p + 7, layer, &p)) < 0)
		return -1;
	if (strncmp(p, ".lora_", 6) || (p[6] != 'A' && p[6] != 'B'))
		return -1;
	*which = p[6];
	p += 7;
	if (strcmp(p, ".weight") && strcmp(p, ".default.weight"))
		return -1;
	*mod = m;
	return 0;
}

int lora_load(struct lora_adapter *ad, const char *dir, const struct model_config *cfg)
{
	struct lora_config lc;
	struct safetensors st;
	char *path;
	int rc = -1;
	unsigned char *seen;

	memset(ad, 0, sizeof(*ad));
	if (read_adapter_config(dir, &lc))
		return -1;
	path = xstrfmt("%s/adapter_model.safetensors", dir);
	if (safetensors_open(&st, path)) {
		free(path);
		return -1;
	}
	adapter_alloc(ad, cfg, &lc);
	seen = xcalloc((size_t)cfg->layers * LORA_MODULES * 2, 1);
	for (size_t i = 0; i < st.n; i++) {
		const struct st_tensor *t = &st.tensors[i];
		int layer, mod;
		char which;
		struct lora_pair *p;
		int64_t rows, cols;
		if (parse_tensor_name(t->name, &layer, &mod, &which)) {
			error("%s: tensor '%s' is not a LoRA A or B matrix of a projection winnow knows",
			      path, t->name);
			goto out;
		}
		if (layer >= cfg->layers || !(lc.targets & (1u << mod))) {
			error("%s: tensor '%s' is for %s, which the adapter config or the model (%d layers) "
			      "does not have", path, t->name,
			      layer >= cfg->layers ? "a layer" : "a projection not in target_modules",
			      cfg->layers);
			goto out;
		}
		p = &ad->pairs[layer * LORA_MODULES + mod];
		rows = which == 'A' ? lc.rank : p->out;
		cols = which == 'A' ? p->in : lc.rank;
		if (t->ndim != 2 || t->shape[0] != rows || t->shape[1] != cols) {
			error("%s: tensor '%s' should have shape [%lld, %lld] for this model and r=%d",
			      path, t->name, (long long)rows, (long long)cols, lc.rank);
			goto out;
		}
		st_to_f32(t->dtype, t->data, which == 'A' ? p->a : p->b, (size_t)(rows * cols));
		seen[(layer * LORA_MODULES + mod) * 2 + (which == 'B')] = 1;
	}
	for (int l = 0; l < cfg->layers; l++)
		for (int m = 0; m < LORA_MODULES; m++)
			for (int k = 0; k < 2; k++)
				if ((lc.targets & (1u << m)) && !seen[(l * LORA_MODULES + m) * 2 + k]) {
					char buf[160];
					tensor_name(buf, sizeof(buf), l, m, k ? 'B' : 'A');
					error("%s: tensor '%s' is missing", path, buf);
					goto out;
				}
	rc = 0;
out:
	free(seen);
	safetensors_close(&st);
	free(path);
	if (rc)
		lora_adapter_free(ad);
	return rc;
}

void lora_merge_into(float *w, const struct lora_pair *p, int rank, float scale)
{
	/* W (out, in) += scale · B (out, r) · A (r, in) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->out, p->in, rank, scale, p->b, rank,
		    p->a, p->in, 1.0f, w, p->in);
}

/* A copy of p owned by m, as the unmerged term of a quantised weight. */
static const struct weight_delta *lora_delta(struct model *m, const struct lora_pair *p,
					     const struct lora_adapter *ad)
{
	size_t na = (size_t)ad->cfg.rank * p->in, nb = (size_t)p->out * ad->cfg.rank;
	struct weight_delta *d = xmalloc(sizeof(*d) + (na + nb) * sizeof(float));
	float *f = (float *)(d + 1);
	memcpy(f, p->a, na * sizeof(float));
	memcpy(f + na, p->b, nb * sizeof(float));
	d->a = f;
	d->b = f + na;
	d->rank = ad->cfg.rank;
	d->scale = ad->scale;
	m->owned = xrealloc(m->owned, (m->nowned + 1) * sizeof(*m->owned));
	m->owned[m->nowned++] = d;
	return d;
}

int lora_apply(struct model *m, const char *dir)
{
	struct lora_adapter ad;
	if (lora_load(&ad, dir, &m->cfg))
		return -1;
	for (int l = 0; l < ad.layers; l++)
		for (int mod = 0; mod < LORA_MODULES; mod++) {
			const struct lora_pair *p = &ad.pairs[l * LORA_MODULES + mod];
			struct weight *w = model_module_weight(m, l, (enum lora_module)mod);
			float *merged;
			if (!p->a)
				continue;
			if (w->quant) {	/* kept beside the blocks: a merge would need a full f32 copy */
				w->delta = lora_delta(m, p, &ad);
				continue;
			}
			merged = xmalloc((size_t)w->rows * w->cols * sizeof(float));
			st_to_f32(w->dtype, w->data, merged, (size_t)w->rows * w->cols);
			lora_merge_into(merged, p, ad.cfg.rank, ad.scale);
			/* the model frees what it owns in model_free() */
			m->owned = xrealloc(m->owned, (m->nowned + 1) * sizeof(*m->owned));
			m->owned[m->nowned++] = merged;
			w->data = merged;
			w->dtype = ST_F32;
		}
	lora_adapter_free(&ad);
	return 0;
}
