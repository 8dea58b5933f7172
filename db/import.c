/*
 * import.c - `winnow import`: Alpaca JSON, JSON Lines, ShareGPT / OpenAI
 * messages and CSV/TSV files or URLs into records at stage raw.
 *
 * The whole import is one transaction: a bad item (without --skip-bad)
 * rolls everything back, so the corpus is exactly as before. Items are read
 * one at a time (lib/json.c, csv.c), so memory does not grow with the file.
 * Records already present (same content hash) are counted, not added.
 */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "csv.h"
#include "../lib/http.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

enum field { F_INSTRUCTION, F_INPUT, F_OUTPUT, F_SYSTEM, F_HISTORY, FIELD_COUNT };

static const char *const field_names[FIELD_COUNT] = {
	"instruction", "input", "output", "system", "history"
};

/* Keys tried, in order, when --map does not name one (common dataset spellings). */
static const char *const field_aliases[FIELD_COUNT][4] = {
	{ "instruction", "prompt", "question", NULL },
	{ "input", "context", NULL },
	{ "output", "response", "answer", "completion" },
	{ "system", NULL },
	{ "history", NULL },
};

struct importer {
	sqlite3 *db;
	struct record_inserter ins;
	int64_t source_id;
	const char *name;		/* file or URL, for messages */
	const char *format;		/* --format, or NULL to detect */
	char *map[FIELD_COUNT];		/* --map: source key for each field (owned) */
	int skip_bad;
	long read, added, present, bad;
	struct strbuf history, err, where;
	struct strbuf turn_user, turn_assistant, turn_system;	/* ShareGPT turn text */
	struct flat_object flat;	/* fast path for flat Alpaca objects */
	struct progress progress;
};

/* ---- Alpaca objects ---- */

static int field_fail(struct importer *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int field_fail(struct importer *im, const char *fmt, ...)
{
	va_list ap;
	strbuf_reset(&im->err);
	va_start(ap, fmt);
	strbuf_vaddf(&im->err, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The key that holds field f: the --map key, else the first of the common
 * spellings that `present` finds in obj, else the field's own name.
 */
static const char *field_key(struct importer *im, enum field f,
			     int (*present)(const void *obj, const char *key), const void *obj)
{
	if (im->map[f])
		return im->map[f];
	for (int i = 0; i < 4 && field_aliases[f][i]; i++)
		if (present(obj, field_aliases[f][i]))
			return field_aliases[f][i];
	return field_names[f];
}

static int jansson_has(const void *obj, const char *key)
{
	return json_object_get(obj, key) != NULL;
}

static int flat_has(const void *obj, const char *key)
{
	return flat_object_get(obj, key) != NULL;
}

/* Finds the value for field f in obj; sets *key to the key used. */
static json_t *lookup(struct importer *im, json_t *obj, enum field f, const char **key)
{
	*key = field_key(im, f, jansson_has, obj);
	return json_object_get(obj, *key);
}

static int string_field(struct importer *im, json_t *obj, enum field f, int required,
			const char **out, size_t *len)
{
	const char *key;
	json_t *v = lookup(im, obj, f, &key);
	if (!v || json_is_null(v)) {
		if (required)
			return field_fail(im, "field '%s' is missing%s", key,
					  im->map[f] ? "" : " (use --map to name the key that holds it)");
		*out = "";
		*len = 0;
		return 0;
	}
	if (!json_is_string(v))
		return field_fail(im, "field '%s' must be a string, found %s", key, json_type_name(v));
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

/* Writes history (list of [question, answer] string pairs) as compact JSON. */
static int history_field(struct importer *im, json_t *obj)
{
	const char *key;
	json_t *v = lookup(im, obj, F_HISTORY, &key);
	size_t i;
	json_t *pair;
	strbuf_reset(&im->history);
	strbuf_addch(&im->history, '[');
	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			return field_fail(im, "field '%s' must be a list of [question, answer] pairs, found %s",
					  key, json_type_name(v));
		json_array_foreach(v, i, pair) {
			json_t *q = json_array_get(pair, 0), *a = json_array_get(pair, 1);
			if (!json_is_array(pair) || json_array_size(pair) != 2 ||
			    !json_is_string(q) || !json_is_string(a))
				return field_fail(im, "field '%s' item %zu must be a [question, answer] pair of strings",
						  key, i);
			if (i)
				strbuf_addch(&im->history, ',');
			strbuf_addch(&im->history, '[');
			json_write_string(&im->history, json_string_value(q), json_string_length(q));
			strbuf_addch(&im->history, ',');
			json_write_string(&im->history, json_string_value(a), json_string_length(a));
			strbuf_addch(&im->history, ']');
		}
	}
	strbuf_addch(&im->history, ']');
	return 0;
}

static int alpaca_record(struct importer *im, json_t *obj, struct record *r)
{
	if (string_field(im, obj, F_INSTRUCTION, 1, &r->instruction, &r->instruction_len) ||
	    string_field(im, obj, F_INPUT, 0, &r->input, &r->input_len) ||
	    string_field(im, obj, F_OUTPUT, 1, &r->output, &r->output_len) ||
	    string_field(im, obj, F_SYSTEM, 0, &r->system, &r->system_len) ||
	    history_field(im, obj))
		return -1;
	r->history = im->history.buf;
	r->history_len = im->history.len;
	return 0;
}

/* The same as alpaca_record for an object read by the fast flat parser. */
static int flat_record(struct importer *im, const struct flat_object *obj, struct record *r)
{
	const char **text[] = { &r->instruction, &r->input, &r->output, &r->system };
	size_t *lens[] = { &r->instruction_len, &r->input_len, &r->output_len, &r->system_len };
	for (int f = F_INSTRUCTION; f <= F_SYSTEM; f++) {
		const char *key = field_key(im, (enum field)f, flat_has, obj);
		const struct flat_member *m = flat_object_get(obj, key);
		int required = f == F_INSTRUCTION || f == F_OUTPUT;
		if (!m || m->kind == FLAT_NULL) {
			if (required)
				return field_fail(im, "field '%s' is missing%s", key,
						  im->map[f] ? "" : " (use --map to name the key that holds it)");
			*text[f] = "", *lens[f] = 0;
		} else if (m->kind != FLAT_STRING) {
			return field_fail(im, "field '%s' must be a string, found an array", key);
		} else {
			*text[f] = m->value, *lens[f] = m->value_len;
		}
	}
	const char *key = field_key(im, F_HISTORY, flat_has, obj);
	const struct flat_member *h = flat_object_get(obj, key);
	if (h && h->kind == FLAT_STRING)
		return field_fail(im, "field '%s' must be a list of [question, answer] pairs, found a string",
				  key);
	r->history = "[]", r->history_len = 2;
	return 0;
}

/* ---- ShareGPT and OpenAI messages ---- */

enum role { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_OTHER };

static enum role role_of(const char *s)
{
	static const char *const users[] = { "human", "user", NULL };
	static const char *const assistants[] = { "gpt", "assistant", "chatgpt", "bot", "model", NULL };
	if (!strcasecmp(s, "system"))
		return ROLE_SYSTEM;
	for (int i = 0; users[i]; i++)
		if (!strcasecmp(s, users[i]))
			return ROLE_USER;
	for (int i = 0; assistants[i]; i++)
		if (!strcasecmp(s, assistants[i]))
			return ROLE_ASSISTANT;
	return ROLE_OTHER;
}

/* Content as a string, or a list of {type:"text", text} parts joined. */
static int turn_content(struct importer *im, json_t *v, const char *where, size_t turn,
			struct strbuf *out)
{
	size_t i;
	json_t *part;
	strbuf_reset(out);
	if (json_is_string(v)) {
		strbuf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	}
	if (!json_is_array(v))
		return field_fail(im, "%s turn %zu: content must be a string or a list of text parts, found %s",
				  where, turn, json_type_name(v));
	json_array_foreach(v, i, part) {
		json_t *text = json_object_get(part, "text");
		if (!json_is_string(text))
			return field_fail(im, "%s turn %zu part %zu: only text parts can be imported",
					  where, turn, i);
		strbuf_add(out, json_string_value(text), json_string_length(text));
	}
	return 0;
}

static int sharegpt_record(struct importer *im, json_t *obj, struct record *r)
{
	const char *where = "conversations", *role_key = "from", *content_key = "value";
	json_t *turns = json_object_get(obj, "conversations"), *sys = json_object_get(obj, "system");
	size_t n, i, first = 0, npairs;
	if (!turns) {
		turns = json_object_get(obj, "messages");
		where = "messages", role_key = "role", content_key = "content";
	}
	if (!turns)
		return field_fail(im, "field 'conversations' (or 'messages') is missing");
	if (!json_is_array(turns))
		return field_fail(im, "field '%s' must be a list of turns, found %s", where,
				  json_type_name(turns));
	n = json_array_size(turns);
	r->system = "", r->system_len = 0;
	if (sys && !json_is_null(sys)) {
		if (!json_is_string(sys))
			return field_fail(im, "field 'system' must be a string, found %s", json_type_name(sys));
		r->system = json_string_value(sys);
		r->system_len = json_string_length(sys);
	}
	/* check roles first: system?, then user/assistant alternating, ending on assistant */
	for (i = 0; i < n; i++) {
		json_t *t = json_array_get(turns, i), *role = json_object_get(t, role_key);
		if (!json_is_object(t))
			return field_fail(im, "%s turn %zu must be an object, found %s", where, i, json_type_name(t));
		if (!json_is_string(role))
			return field_fail(im, "%s turn %zu: field '%s' must be a string", where, i, role_key);
		if (!json_object_get(t, content_key))
			return field_fail(im, "%s turn %zu: field '%s' is missing", where, i, content_key);
		enum role ro = role_of(json_string_value(role));
		if (ro == ROLE_SYSTEM && i == 0) {
			first = 1;
			continue;
		}
		if (ro == ROLE_OTHER || ro == ROLE_SYSTEM)
			return field_fail(im, "%s turn %zu: role '%s' cannot be imported (expected %s)", where, i,
					  json_string_value(role),
					  ro == ROLE_SYSTEM ? "system only as the first turn" : "user or assistant");
		if (ro != ((i - first) % 2 ? ROLE_ASSISTANT : ROLE_USER))
			return field_fail(im, "%s turn %zu: expected a %s turn, found '%s'", where, i,
					  (i - first) % 2 ? "assistant" : "user", json_string_value(role));
	}
	if (n - first < 2)
		return field_fail(im, "field '%s' needs at least one user turn and one assistant reply", where);
	if ((n - first) % 2)
		return field_fail(im, "field '%s' ends with a user turn that has no assistant reply", where);
	npairs = (n - first) / 2;

	/* history: all pairs but the last */
	strbuf_reset(&im->history);
	strbuf_addch(&im->history, '[');
	for (size_t p = 0; p + 1 < npairs; p++) {
		for (int k = 0; k < 2; k++) {
			json_t *t = json_array_get(turns, first + 2 * p + (size_t)k);
			struct strbuf *s = k ? &im->turn_assistant : &im->turn_user;
			if (turn_content(im, json_object_get(t, content_key), where, first + 2 * p + (size_t)k, s))
				return -1;
		}
		if (p)
			strbuf_addch(&im->history, ',');
		strbuf_addch(&im->history, '[');
		json_write_string(&im->history, im->turn_user.buf, im->turn_user.len);
		strbuf_addch(&im->history, ',');
		json_write_string(&im->history, im->turn_assistant.buf, im->turn_assistant.len);
		strbuf_addch(&im->history, ']');
	}
	strbuf_addch(&im->history, ']');

	/* a system turn inside the list: take it (a top-level "system" wins) */
	if (first && !r->system_len) {
		json_t *t = json_array_get(turns, 0);
		if (turn_content(im, json_object_get(t, content_key), where, 0, &im->turn_system))
			return -1;
		r->system = im->turn_system.buf;
		r->system_len = im->turn_system.len;
	}
	for (int k = 0; k < 2; k++) {
		size_t ti = n - 2 + (size_t)k;
		struct strbuf *s = k ? &im->turn_assistant : &im->turn_user;
		if (turn_content(im, json_object_get(json_array_get(turns, ti), content_key), where, ti, s))
			return -1;
	}
	r->instruction = im->turn_user.buf, r->instruction_len = im->turn_user.len;
	r->output = im->turn_assistant.buf, r->output_len = im->turn_assistant.len;
	r->input = "", r->input_len = 0;
	r->history = im->history.buf, r->history_len = im->history.len;
	return 0;
}

/* ---- driving the readers ---- */

/* Handles a bad item: returns 0 to go on (--skip-bad) or -1 to stop. */
static int bad_item(struct importer *im)
{
	im->bad++;
	if (!im->skip_bad) {
		error("%s: %s", im->where.buf, im->err.buf);
		fprintf(stderr, "hint: fix the item, or use --skip-bad to import the rest without it; "
			"nothing was imported\n");
		return -1;
	}
	if (im->bad <= 5)
		warning("skipped %s: %s", im->where.buf, im->err.buf);
	else if (im->bad == 6)
		warning("more bad items skipped; the summary counts them");
	return 0;
}

static int add_record(struct importer *im, const struct record *r)
{
	int64_t id = record_insert(&im->ins, r, "import", im->source_id, 0, 0);
	if (id < 0)
		return -1;
	if (id)
		im->added++;
	else
		im->present++;
	return 0;
}

static int import_json(struct importer *im, const char *path, enum json_layout layout)
{
	struct json_reader jr;
	int rc = 0, got;
	char perr[200];
	int want_sharegpt = im->format && !strcmp(im->format, "sharegpt");
	int want_alpaca = im->format && !strcmp(im->format, "alpaca");

	if (json_reader_open(&jr, path, layout))
		return error("cannot open '%s': %s", im->name, strerror(errno));
	while ((got = json_reader_next(&jr)) > 0) {
		struct record r;
		json_t *obj;
		im->read++;
		strbuf_reset(&im->where);
		if (jr.layout == JSON_LAYOUT_ARRAY)
			strbuf_addf(&im->where, "%s:%ld (item %ld)", im->name, jr.line, jr.index);
		else
			strbuf_addf(&im->where, "%s:%ld", im->name, jr.line);
		/* flat Alpaca objects skip jansson; anything else, or any error, takes the full path */
		if (!want_sharegpt && flat_object_parse(&im->flat, jr.item.buf, jr.item.len) &&
		    (want_alpaca || flat_object_get(&im->flat, "instruction") || im->map[F_INSTRUCTION] ||
		     (!flat_object_get(&im->flat, "conversations") && !flat_object_get(&im->flat, "messages")))) {
			if (flat_record(im, &im->flat, &r) ? bad_item(im) : add_record(im, &r)) {
				rc = -1;
				break;
			}
			progress_update(&im->progress, jr.bytes);
			continue;
		}
		obj = json_parse(jr.item.buf, jr.item.len, perr, sizeof(perr));
		if (!obj) {
			field_fail(im, "not valid JSON (%s)", perr);
			if (bad_item(im)) {
				rc = -1;
				break;
			}
			continue;
		}
		int bad;
		if (!json_is_object(obj))
			bad = field_fail(im, "expected a JSON object, found %s", json_type_name(obj));
		else if (want_sharegpt || (!want_alpaca && !json_object_get(obj, "instruction") &&
					   !im->map[F_INSTRUCTION] &&
					   (json_object_get(obj, "conversations") || json_object_get(obj, "messages"))))
			bad = sharegpt_record(im, obj, &r);
		else
			bad = alpaca_record(im, obj, &r);
		if (bad ? bad_item(im) : add_record(im, &r)) {
			json_decref(obj);
			rc = -1;
			break;
		}
		json_decref(obj);
		progress_update(&im->progress, jr.bytes);
	}
	if (got < 0) {
		error("%s: %s", im->name, jr.err);
		rc = -1;
		im->bad++;
	} else if (!rc && !im->read && jr.layout != JSON_LAYOUT_ARRAY) {
		/* "[]" is an empty dataset; a file with no text at all is a mistake */
		error("%s: the file is empty (no JSON items found)", im->name);
		rc = -1;
		im->bad++;
	}
	json_reader_close(&jr);
	return rc;
}

/*
 * 1 if s is UTF-8 without NUL bytes. JSON input is checked by jansson;
 * CSV bytes are not, and spreadsheets often save GBK or UTF-16.
 */
static int utf8_text(const char *s, size_t n)
{
	while (n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &cp);
		if (k <= 0 || cp == 0)
			return 0;
		s += k;
		n -= (size_t)k;
	}
	return 1;
}

static int import_csv(struct importer *im, const char *path, int sep)
{
	struct csv_reader cr;
	int col[FIELD_COUNT];
	char *col_name[FIELD_COUNT] = { NULL };	/* header of each mapped column, for messages */
	int rc = 0, got;
	size_t header_n;
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!fp)
		return error("cannot open '%s': %s", im->name, strerror(errno));
	csv_reader_init(&cr, fp, sep);
	got = csv_reader_next(&cr);
	if (got <= 0) {
		rc = error("%s: %s", im->name, got < 0 ? cr.err : "the file is empty (a header row is needed)");
		im->bad++;
		goto out;
	}
	header_n = cr.nfields;
	for (int f = 0; f < FIELD_COUNT; f++) {
		col[f] = -1;
		for (size_t i = 0; i < header_n && col[f] < 0; i++) {
			const char *h = csv_field(&cr, i);
			if (im->map[f]) {
				if (!strcmp(h, im->map[f]))
					col[f] = (int)i;
				continue;
			}
			for (int a = 0; a < 4 && field_aliases[f][a]; a++)
				if (!strcasecmp(h, field_aliases[f][a]))
					col[f] = (int)i;
		}
		if (col[f] >= 0)
			col_name[f] = xstrdup(csv_field(&cr, (size_t)col[f]));
		if (col[f] < 0 && (f == F_INSTRUCTION || f == F_OUTPUT || im->map[f])) {
			rc = error("%s:1: the header has no column '%s' for %s%s", im->name,
				   im->map[f] ? im->map[f] : field_names[f], field_names[f],
				   im->map[f] ? "" : "; name it with --map " "instruction=COLUMN,output=COLUMN");
			im->bad++;
			goto out;
		}
	}
	while ((got = csv_reader_next(&cr)) > 0) {
		struct record r;
		const char **text[FIELD_COUNT] = { &r.instruction, &r.input, &r.output, &r.system, &r.history };
		size_t *lens[FIELD_COUNT] = { &r.instruction_len, &r.input_len, &r.output_len,
					      &r.system_len, &r.history_len };
		int bad = 0;
		im->read++;
		strbuf_reset(&im->where);
		strbuf_addf(&im->where, "%s:%ld", im->name, cr.line);
		if (cr.nfields != header_n)
			bad = field_fail(im, "expected %zu fields as in the header, found %zu", header_n, cr.nfields);
		for (int f = 0; !bad && f < FIELD_COUNT; f++) {
			*text[f] = col[f] >= 0 ? csv_field(&cr, (size_t)col[f]) : "";
			*lens[f] = col[f] >= 0 ? csv_field_len(&cr, (size_t)col[f]) : 0;
			if (!utf8_text(*text[f], *lens[f]))
				bad = field_fail(im, "column '%s' (%s) is not UTF-8 text; convert the file "
						 "first, e.g. iconv -f GB18030 -t UTF-8", col_name[f],
						 field_names[f]);
		}
		if (!bad && r.history_len) {
			/* history in CSV is JSON text; validate and normalise it */
			char perr[200];
			json_t *h = json_parse(r.history, r.history_len, perr, sizeof(perr));
			json_t *wrap = json_object();
			if (!h) {
				bad = field_fail(im, "column '%s' is not valid JSON (%s)",
						 im->map[F_HISTORY] ? im->map[F_HISTORY] : "history",
						 perr);
			} else {
				json_object_set_new(wrap, "history", h);
				bad = history_field(im, wrap);
			}
			json_decref(wrap);
			r.history = im->history.buf, r.history_len = im->history.len;
		} else if (!bad) {
			r.history = "[]", r.history_len = 2;
		}
		if (bad ? bad_item(im) : add_record(im, &r)) {
			rc = -1;
			goto out;
		}
		progress_update(&im->progress, cr.bytes);
	}
	if (got < 0) {
		rc = error("%s: %s", im->name, cr.err);
		im->bad++;
	}
out:
	for (int f = 0; f < FIELD_COUNT; f++)
		free(col_name[f]);
	csv_reader_release(&cr);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static int parse_map(struct importer *im, const struct string_list *maps,
		     const struct command_help *help)
{
	for (size_t i = 0; i < maps->nr; i++) {
		struct string_list pairs = STRING_LIST_INIT;
		string_list_split(&pairs, maps->items[i], ',');
		for (size_t j = 0; j < pairs.nr; j++) {
			char *eq = strchr(pairs.items[j], '=');
			int f;
			for (f = 0; f < FIELD_COUNT && eq; f++)
				if ((size_t)(eq - pairs.items[j]) == strlen(field_names[f]) &&
				    !strncmp(pairs.items[j], field_names[f], strlen(field_names[f])))
					break;
			if (!eq || f == FIELD_COUNT || !eq[1]) {
				usage_error(help, "option '--map' takes FIELD=KEY pairs with FIELD one of "
					    "instruction, input, output, system, history; not '%s'", pairs.items[j]);
				string_list_clear(&pairs);
				return -1;
			}
			free(im->map[f]);
			im->map[f] = xstrdup(eq + 1);
		}
		string_list_clear(&pairs);
	}
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *q = strchr(path, '?');
	size_t n = q ? (size_t)(q - path) : strlen(path);
	const char *slash = NULL;
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			slash = path + i;
	return slash ? slash + 1 : path;
}

/* Source name from the file name: "data/alpaca_zh.json" -> "alpaca_zh". */
static char *default_source_name(const char *path)
{
	const char *b = basename_of(path);
	const char *q = strchr(b, '?');
	size_t n = q ? (size_t)(q - b) : strlen(b);
	const char *dot = NULL;
	for (size_t i = 1; i < n; i++)
		if (b[i] == '.')
			dot = b + i;
	if (dot)
		n = (size_t)(dot - b);
	if (!strcmp(path, "-") || !n)
		return xstrdup("stdin");
	return xstrndup(b, n);
}

/* csv, tsv or json (layout and record kind then come from the content). */
static const char *detect_kind(const char *name, const char *content_type)
{
	char *base = xstrdup(basename_of(name));
	char *q = strchr(base, '?');
	const char *kind = "json";
	if (q)
		*q = '\0';
	if (ends_with_ci(base, ".csv") || (content_type && strstr(content_type, "text/csv")))
		kind = "csv";
	else if (ends_with_ci(base, ".tsv") || ends_with_ci(base, ".tab") ||
		 (content_type && strstr(content_type, "tab-separated")))
		kind = "tsv";
	free(base);
	return kind;
}

static const struct command_help import_help = {
	"winnow import [options] FILE|URL",
	"Add records from an Alpaca, ShareGPT, JSON Lines or CSV/TSV file or URL (stage raw).",
	"Formats (detected when --format is absent):\n"
	"  alpaca    JSON array (or lines) of {instruction, input, output, system, history}\n"
	"  jsonl     JSON Lines, one record per line (Alpaca or ShareGPT fields)\n"
	"  sharegpt  {conversations: [{from, value}]} or {messages: [{role, content}]};\n"
	"            a first system turn becomes system, earlier turns history, the last\n"
	"            user/assistant pair instruction/output\n"
	"  csv, tsv  a header row; columns instruction, input, output, system, history (JSON)\n"
	"Without --map, common spellings are understood: prompt/question for instruction,\n"
	"context for input, response/answer/completion for output.\n"
	"The import is one transaction: a bad item stops it (exit 65) and the corpus stays\n"
	"as it was, unless --skip-bad is given. Importing the same data twice adds nothing.\n"
	"FILE may be '-' for standard input.",
	"  winnow import alpaca_data_zh.json\n"
	"  winnow import chats.jsonl --format sharegpt --source support-chats\n"
	"  winnow import faq.csv --map instruction=question,output=answer\n"
	"  winnow import https://example.org/datasets/train.jsonl --skip-bad",
};

int cmd_import(int argc, char **argv)
{
	const char *format = NULL, *source = NULL;
	struct string_list maps = STRING_LIST_INIT;
	int skip_bad = 0;
	struct option opts[] = {
		OPT_CHOICE('f', "format", &format, "alpaca|jsonl|sharegpt|csv|tsv",
			   "input format (default: detect from the name and content)"),
		OPT_STRING('s', "source", &source, "NAME", "source name (default: the file name)"),
		OPT_LIST('m', "map", &maps, "FIELD=KEY,...",
			 "which key or column holds each field, e.g. instruction=question,output=answer"),
		OPT_FLAG(0, "skip-bad", &skip_bad, "skip bad items and report them instead of stopping"),
		OPT_END(),
	};
	struct importer im;
	struct run run;
	char *tmp = NULL, *source_name = NULL;
	const char *path, *kind;
	struct strbuf content_type = STRBUF_INIT;
	int rc = EXIT_OK, failed;
	struct stat st;

	argc = parse_options(argc, argv, opts, &import_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc != 1)
		return usage_error(&import_help, argc ? "import takes one FILE or URL at a time"
						      : "say which FILE or URL to import");
	memset(&im, 0, sizeof(im));
	if (parse_map(&im, &maps, &import_help))
		return EXIT_USAGE;
	im.name = path = argv[0];
	im.format = format;
	im.skip_bad = skip_bad;

	im.db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!im.db)
		return EXIT_FAILURE_;
	run_begin(&run, im.db, "import");

	if (is_http_url(path)) {
		const char *dir = getenv("TMPDIR");
		int fd;
		tmp = xstrfmt("%s/winnow-import-XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(tmp);
		if (fd < 0) {
			error("cannot create a temporary file in '%s': %s", dir ? dir : "/tmp", strerror(errno));
			rc = run_end(&run, EXIT_FAILURE_, "download failed");
			goto out;
		}
		close(fd);
		enum http_result hr = http_download(path, tmp, &http_download_limits, &content_type, "download");
		if (hr != HTTP_OK) {
			rc = run_end(&run, hr == HTTP_TEMPORARY ? EXIT_TEMPFAIL : EXIT_FAILURE_,
				     "could not download '%s'", path);
			goto out;
		}
		path = tmp;
	} else if (strcmp(path, "-") && stat(path, &st)) {
		error("cannot read '%s': %s", path, strerror(errno));
		rc = run_end(&run, EXIT_FAILURE_, "nothing imported");
		goto out;
	}

	source_name = source ? xstrdup(source) : default_source_name(im.name);
	strbuf_init(&im.history, 256);
	strbuf_init(&im.err, 0);
	strbuf_init(&im.where, 0);
	strbuf_init(&im.turn_user, 0);
	strbuf_init(&im.turn_assistant, 0);
	strbuf_init(&im.turn_system, 0);
	strbuf_init(&im.flat.arena, 4096);

	if (sqlite3_exec(im.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		error("the corpus is busy (another winnow is writing to it); try again later");
		rc = run_end(&run, EXIT_TEMPFAIL, "corpus busy");
		goto out;
	}
	im.source_id = source_ensure(im.db, source_name, "file", im.name);
	if (im.source_id < 0 || record_inserter_init(&im.ins, im.db)) {
		sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
		rc = run_end(&run, EXIT_FAILURE_, "nothing imported");
		goto out;
	}
	progress_start(&im.progress, "import", strcmp(path, "-") && !stat(path, &st) ? (uint64_t)st.st_size : 0,
		       "bytes");

	kind = format && !strcmp(format, "csv") ? "csv"
	     : format && !strcmp(format, "tsv") ? "tsv"
	     : format ? "json" : detect_kind(im.name, content_type.buf);
	if (!strcmp(kind, "csv") || !strcmp(kind, "tsv"))
		failed = import_csv(&im, path, kind[0] == 't' ? '\t' : ',');
	else
		failed = import_json(&im, path, format && !strcmp(format, "jsonl") ? JSON_LAYOUT_LINES
									     : JSON_LAYOUT_AUTO);
	progress_finish(&im.progress);
	record_inserter_release(&im.ins);

	run_count(&run, "read", im.read);
	run_count(&run, "added", im.added);
	run_count(&run, "already_present", im.present);
	run_count(&run, "bad", im.bad);
	if (failed) {
		sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
		rc = run_end(&run, im.bad ? EXIT_DATAERR : EXIT_FAILURE_,
			     "nothing imported from '%s'; the corpus is unchanged", im.name);
	} else if (corpus_exec(im.db, "COMMIT")) {
		sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
		rc = run_end(&run, EXIT_FAILURE_, "could not commit the import");
	} else {
		char skipped[64] = "";
		if (im.bad)
			snprintf(skipped, sizeof(skipped), ", %ld bad ones skipped", im.bad);
		rc = run_end(&run, EXIT_OK, "%ld records read from '%s': %ld added, %ld already present%s",
			     im.read, im.name, im.added, im.present, skipped);
	}
out:
	strbuf_release(&im.history);
	strbuf_release(&im.err);
	strbuf_release(&im.where);
	strbuf_release(&im.turn_user);
	strbuf_release(&im.turn_assistant);
	strbuf_release(&im.turn_system);
	strbuf_release(&im.flat.arena);
	for (int f = 0; f < FIELD_COUNT; f++)
		free(im.map[f]);
	strbuf_release(&content_type);
	string_list_clear(&maps);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(source_name);
	corpus_close(im.db);
	return rc;
}
