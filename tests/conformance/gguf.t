#!/bin/bash
# gguf.t - `winnow merge --gguf` and `--gguf-lora` read back by the `gguf`
# package (llama.cpp's own reader): metadata, tensor names and shapes as
# llama.cpp names them, every value in f32, f16, bf16 and Q8_0, the
# tokenizer and chat template, llama3 and linear rope scaling, the llama
# architecture's q/k permutation and qwen2's absence of it; refusals for
# what llama.cpp would not run the same.
. "$(dirname "$0")/lib.sh"
MODELS="$FIXTURES/models"
gcheck() { "$PYTHON" "$CONF/gguf_check.py" "$@"; }

"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny 2>/dev/null
words=(apple banana cherry river mountain cloud stone light music winter)
{
	echo "["
	for i in $(seq 0 15); do
		sep=","; [ "$i" = 15 ] && sep=""
		printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}%s\n' \
			"${words[$((i % 10))]}" "${words[$(((i * 7 + 3) % 10))]}" \
			"${words[$((i % 10))]}" "${words[$(((i * 7 + 3) % 10))]}" "$sep"
	done
	echo "]"
} >train.json
"$WINNOW" train --base tiny --data train.json --out lora --epochs 1 --batch 4 --seq 64 --lr 2e-2 2>/dev/null
ok $? "a LoRA adapter on a tiny llama"
"$WINNOW" merge --base tiny --adapter lora --out merged 2>/dev/null
ok $? "merged as safetensors, the values to compare with"

for type in f32 f16 bf16 q8_0; do
	run merge --base tiny --adapter lora --gguf "gguf/tiny-$type.gguf" --type "$type"
	is "$rc" 0 "merge --gguf --type $type"
	msg=$(gcheck model "gguf/tiny-$type.gguf" merged "$type" 2>&1)
	is "$?" 0 "the gguf package reads the $type file and it equals the merged model${msg:+: $msg}"
done
[ -f gguf/Modelfile ] && grep -q '^FROM ./tiny-q8_0.gguf$' gguf/Modelfile && grep -q '<|im_start|>' gguf/Modelfile &&
	grep -q '^PARAMETER stop "<|im_end|>"$' gguf/Modelfile
ok $? "an Ollama Modelfile beside it: FROM the file, the ChatML template, its stop token"

run merge --base tiny --adapter lora --gguf-lora gguf/lora.gguf
is "$rc" 0 "merge --gguf-lora"
msg=$(gcheck lora gguf/lora.gguf lora tiny/config.json 2>&1)
is "$?" 0 "the adapter as llama.cpp LoRA tensors, B of q and k permuted, alpha / r = scale${msg:+: $msg}"

# qwen2 (tied, linear rope) and llama with llama3 rope and q/k/v biases, without an adapter
for m in qwen2_tied_linear llama_bias_llama3_tied; do
	mkdir -p "$m" && cp "$MODELS/$m/config.json" "$MODELS/$m/model.safetensors" tiny/tokenizer*.json "$m/"
	run merge --base "$m" --gguf "gguf/$m.gguf" --type f32
	is "$rc" 0 "the $m base alone converts"
	msg=$(gcheck model "gguf/$m.gguf" "$m" f32 2>&1)
	is "$?" 0 "and reads back equal${msg:+: $msg}"
done

# refusals
mkdir -p spm && cp "$MODELS/llama_gqa/config.json" "$MODELS/llama_gqa/model.safetensors" spm/ &&
	cp "$FIXTURES/tokenizers/llama2/tokenizer_config.json" spm/ &&
	xz -dc "$FIXTURES/tokenizers/llama2/tokenizer.json.xz" >spm/tokenizer.json
run merge --base spm --gguf gguf/spm.gguf
is "$rc" 1 "a SentencePiece-style tokenizer is refused"
like "$err" "byte-level BPE" "saying which tokenizers GGUF export supports"
[ ! -e gguf/spm.gguf ] && [ ! -e gguf/spm.gguf.tmp ]
ok $? "and leaves no file"
mkdir -p dyn && cp "$MODELS/mistral_window_dynamic/config.json" "$MODELS/mistral_window_dynamic/model.safetensors" \
	tiny/tokenizer*.json dyn/
run merge --base dyn --gguf gguf/dyn.gguf
is "$rc" 1 "dynamic rope scaling is refused"
like "$err" "dynamic" "naming it"
run merge --base tiny --out x
is "$rc" 2 "--out without --adapter is a usage error"

done_testing
