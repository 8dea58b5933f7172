#!/usr/bin/env python3
"""make_prompt_reference.py - PEFT reference logits for winnow's adapters
(tests/unit/test_prompt.c), on the fixture model tests/fixtures/models/llama_gqa:

  - adapters written by PEFT (get_peft_model + save_pretrained): a
    PROMPT_TUNING and a P_TUNING one (MLP encoder), which winnow must load;
  - adapters written by winnow (`winnow train --method prompt-tuning`,
    `--method p-tuning`, and a LoRA trained with `--quant nf4`), which PEFT
    loads (PeftModel.from_pretrained) over the unquantised fixture model.

For each adapter it stores in tests/fixtures/prompt/reference.json the
logits PEFT computes for a fixed list of token ids (for prompt learning,
the rows after the virtual tokens). winnow's logits for the same ids with
the same adapter must match them.

Run:  WINNOW=./winnow $PYTHON tests/make_prompt_reference.py
(needs torch, transformers, peft; see tests/conformance/requirements.txt)
"""
import json
import os
import shutil
import subprocess
import tempfile

import torch
import peft
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "fixtures", "models", "llama_gqa")
OUT = os.path.join(HERE, "fixtures", "prompt")
IDS = [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33]
WINNOW = os.environ.get("WINNOW", os.path.join(HERE, "..", "winnow"))


def base():
    return AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32).eval()


def logits_of(adapter_dir):
    m = peft.PeftModel.from_pretrained(base(), adapter_dir).eval()
    with torch.no_grad():
        out = m(input_ids=torch.tensor([IDS])).logits[0]
    return out[-len(IDS):].flatten().tolist()


def peft_written(name, config):
    torch.manual_seed(18)
    m = peft.get_peft_model(base(), config)
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    m.save_pretrained(d)
    os.remove(os.path.join(d, "README.md"))
    return d


def winnow_written(name, args):
    """Trains with winnow on a copy of the fixture model given a byte tokenizer."""
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model")
        shutil.copytree(MODEL, model)
        subprocess.run([WINNOW, "model", "init", "--preset", "tiny", "--byte-tokenizer", "--out",
                        os.path.join(tmp, "tok")], check=True, capture_output=True)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(tmp, "tok", f), model)
        data = os.path.join(tmp, "train.json")
        with open(data, "w") as f:
            json.dump([{"instruction": "Say %s." % w, "input": "", "output": w}
                       for w in ("apple", "river", "cloud", "stone", "music", "winter")], f)
        adapter = os.path.join(tmp, "adapter")
        subprocess.run([WINNOW, "train", "--base", model, "--data", data, "--out", adapter,
                        "--max-steps", "4", "--batch", "2", "--seq", "48", "--seed", "3"] + args,
                       check=True, capture_output=True)
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for f in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy(os.path.join(adapter, f), d)
    return d


def main():
    os.makedirs(OUT, exist_ok=True)
    adapters = {
        "peft_prompt_tuning": peft_written("peft_prompt_tuning", peft.PromptTuningConfig(
            task_type="CAUSAL_LM", num_virtual_tokens=5)),
        "peft_p_tuning": peft_written("peft_p_tuning", peft.PromptEncoderConfig(
            task_type="CAUSAL_LM", num_virtual_tokens=4, encoder_hidden_size=32)),
        "winnow_prompt_tuning": winnow_written("winnow_prompt_tuning",
                                               ["--method", "prompt-tuning", "--virtual-tokens", "6"]),
        "winnow_p_tuning": winnow_written("winnow_p_tuning", ["--method", "p-tuning", "--virtual-tokens", "3",
                                                              "--lr", "1e-2"]),
        "winnow_qlora_nf4": winnow_written("winnow_qlora_nf4", ["--quant", "nf4", "--lr", "5e-2",
                                                                "--dropout", "0"]),
    }
    ref = {"model": "llama_gqa", "ids": IDS,
           "source": "peft %s, transformers %s, torch %s" % (peft.__version__, __import__("transformers").__version__,
                                                             torch.__version__),
           "adapters": {name: logits_of(d) for name, d in adapters.items()}}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
