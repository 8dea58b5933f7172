#!/bin/bash
# clean.sh - how fast `winnow clean` is, and that its memory does not grow
# with the corpus.
#
#  1. in-process: bench/clean_bench streams N generated records through
#     cleaner_run (normalisation, PII masking and every filter) and times
#     only that, in thread CPU time, so the figure is MB/s of record text
#     per core even on a busy machine. Target: >= 30 MB/s/core.
#  2. memory: the same with N/10 records; peak RSS must not grow with N.
#  3. end to end: `winnow clean` on a corpus of the N records (SQLite reads,
#     updates and commits included), wall time and peak RSS.
# Each figure is the median of RUNS runs. Data goes to bench/out/ (ignored
# by git). CLEAN_BENCH_RECORDS and CLEAN_BENCH_RUNS change N and RUNS.
# Prints PASS/MISS for the speed and memory targets and exits 1 on a MISS;
# the load average at the start and the end says how busy the machine was.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/out"
WINNOW=${WINNOW:-$ROOT/winnow}
N=${CLEAN_BENCH_RECORDS:-1000000}
RUNS=${CLEAN_BENCH_RUNS:-3}
SMALL=$((N / 10))
mkdir -p "$OUT"
cd "$ROOT"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# time a private copy, so a rebuild during the run cannot change what is measured
cp -p "$WINNOW" "$OUT/winnow.clean.tmp" && mv "$OUT/winnow.clean.tmp" "$OUT/winnow.clean"
WINNOW=$OUT/winnow.clean

# the bench driver links against the objects `make` built
make -s $(ls lib/*.c db/*.c clean/*.c | sed 's|\(.*\)\.c|build/\1.o|') >/dev/null
objs=$(ls lib/*.c db/*.c clean/*.c | sed 's|\(.*\)\.c|build/\1.o|')
cc -O2 -g -std=c11 -Wall -Wextra -D_DEFAULT_SOURCE -o "$OUT/clean_bench" bench/clean_bench.c $objs \
	-lsqlite3 -ljansson -lcurl -lutf8proc -lpcre2-8 -lm

data="$OUT/clean_$N.jsonl"
small="$OUT/clean_$SMALL.jsonl"
[ -s "$data" ] || "$OUT/clean_bench" gen "$N" "$data"
[ -s "$small" ] || "$OUT/clean_bench" gen "$SMALL" "$small"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- 1 and 2: in-process ----
: >"$OUT/clean_inproc.txt"
for r in $(seq "$RUNS"); do
	"$OUT/clean_bench" run "$data" >>"$OUT/clean_inproc.txt"
done
: >"$OUT/clean_inproc_small.txt"
for r in $(seq "$RUNS"); do
	"$OUT/clean_bench" run "$small" >>"$OUT/clean_inproc_small.txt"
done
read -r records bytes _ _ rejected _ <"$OUT/clean_inproc.txt"
mbs=$(awk '{ printf "%.1f\n", $2 / $3 / 1e6 }' "$OUT/clean_inproc.txt" | median)
wall_mbs=$(awk '{ printf "%.1f\n", $2 / $4 / 1e6 }' "$OUT/clean_inproc.txt" | median)
rss=$(awk '{ print $6 }' "$OUT/clean_inproc.txt" | median)
rss_small=$(awk '{ print $6 }' "$OUT/clean_inproc_small.txt" | median)
echo "clean in-process: $records records, $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB of text, $rejected rejected"
echo "  speed        $mbs MB/s per core (CPU time, median of $RUNS; target >= 30), $wall_mbs MB/s wall"
echo "  peak RSS     $((rss / 1024)) MB with $N records, $((rss_small / 1024)) MB with $SMALL (must not grow)"
# memory independent of the corpus: ten times the records, at most 25% (+2 MB) more memory
speed_ok=$(awk -v m="$mbs" 'BEGIN { print (m >= 30) ? "PASS" : "MISS" }')
rss_ok=$(awk -v a="$rss" -v b="$rss_small" 'BEGIN { print (a <= 1.25 * b + 2048) ? "PASS" : "MISS" }')

# ---- 3: end to end through the corpus ----
raw="$OUT/clean_raw_$N.db"
if [ ! -s "$raw" ]; then
	rm -f "$raw" "$raw-wal" "$raw-shm"
	WINNOW_DB="$raw" "$WINNOW" import "$data" >/dev/null 2>&1
	WINNOW_DB="$raw" "$WINNOW" sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1 || true
fi
work="$OUT/clean_work.db"
: >"$OUT/clean_e2e.txt"
for r in $(seq "$RUNS"); do
	rm -f "$work" "$work-wal" "$work-shm"
	cp "$raw" "$work"
	/usr/bin/time -f "%e %M" -o "$OUT/clean_time.txt" env WINNOW_DB="$work" "$WINNOW" clean 2>"$OUT/clean_e2e.log"
	echo "$(cat "$OUT/clean_time.txt") $bytes" >>"$OUT/clean_e2e.txt"
done
secs=$(awk '{ print $1 }' "$OUT/clean_e2e.txt" | median)
e2e_rss=$(awk '{ print $2 }' "$OUT/clean_e2e.txt" | median)
echo "clean end to end (winnow clean, SQLite included): median $secs s for $N records" \
     "= $(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }') MB/s wall," \
     "peak RSS $((e2e_rss / 1024)) MB"
tail -1 "$OUT/clean_e2e.log"
rm -f "$work" "$work-wal" "$work-shm"

# the in-process targets are the ones the issue sets; fail loudly when missed
echo "clean speed  $speed_ok  $mbs MB/s per core (target >= 30)"
echo "clean memory $rss_ok  $((rss / 1024)) MB for $N records vs $((rss_small / 1024)) MB for $SMALL (target: flat)"
echo "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
[ "$speed_ok" = PASS ] && [ "$rss_ok" = PASS ]
