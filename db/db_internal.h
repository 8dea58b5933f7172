/*
 * db_internal.h - what the files of db/ share among themselves and nobody
 * else uses.
 */
#ifndef WINNOW_DB_INTERNAL_H
#define WINNOW_DB_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>

#include "../lib/strbuf.h"

/* schema.c */
int schema_migrate(sqlite3 *db, const char *path);
const char *schema_column_doc(const char *table, const char *column);
/* Lists undocumented user-visible columns into out; returns how many. */
int schema_undocumented(sqlite3 *db, struct strbuf *out);

/* runs.c: run_end with a va_list (command_end shares it). Returns exit_code. */
struct run;
int run_vend(struct run *run, int exit_code, const char *summary_fmt, va_list ap);

/* stage.c: makes the stage_transitions table equal to the C table. */
int stage_sync_table(sqlite3 *db);

#endif
