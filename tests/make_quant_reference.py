#!/usr/bin/env python3
"""make_quant_reference.py - reference blocks for winnow's --quant kernels
(tests/unit/test_quant.c), from the libraries users quantise with:

  - NF4 from bitsandbytes (bitsandbytes.functional.quantize_4bit /
    dequantize_4bit, blocksize 64, quant_type "nf4", on the CPU): the packed
    nibbles of the flattened weight, the absmax of every block, and the
    dequantised weight;
  - Q8_0 and Q4_0 from the gguf package (llama.cpp's own Python port of
    ggml-quants.c's reference quantisers): the raw blocks and their
    dequantised values.

The weight (4 x 192 float32) mixes normal values of several scales with the
edge cases: an all-zero block, a block with one non-zero value, a block
whose largest magnitude is negative, and values on the NF4 midpoints.
Floats are written as their uint32 bit patterns so nothing is rounded on
the way. Run:  $PYTHON tests/make_quant_reference.py  (needs torch,
bitsandbytes, gguf, numpy; see tests/conformance/requirements.txt).
"""
import importlib.metadata
import json
import os

import numpy as np
import torch
import bitsandbytes
import bitsandbytes.functional as bnbf
import gguf
from gguf.quants import quantize, dequantize

ROWS, COLS = 4, 192
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "quant", "reference.json")


def weight():
    g = np.random.default_rng(18)
    w = g.standard_normal((ROWS, COLS)).astype(np.float32)
    w[1] *= np.float32(0.02)
    w[2] *= np.float32(3.5)
    w[0, 64:128] = 0                      # an all-zero block
    w[1, 128:192] = 0
    w[1, 130] = np.float32(-0.75)         # one value, negative
    w[3, 0:32] = np.linspace(-1, 0.5, 32, dtype=np.float32)   # largest magnitude negative
    code = bitsandbytes.functional.get_4bit_type("nf4", device="cpu").float().numpy()
    mids = ((code[:-1] + code[1:]) / np.float32(2)).astype(np.float32)
    w[3, 64:79] = mids                    # absmax of this block is 1 (w[3, 79])
    w[3, 79] = 1
    w[3, 80:128] = np.clip(w[3, 80:128], -0.9, 0.9)
    return w


def bits(a):
    return [int(x) for x in np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).ravel()]


def main():
    w = weight()
    t = torch.from_numpy(w)
    packed, state = bnbf.quantize_4bit(t, blocksize=64, quant_type="nf4")
    deq = bnbf.dequantize_4bit(packed, state)
    q8 = quantize(w, gguf.GGMLQuantizationType.Q8_0)
    q4 = quantize(w, gguf.GGMLQuantizationType.Q4_0)
    ref = {
        "source": "bitsandbytes %s (nf4, blocksize 64, CPU), gguf %s (Q8_0, Q4_0)"
                  % (bitsandbytes.__version__, importlib.metadata.version("gguf")),
        "rows": ROWS, "cols": COLS,
        "weight": bits(w),
        "nf4_packed": [int(x) for x in packed.view(torch.uint8).flatten().tolist()],
        "nf4_absmax": bits(state.absmax.float().numpy()),
        "nf4_dequant": bits(deq.float().numpy()),
        "q8_blocks": [int(x) for x in np.asarray(q8).view(np.uint8).ravel()],
        "q8_dequant": bits(dequantize(q8, gguf.GGMLQuantizationType.Q8_0)),
        "q4_blocks": [int(x) for x in np.asarray(q4).view(np.uint8).ravel()],
        "q4_dequant": bits(dequantize(q4, gguf.GGMLQuantizationType.Q4_0)),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(ref, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
