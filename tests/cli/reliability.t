#!/bin/bash
# reliability.t - what cron-driven use needs: readers answer while a writer
# holds the corpus, runs of dead processes are marked 'killed', stale
# temporary files of killed exports are removed, and a second `clean` exits
# 75 instead of doing the first one's work again. Each check is named after
# the defect it guards against.
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/import"
HOST=$(hostname)

"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 4 "a corpus with four records"

# a process id that is certainly gone: a child that has exited and been reaped
dead_pid() { sh -c 'echo $$'; }

# hold_write_lock: a writer (python's sqlite3) holding the corpus's write
# lock until $T/release exists, or for 8 s at most; then it leaves
# $T/released. A reader that waits for the lock (the busy timeout is 10 s)
# therefore finishes only after $T/released appears.
hold_write_lock() {
	rm -f "$T/holding" "$T/release" "$T/released"
	python3 - "$WINNOW_DB" "$T/holding" "$T/release" "$T/released" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE sources SET name = name")
open(sys.argv[2], "w").close()
end = time.time() + 8
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.02)
c.execute("ROLLBACK")
open(sys.argv[4], "w").close()
EOF
	holder=$!
	while [ ! -e "$T/holding" ] && kill -0 $holder 2>/dev/null; do sleep 0.02; done
}
release_write_lock() {
	touch "$T/release"
	wait $holder
}

# ---- readers never wait for a writer ----
hold_write_lock
run sql "SELECT count(*) AS n FROM records"
[ ! -e "$T/released" ]
ok $? "sql answered while the writer still held the lock (regression: waited 10 s for the runs row)"
is "$rc" 0 "sql during a write: exit 0"
is "$out" "$(printf 'n\n4')" "sql during a write: the answer"
unlike "$err" "database is locked" "sql during a write: no 'database is locked'"
run stats
is "$rc" 0 "stats during a write: exit 0"
run export -o during.json
is "$rc" 0 "export during a write: exit 0"
[ ! -e "$T/released" ]
ok $? "stats and export answered while the writer still held the lock"
like "$(cat "$WINNOW_DB-runs")" '"command":"sql"' "the reader's run waits in the side file"
release_write_lock
"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
is "$(sql "SELECT group_concat(command || ':' || status, ' ') FROM runs WHERE command IN ('stats', 'export')")" \
	"stats:ok export:ok" "the next writer merged the side file into runs"
is "$(sql "SELECT count(*) FROM runs WHERE command = 'sql' AND args LIKE '%AS n FROM%'")" 1 \
	"the sql run is there once"
is "$(stat -c %s "$WINNOW_DB-runs")" 0 "and the side file is empty"
"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM runs WHERE command IN ('stats', 'export')")" 2 "merging again adds nothing twice"
run sql "SELECT 1"
is "$(sql "SELECT count(*) FROM runs WHERE command = 'sql' AND args LIKE '%SELECT 1%'")" 1 \
	"without a writer, a reader's run goes straight into runs"

# ---- search answers from the index plus a scan of what it does not cover ----
run search "Elm St" shop
is "$rc" 0 "a search with no writer brings the index up to date"
printf '{"instruction": "Describe the lighthouse keeper", "output": "She trims the lighthouse lamp."}\n' >fresh.jsonl
"$WINNOW" import fresh.jsonl >/dev/null 2>&1
"$WINNOW" sql --write "UPDATE records SET instruction = 'Condense the lighthouse note.' WHERE instruction LIKE 'Summarise%'" >/dev/null 2>&1
hold_write_lock
run search lighthouse
[ ! -e "$T/released" ]
ok $? "search answered while the writer still held the lock (regression: waited for its index update)"
is "$rc" 0 "search during a write: exit 0"
is "$(printf '%s\n' "$out" | cut -f1 | sort -n | tr '\n' ' ')" "2 5 " \
	"it finds a row changed since indexing and a row added since, neither in the index yet"
like "$err" "newest rows scanned" "and says the index was behind"
run search sentence
is "$out" "" "the changed row's old text is not found through the stale index"
release_write_lock
run search lighthouse
is "$(printf '%s\n' "$out" | cut -f1 | sort -n | tr '\n' ' ')" "2 5 " "after the writer, the index answers the same"
unlike "$err" "newest rows scanned" "from the index alone"

# ---- runs of dead processes are marked killed ----
gone=$(dead_pid)
"$WINNOW" sql --write "INSERT INTO runs (command, args, started_at, pid, host) VALUES
	('import', '[]', '2026-01-01T00:00:00Z', $gone, '$HOST'),
	('clean', '[]', '2026-01-01T00:00:00Z', $$, '$HOST'),
	('dedupe', '[]', '2026-01-01T00:00:00Z', $gone, 'another-machine')" >/dev/null 2>&1
"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
is "$(sql "SELECT status FROM runs WHERE command = 'import' AND pid = $gone")" killed \
	"a run whose process is gone is marked killed by the next run (regression: 'running' forever)"
like "$(sql "SELECT summary FROM runs WHERE command = 'import' AND pid = $gone")" "killed or crashed" \
	"with a summary saying so"
is "$(sql "SELECT status FROM runs WHERE command = 'clean' AND pid = $$")" running \
	"a run whose process is alive stays running"
is "$(sql "SELECT status FROM runs WHERE command = 'dedupe' AND host = 'another-machine'")" running \
	"a run on another machine is not judged from here"

# ---- export removes the temporaries of killed exports ----
gone=$(dead_pid)
echo partial >"out.json.tmp-$gone"
echo mine >"out.json.tmp-$$"
echo other >"other.json.tmp-$gone"
run export -o out.json
is "$rc" 0 "export with stale temporaries beside it"
[ ! -e "out.json.tmp-$gone" ]
ok $? "the temporary of a dead export is removed (regression: left forever, 123 MB)"
[ -e "out.json.tmp-$$" ]
ok $? "the temporary of a live process is kept"
[ -e "other.json.tmp-$gone" ]
ok $? "another file's temporaries are not touched"
like "$err" "removed 1 temporary file beside 'out.json' left by an export that was killed" "and says so"

# ---- one clean at a time ----
base=$(sql "SELECT stage, count(*) FROM records GROUP BY stage")
flock "$WINNOW_DB-clean.lock" -c "echo 4242 >'$WINNOW_DB-clean.lock'; touch '$T/locked'; while [ ! -e '$T/unlock' ]; do sleep 0.02; done" &
locker=$!
while [ ! -e "$T/locked" ]; do sleep 0.02; done
run clean
is "$rc" 75 "a second clean exits 75 (regression: both processed the same batches)"
like "$err" "another 'winnow clean' is running on this corpus (pid 4242)" "naming the one running"
is "$(sql "SELECT stage, count(*) FROM records GROUP BY stage")" "$base" "and changes nothing"
is "$(sql "SELECT status FROM runs WHERE command = 'clean' ORDER BY id DESC LIMIT 1")" try-later \
	"its run says try-later"
touch "$T/unlock"
wait $locker
run clean
is "$rc" 0 "once the first is gone, clean runs"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'raw'")" 0 "and cleans"

done_testing
