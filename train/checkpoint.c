/*
 * checkpoint.c - what `winnow train --resume` needs to continue exactly
 * where a run stopped: the trainable parameters, AdamW's moments and step
 * count, and the position in the data (epoch, batch), in OUT/checkpoint/.
 * Data order and dropout are functions of --seed and the step (train.h),
 * so nothing else has to be saved.
 *
 * Atomicity: the tensors go to state-STEP.safetensors first; then
 * trainer_state.json, which names that file, is renamed into place; only
 * then are older state files removed. A kill at any moment leaves either
 * the previous checkpoint or the new one, never a mix. With LoRA the
 * checkpoint folder is also a PEFT adapter of that step.
 *
 * Also here: writing a fully trained model (--full) in Hugging Face layout.
 */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "../lib/json.h"
#include "../lib/strbuf.h"
#include "../lib/file.h"
#include "../lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/stat.h>
#include <unistd.h>

static int ensure_dir(const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST)
		return error("cannot create '%s': %s", dir, strerror(errno));
	return 0;
}

int checkpoint_save(const char *dir, const struct train_model *tm, const struct adamw *o,
		    const struct train_state *s)
{
	char *cdir = xstrfmt("%s/checkpoint", dir), *file = NULL, *path = NULL;
	char *state_name = xstrfmt("state-%ld.safetensors", s->step);
	struct strbuf sb = STRBUF_INIT;
	struct st_write_tensor t[3];
	int rc = -1;
	DIR *d;
	struct dirent *de;

	if (ensure_dir(dir) || ensure_dir(cdir))
		goto out;
	memset(t, 0, sizeof(t));
	t[0].name = "params";
	t[0].data = tm->params;
	t[1].name = "adam_m";
	t[1].data = o->m;
	t[2].name = "adam_v";
	t[2].data = o->v;
	for (int i = 0; i < 3; i++) {
		t[i].dtype = ST_F32;
		t[i].ndim = 1;
		t[i].shape[0] = (int64_t)tm->nparams;
	}
	file = xstrfmt("%s/%s", cdir, state_name);
	if (safetensors_write(file, t, 3))
		goto out;
	strbuf_addf(&sb, "{\n  \"step\": %ld,\n  \"epoch\": %d,\n  \"batch\": %ld,\n  \"tokens\": %ld,\n"
			 "  \"seconds\": %.3f,\n  \"adam_t\": %ld,\n  \"nparams\": %zu,\n"
			 "  \"state_file\": \"%s\",\n  \"options\": %s\n}\n", s->step, s->epoch, s->batch,
		    s->tokens, s->seconds, o->t, tm->nparams, state_name,
		    s->options ? s->options : "{}");
	path = xstrfmt("%s/trainer_state.json", cdir);
	if (write_file_atomic(path, sb.buf, sb.len))
		goto out;
	if (!tm->full && lora_save(&tm->lora, cdir, "checkpoint"))
		goto out;
	rc = 0;
	d = opendir(cdir);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "state-", 6) && strcmp(de->d_name, state_name)) {
			char *old = xstrfmt("%s/%s", cdir, de->d_name);
			unlink(old);
			free(old);
		}
	if (d)
		closedir(d);
out:
	strbuf_release(&sb);
	free(path);
	free(file);
	free(state_name);
	free(cdir);
	return rc;
}

int checkpoint_load(const char *dir, struct train_model *tm, struct adamw *o,
		    struct train_state *s)
{
	char *path = xstrfmt("%s/checkpoint/trainer_state.json", dir), *file = NULL;
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *opts;
	struct safetensors st = { 0 };
	const char *names[3] = { "params", "adam_m", "adam_v" };
	float *dst[3] = { tm->params, o->m, o->v };
	int rc = -1;

	if (!root) {
		error("cannot resume: %s: %s", path, jerr.text);
		goto out;
	}
	if ((size_t)json_integer_value(json_object_get(root, "nparams")) != tm->nparams) {
		error("cannot resume: the checkpoint in '%s' holds %lld parameters but this run trains "
		      "%zu; use the options of the original run", dir,
		      (long long)json_integer_value(json_object_get(root, "nparams")), tm->nparams);
		goto out;
	}
	opts = json_object_get(root, "options");
	if (s->options) {
		json_t *now = json_loads(s->options, 0, &jerr);
		const char *key;
		json_t *v;
		json_object_foreach(now, key, v) {
			json_t *was = json_object_get(opts, key);
			if (!was || !json_equal(was, v)) {
				char *a = json_dumps(v, JSON_ENCODE_ANY), *b = was ? json_dumps(was, JSON_ENCODE_ANY) : NULL;
				error("cannot resume: --%s was %s in the interrupted run but is %s now; "
				      "resume with the same options", key, b ? b : "not set", a ? a : "?");
				free(a);
				free(b);
				json_decref(now);
				goto out;
			}
		}
		json_decref(now);
	}
	file = xstrfmt("%s/checkpoint/%s", dir,
		       json_string_value(json_object_get(root, "state_file")) ?
		       json_string_value(json_object_get(root, "state_file")) : "");
	if (safetensors_open(&st, file))
		goto out;
	for (int i = 0; i < 3; i++) {
		const struct st_tensor *t = safetensors_find(&st, names[i]);
		if (!t || t->dtype != ST_F32 || (size_t)t->numel != tm->nparams) {
			error("cannot resume: %s has no F32 tensor '%s' of %zu values", file, names[i],
			      tm->nparams);
			goto out;
		}
		memcpy(dst[i], t->data, tm->nparams * sizeof(float));
	}
	s->step = (long)json_integer_value(json_object_get(root, "step"));
	s->epoch = (int)json_integer_value(json_object_get(root, "epoch"));
	s->batch = (long)json_integer_value(json_object_get(root, "batch"));
	s->tokens = (long)json_integer_value(json_object_get(root, "tokens"));
	s->seconds = json_number_value(json_object_get(root, "seconds"));
	o->t = (long)json_integer_value(json_object_get(root, "adam_t"));
	rc = 0;
out:
	safetensors_close(&st);
	json_decref(root);
	free(file);
	free(path);
	return rc;
}

int train_save_full(const struct train_model *tm, const char *base, const char *dir)
{
	struct st_write_tensor *t = xcalloc(tm->ngroups, sizeof(*t));
	char *path;
	int rc;
	if (ensure_dir(dir) || copy_model_files(base, dir)) {
		free(t);
		return -1;
	}
	for (size_t i = 0; i < tm->ngroups; i++) {
		const struct param_group *g = &tm->groups[i];
		t[i].name = g->name;
		t[i].dtype = ST_F32;
		t[i].ndim = g->cols ? 2 : 1;
		t[i].shape[0] = g->rows;
		t[i].shape[1] = g->cols;
		t[i].data = tm->params + g->offset;
	}
	path = xstrfmt("%s/model.safetensors", dir);
	rc = safetensors_write(path, t, tm->ngroups);
	free(path);
	free(t);
	return rc;
}
