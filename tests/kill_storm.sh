#!/bin/bash
# kill_storm.sh - kill -9 each long command at random moments, run it again
# until it finishes, and compare what it leaves with an uninterrupted run:
# the corpus digest (every record's text, stage, reason and duplicate link;
# every document), the exported files byte for byte, the trained adapter
# byte for byte. Prints TAP.
#
#   KILLS=3 bash tests/kill_storm.sh      # make test (tests/cli/kill_storm.t)
#   KILLS=20 bash tests/kill_storm.sh     # make bench (bench/kill_storm.sh)
#
# A kill lands at a random moment of the command's measured uninterrupted
# run time ($RANDOM, seeded by SEED so a failure can be replayed).
# Needs WINNOW, python3 and sqlite3; works in a temporary folder.
set -u
KILLS=${KILLS:-3}
SEED=${SEED:-$$}
RANDOM=$SEED
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES="$HERE/fixtures"
: "${WINNOW:=$HERE/../winnow}"
T=$(mktemp -d "${TMPDIR:-/tmp}/winnow-storm.XXXXXX")
SITE_PID=
trap '[ -n "$SITE_PID" ] && kill $SITE_PID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cd "$T" || exit 1
export WINNOW_PROGRESS=0
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

n=0 failed=0 killed_total=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); return 1; fi
}
echo "# kill storm: $KILLS kills per command, SEED=$SEED"

# What a command leaves in the corpus, independent of row ids and times.
digest() {
	sqlite3 -readonly "$1" "
		SELECT instruction, input, output, system, history, stage, coalesce(reason, ''),
		       (SELECT content_hash FROM records d WHERE d.id = r.duplicate_of), content_hash
		FROM records r ORDER BY content_hash, stage;
		SELECT url, title, text FROM documents ORDER BY url;
		SELECT count(*) FROM runs WHERE status = 'running';" | md5sum | cut -d' ' -f1
}

# seconds of an uninterrupted run of "$@" (a float), the run itself discarded by the caller
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# storm NAME SECONDS RUN-FN: KILLS times RUN in the background, killed at a
# random moment of SECONDS; then RUN to the end, which must exit 0. RUN
# execs winnow, so the kill reaches winnow and not a bash subshell around it.
storm() {
	local name=$1 secs=$2 run=$3 k pid wait
	for k in $(seq "$KILLS"); do
		wait=$(awk -v s="$secs" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * r / 32767 }')
		$run >/dev/null 2>&1 &
		pid=$!
		sleep "$wait"
		kill -9 $pid 2>/dev/null && killed_total=$((killed_total + 1))
		wait $pid 2>/dev/null
	done
	($run) >"$T/$name.out" 2>"$T/$name.err"
	ok $? "$name: the run after $KILLS kills finishes" || sed 's/^/#   /' "$T/$name.err" | tail -5
}

python3 "$HERE/../bench/gen_records.py" --count 20000 --seed 3 --jsonl records.jsonl >/dev/null
sed -n '1,2000p' records.jsonl >dups.jsonl	# a tenth imported again as exact duplicates

# ---- import (all or nothing) ----
export WINNOW_DB="$T/ref.db"
secs=$(timed "$WINNOW" import records.jsonl)
"$WINNOW" import dups.jsonl >/dev/null 2>&1
ref=$(digest ref.db)
export WINNOW_DB="$T/storm.db"
run_import() { exec "$WINNOW" import records.jsonl; }
storm import "$secs" run_import
"$WINNOW" import dups.jsonl >/dev/null 2>&1
is_digest=$(digest storm.db)
[ "$is_digest" = "$ref" ]; ok $? "import: the corpus equals an uninterrupted import's"
is_running=$(sqlite3 -readonly storm.db "SELECT count(*) FROM runs WHERE status = 'running'")
[ "$is_running" = 0 ]; ok $? "import: no run is left 'running' (killed ones are marked killed)"

# ---- clean (batches) and dedupe, each from the same imported corpus ----
cp ref.db base.db
export WINNOW_DB="$T/ref.db"
secs=$(timed "$WINNOW" clean)
ref_clean=$(digest ref.db)
secs_dedupe=$(timed "$WINNOW" dedupe)
ref_dedupe=$(digest ref.db)
rm -f storm.db*; cp base.db storm.db
export WINNOW_DB="$T/storm.db"
run_clean() { exec "$WINNOW" clean; }
storm clean "$secs" run_clean
[ "$(digest storm.db)" = "$ref_clean" ]; ok $? "clean: every record's stage and text equal an uninterrupted clean's"
run_dedupe() { exec "$WINNOW" dedupe; }
storm dedupe "$secs_dedupe" run_dedupe
[ "$(digest storm.db)" = "$ref_dedupe" ]; ok $? "dedupe: kept records and duplicate links equal an uninterrupted dedupe's"

# ---- export ----
export WINNOW_DB="$T/ref.db"
mkdir -p ref_out storm_out
secs=$(timed "$WINNOW" export -o ref_out/data.json --stage raw,clean,unique --split train=0.9,test=0.1)
export WINNOW_DB="$T/storm.db"
run_export() { exec "$WINNOW" export -o storm_out/data.json --stage raw,clean,unique --split train=0.9,test=0.1; }
storm export "$secs" run_export
diff -r ref_out storm_out >/dev/null; ok $? "export: the files equal an uninterrupted export's, byte for byte"
[ -z "$(ls storm_out | grep '\.tmp-')" ]; ok $? "export: no temporary file of a killed export is left"

# ---- crawl (resumable: each page committed) ----
: >site.log
python3 "$FIXTURES/crawl/server.py" site.port site.log --bench 150 &
SITE_PID=$!
for _ in $(seq 600); do [ -s site.port ] && break; sleep 0.05; done
SITE="http://127.0.0.1:$(cat site.port)"
export WINNOW_DB="$T/crawl_ref.db"
"$WINNOW" source add bench --url "$SITE/" --delay 0 --concurrency 4 >/dev/null 2>&1
secs=$(timed "$WINNOW" crawl)
ref_crawl=$(digest crawl_ref.db)
export WINNOW_DB="$T/crawl_storm.db"
"$WINNOW" source add bench --url "$SITE/" --delay 0 --concurrency 4 >/dev/null 2>&1
run_crawl() { exec "$WINNOW" crawl bench; }	# named: a killed run set last_crawl_at, so the site is not due
storm crawl "$secs" run_crawl
# a crawl stopped by a kill leaves the rest due; run until nothing is due
for _ in 1 2 3; do "$WINNOW" crawl bench >/dev/null 2>&1; done
[ "$(digest crawl_storm.db)" = "$ref_crawl" ]; ok $? "crawl: the documents equal an uninterrupted crawl's"
fetched_twice=$(sqlite3 -readonly crawl_storm.db "SELECT count(*) FROM pages WHERE status <> 'fetched'")
[ "$fetched_twice" = 0 ]; ok $? "crawl: every page ends fetched"

# ---- train --resume (checkpoints) ----
"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny >/dev/null 2>&1
python3 - <<'EOF'
import json
words = "apple banana cherry river mountain cloud stone light music winter".split()
json.dump([{"instruction": f"Join {words[i % 10]} and {words[(i * 3 + 1) % 10]}.", "input": "",
            "output": f"{words[i % 10]}-{words[(i * 3 + 1) % 10]}"} for i in range(40)], open("train.json", "w"))
EOF
common=(--base tiny --data train.json --epochs 2 --batch 4 --lr 1e-2 --seq 64 --save-steps 2 --max-steps 12 --dropout 0.1)
secs=$(timed "$WINNOW" train "${common[@]}" --out train_ref)
# with a checkpoint, resume from it; before the first one, start over
run_train() {
	if [ -s train_storm/checkpoint/trainer_state.json ]; then
		exec "$WINNOW" train "${common[@]}" --out train_storm --resume
	else
		exec "$WINNOW" train "${common[@]}" --out train_storm
	fi
}
storm train "$secs" run_train
cmp -s train_ref/adapter_model.safetensors train_storm/adapter_model.safetensors
ok $? "train --resume: the adapter equals an uninterrupted run's, byte for byte"

echo "# $killed_total processes killed in all"
echo "1..$n"
[ "$failed" = 0 ]
