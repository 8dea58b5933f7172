/*
 * review_edit.c - editing a record in $EDITOR: the file the person sees
 * (one "=== winnow:FIELD ===" section per field, a marker unlikely to
 * occur in real text, unlike Markdown headings) and reading it back.
 */
#include "annotate_internal.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const field_names[5] = { "instruction", "input", "output", "system", "history" };

void edit_fields_release(struct edit_fields *f)
{
	for (int i = 0; i < 5; i++)
		free(f->field[i]);
	memset(f, 0, sizeof(*f));
}

void edit_format(struct strbuf *out, int64_t id, char *const field[5])
{
	strbuf_addf(out, "# winnow review: record %lld. Edit the text under each marker line,\n"
			 "# then save and quit; the edit becomes a new version of the record.\n"
			 "# Quit without saving (or change nothing) to keep it as it is.\n"
			 "# history is a JSON list of [question, answer] pairs.\n", (long long)id);
	for (int i = 0; i < 5; i++) {
		strbuf_addf(out, "=== winnow:%s ===\n", field_names[i]);
		strbuf_addstr(out, field[i]);
		if (field[i][0])
			strbuf_addch(out, '\n');
	}
}

/* Which field a line names, or -1 when it is not a marker line. */
static int marker(const char *line, size_t len)
{
	static const char pre[] = "=== winnow:", post[] = " ===";
	size_t pl = sizeof(pre) - 1, sl = sizeof(post) - 1;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len < pl + sl || memcmp(line, pre, pl) || memcmp(line + len - sl, post, sl))
		return -1;
	for (int i = 0; i < 5; i++)
		if (strlen(field_names[i]) == len - pl - sl && !memcmp(line + pl, field_names[i], len - pl - sl))
			return i;
	return -1;
}

static int history_ok(const char *text, char *err, size_t errsize)
{
	char jerr[160];
	json_t *v = json_parse(text, strlen(text), jerr, sizeof(jerr));
	int ok = v && json_is_array(v);
	size_t i;
	json_t *turn;
	if (!v) {
		snprintf(err, errsize, "history is not JSON (%s)", jerr);
		return 0;
	}
	json_array_foreach(v, i, turn) {
		if (!json_is_array(turn) || json_array_size(turn) != 2 ||
		    !json_is_string(json_array_get(turn, 0)) || !json_is_string(json_array_get(turn, 1)))
			ok = 0;
	}
	json_decref(v);
	if (!ok)
		snprintf(err, errsize, "history must be a list of [question, answer] pairs, like "
			 "[[\"q\", \"a\"]], or []");
	return ok;
}

int edit_parse(const char *text, size_t len, int allow_no_output, struct edit_fields *out, char *err,
	       size_t errsize)
{
	struct strbuf sec[5];
	int seen[5] = { 0 }, cur = -1, rc = 0;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 5; i++)
		strbuf_init(&sec[i], 0);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		int m = marker(text + pos, end - pos);
		if (m >= 0) {
			if (seen[m]) {
				snprintf(err, errsize, "the %s section appears twice", field_names[m]);
				rc = -1;
				goto out;
			}
			seen[m] = 1;
			cur = m;
		} else if (cur >= 0) {
			strbuf_add(&sec[cur], text + pos, end - pos);
			strbuf_addch(&sec[cur], '\n');
		}
		pos = end + 1;
	}
	for (int i = 0; i < 5; i++) {
		if (!seen[i]) {
			snprintf(err, errsize, "the line '=== winnow:%s ===' is missing", field_names[i]);
			rc = -1;
			goto out;
		}
		/* the file ends each field with a newline; text keeps inner ones */
		while (sec[i].len && (sec[i].buf[sec[i].len - 1] == '\n' || sec[i].buf[sec[i].len - 1] == '\r'))
			sec[i].buf[--sec[i].len] = '\0';
	}
	strbuf_trim(&sec[4]);
	if (!sec[4].len)
		strbuf_addstr(&sec[4], "[]");
	if (!history_ok(sec[4].buf, err, errsize)) {
		rc = -1;
		goto out;
	}
	for (int i = 0; i < (allow_no_output ? 1 : 3); i += 2) {
		struct strbuf t = STRBUF_INIT;
		strbuf_addstr(&t, sec[i].buf);
		strbuf_trim(&t);
		if (!t.len) {
			snprintf(err, errsize, "the %s must not be empty", field_names[i]);
			rc = -1;
		}
		strbuf_release(&t);
		if (rc)
			goto out;
	}
	for (int i = 0; i < 5; i++)
		out->field[i] = strbuf_detach(&sec[i], NULL);
out:
	for (int i = 0; i < 5; i++)
		strbuf_release(&sec[i]);
	return rc;
}

int edit_in_editor(const char *path)
{
	const char *editor = getenv("VISUAL");
	pid_t pid;
	int status;
	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return error("cannot start the editor: %s", strerror(errno));
	if (pid == 0) {
		/* through the shell, so EDITOR="code --wait" works */
		char *script = xstrfmt("%s \"$1\"", editor);
		execl("/bin/sh", "sh", "-c", script, "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error("waiting for the editor: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return error("the editor '%s' failed; the record is unchanged", editor);
	return 0;
}
