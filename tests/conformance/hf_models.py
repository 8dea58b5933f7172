"""Random-weight models built by transformers from the public configs, and
their loss on Alpaca records as transformers computes it.

    $PYTHON hf_models.py OUT_DIR TOKENIZER_FIXTURES DATA.json [NAME,...]

For each architecture below, transformers builds the model from the public
config of the named checkpoint (every architecture setting kept: attention
heads and key/value heads, head size, biases, tied embeddings, RoPE theta and
scaling, sliding window, norm epsilon; cut to 2 layers, and the hidden and
MLP sizes of the larger ones cut with the head size and GQA ratio kept, so
the test stays fast), with random weights (seeded, init range 0.1 so the
layers matter), saves it with save_pretrained (fp32, or bf16 and sharded),
and a committed tokenizer fixture beside it. Then transformers
(AutoModelForCausalLM, fp32) computes the mean next-token cross-entropy over
all response tokens of DATA.json, each record encoded as LLaMA-Factory
encodes it for the template (each piece tokenised on its own by HF
tokenizers, response followed by the template's end token). Prints one line
per model: NAME TEMPLATE LOSS TOKENS.
"""
import json
import os
import shutil
import lzma
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM

ALPACA = ("Below is an instruction that describes a task. "
          "Write a response that appropriately completes the request.")
ALPACA_INPUT = ("Below is an instruction that describes a task, paired with an input that provides "
                "further context. Write a response that appropriately completes the request.")

MODELS = [
    # SmolLM2-135M: Llama, 9 heads / 3 key-value heads of 64, tied, theta 1e5
    dict(name="smollm2", tokenizer="llama2", template="alpaca", dtype="float32", shard=None, config=dict(
        model_type="llama", hidden_size=576, intermediate_size=1536, num_attention_heads=9,
        num_key_value_heads=3, vocab_size=49152, rope_theta=100000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=True, max_position_embeddings=8192, bos_token_id=1, eos_token_id=2)),
    # Qwen2.5-0.5B-Instruct: Qwen2, 14 heads / 2 of 64, q/k/v biases, tied, theta 1e6, eps 1e-6
    dict(name="qwen25", tokenizer="qwen3", template="chatml", dtype="bfloat16", shard="60MB", config=dict(
        model_type="qwen2", hidden_size=896, intermediate_size=4864, num_attention_heads=14,
        num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0, rms_norm_eps=1e-6,
        tie_word_embeddings=True, max_position_embeddings=32768, use_sliding_window=False,
        bos_token_id=151643, eos_token_id=151645)),
    # TinyLlama-1.1B: Llama, 32 heads / 4 of 64 (here 8 / 1), untied, theta 1e4
    dict(name="tinyllama", tokenizer="llama2", template="llama2", dtype="float32", shard=None, config=dict(
        model_type="llama", hidden_size=512, intermediate_size=1408, num_attention_heads=8,
        num_key_value_heads=1, vocab_size=32000, rope_theta=10000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=False, max_position_embeddings=2048, bos_token_id=1, eos_token_id=2)),
    # Mistral-7B-v0.1: 32 heads / 8 of 128 (here 4 / 1), sliding window (here 16 so it bites)
    dict(name="mistral", tokenizer="llama2", template="llama2", dtype="float32", shard=None, config=dict(
        model_type="mistral", hidden_size=512, intermediate_size=1792, num_attention_heads=4,
        num_key_value_heads=1, head_dim=128, vocab_size=32000, rope_theta=10000.0, rms_norm_eps=1e-5,
        sliding_window=16, tie_word_embeddings=False, max_position_embeddings=32768,
        bos_token_id=1, eos_token_id=2)),
    # Llama-3.2-1B: 32 heads / 8 of 64 (here 8 / 2), tied, theta 5e5, llama3 rope scaling
    dict(name="llama32", tokenizer="llama3", template="llama3", dtype="float32", shard=None, config=dict(
        model_type="llama", hidden_size=512, intermediate_size=2048, num_attention_heads=8,
        num_key_value_heads=2, head_dim=64, vocab_size=128256, rope_theta=500000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=True, max_position_embeddings=131072, bos_token_id=128000,
        eos_token_id=128001, rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0,
                                                high_freq_factor=4.0, original_max_position_embeddings=8192))),
]


def pieces(template, rec, tok_cfg):
    """[(text or id, is_response)] for one record, as LLaMA-Factory lays it out."""
    ins, inp, out, system = rec["instruction"], rec.get("input", ""), rec["output"], rec.get("system", "")
    user = ins + ("\n" + inp if inp and template != "alpaca" else "")
    bos, eos = tok_cfg["bos"], tok_cfg["eos"]
    if template == "alpaca":
        head = system or (ALPACA_INPUT if inp else ALPACA)
        prompt = head + "\n\n### Instruction:\n" + ins + "\n\n"
        if inp:
            prompt += "### Input:\n" + inp + "\n\n"
        prompt += "### Response:"
        first = [(bos, False)] if tok_cfg["add_bos"] else []
        return first + [(prompt, False), (out, True), (eos, True)]
    if template == "chatml":
        p = [("<|im_start|>system\n" + system + "<|im_end|>\n", False)] if system else []
        return p + [("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n", False),
                    (out, True), (tok_cfg["im_end"], True), ("\n", True)]
    if template == "llama3":
        p = [(bos, False)]
        if system:
            p.append(("<|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>", False))
        return p + [("<|start_header_id|>user<|end_header_id|>\n\n" + user + "<|eot_id|>"
                     "<|start_header_id|>assistant<|end_header_id|>\n\n", False),
                    (out, True), (tok_cfg["eot"], True)]
    # llama2
    sys_part = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" if system else ""
    return [(bos, False), ("[INST] " + sys_part + user + " [/INST]", False), (out, True), (eos, True)]


def encode(tok, template, rec, tok_cfg):
    ids, labels = [], []
    for piece, is_response in pieces(template, rec, tok_cfg):
        got = [piece] if isinstance(piece, int) else tok.encode(piece, add_special_tokens=False).ids
        ids += got
        labels += got if is_response else [-100] * len(got)
    return ids, labels


def tokenizer_settings(tok, cfg_path):
    cfg = json.load(open(cfg_path, encoding="utf-8"))
    def tid(s):
        return tok.token_to_id(s) if s else None
    def name(v):
        return v.get("content") if isinstance(v, dict) else v
    return {"bos": tid(name(cfg.get("bos_token"))), "eos": tid(name(cfg.get("eos_token"))),
            "add_bos": bool(cfg.get("add_bos_token", False)),
            "im_end": tid("<|im_end|>"), "eot": tid("<|eot_id|>")}


def main():
    out_dir, fixtures, data_path = sys.argv[1:4]
    only = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    records = json.load(open(data_path, encoding="utf-8"))
    torch.manual_seed(0)
    for m in MODELS:
        if only and m["name"] not in only:
            continue
        cfg = AutoConfig.for_model(**m["config"], num_hidden_layers=2, initializer_range=0.1)
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).eval()
        path = os.path.join(out_dir, m["name"])
        model.to(getattr(torch, m["dtype"])).save_pretrained(path, max_shard_size=m["shard"] or "10GB")
        tdir = os.path.join(fixtures, m["tokenizer"])
        with lzma.open(os.path.join(tdir, "tokenizer.json.xz")) as f, \
                open(os.path.join(path, "tokenizer.json"), "wb") as g:
            shutil.copyfileobj(f, g)
        shutil.copy(os.path.join(tdir, "tokenizer_config.json"), path)
        tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        settings = tokenizer_settings(tok, os.path.join(path, "tokenizer_config.json"))

        ref = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for rec in records:
                ids, labels = encode(tok, m["template"], rec, settings)
                logits = ref(torch.tensor([ids])).logits[0].double()
                target = torch.tensor(labels[1:])
                logp = torch.log_softmax(logits[:-1], dim=-1)
                mask = target != -100
                total -= logp[mask, target[mask]].sum().item()
                count += int(mask.sum())
        print(m["name"], m["template"], repr(total / count), count, flush=True)


if __name__ == "__main__":
    main()
