"""gguf_check.py - reads a GGUF file written by `winnow merge --gguf` (or
--gguf-lora) with the `gguf` package (llama.cpp's own Python reader) and
compares it with the Hugging Face folder it came from: metadata, tensor
names and shapes as llama.cpp names them, and every value.

  python gguf_check.py model GGUF HF_DIR TYPE     TYPE: f32, f16, bf16, q8_0
  python gguf_check.py lora GGUF ADAPTER_DIR CONFIG_JSON

Prints one line per failed check and exits 1 if any failed. The expected
values are computed here from the safetensors files with numpy, following
llama.cpp's convert_hf_to_gguf.py: q/k rows of the llama architecture
permuted per head, one-dimensional tensors in f32, Q8_0 blocks of 32 with
an f16 scale of max|x| / 127, llama3 rope factors in rope_freqs.weight.
"""
import glob
import json
import math
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import load_file

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def field(reader, key):
    f = reader.fields.get(key)
    return None if f is None else f.contents()


def hf_tensors(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        if os.path.basename(path).startswith("adapter_"):
            continue
        out.update({k: v.astype(np.float32) if v.dtype != np.float32 else v
                    for k, v in load_file(path).items()})
    return out


def bf16_round(x):
    """f32 -> bf16 -> f32 with round-to-nearest-even, as PyTorch does."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def permute(w, heads):
    """transformers' rotate-half rows -> llama.cpp's interleaved pairs."""
    shape = w.shape
    return w.reshape(heads, 2, shape[0] // heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight", "self_attn.o_proj.bias": "attn_output.bias",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.gate_proj.bias": "ffn_gate.bias",
    "mlp.up_proj.weight": "ffn_up.weight", "mlp.up_proj.bias": "ffn_up.bias",
    "mlp.down_proj.weight": "ffn_down.weight", "mlp.down_proj.bias": "ffn_down.bias",
}


def gguf_name(hf):
    top = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}
    if hf in top:
        return top[hf]
    parts = hf.split(".", 3)
    if parts[0] == "model" and parts[1] == "layers" and parts[3] in LAYER:
        return "blk.%s.%s" % (parts[2], LAYER[parts[3]])
    return None


def values(t):
    """A GGUF tensor's values as f32 in PyTorch's shape."""
    data = dequantize(t.data, t.tensor_type) if t.tensor_type.name in ("Q8_0", "BF16") else t.data
    return np.asarray(data, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)])


def check_tokenizer(r, folder, vocab_rows):
    tj = json.load(open(os.path.join(folder, "tokenizer.json")))
    tokens = field(r, "tokenizer.ggml.tokens")
    check(field(r, "tokenizer.ggml.model") == "gpt2", "tokenizer.ggml.model is gpt2")
    check(len(tokens) == vocab_rows, "as many tokens (%d) as embedding rows (%d)" % (len(tokens), vocab_rows))
    expect = {}
    for tok, i in tj["model"]["vocab"].items():
        expect[i] = tok
    for a in tj.get("added_tokens", []):
        expect[a["id"]] = a["content"]
    wrong = [i for i, tok in expect.items() if tokens[i] != tok]
    check(not wrong, "token strings by id equal tokenizer.json's (%d differ)" % len(wrong))
    types = field(r, "tokenizer.ggml.token_type")
    for a in tj.get("added_tokens", []):
        check(types[a["id"]] == (3 if a.get("special") else 4), "token type of added token %r" % a["content"])
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"].get("merges", [])]
    check(list(field(r, "tokenizer.ggml.merges") or []) == merges, "merges equal tokenizer.json's")
    cfg_path = os.path.join(folder, "tokenizer_config.json")
    if os.path.exists(cfg_path):
        tc = json.load(open(cfg_path))
        if tc.get("chat_template"):
            check(field(r, "tokenizer.chat_template") == tc["chat_template"], "chat template carried over")
        eos = tc.get("eos_token")
        eos = eos.get("content") if isinstance(eos, dict) else eos
        if eos in tj["model"]["vocab"] or any(a["content"] == eos for a in tj.get("added_tokens", [])):
            check(tokens[field(r, "tokenizer.ggml.eos_token_id")] == eos, "eos token id names %r" % eos)


def llama3_factors(cfg):
    rs = cfg.get("rope_parameters") or cfg["rope_scaling"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg.get("rope_theta", rs.get("rope_theta", 10000.0))
    factor, lo, hi = rs["factor"], rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
    old = rs.get("original_max_position_embeddings", 8192)
    lo_wl, hi_wl = old / lo, old / hi
    out = []
    for i in range(0, hd, 2):
        freq = 1.0 / (base ** (i / hd))
        wl = 2 * math.pi / freq
        if wl < hi_wl:
            out.append(1.0)
        elif wl > lo_wl:
            out.append(factor)
        else:
            smooth = (old / wl - lo) / (hi - lo)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def check_model(path, folder, kind):
    r = GGUFReader(path)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    arch = "qwen2" if cfg["model_type"] == "qwen2" else "llama"
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    check(field(r, "general.architecture") == arch, "architecture %s" % arch)
    check(field(r, "general.file_type") == {"f32": 0, "f16": 1, "q8_0": 7, "bf16": 32}[kind], "file type")
    for key, want in [("block_count", cfg["num_hidden_layers"]), ("embedding_length", cfg["hidden_size"]),
                      ("feed_forward_length", cfg["intermediate_size"]), ("attention.head_count", heads),
                      ("attention.head_count_kv", kv),
                      ("context_length", cfg["max_position_embeddings"])]:
        check(field(r, "%s.%s" % (arch, key)) == want, "%s.%s = %s" % (arch, key, want))
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}  # transformers 5 names it rope_parameters
    theta = cfg.get("rope_theta", rope.get("rope_theta", 10000.0))
    check(abs(field(r, arch + ".rope.freq_base") - theta) < 1e-3 * theta, "rope.freq_base")
    check(abs(field(r, arch + ".attention.layer_norm_rms_epsilon") - cfg["rms_norm_eps"]) < 1e-9, "rms eps")
    hf = hf_tensors(folder)
    got = {t.name: t for t in r.tensors}
    want_names = {gguf_name(k) for k in hf if gguf_name(k)}
    rs = rope
    if rs.get("rope_type", rs.get("type")) == "llama3":
        want_names.add("rope_freqs.weight")
        check(np.allclose(values(got["rope_freqs.weight"]), llama3_factors(cfg), rtol=1e-5),
              "rope_freqs.weight holds llama3's factors")
    if rs.get("rope_type", rs.get("type")) == "linear":
        check(field(r, arch + ".rope.scaling.type") == "linear", "linear rope scaling named")
        check(abs(field(r, arch + ".rope.scaling.factor") - rs["factor"]) < 1e-6, "linear rope factor")
    check(set(got) == want_names, "tensor names: extra %s, missing %s" %
          (sorted(set(got) - want_names), sorted(want_names - set(got))))
    for name, w in hf.items():
        g = gguf_name(name)
        if g not in got:
            continue
        if arch == "llama" and (".attn_q." in g or ".attn_k." in g):
            w = permute(w, heads if ".attn_q." in g else kv)
        t = got[g]
        v = values(t)
        check(list(v.shape) == list(w.shape), "%s shape %s, want %s" % (g, list(v.shape), list(w.shape)))
        if list(v.shape) != list(w.shape):
            continue
        if w.ndim == 1 or kind == "f32":
            want_type, ok = "F32", np.array_equal(v, w)
        elif kind == "f16":
            want_type, ok = "F16", np.array_equal(v, w.astype(np.float16).astype(np.float32))
        elif kind == "bf16":
            want_type, ok = "BF16", np.array_equal(v, bf16_round(w))
        elif w.shape[-1] % 32:
            # rows that are not whole Q8_0 blocks fall back to f16, as convert_hf_to_gguf.py does
            want_type, ok = "F16", np.array_equal(v, w.astype(np.float16).astype(np.float32))
        else:
            blocks = w.reshape(-1, 32)
            d = (np.abs(blocks).max(axis=1, keepdims=True) / 127).astype(np.float16).astype(np.float32)
            want_type = "Q8_0"
            ok = np.all(np.abs(v.reshape(-1, 32) - blocks) <= d * 0.5 + 1e-6 + np.abs(blocks) * 2e-3)
        check(t.tensor_type.name == want_type, "%s type %s, want %s" % (g, t.tensor_type.name, want_type))
        check(ok, "%s values equal the model's (%s)" % (g, kind))
    check_tokenizer(r, folder, cfg["vocab_size"])


def check_lora(path, adapter, config_json):
    r = GGUFReader(path)
    cfg = json.load(open(config_json))
    ac = json.load(open(os.path.join(adapter, "adapter_config.json")))
    rank, alpha = ac["r"], ac["lora_alpha"]
    scale = alpha / math.sqrt(rank) if ac.get("use_rslora") else alpha / rank
    arch = "qwen2" if cfg["model_type"] == "qwen2" else "llama"
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    check(field(r, "general.type") == "adapter" and field(r, "adapter.type") == "lora", "a LoRA adapter")
    check(field(r, "general.architecture") == arch, "adapter architecture %s" % arch)
    check(abs(field(r, "adapter.lora.alpha") / rank - scale) < 1e-6, "alpha / r is the adapter's scale")
    weights = load_file(os.path.join(adapter, "adapter_model.safetensors"))
    got = {t.name: t for t in r.tensors}
    seen = set()
    for name, w in weights.items():
        # base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight
        parts = name.split(".")
        layer, module, which = parts[4], ".".join(parts[5:7]), parts[7][-1].lower()
        g = "blk.%s.%s.lora_%s" % (layer, LAYER[module + ".weight"], which)
        seen.add(g)
        if g not in got:
            check(False, "%s missing" % g)
            continue
        w = w.astype(np.float32)
        if which == "b" and arch == "llama" and module in ("self_attn.q_proj", "self_attn.k_proj"):
            w = permute(w, heads if "q_proj" in module else kv)
        v = values(got[g])
        check(v.shape == w.shape and np.array_equal(v, w), "%s equals the adapter's tensor" % g)
    check(set(got) == seen, "no other tensors: %s" % sorted(set(got) - seen))


if __name__ == "__main__":
    if sys.argv[1] == "model":
        check_model(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        check_lora(sys.argv[2], sys.argv[3], sys.argv[4])
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)
