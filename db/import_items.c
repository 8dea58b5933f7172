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

/* ---- LLaMA-Factory's other columns: tools, kto_tag, media, ranking ---- */

/* Keys of LLaMA-Factory's formats beyond the Alpaca/ShareGPT text fields. */
static const char *const extra_keys[] = {
	"tools", "kto_tag", "chosen", "rejected", "images", "videos", "audios", "text", NULL
};

/* 1 if v is a string or a list of strings (or of lists of strings: video frames) */
static int path_list(json_t *v, int depth)
{
	size_t i;
	json_t *e;
	if (json_is_string(v))
		return 1;
	if (!json_is_array(v) || depth > 1)
		return 0;
	json_array_foreach(v, i, e)
		if (!path_list(e, depth + 1) || (depth == 1 && !json_is_string(e)))
			return 0;
	return 1;
}

/* tools (text, or JSON written as text), kto_tag and the media path lists. */
static int extra_fields(struct importer *im, json_t *obj)
{
	static const char *const media[] = { "images", "videos", "audios" };
	json_t *tools = json_object_get(obj, "tools"), *kto = json_object_get(obj, "kto_tag");
	json_t *m = NULL;
	strbuf_reset(&im->tools);
	strbuf_reset(&im->media);
	if (tools && !json_is_null(tools)) {
		if (json_is_string(tools)) {
			strbuf_add(&im->tools, json_string_value(tools), json_string_length(tools));
		} else if (json_is_array(tools) || json_is_object(tools)) {
			char *t = json_dumps(tools, JSON_COMPACT | JSON_PRESERVE_ORDER);
			strbuf_addstr(&im->tools, t);
			free(t);
		} else {
			return field_fail(im, "field 'tools' must be a JSON text or a list of tool definitions, "
					  "found %s", json_type_name(tools));
		}
	}
	im->extra.kto = 0;
	if (kto && !json_is_null(kto)) {
		if (!json_is_boolean(kto))
			return field_fail(im, "field 'kto_tag' must be true or false, found %s", json_type_name(kto));
		im->extra.kto = json_is_true(kto) ? KTO_GOOD : KTO_BAD;
	}
	for (int i = 0; i < 3; i++) {
		json_t *v = json_object_get(obj, media[i]);
		if (!v || json_is_null(v) || (json_is_array(v) && !json_array_size(v)))
			continue;
		if (!path_list(v, 0)) {
			json_decref(m);
			return field_fail(im, "field '%s' must be a path or a list of paths, found %s",
					  media[i], json_type_name(v));
		}
		if (!m)
			m = json_object();
		json_object_set_new(m, media[i], json_is_string(v) ? json_pack("[O]", v) : json_incref(v));
	}
	if (m) {
		char *t = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
		strbuf_addstr(&im->media, t);
		free(t);
		json_decref(m);
	}
	im->extra.tools = im->tools.buf, im->extra.tools_len = im->tools.len;
	im->extra.media = im->media.buf, im->extra.media_len = im->media.len;
	return 0;
}

static int alpaca_record(struct importer *im, json_t *obj, struct record *r)
{
	json_t *chosen = json_object_get(obj, "chosen"), *rejected = json_object_get(obj, "rejected");
	int ranking = !im->map[F_OUTPUT] && chosen && !json_object_get(obj, "output");
	if (string_field(im, obj, F_INSTRUCTION, 1, &r->instruction, &r->instruction_len) ||
	    string_field(im, obj, F_INPUT, 0, &r->input, &r->input_len) ||
	    (!ranking && string_field(im, obj, F_OUTPUT, 1, &r->output, &r->output_len)) ||
	    string_field(im, obj, F_SYSTEM, 0, &r->system, &r->system_len) ||
	    history_field(im, obj) || extra_fields(im, obj))
		return -1;
	if (ranking) {		/* a preference pair: output is the chosen answer */
		if (!json_is_string(chosen))
			return field_fail(im, "field 'chosen' must be a string, found %s", json_type_name(chosen));
		r->output = json_string_value(chosen), r->output_len = json_string_length(chosen);
	}
	if ((ranking || rejected) && !json_is_string(rejected))
		return field_fail(im, rejected ? "field 'rejected' must be a string, found %s"
				  : "field 'rejected' is missing (a preference pair needs chosen and rejected)%s",
				  rejected ? json_type_name(rejected) : "");
	if (rejected)
		im->extra.rejected = json_string_value(rejected), im->extra.rejected_len = json_string_length(rejected);
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

/* The roles LLaMA-Factory knows; the letters are what records.turn_roles stores. */
enum role { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_FUNCTION, ROLE_OBSERVATION, ROLE_OTHER };
static const char role_letter[] = "suafo";

static enum role role_of(const char *s)
{
	static const char *const names[][6] = {
		[ROLE_SYSTEM] = { "system", NULL },
		[ROLE_USER] = { "human", "user", NULL },
		[ROLE_ASSISTANT] = { "gpt", "assistant", "chatgpt", "bot", "model", NULL },
		[ROLE_FUNCTION] = { "function_call", NULL },
		[ROLE_OBSERVATION] = { "observation", "tool", NULL },
	};
	for (int r = 0; r < ROLE_OTHER; r++)
		for (int i = 0; names[r][i]; i++)
			if (!strcasecmp(s, names[r][i]))
				return (enum role)r;
	return ROLE_OTHER;
}

/*
 * Content as a string, or a list of text parts joined: {type:"text", text}
 * (OpenAI) or {type:"text", value} (LLaMA-Factory v1). An OpenAI assistant
 * turn with tool_calls becomes the list of their functions as JSON, as
 * LLaMA-Factory reads it.
 */
static int turn_content(struct importer *im, json_t *turn, const char *key, const char *where,
			size_t n, struct strbuf *out)
{
	size_t i;
	json_t *part, *v = json_object_get(turn, key), *calls = json_object_get(turn, "tool_calls");
	strbuf_reset(out);
	if (json_array_size(calls) && (!v || json_is_null(v) || !json_string_length(v))) {
		json_t *fns = json_array();
		json_array_foreach(calls, i, part)
			json_array_append(fns, json_object_get(part, "function"));
		char *t = json_dumps(fns, JSON_COMPACT | JSON_PRESERVE_ORDER);
		strbuf_addstr(out, t);
		free(t);
		json_decref(fns);
		return 0;
	}
	if (json_is_string(v)) {
		strbuf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	}
	if (!json_is_array(v))
		return field_fail(im, "%s turn %zu: field '%s' must be a string or a list of text parts, found %s",
				  where, n, key, json_type_name(v));
	json_array_foreach(v, i, part) {
		json_t *type = json_object_get(part, "type");
		json_t *text = json_object_get(part, "text");
		if (!text)
			text = json_object_get(part, "value");
		if ((type && (!json_is_string(type) || strcmp(json_string_value(type), "text"))) ||
		    !json_is_string(text))
			return field_fail(im, "%s turn %zu part %zu: a part of type '%s' cannot be imported: only "
					  "text parts can (images, videos and audios go in the item's "
					  "images/videos/audios lists, with <image> placeholders in the text)",
					  where, n, i, json_is_string(type) ? json_string_value(type) : "(none)");
		strbuf_add(out, json_string_value(text), json_string_length(text));
	}
	return 0;
}

/*
 * Checks the turns' roles the way LLaMA-Factory pairs them: an optional
 * system turn, then user or observation turns alternating with assistant or
 * function_call turns; a preference pair's list ends on the prompt. Writes
 * the role letters to im->roles. Returns the index of the first non-system turn.
 */
static int check_roles(struct importer *im, json_t *turns, const char *where, const char *role_key,
		       const char *content_key, int ranking, size_t *first)
{
	size_t i, n = json_array_size(turns);
	*first = 0;
	strbuf_reset(&im->roles);
	for (i = 0; i < n; i++) {
		json_t *t = json_array_get(turns, i), *role = json_object_get(t, role_key);
		if (!json_is_object(t))
			return field_fail(im, "%s turn %zu must be an object, found %s", where, i, json_type_name(t));
		if (!json_is_string(role))
			return field_fail(im, "%s turn %zu: field '%s' must be a string", where, i, role_key);
		if (!json_object_get(t, content_key) && !json_object_get(t, "tool_calls"))
			return field_fail(im, "%s turn %zu: field '%s' is missing", where, i, content_key);
		enum role ro = role_of(json_string_value(role));
		if (ro == ROLE_ASSISTANT && json_array_size(json_object_get(t, "tool_calls")))
			ro = ROLE_FUNCTION;
		if (ro == ROLE_SYSTEM && i == 0) {
			*first = 1;
			continue;
		}
		int odd = (i - *first) % 2;
		if (ro == ROLE_OTHER || ro == ROLE_SYSTEM)
			return field_fail(im, "%s turn %zu: role '%s' cannot be imported (expected %s)", where, i,
					  json_string_value(role), ro == ROLE_SYSTEM ? "system only as the first turn"
					  : "user, assistant, function_call or observation");
		if (odd ? ro != ROLE_ASSISTANT && ro != ROLE_FUNCTION : ro != ROLE_USER && ro != ROLE_OBSERVATION)
			return field_fail(im, "%s turn %zu: expected %s, found '%s' (turns alternate: user or "
					  "observation, then assistant or function_call)", where, i,
					  odd ? "an assistant turn (or function_call)" : "a user turn (or observation)",
					  json_string_value(role));
		strbuf_addch(&im->roles, role_letter[ro]);
	}
	size_t turns_left = n - *first;
	if (turns_left < (ranking ? 1u : 2u))
		return field_fail(im, "field '%s' needs at least one user turn%s", where,
				  ranking ? "" : " and one assistant reply");
	if (turns_left % 2 != (ranking ? 1u : 0u))
		return field_fail(im, ranking ? "field '%s' must end with the prompt (a user turn) when "
				  "'chosen' and 'rejected' hold the answers"
				  : "field '%s' ends with a user turn that has no assistant reply", where);
	return 0;
}

/* A preference pair's answer: {from|role, value|content}; its role letter goes to im->roles. */
static int ranking_answer(struct importer *im, json_t *obj, const char *key, const char *role_key,
			  const char *content_key, struct strbuf *out)
{
	json_t *a = json_object_get(obj, key);
	json_t *role = json_object_get(a, role_key);
	enum role ro = json_is_string(role) ? role_of(json_string_value(role)) : ROLE_OTHER;
	if (!json_is_object(a))
		return field_fail(im, "field '%s' must be a turn {\"%s\": ..., \"%s\": ...}, found %s", key,
				  role_key, content_key, a ? json_type_name(a) : "nothing");
	if (ro != ROLE_ASSISTANT && ro != ROLE_FUNCTION)
		return field_fail(im, "field '%s': role must be an assistant or function_call, found '%s'", key,
				  json_is_string(role) ? json_string_value(role) : "(none)");
	if (!strcmp(key, "chosen"))
		strbuf_addch(&im->roles, role_letter[ro]);
	else if (role_letter[ro] != im->roles.buf[im->roles.len - 1])
		return field_fail(im, "fields 'chosen' and 'rejected' must have the same role");
	return turn_content(im, a, content_key, key, 0, out);
}

static int sharegpt_record(struct importer *im, json_t *obj, struct record *r)
{
	const char *where = "conversations", *role_key = "from", *content_key = "value";
	json_t *turns = json_object_get(obj, "conversations"), *sys = json_object_get(obj, "system");
	int ranking = json_object_get(obj, "chosen") || json_object_get(obj, "rejected");
	size_t n, first, npairs;
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
	if (check_roles(im, turns, where, role_key, content_key, ranking, &first) || extra_fields(im, obj))
		return -1;
	npairs = (n - first + (size_t)ranking) / 2;

	/* history: all pairs but the last */
	strbuf_reset(&im->history);
	strbuf_addch(&im->history, '[');
	for (size_t p = 0; p + 1 < npairs; p++) {
		for (int k = 0; k < 2; k++) {
			size_t ti = first + 2 * p + (size_t)k;
			struct strbuf *s = k ? &im->turn_assistant : &im->turn_user;
			if (turn_content(im, json_array_get(turns, ti), content_key, where, ti, s))
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
		if (turn_content(im, json_array_get(turns, 0), content_key, where, 0, &im->turn_system))
			return -1;
		r->system = im->turn_system.buf;
		r->system_len = im->turn_system.len;
	}
	size_t last_user = ranking ? n - 1 : n - 2;
	if (turn_content(im, json_array_get(turns, last_user), content_key, where, last_user, &im->turn_user))
		return -1;
	if (ranking ? ranking_answer(im, obj, "chosen", role_key, content_key, &im->turn_assistant) ||
		      ranking_answer(im, obj, "rejected", role_key, content_key, &im->turn_rejected)
		    : turn_content(im, json_array_get(turns, n - 1), content_key, where, n - 1, &im->turn_assistant))
		return -1;
	r->instruction = im->turn_user.buf, r->instruction_len = im->turn_user.len;
	r->output = im->turn_assistant.buf, r->output_len = im->turn_assistant.len;
	if (ranking)
		im->extra.rejected = im->turn_rejected.buf, im->extra.rejected_len = im->turn_rejected.len;
	r->input = "", r->input_len = 0;
	r->history = im->history.buf, r->history_len = im->history.len;
	/* roles only when some turn is not plain user/assistant */
	int plain = 1;
	for (size_t i = 0; i < im->roles.len; i++)
		plain &= im->roles.buf[i] == (i % 2 ? 'a' : 'u');
	if (!plain)
		im->extra.turn_roles = im->roles.buf, im->extra.turn_roles_len = im->roles.len;
	return 0;
}

/* A pre-training item: {"text": "..."} and nothing LLaMA-Factory would read as a record. */
static int is_text_item(struct importer *im, json_t *obj)
{
	return json_is_string(json_object_get(obj, "text")) && !im->map[F_INSTRUCTION] &&
	       !json_object_get(obj, "instruction") && !json_object_get(obj, "conversations") &&
	       !json_object_get(obj, "messages");
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

static int has_extra_key(const struct flat_object *obj)
{
	for (int i = 0; extra_keys[i]; i++)
		if (flat_object_get(obj, extra_keys[i]))
			return 1;
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
	    !has_extra_key(&im->flat) &&
	    (want_alpaca || flat_object_get(&im->flat, "instruction") || im->map[F_INSTRUCTION] ||
	     (!flat_object_get(&im->flat, "conversations") && !flat_object_get(&im->flat, "messages"))))
		return flat_record(im, &im->flat, r) ? ITEM_BAD : ITEM_RECORD;

	im->obj = json_parse(jr->item.buf, jr->item.len, perr, sizeof(perr));
	if (!im->obj)
		return field_fail(im, "not valid JSON (%s)", perr), ITEM_BAD;
	if (!json_is_object(im->obj))
		return field_fail(im, "expected a JSON object, found %s", json_type_name(im->obj)), ITEM_BAD;
	if (!want_sharegpt && is_text_item(im, im->obj)) {
		json_t *text = json_object_get(im->obj, "text");
		r->output = json_string_value(text), r->output_len = json_string_length(text);
		return ITEM_DOCUMENT;
	}
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
	memset(r, 0, sizeof(*r));
	memset(&im->extra, 0, sizeof(im->extra));
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
