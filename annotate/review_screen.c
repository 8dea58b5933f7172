/*
 * review_screen.c - the terminal half of the reviewer (review.c has the
 * decisions): raw mode on the alternate screen, keys, the lines of a
 * record wrapped to the width (CJK counted two columns), drawing with a
 * handful of VT100 sequences only, and typing a line on the prompt row.
 *
 * The terminal is restored on every way out: tui_close, and SIGTERM/SIGHUP
 * through on_fatal (raw mode keeps Ctrl-C as a key).
 */
#include "review_tui.h"
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

static struct termios saved_termios;
static struct sigaction old_winch, old_term, old_hup;
static int handlers_set;
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

void tui_terminal_restore(void)
{
	if (!raw_on)
		return;
	put(SCREEN_LEAVE, sizeof(SCREEN_LEAVE) - 1);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	raw_on = 0;
}

int tui_terminal_raw(void)
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
	tui_terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void tui_screen_size(struct tui *t)
{
	struct winsize ws;
	resized = 0;
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

int tui_read_key(void)
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

void tui_clear_lines(struct tui *t)
{
	for (size_t i = 0; i < t->lines_nr; i++)
		free(t->lines[i].text);
	t->lines_nr = 0;
}

void tui_add_wrapped(struct tui *t, const char *text, const char *prefix, enum line_style style)
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

void tui_add_heading(struct tui *t, const char *name)
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
			tui_add_wrapped(t, history, "", STYLE_TEXT);
		json_decref(v);
		return;
	}
	tui_add_heading(t, "history");
	json_array_foreach(v, i, turn) {
		char q[32], a[32];
		snprintf(q, sizeof(q), "Q%zu  ", i + 1);
		snprintf(a, sizeof(a), "A%zu  ", i + 1);
		const char *qs = json_string_value(json_array_get(turn, 0));
		const char *as = json_string_value(json_array_get(turn, 1));
		tui_add_wrapped(t, qs ? qs : "?", q, STYLE_TEXT);
		tui_add_wrapped(t, as ? as : "?", a, STYLE_TEXT);
	}
	json_decref(v);
}

void tui_build_lines(struct tui *t)
{
	static const char *const names[4] = { "instruction", "input", "output", "system" };
	struct review_item *it = &t->item;
	tui_clear_lines(t);
	if (t->item_gone) {
		add_line(t, "(this record is no longer in the corpus)", STYLE_DIM);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (i != 0 && i != 2 && !it->field[i][0])
			continue;
		tui_add_heading(t, names[i]);
		tui_add_wrapped(t, it->field[i], "", STYLE_TEXT);
	}
	if (strcmp(it->field[4], "[]"))
		add_history(t, it->field[4]);
	if (it->annotations.len) {
		tui_add_heading(t, "annotations");
		struct strbuf a = STRBUF_INIT;
		strbuf_add(&a, it->annotations.buf, it->annotations.len - 1);
		tui_add_wrapped(t, a.buf, "", STYLE_DIM);
		strbuf_release(&a);
	}
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

void tui_counts(const struct tui *t, long c[4])
{
	memset(c, 0, 4 * sizeof(*c));
	for (size_t i = 0; i < t->nr; i++)
		c[t->dec[i].verdict]++;
}

/* The counts, then the longest list of keys that fits in width columns. */
static void status_text(const struct tui *t, struct strbuf *sb, size_t width)
{
	static const char *const keys[] = {
		"   a accept  r reject  e edit  s skip  u undo  n/p  ? help  q quit",
		"   a/r/e/s/u/n/p  ? help  q quit",
		"   ? help",
		"",
	};
	long c[4];
	size_t k = 0;
	tui_counts(t, c);
	strbuf_addf(sb, " %zu/%zu \u00b7 %ld accepted \u00b7 %ld rejected",
		    t->at_end ? t->nr : t->cur + 1, t->nr, c[VERDICT_ACCEPT], c[VERDICT_REJECT]);
	if (c[VERDICT_EDIT])
		strbuf_addf(sb, " \u00b7 %ld edited", c[VERDICT_EDIT]);
	while (keys[k + 1][0] && text_width(sb->buf, sb->len) + strlen(keys[k]) > width)
		k++;
	if (text_width(sb->buf, sb->len) + strlen(keys[k]) <= width)
		strbuf_addstr(sb, keys[k]);
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

size_t tui_body_rows(const struct tui *t)
{
	return (size_t)t->rows - 4;
}

void tui_end_screen_lines(struct tui *t)
{
	long c[4];
	char buf[300];
	tui_counts(t, c);
	tui_clear_lines(t);
	snprintf(buf, sizeof(buf), "batch %d done", t->batch_no);
	tui_add_heading(t, buf);
	snprintf(buf, sizeof(buf), "%zu records: %ld accepted \u00b7 %ld rejected \u00b7 %ld edited \u00b7 %ld not decided",
		 t->nr, c[VERDICT_ACCEPT], c[VERDICT_REJECT], c[VERDICT_EDIT], c[VERDICT_NONE]);
	tui_add_wrapped(t, buf, "", STYLE_TEXT);
	add_line(t, "", STYLE_TEXT);
	if (t->no_more)
		tui_add_wrapped(t, "No more records match. p goes back, u undoes, q quits.", "", STYLE_TEXT);
	else
		tui_add_wrapped(t, "n or Enter: next batch   p: back to the last record   u: undo   q: quit", "",
			    STYLE_TEXT);
	const char *task = t->filter->task ? t->filter->task : t->item.task;
	int questions = t->item.field[2] && !*t->item.field[2];
	if (task && *task) {
		struct strbuf hint = STRBUF_INIT;
		strbuf_addf(&hint, "A good moment to look at the rules the rejection notes made: "
			    "'winnow feedback list %s'", task);
		if (questions)
			strbuf_addf(&hint, "; the accepted questions are answered by 'winnow answer %s'", task);
		strbuf_addch(&hint, '.');
		tui_add_wrapped(t, hint.buf, "", STYLE_DIM);
		strbuf_release(&hint);
	} else {
		tui_add_wrapped(t, "A good moment to turn rejection notes into task feedback: "
			       "'winnow feedback list TASK' (see 'winnow task list').", "", STYLE_DIM);
	}
}

void tui_draw(struct tui *t, const char *prompt, const char *input)
{
	struct strbuf frame = STRBUF_INIT, h1 = STRBUF_INIT, h2 = STRBUF_INIT, st = STRBUF_INIT;
	size_t width = (size_t)t->cols - 1, rows = tui_body_rows(t);

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
	status_text(t, &st, width);
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
int tui_read_line(struct tui *t, const char *prompt, struct strbuf *out)
{
	strbuf_reset(out);
	for (;;) {
		tui_draw(t, prompt, out->buf);
		int c = read_byte(-1);
		if (c == KEY_RESIZE) {
			resized = 0;
			tui_screen_size(t);
			if (!t->at_end)
				tui_build_lines(t);
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

/* ---- opening and closing the screen ---- */

int tui_open(struct tui *t)
{
	struct sigaction sa;
	if (tcgetattr(STDIN_FILENO, &saved_termios))
		return error("cannot read the terminal settings: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	sa.sa_handler = on_fatal;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	handlers_set = 1;
	tui_screen_size(t);
	return tui_terminal_raw();
}

void tui_close(void)
{
	tui_terminal_restore();
	if (!handlers_set)
		return;
	sigaction(SIGWINCH, &old_winch, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	handlers_set = 0;
}
