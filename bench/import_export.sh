#!/bin/bash
# import_export.sh - the foundation benchmark: import and export a million
# synthetic Alpaca records (mixed Chinese and English, 200-600 characters).
#
# Targets on the 2-core machine: import >= 50,000 records/s, export >=
# 200,000 records/s, peak RSS under 200 MB for each. Each step runs
# $BENCH_RUNS times (default 3); the table shows the median and the largest
# RSS. Exits 1 when a target is missed or a step fails or loses records.
#
#   make bench                                  # all benchmarks
#   WINNOW=./winnow bash bench/import_export.sh
#   BENCH_RECORDS=50000 bash bench/import_export.sh   # a quick look
#
# The generated files are cached in bench/out/ (git-ignored) and rebuilt when
# the count, the seed or bench/gen_records.py change.
. "$(dirname "$0")/lib.sh"

N=${BENCH_RECORDS:-1000000}
SEED=${BENCH_SEED:-1}
IMPORT_RATE=50000
EXPORT_RATE=200000
RSS_MB=200

json=$BENCH_OUT/records.json
jsonl=$BENCH_OUT/records.jsonl
stamp=$BENCH_OUT/records.stamp
# The corpus and export are per run (several people share this machine and
# may start the benchmark at once) and removed at the end: they are large.
db=$BENCH_OUT/bench.$$.db
out=$BENCH_OUT/export.$$/bench.json  # dataset_info.json goes beside it
trap 'rm -rf "$db" "$db-wal" "$db-shm" "${out%/*}" "$json.$$" "$jsonl.$$"' EXIT
want_stamp="$N $SEED $(md5sum <"$BENCH_DIR/gen_records.py" | cut -c1-32)"

die() { echo "import_export.sh: $*" >&2; exit 1; }

if [ ! -f "$json" ] || [ ! -f "$jsonl" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ]; then
	echo "generating $N records (seed $SEED) into $BENCH_OUT ..."
	rm -f "$stamp"
	start=$(date +%s.%N)
	python3 "$BENCH_DIR/gen_records.py" --count "$N" --seed "$SEED" \
		--alpaca "$json.$$" --jsonl "$jsonl.$$" || die "generating the records failed"
	mv "$json.$$" "$json" && mv "$jsonl.$$" "$jsonl" || die "cannot move the records into place"
	echo "$want_stamp" >"$stamp"
	awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "generated in %.1f s\n", e - s }'
fi
echo "input: $(du -h "$json" | cut -f1) Alpaca JSON, $(du -h "$jsonl" | cut -f1) JSON Lines"

count_records() {
	"$WINNOW" --db "$db" sql --format tsv "SELECT count(*) FROM records" 2>>"$BENCH_LOG" | tail -n 1
}

# Import checks that the corpus really holds every record afterwards, so a
# fast import that dropped data can never pass.
fresh="rm -f '$db' '$db-wal' '$db-shm'"
bench_measure "import JSON Lines" "$N" "$IMPORT_RATE" "$RSS_MB" --setup "$fresh" -- \
	"$WINNOW" --db "$db" import "$jsonl" --source bench
got=$(count_records)
[ "$got" = "$N" ] || die "JSON Lines import left $got records, expected $N"

bench_measure "import Alpaca JSON" "$N" "$IMPORT_RATE" "$RSS_MB" --setup "$fresh" -- \
	"$WINNOW" --db "$db" import "$json" --source bench
got=$(count_records)
[ "$got" = "$N" ] || die "Alpaca JSON import left $got records, expected $N"

bench_measure "export Alpaca JSON (raw)" "$N" "$EXPORT_RATE" "$RSS_MB" \
	--setup "rm -f '$out'" -- "$WINNOW" --db "$db" export -o "$out" --stage raw
got=$(grep -c '^{' "$out")
[ "$got" = "$N" ] || die "export wrote $got records, expected $N"

bench_report
