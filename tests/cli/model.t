#!/bin/bash
# model.t - `winnow model init`, `eval` and `chat` end to end on tiny random
# models, and the errors users meet: unsupported model types, missing or
# truncated weights, a tokenizer that does not fit, not enough memory.
. "$(dirname "$0")/lib.sh"

# zero_norm DIR: sets model.norm.weight to zeros, so every logit is exactly 0
# whatever the input (a model with known outputs, built without PyTorch).
zero_norm() {
	python3 - "$1/model.safetensors" <<'EOF'
import json, struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", data[:8])[0]
head = json.loads(data[8:8 + n])
b, e = head["model.norm.weight"]["data_offsets"]
data[8 + n + b:8 + n + e] = bytes(e - b)
open(path, "wb").write(data)
EOF
}

# ---- model init ----
run model init --preset tiny --byte-tokenizer --out m
is "$rc" 0 "model init writes a tiny model"
for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do
	[ -s "m/$f" ]; ok $? "model init writes $f"
done
like "$(cat m/config.json)" '"model_type": "llama"' "config.json names the model type"
like "$(cat m/config.json)" '"vocab_size": 320' "the vocabulary is the tokenizer's 259 tokens rounded up to 64"
like "$err" "tiny" "the summary names the preset"

run model init --preset tiny --byte-tokenizer --out m
is "$rc" 1 "model init refuses a folder that holds a model"
like "$err" "already holds a model" "and says why"

run model init --preset tiny --out m3
is "$rc" 2 "model init without a tokenizer is a usage error"
like "$err" "--byte-tokenizer" "the message names the choices"

run model init --preset huge --byte-tokenizer --out m3
is "$rc" 2 "an unknown preset is a usage error"

run model init --preset tiny --tokenizer m --out m2 --seed 3
is "$rc" 0 "model init can copy a tokenizer from a model folder"
cmp -s m/tokenizer.json m2/tokenizer.json; ok $? "the tokenizer is copied unchanged"
cmp -s m/model.safetensors m2/model.safetensors; [ $? = 1 ]; ok $? "another seed gives other weights"

run model init --preset tiny --byte-tokenizer --out m4 --dtype bf16
is "$rc" 0 "model init writes bf16 weights"
like "$(head -c 400 m4/model.safetensors | tr -d '\000')" '"BF16"' "the tensors are stored as BF16"

# ---- chat ----
# replies of random byte-level models hold any byte, NUL included: compare hex dumps
chat_hex() { "$WINNOW" chat "$@" 2>"$T/.err" | od -An -tx1; }
first=$(chat_hex --base m -n 12 "Name three colours.")
[ -n "$first" ]; ok $? "chat answers a one-shot prompt"
is "$(chat_hex --base m -n 12 "Name three colours.")" "$first" "greedy decoding is repeatable"
a=$(chat_hex --base m -n 12 --temperature 1 --seed 5 "Name three colours.")
is "$(chat_hex --base m -n 12 --temperature 1 --seed 5 "Name three colours.")" "$a" \
	"sampling with the same seed is repeatable"
b=$(chat_hex --base m -n 12 --temperature 1 --seed 6 "Name three colours.")
[ "$a" != "$b" ]; ok $? "another seed samples another reply"

chat_hex --base m -n 7 -v "hi" >/dev/null
like "$(cat "$T/.err")" "reply 7 tokens" "--max-tokens bounds the reply"

printf 'first question\n\n/reset\nsecond question\n' >turns.txt
"$WINNOW" chat --base m -n 4 -v <turns.txt >chat.out 2>chat.err
is "$?" 0 "interactive chat reads turns from stdin"
is "$(grep -c 'reply' chat.err)" 2 "one reply per non-empty line"

cp -r m z
zero_norm z
# all logits are 0: greedy picks token 0 (byte 0x00 under the byte tokenizer)
sed -i 's/"eos_token_id": [0-9]*/"eos_token_id": 0/' z/config.json
chat_hex --base z -n 5 -v "hello" >/dev/null
like "$(cat "$T/.err")" "reply 0 tokens" "chat stops at config.json's eos_token_id"
sed -i 's/"eos_token_id": [0-9]*/"eos_token_id": 258/' z/config.json
is "$(chat_hex --base z -n 5 -v "hello")" " 00 00 00 00 00 0a" "without that eos it runs to --max-tokens"
echo '{"eos_token_id": [7, 0]}' >z/generation_config.json
chat_hex --base z -n 5 -v "hello" >/dev/null
like "$(cat "$T/.err")" "reply 0 tokens" "chat stops at generation_config.json's eos_token_id"
rm z/generation_config.json

# A model whose greedy choice is always <|im_start|> or <|endoftext|>: the final
# norm keeps hidden dimension 0 only, and only those two embeddings have a
# (positive, negative) value there. Both are ChatML stop strings, not eos here.
cp -r m s
python3 - s/model.safetensors <<'EOF2'
import json, struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", data[:8])[0]
head = json.loads(data[8:8 + n])
base = 8 + n
b, e = head["model.norm.weight"]["data_offsets"]
data[base + b:base + e] = struct.pack("<f", 1.0) + bytes(e - b - 4)
b, e = head["model.embed_tokens.weight"]["data_offsets"]
rows, cols = head["model.embed_tokens.weight"]["shape"]
for r in range(rows):
    v = {257: 1.0, 256: -1.0}.get(r, 0.0)
    data[base + b + 4 * r * cols:base + b + 4 * r * cols + 4] = struct.pack("<f", v)
open(path, "wb").write(data)
EOF2
sed -i 's/"eos_token_id": [0-9]*/"eos_token_id": 1/' s/config.json
chat_hex --base s -n 5 -v "hello" >/dev/null
like "$(cat "$T/.err")" "reply 0 tokens" "chat stops at the template's stop strings"
chat_hex --base s -n 5 -v --template alpaca "hello" >/dev/null
like "$(cat "$T/.err")" "reply 5 tokens" "which belong to the template: Alpaca's differ"

# ---- eval ----
cat >test.json <<'EOF'
[
 {"instruction": "Add 2 and 3.", "input": "", "output": "5"},
 {"instruction": "Translate to French", "input": "good morning", "output": "bonjour"},
 {"instruction": "Say hi", "output": "hi", "system": "Be brief.", "history": [["hello", "hello!"]]}
]
EOF
run eval --base z --data test.json --json
is "$rc" 0 "eval scores a model"
# every logit is 0, so each token's loss is ln(320) exactly
loss=$(printf '%s' "$out" | python3 -c 'import json,sys; print("%.5f" % json.load(sys.stdin)[0]["loss"])')
is "$loss" "$(python3 -c 'import math; print("%.5f" % math.log(320))')" "a uniform model's loss is ln(vocab)"
tokens=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["tokens"])')
# ChatML as LLaMA-Factory writes it: every assistant turn, history included, is
# its content then "<|im_end|>" "\n"; "5", "bonjour", "hi", "hello!" are 1+7+2+6 bytes
is "$tokens" 24 "the loss counts every response token and each end token"

run eval --base m --base z --data test.json
is "$rc" 0 "eval compares several models"
is "$(printf '%s\n' "$out" | grep -c '^[mz] ')" 2 "one row per model"
like "$out" "perplexity" "the table has a perplexity column"

echo '[{"instruction": 5, "output": "x"}]' >bad.json
run eval --base m --data bad.json
is "$rc" 65 "a bad record is a data error"
like "$err" "bad.json: record 1" "the message names the file and record"
like "$err" "instruction" "and the field"

run eval --base m
is "$rc" 2 "eval without --data is a usage error"

# ---- errors users meet ----
cp -r m bad_type
sed -i 's/"model_type": "llama"/"model_type": "gpt_neox"/' bad_type/config.json
run chat --base bad_type "hi"
is "$rc" 1 "an unsupported model type fails"
like "$err" "gpt_neox" "the message names the type"
like "$err" "llama, qwen2, mistral" "and lists the supported ones"

mkdir nothing
cp m/tokenizer.json m/tokenizer_config.json nothing/
run chat --base nothing "hi"
is "$rc" 1 "a folder without config.json fails"
like "$err" "config.json" "the message names the missing file"
cp m/config.json nothing/
run eval --base nothing --data test.json
is "$rc" 1 "a folder without weights fails"
like "$err" "model.safetensors" "the message names the missing weights"

cp -r m trunc
size=$(stat -c %s trunc/model.safetensors)
truncate -s $((size - 100)) trunc/model.safetensors
run chat --base trunc "hi"
is "$rc" 1 "truncated weights are refused"
like "$err" "truncated" "the message says the file is truncated"

if [ -f "$FIXTURES/tokenizers/qwen3/tokenizer.json.xz" ]; then
	cp -r m big_tok
	xz -dc "$FIXTURES/tokenizers/qwen3/tokenizer.json.xz" >big_tok/tokenizer.json
	run chat --base big_tok "hi"
	is "$rc" 1 "a tokenizer larger than the embeddings is refused"
	like "$err" "does not belong to this model" "the message says the tokenizer does not fit"
fi

printf 'MemTotal: 1000 kB\nMemAvailable: 100 kB\n' >meminfo
WINNOW_MEMINFO=$T/meminfo run chat --base m "hi"
is "$rc" 1 "a model larger than the available memory is refused before loading"
like "$err" "memory is available" "the message says memory is short"

run chat --help
is "$rc" 0 "chat --help"
like "$out" "--top-p" "chat --help lists the sampling options"
run help eval
like "$out" "--base" "help eval lists its options"

done_testing
