#!/bin/bash
# run.sh - `make demo`: winnow's whole job on built-in sample data, offline.
#
# Makes a fresh corpus in demo/out/ (removed and recreated on every run),
# imports demo/seed.json (hand-written Alpaca examples, some deliberately
# flawed), looks inside with stats / search / sql, runs clean and dedupe when
# this build has them, exports Alpaca JSON + dataset_info.json with a
# train/test split, and makes a tiny model and scores it on the test split
# when model and eval exist. Stages whose commands are not in `winnow help`
# yet are announced in one line and skipped, so the demo runs what exists.
#
#   make demo                      # the usual way ($WINNOW is set by make)
#   WINNOW=./winnow bash demo/run.sh
#   DEMO_OUT=/tmp/d bash demo/run.sh   # somewhere else (tests/cli/demo.t)
#
# Exits non-zero as soon as a winnow command fails.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
: "${WINNOW:=$ROOT/winnow}"
OUT=${DEMO_OUT:-$HERE/out}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
case "$WINNOW" in /*) ;; */*) WINNOW=$PWD/$WINNOW ;; esac
# The demo runs from the repository root and names paths inside it relative
# to it, so what winnow prints is what a user would type.
cd "$ROOT" || exit 1
case "$OUT" in "$ROOT"/*) OUT=${OUT#"$ROOT"/} ;; esac
SEED=demo/seed.json
export WINNOW_DB=$OUT/demo.db
ERRORS=$(mktemp "${TMPDIR:-/tmp}/winnow-demo.XXXXXX")
trap 'rm -f "$ERRORS"' EXIT
START=$(date +%s)

if ! command -v "$WINNOW" >/dev/null; then
	echo "demo: no winnow binary at '$WINNOW'; run 'make' first (or 'make demo')" >&2
	exit 1
fi

if [ -t 1 ]; then
	BOLD=$(printf '\033[1m') DIM=$(printf '\033[2m') RESET=$(printf '\033[0m')
else
	BOLD= DIM= RESET=
fi

STEP=0
section() {
	STEP=$((STEP + 1))
	printf '\n%s== %d. %s ==%s\n' "$BOLD" "$STEP" "$1" "$RESET"
}

# Paths as a user would type them from the repository root.
show_path() {
	case "$1" in
	"$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# winnow ARGS...: prints the command as the user would type it, then runs it.
# On a terminal its stderr (summaries, progress bars) goes straight there;
# otherwise it follows the command's output, so a log reads in order. Stops
# the demo when the command fails.
winnow() {
	local shown=() a
	for a in "$@"; do
		case "$a" in
		*[[:space:]\'\"\;\*\<\>]*) shown+=("\"$a\"") ;;
		*) shown+=("$(show_path "$a")") ;;
		esac
	done
	printf '%s$ winnow %s%s\n' "$DIM" "${shown[*]}" "$RESET"
	local rc
	if [ -t 1 ]; then
		"$WINNOW" "$@"
		rc=$?
	else
		"$WINNOW" "$@" 2>"$ERRORS"
		rc=$?
		cat "$ERRORS"
	fi
	if [ "$rc" != 0 ]; then
		echo "demo: 'winnow $*' failed (exit $rc); the corpus is left in $(show_path "$OUT") for a look" >&2
		exit "$rc"
	fi
}

# One number from the corpus (no header, no run summary).
count() {
	"$WINNOW" sql --format tsv "$1" 2>/dev/null | tail -n 1
}

has_command() {
	"$WINNOW" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF { print $1 }' | grep -qx "$1"
}

plural() { # plural N SINGULAR PLURAL
	if [ "$1" = 1 ]; then printf '1 %s' "$2"; else printf '%s %s' "$1" "$3"; fi
}

not_yet() {
	printf '%s(%s)%s\n' "$DIM" "$1" "$RESET"
}

printf '%swinnow demo%s: build a small fine-tuning dataset from built-in sample data.\n' "$BOLD" "$RESET"
printf 'Everything happens in %s; nothing is downloaded.\n' "$(show_path "$OUT")/"

section "A fresh corpus"
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1
winnow init
echo "The corpus is one SQLite file: $(show_path "$WINNOW_DB")."

section "Crawl the sample Q&A forum"
if has_command crawl; then
	not_yet "winnow crawl exists, but the demo's sample forum is not bundled yet; skipping"
else
	not_yet "crawling is not in this build yet; skipping"
fi

section "Import the hand-written seed examples"
seed_items=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1], encoding="utf-8"))))' "$SEED")
echo "$(show_path "$SEED") holds $seed_items Alpaca examples: everyday questions, how-tos, a few with"
echo "input, one with a system prompt, one with history, and some deliberately bad ones."
winnow import "$SEED" --source seed
imported=$(count "SELECT count(*) FROM records")
skipped=$((seed_items - imported))
echo "$imported records stored: $(plural "$skipped" "exact copy" "exact copies") of earlier examples recognised and skipped."

section "What is in the corpus"
winnow stats
echo
echo "Full-text search finds Chinese substrings:"
winnow search 季度会发财 --format table
echo
echo "And the corpus is plain SQL. The shortest answers (often the weakest records):"
winnow sql --format table "SELECT id, length(output) AS chars, substr(instruction, 1, 24) AS instruction FROM records ORDER BY length(output), id LIMIT 5"

cleaned=no  # winnow: by winnow clean; hand: marked clean with SQL; no
deduped=no
section "Clean: normalise, filter, mask personal data"
if has_command clean; then
	winnow clean
	echo
	echo "Rejected, with the reason:"
	winnow sql --format table "SELECT id, reason, substr(instruction, 1, 24) AS instruction FROM records WHERE stage = 'rejected' ORDER BY id"
	echo
	echo "Personal data is masked in the records that stay:"
	winnow sql --format table "SELECT id, substr(instruction, 1, 40) AS instruction FROM records WHERE stage = 'clean' AND instruction || output LIKE '%<%>%' ORDER BY id"
	cleaned=winnow
elif has_command dedupe; then
	not_yet "winnow clean is not in this build yet"
	echo "A stand-in so that dedupe has work: mark every raw record clean by hand (nothing is filtered):"
	winnow sql --write "UPDATE records SET stage = 'clean' WHERE stage = 'raw'"
	cleaned=hand
else
	not_yet "winnow clean is not in this build yet; skipping"
fi

section "Dedupe: exact and near duplicates"
if has_command dedupe && [ "$cleaned" != no ]; then
	winnow dedupe
	echo
	echo "Duplicates, with the record kept instead:"
	winnow sql --format table "SELECT id, duplicate_of AS kept, reason, substr(instruction, 1, 24) AS instruction FROM records WHERE stage = 'duplicate' ORDER BY id"
	deduped=yes
else
	not_yet "winnow dedupe is not in this build yet; skipping"
fi

section "Grow and review the data with an LLM"
if has_command generate || has_command judge || has_command fix; then
	if [ -n "${WINNOW_LLM_PROVIDER:-}" ]; then
		not_yet "WINNOW_LLM_PROVIDER is set, but this demo does not run generate, judge and fix yet; see 'winnow help generate'"
	else
		not_yet "generate, judge and fix need an LLM: set WINNOW_LLM_PROVIDER (e.g. zhipu with ZHIPUAI_API_KEY, or ollama); see 'winnow help generate'"
	fi
elif has_command llm; then
	not_yet "generate, judge and fix are not in this build yet; 'winnow llm ask' already talks to a platform, e.g. ZHIPUAI_API_KEY=... winnow llm ask --provider zhipu 你好"
else
	not_yet "generate, judge and fix are not in this build yet; skipping"
fi

section "Export Alpaca JSON for LLaMA-Factory, split into train and test"
if [ "$deduped" = yes ]; then
	stage_opt=()
	exported="unique"
	echo "Exporting the unique records (the default: stages unique and approved)."
elif [ "$cleaned" != no ]; then
	stage_opt=(--stage clean)
	exported="clean"
	echo "Dedupe has not run, so the demo exports the cleaned records (--stage clean)."
else
	stage_opt=(--stage raw)
	exported="raw"
	echo "Nothing is cleaned yet, so the demo exports the raw records (--stage raw)."
fi
winnow export -o "$OUT/export/demo.json" --split train=0.8,test=0.2 --seed 7 "${stage_opt[@]}"
echo
(cd "$OUT/export" && ls -l)
echo
echo "The first training example:"
sed -n '2s/,$//p' "$OUT/export/demo_train.json"
echo
echo "dataset_info.json tells LLaMA-Factory the files' names and columns:"
head -12 "$OUT/export/dataset_info.json"
echo "  ..."

section "A tiny model to fine-tune"
if has_command model; then
	echo "A small random Llama-family model with a byte-level tokenizer (nothing to download):"
	winnow model init --preset small --byte-tokenizer --out "$OUT/model"
	(cd "$OUT/model" && ls -l)
	if has_command eval; then
		echo
		echo "Its loss on the test split before any training (a random model scores about ln(vocabulary)):"
		winnow eval --base "$OUT/model" --data "$OUT/export/demo_test.json"
	fi
fi
if has_command train; then
	not_yet "winnow train exists, but the demo does not train yet; skipping"
else
	not_yet "winnow train is not in this build yet, so no fine-tuning or chat; skipping"
fi

section "Summary"
rejected=$(count "SELECT count(*) FROM records WHERE stage = 'rejected'")
duplicates=$(plural "$(count "SELECT count(*) FROM records WHERE stage = 'duplicate'")" duplicate duplicates)
case "$cleaned" in
winnow) cleaning="clean rejected $rejected" ;;
hand) cleaning="clean is not in this build yet (records were marked clean by hand)" ;;
*) cleaning="clean is not in this build yet" ;;
esac
if [ "$deduped" = yes ]; then
	cleaning="$cleaning; dedupe marked $duplicates."
else
	cleaning="$cleaning; dedupe did not run."
fi
train=$(grep -c '^{' "$OUT/export/demo_train.json")
test=$(grep -c '^{' "$OUT/export/demo_test.json")
cat <<EOF
- $seed_items seed examples imported as $imported records ($(plural "$skipped" "exact copy" "exact copies") skipped).
- $cleaning
- exported $((train + test)) $exported records: $train to demo_train.json, $test to demo_test.json,
  with dataset_info.json, in $(show_path "$OUT")/export/.
- the corpus stays in $(show_path "$WINNOW_DB"); explore it, for example:
    ./winnow --db $(show_path "$WINNOW_DB") sql "SELECT stage, count(*) FROM records GROUP BY stage"
    ./winnow --db $(show_path "$WINNOW_DB") schema

Do the same with your own data:
    ./winnow init                                   # creates ./winnow.db
    ./winnow import my_data.json                    # Alpaca, ShareGPT, JSON Lines or CSV
    ./winnow stats
    ./winnow search 关键词
EOF
case "$cleaned" in
winnow) echo "    ./winnow clean" ;;
hand) echo "    ./winnow sql --write \"UPDATE records SET stage = 'clean' WHERE stage = 'raw'\"   # until clean lands" ;;
esac
[ "$deduped" = yes ] && echo "    ./winnow dedupe"
echo "    ./winnow export -o data/mine.json${stage_opt[*]:+ ${stage_opt[*]}} --split train=0.9,test=0.1"
echo "(demo finished in $(($(date +%s) - START)) s)"
