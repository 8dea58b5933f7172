#!/bin/bash
# llm_client.sh - the LLM client's own overhead, against the fake
# OpenAI-compatible server (tests/fixtures/llm/fake_llm.py) answering every
# request after 50 ms, as a slow platform would:
#
#   200 requests, --parallel 1   (no target: the latency bound, ~20/s)
#   200 requests, --parallel 8   target >= 60 requests/s (the ideal is 160/s;
#                                 the Python server on 2 shared cores is the limit)
#   1000 requests from the cache target >= 1,000 requests/s
# Peak RSS under 50 MB for each.
#
#   WINNOW=./winnow bash bench/llm_client.sh
. "$(dirname "$0")/lib.sh"

N=${BENCH_LLM_REQUESTS:-200}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
dir=$BENCH_OUT/llm.$$
mkdir -p "$dir"
echo '{"default": {"content": "1. 这周适合去旅游吗\n2. 明天适合理发吗 {n}", "delay": 0.05}}' >"$dir/script.json"
(cd "$dir" && exec "$PY" "$BENCH_DIR/../tests/fixtures/llm/fake_llm.py" script.json /dev/null 2>server.err) &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.02; done
export BENCH_LLM_KEY=sk-bench
LLM="--provider openai --base-url http://127.0.0.1:$(cat "$dir/port")/v1 --api-key-env BENCH_LLM_KEY"
db=$dir/c.db

bench_measure "llm: $N calls, --parallel 1" "$N" - 50 --setup "rm -f $db*" -- \
	"$WINNOW" --db "$db" llm ask $LLM -n "$N" --parallel 1 "问题"
bench_measure "llm: $N calls, --parallel 8" "$N" 60 50 --setup "rm -f $db*" -- \
	"$WINNOW" --db "$db" llm ask $LLM -n "$N" --parallel 8 "问题"
C=$((N * 5))
bench_measure "llm: $C answers from the cache" "$C" 1000 50 \
	--setup "rm -f $db*; $WINNOW --db $db llm ask $LLM -n $C --parallel 8 缓存 >/dev/null 2>&1" -- \
	"$WINNOW" --db "$db" llm ask $LLM -n "$C" "缓存"
bench_report
