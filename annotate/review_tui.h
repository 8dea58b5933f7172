/*
 * review_tui.h - what the terminal reviewer's two halves share: the
 * screen (review_screen.c: raw mode, keys, the lines of a record, drawing,
 * typing a line) and the decisions and batches (review.c).
 */
#ifndef WINNOW_REVIEW_TUI_H
#define WINNOW_REVIEW_TUI_H

#include "annotate_internal.h"

enum key {
	KEY_NONE = 0, KEY_EOF = -1, KEY_RESIZE = -2, KEY_UP = -3, KEY_DOWN = -4,
	KEY_PGUP = -5, KEY_PGDN = -6, KEY_HOME = -7, KEY_END = -8, KEY_LEFT = -9,
	KEY_RIGHT = -10, KEY_ESC = 27
};

enum line_style { STYLE_TEXT, STYLE_HEADING, STYLE_DIM };

struct line {
	char *text;
	enum line_style style;
};

struct tui {
	sqlite3 *db;
	const struct record_filter *filter;
	const char *author;
	long batch_size;
	int rows, cols;

	/* the batch */
	int64_t *ids;
	struct decision *dec;
	size_t nr, cur, *undo, undo_nr;
	int64_t last_id;
	int batch_no, at_end, no_more;

	/* the record on screen */
	struct review_item item;
	int64_t item_id;	/* 0: nothing loaded */
	int item_gone;
	struct line *lines;
	size_t lines_nr, lines_alloc, scroll;
	int64_t draft_id;	/* a failed edit kept for the next 'e' */
	struct strbuf draft;

	char message[600];
	long total[4];		/* per verdict, finished batches */
	long skipped;
};

/* Terminal settings, signal handlers (resize; restore on SIGTERM/SIGHUP),
 * the screen's size and raw mode on the alternate screen. */
int tui_open(struct tui *t);
/* Puts all of that back; safe to call more than once. */
void tui_close(void);
/* Leaves and re-enters raw mode around an external editor. */
void tui_terminal_restore(void);
int tui_terminal_raw(void);
/* Reads the terminal's size into t (at least 8 x 20) and clears a pending resize. */
void tui_screen_size(struct tui *t);
/* The next key: a byte, or a KEY_* value (arrows, paging, resize, end of input). */
int tui_read_key(void);

/* The lines shown for the record on screen. */
void tui_clear_lines(struct tui *t);
void tui_add_wrapped(struct tui *t, const char *text, const char *prefix, enum line_style style);
void tui_add_heading(struct tui *t, const char *name);
void tui_build_lines(struct tui *t);
/* The lines of the screen after the last record of a batch. */
void tui_end_screen_lines(struct tui *t);

/* Decisions of this batch by verdict. */
void tui_counts(const struct tui *t, long c[4]);
/* Rows between the header and the status line. */
size_t tui_body_rows(const struct tui *t);
/* Draws the whole screen; with prompt, the bottom row asks for input. */
void tui_draw(struct tui *t, const char *prompt, const char *input);
/*
 * Reads a line on the prompt row into out. Returns 1 on Enter, 0 when
 * cancelled (Esc, Ctrl-C, Ctrl-G), -1 at the end of input.
 */
int tui_read_line(struct tui *t, const char *prompt, struct strbuf *out);

#endif
