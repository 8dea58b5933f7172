/*
 * record.c - adding records: the content hash that makes imports
 * idempotent, a prepared inserter for bulk loads, and sources by name.
 */
#include "corpus.h"
#include "../lib/util.h"

#include <string.h>

int64_t record_hash(const struct record *r)
{
	return record_hash_extra(r, NULL);
}

int64_t record_hash_extra(const struct record *r, const struct record_extra *x)
{
	/* Each field's hash is chained into the next with its length, so
	 * moving text between fields always changes the result. */
	uint64_t h = 0x5749e44f57ULL;
	h = hash64(r->instruction, r->instruction_len, h ^ r->instruction_len);
	h = hash64(r->input, r->input_len, h ^ r->input_len);
	h = hash64(r->output, r->output_len, h ^ r->output_len);
	h = hash64(r->system, r->system_len, h ^ r->system_len);
	if (r->history_len != 2 || memcmp(r->history, "[]", 2))
		h = hash64(r->history, r->history_len, h ^ r->history_len);
	if (!x)
		return (int64_t)h;
	/* the other fields only when present, so plain records keep their hashes */
	const char *extra[] = { x->tools, x->media, x->turn_roles, x->rejected };
	size_t extra_len[] = { x->tools_len, x->media_len, x->turn_roles_len, x->rejected_len };
	for (int i = 0; i < 4; i++)
		if (extra_len[i] || (i == 3 && x->rejected))
			h = hash64(extra[i], extra_len[i], h ^ (extra_len[i] + 0x100000000ULL * (uint64_t)(i + 1)));
	if (x->kto)
		h = hash64(&x->kto, sizeof(x->kto), h ^ 0x6b746fULL);
	return (int64_t)h;
}

int64_t document_hash(const char *title, size_t title_len, const char *text, size_t text_len)
{
	return (int64_t)(hash64(title, title_len, 0x77696e6e6f77ULL) ^ hash64(text, text_len, 0x646f63ULL));
}

int record_inserter_init(struct record_inserter *ins, sqlite3 *db)
{
	ins->db = db;
	now_iso(ins->now, sizeof(ins->now));
	ins->insert = corpus_prepare(db,
		"INSERT OR IGNORE INTO records (instruction, input, output, system, history, "
		"origin, source_id, task_id, parent_id, content_hash, created_at, updated_at, "
		"tools, kto_tag, rejected, media, turn_roles) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14, ?15, ?16)");
	return ins->insert ? 0 : -1;
}

void record_inserter_release(struct record_inserter *ins)
{
	sqlite3_finalize(ins->insert);
	ins->insert = NULL;
}

static void bind_id(sqlite3_stmt *st, int col, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(st, col, id);
	else
		sqlite3_bind_null(st, col);
}

int64_t record_insert(struct record_inserter *ins, const struct record *r, const char *origin,
		      int64_t source_id, int64_t task_id, int64_t parent_id)
{
	return record_insert_hashed(ins, r, record_hash(r), origin, source_id, task_id, parent_id);
}

int64_t record_insert_hashed(struct record_inserter *ins, const struct record *r, int64_t hash,
			     const char *origin, int64_t source_id, int64_t task_id, int64_t parent_id)
{
	return record_insert_extra(ins, r, NULL, hash, origin, source_id, task_id, parent_id);
}

int64_t record_insert_extra(struct record_inserter *ins, const struct record *r,
			    const struct record_extra *x, int64_t hash, const char *origin,
			    int64_t source_id, int64_t task_id, int64_t parent_id)
{
	static const struct record_extra none;
	sqlite3_stmt *st = ins->insert;
	int rc;
	sqlite3_bind_text(st, 1, r->instruction, (int)r->instruction_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->input, (int)r->input_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->output, (int)r->output_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->system, (int)r->system_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->history, (int)r->history_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, origin, -1, SQLITE_STATIC);
	bind_id(st, 7, source_id);
	bind_id(st, 8, task_id);
	bind_id(st, 9, parent_id);
	sqlite3_bind_int64(st, 10, hash);
	sqlite3_bind_text(st, 11, ins->now, -1, SQLITE_STATIC);
	if (!x)
		x = &none;
	sqlite3_bind_text(st, 12, x->tools ? x->tools : "", (int)x->tools_len, SQLITE_STATIC);
	if (x->kto)
		sqlite3_bind_int(st, 13, x->kto == KTO_GOOD);
	else
		sqlite3_bind_null(st, 13);
	if (x->rejected)
		sqlite3_bind_text(st, 14, x->rejected, (int)x->rejected_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 14);
	sqlite3_bind_text(st, 15, x->media ? x->media : "", (int)x->media_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, x->turn_roles ? x->turn_roles : "", (int)x->turn_roles_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return error("corpus: cannot add record: %s", sqlite3_errmsg(ins->db));
	return sqlite3_changes(ins->db) ? sqlite3_last_insert_rowid(ins->db) : 0;
}

int64_t source_ensure(sqlite3 *db, const char *name, const char *kind, const char *location)
{
	char now[32];
	int64_t id = -1;
	sqlite3_stmt *st = corpus_prepare(db,
		"INSERT INTO sources (name, kind, location, created_at) VALUES (?, ?, ?, ?) "
		"ON CONFLICT (name) DO UPDATE SET location = coalesce(excluded.location, location) "
		"RETURNING id");
	if (!st)
		return -1;
	now_iso(now, sizeof(now));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		error("corpus: cannot record source '%s': %s", name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return id;
}
