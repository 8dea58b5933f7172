"""PEFT adapters, made by PEFT, scored by PEFT and transformers.

    $PYTHON hf_peft.py make MODEL_DIR ADAPTER_DIR TEMPLATE DATA.json RSLORA TARGETS
    $PYTHON hf_peft.py score MODEL_DIR [ADAPTER_DIR] TEMPLATE DATA.json

make: get_peft_model on the model (LoraConfig r=8, alpha=16, the given
targets, use_rslora as asked, random non-zero B so the adapter changes the
output) and save_pretrained; prints the loss PeftModel.from_pretrained gives
on DATA.json. score: the loss of MODEL_DIR (with the adapter through
PeftModel.from_pretrained when given), e.g. of what `winnow merge` wrote,
loaded by AutoModelForCausalLM.from_pretrained. Records are encoded as in
hf_models.py. Prints: LOSS TOKENS.
"""
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_models import encode, tokenizer_settings  # noqa: E402


def loss(model, model_dir, template, data_path):
    import json
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    settings = tokenizer_settings(tok, os.path.join(model_dir, "tokenizer_config.json"))
    total, count = 0.0, 0
    with torch.no_grad():
        for rec in json.load(open(data_path, encoding="utf-8")):
            ids, labels = encode(tok, template, rec, settings)
            logits = model(input_ids=torch.tensor([ids])).logits[0].double()
            target = torch.tensor(labels[1:])
            logp = torch.log_softmax(logits[:-1], dim=-1)
            mask = target != -100
            total -= logp[mask, target[mask]].sum().item()
            count += int(mask.sum())
    return total / count, count


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        model_dir, adapter_dir, template, data, rslora, targets = sys.argv[2:8]
        torch.manual_seed(1)
        base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=targets.split(","),
                         use_rslora=rslora == "1", init_lora_weights=False, task_type="CAUSAL_LM")
        peft_model = get_peft_model(base, cfg)
        peft_model.save_pretrained(adapter_dir)
        base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        model = PeftModel.from_pretrained(base, adapter_dir).eval()
    else:
        model_dir, rest = sys.argv[2], sys.argv[3:]
        adapter_dir = rest.pop(0) if len(rest) == 3 else None
        template, data = rest
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        if adapter_dir:
            model = PeftModel.from_pretrained(model, adapter_dir).eval()
    value, n = loss(model, model_dir, template, data)
    print(repr(value), n)


if __name__ == "__main__":
    main()
