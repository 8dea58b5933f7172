/*
 * unionfind.c - disjoint sets for turning "these two are duplicates" edges
 * into clusters: path halving on find, union by size, so a million records
 * with any edge order cluster in near-linear time.
 *
 * Invariant: parent[x] == x exactly for the root of each set, and size[root]
 * is the number of elements in that set (size of non-roots is stale).
 */
#include "dedupe.h"
#include "../lib/util.h"

#include <stdlib.h>

void union_find_init(struct union_find *uf, size_t nr)
{
	uf->nr = nr;
	uf->parent = xmalloc((nr ? nr : 1) * sizeof(*uf->parent));
	uf->size = xmalloc((nr ? nr : 1) * sizeof(*uf->size));
	for (size_t i = 0; i < nr; i++) {
		uf->parent[i] = (uint32_t)i;
		uf->size[i] = 1;
	}
}

void union_find_release(struct union_find *uf)
{
	free(uf->parent);
	free(uf->size);
	uf->parent = uf->size = NULL;
	uf->nr = 0;
}

uint32_t union_find_find(struct union_find *uf, uint32_t x)
{
	while (uf->parent[x] != x) {
		uf->parent[x] = uf->parent[uf->parent[x]];
		x = uf->parent[x];
	}
	return x;
}

int union_find_union(struct union_find *uf, uint32_t a, uint32_t b)
{
	a = union_find_find(uf, a);
	b = union_find_find(uf, b);
	if (a == b)
		return 0;
	if (uf->size[a] < uf->size[b]) {
		uint32_t t = a;
		a = b;
		b = t;
	}
	uf->parent[b] = a;
	uf->size[a] += uf->size[b];
	return 1;
}
