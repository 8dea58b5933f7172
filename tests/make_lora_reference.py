#!/usr/bin/python3
"""make_lora_reference.py - reference values for winnow's LoRA and full
training (tests/unit/test_lora.c, test_train_adamw.c), computed with PyTorch
autograd in float64 on the tiny models of tests/fixtures/models/.

For a fixed batch of segments (examples packed one after another, positions
restarting at 0 in each, attention kept inside each one) it writes:
  - the LoRA A/B used (A uniform in +-1/sqrt(in) as PEFT initialises it, B
    random so that every gradient is non-zero), the mean cross-entropy over
    labelled tokens (labels shifted as transformers shifts them) and the
    gradient of every A and B;
  - with full=True, the gradient of every weight of the model;
  - with adam=True, the A/B after 20 AdamW steps (PyTorch's AdamW, betas
    0.9/0.999, weight decay, transformers' cosine schedule with warmup,
    gradient clipping, two micro-batches accumulated per step), starting
    from B = 0 as PEFT does.

The forward pass is written here from transformers' documented semantics
(RMSNorm with eps inside the root, rotate-half RoPE, GQA by repeating key
and value heads, SiLU-gated MLP); RoPE frequencies and the config defaults
come from make_reference_models.py. PEFT's LoRA: y = W x + (alpha/r) B A x.

Run with Debian's PyTorch:  /usr/bin/python3 tests/make_lora_reference.py
"""
import json
import math
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference_models import Spec, inv_freq, write_safetensors  # noqa: E402

MODELS_DIR = os.path.join(HERE, "fixtures", "models")
OUT = os.path.join(HERE, "fixtures", "lora")
MODULES = [("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"),
           ("self_attn", "o_proj"), ("mlp", "gate_proj"), ("mlp", "up_proj"),
           ("mlp", "down_proj")]

CASES = [
    dict(name="llama_gqa", model="llama_gqa", rank=4, alpha=8, adam=True, full=False),
    dict(name="qwen2_tied_linear", model="qwen2_tied_linear", rank=2, alpha=16, adam=False,
         full=True),
    dict(name="llama_bias_llama3_tied", model="llama_bias_llama3_tied", rank=3, alpha=6,
         adam=False, full=True),
    dict(name="qwen2_bf16_sharded", model="qwen2_bf16_sharded", rank=4, alpha=4, adam=False,
         full=False),
]

ADAM = dict(steps=20, lr=3e-3, warmup=3, weight_decay=0.01, max_grad_norm=1.0)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = bytearray(raw[base + a:base + b])
        if info["dtype"] == "F32":
            t = torch.frombuffer(buf, dtype=torch.float32)
        elif info["dtype"] == "BF16":
            t = torch.frombuffer(buf, dtype=torch.bfloat16).float()
        else:
            t = torch.frombuffer(buf, dtype=torch.float16).float()
        out[name] = t.reshape(info["shape"]).double().clone()
    return out


def load_model(name):
    folder = os.path.join(MODELS_DIR, name)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    p = {}
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".safetensors") and not fn.startswith("reference"):
            p.update(read_safetensors(os.path.join(folder, fn)))
    return Spec(config), p


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def proj(x, p, lora, scale, l, parent, mod, bias):
    pre = "model.layers.%d.%s.%s" % (l, parent, mod)
    y = x @ p[pre + ".weight"].t()
    if bias:
        y = y + p[pre + ".bias"]
    key = (l, mod)
    if key in lora:
        a, b = lora[key]
        y = y + scale * ((x @ a.t()) @ b.t())
    return y


def segment_logits(s, p, lora, scale, ids):
    """Logits (n, V) of one segment at positions 0..n-1."""
    n = len(ids)
    x = p["model.embed_tokens.weight"][torch.tensor(ids)]
    pos = torch.arange(n)
    freqs = pos.double()[:, None] * inv_freq(s, n).double()[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    allowed = pos[None, :] <= pos[:, None]
    if s.window:
        allowed &= pos[None, :] > pos[:, None] - s.window
    for l in range(s.L):
        pre = "model.layers.%d." % l
        h = rmsnorm(x, p[pre + "input_layernorm.weight"], s.eps)
        q = proj(h, p, lora, scale, l, "self_attn", "q_proj", s.qkv_bias)
        k = proj(h, p, lora, scale, l, "self_attn", "k_proj", s.qkv_bias)
        v = proj(h, p, lora, scale, l, "self_attn", "v_proj", s.qkv_bias)
        q = q.view(n, s.H, s.hd).transpose(0, 1)
        k = k.view(n, s.KV, s.hd).transpose(0, 1)
        v = v.view(n, s.KV, s.hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = s.H // s.KV
        kr = k.repeat_interleave(rep, dim=0)
        vr = v.repeat_interleave(rep, dim=0)
        scores = (q @ kr.transpose(-1, -2)) / math.sqrt(s.hd)
        scores = scores.masked_fill(~allowed, float("-inf"))
        att = (torch.softmax(scores, dim=-1) @ vr).transpose(0, 1).reshape(n, s.H * s.hd)
        x = x + proj(att, p, lora, scale, l, "self_attn", "o_proj", s.o_bias)
        h = rmsnorm(x, p[pre + "post_attention_layernorm.weight"], s.eps)
        g = proj(h, p, lora, scale, l, "mlp", "gate_proj", s.mlp_bias)
        u = proj(h, p, lora, scale, l, "mlp", "up_proj", s.mlp_bias)
        x = x + proj(torch.nn.functional.silu(g) * u, p, lora, scale, l, "mlp", "down_proj",
                     s.mlp_bias)
    x = rmsnorm(x, p["model.norm.weight"], s.eps)
    head = p["model.embed_tokens.weight"] if s.tied else p["lm_head.weight"]
    return x @ head.t()


def batch_nll(s, p, lora, scale, batch):
    """Summed NLL over labelled tokens of every segment, and their count."""
    total, count = 0.0, 0
    for ids, labels in batch:
        logits = segment_logits(s, p, lora, scale, ids)
        tgt = torch.tensor(labels[1:])
        total = total + torch.nn.functional.cross_entropy(logits[:-1], tgt, ignore_index=-100,
                                                          reduction="sum")
        count += int((tgt != -100).sum())
    return total, count


def make_batch(s, gen, lengths, prompts):
    batch = []
    for n, k in zip(lengths, prompts):
        ids = torch.randint(0, s.V, (n,), generator=gen).tolist()
        labels = [-100] * k + ids[k:]
        batch.append((ids, labels))
    return batch


def init_lora(s, rank, gen, b_std):
    lora = {}
    qd, kvd = s.H * s.hd, s.KV * s.hd
    dims = {"q_proj": (s.D, qd), "k_proj": (s.D, kvd), "v_proj": (s.D, kvd),
            "o_proj": (qd, s.D), "gate_proj": (s.D, s.F), "up_proj": (s.D, s.F),
            "down_proj": (s.F, s.D)}
    for l in range(s.L):
        for _, mod in MODULES:
            fin, fout = dims[mod]
            bound = 1.0 / math.sqrt(fin)
            a = (torch.rand(rank, fin, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            b = torch.randn(fout, rank, generator=gen, dtype=torch.float64) * b_std
            lora[(l, mod)] = (a, b)
    return lora


def lora_tensors(lora, prefix):
    out = {}
    for (l, mod), (a, b) in lora.items():
        out["%s.%d.%s.A" % (prefix, l, mod)] = a.float().contiguous()
        out["%s.%d.%s.B" % (prefix, l, mod)] = b.float().contiguous()
    return out


def cosine_lambda(step):
    w, total = ADAM["warmup"], ADAM["steps"]
    if step < w:
        return step / max(1, w)
    progress = (step - w) / max(1, total - w)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def build(case):
    s, p = load_model(case["model"])
    gen = torch.Generator().manual_seed(1234 + len(case["name"]))
    rank, alpha = case["rank"], case["alpha"]
    scale = alpha / rank
    batch = make_batch(s, gen, [9, 14, 6], [3, 5, 0])
    lora = init_lora(s, rank, gen, 0.2)
    tensors = lora_tensors(lora, "lora")

    leaves = []
    for a, b in lora.values():
        a.requires_grad_(True)
        b.requires_grad_(True)
        leaves += [a, b]
    nll, count = batch_nll(s, p, lora, scale, batch)
    loss = nll / count
    loss.backward()
    for (l, mod), (a, b) in lora.items():
        tensors["grad.%d.%s.A" % (l, mod)] = a.grad.float().contiguous()
        tensors["grad.%d.%s.B" % (l, mod)] = b.grad.float().contiguous()
    info = dict(model=case["model"], rank=rank, alpha=alpha, loss=float(loss),
                nll=float(nll), targets=count,
                batch=[dict(ids=i, labels=lb) for i, lb in batch])

    if case["full"]:
        full = {k: v.clone().requires_grad_(True) for k, v in p.items()}
        nll_f, _ = batch_nll(s, full, {}, scale, batch)
        (nll_f / count).backward()
        info["loss_full"] = float(nll_f / count)
        for k, v in full.items():
            tensors["full." + k] = v.grad.float().contiguous()

    if case["adam"]:
        gen2 = torch.Generator().manual_seed(99)
        micro = [make_batch(s, gen2, [11, 7], [4, 2]), make_batch(s, gen2, [13], [6])]
        lora2 = init_lora(s, rank, gen2, 0.0)
        tensors.update(lora_tensors(lora2, "adam_init"))
        params = []
        for a, b in lora2.values():
            params += [a.requires_grad_(True), b.requires_grad_(True)]
        opt = torch.optim.AdamW(params, lr=ADAM["lr"], betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=ADAM["weight_decay"])
        sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_lambda)
        total = sum(batch_nll(s, p, {}, scale, mb)[1] for mb in micro)
        losses = []
        for _ in range(ADAM["steps"]):
            step_nll = 0.0
            for mb in micro:
                nll_m, _ = batch_nll(s, p, lora2, scale, mb)
                (nll_m / total).backward()
                step_nll += float(nll_m)
            losses.append(step_nll / total)
            torch.nn.utils.clip_grad_norm_(params, ADAM["max_grad_norm"])
            opt.step()
            sched.step()
            opt.zero_grad()
        tensors.update(lora_tensors({k: (a.detach(), b.detach()) for k, (a, b) in lora2.items()},
                                    "adam_final"))
        info["adam"] = dict(ADAM, losses=losses, targets=total,
                            micro=[[dict(ids=i, labels=lb) for i, lb in mb] for mb in micro])

    folder = os.path.join(OUT, case["name"])
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "reference.safetensors"), tensors)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("%-24s loss %.6f over %d tokens%s" % (case["name"], float(loss), count,
                                                 "  adam final loss %.6f" % info["adam"]["losses"][-1]
                                                 if case["adam"] else ""))


def main():
    torch.manual_seed(0)
    for c in CASES:
        build(c)


if __name__ == "__main__":
    main()
