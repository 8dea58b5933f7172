#!/usr/bin/env python3
"""dedupe_rouge.py - instructions for bench/dedupe_rouge.sh.

  dedupe_rouge.py N OUT.jsonl

Bases are the first N/5 real instructions of $SFT_DATA (/work/shared/data/sft:
Stanford Alpaca in English and Chinese, CC BY-NC 4.0), each used once. To
reach N, random bases get reworded copies (seed 16): words (or Chinese
characters) dropped, inserted or swapped at a random strength, so some
copies score above ROUGE-L 0.7 against their base and some below. Outputs
are distinct ("answer N"), so only the instructions make duplicates.
"""
import json
import os
import random
import sys

DATA = os.environ.get("SFT_DATA", "/work/shared/data/sft")
FILLERS_EN = ["please", "briefly", "now", "carefully", "also", "in detail", "for me", "simply"]
FILLERS_ZH = list("请简要地再也详细")


def bases():
    bi = json.load(open(os.path.join(DATA, "alpaca-bilingual-5k.json"), encoding="utf-8"))
    zh = json.load(open(os.path.join(DATA, "alpaca-zh-part-01.json"), encoding="utf-8"))
    seen, out = set(), []
    for t in [r["en_instruction"] for r in bi] + [r["instruction"] for r in bi] + [r["instruction"] for r in zh]:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def reword(text, rng):
    zh = sum(1 for c in text if "\u4e00" <= c <= "\u9fff") * 3 > len(text)
    units = list(text) if zh else text.split()
    edits = max(1, int(len(units) * rng.choice([0.05, 0.1, 0.2, 0.35, 0.5])))
    for _ in range(edits):
        op = rng.random()
        if op < 0.4 and len(units) > 2:
            del units[rng.randrange(len(units))]
        elif op < 0.8:
            units.insert(rng.randrange(len(units) + 1), rng.choice(FILLERS_ZH if zh else FILLERS_EN))
        elif len(units) > 2:
            i = rng.randrange(len(units) - 1)
            units[i], units[i + 1] = units[i + 1], units[i]
    return ("" if zh else " ").join(units)


def main():
    n, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(16)
    base = bases()[:max(1, n // 5)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            text = base[i] if i < len(base) else reword(base[rng.randrange(len(base))], rng)
            f.write(json.dumps({"instruction": text, "input": "", "output": f"answer {i}"},
                               ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
