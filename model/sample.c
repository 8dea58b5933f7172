/*
 * sample.c - choosing the next token: greedy, or sampling with
 * temperature, top-k and top-p applied in that order (as transformers'
 * logits warpers do), from a seeded generator so a run can be repeated.
 */
#include "model.h"
#include "../lib/rng.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sampler_init(struct sampler *s, double temperature, double top_p, int top_k, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->temperature = temperature;
	s->top_p = top_p > 0 && top_p < 1 ? top_p : 1;
	s->top_k = top_k > 0 ? top_k : 0;
	s->rng = seed ^ 0x9e3779b97f4a7c15ULL;
}

void sampler_release(struct sampler *s)
{
	free(s->probs);
	free(s->order);
	s->probs = NULL;
	s->order = NULL;
}

/* 53 bits of the generator as a double in [0, 1). */
static double uniform(struct sampler *s)
{
	return (double)(rng_next(&s->rng) >> 11) * (1.0 / 9007199254740992.0);
}

int32_t argmax(const float *logits, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (logits[i] > logits[best])
			best = i;
	return best;
}

double token_nll(const float *logits, int vocab, int label)
{
	double max = logits[argmax(logits, vocab)], sum = 0;
	for (int i = 0; i < vocab; i++)
		sum += exp((double)logits[i] - max);
	return max + log(sum) - logits[label];
}

static const float *sort_probs;

static int by_prob_desc(const void *a, const void *b)
{
	float x = sort_probs[*(const int *)a], y = sort_probs[*(const int *)b];
	if (x != y)
		return x > y ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

int32_t sampler_next(struct sampler *s, float *logits, int vocab)
{
	float max;
	double sum = 0, r, acc = 0;
	int n = 0;

	if (s->temperature <= 0)
		return argmax(logits, vocab);
	if (!s->probs) {
		s->probs = xmalloc((size_t)vocab * sizeof(float));
		s->order = xmalloc((size_t)vocab * sizeof(int));
	}
	max = logits[argmax(logits, vocab)];
	for (int i = 0; i < vocab; i++) {
		s->probs[i] = expf((float)((logits[i] - max) / s->temperature));
		sum += s->probs[i];
	}
	/*
	 * Candidates: with top-p alone, tokens under (1 - p) / V together weigh
	 * less than 1 - p, so the nucleus never reaches them and they need not
	 * be sorted. With top-k every token is a candidate.
	 */
	for (int i = 0; i < vocab; i++) {
		s->probs[i] = (float)(s->probs[i] / sum);
		if (s->top_k || s->top_p >= 1 || s->probs[i] >= (1 - s->top_p) / vocab)
			s->order[n++] = i;
	}
	if (s->top_k || s->top_p < 1) {
		sort_probs = s->probs;
		qsort(s->order, (size_t)n, sizeof(int), by_prob_desc);
	}
	if (s->top_k && s->top_k < n)
		n = s->top_k;
	sum = 0;
	for (int i = 0; i < n; i++)
		sum += s->probs[s->order[i]];
	if (s->top_p < 1) {
		/* renormalise after top-k, then keep the smallest prefix reaching top_p */
		double cum = 0;
		int keep = n;
		for (int i = 0; i < n; i++) {
			cum += s->probs[s->order[i]] / sum;
			if (cum >= s->top_p) {
				keep = i + 1;
				break;
			}
		}
		n = keep;
		sum = 0;
		for (int i = 0; i < n; i++)
			sum += s->probs[s->order[i]];
	}
	r = uniform(s) * sum;
	for (int i = 0; i < n; i++) {
		acc += s->probs[s->order[i]];
		if (r < acc)
			return s->order[i];
	}
	return s->order[n - 1];
}
