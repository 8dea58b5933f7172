#!/usr/bin/python3
"""train_torch.py - the PyTorch side of bench/train.sh: one LoRA training step
(r=8 on every projection, base frozen, loss on every token) of a Llama model
of the shape in CONFIG, batch B x T, timed over several steps, in fp32 or
with bf16 autocast. The model math is written here (RMSNorm, rotate-half
RoPE, GQA with a causal mask and an fp32 softmax, SiLU MLP,
tied lm_head), the same computation winnow trains.

    /usr/bin/python3 bench/train_torch.py CONFIG.json fp32|bf16 [B T STEPS]

Prints: tokens_per_s=..., step_s=..., peak_rss_mib=...
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F


def main():
    cfg = json.load(open(sys.argv[1]))
    mode = sys.argv[2]
    B, T, steps = (int(x) for x in sys.argv[3:6]) if len(sys.argv) > 5 else (4, 256, 4)
    torch.manual_seed(0)
    torch.set_num_threads(int(__import__("os").environ.get("BENCH_THREADS", "2")))
    D, Fd, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    H, KV, V = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]
    hd = cfg.get("head_dim") or D // H
    r, scale = 8, 16 / 8
    with torch.no_grad():
        emb = torch.randn(V, D) * 0.02
        layers = []
        for _ in range(L):
            w = {"q": torch.randn(H * hd, D) * 0.02, "k": torch.randn(KV * hd, D) * 0.02,
                 "v": torch.randn(KV * hd, D) * 0.02, "o": torch.randn(D, H * hd) * 0.02,
                 "g": torch.randn(Fd, D) * 0.02, "u": torch.randn(Fd, D) * 0.02,
                 "d": torch.randn(D, Fd) * 0.02, "n1": torch.ones(D), "n2": torch.ones(D)}
            layers.append(w)
        norm = torch.ones(D)
    lora = []
    for w in layers:
        ab = {}
        for k in "qkvogud":
            out_f, in_f = w[k].shape
            a = ((torch.rand(r, in_f) * 2 - 1) / math.sqrt(in_f)).requires_grad_(True)
            b = torch.zeros(out_f, r).requires_grad_(True)
            ab[k] = (a, b)
        lora.append(ab)
    params = [t for ab in lora for pair in ab.values() for t in pair]
    opt = torch.optim.AdamW(params, lr=1e-4)
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))
    freqs = torch.arange(T).float()[:, None] * inv[None, :]
    cos, sin = torch.cat((freqs, freqs), -1).cos(), torch.cat((freqs, freqs), -1).sin()
    eps = cfg.get("rms_norm_eps", 1e-5)
    mask = torch.full((T, T), float("-inf")).triu(1)

    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def lin(x, w, ab):
        a, b = ab
        return x @ w.t() + scale * ((x @ a.t()) @ b.t())

    def forward(ids):
        x = emb[ids]
        for w, ab in zip(layers, lora):
            h = rms(x, w["n1"])
            q = lin(h, w["q"], ab["q"]).view(B, T, H, hd).transpose(1, 2)
            k = lin(h, w["k"], ab["k"]).view(B, T, KV, hd).transpose(1, 2)
            v = lin(h, w["v"], ab["v"]).view(B, T, KV, hd).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            k = k.repeat_interleave(H // KV, 1)
            v = v.repeat_interleave(H // KV, 1)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
            att = torch.softmax(scores.float(), -1).to(v.dtype) @ v
            x = x + lin(att.transpose(1, 2).reshape(B, T, H * hd), w["o"], ab["o"])
            h = rms(x, w["n2"])
            x = x + lin(F.silu(lin(h, w["g"], ab["g"])) * lin(h, w["u"], ab["u"]), w["d"], ab["d"])
        return rms(x, norm) @ emb.t()

    ids = torch.randint(0, V, (B, T))
    times = []
    for s in range(steps):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
            logits = forward(ids)
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
    step = sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("tokens_per_s=%.1f step_s=%.3f peak_rss_mib=%.0f" % (B * T / step, step, rss))


if __name__ == "__main__":
    main()
