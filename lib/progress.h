/*
 * progress.h - the one progress bar. Drawn on stderr only when stderr is a
 * terminal (or WINNOW_PROGRESS=1) and the work has lasted more than a
 * second; shows count, total, rate and ETA. Cheap enough to update per item.
 */
#ifndef WINNOW_PROGRESS_H
#define WINNOW_PROGRESS_H

#include <stdint.h>

struct progress {
	const char *title;
	const char *unit;	/* "records", "bytes" */
	uint64_t total;		/* 0 when unknown */
	uint64_t done;
	double start, last_draw;
	int enabled, drawn;
};

void progress_start(struct progress *p, const char *title, uint64_t total, const char *unit);
void progress_update(struct progress *p, uint64_t done);
/* Draws the final state if anything was drawn, and ends the line. */
void progress_finish(struct progress *p);

#endif
