/*
 * review.c - the full-screen terminal reviewer. Records come in batches
 * (20 by default, the size a person can judge before adjusting a task's
 * prompt); each key press that decides something is committed at once in
 * its own transaction, so quitting, a lost connection or a crash loses
 * nothing but the record on screen.
 *
 * The screen is drawn with a handful of VT100 sequences only (home, clear
 * to end of line, bold/reverse, the alternate screen), each text line cut
 * one column short of the edge, so any terminal (and the test's small
 * emulator) shows the same thing.
 *
 * Invariants:
 *  1. dec[i] describes what this session did to ids[i] and is exactly what
 *     the corpus holds: it is replaced only after the transaction commits.
 *  2. The terminal is restored on every way out: q, end of input, errors,
 *     and SIGTERM/SIGHUP (raw mode keeps Ctrl-C as a key).
 */
#include "annotate_internal.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <jansson.h>

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

static struct termios saved_termios;
static volatile sig_atomic_t resized, raw_on;

static void put(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

#define SCREEN_ENTER "\x1b[?1049h\x1b[?25l"
#define SCREEN_LEAVE "\x1b[0m\x1b[?25h\x1b[?1049l"

static void terminal_restore(void)
{
	if (!raw_on)
		return;
	put(SCREEN_LEAVE, sizeof(SCREEN_LEAVE) - 1);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	raw_on = 0;
}

static int terminal_raw(void)
{
	struct termios raw = saved_termios;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
	raw.c_oflag &= ~(tcflag_t)OPOST;
	raw.c_cflag |= CS8;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return error("cannot put the terminal in raw mode: %s", strerror(errno));
	raw_on = 1;
	put(SCREEN_ENTER, sizeof(SCREEN_ENTER) - 1);
	return 0;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void on_fatal(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void screen_size(struct tui *t)
{
	struct winsize ws;
	t->rows = 24;
	t->cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
	}
	if (t->rows < 8)
		t->rows = 8;
	if (t->cols < 20)
		t->cols = 20;
}

/* ---- keys ---- */

static int read_byte(int timeout_ms)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	unsigned char c;
	for (;;) {
		if (resized)
			return KEY_RESIZE;
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return KEY_NONE;
		if (r < 0)
			return KEY_EOF;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n == 1)
			return c;
		if (n < 0 && errno == EINTR)
			continue;
		return KEY_EOF;
	}
}

static int read_key(void)
{
	int c = read_byte(-1);
	if (c != 27)
		return c;
	int c2 = read_byte(50);
	if (c2 == KEY_NONE)
		return KEY_ESC;
	if (c2 != '[' && c2 != 'O')
		return KEY_NONE;
	char seq[16];
	size_t n = 0;
	for (;;) {
		int b = read_byte(50);
		if (b < 0 || b == KEY_NONE)
			return KEY_NONE;
		if (n < sizeof(seq) - 1)
			seq[n++] = (char)b;
		if (b >= 0x40 && b <= 0x7e)
			break;
	}
	seq[n] = '\0';
	if (!strcmp(seq, "A")) return KEY_UP;
	if (!strcmp(seq, "B")) return KEY_DOWN;
	if (!strcmp(seq, "C")) return KEY_RIGHT;
	if (!strcmp(seq, "D")) return KEY_LEFT;
	if (!strcmp(seq, "5~")) return KEY_PGUP;
	if (!strcmp(seq, "6~")) return KEY_PGDN;
	if (!strcmp(seq, "H") || !strcmp(seq, "1~")) return KEY_HOME;
	if (!strcmp(seq, "F") || !strcmp(seq, "4~")) return KEY_END;
	return KEY_NONE;
}

/* ---- building the lines of a record ---- */

static void add_line(struct tui *t, const char *text, enum line_style style)
{
	if (t->lines_nr == t->lines_alloc) {
		t->lines_alloc = t->lines_alloc ? 2 * t->lines_alloc : 64;
		t->lines = xrealloc(t->lines, t->lines_alloc * sizeof(*t->lines));
	}
	t->lines[t->lines_nr].text = xstrdup(text);
	t->lines[t->lines_nr++].style = style;
}

static void clear_lines(struct tui *t)
{
	for (size_t i = 0; i < t->lines_nr; i++)
		free(t->lines[i].text);
	t->lines_nr = 0;
}

static void add_wrapped(struct tui *t, const char *text, const char *prefix, enum line_style style)
{
	struct string_list wrapped = STRING_LIST_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t pw = text_width(prefix, strlen(prefix));
	wrap_text(text, strlen(text), (size_t)t->cols - 1 - pw, &wrapped);
	for (size_t i = 0; i < wrapped.nr; i++) {
		strbuf_reset(&sb);
		if (i == 0)
			strbuf_addstr(&sb, prefix);
		else
			for (size_t k = 0; k < pw; k++)
				strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, wrapped.items[i]);
		add_line(t, sb.buf, style);
	}
	string_list_clear(&wrapped);
	strbuf_release(&sb);
}

static void add_heading(struct tui *t, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "\u2500\u2500 %s ", name);
	while (text_width(sb.buf, sb.len) + 1 < (size_t)t->cols && text_width(sb.buf, sb.len) < 40)
		strbuf_addstr(&sb, "\u2500");
	add_line(t, sb.buf, STYLE_HEADING);
	strbuf_release(&sb);
}

static void add_history(struct tui *t, const char *history)
{
	json_t *v = json_loads(history, 0, NULL);
	size_t i;
	json_t *turn;
	if (!json_is_array(v) || !json_array_size(v)) {
		if (!v || !json_is_array(v))
			add_wrapped(t, history, "", STYLE_TEXT);
		json_decref(v);
		return;
	}
	add_heading(t, "history");
	json_array_foreach(v, i, turn) {
		char q[32], a[32];
		snprintf(q, sizeof(q), "Q%zu  ", i + 1);
		snprintf(a, sizeof(a), "A%zu  ", i + 1);
		const char *qs = json_string_value(json_array_get(turn, 0));
		const char *as = json_string_value(json_array_get(turn, 1));
		add_wrapped(t, qs ? qs : "?", q, STYLE_TEXT);
		add_wrapped(t, as ? as : "?", a, STYLE_TEXT);
	}
	json_decref(v);
}

static void build_lines(struct tui *t)
{
	static const char *const names[4] = { "instruction", "input", "output", "system" };
	struct review_item *it = &t->item;
	clear_lines(t);
	if (t->item_gone) {
		add_line(t, "(this record is no longer in the corpus)", STYLE_DIM);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (i != 0 && i != 2 && !it->field[i][0])
			continue;
		add_heading(t, names[i]);
		add_wrapped(t, it->field[i], "", STYLE_TEXT);
	}
	if (strcmp(it->field[4], "[]"))
		add_history(t, it->field[4]);
	if (it->annotations.len) {
		add_heading(t, "annotations");
		struct strbuf a = STRBUF_INIT;
		strbuf_add(&a, it->annotations.buf, it->annotations.len - 1);
		add_wrapped(t, a.buf, "", STYLE_DIM);
		strbuf_release(&a);
	}
}

static void load_current(struct tui *t)
{
	int64_t id = t->ids[t->cur];
	review_item_release(&t->item);
	t->item_gone = review_item_load(t->db, id, &t->item) != 0;
	t->item_id = id;
	t->scroll = 0;
	build_lines(t);
}

/* ---- drawing ---- */

static void draw_fit(struct strbuf *frame, const char *text, enum line_style style, int reverse,
		     size_t width)
{
	if (reverse)
		strbuf_addstr(frame, "\x1b[7m");
	else if (style == STYLE_HEADING)
		strbuf_addstr(frame, "\x1b[1m");
	else if (style == STYLE_DIM)
		strbuf_addstr(frame, "\x1b[2m");
	size_t w = text_fit(frame, text, strlen(text), width);
	if (reverse)
		for (; w < width; w++)
			strbuf_addch(frame, ' ');
	strbuf_addstr(frame, "\x1b[0m\x1b[K");
}

static void counts(const struct tui *t, long c[4])
{
	memset(c, 0, 4 * sizeof(*c));
	for (size_t i = 0; i < t->nr; i++)
		c[t->dec[i].verdict]++;
}

static void status_text(const struct tui *t, struct strbuf *sb)
{
	long c[4];
	counts(t, c);
	strbuf_addf(sb, " %zu/%zu \u00b7 %ld accepted \u00b7 %ld rejected",
		    t->at_end ? t->nr : t->cur + 1, t->nr, c[VERDICT_ACCEPT], c[VERDICT_REJECT]);
	if (c[VERDICT_EDIT])
		strbuf_addf(sb, " \u00b7 %ld edited", c[VERDICT_EDIT]);
	strbuf_addstr(sb, "   a accept  r reject  e edit  s skip  u undo  n/p  ? help  q quit");
}

static void header_text(const struct tui *t, struct strbuf *h1, struct strbuf *h2)
{
	const struct review_item *it = &t->item;
	const struct decision *d = &t->dec[t->cur];
	strbuf_addf(h1, " winnow review \u00b7 batch %d \u00b7 record %lld", t->batch_no, (long long)t->item_id);
	if (t->item_gone)
		return;
	strbuf_addf(h1, " \u00b7 %s", it->stage);
	if (d->verdict == VERDICT_ACCEPT)
		strbuf_addstr(h1, " (accepted)");
	else if (d->verdict == VERDICT_REJECT)
		strbuf_addstr(h1, " (rejected)");
	else if (d->verdict == VERDICT_EDIT)
		strbuf_addf(h1, " (edited into record %lld)", (long long)d->new_record_id);
	strbuf_addf(h2, " source %s \u00b7 task %s \u00b7 origin %s", *it->source ? it->source : "-",
		    *it->task ? it->task : "-", it->origin);
	if (it->has_quality)
		strbuf_addf(h2, " \u00b7 quality %.2f", it->quality);
	if (*it->lang)
		strbuf_addf(h2, " \u00b7 lang %s", it->lang);
	if (it->parent_id)
		strbuf_addf(h2, " \u00b7 parent %lld", (long long)it->parent_id);
	if (*it->reason)
		strbuf_addf(h2, " \u00b7 reason %s", it->reason);
}

static size_t body_rows(const struct tui *t)
{
	return (size_t)t->rows - 4;
}

static void end_screen_lines(struct tui *t)
{
	long c[4];
	char buf[300];
	counts(t, c);
	clear_lines(t);
	snprintf(buf, sizeof(buf), "batch %d done", t->batch_no);
	add_heading(t, buf);
	snprintf(buf, sizeof(buf), "%zu records: %ld accepted \u00b7 %ld rejected \u00b7 %ld edited \u00b7 %ld not decided",
		 t->nr, c[VERDICT_ACCEPT], c[VERDICT_REJECT], c[VERDICT_EDIT], c[VERDICT_NONE]);
	add_wrapped(t, buf, "", STYLE_TEXT);
	add_line(t, "", STYLE_TEXT);
	if (t->no_more)
		add_wrapped(t, "No more records match. p goes back, u undoes, q quits.", "", STYLE_TEXT);
	else
		add_wrapped(t, "n or Enter: next batch   p: back to the last record   u: undo   q: quit", "",
			    STYLE_TEXT);
	add_wrapped(t, "A good moment to turn rejection notes into task feedback: "
		       "'winnow feedback list TASK'.", "", STYLE_DIM);
}

static void draw(struct tui *t, const char *prompt, const char *input)
{
	struct strbuf frame = STRBUF_INIT, h1 = STRBUF_INIT, h2 = STRBUF_INIT, st = STRBUF_INIT;
	size_t width = (size_t)t->cols - 1, rows = body_rows(t);

	if (t->at_end) {
		strbuf_addf(&h1, " winnow review \u00b7 batch %d", t->batch_no);
	} else {
		header_text(t, &h1, &h2);
	}
	if (t->scroll + rows > t->lines_nr)
		t->scroll = t->lines_nr > rows ? t->lines_nr - rows : 0;
	strbuf_addstr(&frame, "\x1b[?25l\x1b[H");
	draw_fit(&frame, h1.buf, STYLE_TEXT, 1, width);
	strbuf_addstr(&frame, "\r\n");
	draw_fit(&frame, h2.buf, STYLE_DIM, 0, width);
	strbuf_addstr(&frame, "\r\n");
	for (size_t r = 0; r < rows; r++) {
		size_t i = t->scroll + r;
		if (i < t->lines_nr)
			draw_fit(&frame, t->lines[i].text, t->lines[i].style, 0, width);
		else
			strbuf_addstr(&frame, "\x1b[K");
		strbuf_addstr(&frame, "\r\n");
	}
	size_t cursor_col = 0;
	if (prompt) {
		size_t pw = text_width(prompt, strlen(prompt));
		const char *in = input;
		strbuf_addstr(&frame, "\x1b[1m");
		text_fit(&frame, prompt, strlen(prompt), width);
		strbuf_addstr(&frame, "\x1b[0m");
		/* show the end of what is typed */
		while (*in && text_width(in, strlen(in)) + pw + 1 > width) {
			in++;
			while ((*in & 0xC0) == 0x80)
				in++;
		}
		cursor_col = 1 + pw + text_fit(&frame, in, strlen(in), width > pw ? width - pw : 0);
		strbuf_addstr(&frame, "\x1b[K\r\n");
	} else {
		char hint[160] = "";
		if (!t->message[0] && t->lines_nr > rows)
			snprintf(hint, sizeof(hint), "(lines %zu-%zu of %zu: j/k or arrows scroll, "
				 "space/b page)", t->scroll + 1, t->scroll + rows < t->lines_nr ?
				 t->scroll + rows : t->lines_nr, t->lines_nr);
		draw_fit(&frame, t->message[0] ? t->message : hint, STYLE_TEXT, 0, width);
		strbuf_addstr(&frame, "\r\n");
	}
	status_text(t, &st);
	draw_fit(&frame, st.buf, STYLE_TEXT, 1, width);
	if (prompt)
		strbuf_addf(&frame, "\x1b[%d;%zuH\x1b[?25h", t->rows - 1, cursor_col);
	put(frame.buf, frame.len);
	strbuf_release(&frame);
	strbuf_release(&h1);
	strbuf_release(&h2);
	strbuf_release(&st);
}

/* ---- typing a line (tags, note) ---- */

/*
 * Reads a line on the prompt row into out. Returns 1 on Enter, 0 when
 * cancelled (Esc, Ctrl-C, Ctrl-G), -1 at the end of input.
 */
static int read_line(struct tui *t, const char *prompt, struct strbuf *out)
{
	strbuf_reset(out);
	for (;;) {
		draw(t, prompt, out->buf);
		int c = read_byte(-1);
		if (c == KEY_RESIZE) {
			resized = 0;
			screen_size(t);
			if (!t->at_end)
				build_lines(t);
			continue;
		}
		if (c == KEY_EOF)
			return -1;
		if (c == '\r' || c == '\n')
			return 1;
		if (c == 27) {
			/* Esc alone cancels; an escape sequence (arrows) is ignored */
			int c2 = read_byte(50);
			if (c2 == KEY_NONE)
				return 0;
			while (c2 >= 0 && !(c2 >= 0x40 && c2 <= 0x7e && c2 != '[' && c2 != 'O'))
				c2 = read_byte(50);
			continue;
		}
		if (c == 3 || c == 7)
			return 0;
		if (c == 127 || c == 8) {
			while (out->len && (out->buf[out->len - 1] & 0xC0) == 0x80)
				out->len--;
			if (out->len)
				out->len--;
			out->buf[out->len] = '\0';
		} else if (c == 21) {
			strbuf_reset(out);
		} else if (c >= 0x20 && out->len < 4000) {
			strbuf_addch(out, c);
		}
	}
}

/* ---- decisions ---- */

/*
 * Replaces the decision on the current record (undoing the one it had) in
 * one transaction. Returns 0, 1 when an edit's text already exists, -1.
 */
static int decide(struct tui *t, enum verdict v, const char *tags, const char *note,
		  const struct record *edited)
{
	struct decision *d = &t->dec[t->cur], old = *d, fresh;
	int rc;

	memset(&fresh, 0, sizeof(fresh));
	if (corpus_exec(t->db, "BEGIN IMMEDIATE")) {
		snprintf(t->message, sizeof(t->message), "the corpus is busy; nothing changed, try again");
		return -1;
	}
	rc = old.verdict != VERDICT_NONE ? decision_undo(t->db, &old) : 0;
	if (!rc)
		rc = decision_apply(t->db, &fresh, t->ids[t->cur], v, t->author, tags, note, edited);
	if (rc || corpus_exec(t->db, "COMMIT")) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		decision_release(&fresh);
		if (rc != 1)
			snprintf(t->message, sizeof(t->message), "could not save the decision on record %lld; "
				 "nothing changed (see the message after quitting)", (long long)t->ids[t->cur]);
		return rc ? rc : -1;
	}
	free(old.prev_reason);
	*d = fresh;
	/* the stack holds each record once, most recent decision last */
	size_t k = 0;
	for (size_t i = 0; i < t->undo_nr; i++)
		if (t->undo[i] != t->cur)
			t->undo[k++] = t->undo[i];
	t->undo_nr = k;
	t->undo[t->undo_nr++] = t->cur;
	return 0;
}

static void go_next(struct tui *t)
{
	if (t->cur + 1 < t->nr) {
		t->cur++;
		load_current(t);
	} else {
		t->at_end = 1;
		end_screen_lines(t);
	}
}

static void do_undo(struct tui *t)
{
	while (t->undo_nr && t->dec[t->undo[t->undo_nr - 1]].verdict == VERDICT_NONE)
		t->undo_nr--;
	if (!t->undo_nr) {
		snprintf(t->message, sizeof(t->message), "nothing to undo in this batch");
		return;
	}
	size_t i = t->undo[t->undo_nr - 1];
	struct decision *d = &t->dec[i];
	enum verdict was = d->verdict;
	if (corpus_exec(t->db, "BEGIN IMMEDIATE")) {
		snprintf(t->message, sizeof(t->message), "the corpus is busy; nothing changed, try again");
		return;
	}
	struct decision copy = *d;
	if (decision_undo(t->db, &copy) || corpus_exec(t->db, "COMMIT")) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(t->message, sizeof(t->message), "cannot undo the decision on record %lld "
			 "(see the message after quitting)", (long long)d->record_id);
		return;
	}
	t->undo_nr--;
	decision_release(d);
	t->at_end = 0;
	t->cur = i;
	load_current(t);
	snprintf(t->message, sizeof(t->message), "undone: %s of record %lld; it is %s again",
		 verdict_name(was), (long long)t->ids[i], t->item.stage ? t->item.stage : "back");
}

static int do_reject(struct tui *t)
{
	struct strbuf tags = STRBUF_INIT, note = STRBUF_INIT;
	int rc = read_line(t, "error tags (comma-separated, e.g. factual,format,language; Enter for none): ",
			   &tags);
	if (rc > 0)
		rc = read_line(t, "note (why; becomes feedback for the task; Enter for none): ", &note);
	if (rc > 0) {
		strbuf_trim(&tags);
		strbuf_trim(&note);
		if (!decide(t, VERDICT_REJECT, tags.buf, note.buf, NULL)) {
			snprintf(t->message, sizeof(t->message), "rejected record %lld%s",
				 (long long)t->ids[t->cur], note.len && t->item.task_id ?
				 "; the note is now feedback for its task" : "");
			go_next(t);
		}
	} else if (rc == 0) {
		snprintf(t->message, sizeof(t->message), "rejection cancelled");
	}
	strbuf_release(&tags);
	strbuf_release(&note);
	return rc < 0 ? -1 : 0;
}

static int read_file(const char *path, struct strbuf *out)
{
	FILE *fp = fopen(path, "rb");
	char buf[8192];
	size_t n;
	if (!fp)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 && out->len < ((size_t)64 << 20))
		strbuf_add(out, buf, n);
	fclose(fp);
	return 0;
}

static void do_edit(struct tui *t)
{
	struct strbuf text = STRBUF_INIT, back = STRBUF_INIT;
	struct edit_fields f;
	char err[300];
	const char *tmpdir = getenv("TMPDIR");
	char *file;
	int fd, changed = 0;

	if (t->item_gone)
		return;
	if (t->draft_id == t->ids[t->cur])
		strbuf_add(&text, t->draft.buf, t->draft.len);
	else
		edit_format(&text, t->ids[t->cur], t->item.field);
	file = xstrfmt("%s/winnow-review-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(file);
	if (fd < 0 || write(fd, text.buf, text.len) != (ssize_t)text.len) {
		snprintf(t->message, sizeof(t->message), "cannot write a temporary file for the editor: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	terminal_restore();
	int failed = edit_in_editor(file);
	terminal_raw();
	if (failed || read_file(file, &back)) {
		snprintf(t->message, sizeof(t->message), "the editor failed; the record is unchanged");
		goto out;
	}
	if (back.len == text.len && !memcmp(back.buf, text.buf, text.len) && t->draft_id != t->ids[t->cur]) {
		snprintf(t->message, sizeof(t->message), "nothing changed");
		goto out;
	}
	if (edit_parse(back.buf, back.len, &f, err, sizeof(err))) {
		strbuf_reset(&t->draft);
		strbuf_add(&t->draft, back.buf, back.len);
		t->draft_id = t->ids[t->cur];
		snprintf(t->message, sizeof(t->message), "edit not saved: %s; press e to fix it", err);
		goto out;
	}
	t->draft_id = 0;
	for (int i = 0; i < 5; i++)
		changed |= strcmp(f.field[i], t->item.field[i]) != 0;
	if (!changed) {
		snprintf(t->message, sizeof(t->message), "nothing changed");
	} else {
		struct record r = { f.field[0], f.field[1], f.field[2], f.field[3], f.field[4],
				    strlen(f.field[0]), strlen(f.field[1]), strlen(f.field[2]),
				    strlen(f.field[3]), strlen(f.field[4]) };
		int rc = decide(t, VERDICT_EDIT, "", "", &r);
		if (rc == 1) {
			snprintf(t->message, sizeof(t->message), "the edited text is already in the corpus "
				 "as another record; nothing saved");
		} else if (!rc) {
			snprintf(t->message, sizeof(t->message), "saved as record %lld (raw: clean and dedupe "
				 "bring it back for review); record %lld rejected as edited",
				 (long long)t->dec[t->cur].new_record_id, (long long)t->ids[t->cur]);
			go_next(t);
		}
	}
	edit_fields_release(&f);
out:
	unlink(file);
	free(file);
	strbuf_release(&text);
	strbuf_release(&back);
}

static void help_screen(struct tui *t)
{
	static const char *const help[] = {
		"a        accept: the record becomes approved",
		"r        reject: asks for error tags and a note; the note becomes feedback for the task",
		"e        edit in $EDITOR: the edit becomes a new version (origin fix), this one is rejected",
		"s        skip: leave it as it is and go on",
		"u        undo the last decision in this batch",
		"n / p    next / previous record (also right / left)",
		"j / k    scroll down / up a line (also the arrow keys)",
		"space/b  scroll a page down / up",
		"?        this help",
		"q        quit; every decision is already saved",
		"",
		"Deciding again on a record replaces the earlier decision.",
		"Press any key to go back.",
	};
	clear_lines(t);
	add_heading(t, "keys");
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		add_wrapped(t, help[i], "  ", STYLE_TEXT);
	t->scroll = 0;
	t->message[0] = '\0';
	draw(t, NULL, NULL);
	int c;
	while ((c = read_key()) == KEY_RESIZE || c == KEY_NONE) {
		resized = 0;
		screen_size(t);
	}
	if (t->at_end)
		end_screen_lines(t);
	else
		build_lines(t);
}

/* ---- batches ---- */

/* Loads the next batch after last_id. Returns records loaded, or -1. */
static long load_batch(struct tui *t)
{
	int usage;
	sqlite3_stmt *st = filter_prepare(t->db, t->filter, "unique", "r.id",
					  "AND r.id > :after ORDER BY r.id LIMIT :limit", &usage);
	size_t n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"), t->last_id);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), t->batch_size);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!n) {
			/* the previous batch is finished: count it, free it */
			long c[4];
			counts(t, c);
			for (int i = 0; i < 4; i++)
				t->total[i] += c[i];
			for (size_t i = 0; i < t->nr; i++)
				decision_release(&t->dec[i]);
			t->nr = t->cur = t->undo_nr = 0;
		}
		t->ids[n] = sqlite3_column_int64(st, 0);
		memset(&t->dec[n], 0, sizeof(t->dec[n]));
		n++;
	}
	sqlite3_finalize(st);
	if (n) {
		t->nr = n;
		t->last_id = t->ids[n - 1];
		t->batch_no++;
		t->at_end = 0;
		t->cur = 0;
	}
	return (long)n;
}

/* ---- the loop ---- */

static void scroll_by(struct tui *t, long delta)
{
	long s = (long)t->scroll + delta;
	long max = (long)t->lines_nr - (long)body_rows(t);
	if (s > max)
		s = max;
	if (s < 0)
		s = 0;
	t->scroll = (size_t)s;
}

/* Handles one key. Returns 1 to quit. */
static int handle_key(struct tui *t, int key)
{
	long page = (long)body_rows(t) - 1;
	if (key != KEY_RESIZE)
		t->message[0] = '\0';
	switch (key) {
	case KEY_EOF: case 'q': case 3: case 4:
		return 1;
	case KEY_RESIZE:
		resized = 0;
		screen_size(t);
		if (t->at_end)
			end_screen_lines(t);
		else
			build_lines(t);
		return 0;
	case '?': case 'h':
		help_screen(t);
		return 0;
	case KEY_UP: case 'k': scroll_by(t, -1); return 0;
	case KEY_DOWN: case 'j': scroll_by(t, 1); return 0;
	case KEY_PGUP: case 'b': scroll_by(t, -page); return 0;
	case KEY_PGDN: case ' ': scroll_by(t, page); return 0;
	case KEY_HOME: case 'g': t->scroll = 0; return 0;
	case KEY_END: case 'G': scroll_by(t, (long)t->lines_nr); return 0;
	case 'u':
		do_undo(t);
		return 0;
	}
	if (t->at_end) {
		if (key == 'p' || key == KEY_LEFT) {
			t->at_end = 0;
			load_current(t);
		} else if (key == 'n' || key == KEY_RIGHT || key == '\r' || key == '\n') {
			if (t->no_more)
				return 0;
			long n = load_batch(t);
			if (n < 0)
				return 1;
			if (n == 0) {
				t->no_more = 1;
				end_screen_lines(t);
			} else {
				load_current(t);
				snprintf(t->message, sizeof(t->message), "batch %d: %ld records", t->batch_no, n);
			}
		}
		return 0;
	}
	switch (key) {
	case 'a':
		if (t->item_gone)
			break;
		if (!decide(t, VERDICT_ACCEPT, "", "", NULL)) {
			snprintf(t->message, sizeof(t->message), "accepted record %lld", (long long)t->ids[t->cur]);
			go_next(t);
		}
		break;
	case 'r':
		if (!t->item_gone && do_reject(t) < 0)
			return 1;
		break;
	case 'e':
		do_edit(t);
		break;
	case 's': case 'n': case KEY_RIGHT:
		if (key == 's' && t->dec[t->cur].verdict == VERDICT_NONE)
			t->skipped++;
		go_next(t);
		break;
	case 'p': case KEY_LEFT:
		if (t->cur > 0) {
			t->cur--;
			load_current(t);
		} else {
			snprintf(t->message, sizeof(t->message), "this is the first record of the batch");
		}
		break;
	}
	return 0;
}

int review_tui(sqlite3 *db, const struct record_filter *f, long batch, const char *author,
	       struct run *run, struct strbuf *summary)
{
	struct tui t;
	struct sigaction sa, old_winch, old_term, old_hup;
	long n;

	memset(&t, 0, sizeof(t));
	t.db = db;
	t.filter = f;
	t.author = author;
	t.batch_size = batch;
	t.ids = xcalloc((size_t)batch, sizeof(*t.ids));
	t.dec = xcalloc((size_t)batch, sizeof(*t.dec));
	t.undo = xcalloc((size_t)batch, sizeof(*t.undo));
	strbuf_init(&t.draft, 0);
	strbuf_init(&t.item.annotations, 0);

	n = load_batch(&t);
	if (n <= 0) {
		free(t.ids);
		free(t.dec);
		free(t.undo);
		if (n < 0)
			return -1;
		return 1;
	}
	if (tcgetattr(STDIN_FILENO, &saved_termios))
		return error("cannot read the terminal settings: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	sa.sa_handler = on_fatal;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	screen_size(&t);
	if (terminal_raw())
		return -1;
	load_current(&t);
	for (;;) {
		draw(&t, NULL, NULL);
		if (handle_key(&t, read_key()))
			break;
	}
	terminal_restore();
	sigaction(SIGWINCH, &old_winch, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);

	long c[4];
	counts(&t, c);
	for (int i = 0; i < 4; i++)
		t.total[i] += c[i];
	run_count(run, "accepted", t.total[VERDICT_ACCEPT]);
	run_count(run, "rejected", t.total[VERDICT_REJECT]);
	run_count(run, "edited", t.total[VERDICT_EDIT]);
	run_count(run, "batches", t.batch_no);
	run_count(run, "skipped", t.skipped);
	strbuf_addf(summary, "%ld accepted, %ld rejected, %ld edited in %d batch%s", t.total[VERDICT_ACCEPT],
		    t.total[VERDICT_REJECT], t.total[VERDICT_EDIT], t.batch_no, t.batch_no == 1 ? "" : "es");
	for (size_t i = 0; i < t.nr; i++)
		decision_release(&t.dec[i]);
	clear_lines(&t);
	free(t.lines);
	review_item_release(&t.item);
	strbuf_release(&t.item.annotations);
	strbuf_release(&t.draft);
	free(t.ids);
	free(t.dec);
	free(t.undo);
	return 0;
}
