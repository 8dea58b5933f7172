#!/bin/bash
# llamacpp_check.sh - a GGUF written by `winnow merge --gguf` run by llama.cpp
# itself (through the llama-cpp-python package, built from its source here:
# about 25 minutes on 2 cores, so it is not part of `make test`): the test
# loss of a fine-tuned tiny model from llama.cpp's logits must equal
# `winnow eval`'s, and greedy replies must be the same (f32, f16); winnow's
# Q8_0 tensors must be byte-identical to llama.cpp's own quantizer's.
# (The llama-cpp-python 0.3.36 build here crashed running any Q8_0 model,
# its own quantizations included, so Q8_0 is compared byte for byte.)
#
#   bash tests/llamacpp_check.sh            (needs ./winnow; venv in build/llamacpp-venv)
set -eu
cd "$(dirname "$0")/.."
W=$PWD/winnow VENV=$PWD/build/llamacpp-venv T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q numpy==2.4.6 diskcache==5.6.3 jinja2==3.1.6 typing-extensions==4.15.0
	CMAKE_ARGS="-DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
		"$VENV/bin/pip" install -q --no-deps llama-cpp-python==0.3.36
fi
cd "$T"
"$W" model init --preset tiny --byte-tokenizer --out m 2>/dev/null
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
"$W" train --base m --data train.json --out lora --epochs 3 --batch 4 --lr 2e-2 --seq 64 --dropout 0 2>/dev/null
echo '[{"instruction": "Join apple and river.", "input": "", "output": "apple-river"}]' >one.json
fail=0
for type in f32 f16; do
	"$W" merge --base m --adapter lora --gguf "out/$type.gguf" --type "$type" 2>/dev/null
	loss=$("$W" eval --base m --adapter lora --data one.json --json 2>/dev/null |
		"$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["loss"])')
	reply=$("$W" chat --base m --adapter lora --max-tokens 16 "Join apple and river." 2>/dev/null)
	"$VENV/bin/python" - "out/$type.gguf" "$loss" "$reply" "$type" <<'PY' || fail=1
import sys
import numpy as np
from llama_cpp import Llama
path, want, reply, kind = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
llm = Llama(model_path=path, n_ctx=256, verbose=False, logits_all=True)
prompt = "<|im_start|>user\nJoin apple and river.<|im_end|>\n<|im_start|>assistant\n"
pt = llm.tokenize(prompt.encode(), add_bos=False, special=True)
at = llm.tokenize(b"apple-river<|im_end|>\n", add_bos=False, special=True)
llm.eval(pt + at)
scores = np.array(llm.scores[:len(pt) + len(at)], dtype=np.float64)
nll = [np.logaddexp.reduce(scores[len(pt) + i - 1]) - scores[len(pt) + i - 1][t] for i, t in enumerate(at)]
got = float(np.mean(nll))
llm.reset()
out = []
for t in llm.generate(pt, temp=0.0, top_k=1, repeat_penalty=1.0):
    if t == llm.token_eos() or len(out) >= 16:
        break
    out.append(t)
text = llm.detokenize(out).decode(errors="replace")
tol = {"f32": 1e-4, "f16": 1e-2}[kind]
ok = abs(got - want) <= tol * max(1.0, abs(want))
print("%s %s: llama.cpp loss %.6f, winnow %.6f; reply %r vs %r" % ("ok" if ok else "FAIL", kind, got, want, text, reply))
sys.exit(0 if ok and (kind != "f32" or text == reply) else 1)
PY
done
"$W" merge --base m --adapter lora --gguf out/q8_0.gguf --type q8_0 2>/dev/null
"$VENV/bin/pip" install -q gguf==0.19.0
"$VENV/bin/python" - <<'PY' || fail=1
import ctypes, sys
import llama_cpp
import numpy as np
from gguf import GGUFReader
p = llama_cpp.llama_model_quantize_default_params()
p.ftype = 7  # LLAMA_FTYPE_MOSTLY_Q8_0
assert llama_cpp.llama_model_quantize(b"out/f32.gguf", b"out/lc_q8_0.gguf", ctypes.byref(p)) == 0
ours = {t.name: t for t in GGUFReader("out/q8_0.gguf").tensors}
theirs = {t.name: t for t in GGUFReader("out/lc_q8_0.gguf").tensors}
bad = [n for n in theirs if n not in ours or ours[n].tensor_type != theirs[n].tensor_type
       or not np.array_equal(np.asarray(ours[n].data), np.asarray(theirs[n].data))]
print("%s q8_0: %d tensors, %d differ from llama.cpp's own quantization %s" %
      ("FAIL" if bad else "ok", len(theirs), len(bad), bad[:3]))
sys.exit(1 if bad else 0)
PY
exit $fail
