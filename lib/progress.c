/*
 * progress.c - a single-line progress bar on stderr (see progress.h).
 */
#include "progress.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void progress_start(struct progress *p, const char *title, uint64_t total, const char *unit)
{
	const char *env = getenv("WINNOW_PROGRESS");
	memset(p, 0, sizeof(*p));
	p->title = title;
	p->unit = unit;
	p->total = total;
	p->start = now_seconds();
	p->enabled = env && *env ? strcmp(env, "0") != 0 : isatty(2);
}

static void human(char *buf, size_t size, double v, int bytes)
{
	const char *units = bytes ? " KMGT" : " kMGT";
	int i = 0;
	double base = bytes ? 1024 : 1000;
	while (v >= base && i < 4) {
		v /= base;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%.0f%s", v, bytes ? " B" : "");
	else
		snprintf(buf, size, "%.1f%c%s", v, units[i], bytes ? "B" : "");
}

static void draw(struct progress *p, double now)
{
	double elapsed = now - p->start;
	double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	int bytes = p->unit && !strcmp(p->unit, "bytes");
	char done[32], total[32], r[32], eta[32] = "";

	human(done, sizeof(done), (double)p->done, bytes);
	human(r, sizeof(r), rate, bytes);
	if (p->total) {
		double frac = (double)p->done / (double)p->total;
		char bar[21];
		int fill = (int)(frac * 20);
		if (fill > 20)
			fill = 20;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(20 - fill));
		bar[20] = '\0';
		human(total, sizeof(total), (double)p->total, bytes);
		if (rate > 0 && p->done < p->total) {
			long s = (long)((double)(p->total - p->done) / rate);
			snprintf(eta, sizeof(eta), " ETA %ld:%02ld", s / 60, s % 60);
		}
		fprintf(stderr, "\r%s [%s] %3.0f%% %s/%s %s %s/s%s\033[K", p->title, bar,
			frac * 100, done, total, bytes ? "" : p->unit, r, eta);
	} else {
		fprintf(stderr, "\r%s %s %s %s/s\033[K", p->title, done, bytes ? "" : p->unit, r);
	}
	p->drawn = 1;
	p->last_draw = now;
}

void progress_update(struct progress *p, uint64_t done)
{
	p->done = done;
	if (!p->enabled)
		return;
	double now = now_seconds();
	if (now - p->start < 1.0 || now - p->last_draw < 0.1)
		return;
	draw(p, now);
}

void progress_finish(struct progress *p)
{
	if (!p->drawn)
		return;
	draw(p, now_seconds());
	fputc('\n', stderr);
}
