/*
 * import_items.c - turning the items of an import file into records:
 * Alpaca objects (a fast path for flat ones, jansson for the rest),
 * ShareGPT / OpenAI message lists, and CSV/TSV rows. Runs on the import's
 * reader thread (see import.h); it never prints, it describes bad items in
 * im->err for the main thread to report in file order.
 */
#define _POSIX_C_SOURCE 200809L
#include "import.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

const char *const field_names[FIELD_COUNT] = {
	"instruction", "input", "output", "system", "history"
};

const char *const field_aliases[FIELD_COUNT][4] = {
	{ "instruction", "prompt", "question", NULL },
	{ "input", "context", NULL },
	{ "output", "response", "answer", "completion" },
	{ "system", NULL },
	{ "history", NULL },
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
			return field_fail(im, "%s turn %zu: expected %s turn, found '%s'", where, i,
					  (i - first) % 2 ? "an assistant" : "a user", json_string_value(role));
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


/* ---- JSON items ---- */

int items_open_json(struct importer *im, const char *path, enum json_layout layout)
{
	im->is_csv = 0;
	if (json_reader_open(&im->jr, path, layout))
		return error("cannot open '%s': %s", im->name, strerror(errno));
	return 0;
}

static enum item_result json_next(struct importer *im, struct record *r)
{
	int want_sharegpt = im->format && !strcmp(im->format, "sharegpt");
	int want_alpaca = im->format && !strcmp(im->format, "alpaca");
	struct json_reader *jr = &im->jr;
	char perr[200];
	int got;

	json_decref(im->obj);
	im->obj = NULL;
	got = json_reader_next(jr);
	im->bytes = jr->bytes;
	if (got < 0) {
		field_fail(im, "%s", jr->err);
		return ITEM_FATAL;
	}
	if (!got) {
		/* "[]" is an empty dataset; a file with no text at all is a mistake */
		if (!im->items && jr->layout != JSON_LAYOUT_ARRAY) {
			field_fail(im, "the file is empty (no JSON items found)");
			return ITEM_FATAL;
		}
		return ITEM_END;
	}
	im->items++;

	/* flat Alpaca objects skip jansson; anything else, or any error, takes the full path */
	if (!want_sharegpt && flat_object_parse(&im->flat, jr->item.buf, jr->item.len) &&
	    (want_alpaca || flat_object_get(&im->flat, "instruction") || im->map[F_INSTRUCTION] ||
	     (!flat_object_get(&im->flat, "conversations") && !flat_object_get(&im->flat, "messages"))))
		return flat_record(im, &im->flat, r) ? ITEM_BAD : ITEM_RECORD;

	im->obj = json_parse(jr->item.buf, jr->item.len, perr, sizeof(perr));
	if (!im->obj)
		return field_fail(im, "not valid JSON (%s)", perr), ITEM_BAD;
	if (!json_is_object(im->obj))
		return field_fail(im, "expected a JSON object, found %s", json_type_name(im->obj)), ITEM_BAD;
	if (want_sharegpt || (!want_alpaca && !json_object_get(im->obj, "instruction") &&
			      !im->map[F_INSTRUCTION] &&
			      (json_object_get(im->obj, "conversations") || json_object_get(im->obj, "messages"))))
		return sharegpt_record(im, im->obj, r) ? ITEM_BAD : ITEM_RECORD;
	return alpaca_record(im, im->obj, r) ? ITEM_BAD : ITEM_RECORD;
}

/* ---- CSV rows ---- */

int items_open_csv(struct importer *im, const char *path, int sep)
{
	int got;
	im->is_csv = 1;
	im->csv_fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!im->csv_fp)
		return error("cannot open '%s': %s", im->name, strerror(errno));
	csv_reader_init(&im->cr, im->csv_fp, sep);
	got = csv_reader_next(&im->cr);
	if (got <= 0) {
		im->bad++;
		return error("%s: %s", im->name, got < 0 ? im->cr.err : "the file is empty (a header row is needed)");
	}
	im->header_fields = im->cr.nfields;
	for (int f = 0; f < FIELD_COUNT; f++) {
		im->col[f] = -1;
		for (size_t i = 0; i < im->header_fields && im->col[f] < 0; i++) {
			const char *h = csv_field(&im->cr, i);
			if (im->map[f]) {
				if (!strcmp(h, im->map[f]))
					im->col[f] = (int)i;
				continue;
			}
			for (int a = 0; a < 4 && field_aliases[f][a]; a++)
				if (!strcasecmp(h, field_aliases[f][a]))
					im->col[f] = (int)i;
		}
		if (im->col[f] >= 0)
			im->col_name[f] = xstrdup(csv_field(&im->cr, (size_t)im->col[f]));
		if (im->col[f] < 0 && (f == F_INSTRUCTION || f == F_OUTPUT || im->map[f])) {
			im->bad++;
			return error("%s:1: the header has no column '%s' for %s%s", im->name,
				     im->map[f] ? im->map[f] : field_names[f], field_names[f],
				     im->map[f] ? "" : "; name it with --map instruction=COLUMN,output=COLUMN");
		}
	}
	return 0;
}

static enum item_result csv_next(struct importer *im, struct record *r)
{
	struct csv_reader *cr = &im->cr;
	const char **text[FIELD_COUNT] = { &r->instruction, &r->input, &r->output, &r->system, &r->history };
	size_t *lens[FIELD_COUNT] = { &r->instruction_len, &r->input_len, &r->output_len,
				      &r->system_len, &r->history_len };
	int got = csv_reader_next(cr);

	im->bytes = cr->bytes;
	if (got < 0) {
		field_fail(im, "%s", cr->err);
		return ITEM_FATAL;
	}
	if (!got)
		return ITEM_END;
	im->items++;
	if (cr->nfields != im->header_fields)
		return field_fail(im, "expected %zu fields as in the header, found %zu",
				  im->header_fields, cr->nfields), ITEM_BAD;
	for (int f = 0; f < FIELD_COUNT; f++) {
		*text[f] = im->col[f] >= 0 ? csv_field(cr, (size_t)im->col[f]) : "";
		*lens[f] = im->col[f] >= 0 ? csv_field_len(cr, (size_t)im->col[f]) : 0;
		if (!utf8_text(*text[f], *lens[f]))
			return field_fail(im, "column '%s' (%s) is not UTF-8 text; convert the file first, "
					  "e.g. iconv -f GB18030 -t UTF-8", im->col_name[f], field_names[f]), ITEM_BAD;
	}
	if (!r->history_len) {
		r->history = "[]", r->history_len = 2;
		return ITEM_RECORD;
	}
	/* history in CSV is JSON text; validate and normalise it */
	char perr[200];
	json_t *h = json_parse(r->history, r->history_len, perr, sizeof(perr));
	int bad;
	if (!h) {
		bad = field_fail(im, "column '%s' is not valid JSON (%s)", im->col_name[F_HISTORY], perr);
	} else {
		json_t *wrap = json_object();
		json_object_set_new(wrap, "history", h);
		bad = history_field(im, wrap);
		json_decref(wrap);
	}
	r->history = im->history.buf, r->history_len = im->history.len;
	return bad ? ITEM_BAD : ITEM_RECORD;
}

enum item_result items_next(struct importer *im, struct record *r)
{
	enum item_result got = im->is_csv ? csv_next(im, r) : json_next(im, r);
	if (got != ITEM_BAD)
		return got;
	/* where an item is only matters in messages, so it is only written for bad ones */
	strbuf_reset(&im->where);
	if (im->is_csv)
		strbuf_addf(&im->where, "%s:%ld", im->name, im->cr.line);
	else if (im->jr.layout == JSON_LAYOUT_ARRAY)
		strbuf_addf(&im->where, "%s:%ld (item %ld)", im->name, im->jr.line, im->jr.index);
	else
		strbuf_addf(&im->where, "%s:%ld", im->name, im->jr.line);
	return got;
}

void items_close(struct importer *im)
{
	json_decref(im->obj);
	im->obj = NULL;
	if (im->is_csv) {
		csv_reader_release(&im->cr);
		if (im->csv_fp && im->csv_fp != stdin)
			fclose(im->csv_fp);
		im->csv_fp = NULL;
		for (int f = 0; f < FIELD_COUNT; f++) {
			free(im->col_name[f]);
			im->col_name[f] = NULL;
		}
	} else {
		json_reader_close(&im->jr);
	}
}
