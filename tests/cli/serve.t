#!/bin/bash
# serve.t - `winnow serve` on 127.0.0.1 with curl and winnow's own LLM
# client: the models list, chat and completions (greedy and seeded sampling
# equal to `winnow chat`, streamed equal to not streamed), adapters by name,
# stop strings, the error objects and limits (400/401/404/405/408/413/429/
# 503), malformed HTTP, and Ctrl-C finishing the request in flight.
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
SRV=
stop_server() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null; SRV=; }
trap 'stop_server; rm -rf "$T"' EXIT

# serve ARGS...: (re)starts the server; sets $URL.
serve() {
	stop_server
	"$WINNOW" serve --port 0 "$@" 2>"$T/serve.err" &
	SRV=$!
	for _ in $(seq 300); do grep -q listening "$T/serve.err" 2>/dev/null && break; sleep 0.02; done
	PORT=$(grep -o '127.0.0.1:[0-9]*' "$T/serve.err" | cut -d: -f2)
	URL="http://127.0.0.1:$PORT/v1"
}
# post PATH JSON [curl options]: the body; the status goes to $T/code.
post() { curl -s -o "$T/body" -w '%{http_code}' "${@:3}" -H 'Content-Type: application/json' \
	-d "$2" "$URL$1" >"$T/code"; cat "$T/body"; }
field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
hex() { od -An -tx1 | tr -d ' \n'; }
chat_body() { # PROMPT MAX [extra fields]
	printf '{"model": "%s", "messages": [{"role": "user", "content": "%s"}], "max_tokens": %s%s}' \
		"${MODEL:-q}" "$1" "$2" "${3:+, $3}"
}

mkdir qt && xz -dc "$FIXTURES/tokenizers/qwen3/tokenizer.json.xz" >qt/tokenizer.json &&
	cp "$FIXTURES/tokenizers/qwen3/tokenizer_config.json" qt/
"$WINNOW" model init --preset tiny --tokenizer qt --out q 2>/dev/null
"$WINNOW" model init --preset tiny --byte-tokenizer --out m 2>/dev/null
ok $? "two tiny models: Qwen's tokenizer, and a byte tokenizer"

serve --base q --context 512
like "$(cat "$T/serve.err")" "listening on http://127.0.0.1:" "serve says where it listens"
is "$(curl -s "$URL/models" | field '[m["id"] for m in d["data"]]')" "['q']" "GET /v1/models: the base by folder name"

# ---- the same answers as winnow chat ----
want=$("$WINNOW" chat --base q -n 16 "Name three colours." | hex)
got=$(post /chat/completions "$(chat_body 'Name three colours.' 16 '"temperature": 0')" | field 'd["choices"][0]["message"]["content"]+"\n"' | head -c -1 | hex)
is "$got" "$want" "greedy chat completion equals winnow chat"
want=$("$WINNOW" chat --base q -n 24 --temperature 1 --seed 11 "Name three colours." | head -c -1)
body=$(post /chat/completions "$(chat_body 'Name three colours.' 24 '"temperature": 1, "seed": 11')")
is "$(echo "$body" | field 'd["choices"][0]["message"]["content"]')" "$want" \
	"sampled with a seed: equals winnow chat with that seed"
is "$(echo "$body" | field 'd["usage"]["completion_tokens"], d["choices"][0]["finish_reason"], d["object"]')" \
	"(24, 'length', 'chat.completion')" "usage, finish_reason and object"
stream=$(post /chat/completions "$(chat_body 'Name three colours.' 24 '"temperature": 1, "seed": 11, "stream": true, "stream_options": {"include_usage": true}')")
is "$(echo "$stream" | tail -n 1)" "data: [DONE]" "a stream ends with data: [DONE]"
is "$(echo "$stream" | grep '^data: {' | sed 's/^data: //' | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
print("".join(r["choices"][0]["delta"].get("content", "") for r in rows if r["choices"]))
print(rows[0]["choices"][0]["delta"]["role"], rows[-2]["choices"][0]["finish_reason"], rows[-1]["usage"]["completion_tokens"])')" \
	"$want
assistant length 24" "streamed chunks join to the same text; role first, finish_reason, usage last"
stop=$(echo "$want" | "$PY" -c 'import sys; t=sys.stdin.read(); print(t[len(t)//2:len(t)//2+3])')
cut=$(post /chat/completions "$(chat_body 'Name three colours.' 24 '"temperature": 1, "seed": 11, "stop": ["zzzq", "'"$stop"'"]')" | field 'd["choices"][0]["message"]["content"], d["choices"][0]["finish_reason"]')
is "$cut" "$(echo "$want" | "$PY" -c 'import sys; t=sys.stdin.read(); print((t[:t.index(sys.argv[1])], "stop"))' "$stop")" \
	"a stop string cuts the answer before it, finish_reason stop"
body=$(post /completions '{"model": "q", "prompt": "Once upon a time", "max_tokens": 5, "temperature": 0}')
is "$(echo "$body" | field 'd["object"], d["usage"]["prompt_tokens"], d["usage"]["completion_tokens"]')" \
	"('text_completion', $(echo "Once upon a time" | "$WINNOW" tokenize --tokenizer q --count 2>/dev/null | tail -n 1), 5)" \
	"completions: raw prompt tokens, five tokens out"

# ---- errors as OpenAI error objects ----
post /chat/completions '{"model": "q", "messages": [' >/dev/null
is "$(cat "$T/code") $(field 'd["error"]["type"]' <"$T/body")" "400 invalid_request_error" "bad JSON: 400"
post /chat/completions "$(MODEL=nope chat_body hi 4)" >/dev/null
is "$(cat "$T/code") $(field 'd["error"]["code"]' <"$T/body")" "404 model_not_found" "unknown model: 404"
post /chat/completions '{"model": "q", "messages": [{"role": "assistant", "content": "x"}]}' >/dev/null
is "$(cat "$T/code")" 400 "the last message must be the user's"
post /chat/completions "$(chat_body hi 999999)" >/dev/null
is "$(cat "$T/code") $(field 'd["error"]["message"]' <"$T/body")" "400 'max_tokens' must be a number from 1 to 2048" \
	"max_tokens above the server's limit: 400 naming the field"
long=$(head -c 6000 /dev/zero | tr '\0' 'a')
post /chat/completions "$(chat_body "$long" 4)" >/dev/null
is "$(cat "$T/code") $(field 'd["error"]["code"]' <"$T/body")" "400 context_length_exceeded" "a prompt past --context: 400"
head -c 3000000 /dev/zero | tr '\0' ' ' >big.json
post /chat/completions @big.json >/dev/null
is "$(cat "$T/code")" 413 "a body past --max-body: 413"
curl -s -o /dev/null -w '%{http_code}' "$URL/chat/completions" >"$T/code"
is "$(cat "$T/code")" 405 "GET on a POST endpoint: 405"
reply=$(printf 'GARBAGE\r\n\r\n' | timeout 5 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode().split("\r\n")[0])' "$PORT")
is "$reply" "HTTP/1.1 400 Bad Request" "malformed HTTP: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/models")" 200 "and the server is still up"

# ---- slow clients, limits on connections and requests ----
serve --base q --timeout 1 --max-connections 3 --parallel 1 --queue 0
"$PY" - "$PORT" >"$T/slow" <<'PYEOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
time.sleep(3)
print(s.recv(4096).decode().split("\r\n")[0])
PYEOF
slow=$!
exec 7<>/dev/tcp/127.0.0.1/$PORT 8<>/dev/tcp/127.0.0.1/$PORT
sleep 0.3
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/models")" 503 "past --max-connections: 503"
wait $slow
is "$(cat "$T/slow")" "HTTP/1.1 408 Request Timeout" "a request not sent within --timeout: 408, closed"
exec 7>&- 8>&-
sleep 1.2
curl -s -N "$URL/chat/completions" -d "$(chat_body hi 300 '"stream": true, "temperature": 1')" >"$T/long" &
long_pid=$!
for _ in $(seq 200); do grep -q content "$T/long" 2>/dev/null && break; sleep 0.02; done
post /chat/completions "$(chat_body hi 4)" >/dev/null
is "$(cat "$T/code") $(field 'd["error"]["type"]' <"$T/body")" "429 rate_limit_exceeded" \
	"past --parallel and --queue: 429"
kill -INT "$SRV"
wait "$long_pid"
is "$(tail -n 2 "$T/long" | head -n 1)" "data: [DONE]" "Ctrl-C: the request in flight is finished"
wait "$SRV"; is "$?" 0 "and then the server exits 0"
SRV=
like "$(cat "$T/serve.err")" "stopping: finishing 1 running" "saying what it waits for"

# ---- adapters, keys, winnow's own client ----
words=(apple banana cherry river mountain cloud stone light music winter)
for i in $(seq 0 23); do
	printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}\n' \
		"${words[$((i % 10))]}" "${words[$(((i * 7 + 3) % 10))]}" "${words[$((i % 10))]}" "${words[$(((i * 7 + 3) % 10))]}"
done >train.jsonl
"$WINNOW" train --base m --data train.jsonl --out lora --epochs 2 --batch 4 --lr 2e-2 --seq 64 --dropout 0 2>/dev/null
export SERVE_KEY=sk-local-test-123
serve --base m --name base --adapter joiner=lora --api-key-env SERVE_KEY
is "$(curl -s -H "Authorization: Bearer $SERVE_KEY" "$URL/models" | field '[m["id"] for m in d["data"]]')" \
	"['base', 'joiner']" "--name and --adapter NAME=DIR in the models list"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$URL/models")" 401 "a wrong key: 401"
# the byte tokenizer's answers are not always UTF-8: the server sends U+FFFD for each stray byte
valid() { "$PY" -c 'import sys; print(sys.stdin.buffer.read().decode("utf-8", "replace").strip())' | hex; }
want=$("$WINNOW" chat --base m --adapter lora -n 12 "Join river and cloud." | valid)
[ "$want" != "$("$WINNOW" chat --base m -n 12 "Join river and cloud." | valid)" ]; ok $? "(the adapter changes the answer)"
run llm ask --provider openai --base-url "$URL" --api-key-env SERVE_KEY --model joiner --temperature 0 \
	--answer-tokens 12 --no-cache "Join river and cloud."
is "$(printf '%s\n' "$out" | valid)" "$want" "winnow llm ask --model joiner equals chat --adapter"
run llm ask --provider openai --base-url "$URL" --api-key-env SERVE_KEY --model joiner --temperature 0 \
	--answer-tokens 12 --no-cache --stream "Join river and cloud."
is "$(printf '%s\n' "$out" | valid)" "$want" "and streamed too"

# generate, judge and fix pointed at the server: the calls go through (a random model's answers
# are not the JSON they ask for, so they are counted unreadable, not failed)
LOCAL="--provider openai --base-url $URL --api-key-env SERVE_KEY --model joiner --answer-tokens 24"
run task add luck --prompt "$FIXTURES/llm/luck_prompt.txt" --seeds "$FIXTURES/llm/luck_seeds.txt"
run generate luck --n 2 --batch 2 --parallel 2 $LOCAL
is "$rc" 0 "generate against winnow serve"
unlike "$err" "failed" "no call failed"
like "$err" "calls" "and it says what it did"
run import "$FIXTURES/annotate/records.jsonl"
run clean
run dedupe
run judge $LOCAL --where "id = 3"
is "$rc" 0 "judge against winnow serve"
like "$err" "judged by llm:joiner: 0 approved, 0 need a fix, 0 rejected, 1 unreadable, 0 failed" "every call answered"
"$WINNOW" sql --write "UPDATE records SET stage = 'rejected', reason = 'needs-fix' WHERE id IN (1, 2)" 2>/dev/null
run fix $LOCAL
is "$rc" 0 "fix against winnow serve"
like "$err" "2 unreadable, 0 failed" "every call answered"
stop_server
done_testing
