#!/bin/bash
# clean_quality.sh - does `winnow clean` keep good instruction data and catch
# the defects that matter? Runs bench/clean_quality.py (see its header: real
# Alpaca records in English and Chinese from /work/shared/data/sft, CC BY-NC
# 4.0, minus the defects labelled in bench/clean_quality_labels.tsv; defects
# injected into copies), prints the table and exits 1 on a missed target:
#   <= 0.5% of curated records rejected, no rule above 0.1%,
#   >= 95% of injected defects caught (mojibake: repaired), markup kept.
# The data is not in the repository: without $SFT_DATA (default
# /work/shared/data/sft) the benchmark says so and is skipped.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
data=${SFT_DATA:-/work/shared/data/sft}
if [ ! -s "$data/alpaca-bilingual-5k.json" ]; then
	echo "clean quality: no instruction data in '$data' (set SFT_DATA); skipped, not passed"
	exit 0
fi
python3 "$HERE/clean_quality.py" "$WINNOW" "$BENCH_OUT/clean_quality"
