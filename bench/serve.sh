#!/bin/bash
# serve.sh - `winnow serve` throughput on the SmolLM2-135M shape (random
# bf16 weights from `winnow model init`, byte tokenizer): requests/s and
# completion tokens/s at 1, 4 and 8 concurrent clients (bench/serve_client.py,
# 64-token answers, sampled with a per-request seed), the server started with
# --parallel 8 so concurrent requests are decoded together. Beside it, the
# same 64-token answers from `winnow chat` run one after the other (what a
# user without a server would do). Target: 8 clients at least 2x the tokens/s
# of 1 client (batching reads the weights once per round for all of them).
# Then 32 slow clients holding nearly 2 MiB bodies and 32 oversized ones
# (bench/serve_slow.py): the server's RSS must grow by no more than its
# buffers allow (66 MB), and it must still answer.
#
#   WINNOW=./winnow bash bench/serve.sh          (BENCH_SERVE_REQUESTS=N per row, default 24)
#
# llama.cpp's server would be the yardstick, but llama-cpp-python builds from
# source here (no wheel) and takes too long for this run; not measured.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${WINNOW:=$HERE/../winnow}"
: "${BENCH_OUT:=$HERE/out}"
N=${BENCH_SERVE_REQUESTS:-24}
TOK=64
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1 WINNOW_PROGRESS=0
dir=$BENCH_OUT/serve.$$
mkdir -p "$dir"
model=$BENCH_OUT/smollm2-135m-bf16
[ -s "$model/model.safetensors" ] ||
	"$WINNOW" model init --preset smollm2-135m --byte-tokenizer --dtype bf16 --out "$model" >/dev/null 2>&1 ||
	{ echo "serve.sh: model init failed"; exit 1; }
"$WINNOW" serve --base "$model" --name m --port 0 --parallel 8 --context 1024 2>"$dir/serve.err" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 500); do grep -q listening "$dir/serve.err" && break; sleep 0.02; done
port=$(grep -o '127.0.0.1:[0-9]*' "$dir/serve.err" | cut -d: -f2)
[ -n "$port" ] || { echo "serve.sh: the server did not start"; cat "$dir/serve.err"; exit 1; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
printf "%-28s %8s %9s %10s %12s %12s %7s\n" "winnow serve" requests seconds "requests/s" "tokens/s" "median lat" errors
"$PY" "$HERE/serve_client.py" "$port" 1 4 "$TOK" >/dev/null	# warm-up
declare -A rate
for c in 1 4 8; do
	line=$("$PY" "$HERE/serve_client.py" "$port" "$c" "$N" "$TOK")
	IFS=$'\t' read -r _ req secs rps tps lat errs <<<"$line"
	rate[$c]=$tps
	printf "%-28s %8s %9s %10s %12s %11ss %7s\n" "$c concurrent clients" "$req" "$secs" "$rps" "$tps" "$lat" "$errs"
done
t0=$(date +%s.%N)
for i in $(seq 4); do
	"$WINNOW" chat --base "$model" -n "$TOK" --temperature 1 --seed "$i" -v "Tell me about request $i." \
		>/dev/null 2>>"$dir/chat.err"
done
t1=$(date +%s.%N)
chat_tps=$(grep -o 'reply [0-9]* tokens' "$dir/chat.err" | awk '{s += $2} END {print s}')
printf "%-28s %8s %9.2f %10.2f %12.1f   (model load included)\n" "winnow chat, one by one" 4 \
	"$(echo "$t1 - $t0" | bc)" "$(echo "4 / ($t1 - $t0)" | bc -l)" "$(echo "$chat_tps / ($t1 - $t0)" | bc -l)"
IFS=$'\t' read -r before peak after refused alive <<<"$("$PY" "$HERE/serve_slow.py" "$port" "$srv")"
growth=$((peak - before))
printf "32 slow clients (2 MiB bodies, 95%% sent): RSS %s -> %s MB peak, %s after; 32 oversized refused with 413: %s; answers after: %s\n" \
	"$before" "$peak" "$after" "$refused" "$alive"
printf "RSS growth %s MB (bound: 32 x (2 MiB body + 64 KiB headers) = 66 MB): %s\n" "$growth" \
	"$([ "$growth" -le 70 ] && [ "$refused" = 32 ] && [ "$alive" = True ] && echo PASS || echo MISS)"
ratio=$(echo "${rate[8]} / ${rate[1]}" | bc -l)
printf "tokens/s at 8 clients / at 1 client: %.2fx (target >= 2x): %s\n" "$ratio" \
	"$([ "$(echo "$ratio >= 2" | bc)" = 1 ] && echo PASS || echo MISS)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$(echo "$ratio >= 2" | bc)" = 1 ]
