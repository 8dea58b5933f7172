#!/bin/bash
# extract.sh - main-text extraction quality and speed on real pages with
# gold text (/work/shared/data/extraction, see its README for the score).
#
# Quality: word-F1 per page (multiset of lower-cased \w+ words, CJK one
# character each), averaged by page type. Targets: mean >= 0.80 on the WCXB
# sample, >= 0.70 on its forum pages, >= 0.93 on the Scrapinghub set.
# Speed: `winnow extract --json` over all 474 pages (decompressed first),
# target >= 50 MB of HTML per second on one core (extraction is one thread).
#
#   make bench          # all benchmarks
#   WINNOW=./winnow bash bench/extract.sh
. "$(dirname "$0")/lib.sh"

DATA=${EXTRACTION_DATA:-/work/shared/data/extraction}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ ! -d "$DATA/wcxb-dev" ] || [ ! -d "$DATA/scrapinghub" ]; then
	echo "bench/extract.sh: no pages at $DATA (set EXTRACTION_DATA)" >&2
	exit 1
fi

# ---- quality ----
scores=$BENCH_OUT/extract_scores.txt
worst=$BENCH_OUT/extract_worst.txt
: >"$scores"
: >"$worst"
"$WINNOW" extract --json "$DATA"/wcxb-dev/html/*.html.gz 2>>"$BENCH_LOG" |
	"$PY" "$BENCH_DIR/crawl_extract_score.py" wcxb "$DATA" --worst 25 >>"$scores" 2>>"$worst" || exit 1
"$WINNOW" extract --json "$DATA"/scrapinghub/html/*.html.gz 2>>"$BENCH_LOG" |
	"$PY" "$BENCH_DIR/crawl_extract_score.py" scrapinghub "$DATA" --worst 10 >>"$scores" 2>>"$worst" || exit 1
quality_missed=0
echo
printf '%-12s %-14s %6s %8s %8s %s\n' set "page type" pages "mean F1" target result
while IFS=$'\t' read -r set type n f1; do
	target=-
	[ "$set/$type" = wcxb/ALL ] && target=0.80
	[ "$set/$type" = wcxb/forum ] && target=0.70
	[ "$set/$type" = scrapinghub/ALL ] && target=0.93
	result=
	if [ "$target" != - ]; then
		result=PASS
		awk -v f="$f1" -v t="$target" 'BEGIN { exit !(f < t) }' && { result=MISS; quality_missed=1; }
	fi
	printf '%-12s %-14s %6s %8s %8s %s\n' "$set" "$type" "$n" "$f1" "$target" "$result"
done <"$scores"
echo "(for reference, measured with the same score: readability-lxml 0.47 WCXB, 0.41 its forums, 0.91 Scrapinghub)"
echo "(the pages scoring worst, with precision and recall: $worst)"

# ---- speed ----
pages=$BENCH_OUT/extract_pages
if [ ! -f "$pages/.done" ]; then
	rm -rf "$pages" && mkdir -p "$pages"
	for f in "$DATA"/wcxb-dev/html/*.html.gz "$DATA"/scrapinghub/html/*.html.gz; do
		set_name=$(basename "$(dirname "$(dirname "$f")")")
		gzip -dc "$f" >"$pages/${set_name}_$(basename "$f" .gz)"
	done
	touch "$pages/.done"
fi
bytes=$(cat "$pages"/*.html | wc -c)
bench_measure "extract 474 pages (bytes)" "$bytes" $((50 * 1048576)) 200 \
	-- "$WINNOW" extract --json "$pages"/*.html
bench_report
speed=$?
[ "$quality_missed" = 0 ] && [ "$speed" = 0 ]
