#!/usr/bin/env python3
"""gen_records.py - deterministic synthetic Alpaca records for benchmarks.

Writes COUNT distinct records (mixed Chinese, English and both at once) whose
instruction + input + output is 200-600 characters long; about a third have
an input, one in ten a system prompt and one in twenty a history. Every
instruction carries the record's number, so all records are distinct. The
same --seed always gives byte-identical files.

    gen_records.py --count 1000000 --seed 1 --alpaca out/r.json --jsonl out/r.jsonl

--alpaca writes a JSON array (one record per line between the brackets),
--jsonl JSON Lines; give either or both (one pass writes both). The text is
invented word salad built from the small vocabularies below: it looks like
data to a parser and an index, not to a reader.
"""
import argparse
import json
import random
import sys

ZH_SUBJECTS = ["这个方法", "我们的团队", "新来的同事", "这家小店", "系统管理员", "数据集",
               "老师", "这台服务器", "我的邻居", "用户", "模型", "项目经理", "这本书",
               "城市交通", "天气预报", "市场部", "孩子们", "研究人员", "客服", "程序"]
ZH_VERBS = ["需要检查", "可以改进", "经常讨论", "应该记录", "正在整理", "不太理解",
            "重新设计", "仔细比较", "每天更新", "慢慢学习", "认真回答", "自动生成",
            "提前准备", "反复测试", "简单说明", "按时提交"]
ZH_OBJECTS = ["每周的报表", "季度预算", "退货流程", "备份策略", "登录页面", "家庭开支",
              "训练数据", "错误日志", "旅行计划", "健身习惯", "读书笔记", "客户反馈",
              "网络配置", "考试安排", "早餐食谱", "会议纪要", "代码风格", "运气和财运"]
ZH_TAILS = ["，这样以后查起来更方便。", "，因为上次出了不少问题。", "，否则很容易遗漏细节。",
            "。", "，结果比预想的好一些。", "，大家都觉得很有必要。", "，不过还要再看看效果。",
            "，这一点常常被忽略。", "；具体步骤见下文。", "，而且成本并不高。"]

EN_SUBJECTS = ["The team", "A careful reader", "This script", "Our landlord", "The new intern",
               "Every teacher", "The database", "My grandmother", "The compiler", "A small shop",
               "The weather service", "Most users", "The tokenizer", "Your manager"]
EN_VERBS = ["should review", "often forgets", "quietly updates", "needs to compare",
            "can improve", "keeps a record of", "rarely explains", "tests", "rewrites",
            "carefully measures", "asks about", "summarises"]
EN_OBJECTS = ["the weekly report", "the backup plan", "the login page", "monthly expenses",
              "the training data", "error logs", "the travel budget", "a reading list",
              "customer feedback", "the network settings", "the exam schedule",
              "a breakfast recipe", "meeting notes", "the style guide", "quarterly luck"]
EN_TAILS = [" before Friday.", " so nothing gets lost.", " because it broke last time.",
            ".", " and writes the result down.", " without much fuss.",
            " every other week.", " to save money later.", " with a short checklist."]

MIXED_TERMS = ["Python", "SQLite", "Excel", "Git", "JSON", "CSV", "Linux", "API", "LoRA",
               "Docker", "HTTP", "Markdown", "UTF-8", "cron", "VPN"]

ZH_INSTR = ["请说明如何改进{o}（第{n}号问题）", "第{n}题：{s}为什么{v}{o}？",
            "我这个季度会发财吗？问题编号 {n}", "请用三句话总结{o}，编号{n}",
            "用{t}处理{o}时要注意什么？（案例 {n}）", "近期运气怎么样？第{n}次提问，关于{o}"]
EN_INSTR = ["Explain how to handle {o} (question {n}).", "Why does {s} need {o}? Case #{n}.",
            "Write three tips about {o}, item {n}.", "How do I use {t} for {o}? Ticket {n}.",
            "Summarise the notes on {o} for request {n}."]
SYSTEMS = ["You are a helpful assistant.", "你是一个耐心的助手，用简洁的中文回答。",
           "Answer briefly and cite the steps.", "你是一名理财顾问，回答要谨慎。"]


def sentence_pool(rng):
    """About 2,400 sentences: Chinese, English and Chinese with English terms."""
    pool = []
    for _ in range(1000):
        pool.append(rng.choice(ZH_SUBJECTS) + rng.choice(ZH_VERBS) + rng.choice(ZH_OBJECTS) +
                    rng.choice(ZH_TAILS))
    for _ in range(1000):
        pool.append(" " + rng.choice(EN_SUBJECTS) + " " + rng.choice(EN_VERBS) + " " +
                    rng.choice(EN_OBJECTS) + rng.choice(EN_TAILS))
    for _ in range(400):
        pool.append(rng.choice(ZH_SUBJECTS) + "用 " + rng.choice(MIXED_TERMS) + " " +
                    rng.choice(ZH_VERBS) + rng.choice(ZH_OBJECTS) + rng.choice(ZH_TAILS))
    return pool


class TextSource:
    """A long run of random pool sentences; text() slices it at a sentence start.

    One random number per text keeps generation fast (a million records in
    seconds, not minutes) while every slice still reads differently."""

    def __init__(self, rng, pool, sentences=200000):
        parts = rng.choices(pool, k=sentences)
        self.starts = []
        at = 0
        for p in parts:
            self.starts.append(at)
            at += len(p)
        self.run = "".join(parts)
        self.rng = rng
        self.limit = len(self.starts) - 100  # room for 600 characters after any start

    def text(self, length):
        """Exactly `length` characters."""
        at = self.starts[int(self.rng.random() * self.limit)]
        return self.run[at:at + length + 1].strip()[:length].ljust(length, "。")


def pick(rng, items):
    return items[int(rng.random() * len(items))]


def fill(rng, template, n):
    return template.format(n=n, s=pick(rng, SUBJECTS), v=pick(rng, ZH_VERBS),
                           o=pick(rng, OBJECTS), t=pick(rng, MIXED_TERMS))


SUBJECTS = ZH_SUBJECTS + EN_SUBJECTS
OBJECTS = ZH_OBJECTS + EN_OBJECTS


def records(count, seed):
    rng = random.Random(seed)
    src = TextSource(rng, sentence_pool(rng))
    rand = rng.random
    for n in range(count):
        total = 200 + int(rand() * 401)
        instruction = fill(rng, pick(rng, ZH_INSTR) if rand() < 0.55 else pick(rng, EN_INSTR), n)
        rest = total - len(instruction)
        rec = {"instruction": instruction, "input": "", "output": ""}
        if rand() < 0.33:
            k = 20 + int(rand() * max(1, rest // 3 - 20))
            rec["input"] = src.text(k)
            rest -= k
        rec["output"] = src.text(rest)
        if rand() < 0.10:
            rec["system"] = pick(rng, SYSTEMS)
        if rand() < 0.05:
            rec["history"] = [[src.text(30), src.text(60)]]
        yield rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alpaca", help="write a JSON array here")
    ap.add_argument("--jsonl", help="write JSON Lines here")
    args = ap.parse_args()
    if not args.alpaca and not args.jsonl:
        ap.error("give --alpaca FILE, --jsonl FILE or both")

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    alpaca = open(args.alpaca, "w", encoding="utf-8", newline="\n") if args.alpaca else None
    jsonl = open(args.jsonl, "w", encoding="utf-8", newline="\n") if args.jsonl else None
    batch = []
    first = True
    if alpaca:
        alpaca.write("[\n")
    for rec in records(args.count, args.seed):
        batch.append(dumps(rec))
        if len(batch) == 10000:
            if alpaca:
                alpaca.write(("" if first else ",\n") + ",\n".join(batch))
            if jsonl:
                jsonl.write("\n".join(batch) + "\n")
            first = False
            batch = []
    if batch:
        if alpaca:
            alpaca.write(("" if first else ",\n") + ",\n".join(batch))
        if jsonl:
            jsonl.write("\n".join(batch) + "\n")
    if alpaca:
        alpaca.write("\n]\n")
        alpaca.close()
    if jsonl:
        jsonl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
