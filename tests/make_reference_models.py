#!/usr/bin/python3
"""make_reference_models.py - builds the tiny model fixtures in
tests/fixtures/models/ and the reference outputs the C tests compare with.

Each model is random, small, and stored as Hugging Face stores checkpoints
(config.json + model.safetensors, or shards with model.safetensors.index.json).
The forward pass below is written from transformers' documented semantics
(RMSNorm with eps inside the root, rotate-half RoPE, GQA by repeating key and
value heads, fp32 softmax, SiLU-gated MLP), independently of winnow's C code.

For every model it writes reference.safetensors (logits of fixed inputs, F32)
and reference.json (the inputs, a 32-token greedy continuation decoded with a
key/value cache as transformers' generate() does, the summed next-token
cross-entropy of the first input, and the tolerance).

Run with Debian's PyTorch:  apt-get install python3-torch
                            /usr/bin/python3 tests/make_reference_models.py
The suite itself only reads the committed outputs.
"""
import json
import math
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "models")
GREEDY_TOKENS = 32
MIN_GAP = 2e-3  # smallest top-1 / top-2 logit gap allowed along the greedy path

MODELS = [
    dict(name="llama_gqa", config=dict(
        model_type="llama", hidden_size=64, intermediate_size=160, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=320,
        max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
        hidden_act="silu", bos_token_id=1, eos_token_id=2)),
    dict(name="llama_bias_llama3_tied", config=dict(
        model_type="llama", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=1, head_dim=16, vocab_size=288,
        max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=500000.0,
        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                          high_freq_factor=4.0, original_max_position_embeddings=16),
        tie_word_embeddings=True, attention_bias=True, mlp_bias=True,
        hidden_act="silu", bos_token_id=1, eos_token_id=[2, 3])),
    dict(name="qwen2_tied_linear", config=dict(
        model_type="qwen2", hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=300,
        max_position_embeddings=256, rms_norm_eps=1e-6,
        rope_parameters=dict(rope_theta=1000000.0, rope_type="linear", factor=2.0),
        tie_word_embeddings=True, use_sliding_window=False, hidden_act="silu",
        eos_token_id=5)),
    dict(name="qwen2_bf16_sharded", bf16=True, shards=2, config=dict(
        model_type="qwen2", hidden_size=64, intermediate_size=176, num_hidden_layers=3,
        num_attention_heads=8, num_key_value_heads=2, vocab_size=272,
        max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=10000.0,
        tie_word_embeddings=False, use_sliding_window=False, hidden_act="silu",
        eos_token_id=5)),
    dict(name="llama_f16", f16=True, config=dict(
        model_type="llama", hidden_size=32, intermediate_size=88, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, vocab_size=264,
        max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, hidden_act="silu", bos_token_id=1, eos_token_id=2)),
    dict(name="mistral_window_dynamic", config=dict(
        model_type="mistral", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=260,
        max_position_embeddings=16, rms_norm_eps=1e-5, rope_theta=10000.0,
        rope_scaling=dict(type="dynamic", factor=2.0), sliding_window=8,
        tie_word_embeddings=False, hidden_act="silu", bos_token_id=1, eos_token_id=2)),
]


class Spec:
    """The numbers the forward pass needs, with transformers' defaults."""

    def __init__(self, c):
        self.arch = c["model_type"]
        self.D = c["hidden_size"]
        self.F = c["intermediate_size"]
        self.L = c["num_hidden_layers"]
        self.H = c["num_attention_heads"]
        self.KV = c.get("num_key_value_heads") or self.H
        self.hd = c.get("head_dim") or self.D // self.H
        self.V = c["vocab_size"]
        self.eps = c["rms_norm_eps"]
        self.max_pos = c["max_position_embeddings"]
        rope = c.get("rope_parameters") or c.get("rope_scaling") or {}
        self.theta = rope.get("rope_theta", c.get("rope_theta", 10000.0))
        self.rope = rope.get("rope_type", rope.get("type", "default"))
        self.rope_args = rope
        self.tied = c.get("tie_word_embeddings", False)
        if self.arch == "qwen2":
            self.qkv_bias, self.o_bias, self.mlp_bias = True, False, False
            self.window = c.get("sliding_window") if c.get("use_sliding_window") else None
        elif self.arch == "mistral":
            self.qkv_bias = self.o_bias = self.mlp_bias = False
            self.window = c.get("sliding_window")
        else:
            self.qkv_bias = self.o_bias = c.get("attention_bias", False)
            self.mlp_bias = c.get("mlp_bias", False)
            self.window = None


def inv_freq(s, seq_len):
    d = s.hd
    base = s.theta
    if s.rope == "dynamic" and seq_len > s.max_pos:
        f = s.rope_args["factor"]
        base = base * ((f * seq_len / s.max_pos) - (f - 1)) ** (d / (d - 2))
    inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    if s.rope == "linear":
        inv = inv / s.rope_args["factor"]
    elif s.rope == "llama3":
        a = s.rope_args
        factor, low, high = a["factor"], a["low_freq_factor"], a["high_freq_factor"]
        old = a["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        scaled = inv / factor
        smooth = (old / wavelen - low) / (high - low)
        blended = (1 - smooth) * scaled + smooth * inv
        out = torch.where(wavelen > old / low, scaled, inv)
        medium = (wavelen >= old / high) & (wavelen <= old / low)
        inv = torch.where(medium, blended, out)
    return inv


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def linear(x, p, name, bias):
    y = x @ p[name + ".weight"].t()
    if bias:
        y = y + p[name + ".bias"]
    return y


def forward(s, p, ids, cache):
    """ids: list of ints; cache: list of (k, v) per layer, each (KV, T, hd).
    Returns logits (n, V) and the extended cache."""
    n, pos0 = len(ids), cache[0][0].shape[1]
    x = p["model.embed_tokens.weight"][torch.tensor(ids)]
    pos = torch.arange(pos0, pos0 + n)
    freqs = pos.float()[:, None] * inv_freq(s, pos0 + n)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    kpos = torch.arange(0, pos0 + n)
    allowed = kpos[None, :] <= pos[:, None]
    if s.window:
        allowed &= kpos[None, :] > pos[:, None] - s.window
    new_cache = []
    for l in range(s.L):
        pre = "model.layers.%d." % l
        h = rmsnorm(x, p[pre + "input_layernorm.weight"], s.eps)
        q = linear(h, p, pre + "self_attn.q_proj", s.qkv_bias).view(n, s.H, s.hd).transpose(0, 1)
        k = linear(h, p, pre + "self_attn.k_proj", s.qkv_bias).view(n, s.KV, s.hd).transpose(0, 1)
        v = linear(h, p, pre + "self_attn.v_proj", s.qkv_bias).view(n, s.KV, s.hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        K = torch.cat((cache[l][0], k), dim=1)
        V = torch.cat((cache[l][1], v), dim=1)
        new_cache.append((K, V))
        rep = s.H // s.KV
        Kr = K.repeat_interleave(rep, dim=0)
        Vr = V.repeat_interleave(rep, dim=0)
        scores = (q @ Kr.transpose(-1, -2)) / math.sqrt(s.hd)
        scores = scores.masked_fill(~allowed, float("-inf"))
        att = torch.softmax(scores.float(), dim=-1) @ Vr
        att = att.transpose(0, 1).reshape(n, s.H * s.hd)
        x = x + linear(att, p, pre + "self_attn.o_proj", s.o_bias)
        h = rmsnorm(x, p[pre + "post_attention_layernorm.weight"], s.eps)
        g = linear(h, p, pre + "mlp.gate_proj", s.mlp_bias)
        u = linear(h, p, pre + "mlp.up_proj", s.mlp_bias)
        x = x + linear(torch.nn.functional.silu(g) * u, p, pre + "mlp.down_proj", s.mlp_bias)
    x = rmsnorm(x, p["model.norm.weight"], s.eps)
    head = p["model.embed_tokens.weight"] if s.tied else p["lm_head.weight"]
    return x @ head.t(), new_cache


def empty_cache(s):
    return [(torch.zeros(s.KV, 0, s.hd), torch.zeros(s.KV, 0, s.hd)) for _ in range(s.L)]


def make_params(s, gen):
    def randn(*shape, std=1.0):
        return torch.randn(*shape, generator=gen) * std

    def norm(n):
        return 1.0 + randn(n, std=0.1)

    p = {"model.embed_tokens.weight": randn(s.V, s.D), "model.norm.weight": norm(s.D)}
    qd, kvd = s.H * s.hd, s.KV * s.hd
    for l in range(s.L):
        pre = "model.layers.%d." % l
        p[pre + "input_layernorm.weight"] = norm(s.D)
        p[pre + "post_attention_layernorm.weight"] = norm(s.D)
        for name, rows, cols, bias in (("self_attn.q_proj", qd, s.D, s.qkv_bias),
                                       ("self_attn.k_proj", kvd, s.D, s.qkv_bias),
                                       ("self_attn.v_proj", kvd, s.D, s.qkv_bias),
                                       ("self_attn.o_proj", s.D, qd, s.o_bias),
                                       ("mlp.gate_proj", s.F, s.D, s.mlp_bias),
                                       ("mlp.up_proj", s.F, s.D, s.mlp_bias),
                                       ("mlp.down_proj", s.D, s.F, s.mlp_bias)):
            # q and k a little larger than usual so attention is far from uniform
            scale = 2.0 if name in ("self_attn.q_proj", "self_attn.k_proj") else 1.0
            p[pre + name + ".weight"] = randn(rows, cols, std=scale / math.sqrt(cols))
            if bias:
                p[pre + name + ".bias"] = randn(rows, std=0.1)
    if not s.tied:
        p["lm_head.weight"] = randn(s.V, s.D, std=1.0)
    return p


DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def write_safetensors(path, tensors):
    """tensors: dict name -> tensor (f32 or bf16). Header padded to 8 bytes."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = (t.view(torch.int16) if t.dtype != torch.float32 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def greedy(s, p, prompt):
    logits, cache = forward(s, p, prompt, empty_cache(s))
    out, gap = [], float("inf")
    last = logits[-1]
    for _ in range(GREEDY_TOKENS):
        top = torch.topk(last, 2).values
        gap = min(gap, float(top[0] - top[1]))
        tok = int(torch.argmax(last))
        out.append(tok)
        logits, cache = forward(s, p, [tok], cache)
        last = logits[-1]
    return out, gap


def build(model):
    s = Spec(model["config"])
    folder = os.path.join(OUT, model["name"])
    os.makedirs(folder, exist_ok=True)
    for seed in range(1, 200):
        gen = torch.Generator().manual_seed(seed * 7919 + len(model["name"]))
        p = make_params(s, gen)
        if model.get("bf16") or model.get("f16"):
            # the reference runs in fp32 on the same rounded weights
            half = torch.bfloat16 if model.get("bf16") else torch.float16
            p = {k: v.to(half).float() for k, v in p.items()}
        inputs = [torch.randint(0, s.V, (24,), generator=gen).tolist(),
                  torch.randint(0, s.V, (7,), generator=gen).tolist()]
        cont, gap = greedy(s, p, inputs[0])
        if gap >= MIN_GAP:
            break
    else:
        sys.exit("%s: no seed gives a clear greedy path" % model["name"])

    with torch.no_grad():
        logits = [forward(s, p, ids, empty_cache(s))[0] for ids in inputs]
        ids0 = torch.tensor(inputs[0])
        nll = float(torch.nn.functional.cross_entropy(logits[0][:-1].double(), ids0[1:],
                                                      reduction="sum"))

    for f in os.listdir(folder):
        if f.endswith(".safetensors") or f.endswith(".json"):
            os.remove(os.path.join(folder, f))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(model["config"], f, indent=2)
    half = torch.bfloat16 if model.get("bf16") else torch.float16 if model.get("f16") else None
    weights = {k: (v.to(half) if half else v) for k, v in p.items()}
    shards = model.get("shards", 1)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)
    else:
        names = sorted(weights)
        weight_map, total = {}, 0
        for i in range(shards):
            part = names[i::shards]
            fname = "model-%05d-of-%05d.safetensors" % (i + 1, shards)
            write_safetensors(os.path.join(folder, fname), {n: weights[n] for n in part})
            for n in part:
                weight_map[n] = fname
                total += weights[n].numel() * weights[n].element_size()
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    write_safetensors(os.path.join(folder, "reference.safetensors"),
                      {"logits.%d" % i: l.contiguous() for i, l in enumerate(logits)})
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump({"inputs": inputs, "greedy_prompt": 0, "greedy": cont, "min_gap": gap,
                   "nll_input0": nll, "nll_tokens": len(inputs[0]) - 1,
                   "tolerance": 2e-2 if half else 1e-4,
                   "seed": seed}, f, indent=1)
    print("%-26s seed %3d  min greedy gap %.4f  nll %.4f" % (model["name"], seed, gap, nll))


def main():
    torch.set_grad_enabled(False)
    for m in MODELS:
        build(m)


if __name__ == "__main__":
    main()
