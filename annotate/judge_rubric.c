/*
 * judge_rubric.c - what the LLM judge is asked and how its answer is read:
 * the rubric (built in, or "name: description" lines from --rubric FILE),
 * reading the JSON scores back strictly, and the agreement arithmetic
 * (observed agreement and Cohen's kappa) that `judge --calibrate` prints.
 */
#include "annotate.h"
#include "../llm/llm.h"
#include "../lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUBRIC_MAX ((int)(sizeof(((struct rubric *)0)->name) / sizeof(char *)))

static const char *const default_rubric[][2] = {
	{ "clarity", "the instruction is clear, self-contained and answerable" },
	{ "correctness", "the answer is factually and logically correct and does what was asked" },
	{ "helpfulness", "the answer is complete and useful, neither padded nor cut short" },
	{ "fluency", "the answer is fluent and natural, in the same language as the instruction" },
	{ "harmlessness", "nothing unsafe, offensive, private or misleading" },
};

void rubric_default(struct rubric *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(default_rubric) / sizeof(default_rubric[0]); i++) {
		r->name[r->nr] = xstrdup(default_rubric[i][0]);
		r->description[r->nr++] = xstrdup(default_rubric[i][1]);
	}
}

void rubric_release(struct rubric *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->name[i]);
		free(r->description[i]);
	}
	memset(r, 0, sizeof(*r));
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int rubric_load(struct rubric *r, const char *path)
{
	FILE *fp = fopen(path, "rb");
	char line[4096];
	long lineno = 0;
	memset(r, 0, sizeof(*r));
	if (!fp)
		return error("cannot open rubric file '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line), n = 0;
		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			fclose(fp);
			rubric_release(r);
			return error("%s:%ld: line too long (at most %zu bytes)", path, lineno, sizeof(line) - 2);
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		while (name_char(s[n]))
			n++;
		char *colon = s + n;
		while (*colon == ' ')
			colon++;
		if (!n || *colon != ':' || !colon[1]) {
			fclose(fp);
			rubric_release(r);
			return error("%s:%ld: expected 'name: what a 5 means' (name in a-z, 0-9, _ and -)",
				     path, lineno);
		}
		if (r->nr == (size_t)RUBRIC_MAX) {
			fclose(fp);
			rubric_release(r);
			return error("%s:%ld: at most %d criteria", path, lineno, RUBRIC_MAX);
		}
		for (size_t i = 0; i < r->nr; i++) {
			if (strlen(r->name[i]) == n && !strncmp(r->name[i], s, n)) {
				fclose(fp);
				rubric_release(r);
				return error("%s:%ld: criterion '%.*s' appears twice", path, lineno, (int)n, s);
			}
		}
		if (n == 9 && !strncmp(s, "rationale", 9)) {
			fclose(fp);
			rubric_release(r);
			return error("%s:%ld: 'rationale' is not a criterion; the judge always gives one", path, lineno);
		}
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		r->name[r->nr] = xstrndup(s, n);
		r->description[r->nr++] = xstrdup(colon);
	}
	fclose(fp);
	if (!r->nr)
		return error("rubric file '%s' has no criteria ('name: what a 5 means' lines)", path);
	return 0;
}

/* A score: a number (or a string holding one) from 1 to 5. */
static int read_score(json_t *v, double *out)
{
	double d;
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		if (parse_double(json_string_value(v), 1, 5, &d))
			return -1;
	} else {
		return -1;
	}
	if (!(d >= 1 && d <= 5))
		return -1;
	*out = d;
	return 0;
}

int rubric_parse_answer(const struct rubric *r, const char *text, size_t len, double *scores,
			double *overall, struct strbuf *rationale, char *err, size_t errsize)
{
	json_t *obj = llm_extract_json(text, len);
	double sum = 0;
	int rc = -1;
	if (!json_is_object(obj)) {
		snprintf(err, errsize, "the answer holds no JSON object");
		goto out;
	}
	for (size_t i = 0; i < r->nr; i++) {
		json_t *v = json_object_get(obj, r->name[i]);
		if (!v) {
			snprintf(err, errsize, "no score for \"%s\"", r->name[i]);
			goto out;
		}
		if (read_score(v, &scores[i])) {
			snprintf(err, errsize, "the score for \"%s\" is not a number from 1 to 5", r->name[i]);
			goto out;
		}
		sum += scores[i];
	}
	json_t *why = json_object_get(obj, "rationale");
	if (!json_is_string(why) || !*json_string_value(why)) {
		snprintf(err, errsize, "no \"rationale\" text");
		goto out;
	}
	strbuf_addstr(rationale, json_string_value(why));
	strbuf_trim(rationale);
	*overall = sum / (double)r->nr;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

void agreement_compute(const long counts[2][2], struct agreement *a)
{
	double n = (double)(counts[0][0] + counts[0][1] + counts[1][0] + counts[1][1]);
	memset(a, 0, sizeof(*a));
	a->n = (long)n;
	if (n <= 0) {
		a->undefined = 1;
		return;
	}
	double judge_yes = (double)(counts[1][0] + counts[1][1]) / n;
	double human_yes = (double)(counts[0][1] + counts[1][1]) / n;
	a->observed = (double)(counts[0][0] + counts[1][1]) / n;
	a->expected = judge_yes * human_yes + (1 - judge_yes) * (1 - human_yes);
	if (fabs(1 - a->expected) < 1e-12) {
		a->undefined = 1;	/* both raters always said the same one thing */
		return;
	}
	a->kappa = (a->observed - a->expected) / (1 - a->expected);
}

const char *kappa_words(double kappa)
{
	if (kappa < 0)
		return "poor (worse than chance)";
	if (kappa <= 0.20)
		return "slight";
	if (kappa <= 0.40)
		return "fair";
	if (kappa <= 0.60)
		return "moderate";
	if (kappa <= 0.80)
		return "substantial";
	return "almost perfect";
}
