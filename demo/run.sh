#!/bin/bash
# run.sh - `make demo`: winnow's whole job on built-in sample data, offline.
#
# Makes a fresh corpus in demo/out/ (removed and recreated on every run),
# serves the sample forum of demo/site/ on 127.0.0.1 and crawls it with a
# Q&A rule, imports demo/seed.json (hand-written Alpaca examples, some
# deliberately flawed), cleans and dedupes, grows and reviews the data with
# an LLM when one is configured, exports Alpaca JSON + dataset_info.json
# with a train/test split, and trains a tiny model: pre-trained on the
# crawled pages, LoRA-fine-tuned on the export, evaluated before and after,
# asked one test question. Stages whose commands are not in `winnow help`
# are announced in one line and skipped, so the demo runs what exists.
#
#   make demo                          # the usual way ($WINNOW is set by make)
#   WINNOW=./winnow bash demo/run.sh
#   DEMO_OUT=/tmp/d bash demo/run.sh   # somewhere else (tests/cli/demo.t)
#   DEMO_FAST=1 bash demo/run.sh       # a few training steps only (tests)
#
# The LLM stage runs when WINNOW_LLM_PROVIDER (and that platform's key) is
# set; DEMO_LLM_BASE_URL and DEMO_LLM_MODEL pass --base-url and --model.
# Without one it shows the generation loop against a local stand-in
# (demo/llm/standin.sh), in a corpus of its own.
#
# Exits non-zero as soon as a winnow command fails (LLM calls excepted: a
# platform that is down or out of quota is reported and the demo goes on).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
: "${WINNOW:=$ROOT/winnow}"
OUT=${DEMO_OUT:-$HERE/out}
FAST=${DEMO_FAST:-}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
case "$WINNOW" in /*) ;; */*) WINNOW=$PWD/$WINNOW ;; esac
# The demo runs from the repository root and names paths inside it relative
# to it, so what winnow prints is what a user would type.
cd "$ROOT" || exit 1
case "$OUT" in "$ROOT"/*) OUT=${OUT#"$ROOT"/} ;; esac
SEED=demo/seed.json
export WINNOW_DB=$OUT/demo.db
# The demo's own server is on 127.0.0.1: never through a proxy.
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# a pyenv shim costs 150 ms a call
ERRORS=$(mktemp "${TMPDIR:-/tmp}/winnow-demo.XXXXXX")
SERVER_PID=
START=$(date +%s)

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
}
. "$HERE/llm/standin.sh"
trap 'stop_server; stop_standin; rm -f "$ERRORS"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if ! command -v "$WINNOW" >/dev/null; then
	echo "demo: no winnow binary at '$WINNOW'; run 'make' first (or 'make demo')" >&2
	exit 1
fi
if ! command -v "$PY" >/dev/null; then
	echo "demo: python3 is needed to serve the sample site; install it (apt-get install python3)" >&2
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

# run_winnow ARGS...: prints the command as the user would type it, then
# runs it. On a terminal its stderr (summaries, progress bars) goes straight
# there; otherwise it follows the command's output, so a log reads in order.
# Returns the command's exit code.
run_winnow() {
	local shown=() a
	for a in "$@"; do
		case "$a" in
		*\'*[\"\$\`\\]* | *[\"\$\`\\]*\'*) shown+=("$(printf '%q' "$a")") ;;
		*\'*) shown+=("\"$a\"") ;;
		*[[:space:]\"\;\*\<\>\[\]\(\)\|\&\$\`\\]*) shown+=("'$a'") ;;
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
	return "$rc"
}

# winnow ARGS...: run_winnow, stopping the demo when the command fails.
winnow() {
	run_winnow "$@"
	local rc=$?
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

# sparkline FILE: the "loss" values of a train_log.jsonl as one line of
# ▁▂▃▄▅▆▇█, at most 24 bars, each the mean loss of its share of the steps
# (one batch's loss is noisy), with the first and last bar's values.
sparkline() {
	"$PY" - "$1" <<'EOF'
import json, sys
losses = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line:
        row = json.loads(line)
        if "loss" in row:
            losses.append(row["loss"])
if not losses:
    sys.exit("no loss in " + sys.argv[1])
n = len(losses)
cols = min(24, n)
means = []
for c in range(cols):
    part = losses[c * n // cols:(c + 1) * n // cols]
    means.append(sum(part) / len(part))
lo, hi = min(means), max(means)
bars = "▁▂▃▄▅▆▇█"
line = "".join(bars[0 if hi == lo else min(7, int((m - lo) / (hi - lo) * 8))] for m in means)
per = "each bar is one step" if cols == n else "each bar averages %g steps" % round(n / cols, 1)
print("  %s  loss %.2f -> %.2f over %d steps (%s)" % (line, means[0], means[-1], n, per))
EOF
}

printf '%swinnow demo%s: build a small fine-tuning dataset from built-in sample data and train on it.\n' "$BOLD" "$RESET"
printf 'Everything happens in %s; nothing is downloaded.\n' "$(show_path "$OUT")/"

section "A fresh corpus"
# Only ever remove a folder an earlier demo made (or an empty one).
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && [ ! -e "$OUT/demo.db" ]; then
	echo "demo: $(show_path "$OUT") holds files but no demo.db, so it is not an earlier demo's folder; set DEMO_OUT to another folder" >&2
	exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1
winnow init
echo "The corpus is one SQLite file: $(show_path "$WINNOW_DB")."

# ---- the sample site ----
section "Serve the sample Q&A forum on 127.0.0.1"
threads=$("$PY" -c 'import sys; sys.path.insert(0, "demo/site"); import generate
t = generate.parse(); print(len(t), sum(x["dup_of"] is not None for x in t))') || exit 1
read -r n_threads n_dups <<<"$threads"
"$PY" demo/site/serve.py "$OUT/site" --port-file "$OUT/site.port" --log "$OUT/site.log" --max-seconds 900 &
SERVER_PID=$!
for _ in $(seq 300); do
	[ -s "$OUT/site.port" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.05
done
if [ ! -s "$OUT/site.port" ]; then
	echo "demo: the sample site did not start (demo/site/serve.py); see the message above" >&2
	exit 1
fi
SITE=http://127.0.0.1:$(cat "$OUT/site.port")
thread_pages=$(find "$OUT/site/t" -name '*.html' | wc -l)
echo "demo/site/generate.py wrote 小麦社区 (Wheatfield Forum), an invented Chinese and English Q&A"
echo "forum, into $(show_path "$OUT")/site/ and serves it at $SITE/ :"
echo "$thread_pages thread pages ($n_threads threads, $n_dups of them cross-posted copies, some over two pages),"
echo "six boards with rel=next pagination, ads, signatures, a sidebar, a sitemap, and this robots.txt:"
sed 's/^/    /' "$OUT/site/robots.txt"

section "Crawl it with a Q&A rule"
QA_Q="//h1[@class='question-title']"
QA_A="//div[@class='answer']"
QA_IN="//div[@class='question-body']"
crawled=no
if has_command crawl && has_command source; then
	echo "Each thread page becomes a document (its main text) and a Q&A record: the question's title"
	echo "as instruction, its body as input, and the accepted answer (else the most voted) as output."
	winnow source add forum --url "$SITE/" --qa "$QA_Q" "$QA_A" --qa-input "$QA_IN" --delay 0 --concurrency 4
	winnow crawl forum
	echo
	winnow source list
	echo
	echo "What robots.txt kept out:"
	winnow sql --format table "SELECT status, url FROM pages WHERE status <> 'fetched' ORDER BY url"
	echo
	echo "A few of the records the Q&A rule made:"
	winnow sql --format table "SELECT r.id, substr(r.instruction, 1, 22) AS instruction, substr(r.output, 1, 30) AS output FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'forum' ORDER BY r.id LIMIT 6"
	echo
	echo "Ads, navigation and signatures are not in the documents. The start of one:"
	"$WINNOW" sql --format json "SELECT text FROM documents WHERE url = '$SITE/t/1.html'" 2>/dev/null |
		"$PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
text = rows[0]["text"] if rows else ""
for line in text.split("\n")[:7]:
    if line.strip():
        print("    " + (line if len(line) <= 60 else line[:60] + "…"))'
	crawled=yes
else
	not_yet "crawling is not in this build yet; skipping"
fi
if [ "$crawled" = yes ]; then
	crawl_pages=$(count "SELECT count(*) FROM pages WHERE status = 'fetched' AND kind = 'page'")
	crawl_docs=$(count "SELECT count(*) FROM documents")
	crawl_records=$(count "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'forum'")
	crawl_blocked=$(count "SELECT count(*) FROM pages WHERE status = 'blocked'")
fi
stop_server

# ---- seeds ----
section "Import the hand-written seed examples"
seed_items=$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1], encoding="utf-8"))))' "$SEED")
echo "$(show_path "$SEED") holds $seed_items Alpaca examples: everyday questions, how-tos, a few with"
echo "input, one with a system prompt, one with history, and some deliberately bad ones."
before_import=$(count "SELECT count(*) FROM records")
winnow import "$SEED" --source seed
imported=$(($(count "SELECT count(*) FROM records") - before_import))
skipped=$((seed_items - imported))
echo "$imported records stored: $(plural "$skipped" "exact copy" "exact copies") of earlier examples recognised and skipped."

section "What is in the corpus"
winnow stats
echo
echo "Full-text search finds Chinese substrings, in records:"
winnow search 季度会发财 --format table
if [ "$crawled" = yes ]; then
	echo "and in the crawled documents:"
	winnow search --documents 转运 --limit 3 --format table
fi
echo
echo "And the corpus is plain SQL. The shortest answers (often the weakest records):"
winnow sql --format table "SELECT id, length(output) AS chars, substr(instruction, 1, 24) AS instruction FROM records ORDER BY length(output), id LIMIT 5"

cleaned=no  # winnow: by winnow clean; hand: marked clean with SQL; no
deduped=no
section "Clean: normalise, filter, mask personal data"
if has_command clean; then
	winnow clean
	echo
	echo "Rejected, with the reason (the rule that fired):"
	winnow sql --format table "SELECT r.id, s.name AS source, r.reason, substr(r.instruction, 1, 24) AS instruction FROM records r JOIN sources s ON s.id = r.source_id WHERE r.stage = 'rejected' ORDER BY r.id"
	echo
	echo "Personal data is masked in the records that stay:"
	winnow sql --format table "SELECT id, substr(instruction, 1, 16) AS instruction, substr(output, instr(output, '<') - 12, 40) AS masked FROM records WHERE stage = 'clean' AND (output LIKE '%<PHONE>%' OR output LIKE '%<EMAIL>%' OR instruction LIKE '%<PHONE>%') ORDER BY id"
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
	echo "Duplicates, with the record kept instead (the crawl already skipped the cross-posted"
	echo "threads, whose records were exact copies):"
	winnow sql --format table "SELECT d.id, d.duplicate_of AS kept, d.reason, substr(d.instruction, 1, 20) AS duplicate, substr(k.instruction, 1, 20) AS kept_instruction FROM records d JOIN records k ON k.id = d.duplicate_of WHERE d.stage = 'duplicate' ORDER BY d.id"
	deduped=yes
else
	not_yet "winnow dedupe is not in this build yet; skipping"
fi

# ---- LLM ----
section "Grow and review the data with an LLM"
llm_ran=no
if ! has_command generate && ! has_command judge; then
	not_yet "generate, judge and fix are not in this build yet; skipping"
elif [ -z "${WINNOW_LLM_PROVIDER:-}" ]; then
	standin_loop
	echo
	not_yet "To run generate, judge and fix with a real model, set WINNOW_LLM_PROVIDER and its key, e.g. WINNOW_LLM_PROVIDER=deepseek DEEPSEEK_API_KEY=... make demo (zhipu takes ZHIPUAI_API_KEY; ollama needs none)"
else
	llm_opts=()
	[ -n "${DEMO_LLM_BASE_URL:-}" ] && llm_opts+=(--base-url "$DEMO_LLM_BASE_URL")
	[ -n "${DEMO_LLM_MODEL:-}" ] && llm_opts+=(--model "$DEMO_LLM_MODEL")
	echo "WINNOW_LLM_PROVIDER=$WINNOW_LLM_PROVIDER: a few calls to it (at most 8 to generate, 30 to judge, 10 to fix)."
	llm_failed() {
		not_yet "'winnow $1' did not finish (see the message above); the demo goes on without it"
	}
	# New raw records (generated or fixed) go through clean and dedupe like every other.
	pipeline() {
		[ "$cleaned" = winnow ] && winnow clean
		[ "$deduped" = yes ] && winnow dedupe
		return 0
	}
	if has_command generate && has_command task; then
		echo "A generation task that writes Q&A pairs from the crawled documents:"
		winnow task add forum-qa --mode from-documents --prompt demo/llm/forum_prompt.txt --seeds demo/llm/forum_seeds.json
		if run_winnow generate forum-qa --n 10 --max-calls 8 "${llm_opts[@]}"; then
			llm_ran=yes
			echo "The new records are raw; they go through clean and dedupe like every other:"
			pipeline
		else
			llm_failed generate
		fi
	fi
	if has_command judge && [ "$deduped" = yes ]; then
		# Generated records are the ones most in need of a second look.
		judge_what=(--limit 20)
		[ "$llm_ran" = yes ] && judge_what=(--task forum-qa)
		echo
		echo "The LLM judges unique records on a rubric: approved, or rejected as needs-fix:"
		if run_winnow judge "${judge_what[@]}" --max-calls 30 "${llm_opts[@]}"; then
			llm_ran=yes
			winnow sql --format table "SELECT stage, reason, count(*) AS records, round(avg(quality), 2) AS mean_score FROM records WHERE id IN (SELECT record_id FROM annotations) GROUP BY stage, reason"
		else
			llm_failed judge
		fi
	fi
	if has_command fix && [ "$llm_ran" = yes ]; then
		echo
		echo "The LLM corrects the records judged needs-fix, given the judge's critique:"
		if run_winnow fix --limit 10 --max-calls 10 "${llm_opts[@]}"; then
			pipeline
			winnow sql --format table "SELECT f.id, f.parent_id AS fixes, f.stage, substr(f.instruction, 1, 20) AS instruction, substr(f.output, 1, 24) AS output FROM records f WHERE f.origin = 'fix' ORDER BY f.id"
		else
			llm_failed fix
		fi
	elif ! has_command fix; then
		not_yet "winnow fix (rewriting the records judged needs-fix) is not in this build yet"
	fi
fi

# ---- export ----
section "Export Alpaca JSON for LLaMA-Factory, split into train and test"
if [ "$deduped" = yes ]; then
	stage_opt=()
	exported="unique and approved"
	echo "Exporting the unique and approved records (the default)."
elif [ "$cleaned" != no ]; then
	stage_opt=(--stage clean)
	exported="clean"
	echo "Dedupe has not run, so the demo exports the cleaned records (--stage clean)."
else
	stage_opt=(--stage raw)
	exported="raw"
	echo "Nothing is cleaned yet, so the demo exports the raw records (--stage raw)."
fi
EXPORT=$OUT/export
winnow export -o "$EXPORT/demo.json" --split train=0.8,test=0.2 --seed 7 "${stage_opt[@]}"
echo
(cd "$EXPORT" && ls -l)
echo
echo "The first training example:"
sed -n '2s/,$//p' "$EXPORT/demo_train.json"
echo
echo "dataset_info.json tells LLaMA-Factory the files' names and columns:"
head -12 "$EXPORT/dataset_info.json"
echo "  ..."
n_train=$(grep -c '^{' "$EXPORT/demo_train.json")
n_test=$(grep -c '^{' "$EXPORT/demo_test.json")

# ---- training ----
MODEL=$OUT/model PRE=$OUT/pretrained LORA=$OUT/lora TUNED=$OUT/finetuned
if [ -n "$FAST" ]; then
	pre_opts=(--epochs 1)
	lora_opts=(--max-steps 24)
else
	pre_opts=(--epochs 10)
	lora_opts=(--epochs 4)
fi
trained=no
section "A tiny model, pre-trained on the forum and fine-tuned on the export"
if ! has_command model; then
	not_yet "winnow model is not in this build yet, so no training; skipping"
else
	echo "A random Llama-family model (2 layers, 0.1M parameters) with a byte-level tokenizer,"
	echo "so nothing has to be downloaded:"
	winnow model init --preset tiny --byte-tokenizer --out "$MODEL"
	if ! has_command train; then
		not_yet "winnow train is not in this build yet, so no pre-training, fine-tuning or chat"
		if has_command eval; then
			echo "Its loss on the test split (a random model scores about ln(vocabulary)):"
			winnow eval --base "$MODEL" --data "$EXPORT/demo_test.json"
		fi
	else
		if [ "$crawled" = yes ]; then
			echo
			echo "Pre-train every weight on the crawled documents (--text without --data reads the"
			echo "corpus's documents table), so the model knows the forum's language before fine-tuning:"
			winnow train --base "$MODEL" --full --text --out "$PRE" --seq 256 --batch 8 --lr 1e-2 --warmup 10 "${pre_opts[@]}"
			sparkline "$PRE/train_log.jsonl"
		else
			echo "(no crawled documents to pre-train on; fine-tuning the random model directly)"
			PRE=$MODEL
		fi
		echo
		echo "LoRA fine-tune on the export (the loss counts answer tokens only):"
		winnow train --base "$PRE" --data "$EXPORT/demo_train.json" --out "$LORA" --seq 512 --batch 4 --lr 1e-2 --warmup 5 "${lora_opts[@]}"
		sparkline "$LORA/train_log.jsonl"
		echo "The adapter (PEFT format) and the loss curve, train and validation, as an SVG:"
		(cd "$LORA" && ls -l adapter_config.json adapter_model.safetensors loss.svg)
		echo "    open $(show_path "$LORA")/loss.svg"
		echo
		echo "Fold the adapter into the model, for eval and chat (and llama.cpp or transformers):"
		winnow merge --base "$PRE" --adapter "$LORA" --out "$TUNED"
		echo
		echo "Choosing by answers: random, pre-trained and fine-tuned each answer the test split ($n_test"
		echo "records none trained on), scored against the references (ROUGE-L on characters for Chinese,"
		echo "exact match for short answers), beside the loss and bits per byte (comparable across tokenizers):"
		winnow eval --base "$MODEL" --base "$PRE" --base "$TUNED" --data "$EXPORT/demo_test.json" \
			--generate --max-new-tokens 64 --answers-out "$EXPORT/eval_answers.jsonl" --report "$EXPORT/eval.html"
		echo "    open $(show_path "$EXPORT")/eval.html     (the table, bar charts, answers side by side)"
		trained=yes
		echo
		question=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))[0]["instruction"])' "$EXPORT/demo_test.json")
		echo "One test question. A 0.1M-parameter model trained for a minute strings characters"
		echo "together; with a real model the same commands give real answers (see below)."
		winnow chat --base "$TUNED" --temperature 0.8 --top-k 40 --seed 1 --max-tokens 90 "$question"
		echo
	fi
fi

# ---- summary ----
section "Summary"
rejected=$(count "SELECT count(*) FROM records WHERE stage = 'rejected'")
duplicates=$(plural "$(count "SELECT count(*) FROM records WHERE stage = 'duplicate'")" duplicate duplicates)
if [ "$crawled" = yes ]; then
	echo "- crawled $crawl_pages pages of the sample forum ($crawl_blocked kept out by robots.txt): $crawl_docs documents, $crawl_records Q&A records."
fi
echo "- $seed_items seed examples imported as $imported records ($(plural "$skipped" "exact copy" "exact copies") skipped)."
case "$cleaned" in
winnow) cleaning="clean rejected $rejected" ;;
hand) cleaning="clean is not in this build yet (records were marked clean by hand)" ;;
*) cleaning="clean is not in this build yet" ;;
esac
if [ "$deduped" = yes ]; then
	echo "- $cleaning; dedupe marked $duplicates."
else
	echo "- $cleaning; dedupe did not run."
fi
[ "$llm_ran" = yes ] && echo "- the LLM generated $(count "SELECT count(*) FROM records WHERE origin = 'generate'") records, approved $(count "SELECT count(*) FROM records WHERE stage = 'approved'") and fixed $(count "SELECT count(*) FROM records WHERE origin = 'fix'")."
echo "- exported $((n_train + n_test)) $exported records: $n_train to demo_train.json, $n_test to demo_test.json,"
echo "  with dataset_info.json, in $(show_path "$EXPORT")/."
if [ "$trained" = yes ]; then
	echo "- a tiny model pre-trained on the documents and LoRA-tuned on the export: $(show_path "$TUNED")"
	echo "  (adapter and loss.svg in $(show_path "$LORA")/)."
fi
cat <<EOF
- the corpus stays in $(show_path "$WINNOW_DB"); explore it, for example:
    ./winnow --db $(show_path "$WINNOW_DB") sql "SELECT stage, origin, count(*) FROM records GROUP BY 1, 2"
    ./winnow --db $(show_path "$WINNOW_DB") search 米饭
    ./winnow --db $(show_path "$WINNOW_DB") schema

Do the same with your own sites and a real model:
    ./winnow init                                   # creates ./winnow.db
    ./winnow source add myforum --url https://forum.example.com/ \\
        --qa '//h1' '//div[contains(@class,"answer")]' --every 1d
    ./winnow crawl                                  # cron it: 15 2 * * * cd /data && ./winnow crawl
    ./winnow import my_data.json                    # Alpaca, ShareGPT, JSON Lines or CSV
    ./winnow clean && ./winnow dedupe
    WINNOW_LLM_PROVIDER=deepseek DEEPSEEK_API_KEY=... ./winnow judge --limit 200
    ./winnow export -o data/mine.json --split train=0.9,test=0.1
    # a real model, e.g. Qwen2.5-0.5B-Instruct from Hugging Face (on a machine with internet):
    #   huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct --local-dir models/qwen2.5-0.5b
    ./winnow train --base models/qwen2.5-0.5b --data data/mine_train.json --out out/lora
    ./winnow eval --base models/qwen2.5-0.5b --data data/mine_test.json
    ./winnow merge --base models/qwen2.5-0.5b --adapter out/lora --out models/mine
    ./winnow eval --base models/mine --data data/mine_test.json
    ./winnow chat --base models/mine "我这个季度会发财吗？"
EOF
echo "(demo finished in $(($(date +%s) - START)) s)"
