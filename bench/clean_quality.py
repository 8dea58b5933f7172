#!/usr/bin/env python3
"""clean_quality.py - does `winnow clean` keep good instruction data and
catch the defects that matter?

  clean_quality.py WINNOW OUTDIR      build the sets, run winnow, print the table

Curated side: real public instruction data in $SFT_DATA
(/work/shared/data/sft, Stanford Alpaca derivatives, CC BY-NC 4.0; see its
README): the 5,000 English Alpaca records and their Chinese translations of
alpaca-bilingual-5k.json, and the 10,444 Chinese records of
alpaca-zh-part-01.json. Records labelled defective in
bench/clean_quality_labels.tsv are left out (each label names the dataset,
the item's index and why: a placeholder for an empty output, a refusal, a
record that needs an image or a web page, ...). Exact repeats are left out
too (they are dedupe's business, not a quality rule's).

Injected side: defects put into copies of curated records, a fixed random
sample per kind (seed 16), imported into a corpus of their own so that a
repaired record is not a duplicate of its original:
  refusal-en / refusal-zh          the output replaced by a refusal
  self-reference-en / -zh          the output opens with "As an AI language model"
  truncated                        prose cut mid-sentence (at a word, or a CJK character)
  mojibake-cp1252 / -latin1        the output's UTF-8 read as Windows-1252 / Latin-1;
                                   caught only when clean repairs it to the original
  lorem-ipsum                      placeholder Latin added
  placeholder                      the output is N/A, TODO, ..., 无, 略, <noinput>, ...
  repeated-sentence                one sentence said 3-5 times in a row
  chat-template                    leaked template markers (<|im_end|>, [/INST], ### Response:, ...)
  web-boilerplate                  a page's footer appended (copyright, share, cookies)
Caught means rejected (for mojibake: kept, and the output equals what clean
makes of the original record).

Markup: curated records with HTML tags in some field must come out of clean
with every tag where it was (they were imported, not crawled).

Targets: <= 0.5% of curated records rejected overall, no rule above 0.1%,
>= 95% of injected defects caught, every markup record unchanged. Prints
the table and exits 1 on a miss.
"""
import json
import os
import random
import re
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("SFT_DATA", "/work/shared/data/sft")
LABELS = os.path.join(HERE, "clean_quality_labels.tsv")
PER_KIND = int(os.environ.get("CLEAN_QUALITY_PER_KIND", "300"))
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")


def load_labels():
    bad = {}
    with open(LABELS, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4 or parts[2] != "defect":
                sys.exit(f"{LABELS}:{n}: expected 'dataset<TAB>index<TAB>defect<TAB>why'")
            bad[(parts[0], int(parts[1]))] = parts[3]
    return bad


def curated():
    """[(key, record)] with key = (dataset, index), labelled defects and repeats left out."""
    bad = load_labels()
    out, seen = [], set()
    bi = json.load(open(os.path.join(DATA, "alpaca-bilingual-5k.json"), encoding="utf-8"))
    zh = json.load(open(os.path.join(DATA, "alpaca-zh-part-01.json"), encoding="utf-8"))
    items = [(("bilingual-en", i), {"instruction": r["en_instruction"], "input": r["en_input"],
                                    "output": r["en_output"]}) for i, r in enumerate(bi)]
    items += [(("bilingual-zh", i), {"instruction": r["instruction"], "input": r["input"],
                                     "output": r["output"]}) for i, r in enumerate(bi)]
    items += [(("zh-part-01", i), {k: r[k] for k in ("instruction", "input", "output")})
              for i, r in enumerate(zh)]
    for key, r in items:
        norm = tuple(" ".join(r[k].split()).lower() for k in ("instruction", "input", "output"))
        if key in bad or norm in seen:
            continue
        seen.add(norm)
        out.append((key, r))
    return out, len(items), len(bad)


def is_zh(text):
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff") * 3 > len(text)


SENT = re.compile(r"(?<=[.!?。！？])\s*")


def sentences(text):
    return [s for s in SENT.split(text) if s.strip()]


def prose(text):
    """An output of at least two sentences on one paragraph, no lists, code or tables."""
    if "\n" in text.strip() or "```" in text or len(text) < 80:
        return False
    return len(sentences(text)) >= 2


REFUSAL_EN = [
    "I'm sorry, but I can't help with that request.",
    "I'm sorry, but I cannot provide that information.",
    "I am sorry, but I am unable to complete this task.",
    "I apologize, but I cannot fulfill this request.",
    "Sorry, I can't assist with that.",
    "I'm afraid I can't do that.",
    "Unfortunately, I am not able to answer this question.",
    "I cannot answer that question as it requires access to information I do not have.",
    "As much as I'd like to help, I can't provide an answer to this.",
    "I'm not able to generate that content.",
]
REFUSAL_ZH = [
    "抱歉，我无法回答这个问题。",
    "对不起，我不能提供这方面的信息。",
    "很抱歉，我无法完成这个任务。",
    "抱歉，我不能帮助你完成这个请求。",
    "我无法提供相关内容。",
    "非常抱歉，但我无法满足您的要求。",
    "对不起，这个问题我没办法回答。",
    "很遗憾，我无法为您生成这样的内容。",
]
SELF_EN = [
    "As an AI language model, I don't have personal opinions, but ",
    "As an AI, I cannot browse the internet, but ",
    "As a language model, I can only offer a general answer: ",
    "I am an AI language model and ",
    "As an AI assistant, I would say that ",
    "Being an AI, I don't have feelings, but ",
]
SELF_ZH = [
    "作为一个AI语言模型，我没有个人观点，但是",
    "作为一个人工智能，我无法访问互联网，不过",
    "作为AI助手，我认为",
    "我是一个人工智能语言模型，",
    "作为一名人工智能助手，",
    "作为语言模型，我只能给出一般性的回答：",
]
LOREM = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "Lorem ipsum dolor sit amet.",
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem. Lorem ipsum dolor sit amet, consectetur.",
]
PLACEHOLDERS = ["N/A", "n/a", "NA", "TODO", "TBD", "...", "…", "无", "略", "暂无", "<noinput>", "<nooutput>",
                "None", "null", "-", "（无）", "无。", "略。", "<无输出>", "TODO: write the answer"]
TEMPLATE = [
    ("", "<|im_end|>"), ("", "\n<|im_start|>user\nThanks!"), ("", "</s>"), ("", "<|endoftext|>"),
    ("", "<|eot_id|>"), ("[INST] ", " [/INST]"), ("### Response:\n", ""), ("<|im_start|>assistant\n", ""),
    ("", "\n\n### Instruction:\nWrite another one."), ("<s>", "</s>"), ("", "<|end_of_text|>"),
    ("<|start_header_id|>assistant<|end_header_id|>\n\n", ""),
]
BOILER_EN = [
    "Copyright © 2023 Example Media. All rights reserved.",
    "Share this:\nFacebook\nTwitter\nLinkedIn",
    "This website uses cookies to improve your experience. Accept cookies",
    "Subscribe to our newsletter for more tips!\nPrivacy Policy | Terms of Use",
    "Related posts:\nRead more »",
    "Click here to subscribe. Follow us on Facebook and Twitter.",
    "Posted in Uncategorized | Leave a comment",
    "Skip to content\nHome | About | Contact",
]
BOILER_ZH = [
    "版权所有 © 2023 某某网 保留所有权利",
    "分享到：微信 微博 QQ空间",
    "扫描二维码关注我们的公众号",
    "本文来源于网络，如有侵权请联系删除。",
    "点击查看更多精彩内容 >>",
    "上一篇：下一篇：相关阅读",
    "免责声明：本站内容仅供参考。",
    "首页 | 关于我们 | 联系我们 | 网站地图",
]
MOJIBAKE_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(256) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def mojibake(text, codec):
    raw = text.encode("utf-8")
    if codec == "latin-1":
        return raw.decode("latin-1")
    # Windows-1252 as browsers read it: the five undefined bytes become C1 controls
    return "".join(MOJIBAKE_CP1252.get(b, chr(b)) for b in raw)


def cut_prose(text, rng):
    zh = is_zh(text)
    lo, hi = int(len(text) * 0.4), int(len(text) * 0.9)
    for _ in range(50):
        i = rng.randint(lo, hi)
        if zh:
            if "\u4e00" <= text[i - 1] <= "\u9fff" and "\u4e00" <= text[i] <= "\u9fff":
                return text[:i]
        elif text[i] == " " and text[i - 1].isalnum():
            return text[:i]
    return None


def repeat_sentence(text, rng):
    s = sentences(text)
    if len(s) < 2:
        return None
    k = rng.randrange(len(s))
    if len(s[k]) < 20:
        return None
    n = rng.randint(3, 5)
    sep = "" if is_zh(text) else " "
    return sep.join(s[:k] + [s[k]] * n + s[k + 1:])


def inject(kind, r, rng):
    """A copy of r with the defect, or None when r does not suit the kind."""
    out = r["output"]
    zh = is_zh(out)
    if kind == "refusal-en":
        return None if zh else rng.choice(REFUSAL_EN)
    if kind == "refusal-zh":
        return rng.choice(REFUSAL_ZH) if zh else None
    if kind == "self-reference-en":
        if zh or not prose(out):
            return None
        return rng.choice(SELF_EN) + out[0].lower() + out[1:]
    if kind == "self-reference-zh":
        return rng.choice(SELF_ZH) + out if zh and prose(out) else None
    if kind == "truncated":
        return cut_prose(out, rng) if prose(out) and len(out) >= 120 else None
    if kind in ("mojibake-cp1252", "mojibake-latin1"):
        if all(ord(c) < 128 for c in out) or "\n\n\n" in out:
            return None
        return mojibake(out, "cp1252" if kind == "mojibake-cp1252" else "latin-1")
    if kind == "lorem-ipsum":
        return out + "\n\n" + rng.choice(LOREM) if rng.random() < 0.5 else rng.choice(LOREM)
    if kind == "placeholder":
        return rng.choice(PLACEHOLDERS)
    if kind == "repeated-sentence":
        return repeat_sentence(out, rng) if prose(out) else None
    if kind == "chat-template":
        pre, post = rng.choice(TEMPLATE)
        return pre + out + post
    if kind == "web-boilerplate":
        if len(out) < 40:
            return None
        return out + "\n\n" + rng.choice(BOILER_ZH if zh else BOILER_EN)
    raise ValueError(kind)


KINDS = ["refusal-en", "refusal-zh", "self-reference-en", "self-reference-zh", "truncated", "mojibake-cp1252",
         "mojibake-latin1", "lorem-ipsum", "placeholder", "repeated-sentence", "chat-template", "web-boilerplate"]


def injected(records):
    rng = random.Random(16)
    out, seen, mojibake_bases = [], set(), set()
    for kind in KINDS:
        order = list(range(len(records)))
        rng.shuffle(order)
        got = 0
        for i in order:
            key, r = records[i]
            o = inject(kind, r, rng)
            if o is None or o == r["output"] or (r["instruction"], r["input"], o) in seen:
                continue
            if kind.startswith("mojibake"):
                # repaired, two copies of one record would be duplicates of each other
                if key in mojibake_bases:
                    continue
                mojibake_bases.add(key)
            seen.add((r["instruction"], r["input"], o))
            out.append((kind, key, r, dict(r, output=o)))
            got += 1
            if got == PER_KIND:
                break
    return out


def run(winnow, db, jsonl, log):
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    env = dict(os.environ, WINNOW_PROGRESS="0")
    subprocess.run([winnow, "--db", db, "import", jsonl], check=True, env=env, stdout=log, stderr=log)
    subprocess.run([winnow, "--db", db, "clean"], check=True, env=env, stdout=log, stderr=log)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, stage, reason, instruction, input, output FROM records ORDER BY id").fetchall()
    con.close()
    return rows


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def pct(a, b):
    return 100.0 * a / b if b else 0.0


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    winnow, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    log = open(os.path.join(outdir, "clean_quality.log"), "w")
    cur, total, nlabels = curated()
    inj = injected(cur)
    write_jsonl(os.path.join(outdir, "curated.jsonl"), [r for _, r in cur])
    write_jsonl(os.path.join(outdir, "injected.jsonl"), [r for *_, r in inj])
    crow = run(winnow, os.path.join(outdir, "curated.db"), os.path.join(outdir, "curated.jsonl"), log)
    irow = run(winnow, os.path.join(outdir, "injected.db"), os.path.join(outdir, "injected.jsonl"), log)
    if len(crow) != len(cur) or len(irow) != len(inj):
        sys.exit(f"clean_quality: imported {len(crow)}/{len(cur)} curated and {len(irow)}/{len(inj)} "
                 "injected records; the sets must have no repeats")

    missed = False
    print(f"curated: {len(cur)} of {total} records ({nlabels} labelled defective and "
          f"{total - nlabels - len(cur)} exact repeats left out)")
    by_rule = {}
    rejected_examples = open(os.path.join(outdir, "curated_rejected.tsv"), "w", encoding="utf-8")
    for (key, r), row in zip(cur, crow):
        if row[1] == "rejected":
            by_rule[row[2]] = by_rule.get(row[2], 0) + 1
            print(key[0], key[1], row[2], json.dumps(r, ensure_ascii=False)[:400], sep="\t",
                  file=rejected_examples)
    rejected = sum(by_rule.values())
    ok = pct(rejected, len(cur)) <= 0.5
    missed |= not ok
    print(f"\n{'curated records rejected':44} {rejected:6} {pct(rejected, len(cur)):7.2f}%  "
          f"target <= 0.50%  {'PASS' if ok else 'MISS'}")
    for rule, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        ok = pct(n, len(cur)) <= 0.1
        missed |= not ok
        print(f"  {rule:42} {n:6} {pct(n, len(cur)):7.2f}%  target <= 0.10%  {'PASS' if ok else 'MISS'}")

    markup = [(r, row) for (key, r), row in zip(cur, crow) if any(TAG.search(r[k]) for k in ("instruction", "input", "output"))]
    kept = sum(1 for r, row in markup if row[1] == "clean" and
               all(TAG.findall(row[3 + i]) == TAG.findall(r[k]) for i, k in enumerate(("instruction", "input", "output"))))
    ok = kept == len(markup)
    missed |= not ok
    print(f"\n{'markup records with every tag kept':44} {kept:6} of {len(markup):<5} target all  {'PASS' if ok else 'MISS'}")

    cleaned = {key: row[5] for (key, r), row in zip(cur, crow)}
    print(f"\n{'injected defect':28} {'records':>8} {'caught':>8} {'rate':>8}   by rule")
    caught_all = 0
    missed_examples = open(os.path.join(outdir, "injected_missed.tsv"), "w", encoding="utf-8")
    for kind in KINDS:
        rows = [(key, orig, bad, row) for k, key, orig, bad, row in ((*i, row) for i, row in zip(inj, irow)) if k == kind]
        rules, caught = {}, 0
        for key, orig, bad, row in rows:
            if kind.startswith("mojibake"):
                # repaired: the output clean makes of the original record
                hit = row[1] == "clean" and row[5] == cleaned[key]
                why = "repaired" if hit else (row[2] or "not repaired")
            else:
                hit = row[1] == "rejected"
                why = row[2] if hit else "missed"
            rules[why] = rules.get(why, 0) + 1
            caught += hit
            if not hit:
                print(kind, why, json.dumps(bad, ensure_ascii=False)[:400], sep="\t", file=missed_examples)
        caught_all += caught
        top = ", ".join(f"{k} {v}" for k, v in sorted(rules.items(), key=lambda kv: -kv[1])[:4])
        print(f"{kind:28} {len(rows):8} {caught:8} {pct(caught, len(rows)):7.1f}%   {top}")
    ok = pct(caught_all, len(inj)) >= 95
    missed |= not ok
    print(f"{'all injected defects':28} {len(inj):8} {caught_all:8} {pct(caught_all, len(inj)):7.1f}%   "
          f"target >= 95%  {'PASS' if ok else 'MISS'}")
    print(f"\n(curated rejections: {outdir}/curated_rejected.tsv; missed defects: {outdir}/injected_missed.tsv)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
