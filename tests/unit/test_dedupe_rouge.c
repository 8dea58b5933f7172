/*
 * test_dedupe_rouge.c - union-find clusters, character-level ROUGE-L
 * against hand-computed values and a plain dynamic-programming LCS, and the
 * ROUGE-L index against comparing with every instruction.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dedupe/dedupe.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_random(uint32_t below)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)(((rng * 0x2545F4914F6CDD1DULL) >> 33) % below);
}

/* ---- union-find ---- */

static void test_union_find_clusters(void **state)
{
	struct union_find uf;
	(void)state;
	union_find_init(&uf, 10);
	/* edges 0-1, 1-2, 5-6, 8-9, 9-8 (again), 2-0 (already joined) */
	assert_int_equal(union_find_union(&uf, 0, 1), 1);
	assert_int_equal(union_find_union(&uf, 1, 2), 1);
	assert_int_equal(union_find_union(&uf, 5, 6), 1);
	assert_int_equal(union_find_union(&uf, 8, 9), 1);
	assert_int_equal(union_find_union(&uf, 9, 8), 0);
	assert_int_equal(union_find_union(&uf, 2, 0), 0);
	/* clusters {0,1,2} {3} {4} {5,6} {7} {8,9} */
	assert_int_equal(union_find_find(&uf, 0), union_find_find(&uf, 2));
	assert_int_equal(union_find_find(&uf, 1), union_find_find(&uf, 2));
	assert_int_not_equal(union_find_find(&uf, 0), union_find_find(&uf, 3));
	assert_int_not_equal(union_find_find(&uf, 3), union_find_find(&uf, 4));
	assert_int_equal(union_find_find(&uf, 5), union_find_find(&uf, 6));
	assert_int_not_equal(union_find_find(&uf, 6), union_find_find(&uf, 8));
	assert_int_equal(uf.size[union_find_find(&uf, 0)], 3);
	assert_int_equal(uf.size[union_find_find(&uf, 9)], 2);
	union_find_release(&uf);
}

/* Random edges against a label-propagation reference. */
static void test_union_find_random(void **state)
{
	enum { N = 500, E = 300 };
	struct union_find uf;
	int label[N], a[E], b[E];
	(void)state;
	union_find_init(&uf, N);
	for (int i = 0; i < N; i++)
		label[i] = i;
	for (int e = 0; e < E; e++) {
		a[e] = (int)next_random(N);
		b[e] = (int)next_random(N);
		union_find_union(&uf, (uint32_t)a[e], (uint32_t)b[e]);
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (int e = 0; e < E; e++) {
			int m = label[a[e]] < label[b[e]] ? label[a[e]] : label[b[e]];
			if (label[a[e]] != m || label[b[e]] != m) {
				label[a[e]] = label[b[e]] = m;
				changed = 1;
			}
		}
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j += 7)
			assert_int_equal(label[i] == label[j],
					 union_find_find(&uf, (uint32_t)i) == union_find_find(&uf, (uint32_t)j));
	union_find_release(&uf);
}

/* ---- ROUGE-L ---- */

static void test_rouge_hand_values(void **state)
{
	(void)state;
	/* abcde / ace: LCS ace = 3, F = 2*3 / (5+3) = 0.75 */
	assert_true(fabs(rouge_l("abcde", 5, "ace", 3) - 0.75) < 1e-12);
	/* ABCBDAB / BDCABA: LCS BCBA = 4, F = 8 / 13 */
	assert_true(fabs(rouge_l("ABCBDAB", 7, "BDCABA", 6) - 8.0 / 13.0) < 1e-12);
	/* 写一首关于春天的诗 (9) / 写一首关于秋天的诗歌 (10): LCS 写一首关于天的诗 = 8, F = 16/19 */
	const char *a = "写一首关于春天的诗", *b = "写一首关于秋天的诗歌";
	assert_true(fabs(rouge_l(a, strlen(a), b, strlen(b)) - 16.0 / 19.0) < 1e-12);
	/* case and punctuation do not count */
	assert_true(rouge_l("Hello, World!", 13, "hello world", 11) == 1.0);
	/* nothing in common, or nothing at all */
	assert_true(rouge_l("abc", 3, "xyz", 3) == 0.0);
	assert_true(rouge_l("", 0, "abc", 3) == 0.0);
	/* 给我讲个笑话 (6) / 讲一个笑话给我听 (8): LCS 讲个笑话 = 4, F = 8/14 */
	a = "给我讲个笑话";
	b = "讲一个笑话给我听";
	assert_true(fabs(rouge_l(a, strlen(a), b, strlen(b)) - 8.0 / 14.0) < 1e-12);
}

static size_t lcs_dp(const uint32_t *a, size_t n, const uint32_t *b, size_t m)
{
	size_t *prev = calloc(m + 1, sizeof(*prev)), *cur = calloc(m + 1, sizeof(*cur));
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++)
			cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1
			       : prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	size_t l = prev[m];
	free(prev);
	free(cur);
	return l;
}

/* The bit-parallel LCS against the textbook one, across word boundaries. */
static void test_rouge_matches_dp(void **state)
{
	uint32_t a[300], b[300];
	(void)state;
	for (int t = 0; t < 300; t++) {
		size_t n = 1 + next_random(300), m = 1 + next_random(300);
		uint32_t alphabet = 2 + next_random(30);
		for (size_t i = 0; i < n; i++)
			a[i] = 0x4E00 + next_random(alphabet);
		for (size_t i = 0; i < m; i++)
			b[i] = 0x4E00 + next_random(alphabet);
		double want = 2.0 * (double)lcs_dp(a, n, b, m) / (double)(n + m);
		assert_true(fabs(rouge_l_codepoints(a, n, b, m) - want) < 1e-12);
	}
}

/* ---- the index ---- */

struct collected {
	int64_t ids[512];
	size_t nr;
};

static int collect(int64_t id, double score, void *ctx)
{
	struct collected *c = ctx;
	(void)score;
	if (c->nr < 512)
		c->ids[c->nr++] = id;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Random instructions over a small alphabet with edits, so many pairs sit near 0.7. */
static void random_instruction(char *buf, size_t size, const char *base)
{
	static const char *const chars[] = { "写", "一", "首", "关", "于", "春", "天", "的", "诗",
					     "秋", "歌", "请", "给", "我", "讲", "个", "笑", "话" };
	size_t len = 0;
	const char *p = base;
	buf[0] = 0;
	while (*p && len + 8 < size) {
		uint32_t r = next_random(10);
		if (r == 0) {
			p += 3;		/* delete (every character above is 3 bytes) */
			continue;
		}
		if (r == 1) {		/* insert */
			const char *c = chars[next_random(18)];
			for (int k = 0; k < 3; k++)
				buf[len++] = c[k];
		}
		for (int k = 0; k < 3; k++)
			buf[len++] = *p++;
	}
	buf[len] = 0;
}

static void test_rouge_index_matches_all_pairs(void **state)
{
	enum { N = 400 };
	static char texts[N][256];
	static const char *const bases[] = { "写一首关于春天的诗", "请给我讲个笑话", "写一首关于秋天的歌",
					     "给我讲一个关于诗的笑话", "请写一首诗" };
	struct rouge_index *idx = rouge_index_new();
	(void)state;
	for (int i = 0; i < N; i++) {
		random_instruction(texts[i], sizeof(texts[i]), bases[next_random(5)]);
		if (i % 3 == 0)
			strcat(texts[i], " Please, in English!");
	}
	size_t matches = 0;
	for (int i = 0; i < N; i++) {
		struct collected got = { { 0 }, 0 }, want = { { 0 }, 0 };
		rouge_index_query(idx, texts[i], strlen(texts[i]), 0.7, collect, &got);
		for (int j = 0; j < i; j++)
			if (rouge_l(texts[i], strlen(texts[i]), texts[j], strlen(texts[j])) > 0.7)
				want.ids[want.nr++] = j;
		qsort(got.ids, got.nr, sizeof(got.ids[0]), cmp_i64);
		assert_int_equal(got.nr, want.nr);
		for (size_t k = 0; k < got.nr; k++)
			assert_int_equal(got.ids[k], want.ids[k]);
		matches += got.nr;
		rouge_index_add(idx, i, texts[i], strlen(texts[i]));
	}
	assert_true(matches > 100);	/* the data really has near pairs */
	assert_int_equal(rouge_index_size(idx), N);

	int64_t id = -1;
	double score = 0;
	assert_true(rouge_index_best(idx, texts[7], strlen(texts[7]), 0.7, &id, &score));
	assert_true(score == 1.0);	/* itself is in the index */
	assert_false(rouge_index_best(idx, "完全不同的内容", strlen("完全不同的内容"), 0.7, &id, &score));
	rouge_index_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_union_find_clusters),
		cmocka_unit_test(test_union_find_random),
		cmocka_unit_test(test_rouge_hand_values),
		cmocka_unit_test(test_rouge_matches_dp),
		cmocka_unit_test(test_rouge_index_matches_all_pairs),
	};
	return RUN_TESTS(tests);
}
