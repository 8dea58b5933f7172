# lib.sh - shared helpers for bench/*.sh: measure a command N times against
# a rate and a memory target, then print one table with PASS/MISS per row.
#
#   . "$(dirname "$0")/lib.sh"
#   bench_measure "import alpaca JSON" 1000000 50000 200 \
#       --setup "rm -f $BENCH_OUT/c.db*" -- "$WINNOW" --db "$BENCH_OUT/c.db" import f.json
#   bench_report          # prints the table; returns 1 if any row missed
#
# bench_measure LABEL ITEMS MIN_RATE MAX_RSS_MB [measure.py options] -- CMD...
#   runs CMD $BENCH_RUNS times (default 3) through bench/measure.py, and
#   records the median wall and CPU seconds, ITEMS / median as the rate (the
#   target applies to the wall-clock rate) and the largest peak RSS.
#   MIN_RATE or MAX_RSS_MB may be "-" for no target. Returns 1
#   (and records a FAIL row) when the command itself fails. The command's
#   output goes to $BENCH_LOG.
#
# $WINNOW is the binary (make bench sets it); lib.sh measures a private copy
# of it ($BENCH_OUT/winnow.SCRIPT), so a rebuild during a long benchmark cannot
# change or break what is being timed. $BENCH_OUT (bench/out, git-ignored)
# holds generated data. Timings on a shared machine are noisy: the report
# prints the load average at the start and the end so readers can judge.

# `make bench` runs every bench/*.sh, this file included: run on its own it
# has nothing to measure.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "bench/lib.sh: helpers for the other bench/*.sh scripts; nothing to run on its own"
	exit 0
fi

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WINNOW:=$(cd "$BENCH_DIR/.." && pwd)/winnow}"
: "${BENCH_RUNS:=3}"
: "${BENCH_OUT:=$BENCH_DIR/out}"
: "${BENCH_LOG:=$BENCH_OUT/$(basename "$0" .sh).log}"
export WINNOW_PROGRESS=0
mkdir -p "$BENCH_OUT"
: >"$BENCH_LOG"
_bench_bin=$BENCH_OUT/winnow.$(basename "$0" .sh)
if ! cp -p "$WINNOW" "$_bench_bin.tmp" || ! mv "$_bench_bin.tmp" "$_bench_bin"; then
	echo "bench: cannot copy the winnow binary '$WINNOW'; run 'make' first" >&2
	exit 1
fi
WINNOW=$_bench_bin
echo "benchmarking $WINNOW (a copy; built $(date -r "$WINNOW" '+%F %T'))"

_bench_rows=()
_bench_missed=0
_bench_load_start=$(cut -d' ' -f1-3 /proc/loadavg)

_bench_fmt='%-26s %8s %9s %10s %9s %10s %9s %8s %7s  %s'

bench_measure() {
	local label=$1 items=$2 min_rate=$3 max_rss=$4 line median cpu rss runs rate cpu_rate result
	shift 4
	if ! line=$(python3 "$BENCH_DIR/measure.py" -n "$BENCH_RUNS" --log "$BENCH_LOG" "$@"); then
		_bench_rows+=("$(printf "$_bench_fmt" "$label" "$items" - - - - - - - FAIL)")
		_bench_missed=1
		echo "bench: '$label' failed; see $BENCH_LOG" >&2
		tail -5 "$BENCH_LOG" >&2
		return 1
	fi
	median=$(sed -n 's/.*median_s=\([^ ]*\).*/\1/p' <<<"$line")
	cpu=$(sed -n 's/.*median_cpu_s=\([^ ]*\).*/\1/p' <<<"$line")
	rss=$(sed -n 's/.*max_rss_mb=\([^ ]*\).*/\1/p' <<<"$line")
	runs=$(sed -n 's/.*runs=\([^ ]*\).*/\1/p' <<<"$line")
	rate=$(awk -v n="$items" -v s="$median" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	cpu_rate=$(awk -v n="$items" -v s="$cpu" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	result=PASS
	if [ "$min_rate" != - ] && [ "$rate" -lt "$min_rate" ]; then result=MISS; fi
	if [ "$max_rss" != - ] && awk -v r="$rss" -v m="$max_rss" 'BEGIN { exit !(r >= m) }'; then
		result=MISS
	fi
	[ "$result" = PASS ] || _bench_missed=1
	_bench_rows+=("$(printf "$_bench_fmt  (wall s: %s)" "$label" "$items" "$median" "$rate" \
		"$cpu" "$cpu_rate" ">=$min_rate" "$rss" "<$max_rss" "$result" "${runs//,/ }")")
}

bench_report() {
	echo
	printf "$_bench_fmt\n" benchmark items "median s" "items/s" "cpu s" "items/cpu-s" \
		target "RSS MB" limit result
	local row
	for row in "${_bench_rows[@]}"; do
		echo "$row"
	done
	echo "(median of $BENCH_RUNS runs; the target applies to items/s (wall clock); items/cpu-s is"
	echo " user+system CPU time, closer to an idle machine's figure when others share it."
	echo " $(nproc) cores; load average at start $_bench_load_start, at end" \
		"$(cut -d' ' -f1-3 /proc/loadavg); log: $BENCH_LOG)"
	return "$_bench_missed"
}
