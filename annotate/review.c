/*
 * review.c - the full-screen terminal reviewer. Records come in batches
 * (20 by default, the size a person can judge before adjusting a task's
 * prompt); each key press that decides something is committed at once in
 * its own transaction, so quitting, a lost connection or a crash loses
 * nothing but the record on screen. This file has the decisions, undo,
 * edits, batches and the key loop; review_screen.c has the terminal.
 *
 * The screen is drawn with a handful of VT100 sequences only (home, clear
 * to end of line, bold/reverse, the alternate screen), each text line cut
 * one column short of the edge, so any terminal (and the test's small
 * emulator) shows the same thing.
 *
 * Invariants:
 *  1. dec[i] describes what this session did to ids[i] and is exactly what
 *     the corpus holds: it is replaced only after the transaction commits.
 *  2. The terminal is restored on every way out: q, end of input, errors
 *     (tui_close), and SIGTERM/SIGHUP (review_screen.c; raw mode keeps
 *     Ctrl-C as a key).
 */
#include "review_tui.h"
#include "../lib/file.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

static void load_current(struct tui *t)
{
	int64_t id = t->ids[t->cur];
	review_item_release(&t->item);
	t->item_gone = review_item_load(t->db, id, &t->item) != 0;
	t->item_id = id;
	t->scroll = 0;
	tui_build_lines(t);
}

/* ---- decisions ---- */

/*
 * Replaces the decision on the current record (undoing the one it had) in
 * one transaction. Returns 0, 1 when an edit's text already exists, -1.
 */
static int decide(struct tui *t, enum verdict v, const char *tags, const char *note, const char *note_for,
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
		rc = decision_apply(t->db, &fresh, t->ids[t->cur], v, t->author, tags, note, note_for, edited);
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
		tui_end_screen_lines(t);
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

/*
 * For a note on a record with an output: is it a rule for the questions or
 * for the answers? One key; Enter takes the guess from the tags and words.
 * Returns 1 with *kind set, 0 when cancelled, -1 at the end of input.
 */
static int ask_note_for(struct tui *t, const char *tags, const char *note, const char **kind)
{
	struct strbuf key = STRBUF_INIT;
	const char *guess = feedback_kind(NULL, tags, note, 1);
	char prompt[200];
	int rc;
	snprintf(prompt, sizeof(prompt), "rule for? q questions a answers [%s] ", guess);
	for (;;) {
		rc = tui_read_line(t, prompt, &key);
		strbuf_trim(&key);
		if (rc <= 0 || !key.len || !strcmp(key.buf, "q") || !strcmp(key.buf, "a"))
			break;
	}
	if (rc > 0)
		*kind = !key.len ? guess : key.buf[0] == 'a' ? "answer" : "question";
	strbuf_release(&key);
	return rc;
}

static int do_reject(struct tui *t)
{
	struct strbuf tags = STRBUF_INIT, note = STRBUF_INIT;
	const char *kind = "question";
	int rc = tui_read_line(t, "error tags (comma-separated, e.g. factual,format,language; Enter for none): ",
			   &tags);
	if (rc > 0)
		rc = tui_read_line(t, "note (why; becomes feedback for the task; Enter for none): ", &note);
	strbuf_trim(&tags);
	strbuf_trim(&note);
	if (rc > 0 && note.len && t->item.task_id && *t->item.field[2])
		rc = ask_note_for(t, tags.buf, note.buf, &kind);
	if (rc > 0) {
		if (!decide(t, VERDICT_REJECT, tags.buf, note.buf, kind, NULL)) {
			snprintf(t->message, sizeof(t->message), "rejected record %lld%s%s%s",
				 (long long)t->ids[t->cur], note.len && t->item.task_id ?
				 "; the note is now a rule for the task's " : "",
				 note.len && t->item.task_id ? kind : "",
				 note.len && t->item.task_id ? "s" : "");
			go_next(t);
		}
	} else if (rc == 0) {
		snprintf(t->message, sizeof(t->message), "rejection cancelled");
	}
	strbuf_release(&tags);
	strbuf_release(&note);
	return rc < 0 ? -1 : 0;
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
	tui_terminal_restore();
	int failed = edit_in_editor(file);
	tui_terminal_raw();
	if (failed || read_file_limited(file, (size_t)64 << 20, &back)) {
		snprintf(t->message, sizeof(t->message), "the editor failed; the record is unchanged");
		goto out;
	}
	if (back.len == text.len && !memcmp(back.buf, text.buf, text.len) && t->draft_id != t->ids[t->cur]) {
		snprintf(t->message, sizeof(t->message), "nothing changed");
		goto out;
	}
	if (edit_parse(back.buf, back.len, !*t->item.field[2], &f, err, sizeof(err))) {
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
		int rc = decide(t, VERDICT_EDIT, "", "", NULL, &r);
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
		"a        accept: the record becomes approved (a question without an answer stays raw "
		"for `winnow answer`)",
		"r        reject: asks for error tags and a note; the note becomes a rule for the task's "
		"questions or answers (a rejected question is never answered)",
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
	tui_clear_lines(t);
	tui_add_heading(t, "keys");
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		tui_add_wrapped(t, help[i], "  ", STYLE_TEXT);
	t->scroll = 0;
	t->message[0] = '\0';
	tui_draw(t, NULL, NULL);
	int c;
	while ((c = tui_read_key()) == KEY_RESIZE || c == KEY_NONE) {
		tui_screen_size(t);
	}
	if (t->at_end)
		tui_end_screen_lines(t);
	else
		tui_build_lines(t);
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
			tui_counts(t, c);
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
	long max = (long)t->lines_nr - (long)tui_body_rows(t);
	if (s > max)
		s = max;
	if (s < 0)
		s = 0;
	t->scroll = (size_t)s;
}

/* Handles one key. Returns 1 to quit. */
static int handle_key(struct tui *t, int key)
{
	long page = (long)tui_body_rows(t) - 1;
	if (key != KEY_RESIZE)
		t->message[0] = '\0';
	switch (key) {
	case KEY_EOF: case 'q': case 3: case 4:
		return 1;
	case KEY_RESIZE:
		tui_screen_size(t);
		if (t->at_end)
			tui_end_screen_lines(t);
		else
			tui_build_lines(t);
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
				tui_end_screen_lines(t);
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
		if (!decide(t, VERDICT_ACCEPT, "", "", NULL, NULL)) {
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
	long n;
	int rc = 0;

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
	if (tui_open(&t)) {
		tui_close();
		rc = -1;
		goto out;
	}
	load_current(&t);
	for (;;) {
		tui_draw(&t, NULL, NULL);
		if (handle_key(&t, tui_read_key()))
			break;
	}
	tui_close();

	long c[4];
	tui_counts(&t, c);
	for (int i = 0; i < 4; i++)
		t.total[i] += c[i];
	run_count(run, "accepted", t.total[VERDICT_ACCEPT]);
	run_count(run, "rejected", t.total[VERDICT_REJECT]);
	run_count(run, "edited", t.total[VERDICT_EDIT]);
	run_count(run, "batches", t.batch_no);
	run_count(run, "skipped", t.skipped);
	strbuf_addf(summary, "%ld accepted, %ld rejected, %ld edited in %d batch%s", t.total[VERDICT_ACCEPT],
		    t.total[VERDICT_REJECT], t.total[VERDICT_EDIT], t.batch_no, t.batch_no == 1 ? "" : "es");
out:
	for (size_t i = 0; i < t.nr; i++)
		decision_release(&t.dec[i]);
	tui_clear_lines(&t);
	free(t.lines);
	review_item_release(&t.item);
	strbuf_release(&t.item.annotations);
	strbuf_release(&t.draft);
	free(t.ids);
	free(t.dec);
	free(t.undo);
	return rc;
}
