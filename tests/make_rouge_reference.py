#!/usr/bin/env python3
"""make_rouge_reference.py - writes tests/fixtures/eval/rouge_reference.json,
the ROUGE-L F1 that Google's rouge-score package (pip install rouge-score==0.1.2)
gives for answer/reference pairs, which test_eval_answers.c compares winnow's
`eval --generate` scoring against:

  - words: rouge-score's own tokenizer (lower case, non-[a-z0-9] separate
    words), on ASCII text;
  - CJK: rouge-score with a tokenizer giving each non-whitespace character,
    as winnow scores text whose reference holds Chinese or Japanese.

Re-run from the top folder: python3 tests/make_rouge_reference.py
"""
import json, os
from rouge_score import rouge_scorer

words = [
    ("Blue.", "Blue."),
    ("The capital of France is Paris.", "Paris is the capital of France."),
    ("water falls from clouds", "Water falls from clouds in drops when the air cannot hold it."),
    ("I don't know", "Paris"),
    ("", "Something"),
    ("the the the cat", "the cat sat on the mat, the end"),
    ("Step 1: open the box; step 2: take it out.", "First open the box, then take the item out."),
    ("42", "42"),
    ("It's 3:45 PM -- almost time!", "its 3 45 pm, almost time"),
]
cjk = [
    ("巴黎。", "巴黎。"),
    ("法国的首都是巴黎", "巴黎是法国的首都。"),
    ("我 不 知 道", "我不知道。"),
    ("今天天气很好，我们去公园散步吧。", "今天天气不错，去公园走走吧！"),
    ("Tokyo 东京", "东京是日本的首都"),
    ("", "空"),
    ("さくらが さいた", "桜が咲いた"),
]

class Chars:
    def tokenize(self, text):
        return [c for c in text if not c.isspace()]

out = []
plain = rouge_scorer.RougeScorer(["rougeL"])
for a, r in words:
    out.append({"answer": a, "reference": r, "f1": plain.score(r, a)["rougeL"].fmeasure})
chars = rouge_scorer.RougeScorer(["rougeL"], tokenizer=Chars())
for a, r in cjk:
    out.append({"answer": a, "reference": r, "f1": chars.score(r, a)["rougeL"].fmeasure})
path = os.path.join(os.path.dirname(__file__), "fixtures", "eval", "rouge_reference.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"wrote {len(out)} pairs to {path}")
