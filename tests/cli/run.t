#!/bin/bash
# run.t - `winnow run` end to end on the crawl fixture site: crawl, clean,
# dedupe, export in one command with one summary line and one runs row
# holding every step's counts; a second run adds nothing; a failing step
# stops the run with its code; a second run at the same time exits 75;
# a killed run is carried on by the next one.
. "$(dirname "$0")/lib.sh"
. "$FIXTURES/crawl/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

run run --export out.json
is "$rc" 0 "run on an empty corpus succeeds"
like "$err" "run: clean, dedupe, export done (no LLM configured: judge and fix skipped); corpus: no records" \
	"without sites there is no crawl step"
run run --format jsonl
is "$rc" 2 "--format without --export is a usage error"

start_site
run source add fx --url "$SITE/" --delay 100 \
	--qa "//h1[@class='question-title']" "//div[contains(@class,'answer ')]" \
	--qa-input "//div[@class='question-body']"
run import "$FIXTURES/annotate/records.jsonl"

run run --export out/alpaca.json --crawl-timeout 1
is "$rc" 0 "the pipeline succeeds"
is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "a good run prints one line"
like "$err" "run: crawl, clean, dedupe, export done" "naming the steps"
like "$err" "corpus: 4 unique" "and the corpus afterwards"
is "$(sql "SELECT count(*) FROM records WHERE origin = 'crawl' AND stage = 'unique'")" 1 \
	"the crawled Q&A page became a unique record"
is "$("$PY" -c '
import json
rows = json.load(open("out/alpaca.json", encoding="utf-8"))
print(len(rows), sorted(rows[i]["instruction"] for i in range(len(rows)))[0])')" \
	"4 $(sql "SELECT instruction FROM records ORDER BY instruction LIMIT 1")" "the export holds every unique record"
[ -s out/dataset_info.json ]; ok $? "export wrote dataset_info.json"
last_run="SELECT max(id) FROM runs WHERE command = 'run'"
is "$(sql "SELECT status FROM runs WHERE id = ($last_run)")" ok "the run's runs row says ok"
is "$("$PY" -c '
import json, sys
c = json.loads(sys.argv[1])
print(sorted(c), c["crawl"]["records"], c["clean"]["clean"], c["dedupe"]["unique"], c["export"]["exported"])' \
	"$(sql "SELECT counts FROM runs WHERE id = ($last_run)")")" \
	"['clean', 'crawl', 'dedupe', 'export'] 1 4 4 4" "its counts hold every step's counts"
is "$(sql "SELECT group_concat(command, ' ') FROM runs WHERE id > ($last_run) AND command <> 'sql'")" \
	"crawl clean dedupe export" "each step is the ordinary command with its own runs row"

fetched=$(wc -l <"$SITE_LOG")
run run --export out/alpaca.json --crawl-timeout 1
is "$rc" 0 "running again succeeds"
is "$(wc -l <"$SITE_LOG")" "$fetched" "nothing is fetched before the site is due again"
is "$(sql "SELECT count(*) FROM records")" 4 "and nothing is added"
like "$err" "corpus: 4 unique" "the corpus is as it was"

# a failing step stops the run with its code and shows its messages
run run --no-crawl --export /proc/no/such/dir/out.json
is "$rc" 1 "a failing export fails the run"
like "$err" "export:" "the failing step's own messages are shown"
like "$err" "step 'export' failed (exit 1) after clean, dedupe" "the summary names the step"
is "$(sql "SELECT status FROM runs WHERE command = 'run' ORDER BY id DESC LIMIT 1")" failed "the runs row says failed"

# one run at a time
flock -o "$WINNOW_DB.run-lock" sleep 5 &
lock_pid=$!
sleep 0.3
run run --no-crawl
is "$rc" 75 "a second run at the same time exits 75"
like "$err" "another 'winnow run'" "and says why"
kill $lock_pid 2>/dev/null; wait $lock_pid 2>/dev/null

# killed in the middle of a crawl, carried on by the next run
run source add slow --url "$SITE/slow"
"$WINNOW" run --crawl-timeout 10 2>"$T/kill.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
is "$?" 143 "a run killed by SIGTERM exits 128+15"
like "$(sql "SELECT summary FROM runs WHERE command = 'run' ORDER BY id DESC LIMIT 1")" "stopped by signal 15" \
	"its runs row says it was stopped"
run run --no-crawl
is "$rc" 0 "the next run carries on"
is "$(sql "SELECT count(*) FROM records WHERE stage IN ('raw', 'clean')")" 0 "and leaves nothing half done"
done_testing
