/*
 * schema.c - the corpus schema: numbered migrations keyed on
 * PRAGMA user_version, and the user-facing documentation of every column
 * that `winnow schema` prints. A test checks that every column in a fresh
 * corpus is documented here, so the two cannot drift apart.
 */
#include "corpus.h"
#include "db_internal.h"
#include "../lib/options.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>

/* Migration N brings the corpus from user_version N-1 to N. Append only. */
static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE sources (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('site','file','task','llm')),\n"
	"  location TEXT,\n"
	"  rules TEXT NOT NULL DEFAULT '{}',\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE tasks (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE documents (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  source_id INTEGER REFERENCES sources(id),\n"
	"  page_id INTEGER,\n"
	"  url TEXT,\n"
	"  title TEXT NOT NULL DEFAULT '',\n"
	"  text TEXT NOT NULL,\n"
	"  content_hash INTEGER NOT NULL UNIQUE,\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE records (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  instruction TEXT NOT NULL,\n"
	"  input TEXT NOT NULL DEFAULT '',\n"
	"  output TEXT NOT NULL,\n"
	"  system TEXT NOT NULL DEFAULT '',\n"
	"  history TEXT NOT NULL DEFAULT '[]',\n"
	/* CHECKs written with OR, not IN: SQLite 3.40 builds a temporary
	 * table for an IN list on every row, which cost 40% of an import */
	"  stage TEXT NOT NULL DEFAULT 'raw' CHECK (stage = 'raw' OR stage = 'clean' OR\n"
	"    stage = 'unique' OR stage = 'approved' OR stage = 'rejected' OR stage = 'duplicate'),\n"
	"  origin TEXT NOT NULL CHECK (origin = 'import' OR origin = 'crawl' OR origin = 'generate'\n"
	"    OR origin = 'augment' OR origin = 'fix'),\n"
	"  source_id INTEGER REFERENCES sources(id),\n"
	"  task_id INTEGER REFERENCES tasks(id),\n"
	"  parent_id INTEGER REFERENCES records(id),\n"
	"  document_id INTEGER REFERENCES documents(id),\n"
	"  content_hash INTEGER NOT NULL UNIQUE,\n"
	"  quality REAL,\n"
	"  reason TEXT,\n"
	"  duplicate_of INTEGER REFERENCES records(id),\n"
	"  created_at TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX records_stage ON records(stage);\n"
	"CREATE INDEX records_source ON records(source_id);\n"
	"CREATE TABLE annotations (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  record_id INTEGER NOT NULL REFERENCES records(id),\n"
	"  author TEXT NOT NULL,\n"
	"  verdict TEXT NOT NULL,\n"
	"  scores TEXT,\n"
	"  tags TEXT NOT NULL DEFAULT '',\n"
	"  note TEXT NOT NULL DEFAULT '',\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX annotations_record ON annotations(record_id);\n"
	"CREATE TABLE runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  command TEXT NOT NULL,\n"
	"  args TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL,\n"
	"  ended_at TEXT,\n"
	"  seconds REAL,\n"
	"  exit_code INTEGER,\n"
	"  status TEXT NOT NULL DEFAULT 'running',\n"
	"  counts TEXT NOT NULL DEFAULT '{}',\n"
	"  summary TEXT\n"
	");\n"
	/* the stage machine, filled from stage.c and enforced by triggers */
	"CREATE TABLE stage_transitions (\n"
	"  from_stage TEXT NOT NULL,\n"
	"  to_stage TEXT NOT NULL,\n"
	"  PRIMARY KEY (from_stage, to_stage)\n"
	") WITHOUT ROWID;\n"
	"CREATE TRIGGER records_stage_update BEFORE UPDATE OF stage ON records\n"
	"WHEN new.stage <> old.stage AND NOT EXISTS (SELECT 1 FROM stage_transitions\n"
	"  WHERE from_stage = old.stage AND to_stage = new.stage) BEGIN\n"
	"  SELECT RAISE(ABORT, 'illegal record stage transition');\n"
	"END;\n"
	/*
	 * Full-text search. The FTS tables index the text of records and
	 * documents (external content, trigram tokenizer so Chinese substrings
	 * match). Indexing is lazy: fts_state says how far each index has
	 * got, and a row changed after it was indexed leaves its old text in
	 * fts_pending_* so search can remove it from the index later.
	 */
	"CREATE VIRTUAL TABLE records_fts USING fts5(instruction, input, output,\n"
	"  content='records', content_rowid='id', tokenize='trigram');\n"
	"CREATE VIRTUAL TABLE documents_fts USING fts5(title, text,\n"
	"  content='documents', content_rowid='id', tokenize='trigram');\n"
	"CREATE TABLE fts_state (name TEXT PRIMARY KEY, indexed_upto INTEGER NOT NULL);\n"
	"INSERT INTO fts_state VALUES ('records', 0), ('documents', 0);\n"
	"CREATE TABLE fts_pending_records (id INTEGER PRIMARY KEY,\n"
	"  instruction TEXT, input TEXT, output TEXT);\n"
	"CREATE TABLE fts_pending_documents (id INTEGER PRIMARY KEY, title TEXT, text TEXT);\n"
	"CREATE TRIGGER records_fts_update AFTER UPDATE OF instruction, input, output ON records\n"
	"WHEN old.id <= (SELECT indexed_upto FROM fts_state WHERE name = 'records') BEGIN\n"
	"  INSERT OR IGNORE INTO fts_pending_records VALUES\n"
	"    (old.id, old.instruction, old.input, old.output);\n"
	"END;\n"
	"CREATE TRIGGER records_fts_delete AFTER DELETE ON records\n"
	"WHEN old.id <= (SELECT indexed_upto FROM fts_state WHERE name = 'records') BEGIN\n"
	"  INSERT OR IGNORE INTO fts_pending_records VALUES\n"
	"    (old.id, old.instruction, old.input, old.output);\n"
	"END;\n"
	"CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, text ON documents\n"
	"WHEN old.id <= (SELECT indexed_upto FROM fts_state WHERE name = 'documents') BEGIN\n"
	"  INSERT OR IGNORE INTO fts_pending_documents VALUES (old.id, old.title, old.text);\n"
	"END;\n"
	"CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents\n"
	"WHEN old.id <= (SELECT indexed_upto FROM fts_state WHERE name = 'documents') BEGIN\n"
	"  INSERT OR IGNORE INTO fts_pending_documents VALUES (old.id, old.title, old.text);\n"
	"END;\n",
	/* 2: dedupe remembers what it hashed, so a nightly run only hashes new records */
	"CREATE TABLE dedupe_signatures (\n"
	"  record_id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,\n"
	"  exact_hash INTEGER NOT NULL,\n"
	"  prompt_hash INTEGER NOT NULL,\n"
	"  scheme INTEGER NOT NULL,\n"
	"  bands BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX records_duplicate_of ON records(duplicate_of) WHERE duplicate_of IS NOT NULL;\n",
	/* 3: clean records the main script of each record */
	"ALTER TABLE records ADD COLUMN lang TEXT NOT NULL DEFAULT '';\n",
	/* 4: LLM calls (log and cache), generation tasks' prompt and seeds, feedback */
	"CREATE TABLE llm_calls (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  cache_key INTEGER NOT NULL,\n"
	"  provider TEXT NOT NULL,\n"
	"  model TEXT NOT NULL,\n"
	"  task TEXT NOT NULL DEFAULT '',\n"
	"  sample INTEGER NOT NULL DEFAULT 0,\n"
	"  request TEXT NOT NULL,\n"
	"  response TEXT NOT NULL DEFAULT '',\n"
	"  status TEXT NOT NULL,\n"
	"  http_status INTEGER,\n"
	"  finish_reason TEXT NOT NULL DEFAULT '',\n"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,\n"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,\n"
	"  latency REAL,\n"
	"  run_id INTEGER,\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX llm_calls_cache ON llm_calls(cache_key);\n"
	"ALTER TABLE tasks ADD COLUMN prompt TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE tasks ADD COLUMN seeds TEXT NOT NULL DEFAULT '[]';\n"
	"ALTER TABLE tasks ADD COLUMN mode TEXT NOT NULL DEFAULT 'questions'\n"
	"  CHECK (mode IN ('questions','pairs','from-documents'));\n"
	"ALTER TABLE tasks ADD COLUMN system TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE tasks ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE TABLE feedback (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,\n"
	"  text TEXT NOT NULL,\n"
	"  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual','review')),\n"
	"  annotation_id INTEGER REFERENCES annotations(id),\n"
	"  created_at TEXT NOT NULL,\n"
	"  UNIQUE (task_id, text)\n"
	");\n"
	"ALTER TABLE records ADD COLUMN llm_call_id INTEGER REFERENCES llm_calls(id);\n",
	/* 5: the crawl frontier, the one-crawl-at-a-time lock, robots.txt cache */
	"CREATE TABLE pages (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,\n"
	"  url TEXT NOT NULL,\n"
	"  page_key TEXT NOT NULL,\n"
	"  final_url TEXT,\n"
	"  kind TEXT NOT NULL DEFAULT 'page' CHECK (kind IN ('page','sitemap')),\n"
	"  depth INTEGER NOT NULL DEFAULT 0,\n"
	"  status TEXT NOT NULL DEFAULT 'pending'\n"
	"    CHECK (status IN ('pending','fetched','failed','blocked')),\n"
	"  http_status INTEGER,\n"
	"  etag TEXT,\n"
	"  last_modified TEXT,\n"
	"  content_hash INTEGER,\n"
	"  document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,\n"
	"  records INTEGER NOT NULL DEFAULT 0,\n"
	"  tries INTEGER NOT NULL DEFAULT 0,\n"
	"  next_fetch_at INTEGER NOT NULL DEFAULT 0,\n"
	"  fetched_at TEXT,\n"
	"  last_error TEXT,\n"
	"  run_id INTEGER,\n"
	"  created_at TEXT NOT NULL,\n"
	"  UNIQUE (source_id, page_key)\n"
	");\n"
	"CREATE INDEX pages_due ON pages(source_id, next_fetch_at);\n"
	"CREATE TABLE crawl_lock (\n"
	"  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"  pid INTEGER NOT NULL,\n"
	"  host TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE robots_cache (\n"
	"  site TEXT PRIMARY KEY,\n"
	"  status INTEGER NOT NULL,\n"
	"  body TEXT NOT NULL,\n"
	"  fetched_at INTEGER NOT NULL\n"
	");\n"
	"ALTER TABLE documents ADD COLUMN lang TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE documents ADD COLUMN fetched_at TEXT;\n"
	"ALTER TABLE sources ADD COLUMN last_crawl_at INTEGER;\n",
	/* 6: the crawler follows redirects itself, as frontier pages, and counts the hops */
	"ALTER TABLE pages ADD COLUMN redirects INTEGER NOT NULL DEFAULT 0;\n",
	/* 7: feedback is a rule for questions or for answers; summarize's rules are told apart */
	"CREATE TABLE feedback_new (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,\n"
	"  text TEXT NOT NULL,\n"
	"  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual','review','summary')),\n"
	"  kind TEXT NOT NULL DEFAULT 'question' CHECK (kind IN ('question','answer')),\n"
	"  annotation_id INTEGER REFERENCES annotations(id),\n"
	"  created_at TEXT NOT NULL,\n"
	"  UNIQUE (task_id, kind, text)\n"
	");\n"
	"INSERT INTO feedback_new (id, task_id, text, origin, annotation_id, created_at) "
	"SELECT id, task_id, text, origin, annotation_id, created_at FROM feedback;\n"
	"DROP TABLE feedback;\n"
	"ALTER TABLE feedback_new RENAME TO feedback;\n",
	/* 8: runs know their process, so rows of killed runs can be told from running ones */
	"ALTER TABLE runs ADD COLUMN pid INTEGER;\n"
	"ALTER TABLE runs ADD COLUMN host TEXT;\n",
	/* 9: how far a crawled page's extracted text looks like its content (NULL: not crawled) */
	"ALTER TABLE documents ADD COLUMN confidence REAL;\n",
	/* 10: a page with more links than --max-links says how many were not followed */
	"ALTER TABLE pages ADD COLUMN links_dropped INTEGER NOT NULL DEFAULT 0;\n",
	/* 11: clean keeps a record's text from before it changed it */
	"CREATE TABLE record_originals (\n"
	"  record_id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,\n"
	"  instruction TEXT NOT NULL,\n"
	"  input TEXT NOT NULL,\n"
	"  output TEXT NOT NULL,\n"
	"  system TEXT NOT NULL,\n"
	"  history TEXT NOT NULL,\n"
	"  content_hash INTEGER NOT NULL,\n"
	"  changes TEXT NOT NULL,\n"
	"  changed_at TEXT NOT NULL\n"
	");\n",
	/* 12: what LLaMA-Factory's data formats carry besides the Alpaca fields */
	"ALTER TABLE records ADD COLUMN tools TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE records ADD COLUMN kto_tag INTEGER CHECK (kto_tag = 0 OR kto_tag = 1);\n"
	"ALTER TABLE records ADD COLUMN rejected TEXT;\n"
	"ALTER TABLE records ADD COLUMN media TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE records ADD COLUMN turn_roles TEXT NOT NULL DEFAULT '';\n",
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

int corpus_schema_version(void)
{
	return MIGRATION_COUNT;
}

int schema_migrate(sqlite3 *db, const char *path)
{
	int64_t version = corpus_int(db, "PRAGMA user_version");
	if (version < 0)
		return -1;
	if (version > MIGRATION_COUNT)
		return error("'%s' was written by a newer winnow (schema %lld, this build knows %d); "
			     "upgrade winnow", path, (long long)version, MIGRATION_COUNT);
	for (int v = (int)version; v < MIGRATION_COUNT; v++) {
		char set_version[64];
		snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", v + 1);
		if (corpus_exec(db, "BEGIN IMMEDIATE") ||
		    corpus_exec(db, migrations[v]) ||
		    corpus_exec(db, set_version) ||
		    corpus_exec(db, "COMMIT")) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return error("cannot migrate '%s' to schema %d", path, v + 1);
		}
	}
	return 0;
}

/* What each column means, for `winnow schema`. Internal tables are left out. */
static const struct column_doc {
	const char *table, *column, *doc;
} column_docs[] = {
	{ "sources", NULL, "named inputs: a site to crawl, an imported file, a generation task" },
	{ "sources", "id", "source id" },
	{ "sources", "name", "unique name used on the command line (--source NAME)" },
	{ "sources", "kind", "site, file, task or llm" },
	{ "sources", "location", "URL of the site or path/URL of the imported file" },
	{ "sources", "rules", "JSON: crawl rules and schedule for sites" },
	{ "sources", "created_at", "when the source was first seen (UTC, ISO 8601)" },
	{ "tasks", NULL, "generation tasks: what records of this kind should look like" },
	{ "tasks", "id", "task id" },
	{ "tasks", "name", "unique task name (--task NAME)" },
	{ "tasks", "description", "what the task's records are for" },
	{ "tasks", "created_at", "when the task was created" },
	{ "documents", NULL, "main text extracted from crawled pages, or imported plain text" },
	{ "documents", "id", "document id" },
	{ "documents", "source_id", "the source it came from (sources.id)" },
	{ "documents", "page_id", "the crawled page it was extracted from" },
	{ "documents", "url", "final URL of the page" },
	{ "documents", "title", "page title" },
	{ "documents", "text", "extracted main text" },
	{ "documents", "content_hash", "64-bit hash of title and text; equal text is stored once" },
	{ "documents", "created_at", "when it was stored" },
	{ "records", NULL, "Alpaca records and where each is in the pipeline" },
	{ "records", "id", "record id" },
	{ "records", "instruction", "the task or question (Alpaca 'instruction')" },
	{ "records", "input", "optional context for the instruction ('' when none)" },
	{ "records", "output", "the answer" },
	{ "records", "system", "optional system prompt ('' when none)" },
	{ "records", "history", "JSON list of earlier [question, answer] turns ('[]' when none)" },
	{ "records", "stage", "raw, clean, unique, approved, rejected or duplicate" },
	{ "records", "origin", "how it arrived: crawl, import, generate, augment or fix" },
	{ "records", "source_id", "the source it came from (sources.id)" },
	{ "records", "task_id", "the generation task it belongs to (tasks.id)" },
	{ "records", "parent_id", "the record this one was corrected or augmented from" },
	{ "records", "document_id", "the document it was extracted or generated from" },
	{ "records", "content_hash", "64-bit hash of all five text fields; re-imports are skipped by it" },
	{ "records", "quality", "quality score set by clean or judge (higher is better)" },
	{ "records", "reason", "why it was rejected or flagged (rule name or note)" },
	{ "records", "duplicate_of", "for duplicates: the record kept in its place" },
	{ "records", "created_at", "when it was added (UTC, ISO 8601)" },
	{ "records", "updated_at", "when its text or stage last changed" },
	{ "records", "lang", "main script of instruction+input (else output), set by clean: zh, en, other, "
	  "or '' (no letters, or not cleaned yet)" },
	{ "annotations", NULL, "who (person or llm:MODEL) said what about which record" },
	{ "annotations", "id", "annotation id" },
	{ "annotations", "record_id", "the record (records.id)" },
	{ "annotations", "author", "reviewer name or llm:MODEL" },
	{ "annotations", "verdict", "accept, reject, edit (a person corrected it into a new record) or "
	  "fix (the judge found it flawed: needs-fix)" },
	{ "annotations", "scores", "JSON object of rubric scores, when any" },
	{ "annotations", "tags", "comma-separated error tags" },
	{ "annotations", "note", "free-text note; rejection notes become task feedback" },
	{ "annotations", "created_at", "when it was made" },
	{ "pages", NULL, "the crawl frontier: every URL a site source knows, with its fetch state" },
	{ "pages", "id", "page id" },
	{ "pages", "source_id", "the site source it belongs to (sources.id)" },
	{ "pages", "url", "URL to fetch, canonical (lower-case host, no fragment, no default port)" },
	{ "pages", "page_key", "the URL without a leading www. in the host: one row per page of a site" },
	{ "pages", "final_url", "where the last fetch ended: its own URL, or the Location it redirected "
	  "to (the target is a page of its own)" },
	{ "pages", "redirects", "redirects that led here from a linked URL (at most 10 are followed)" },
	{ "pages", "links_dropped", "links of the page past crawl --max-links (default 5000), not followed" },
	{ "pages", "kind", "page, or sitemap (an XML sitemap or sitemap index)" },
	{ "pages", "depth", "links followed from a start URL or sitemap to reach it" },
	{ "pages", "status", "pending (not fetched yet, or waiting to retry), fetched, failed, "
	  "or blocked (robots.txt or the source's rules say no)" },
	{ "pages", "http_status", "HTTP status of the last response (304 = not modified)" },
	{ "pages", "etag", "ETag of the last response, sent back as If-None-Match" },
	{ "pages", "last_modified", "Last-Modified of the last response, sent back as If-Modified-Since" },
	{ "pages", "content_hash", "64-bit hash of the last body; an equal body is not extracted again" },
	{ "pages", "document_id", "the document extracted from it (documents.id)" },
	{ "pages", "records", "Q&A records the last extraction found on it (one already in the "
	  "corpus is not added twice)" },
	{ "pages", "tries", "failed attempts in a row (retries back off exponentially)" },
	{ "pages", "next_fetch_at", "when it is due again, unix seconds (recrawl, retry or Retry-After)" },
	{ "pages", "fetched_at", "when it was last fetched (UTC, ISO 8601)" },
	{ "pages", "last_error", "why the last attempt failed: http-404, timeout, too-large, ..." },
	{ "pages", "run_id", "the crawl run (runs.id) that last finished with it" },
	{ "pages", "created_at", "when it was discovered" },
	{ "crawl_lock", NULL, "the crawl running on this corpus, if any (one at a time)" },
	{ "crawl_lock", "id", "always 1" },
	{ "crawl_lock", "pid", "process id of the running crawl" },
	{ "crawl_lock", "host", "machine it runs on" },
	{ "crawl_lock", "started_at", "when it started (UTC, ISO 8601)" },
	{ "robots_cache", NULL, "robots.txt per site, kept 24 hours" },
	{ "robots_cache", "site", "host[:port] without www." },
	{ "robots_cache", "status", "HTTP status robots.txt answered with (0 = unreachable)" },
	{ "robots_cache", "body", "the robots.txt text" },
	{ "robots_cache", "fetched_at", "when it was fetched, unix seconds" },
	{ "documents", "lang", "language of the text: the page's lang attribute, else its main script "
	  "(en, zh, ja, ko, ru, ar), '' when unknown" },
	{ "documents", "fetched_at", "when the page was fetched (UTC, ISO 8601); NULL if not crawled" },
	{ "documents", "confidence", "0..1: how far the extracted text looks like the page's content; "
	  "0.3 or less for listings, login pages and empty JavaScript shells, lower for short or "
	  "mostly-linked text (NULL for imported text). Find bad pages with "
	  "SELECT url FROM documents WHERE confidence < 0.5" },
	{ "sources", "last_crawl_at", "when a crawl of this site last started, unix seconds" },
	{ "runs", NULL, "one row per command run: read it to see what cron did overnight" },
	{ "runs", "id", "run id" },
	{ "runs", "command", "the winnow command (import, crawl, ...)" },
	{ "runs", "args", "JSON list of the arguments as typed" },
	{ "runs", "started_at", "start time (UTC, ISO 8601)" },
	{ "runs", "ended_at", "end time; NULL while running or if it was killed" },
	{ "runs", "seconds", "wall-clock duration" },
	{ "runs", "exit_code", "0 ok, 1 failure, 2 usage, 65 bad input, 75 try again later" },
	{ "runs", "status", "running, ok, failed, usage, bad-input, try-later, or killed (its process "
			    "ended without finishing; set by the next run)" },
	{ "runs", "counts", "JSON object of what the run did (records added, skipped, ...)" },
	{ "runs", "summary", "the one-line summary the command printed" },
	{ "runs", "pid", "process id of the command" },
	{ "runs", "host", "machine it ran on" },
	{ "stage_transitions", NULL, "the legal record stage moves (enforced by a trigger)" },
	{ "stage_transitions", "from_stage", "stage a record may leave" },
	{ "stage_transitions", "to_stage", "stage it may move to" },
	{ "record_originals", NULL, "a record's text before clean changed it (normalised, repaired, masked): "
	  "the first original is kept, so a change can be seen and undone" },
	{ "record_originals", "record_id", "the record (records.id)" },
	{ "record_originals", "instruction", "instruction before clean" },
	{ "record_originals", "input", "input before clean" },
	{ "record_originals", "output", "output before clean" },
	{ "record_originals", "system", "system prompt before clean" },
	{ "record_originals", "history", "history before clean" },
	{ "record_originals", "content_hash", "records.content_hash before clean" },
	{ "record_originals", "changes", "what clean changed, comma-separated: mojibake, markup, characters, "
	  "unicode, whitespace, pii" },
	{ "record_originals", "changed_at", "when clean changed it (UTC, ISO 8601)" },
	{ "dedupe_signatures", NULL, "what dedupe remembers about each kept record, so later runs hash only new ones" },
	{ "dedupe_signatures", "record_id", "the record (records.id), kept as unique or approved" },
	{ "dedupe_signatures", "exact_hash", "64-bit hash of instruction+input+output after case, width, space and "
	  "punctuation folding; equal means exact duplicate" },
	{ "dedupe_signatures", "prompt_hash", "the same hash of instruction+input only; equal with a different "
	  "output is a conflict" },
	{ "dedupe_signatures", "scheme", "id of the shingle/MinHash/LSH settings (changes with --threshold); "
	  "rows of another scheme are recomputed" },
	{ "dedupe_signatures", "bands", "LSH band keys of the record's MinHash signature, 32-bit little-endian each" },
	{ "records", "llm_call_id", "for generated and augmented records: the LLM call they came from (llm_calls.id)" },
	{ "records", "tools", "JSON text of the tool (function) definitions the conversation may call "
	  "(LLaMA-Factory 'tools'; '' when none)" },
	{ "records", "kto_tag", "KTO label of the answer: 1 desirable, 0 undesirable, NULL unlabelled "
	  "(LLaMA-Factory 'kto_tag')" },
	{ "records", "rejected", "preference pairs: the rejected answer, output being the chosen one; "
	  "NULL for ordinary records (LLaMA-Factory ranking 'chosen'/'rejected')" },
	{ "records", "media", "JSON object of path lists {\"images\": [...], \"videos\": [...], "
	  "\"audios\": [...]} whose <image>/<video>/<audio> placeholders are in the text; '' when none" },
	{ "records", "turn_roles", "one letter per turn (history, then instruction, then output) when a "
	  "turn is a tool call: u user, a assistant, f function_call, o observation; '' for plain "
	  "user/assistant turns" },
	{ "tasks", "prompt", "the instruction prompt each generation request starts with" },
	{ "tasks", "seeds", "JSON list of the hand-written seed examples ({instruction, input, output})" },
	{ "tasks", "mode", "what generate produces: questions, pairs or from-documents" },
	{ "tasks", "system", "system prompt used by `winnow answer` ('' for none)" },
	{ "tasks", "rounds", "generate runs completed; the first run stops at 20 records for review" },
	{ "feedback", NULL, "mistakes found in review, fed back as rules into a task's next prompts" },
	{ "feedback", "id", "feedback id" },
	{ "feedback", "task_id", "the task it applies to (tasks.id)" },
	{ "feedback", "text", "the rule, as written: what to avoid" },
	{ "feedback", "origin", "manual (winnow feedback add), review (a rejection note) or summary "
	  "(winnow feedback summarize --apply)" },
	{ "feedback", "kind", "question (a rule for generate) or answer (a rule for answer and fix)" },
	{ "feedback", "annotation_id", "for review feedback: the annotation it came from" },
	{ "feedback", "created_at", "when it was added" },
	{ "llm_calls", NULL, "every LLM request and its answer: the cost log and the cache" },
	{ "llm_calls", "id", "call id" },
	{ "llm_calls", "cache_key", "64-bit hash of endpoint, model, request and sample; equal requests are "
	  "answered from here" },
	{ "llm_calls", "provider", "platform preset (zhipu, deepseek, ...) or custom" },
	{ "llm_calls", "model", "model name sent" },
	{ "llm_calls", "task", "what the call was for: generate:TASK, answer:TASK, augment:METHOD, ask" },
	{ "llm_calls", "sample", "k-th answer to the same request (n > 1 is sent as separate calls)" },
	{ "llm_calls", "request", "the request body as JSON (never the API key)" },
	{ "llm_calls", "response", "the answer text, or the error body for failed calls" },
	{ "llm_calls", "status", "ok, truncated (finish_reason length), retry (429/5xx/timeout, retried), "
	  "failed, or fatal (bad key, no balance, refused)" },
	{ "llm_calls", "http_status", "HTTP status of the answer (0 when none arrived)" },
	{ "llm_calls", "finish_reason", "stop, length, content_filter, ... as the platform said" },
	{ "llm_calls", "tokens_in", "prompt tokens the platform reported" },
	{ "llm_calls", "tokens_out", "completion tokens the platform reported" },
	{ "llm_calls", "latency", "seconds from sending the request to the end of the answer" },
	{ "llm_calls", "run_id", "the run that made the call (runs.id)" },
	{ "llm_calls", "created_at", "when the call ended (UTC, ISO 8601)" },
};

/* Tables that hold machinery, not data users query. */
static int internal_table(const char *name)
{
	return !strncmp(name, "fts_", 4) || strstr(name, "_fts") || !strncmp(name, "sqlite_", 7);
}

const char *schema_column_doc(const char *table, const char *column)
{
	for (size_t i = 0; i < sizeof(column_docs) / sizeof(column_docs[0]); i++) {
		const struct column_doc *d = &column_docs[i];
		if (!strcmp(d->table, table) &&
		    (column ? d->column && !strcmp(d->column, column) : !d->column))
			return d->doc;
	}
	return NULL;
}

int schema_undocumented(sqlite3 *db, struct strbuf *out)
{
	sqlite3_stmt *st = corpus_prepare(db,
		"SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p "
		"WHERE m.type = 'table' ORDER BY m.name, p.cid");
	int n = 0;
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *c = (const char *)sqlite3_column_text(st, 1);
		if (internal_table(t))
			continue;
		if (!schema_column_doc(t, NULL) || !schema_column_doc(t, c)) {
			strbuf_addf(out, "%s.%s ", t, c);
			n++;
		}
	}
	sqlite3_finalize(st);
	return n;
}

static const struct command_help schema_help = {
	"winnow schema [TABLE...]",
	"Print the corpus tables and what each column means.",
	"The corpus is a SQLite file; query it with `winnow sql` or any SQLite tool.\n"
	"Internal tables (full-text indexes and their bookkeeping) are not shown.",
	"  winnow schema\n  winnow schema records runs",
};

int cmd_schema(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	sqlite3 *db;
	sqlite3_stmt *tables, *cols;
	argc = parse_options(argc, argv, opts, &schema_help);
	if (argc < 0)
		return options_exit_code(argc);
	db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!db)
		return EXIT_FAILURE_;
	tables = corpus_prepare(db, "SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid");
	cols = corpus_prepare(db, "SELECT name, type, pk FROM pragma_table_info(?)");
	if (!tables || !cols)
		return EXIT_FAILURE_;
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tables, 0);
		int wanted = argc == 0;
		for (int i = 0; i < argc; i++)
			wanted |= !strcmp(argv[i], t);
		if (!wanted || internal_table(t))
			continue;
		const char *doc = schema_column_doc(t, NULL);
		printf("%s%s%s\n", t, doc ? " -- " : "", doc ? doc : "");
		sqlite3_bind_text(cols, 1, t, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(cols) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(cols, 0);
			const char *type = (const char *)sqlite3_column_text(cols, 1);
			const char *cdoc = schema_column_doc(t, c);
			printf("  %-14s %-8s %s\n", c, type, cdoc ? cdoc : "");
		}
		sqlite3_reset(cols);
		putchar('\n');
	}
	sqlite3_finalize(tables);
	sqlite3_finalize(cols);
	corpus_close(db);
	return EXIT_OK;
}

static const struct command_help init_help = {
	"winnow init",
	"Create the corpus file, or migrate an existing one to this version.",
	"Other commands migrate automatically; init is for creating an empty corpus\n"
	"on purpose (and for seeing which schema version it has).",
	"  winnow init\n  winnow --db /data/forum.db init",
};

int cmd_init(int argc, char **argv)
{
	struct option opts[] = { OPT_END() };
	struct run run;
	sqlite3 *db;
	argc = parse_options(argc, argv, opts, &init_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc > 0)
		return usage_error(&init_help, "init takes no arguments");
	db = corpus_open(corpus_path(), CORPUS_CREATE);
	if (!db)
		return EXIT_FAILURE_;
	run_begin(&run, db, "init");
	int rc = run_end(&run, EXIT_OK, "corpus '%s' is at schema version %d",
			 corpus_path(), corpus_schema_version());
	corpus_close(db);
	return rc;
}
