/*
 * train_fixture.h - for unit tests: fills a training batch from the
 * examples of a reference file written by tests/make_lora_reference.py
 * (a JSON list of {"ids": [...], "labels": [...]}).
 */
#ifndef WINNOW_TRAIN_FIXTURE_H
#define WINNOW_TRAIN_FIXTURE_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/util.h"
#include "../../train/train.h"

static inline void add_examples(struct train_batch *b, json_t *list)
{
	size_t i;
	json_t *ex;
	train_batch_clear(b);
	json_array_foreach(list, i, ex) {
		json_t *ids = json_object_get(ex, "ids"), *labels = json_object_get(ex, "labels");
		int n = (int)json_array_size(ids);
		int32_t *a = xmalloc((size_t)n * sizeof(int32_t)), *l = xmalloc((size_t)n * sizeof(int32_t));
		for (int k = 0; k < n; k++) {
			a[k] = (int32_t)json_integer_value(json_array_get(ids, (size_t)k));
			l[k] = (int32_t)json_integer_value(json_array_get(labels, (size_t)k));
		}
		train_batch_add(b, a, l, n);
		free(a);
		free(l);
	}
}

#endif
