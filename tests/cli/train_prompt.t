#!/bin/bash
# train_prompt.t - --method prompt-tuning / p-tuning: PEFT adapters that
# eval and chat load, which lower the loss of the frozen model, resume to
# the same result, and adapters of a kind winnow cannot load are named.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

"$WINNOW" model init --preset small --byte-tokenizer --out small 2>/dev/null
words=(apple banana cherry river mountain cloud stone light music winter)
{
	echo "["
	for i in $(seq 0 15); do
		a=${words[$((i % 10))]} b=${words[$(((i * 7 + 3) % 10))]}
		sep=","; [ "$i" = 15 ] && sep=""
		printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}%s\n' "$a" "$b" "$a" "$b" "$sep"
	done
	echo "]"
} >train.json
loss() { "$WINNOW" eval "$@" --data train.json --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["loss"])'; }
base=$(loss --base small)

for m in prompt-tuning p-tuning; do
	run train --base small --data train.json --out $m --method $m --virtual-tokens 6 --epochs 3 --batch 4 --seq 64
	is "$rc" 0 "train --method $m succeeds"
	type=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["peft_type"], c["num_virtual_tokens"], c["token_dim"], c["task_type"])' $m/adapter_config.json)
	want="PROMPT_TUNING 6 256 CAUSAL_LM"; [ $m = p-tuning ] && want="P_TUNING 6 256 CAUSAL_LM"
	is "$type" "$want" "its adapter_config.json is PEFT's"
	shape=$("$PY" -c '
import json, struct, sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
print(sorted(k for k in h if k != "__metadata__"), h["prompt_embeddings"]["shape"])' $m/adapter_model.safetensors)
	is "$shape" "['prompt_embeddings'] [6, 256]" "and its one tensor prompt_embeddings [6, 256]"
	with=$(loss --base small --adapter $m)
	"$PY" -c "import sys; b, w = map(float, sys.argv[1:]); sys.exit(0 if w < b - 0.1 else 1)" "$base" "$with"
	ok $? "eval with the $m adapter has a lower loss ($base -> $with)"
	a=$("$WINNOW" chat --base small --adapter $m --max-tokens 6 "Join apple and river." 2>/dev/null)
	ok $? "chat loads it ($a)"
done

# resume: stopped after 2 steps and resumed equals one run of 4
"$WINNOW" train --base small --data train.json --out whole --method p-tuning --virtual-tokens 4 --max-steps 4 --batch 4 --seq 64 --save-steps 2 2>/dev/null
WINNOW_TRAIN_KILL_AT=3 "$WINNOW" train --base small --data train.json --out cut --method p-tuning --virtual-tokens 4 --max-steps 4 --batch 4 --seq 64 --save-steps 2 2>/dev/null
"$WINNOW" train --base small --data train.json --out cut --method p-tuning --virtual-tokens 4 --max-steps 4 --batch 4 --seq 64 --save-steps 2 --resume 2>/dev/null
cmp -s whole/adapter_model.safetensors cut/adapter_model.safetensors
ok $? "a resumed p-tuning run writes the same adapter as an uninterrupted one"
run train --base small --data train.json --out cut --method prompt-tuning --virtual-tokens 4 --max-steps 4 --batch 4 --seq 64 --resume
isnt_rc=$rc; [ "$isnt_rc" != 0 ]
ok $? "resuming with another --method is refused"

mkdir ia3
printf '{"peft_type": "IA3", "task_type": "CAUSAL_LM"}\n' >ia3/adapter_config.json
run eval --base small --adapter ia3 --data train.json
is "$rc" 1 "an adapter winnow cannot load fails"
like "$err" "peft_type IA3 is not one winnow can load" "naming its peft_type"
run train --base small --data train.json --out x --method prompt-tuning --full
is "$rc" 2 "--method prompt-tuning with --full is refused"
run train --base small --data train.json --out x --method prefix-tuning
is "$rc" 2 "an unknown --method is a usage error"
done_testing
