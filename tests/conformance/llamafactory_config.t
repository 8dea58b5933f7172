#!/bin/bash
# llamafactory_config.t - `winnow export --llamafactory-config FILE --base
# MODEL` writes a training YAML that LLaMA-Factory's own argument parser
# (get_train_args: HfArgumentParser and its checks) accepts, with the
# LoRA rank/alpha/dropout/targets, learning rate, epochs, batch and sequence
# length that `winnow train --help` gives as its defaults.
. "$(dirname "$0")/lib.sh"
LF="$FIXTURES/llamafactory"

"$WINNOW" import "$LF/alpaca_sft.json" >/dev/null 2>&1
"$WINNOW" import "$LF/alpaca_dpo.json" >/dev/null 2>&1
run export --stage raw --source alpaca_sft -o data/sft.json --split train=0.6,val=0.4 \
	--llamafactory-config sft.yaml --base Qwen/Qwen2.5-0.5B-Instruct
is "$rc" 0 "export --llamafactory-config succeeds"
run export --stage raw --source alpaca_dpo -o data/dpo.json --llamafactory-config dpo.yaml \
	--base models/tiny --template chatml
is "$rc" 0 "a preference-pair export with --template chatml too"
run export --stage raw -o data/x.json --llamafactory-config x.yaml
is "$rc" 2 "--llamafactory-config without --base is a usage error"
like "$err" "needs --base MODEL" "and says what is missing"

"$PYTHON" "$CONF/lf_config.py" sft.yaml dpo.yaml >"$T/cfg.jsonl" 2>"$T/cfg.err"
prc=$?
ok $prc "LLaMA-Factory's argument parser accepts both files"
[ $prc = 0 ] || tail -10 "$T/cfg.err" | sed 's/^/# /'

# winnow train's defaults, from its --help: "(default 8)" and so on
help=$("$WINNOW" train --help 2>&1)
default_of() { printf '%s\n' "$help" | grep -- "$1" | sed -n 's/.*(default \([^;)]*\).*/\1/p' | head -1; }
want=$("$PYTHON" -c '
import json, sys
d = dict(zip(["rank", "alpha", "dropout", "lr", "epochs", "batch", "seq", "targets"], sys.argv[1:]))
print(json.dumps({"lora_rank": int(d["rank"]), "lora_alpha": float(d["alpha"]), "lora_dropout": float(d["dropout"]),
    "learning_rate": float(d["lr"]), "num_train_epochs": float(d["epochs"]),
    "per_device_train_batch_size": int(d["batch"]), "cutoff_len": int(d["seq"]),
    "lora_target": d["targets"].replace("all: ", "").split(",")}, sort_keys=True))' \
	"$(default_of '--rank')" "$(default_of '--alpha')" "$(default_of '--dropout')" \
	"$(default_of '--lr')" "$(default_of '--epochs')" "$(default_of '--batch ')" \
	"$(default_of '--seq')" "$(default_of '--targets')")
got() { "$PYTHON" -c '
import json, sys
row = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])
keys = sys.argv[3].split(",")
print(json.dumps({k: (float(row[k]) if k in ("lora_alpha", "num_train_epochs") else row[k]) for k in keys}, sort_keys=True))' \
	"$T/cfg.jsonl" "$1" "$2"; }
keys=lora_rank,lora_alpha,lora_dropout,learning_rate,num_train_epochs,per_device_train_batch_size,cutoff_len,lora_target
is "$(got 0 $keys)" "$want" "LoRA rank/alpha/dropout/targets, lr, epochs, batch, seq are winnow train's defaults"
is "$(got 0 stage,finetuning_type,dataset,eval_dataset,template)" \
	'{"dataset": ["sft_train"], "eval_dataset": ["sft_val"], "finetuning_type": "lora", "stage": "sft", "template": null}' \
	"SFT on the train split, evaluated on val, the tokenizer's template (as winnow train's auto)"
is "$(got 0 dataset_dir)" "{\"dataset_dir\": \"$(cd data && pwd -P)\"}" "dataset_dir is the export's folder"
is "$(got 1 stage,dataset,template,model_name_or_path)" \
	'{"dataset": ["dpo"], "model_name_or_path": "models/tiny", "stage": "dpo", "template": "chatml"}' \
	"preference pairs train with stage dpo; --template and --base are passed on"
done_testing
