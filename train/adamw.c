/*
 * adamw.c - the optimizer and its schedule, computed as PyTorch's AdamW and
 * transformers' get_{cosine,linear,constant}_schedule_with_warmup do, so a
 * run can be checked step by step against a PyTorch reference.
 */
#include "train.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void adamw_init(struct adamw *o, size_t n, double lr, double weight_decay)
{
	memset(o, 0, sizeof(*o));
	o->lr = lr;
	o->beta1 = 0.9;
	o->beta2 = 0.999;
	o->eps = 1e-8;
	o->weight_decay = weight_decay;
	o->n = n;
	o->m = xcalloc(n ? n : 1, sizeof(float));
	o->v = xcalloc(n ? n : 1, sizeof(float));
}

void adamw_free(struct adamw *o)
{
	free(o->m);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

void adamw_step(struct adamw *o, float *params, const float *grads,
		const struct param_group *groups, size_t ngroups, double lr)
{
	float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
	double bc1, bc2;
	float step_size, bc2_sqrt;
	o->t++;
	bc1 = 1.0 - pow(o->beta1, (double)o->t);
	bc2 = 1.0 - pow(o->beta2, (double)o->t);
	step_size = (float)(lr / bc1);
	bc2_sqrt = (float)sqrt(bc2);
	for (size_t g = 0; g < ngroups; g++) {
		size_t a = groups[g].offset, z = a + groups[g].numel;
		float decay = groups[g].decay ? (float)(1.0 - lr * o->weight_decay) : 1.0f;
		for (size_t i = a; i < z; i++) {
			float gr = grads[i];
			params[i] *= decay;
			o->m[i] = b1 * o->m[i] + (1.0f - b1) * gr;
			o->v[i] = b2 * o->v[i] + (1.0f - b2) * gr * gr;
			params[i] -= step_size * o->m[i] / (sqrtf(o->v[i]) / bc2_sqrt + eps);
		}
	}
}

double lr_at(enum lr_schedule s, double lr, long step, long warmup, long total)
{
	double progress;
	if (step < warmup)
		return lr * (double)step / (double)(warmup > 1 ? warmup : 1);
	if (s == SCHEDULE_CONSTANT)
		return lr;
	progress = (double)(step - warmup) / (double)(total - warmup > 1 ? total - warmup : 1);
	if (s == SCHEDULE_LINEAR) {
		double f = (double)(total - step) / (double)(total - warmup > 1 ? total - warmup : 1);
		return lr * (f > 0 ? f : 0);
	}
	{
		double f = 0.5 * (1.0 + cos(M_PI * progress));
		return lr * (f > 0 ? f : 0);
	}
}

double clip_grad_norm(float *grads, size_t n, double max_norm)
{
	double ss = 0, norm;
	for (size_t i = 0; i < n; i++)
		ss += (double)grads[i] * grads[i];
	norm = sqrt(ss);
	if (max_norm > 0) {
		double coef = max_norm / (norm + 1e-6);
		if (coef < 1.0) {
			float c = (float)coef;
			for (size_t i = 0; i < n; i++)
				grads[i] *= c;
		}
	}
	return norm;
}
