#!/bin/bash
# train_adapter.t - an adapter used without merging: `eval --adapter` and
# `chat --adapter` give what the merged model gives, and differ from the
# base alone.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny 2>/dev/null
words=(apple banana cherry river mountain cloud stone light music winter)
{
	echo "["
	for i in $(seq 0 23); do
		a=${words[$((i % 10))]} b=${words[$(((i * 7 + 3) % 10))]}
		sep=","; [ "$i" = 23 ] && sep=""
		printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}%s\n' "$a" "$b" "$a" "$b" "$sep"
	done
	echo "]"
} >train.json
"$WINNOW" train --base tiny --data train.json --out lora --epochs 2 --batch 4 --lr 2e-2 --seq 64 --dropout 0 2>/dev/null
ok $? "a LoRA adapter to try"
"$WINNOW" merge --base tiny --adapter lora --out merged 2>/dev/null
ok $? "and the same adapter merged"

loss() { "$WINNOW" eval "$@" --data train.json --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["loss"])'; }
base=$(loss --base tiny)
with=$(loss --base tiny --adapter lora)
merged=$(loss --base merged)
"$PY" -c "import sys; b, w, m = map(float, sys.argv[1:]); sys.exit(0 if abs(w - m) <= 1e-4 * max(1, abs(m)) else 1)" "$base" "$with" "$merged"
ok $? "eval of base + adapter equals eval of the merged model ($with vs $merged)"
"$PY" -c "import sys; b, w = map(float, sys.argv[1:]); sys.exit(0 if w < b - 1e-3 else 1)" "$base" "$with"
ok $? "and is lower than the base alone ($with < $base)"
run eval --base tiny --adapter lora --data train.json
like "$out" "tiny + lora" "the table names base and adapter"

run eval --base tiny --adapter nowhere --data train.json
is "$rc" 1 "a missing adapter folder fails"
like "$err" "nowhere" "naming it"

a=$("$WINNOW" chat --base tiny --adapter lora --max-tokens 12 "Join apple and river." 2>/dev/null)
b=$("$WINNOW" chat --base merged --max-tokens 12 "Join apple and river." 2>/dev/null)
[ -n "$a" ]; ok $? "chat with the adapter answers"
is "$a" "$b" "as the merged model does (greedy)"

done_testing
