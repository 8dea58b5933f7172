#!/usr/bin/env python3
"""dedupe_gen_speed.py - a corpus of N synthetic records of about 500
characters each for the dedupe speed benchmark, written straight into a
winnow corpus (created by `winnow init`) at stage clean.

Text is random words (English-like and Chinese), so unrelated records
share almost no 5-grams; 10% of the records are edited copies of earlier
ones (a few words changed) and 3% are exact copies, so the run has real
clusters to find and verify.

usage: dedupe_gen_speed.py CORPUS N [SEED [FIRST]]

FIRST (default 1) numbers the records, so a second batch can be added to a corpus
to time an incremental run.
"""
import random
import sqlite3
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    latin = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
             for _ in range(20000)]
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    recent = []
    rows = []
    now = "2024-01-01T00:00:00Z"

    def fresh_text():
        if rnd.random() < 0.3:
            return "".join(rnd.choice(han) for _ in range(500))
        words, size = [], 0
        while size < 500:
            w = rnd.choice(latin)
            words.append(w)
            size += len(w) + 1
        return " ".join(words)[:500]

    for i in range(first, first + n):
        r = rnd.random()
        if recent and r < 0.03:
            instruction, text = rnd.choice(recent)
        elif recent and r < 0.13:
            instruction, base = rnd.choice(recent)
            base = list(base)
            for _ in range(5):   # five small edits: roughly J 0.85-0.95
                p = rnd.randrange(len(base))
                base[p:p + 3] = rnd.choice(han) if base[p] >= "\u4e00" else rnd.choice(latin)[:3]
            text = "".join(base)
        else:
            instruction = " ".join(rnd.choice(latin) for _ in range(4))
            text = fresh_text()
        if len(recent) < 5000:
            recent.append((instruction, text))
        else:
            recent[rnd.randrange(5000)] = (instruction, text)
        rows.append((instruction, text, i, now, now))
        if len(rows) == 50000:
            db.executemany("INSERT INTO records (instruction, output, origin, content_hash, created_at, "
                           "updated_at) VALUES (?, ?, 'import', ?, ?, ?)", rows)
            rows = []
    if rows:
        db.executemany("INSERT INTO records (instruction, output, origin, content_hash, created_at, "
                       "updated_at) VALUES (?, ?, 'import', ?, ?, ?)", rows)
    db.execute("UPDATE records SET stage = 'clean' WHERE stage = 'raw'")
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
