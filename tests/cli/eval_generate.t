#!/bin/bash
# eval_generate.t - `winnow eval --generate`: every candidate answers the
# test records (greedy, the same answers as `winnow chat`), scored against
# the references (ROUGE-L, exact match), bits per byte beside the loss,
# --answers-out, --json and the HTML --report.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

"$WINNOW" model init --preset tiny --byte-tokenizer --out m 2>/dev/null
words=(apple banana cherry river mountain cloud stone light music winter)
for i in $(seq 0 23); do
	a=${words[$((i % 10))]} b=${words[$(((i * 7 + 3) % 10))]}
	printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}\n' "$a" "$b" "$a" "$b"
done >train.jsonl
"$WINNOW" train --base m --data train.jsonl --out lora --epochs 2 --batch 4 --lr 2e-2 --seq 64 --dropout 0 2>/dev/null
"$WINNOW" merge --base m --adapter lora --out tuned 2>/dev/null
ok $? "a base model and a tuned one"
head -n 4 train.jsonl >test.jsonl
echo '{"instruction": "巴黎是哪个国家的首都？", "input": "", "output": "法国。"}' >>test.jsonl

run eval --base m --base tuned --data test.jsonl --generate --max-new-tokens 12 --answers-out ans.jsonl --json
is "$rc" 0 "eval --generate"
is "$(wc -l <ans.jsonl)" 10 "--answers-out: one line per model and record"
want=$("$WINNOW" chat --base tuned -n 12 "Join apple and river." | "$PY" -c 'import sys; print(repr(sys.stdin.buffer.read().decode("utf-8", "replace")[:-1]))')
is "$("$PY" -c 'import json, sys
rows = [json.loads(l) for l in open("ans.jsonl", encoding="utf-8")]
print(repr([r["answer"] for r in rows if r["model"] == "tuned" and r["index"] == 0][0]))')" "$want" \
	"an answer equals winnow chat's for the same instruction"
is "$(echo "$out" | "$PY" -c 'import json, math, sys
for r in json.load(sys.stdin):
    b = sum(len(json.loads(l)["output"].encode()) for l in open("test.jsonl", encoding="utf-8"))
    print(r["model"], abs(r["bits_per_byte"] - r["loss"] * r["tokens"] / math.log(2) / b) < 1e-4,
          sorted(k for k in r if k in ("rouge_l", "exact_match", "bits_per_byte")))')" \
	"m True ['bits_per_byte', 'exact_match', 'rouge_l']
tuned True ['bits_per_byte', 'exact_match', 'rouge_l']" "--json: bits_per_byte = summed loss in bits / reference bytes"

# references that are the tuned model's own answers: it scores 1, the base less
"$PY" -c 'import json
rows = [json.loads(l) for l in open("ans.jsonl", encoding="utf-8")]
recs = [json.loads(l) for l in open("test.jsonl", encoding="utf-8")]
for r in rows:
    if r["model"] == "tuned":
        recs[r["index"]]["output"] = r["answer"].strip() or "x"
with open("own.jsonl", "w", encoding="utf-8") as f:
    for rec in recs:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")'
run eval --base m --base tuned --data own.jsonl --generate --max-new-tokens 12 --json --report r.html
scores=$(echo "$out" | "$PY" -c 'import json, sys
for r in json.load(sys.stdin): print(r["model"], r["rouge_l"], r["exact_match"])')
like "$scores" "tuned 1.0 1.0" "answers equal to the references: ROUGE-L 1 and every short one exact"
m_rouge=$(echo "$scores" | awk '$1 == "m" {print $2}')
"$PY" -c "import sys; sys.exit(0 if float('$m_rouge') < 1 else 1)"; ok $? "another model scores less ($m_rouge)"
report=$(cat r.html)
like "$report" "<svg" "--report: a bar chart"
like "$report" "<th>tuned</th>" "answers side by side, a column per model"
like "$report" "巴黎是哪个国家的首都？" "with the instructions"
unlike "$report" "<script" "no scripts"
unlike "$report" 'src=' "nothing loaded from elsewhere"

run eval --base m --data test.jsonl --report r.html
is "$rc" 2 "--report without --generate is a usage error"
run eval --base m --data test.jsonl --generate
like "$out" "ROUGE-L" "the table has the answer scores"
like "$out" "bits/byte" "and bits per byte"

# a candidate on an LLM platform (the fake one on 127.0.0.1), and a judge
fake_llm '{"rules": [
 {"match": "Answer A:", "content": "{\"winner\": \"B\"}"},
 {"match": "巴黎是哪个国家的首都", "content": "法国。"}],
 "default": {"content": "I do not know."}}'
run eval --base m --base tuned --data test.jsonl --generate --max-new-tokens 8 $LLM --api-model remote \
	--judge referee --json --answers-out api.jsonl
is "$rc" 0 "eval with an API candidate and a judge"
is "$(echo "$out" | "$PY" -c 'import json, sys
for r in json.load(sys.stdin): print(r["model"], r["loss"] is None, r["exact_match"], r.get("win_rate"))')" \
	"m False 0.0 None
tuned False 0.0 0.6
openai/remote True 0.2 0.6" \
	"the API model: no loss, its answers scored; the judge prefers B, which is the candidate on records 0, 2, 4 of 5"
is "$(grep -c '"model": "openai/remote"' api.jsonl)" 5 "its answers are in --answers-out"
is "$(received 'r["body"]["model"]' | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" "referee:10 remote:5 " \
	"five answers asked of remote, ten verdicts of the judge (two candidates x five records)"
like "$(received | grep -c 'Reference answer:')" "10" "the judge sees the reference"
run eval --base m --data test.jsonl --judge referee $LLM
is "$rc" 2 "--judge without --generate is a usage error"
done_testing
