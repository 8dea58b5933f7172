#!/bin/bash
# train_full.t - winnow train --full --text (pre-training a tiny model on
# documents, from a file or the corpus) and winnow merge, with the results
# loaded back by winnow eval.
. "$(dirname "$0")/lib.sh"

"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny 2>/dev/null
ok $? "a tiny model"

for i in $(seq 1 30); do
	printf '{"text": "the quick brown fox %d jumps over the lazy dog. the dog sleeps."}\n' "$i"
done >docs.jsonl
printf '[{"instruction": "Say hi.", "input": "", "output": "hi there"},\n {"instruction": "Say bye.", "input": "", "output": "bye now"}]\n' >test.json

run train --base tiny --text --data docs.jsonl --full --out pre --epochs 3 --batch 4 --seq 64 --lr 3e-3
is "$rc" 0 "--full --text trains"
like "$err" "training every weight" "says it trains every weight"
ok "$([ -s pre/model.safetensors ] && [ -s pre/config.json ] && [ -s pre/tokenizer.json ]; echo $?)" \
	"writes a whole model with its tokenizer"
first=$(grep '"loss"' pre/train_log.jsonl | head -1 | sed 's/.*"loss": \([0-9.]*\).*/\1/')
last=$(grep '"loss"' pre/train_log.jsonl | tail -1 | sed 's/.*"loss": \([0-9.]*\).*/\1/')
ok "$(awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 1.5) }'; echo $?)" "pre-training loss falls ($first -> $last)"
run eval --base pre --data test.json --json
is "$rc" 0 "winnow eval loads the trained model"

run train --base tiny --text --data docs.jsonl --out pre --full --targets q_proj
is "$rc" 2 "--targets with --full is a usage error"

printf '{"text": "fine"}\n{"body": "no text here"}\n' >bad.jsonl
run train --base tiny --text --data bad.jsonl --full --out bad
is "$rc" 65 "a document without text: exit 65"
like "$err" "bad.jsonl: document 2 (line 2)" "names file, item and line"

"$WINNOW" init 2>/dev/null
"$WINNOW" sql --write "INSERT INTO documents(title, text, content_hash, created_at) VALUES ('a', 'first document about rivers and boats', 1, 'now'), ('b', 'second document about mountains', 2, 'now')" >/dev/null 2>&1
run train --base tiny --text --full --out fromdb --epochs 1 --seq 32
is "$rc" 0 "--text without --data trains on the corpus documents"
like "$err" "training every weight" "from the corpus"

# LoRA then merge
run train --base tiny --data test.json --out lora --epochs 5 --batch 2 --lr 5e-2 --dropout 0
is "$rc" 0 "LoRA training for the merge"
run merge --base tiny --adapter lora --out merged
is "$rc" 0 "merge succeeds"
like "$err" "14 projections merged" "every adapted projection of both layers"
ok "$([ -s merged/model.safetensors ] && [ -s merged/config.json ] && [ -s merged/tokenizer.json ]; echo $?)" \
	"merged folder is a whole model"
run eval --base tiny --base merged --data test.json --json
is "$rc" 0 "eval loads the merged model"
base_loss=$(echo "$out" | sed -n '1s/.*"loss": \([0-9.]*\).*/\1/p')
merged_loss=$(echo "$out" | sed -n '2s/.*"loss": \([0-9.]*\).*/\1/p')
ok "$(awk -v a="$base_loss" -v b="$merged_loss" 'BEGIN { exit !(b < a) }'; echo $?)" \
	"the merged model fits the training data better ($base_loss -> $merged_loss)"
run merge --base tiny --adapter lora --out tiny
is "$rc" 2 "merging into the base folder is refused"
run merge --base tiny --adapter nowhere --out m2
is "$rc" 1 "a missing adapter fails"
like "$err" "adapter_config.json" "and names the missing file"

done_testing
