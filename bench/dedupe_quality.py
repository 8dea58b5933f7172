#!/usr/bin/env python3
"""dedupe_quality.py - the labelled near-duplicate set for bench/dedupe.sh.

  dedupe_quality.py make OUT.jsonl LABELS.json   build the set
  dedupe_quality.py score CORPUS LABELS.json      score a deduplicated corpus

Bases are paragraphs (200-1500 characters) of the real pages' gold text in
/work/shared/data/extraction (WCXB dev and the Scrapinghub article
benchmark). Each base gets three variants made with controlled edits at a
random strength: word deletions, word insertions, two sentences swapped,
changed punctuation (including ASCII <-> full-width), and letters turned
into their full-width forms. Every record of a group shares its
instruction ("Paragraph N").

The true Jaccard of a pair is computed here, independently of winnow: NFKD
+ case folding, only letters, marks and digits kept, sets of character
5-grams of instruction + input + output.
"""
import glob
import itertools
import json
import os
import random
import re
import sqlite3
import sys
import unicodedata

DATA = os.environ.get("EXTRACTION_DATA", "/work/shared/data/extraction")


def normal(text):
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return [c for c in text if unicodedata.category(c)[0] in "LMN"]


def shingles(text):
    t = normal(text)
    if len(t) < 5:
        return {tuple(t)} if t else set()
    return {tuple(t[i:i + 5]) for i in range(len(t) - 4)}


def jaccard(a, b):
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def paragraphs():
    out = []
    for f in sorted(glob.glob(os.path.join(DATA, "wcxb-dev/ground-truth/*.json"))):
        text = json.load(open(f, encoding="utf-8"))["ground_truth"].get("main_content") or ""
        out += text.split("\n\n")
    gt = json.load(open(os.path.join(DATA, "scrapinghub/ground-truth.json"), encoding="utf-8"))
    for key in sorted(gt):
        v = gt[key]
        out += (v["articleBody"] if isinstance(v, dict) else v).split("\n")
    seen, keep = set(), []
    for p in out:
        p = " ".join(p.split())
        if 200 <= len(p) <= 1500 and len(p.split()) >= 30 and p not in seen:
            seen.add(p)
            keep.append(p)
    return keep


FULLWIDTH_PUNCT = {",": "，", ".": "。", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def edit(text, strength, rnd, vocab):
    """One variant: a random mix of the five kinds of edits at this strength."""
    kinds = [k for k in ("delete", "insert", "reorder", "punct", "width") if rnd.random() < 0.6]
    if not kinds:
        kinds = [rnd.choice(("delete", "insert", "reorder", "punct", "width"))]
    if "reorder" in kinds:
        sentences = re.split(r"(?<=[.!?])\s+", text)
        if len(sentences) >= 2:
            i = rnd.randrange(len(sentences) - 1)
            sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
            text = " ".join(sentences)
    words = text.split(" ")
    n = max(1, int(len(words) * strength))
    if "delete" in kinds:
        for _ in range(min(n, len(words) - 5)):
            del words[rnd.randrange(len(words))]
    if "insert" in kinds:
        for _ in range(n):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(vocab))
    text = " ".join(words)
    if "punct" in kinds:
        chars = list(text)
        for i, c in enumerate(chars):
            if c in FULLWIDTH_PUNCT and rnd.random() < 0.7:
                chars[i] = rnd.choice([FULLWIDTH_PUNCT[c], ";", ",", " -", ""])
        text = "".join(chars)
    if "width" in kinds:
        chars = list(text)
        for i, c in enumerate(chars):
            if "!" <= c <= "~" and rnd.random() < strength * 2:
                chars[i] = chr(ord(c) + 0xFEE0)
        text = "".join(chars)
    return text


def make(out_path, labels_path, groups=2000, variants=3, seed=5):
    rnd = random.Random(seed)
    bases = paragraphs()
    rnd.shuffle(bases)
    bases = bases[:groups]
    vocab = sorted({w for p in bases for w in p.split() if w.isalpha()})
    records, seen = [], set()
    for g, base in enumerate(bases):
        texts = [base]
        while len(texts) < 1 + variants:
            v = edit(base, rnd.uniform(0.0, 0.35), rnd, vocab)
            if v not in seen and v not in texts:
                texts.append(v)
        for k, t in enumerate(texts):
            seen.add(t)
            records.append({"instruction": "Paragraph %d" % g, "input": "", "output": t,
                            "group": g, "variant": k})
    with open(out_path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in ("instruction", "input", "output")},
                               ensure_ascii=False) + "\n")
    with open(labels_path, "w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False)
    print("%d records in %d groups" % (len(records), len(bases)), file=sys.stderr)


def score(corpus, labels_path, threshold=0.8):
    records = json.load(open(labels_path, encoding="utf-8"))
    by_text = {(r["instruction"], r["output"]): i for i, r in enumerate(records)}
    db = sqlite3.connect(corpus)
    cluster = {}
    for rid, stage, dup, ins, out in db.execute(
            "SELECT id, stage, duplicate_of, instruction, output FROM records"):
        cluster[by_text[(ins, out)]] = dup if stage == "duplicate" else rid
    sh = [shingles(r["instruction"] + r["input"] + r["output"]) for r in records]
    pairs = {}
    groups = {}
    for i, r in enumerate(records):
        groups.setdefault(r["group"], []).append(i)
    for members in groups.values():
        for a, b in itertools.combinations(members, 2):
            pairs[(a, b)] = jaccard(sh[a], sh[b])
    members_of = {}
    for i, c in cluster.items():
        members_of.setdefault(c, []).append(i)
    for members in members_of.values():
        for a, b in itertools.combinations(sorted(members), 2):
            if (a, b) not in pairs:
                pairs[(a, b)] = jaccard(sh[a], sh[b])
    merged = {p: j for p, j in pairs.items() if cluster[p[0]] == cluster[p[1]]}

    def recall(lo, hi):
        want = [p for p, j in pairs.items() if lo <= j < hi]
        got = [p for p in want if p in merged]
        return len(got), len(want)

    r85 = recall(0.85, 1.01)
    r80 = recall(threshold, 0.85)
    low = [j for j in merged.values() if j <= 0.6]
    below = [j for j in merged.values() if j < threshold]
    result = {
        "pairs": len(pairs),
        "recall_j085": r85[0] / max(1, r85[1]), "pairs_j085": r85[1],
        "recall_j080_085": r80[0] / max(1, r80[1]), "pairs_j080_085": r80[1],
        "merged_pairs": len(merged),
        "precision_j06": 1 - len(low) / max(1, len(merged)),
        "merged_j_le_06": len(low),
        "precision_threshold": 1 - len(below) / max(1, len(merged)),
        "merged_below_threshold": len(below),
        "pairs_j_le_06": sum(1 for j in pairs.values() if j <= 0.6),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
