/*
 * eval_report.c - `winnow eval --report FILE.html`: one self-contained page
 * (no scripts, no outside files) with the table of scores, a bar chart of
 * ROUGE-L and bits per byte drawn as inline SVG, and every record's
 * reference beside each candidate's answer.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval.h"
#include "../lib/file.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void html(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			strbuf_addstr(sb, "&lt;");
		else if (*s == '>')
			strbuf_addstr(sb, "&gt;");
		else if (*s == '&')
			strbuf_addstr(sb, "&amp;");
		else if (*s == '"')
			strbuf_addstr(sb, "&quot;");
		else
			strbuf_addch(sb, *s);
	}
}

/* One horizontal bar per model for values (the longest bar is the largest value). */
static void bar_chart(struct strbuf *sb, const char *title, const struct eval_result *res, size_t n,
		      const double *values)
{
	double max = 0;
	int h = 28 * (int)n + 30;
	for (size_t i = 0; i < n; i++)
		if (isfinite(values[i]) && values[i] > max)
			max = values[i];
	strbuf_addf(sb, "<figure><figcaption>%s</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"720\" height=\"%d\" role=\"img\">", title, h);
	for (size_t i = 0; i < n; i++) {
		double w = max > 0 && isfinite(values[i]) ? 400.0 * values[i] / max : 0;
		int y = 10 + 28 * (int)i;
		strbuf_addf(sb, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 15);
		html(sb, res[i].model);
		strbuf_addf(sb, "</text><rect x=\"300\" y=\"%d\" width=\"%.1f\" height=\"20\" fill=\"#4a7ab5\"/>"
			    "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">", y, w, 306 + w, y + 15);
		if (isfinite(values[i]))
			strbuf_addf(sb, "%.4f</text>", values[i]);
		else
			strbuf_addstr(sb, "-</text>");
	}
	strbuf_addstr(sb, "</svg></figure>\n");
}

static void score_table(struct strbuf *sb, const struct eval_result *res, size_t n)
{
	strbuf_addstr(sb, "<table><tr><th>model</th><th>loss</th><th>bits per byte</th><th>ROUGE-L</th>"
		      "<th>exact match</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(sb, "<tr><td>");
		html(sb, res[i].model);
		if (res[i].api)
			strbuf_addf(sb, "</td><td>-</td><td>-</td><td>%.4f</td><td>", res[i].rouge_l);
		else
			strbuf_addf(sb, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>", res[i].loss,
				    res[i].nll / log(2) / (double)res[i].bytes, res[i].rouge_l);
		if (res[i].short_refs)
			strbuf_addf(sb, "%.4f (%ld of %ld short)", (double)res[i].exact / res[i].short_refs,
				    res[i].exact, res[i].short_refs);
		else
			strbuf_addstr(sb, "no short references");
		if (res[i].judged)
			strbuf_addf(sb, "</td><td>%.3f (%ld judged)</td></tr>\n", res[i].win_rate, res[i].judged);
		else
			strbuf_addstr(sb, "</td><td>-</td></tr>\n");
	}
	strbuf_addstr(sb, "</table>\n");
}

int eval_write_report(const char *path, const struct eval_result *res, size_t nmodels,
		      const struct eval_record *recs, long nrecs)
{
	struct strbuf sb = STRBUF_INIT;
	double *values = xcalloc(nmodels, sizeof(*values));
	int rc;
	strbuf_addstr(&sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>winnow eval</title>"
		      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
		      "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
		      "td.a{white-space:pre-wrap;max-width:32em}</style></head><body>\n"
		      "<h1>Candidates on the test file</h1>\n");
	score_table(&sb, res, nmodels);
	for (size_t i = 0; i < nmodels; i++)
		values[i] = res[i].rouge_l;
	bar_chart(&sb, "ROUGE-L F1 against the references (higher is better)", res, nmodels, values);
	for (size_t i = 0; i < nmodels; i++)
		values[i] = res[i].api ? NAN : res[i].nll / log(2) / (double)res[i].bytes;
	bar_chart(&sb, "bits per byte of the references (lower is better)", res, nmodels, values);
	strbuf_addstr(&sb, "<h2>Answers side by side</h2>\n<table><tr><th>#</th><th>instruction</th>"
		      "<th>reference</th>");
	for (size_t m = 0; m < nmodels; m++) {
		strbuf_addstr(&sb, "<th>");
		html(&sb, res[m].model);
		strbuf_addstr(&sb, "</th>");
	}
	strbuf_addstr(&sb, "</tr>\n");
	for (long r = 0; r < nrecs; r++) {
		strbuf_addf(&sb, "<tr><td>%ld</td><td class=\"a\">", r);
		html(&sb, recs[r].instruction);
		if (*recs[r].input) {
			strbuf_addstr(&sb, "\n\n");
			html(&sb, recs[r].input);
		}
		strbuf_addstr(&sb, "</td><td class=\"a\">");
		html(&sb, recs[r].output);
		for (size_t m = 0; m < nmodels; m++) {
			strbuf_addstr(&sb, "</td><td class=\"a\">");
			html(&sb, res[m].answers ? res[m].answers[r] : "");
		}
		strbuf_addstr(&sb, "</td></tr>\n");
	}
	strbuf_addstr(&sb, "</table>\n</body></html>\n");
	rc = write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	free(values);
	return rc;
}
