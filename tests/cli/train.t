#!/bin/bash
# train.t - winnow train end to end on a tiny random model: the PEFT adapter
# files, the step log, loss.svg, validation, determinism for a seed, packing,
# bad data, the memory refusal, and --resume after a crash or Ctrl-C giving
# the same weights as an uninterrupted run.
. "$(dirname "$0")/lib.sh"

"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny 2>/dev/null
ok $? "a tiny model to train"

words=(apple banana cherry river mountain cloud stone light music winter)
{
	echo "["
	for i in $(seq 0 39); do
		a=${words[$((i % 10))]} b=${words[$(((i * 3 + 1) % 10))]}
		sep=","; [ "$i" = 39 ] && sep=""
		printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}%s\n' "$a" "$b" "$a" "$b" "$sep"
	done
	echo "]"
} >train.json

run train --help
is "$rc" 0 "--help exits 0"
like "$out" "--rank" "help lists --rank"
like "$out" "--resume" "help lists --resume"

run train --base tiny --data train.json
is "$rc" 2 "missing --out is a usage error"

common=(--base tiny --data train.json --epochs 2 --batch 4 --lr 1e-2 --seq 64 --save-steps 4)
run train "${common[@]}" --out a --val-split 0.1 --eval-steps 5
is "$rc" 0 "training succeeds"
like "$err" "trainable parameters" "memory and time estimate before starting"
like "$err" "about" "the estimate gives sizes"
like "$err" "adapter written to a" "summary names the output"
ok "$([ -s a/adapter_model.safetensors ] && [ -s a/adapter_config.json ]; echo $?)" "adapter files written"
like "$(cat a/adapter_config.json)" '"peft_type": "LORA"' "adapter_config has peft_type"
like "$(cat a/adapter_config.json)" '"task_type": "CAUSAL_LM"' "adapter_config has task_type"
like "$(cat a/adapter_config.json)" '"base_model_name_or_path": "tiny"' "adapter_config names the base"
like "$(head -c 4000 a/adapter_model.safetensors | tr -d "\\000")" "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight" "PEFT tensor names"
# 36 training examples, 4 per batch, 2 epochs = 18 steps
is "$(grep -c '"loss"' a/train_log.jsonl)" 18 "one log line per step"
is "$(grep -c '"val_loss"' a/train_log.jsonl)" 4 "validation every 5 steps and at the end"
first=$(grep '"loss"' a/train_log.jsonl | head -1 | sed 's/.*"loss": \([0-9.]*\).*/\1/')
last=$(grep '"loss"' a/train_log.jsonl | tail -1 | sed 's/.*"loss": \([0-9.]*\).*/\1/')
ok "$(awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.2) }'; echo $?)" "loss falls ($first -> $last)"
like "$(cat a/loss.svg)" "<svg" "loss.svg is an SVG"
like "$(cat a/loss.svg)" "validation" "loss.svg has the validation curve"
like "$(cat a/loss.svg)" "optimizer step" "loss.svg has a labelled x axis"
like "$(cat a/checkpoint/trainer_state.json)" '"step": 18' "final checkpoint at the last step"

run train "${common[@]}" --out a2 --val-split 0.1 --eval-steps 5
cmp -s a/adapter_model.safetensors a2/adapter_model.safetensors
ok $? "same seed, same adapter, byte for byte"
run train "${common[@]}" --out a3 --val-split 0.1 --eval-steps 5 --seed 7
cmp -s a/adapter_model.safetensors a3/adapter_model.safetensors
ok "$([ $? = 1 ]; echo $?)" "another seed, another adapter"

# --resume: an uninterrupted reference run, then a crash and a Ctrl-C
run train "${common[@]}" --out ref --max-steps 14 --dropout 0.1
is "$rc" 0 "reference run"
{ WINNOW_TRAIN_KILL_AT=7 "$WINNOW" train "${common[@]}" --out crash --max-steps 14 --dropout 0.1; } 2>/dev/null
is "$?" 137 "the crash test run is killed after step 7"
like "$(cat crash/checkpoint/trainer_state.json)" '"step": 4' "the last checkpoint before the kill is step 4"
run train "${common[@]}" --out crash --max-steps 14 --dropout 0.1 --resume
is "$rc" 0 "resume after the kill"
like "$err" "resuming at step 4" "resume says where it starts"
cmp -s ref/adapter_model.safetensors crash/adapter_model.safetensors
ok $? "resumed run ends with the same weights"
is "$(grep '"loss"' crash/train_log.jsonl | sed 's/, "tokens_per_s.*//')" \
   "$(grep '"loss"' ref/train_log.jsonl | sed 's/, "tokens_per_s.*//')" "and logged the same losses"

WINNOW_TRAIN_SIGINT_AT=5 "$WINNOW" train "${common[@]}" --out intr --max-steps 14 --dropout 0.1 2>intr.err
is "$?" 75 "Ctrl-C exits 75"
like "$(cat intr.err)" "--resume" "and says how to continue"
like "$(cat intr/checkpoint/trainer_state.json)" '"step": 5' "Ctrl-C writes a checkpoint of the step it was in"
run train "${common[@]}" --out intr --max-steps 14 --dropout 0.1 --resume
is "$rc" 0 "resume after Ctrl-C"
cmp -s ref/adapter_model.safetensors intr/adapter_model.safetensors
ok $? "same weights as the uninterrupted run"

# --checkpointing recomputes each layer's activations (same dropout masks) in
# the backward pass: the same training, in less memory
run train "${common[@]}" --out ckpt_big --max-steps 1 --checkpointing --seq 1024 --batch 8
full_err=$err
run train "${common[@]}" --out ckpt --max-steps 14 --dropout 0.1 --checkpointing
is "$rc" 0 "--checkpointing trains"
cmp -s ref/adapter_model.safetensors ckpt/adapter_model.safetensors
ok $? "with the same weights as without it"
is "$(grep '"loss"' ckpt/train_log.jsonl | sed 's/, "tokens_per_s.*//')" \
   "$(grep '"loss"' ref/train_log.jsonl | sed 's/, "tokens_per_s.*//')" "and the same losses"
run train "${common[@]}" --out nockpt --max-steps 1 --seq 1024 --batch 8
mib() { sed -n 's/.*about \([0-9]*\) MiB of memory.*/\1/p' <<<"$1"; }
ok "$([ "$(mib "$full_err")" -lt "$(mib "$err")" ]; echo $?)" \
   "and its memory estimate is smaller ($(mib "$full_err") vs $(mib "$err") MiB)"

run train "${common[@]}" --out intr --max-steps 14 --dropout 0.1 --resume --rank 4
ok "$([ "$rc" != 0 ]; echo $?)" "resume with other options is refused"
like "$err" "cannot resume" "with a message"

run train "${common[@]}" --out packed --pack --max-steps 3
is "$rc" 0 "--pack trains"
is "$(grep -c '"loss"' packed/train_log.jsonl)" 3 "--max-steps stops early"

run train "${common[@]}" --out cut --seq 50 --max-steps 2
like "$err" "longer than --seq 50 tokens were cut" "truncation is counted"

printf '[{"instruction": "x", "output": "y"},\n {"instruction": "z", "output": 5}]\n' >bad.json
run train --base tiny --data bad.json --out bad
is "$rc" 65 "bad record: exit 65"
like "$err" "bad.json: record 2 (line 2): 'output' must be a string" "names file, record, line and field"

printf 'MemTotal: 100 kB\nMemAvailable: 6000 kB\n' >meminfo
WINNOW_MEMINFO=$PWD/meminfo run train "${common[@]}" --out small --seq 1024 --batch 64
is "$rc" 1 "refused when memory is short"
like "$err" "of memory is available" "says how much is needed and available"
ok "$([ ! -e small/adapter_model.safetensors ]; echo $?)" "and writes no adapter"

done_testing
