#!/usr/bin/env python3
"""extract_zh.py - main-text word-F1 on Chinese pages (gne-zh), winnow beside
trafilatura, on a dev split (tuned on) and a held-out split (not tuned on).

usage: extract_zh.py WINNOW DATA_DIR [-v]     (run with a python that has lxml
                                              and, optionally, trafilatura)

Gold: bench/extract_zh_labels.json names, per page, the element a reader would
copy the article from (chosen by hand); the gold text is its text. Score: the
same word-F1 as crawl_extract_score.py (CJK characters one by one).
"""
import gzip, hashlib, json, os, re, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crawl_extract_score import f1, LAST  # noqa: E402

import lxml.html  # noqa: E402

BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "table", "ul", "ol"}


def decode(raw):
    # as winnow does: bytes that are valid UTF-8 are UTF-8 whatever the page declares
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    m = re.search(rb'charset=["\']?([A-Za-z0-9_-]+)', raw[:4096])
    cs = m.group(1).decode().lower() if m else "utf-8"
    if cs in ("gb2312", "gbk", "gb18030"):
        cs = "gb18030"
    try:
        return raw.decode(cs, errors="replace"), cs
    except LookupError:
        return raw.decode("utf-8", errors="replace"), "utf-8"


def gold_text(html, xpath):
    doc = lxml.html.fromstring(html)
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    nodes = doc.xpath(xpath)
    if not nodes:
        return None
    for el in nodes[0].iter():
        if isinstance(el.tag, str) and el.tag in BLOCK:
            el.tail = "\n" + (el.tail or "")
    return "\n".join(line.strip() for line in nodes[0].text_content().splitlines() if line.strip())


def split_of(page):
    site = page.rsplit("_", 1)[0]
    return "held-out" if int(hashlib.sha1(site.encode()).hexdigest()[0], 16) % 2 == 0 else "dev"


def main():
    winnow, data = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv
    here = os.path.dirname(os.path.abspath(__file__))
    labels = json.load(open(os.path.join(here, "extract_zh_labels.json")))
    pages = sorted(k for k in labels if not k.startswith("_"))
    paths = [os.path.join(data, "gne-zh", "html", p + ".html.gz") for p in pages]
    out = subprocess.run([winnow, "extract", "--json"] + paths, capture_output=True, check=True).stdout
    got = {}
    for line in out.decode().splitlines():
        obj = json.loads(line)
        got[os.path.basename(obj["source"]).split(".")[0]] = obj["text"]
    try:
        import trafilatura
    except ImportError:
        trafilatura = None
    scores = {}
    gbk = 0
    for page, path in zip(pages, paths):
        html, cs = decode(gzip.open(path).read())
        gbk += cs == "gb18030"
        gold = gold_text(html, labels[page])
        if not gold:
            print(f"extract_zh: {page}: the label matches nothing", file=sys.stderr)
            continue
        w = f1(got.get(page, ""), gold)
        wp, wr = LAST
        t = f1(trafilatura.extract(html) or "", gold) if trafilatura else float("nan")
        scores.setdefault(split_of(page), []).append((w, t))
        if verbose:
            print(f"{page}\t{split_of(page)}\twinnow {w:.3f} P={wp:.2f} R={wr:.2f}\ttrafilatura {t:.3f}")
    for split in ("dev", "held-out"):
        v = scores.get(split, [])
        if v:
            print(f"zh\t{split}\t{len(v)}\t{sum(a for a, _ in v) / len(v):.3f}\t{sum(b for _, b in v) / len(v):.3f}")
    print(f"zh\tGBK/GB2312 pages: {gbk} of {len(pages)}", file=sys.stderr)


main()
