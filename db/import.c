/*
 * import.c - `winnow import`: Alpaca JSON, JSON Lines, ShareGPT / OpenAI
 * messages and CSV/TSV files or URLs into records at stage raw.
 *
 * The whole import is one transaction: a bad item (without --skip-bad)
 * rolls everything back, so the corpus is exactly as before. Items are read
 * one at a time (lib/json.c, csv.c), so memory does not grow with the file.
 * Records already present (same content hash) are counted, not added.
 *
 * Parsing and inserting each take about half the time of an import, so they
 * run on two threads: a reader thread parses items (import_items.c) into
 * batches, and the main thread inserts them and reports bad items, in file
 * order. Three batches circulate between them, so memory stays bounded.
 */
#define _GNU_SOURCE
#include "import.h"
#include "../lib/http.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the reader thread and its batches ---- */

#define BATCH_ITEMS 512
#define BATCH_BYTES (4 << 20)
#define BATCHES 3

/* what a batch item keeps: the five fields, then the record's other columns */
enum { K_TOOLS = FIELD_COUNT, K_MEDIA, K_ROLES, K_REJECTED, KEPT };

struct batch_item {
	enum item_result kind;
	int64_t hash;		/* the record's content hash, computed by the reader */
	/* ITEM_RECORD: the fields; ITEM_DOCUMENT: the text in [F_OUTPUT];
	 * ITEM_BAD/FATAL: [0] where, [1] message */
	size_t off[KEPT], len[KEPT];
	int kto, has_rejected;
};

struct batch {
	size_t n;
	struct batch_item items[BATCH_ITEMS];
	struct strbuf text;	/* the text the items point into */
	uint64_t bytes;		/* input consumed once this batch was read */
	int last;		/* the reader stops after this batch */
};

struct pipeline {
	struct importer *im;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch batches[BATCHES];
	int full[BATCHES];	/* filled by the reader, not yet drained */
	int stop;		/* the main thread wants no more */
};

static void keep(struct batch *b, struct batch_item *it, int k, const char *s, size_t n)
{
	it->off[k] = b->text.len;
	it->len[k] = n;
	if (n)	/* absent extra fields are NULL */
		strbuf_add(&b->text, s, n);
}

static void *reader_thread(void *arg)
{
	struct pipeline *p = arg;
	struct importer *im = p->im;
	pthread_setname_np(pthread_self(), "winnow-reader");
	for (int k = 0;; k = (k + 1) % BATCHES) {
		struct batch *b = &p->batches[k];
		pthread_mutex_lock(&p->lock);
		while (p->full[k] && !p->stop)
			pthread_cond_wait(&p->changed, &p->lock);
		int stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return NULL;

		b->n = 0;
		b->last = 0;
		strbuf_reset(&b->text);
		while (b->n < BATCH_ITEMS && b->text.len < BATCH_BYTES) {
			struct record r;
			struct batch_item *it = &b->items[b->n];
			enum item_result got = items_next(im, &r);
			if (got == ITEM_END) {
				b->last = 1;
				break;
			}
			it->kind = got;
			b->n++;
			if (got == ITEM_RECORD) {
				keep(b, it, F_INSTRUCTION, r.instruction, r.instruction_len);
				keep(b, it, F_INPUT, r.input, r.input_len);
				keep(b, it, F_OUTPUT, r.output, r.output_len);
				keep(b, it, F_SYSTEM, r.system, r.system_len);
				keep(b, it, F_HISTORY, r.history, r.history_len);
				const struct record_extra *x = &im->extra;
				keep(b, it, K_TOOLS, x->tools, x->tools_len);
				keep(b, it, K_MEDIA, x->media, x->media_len);
				keep(b, it, K_ROLES, x->turn_roles, x->turn_roles_len);
				keep(b, it, K_REJECTED, x->rejected, x->rejected_len);
				it->kto = x->kto;
				it->has_rejected = x->rejected != NULL;
				it->hash = record_hash_extra(&r, x);
				continue;
			}
			if (got == ITEM_DOCUMENT) {
				keep(b, it, F_OUTPUT, r.output, r.output_len);
				it->hash = document_hash("", 0, r.output, r.output_len);
				continue;
			}
			keep(b, it, 0, im->where.buf, got == ITEM_BAD ? im->where.len : 0);
			keep(b, it, 1, im->err.buf, im->err.len);
			if (got == ITEM_FATAL) {
				b->last = 1;
				break;
			}
		}
		b->bytes = im->bytes;
		pthread_mutex_lock(&p->lock);
		p->full[k] = 1;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		if (b->last)
			return NULL;
	}
}

/* Reports a bad item: returns 0 to go on (--skip-bad) or -1 to stop. */
static int bad_item(struct importer *im, const char *where, const char *msg)
{
	im->bad++;
	if (!im->skip_bad) {
		error("%s: %s", where, msg);
		fprintf(stderr, "hint: fix the item, or use --skip-bad to import the rest without it; "
			"nothing was imported\n");
		return -1;
	}
	if (im->bad <= 5)
		warning("skipped %s: %s", where, msg);
	else if (im->bad == 6)
		warning("more bad items skipped; the summary counts them");
	return 0;
}

static int add_record(struct importer *im, const struct record *r, const struct record_extra *x,
		      int64_t hash)
{
	int64_t id = record_insert_extra(&im->ins, r, x, hash, "import", im->source_id, 0, 0);
	if (id < 0)
		return -1;
	if (id)
		im->added++;
	else
		im->present++;
	return 0;
}

/* A pre-training text item: into documents, where `train --text` reads. */
static int add_document(struct importer *im, const char *text, size_t len, int64_t hash)
{
	sqlite3_stmt *st = im->doc_insert;
	sqlite3_bind_int64(st, 1, im->source_id);
	sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, hash);
	sqlite3_bind_text(st, 4, im->ins.now, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return error("corpus: cannot add document: %s", sqlite3_errmsg(im->db));
	if (sqlite3_changes(im->db))
		im->docs_added++;
	else
		im->docs_present++;
	return 0;
}

/* Inserts one batch; returns 0 to go on, -1 to stop the import as failed. */
static int drain(struct importer *im, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct batch_item *it = &b->items[i];
		const char *t = b->text.buf;
		if (it->kind == ITEM_FATAL) {
			im->bad++;
			return error("%s: %.*s", im->name, (int)it->len[1], t + it->off[1]);
		}
		im->read++;
		if (it->kind == ITEM_BAD) {
			char *where = xstrndup(t + it->off[0], it->len[0]);
			char *msg = xstrndup(t + it->off[1], it->len[1]);
			int stop = bad_item(im, where, msg);
			free(where);
			free(msg);
			if (stop)
				return -1;
			continue;
		}
		if (it->kind == ITEM_DOCUMENT) {
			if (add_document(im, t + it->off[F_OUTPUT], it->len[F_OUTPUT], it->hash))
				return -1;
			continue;
		}
		struct record r = {
			t + it->off[F_INSTRUCTION], t + it->off[F_INPUT], t + it->off[F_OUTPUT],
			t + it->off[F_SYSTEM], t + it->off[F_HISTORY],
			it->len[F_INSTRUCTION], it->len[F_INPUT], it->len[F_OUTPUT],
			it->len[F_SYSTEM], it->len[F_HISTORY],
		};
		struct record_extra x = {
			t + it->off[K_TOOLS], it->has_rejected ? t + it->off[K_REJECTED] : NULL,
			t + it->off[K_MEDIA], t + it->off[K_ROLES],
			it->len[K_TOOLS], it->len[K_REJECTED], it->len[K_MEDIA], it->len[K_ROLES], it->kto,
		};
		if (add_record(im, &r, &x, it->hash))
			return -1;
	}
	progress_update(&im->progress, b->bytes);
	return 0;
}

/* Runs the opened import through the two threads; returns 0, or -1 if it failed. */
static int import_items(struct importer *im)
{
	struct pipeline p;
	int rc = 0;
	memset(&p, 0, sizeof(p));
	p.im = im;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	for (int k = 0; k < BATCHES; k++)
		strbuf_init(&p.batches[k].text, 1 << 16);
	if (pthread_create(&p.thread, NULL, reader_thread, &p))
		die("cannot start the import reader thread");
	for (int k = 0;; k = (k + 1) % BATCHES) {
		struct batch *b = &p.batches[k];
		pthread_mutex_lock(&p.lock);
		while (!p.full[k])
			pthread_cond_wait(&p.changed, &p.lock);
		pthread_mutex_unlock(&p.lock);
		rc = drain(im, b);
		int last = b->last;
		pthread_mutex_lock(&p.lock);
		p.full[k] = 0;
		if (rc)
			p.stop = 1;
		pthread_cond_broadcast(&p.changed);
		pthread_mutex_unlock(&p.lock);
		if (rc || last)
			break;
	}
	pthread_join(p.thread, NULL);
	for (int k = 0; k < BATCHES; k++)
		strbuf_release(&p.batches[k].text);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.changed);
	return rc;
}

/* ---- the command ---- */

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
	if (!n && is_http_url(path)) {
		/* "https://host/" has no file name: use the host */
		const char *host = strstr(path, "://") + 3;
		return xstrndup(host, strcspn(host, "/?:"));
	}
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
	"            user/assistant pair instruction/output; function_call/observation\n"
	"            (OpenAI: tool, tool_calls) turns keep their roles (turn_roles)\n"
	"  csv, tsv  a header row; columns instruction, input, output, system, history (JSON)\n"
	"Every LLaMA-Factory data format is kept whole: tools, kto_tag, preference pairs\n"
	"(chosen/rejected: output is the chosen answer, the column rejected the other),\n"
	"images/videos/audios path lists (placeholders stay in the text), text parts\n"
	"{type, text|value}; items that are only {\"text\": ...} are pre-training text and\n"
	"go to documents (for train --text). `winnow schema` describes the columns.\n"
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

struct import_opts {
	const char *format, *source, *path;
	struct string_list maps;
	int skip_bad;
};

#define IMPORTER_BUFFERS 11

/* The importer's buffers, set up and released in one place. */
static void importer_buffers(struct importer *im, struct strbuf *all[IMPORTER_BUFFERS])
{
	struct strbuf *list[IMPORTER_BUFFERS] = {
		&im->history, &im->err, &im->where, &im->turn_user, &im->turn_assistant, &im->turn_system,
		&im->turn_rejected, &im->tools, &im->media, &im->roles, &im->flat.arena
	};
	memcpy(all, list, sizeof(list));
}

static void importer_release(struct importer *im)
{
	struct strbuf *all[IMPORTER_BUFFERS];
	importer_buffers(im, all);
	for (size_t i = 0; i < IMPORTER_BUFFERS; i++)
		strbuf_release(all[i]);
	for (int f = 0; f < FIELD_COUNT; f++)
		free(im->map[f]);
}

/*
 * Fetches a URL to a temporary file (*tmp, removed by the caller). Returns
 * 0, or the exit code after saying why.
 */
static int fetch_input(struct importer *im, struct command *cmd, char **tmp, struct strbuf *content_type)
{
	const char *dir = getenv("TMPDIR");
	*tmp = xstrfmt("%s/winnow-import-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(*tmp);
	if (fd < 0) {
		error("cannot create a temporary file in '%s': %s", dir ? dir : "/tmp", strerror(errno));
		return run_end(&cmd->run, EXIT_FAILURE_, "download failed");
	}
	close(fd);
	enum http_result hr = http_download(im->name, *tmp, &http_download_limits, content_type, "download");
	if (hr != HTTP_OK)
		return run_end(&cmd->run, hr == HTTP_TEMPORARY ? EXIT_TEMPFAIL : EXIT_FAILURE_,
			       "could not download '%s'", im->name);
	return 0;
}

/* Reads path (a local copy of im->name) into the open write transaction; 0 or -1. */
static int import_file(struct importer *im, const char *path, const char *content_type)
{
	struct stat st;
	const char *format = im->format;
	const char *kind = format && !strcmp(format, "csv") ? "csv"
			 : format && !strcmp(format, "tsv") ? "tsv"
			 : format ? "json" : detect_kind(im->name, content_type);
	int failed;
	im->doc_insert = corpus_prepare(im->db,
		"INSERT INTO documents (source_id, title, text, content_hash, created_at) "
		"VALUES (?1, '', ?2, ?3, ?4) ON CONFLICT (content_hash) DO NOTHING");
	if (!im->doc_insert || record_inserter_init(&im->ins, im->db)) {
		sqlite3_finalize(im->doc_insert);
		return -1;
	}
	progress_start(&im->progress, "import", strcmp(path, "-") && !stat(path, &st) ? (uint64_t)st.st_size : 0,
		       "bytes");
	if (!strcmp(kind, "csv") || !strcmp(kind, "tsv"))
		failed = items_open_csv(im, path, kind[0] == 't' ? '\t' : ',');
	else
		failed = items_open_json(im, path, format && !strcmp(format, "jsonl") ? JSON_LAYOUT_LINES
										  : JSON_LAYOUT_AUTO);
	if (!failed)
		failed = import_items(im);
	items_close(im);
	progress_finish(&im->progress);
	record_inserter_release(&im->ins);
	sqlite3_finalize(im->doc_insert);
	return failed ? -1 : 0;
}

/* Commits or rolls back and says what happened; returns the exit code. */
static int import_finish(struct importer *im, struct command *cmd, int failed)
{
	struct run *run = &cmd->run;
	run_count(run, "read", im->read);
	run_count(run, "added", failed ? 0 : im->added);	/* a failed import rolls back */
	run_count(run, "already_present", im->present);
	run_count(run, "bad", im->bad);
	if (im->docs_added || im->docs_present)
		run_count(run, "documents_added", failed ? 0 : im->docs_added);
	if (failed) {
		sqlite3_exec(im->db, "ROLLBACK", NULL, NULL, NULL);
		return run_end(run, im->bad ? EXIT_DATAERR : EXIT_FAILURE_,
			       "nothing imported from '%s'; the corpus is unchanged", im->name);
	}
	if (corpus_exec(im->db, "COMMIT")) {
		sqlite3_exec(im->db, "ROLLBACK", NULL, NULL, NULL);
		return run_end(run, EXIT_FAILURE_, "could not commit the import");
	}
	char skipped[64] = "", docs[96] = "";
	if (im->bad)
		snprintf(skipped, sizeof(skipped), ", %ld bad one%s skipped", im->bad, im->bad == 1 ? "" : "s");
	if (im->docs_added || im->docs_present)
		snprintf(docs, sizeof(docs), "; %ld pre-training text%s added to documents, %ld already there",
			 im->docs_added, im->docs_added == 1 ? "" : "s", im->docs_present);
	return run_end(run, EXIT_OK, "%ld record%s read from '%s': %ld added, %ld already present%s%s",
		       im->read, im->read == 1 ? "" : "s", im->name, im->added, im->present, skipped, docs);
}

static int import_run(struct import_opts *o, struct importer *im)
{
	struct command cmd;
	char *tmp = NULL, *source_name = NULL;
	struct strbuf content_type = STRBUF_INIT;
	const char *path = o->path;
	struct stat st;
	int rc;

	if ((rc = command_begin(&cmd, "import", COMMAND_CREATE)))
		return rc;
	im->db = cmd.db;
	if (is_http_url(path)) {
		if ((rc = fetch_input(im, &cmd, &tmp, &content_type)))
			goto out;
		path = tmp;
	} else if (strcmp(path, "-") && stat(path, &st)) {
		error("cannot read '%s': %s", path, strerror(errno));
		rc = run_end(&cmd.run, EXIT_FAILURE_, "nothing imported");
		goto out;
	} else if (strcmp(path, "-") && S_ISDIR(st.st_mode)) {
		error("'%s' is a directory; import takes one file at a time, e.g. "
		      "for f in '%s'/*.jsonl; do winnow import \"$f\"; done", path, path);
		rc = run_end(&cmd.run, EXIT_FAILURE_, "nothing imported");
		goto out;
	}
	source_name = o->source ? xstrdup(o->source) : default_source_name(im->name);
	if (corpus_begin_write(im->db)) {
		rc = run_end(&cmd.run, EXIT_TEMPFAIL, "corpus busy");
		goto out;
	}
	im->source_id = source_ensure(im->db, source_name, "file", im->name);
	if (im->source_id < 0) {
		sqlite3_exec(im->db, "ROLLBACK", NULL, NULL, NULL);
		rc = run_end(&cmd.run, EXIT_FAILURE_, "nothing imported");
		goto out;
	}
	rc = import_finish(im, &cmd, import_file(im, path, content_type.buf));
out:
	strbuf_release(&content_type);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(source_name);
	corpus_close(cmd.db);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	struct import_opts o = { .maps = STRING_LIST_INIT };
	struct option opts[] = {
		OPT_CHOICE('f', "format", &o.format, "alpaca|jsonl|sharegpt|csv|tsv",
			   "input format (default: detect from the name and content)"),
		OPT_STRING('s', "source", &o.source, "NAME", "source name (default: the file name)"),
		OPT_LIST('m', "map", &o.maps, "FIELD=KEY,...",
			 "which key or column holds each field, e.g. instruction=question,output=answer"),
		OPT_FLAG(0, "skip-bad", &o.skip_bad, "skip bad items and report them instead of stopping"),
		OPT_END(),
	};
	struct importer im;
	struct strbuf *bufs[IMPORTER_BUFFERS];
	int rc;

	argc = parse_options(argc, argv, opts, &import_help);
	memset(&im, 0, sizeof(im));
	importer_buffers(&im, bufs);
	for (size_t i = 0; i < IMPORTER_BUFFERS; i++)
		strbuf_init(bufs[i], 0);
	if (argc < 0)
		rc = options_exit_code(argc);
	else if (argc != 1)
		rc = usage_error(&import_help, argc ? "import takes one FILE or URL at a time"
						    : "say which FILE or URL to import");
	else if (parse_map(&im, &o.maps, &import_help))
		rc = EXIT_USAGE;
	else {
		im.name = o.path = argv[0];
		im.format = o.format;
		im.skip_bad = o.skip_bad;
		rc = import_run(&o, &im);
	}
	importer_release(&im);
	string_list_clear(&o.maps);
	return rc;
}
