/*
 * loss_svg.c - loss.svg in the training output folder: the training loss
 * of every step and the validation loss where it was measured, on labelled
 * axes with round tick values, as a plain SVG any browser opens.
 */
#include "train.h"
#include "../lib/file.h"
#include "../lib/strbuf.h"

#include <math.h>
#include <stdio.h>

#define W 760
#define H 420
#define LEFT 70
#define RIGHT 20
#define TOP 40
#define BOTTOM 55

/* A round step giving about want ticks over span. */
static double nice_step(double span, int want)
{
	double raw = span / want, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void polyline(struct strbuf *sb, const struct loss_point *p, size_t n, double x0,
		     double x1, double y0, double y1, const char *color, int dots)
{
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	if (!n)
		return;
	strbuf_addf(sb, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, "%.1f,%.1f ", LEFT + (p[i].step - x0) / (x1 - x0) * pw,
			    TOP + (y1 - p[i].loss) / (y1 - y0) * ph);
	strbuf_addstr(sb, "\"/>\n");
	for (size_t i = 0; dots && i < n; i++)
		strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			    LEFT + (p[i].step - x0) / (x1 - x0) * pw,
			    TOP + (y1 - p[i].loss) / (y1 - y0) * ph, color);
}

int loss_svg_write(const char *path, const struct loss_point *train, size_t ntrain,
		   const struct loss_point *val, size_t nval)
{
	struct strbuf sb = STRBUF_INIT;
	double x0 = 0, x1 = 1, lo = INFINITY, hi = -INFINITY, ystep, xstep;
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	int rc;
	for (size_t i = 0; i < ntrain; i++) {
		lo = fmin(lo, train[i].loss);
		hi = fmax(hi, train[i].loss);
		x1 = fmax(x1, (double)train[i].step);
	}
	for (size_t i = 0; i < nval; i++) {
		lo = fmin(lo, val[i].loss);
		hi = fmax(hi, val[i].loss);
		x1 = fmax(x1, (double)val[i].step);
	}
	if (!(lo <= hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi - lo < 1e-6)
		hi = lo + 1e-3 + fabs(lo) * 0.1;
	ystep = nice_step(hi - lo, 6);
	lo = floor(lo / ystep) * ystep;
	hi = ceil(hi / ystep) * ystep;
	xstep = nice_step(x1 - x0, 8);
	x1 = ceil(x1 / xstep) * xstep;

	strbuf_addf(&sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			 "font-family=\"sans-serif\" font-size=\"12\">\n"
			 "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
			 "<text x=\"%d\" y=\"24\" font-size=\"15\">winnow train: loss per step</text>\n",
		    W, H, LEFT);
	for (double y = lo; y <= hi + ystep / 2; y += ystep) {
		double py = TOP + (hi - y) / (hi - lo) * ph;
		strbuf_addf(&sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
				 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			    LEFT, W - RIGHT, py, py, LEFT - 6, py + 4, round(y / ystep) * ystep);
	}
	for (double x = x0; x <= x1 + xstep / 2; x += xstep) {
		double px = LEFT + (x - x0) / (x1 - x0) * pw;
		strbuf_addf(&sb, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n"
				 "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
			    px, px, H - BOTTOM, H - BOTTOM + 5, px, H - BOTTOM + 19, x);
	}
	strbuf_addf(&sb, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
			 "stroke=\"#333\"/>\n"
			 "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">optimizer step</text>\n"
			 "<text transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">"
			 "loss (mean cross-entropy per token)</text>\n",
		    LEFT, TOP, pw, ph, LEFT + pw / 2, H - 12, TOP + ph / 2);
	polyline(&sb, train, ntrain, x0, x1, lo, hi, "#1f77b4", 0);
	polyline(&sb, val, nval, x0, x1, lo, hi, "#ff7f0e", 1);
	strbuf_addf(&sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" "
			 "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">train</text>\n"
			 "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ff7f0e\" "
			 "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">validation</text>\n</svg>\n",
		    W - 200, W - 180, 20, 20, W - 175, 24, W - 120, W - 100, 20, 20, W - 95, 24);
	rc = write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}
