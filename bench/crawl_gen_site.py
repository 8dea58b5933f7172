#!/usr/bin/env python3
"""crawl_gen_site.py - writes the generated site bench/crawl.sh crawls.

usage: crawl_gen_site.py DIR N

DIR/index.html and DIR/p/0.html .. DIR/p/{N-1}.html: each page has a
navigation list of ten links (the next five pages and five spread over the
site, so every page is reachable from the index), a heading, eight
paragraphs of invented text (~5 KB of HTML) and a footer.
"""
import os
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
WORDS = ("crawler page link fetch parse store text forum thread answer question "
         "quick brown fox jumps over the lazy dog while servers answer requests "
         "and extraction keeps headings paragraphs lists tables code").split()
os.makedirs(os.path.join(out, "p"), exist_ok=True)


def page(i):
    targets = [(i + k) % n for k in range(1, 6)] + [(i * 7 + k * 131) % n for k in range(1, 6)]
    nav = "".join(f'<li><a href="/p/{t}.html">Page {t}</a></li>' for t in targets)
    paras = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(90)) + ".</p>"
                    for _ in range(8))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page {i}</title>"
            f"</head><body><nav><ul>{nav}</ul></nav><article><h1>Page {i}</h1>{paras}</article>"
            f"<footer>Generated footer of page {i}</footer></body></html>")


for i in range(n):
    with open(os.path.join(out, "p", f"{i}.html"), "w") as f:
        f.write(page(i))
with open(os.path.join(out, "index.html"), "w") as f:
    f.write(page(0).replace("<title>Page 0", "<title>Index"))
