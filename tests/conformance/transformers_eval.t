#!/bin/bash
# transformers_eval.t - `winnow eval` loss equals transformers' on the same
# records and template (fp32, 1e-4 relative) for random-weight models that
# transformers builds from the public configs of SmolLM2-135M,
# Qwen2.5-0.5B-Instruct (bf16, sharded), TinyLlama-1.1B, Mistral-7B (sliding
# window) and Llama-3.2-1B (llama3 rope scaling), cut to 2 layers and saved
# with save_pretrained (see hf_models.py for what is kept of each config).
. "$(dirname "$0")/lib.sh"
DATA="$FIXTURES/conformance/eval_records.json"

"$PYTHON" "$CONF/hf_models.py" "$T" "$FIXTURES/tokenizers" "$DATA" >ref.txt 2>ref.err
prc=$?
ok $prc "transformers builds, saves and scores the five models"
[ $prc = 0 ] || tail -10 ref.err | sed 's/^/# /'
is "$(wc -l <ref.txt | tr -d ' ')" 5 "five reference losses"

while read -r name template loss tokens; do
	got=$("$WINNOW" eval --base "$T/$name" --data "$DATA" --template "$template" --json 2>/dev/null)
	res=$("$PYTHON" -c '
import json, sys
row = json.loads(sys.argv[1])[0]
want, n = float(sys.argv[2]), int(sys.argv[3])
got, got_n = row["loss"], row["tokens"]
rel = abs(got - want) / want
print(f"winnow {got:.6f} over {got_n} tokens, transformers {want:.6f} over {n}, rel. diff {rel:.1e}")
sys.exit(0 if rel <= 1e-4 and got_n == n else 1)' "$got" "$loss" "$tokens" 2>&1)
	ok $? "$name ($template): $res"
done <ref.txt
done_testing
