/*
 * export_format.c - one record as an item of LLaMA-Factory's data formats
 * (Alpaca, ShareGPT; JSON Lines is Alpaca one item a line), and the
 * dataset_info.json entry that tells LLaMA-Factory which keys a file has.
 *
 * Beyond the Alpaca fields a record may carry tools, a KTO label, a
 * rejected answer (a preference pair: output is the chosen one), media
 * path lists and tool-call turn roles (see `winnow schema`); each is
 * written under the key LLaMA-Factory's data README gives it.
 */
#include "corpus.h"
#include "export.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <string.h>

enum { C_ID, C_INSTRUCTION, C_INPUT, C_OUTPUT, C_SYSTEM, C_HISTORY, C_TOOLS, C_KTO, C_REJECTED,
       C_MEDIA, C_ROLES };

static const char *text(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);
	return s ? s : "";
}

static size_t bytes(sqlite3_stmt *st, int c)
{
	return (size_t)sqlite3_column_bytes(st, c);
}

static void add_key(struct line_writer *w, int first, const char *key)
{
	const char *ind = w->pretty ? "\n    " : "";
	if (!first)
		strbuf_addch(&w->line, ',');
	strbuf_addstr(&w->line, ind);
	json_write_string(&w->line, key, strlen(key));
	strbuf_addstr(&w->line, w->pretty ? ": " : ":");
}

static void add_member(struct line_writer *w, int first, const char *key, const char *s, size_t n)
{
	add_key(w, first, key);
	json_write_string(&w->line, s, n);
}

/* {"from": tag, "value": text} */
static void add_turn(struct line_writer *w, int first, const char *from, const char *s, size_t n)
{
	if (!first)
		strbuf_addch(&w->line, ',');
	strbuf_addf(&w->line, "%s{\"from\":\"%s\",\"value\":", w->pretty ? "\n      " : "", from);
	json_write_string(&w->line, s, n);
	strbuf_addch(&w->line, '}');
}

/*
 * Parses a history column; returns the list, or NULL when it is not a list
 * of [question, answer] string pairs (someone edited it with `winnow sql`).
 */
static json_t *parse_history(sqlite3_stmt *st)
{
	size_t i;
	json_t *pair, *h = json_parse(text(st, C_HISTORY), bytes(st, C_HISTORY), NULL, 0);
	if (!json_is_array(h))
		goto bad;
	json_array_foreach(h, i, pair)
		if (json_array_size(pair) != 2 || !json_is_string(json_array_get(pair, 0)) ||
		    !json_is_string(json_array_get(pair, 1)))
			goto bad;
	return h;
bad:
	json_decref(h);
	error("record %lld has a corrupt history column (not a list of [question, answer] pairs); "
	      "fix it with winnow sql --write", (long long)sqlite3_column_int64(st, C_ID));
	return NULL;
}

/* tools, kto_tag and the media lists, after the item's other keys. */
static int add_extras(struct line_writer *w, sqlite3_stmt *st)
{
	if (bytes(st, C_TOOLS)) {
		add_member(w, 0, "tools", text(st, C_TOOLS), bytes(st, C_TOOLS));
		w->keys.tools = 1;
	}
	if (sqlite3_column_type(st, C_KTO) != SQLITE_NULL) {
		add_key(w, 0, "kto_tag");
		strbuf_addstr(&w->line, sqlite3_column_int(st, C_KTO) ? "true" : "false");
		w->keys.kto_tag = 1;
	}
	if (!bytes(st, C_MEDIA))
		return 0;
	json_t *media = json_parse(text(st, C_MEDIA), bytes(st, C_MEDIA), NULL, 0), *v;
	const char *key;
	if (!json_is_object(media)) {
		json_decref(media);
		return error("record %lld has a corrupt media column (not a JSON object of path lists); "
			     "fix it with winnow sql --write", (long long)sqlite3_column_int64(st, C_ID));
	}
	json_object_foreach(media, key, v) {
		char *list = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		add_key(w, 0, key);
		strbuf_addstr(&w->line, list ? list : "[]");
		free(list);
		w->keys.images |= !strcmp(key, "images");
		w->keys.videos |= !strcmp(key, "videos");
		w->keys.audios |= !strcmp(key, "audios");
	}
	json_decref(media);
	return 0;
}

static int alpaca_item(struct line_writer *w, sqlite3_stmt *st, int ranking)
{
	if (bytes(st, C_ROLES))
		return error("record %lld has function_call/observation turns, which the Alpaca format "
			     "cannot hold; export it with --format sharegpt",
			     (long long)sqlite3_column_int64(st, C_ID));
	add_member(w, 1, "instruction", text(st, C_INSTRUCTION), bytes(st, C_INSTRUCTION));
	add_member(w, 0, "input", text(st, C_INPUT), bytes(st, C_INPUT));
	add_member(w, 0, ranking ? "chosen" : "output", text(st, C_OUTPUT), bytes(st, C_OUTPUT));
	if (ranking)
		add_member(w, 0, "rejected", text(st, C_REJECTED), bytes(st, C_REJECTED));
	if (w->keys.system)
		add_member(w, 0, "system", text(st, C_SYSTEM), bytes(st, C_SYSTEM));
	if (w->keys.history) {
		/* written as stored, so check it: a hand-edited column must not break the file */
		json_t *h = parse_history(st);
		if (!h)
			return -1;
		json_decref(h);
		add_key(w, 0, "history");
		strbuf_add(&w->line, text(st, C_HISTORY), bytes(st, C_HISTORY));
	}
	return 0;
}

/* The ShareGPT tag of turn i: from turn_roles when set, else human/gpt alternating. */
static const char *tag_of(sqlite3_stmt *st, size_t i)
{
	const char *roles = text(st, C_ROLES);
	char r = i < bytes(st, C_ROLES) ? roles[i] : (i % 2 ? 'a' : 'u');
	return r == 'f' ? "function_call" : r == 'o' ? "observation" : r == 'a' ? "gpt" : "human";
}

static int sharegpt_item(struct line_writer *w, sqlite3_stmt *st, int ranking)
{
	size_t t = 0;
	strbuf_addf(&w->line, "%s\"conversations\":%s[", w->pretty ? "\n    " : "", w->pretty ? " " : "");
	if (w->keys.history) {
		json_t *h = parse_history(st), *pair;
		size_t i;
		if (!h)
			return -1;
		json_array_foreach(h, i, pair) {
			for (int k = 0; k < 2; k++, t++) {
				json_t *s = json_array_get(pair, (size_t)k);
				add_turn(w, t == 0, tag_of(st, t), json_string_value(s), json_string_length(s));
			}
		}
		json_decref(h);
	}
	/* user content as LLaMA-Factory builds it: instruction, newline, input */
	struct strbuf user = STRBUF_INIT;
	strbuf_add(&user, text(st, C_INSTRUCTION), bytes(st, C_INSTRUCTION));
	if (bytes(st, C_INPUT)) {
		strbuf_addch(&user, '\n');
		strbuf_add(&user, text(st, C_INPUT), bytes(st, C_INPUT));
	}
	add_turn(w, t == 0, tag_of(st, t), user.buf, user.len);
	strbuf_release(&user);
	if (!ranking)
		add_turn(w, 0, tag_of(st, t + 1), text(st, C_OUTPUT), bytes(st, C_OUTPUT));
	strbuf_addstr(&w->line, w->pretty ? "\n    ]" : "]");
	if (ranking) {
		const char *tag = tag_of(st, t + 1);
		add_key(w, 0, "chosen");
		add_turn(w, 1, tag, text(st, C_OUTPUT), bytes(st, C_OUTPUT));
		add_key(w, 0, "rejected");
		add_turn(w, 1, tag, text(st, C_REJECTED), bytes(st, C_REJECTED));
	}
	if (w->keys.system)
		add_member(w, 0, "system", text(st, C_SYSTEM), bytes(st, C_SYSTEM));
	return 0;
}

int format_record(struct line_writer *w, sqlite3_stmt *st)
{
	int ranking = sqlite3_column_type(st, C_REJECTED) != SQLITE_NULL;
	memset(&w->keys, 0, sizeof(w->keys));
	w->keys.system = bytes(st, C_SYSTEM) > 0;
	w->keys.history = bytes(st, C_HISTORY) && strcmp(text(st, C_HISTORY), "[]");
	w->keys.tool_turns = bytes(st, C_ROLES) > 0;
	w->keys.ranking = ranking;
	w->keys.plain = !ranking;
	strbuf_reset(&w->line);
	strbuf_addstr(&w->line, w->pretty ? "  {" : "{");
	if (w->format == EXPORT_SHAREGPT ? sharegpt_item(w, st, ranking) : alpaca_item(w, st, ranking))
		return -1;
	if (w->format == EXPORT_SHAREGPT)
		w->keys.history = 0;	/* in the conversation, not a key of its own */
	if (add_extras(w, st))
		return -1;
	strbuf_addstr(&w->line, w->pretty ? "\n  }" : "}");
	return 0;
}

int lf_keys_add(struct lf_keys *f, const struct lf_keys *k, const char *path)
{
	int *flags[] = { &f->system, &f->history, &f->tools, &f->kto_tag, &f->tool_turns, &f->images,
			 &f->videos, &f->audios };
	const int *item[] = { &k->system, &k->history, &k->tools, &k->kto_tag, &k->tool_turns, &k->images,
			      &k->videos, &k->audios };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		*flags[i] |= *item[i];
	f->ranking += k->ranking;
	f->plain += k->plain;
	if (f->ranking && f->plain && (k->ranking ? f->ranking == 1 : f->plain == 1))
		return error("'%s' would hold both preference pairs (records with a rejected answer) and "
			     "ordinary records, and LLaMA-Factory reads a file as one or the other; export "
			     "them separately with --where \"rejected IS NULL\" and --where \"rejected IS NOT "
			     "NULL\"", path);
	return 0;
}

json_t *dataset_entry(enum export_format format, const char *file_name, const struct lf_keys *k)
{
	json_t *entry = json_pack("{s:s}", "file_name", file_name), *columns = json_object();
	int sharegpt = format == EXPORT_SHAREGPT;
	if (sharegpt) {
		json_object_set_new(entry, "formatting", json_string("sharegpt"));
		json_object_set_new(columns, "messages", json_string("conversations"));
	} else {
		json_object_set_new(columns, "prompt", json_string("instruction"));
		json_object_set_new(columns, "query", json_string("input"));
		if (!k->ranking)
			json_object_set_new(columns, "response", json_string("output"));
	}
	if (k->ranking) {
		json_object_set_new(entry, "ranking", json_true());
		json_object_set_new(columns, "chosen", json_string("chosen"));
		json_object_set_new(columns, "rejected", json_string("rejected"));
	}
	const char *const optional[] = { "system", "history", "tools", "kto_tag", "images", "videos", "audios" };
	const int present[] = { k->system, k->history && !sharegpt, k->tools, k->kto_tag, k->images,
				k->videos, k->audios };
	for (int i = 0; i < 7; i++)
		if (present[i])
			json_object_set_new(columns, optional[i], json_string(optional[i]));
	json_object_set_new(entry, "columns", columns);
	if (!sharegpt)
		return entry;
	json_t *tags = json_pack("{s:s, s:s, s:s, s:s}", "role_tag", "from", "content_tag", "value",
				 "user_tag", "human", "assistant_tag", "gpt");
	if (k->tool_turns) {
		json_object_set_new(tags, "observation_tag", json_string("observation"));
		json_object_set_new(tags, "function_tag", json_string("function_call"));
	}
	json_object_set_new(entry, "tags", tags);
	return entry;
}
