#!/bin/bash
# peft_adapters.t - LoRA adapters both ways with PEFT, on the SmolLM2 config
# model of hf_models.py: an adapter PEFT makes (get_peft_model +
# save_pretrained, rsLoRA on a subset of the projections) gives in `winnow
# eval` the loss PeftModel.from_pretrained gives; `winnow merge` of it loads
# in AutoModelForCausalLM.from_pretrained with that loss; and an adapter
# `winnow train` writes loads in PeftModel.from_pretrained with the loss
# `winnow eval --adapter` gives. All fp32, 1e-4 relative.
. "$(dirname "$0")/lib.sh"
DATA="$FIXTURES/conformance/eval_records.json"

close() { # close WINNOW_JSON_OR_LOSS WANT_LINE DESCRIPTION
	res=$("$PYTHON" -c '
import json, sys
a = sys.argv[1]
got = json.loads(a)[0]["loss"] if a.startswith("[") else float(a.split()[0])
want = float(sys.argv[2].split()[0])
rel = abs(got - want) / want
print(f"{got:.6f} vs {want:.6f}, rel. diff {rel:.1e}")
sys.exit(0 if rel <= 1e-4 else 1)' "$1" "$2" 2>&1)
	ok $? "$3: $res"
}

"$PYTHON" "$CONF/hf_models.py" "$T" "$FIXTURES/tokenizers" "$DATA" smollm2 >ref.txt 2>ref.err
ok $? "transformers builds the SmolLM2-config model" || tail -5 ref.err | sed 's/^/# /'
M="$T/smollm2"

peft=$("$PYTHON" "$CONF/hf_peft.py" make "$M" "$T/peft_ad" alpaca "$DATA" 1 q_proj,v_proj 2>peft.err)
ok $? "PEFT makes an rsLoRA adapter on q_proj and v_proj" || tail -5 peft.err | sed 's/^/# /'
close "$("$WINNOW" eval --base "$M" --adapter "$T/peft_ad" --data "$DATA" --template alpaca --json 2>/dev/null)" \
	"$peft" "winnow eval with PEFT's adapter gives PeftModel's loss"

run merge --base "$M" --adapter "$T/peft_ad" --out "$T/merged"
is "$rc" 0 "winnow merge folds PEFT's adapter in"
merged=$("$PYTHON" "$CONF/hf_peft.py" score "$T/merged" alpaca "$DATA" 2>merged.err)
ok $? "AutoModelForCausalLM loads the merged model" || tail -5 merged.err | sed 's/^/# /'
close "$merged" "$peft" "and gives PeftModel's loss"

"$WINNOW" train --base "$M" --data "$DATA" --out "$T/winnow_ad" --template alpaca --rank 4 --alpha 8 \
	--targets q_proj,k_proj,o_proj,down_proj --lr 0.05 --max-steps 3 --batch 3 >/dev/null 2>train.err
ok $? "winnow train writes an adapter" || tail -5 train.err | sed 's/^/# /'
ours=$("$WINNOW" eval --base "$M" --adapter "$T/winnow_ad" --data "$DATA" --template alpaca --json 2>/dev/null)
theirs=$("$PYTHON" "$CONF/hf_peft.py" score "$M" "$T/winnow_ad" alpaca "$DATA" 2>theirs.err)
ok $? "PeftModel.from_pretrained loads winnow's adapter" || tail -5 theirs.err | sed 's/^/# /'
close "$ours" "$theirs" "winnow eval --adapter gives PeftModel's loss"
base=$("$WINNOW" eval --base "$M" --data "$DATA" --template alpaca --json 2>/dev/null)
res=$("$PYTHON" -c 'import json,sys; print(abs(json.loads(sys.argv[1])[0]["loss"] - float(sys.argv[2].split()[0])) > 1e-3)' \
	"$base" "$theirs")
is "$res" True "(the adapter changes the loss, so the check above can fail)"
done_testing
