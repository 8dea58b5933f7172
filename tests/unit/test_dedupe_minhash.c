/*
 * test_dedupe_minhash.c - MinHash estimates against exact Jaccard, and LSH
 * recall at the threshold against the banding formula.
 *
 * Sets are built with a known Jaccard: c shared hashes plus a and b
 * private ones give J = c / (c + a + b) exactly. For K = 128 independent
 * min-wise hash functions the estimate is Binomial(K, J) / K: mean J and
 * standard deviation sqrt(J(1-J)/K). The tests check both, so hash
 * functions that were correlated (fewer effective functions) would fail
 * the spread check even if the mean were right.
 */
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../dedupe/dedupe.h"

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint32_t next_random(void)
{
	/* xorshift64*, independent of the hashing under test */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Fills a and b (each of size c + priv) so their Jaccard is c / (c + 2 priv). */
static void make_pair(uint32_t *a, uint32_t *b, size_t c, size_t priv)
{
	for (size_t i = 0; i < c; i++)
		a[i] = b[i] = next_random();
	for (size_t i = 0; i < priv; i++) {
		a[c + i] = next_random();
		b[c + i] = next_random();
	}
}

static void check_estimates(size_t c, size_t priv, int pairs)
{
	double j = (double)c / (double)(c + 2 * priv);
	double sum = 0, sumsq = 0;
	uint32_t *a = malloc((c + priv) * sizeof(*a)), *b = malloc((c + priv) * sizeof(*b));
	uint32_t sa[DEDUPE_MINHASH_K], sb[DEDUPE_MINHASH_K];
	for (int p = 0; p < pairs; p++) {
		make_pair(a, b, c, priv);
		minhash_signature(a, c + priv, sa);
		minhash_signature(b, c + priv, sb);
		double e = minhash_estimate(sa, sb);
		sum += e;
		sumsq += (e - j) * (e - j);
	}
	double mean = sum / pairs, sd = sqrt(sumsq / pairs);
	double want_sd = sqrt(j * (1 - j) / DEDUPE_MINHASH_K);
	/* the mean of `pairs` estimates is within 4 standard errors of J */
	assert_true(fabs(mean - j) < 4 * want_sd / sqrt(pairs) + 1e-9);
	/* the spread is the binomial one (within 20%) */
	assert_true(sd < 1.2 * want_sd + 1e-9);
	assert_true(sd > 0.8 * want_sd - 1e-9);
	free(a);
	free(b);
}

static void test_minhash_matches_jaccard(void **state)
{
	(void)state;
	check_estimates(400, 50, 400);	/* J = 0.8 */
	check_estimates(300, 150, 400);	/* J = 0.5 */
	check_estimates(100, 200, 400);	/* J = 0.2 */
	check_estimates(900, 25, 400);	/* J = 0.947... */
}

static void test_minhash_edges(void **state)
{
	uint32_t a[3] = { 1, 2, 3 }, b[3] = { 3, 2, 1 }, sa[DEDUPE_MINHASH_K], sb[DEDUPE_MINHASH_K];
	(void)state;
	minhash_signature(a, 3, sa);
	minhash_signature(b, 3, sb);
	assert_true(minhash_estimate(sa, sb) == 1.0);	/* order does not matter */
	uint32_t dup[6] = { 1, 1, 2, 2, 3, 3 };
	minhash_signature(dup, 6, sb);
	assert_true(minhash_estimate(sa, sb) == 1.0);	/* repeats do not matter */
	minhash_signature(NULL, 0, sa);
	for (int i = 0; i < DEDUPE_MINHASH_K; i++)
		assert_true(sa[i] == UINT32_MAX);
}

static void test_lsh_params(void **state)
{
	struct lsh_params p;
	(void)state;
	/* at 0.8: 7 rows x 18 bands gives 1 - (1 - 0.8^7)^18 = 0.9855 >= 0.98,
	 * while 8 rows x 16 bands gives 1 - (1 - 0.8^8)^16 = 0.947 */
	lsh_params_for(&p, 0.8);
	assert_int_equal(p.rows, 7);
	assert_int_equal(p.bands, 18);
	assert_true(fabs(lsh_candidate_probability(&p, 0.8) - 0.985542) < 1e-5);
	for (double t = 0.3; t <= 1.0001; t += 0.05) {
		lsh_params_for(&p, t);
		assert_true(p.rows * p.bands <= DEDUPE_MINHASH_K);
		assert_true(lsh_candidate_probability(&p, t) >= DEDUPE_LSH_RECALL);
	}
	/* another threshold, another scheme: stored band keys get recomputed */
	struct lsh_params q;
	lsh_params_for(&p, 0.8);
	lsh_params_for(&q, 0.7);
	assert_true(lsh_scheme(&p) != lsh_scheme(&q));
	assert_true(lsh_scheme(&p) == lsh_scheme(&p));
}

static int candidates(const struct lsh_params *p, const uint32_t *sa, const uint32_t *sb)
{
	uint32_t ka[DEDUPE_LSH_MAX_BANDS], kb[DEDUPE_LSH_MAX_BANDS];
	lsh_band_keys(p, sa, ka);
	lsh_band_keys(p, sb, kb);
	for (int i = 0; i < p->bands; i++)
		if (ka[i] == kb[i])
			return 1;
	return 0;
}

static double candidate_rate(const struct lsh_params *p, size_t c, size_t priv, int pairs)
{
	uint32_t *a = malloc((c + priv) * sizeof(*a)), *b = malloc((c + priv) * sizeof(*b));
	uint32_t sa[DEDUPE_MINHASH_K], sb[DEDUPE_MINHASH_K];
	int hits = 0;
	for (int i = 0; i < pairs; i++) {
		make_pair(a, b, c, priv);
		minhash_signature(a, c + priv, sa);
		minhash_signature(b, c + priv, sb);
		hits += candidates(p, sa, sb);
	}
	free(a);
	free(b);
	return (double)hits / pairs;
}

static void test_lsh_recall_at_threshold(void **state)
{
	struct lsh_params p;
	(void)state;
	lsh_params_for(&p, 0.8);
	/* exactly at the threshold (400 shared, 50 + 50 private: J = 0.8):
	 * theory 0.9855; 2000 pairs have a standard error of 0.0026 */
	double at = candidate_rate(&p, 400, 50, 2000);
	assert_true(at >= 0.97);
	/* J = 0.85 (340 shared, 30 + 30 private) */
	assert_true(candidate_rate(&p, 340, 30, 2000) >= 0.99);
	/* far below (J = 0.3: 150 shared, 175 + 175 private): theory 1 - (1 - 0.3^7)^18 = 0.0039 */
	assert_true(candidate_rate(&p, 150, 175, 2000) < 0.02);
	/* and at 0.6 the rate follows the curve: 1 - (1 - 0.6^7)^18 = 0.400 */
	double mid = candidate_rate(&p, 300, 100, 2000);
	assert_true(fabs(mid - lsh_candidate_probability(&p, 0.6)) < 0.05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minhash_matches_jaccard),
		cmocka_unit_test(test_minhash_edges),
		cmocka_unit_test(test_lsh_params),
		cmocka_unit_test(test_lsh_recall_at_threshold),
	};
	return RUN_TESTS(tests);
}
