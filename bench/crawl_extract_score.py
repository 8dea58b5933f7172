#!/usr/bin/python3
"""crawl_extract_score.py - word-F1 of `winnow extract --json` output against
the gold main text in /work/shared/data/extraction (see its README).

usage: crawl_extract_score.py wcxb|scrapinghub DATA_DIR [-v | --worst N] < extract.jsonl

Words are \\w+ runs, lower-cased, compared as multisets; CJK characters
count one by one. Prints mean F1 by page type and overall; -v also prints
every page's F1, precision and recall, --worst N the N lowest on stderr
(P well below R: we kept boilerplate; R below P: we lost content).
"""
import collections, json, os, re, sys

WORD = re.compile(r"\w+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def words(text):
    out = []
    for w in WORD.findall(text.lower()):
        if CJK.search(w):
            buf = ""
            for ch in w:
                if CJK.match(ch):
                    if buf:
                        out.append(buf)
                        buf = ""
                    out.append(ch)
                else:
                    buf += ch
            if buf:
                out.append(buf)
        else:
            out.append(w)
    return collections.Counter(out)


LAST = [0.0, 0.0]


def f1(pred, gold):
    p, g = words(pred), words(gold)
    overlap = sum((p & g).values())
    np_, ng = sum(p.values()), sum(g.values())
    LAST[0] = overlap / np_ if np_ else 0.0
    LAST[1] = overlap / ng if ng else 0.0
    if np_ == 0 and ng == 0:
        return 1.0
    if overlap == 0:
        return 0.0
    prec, rec = overlap / np_, overlap / ng
    return 2 * prec * rec / (prec + rec)


def main():
    kind, data = sys.argv[1], sys.argv[2]
    verbose = len(sys.argv) > 3 and sys.argv[3] == "-v"
    worst = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--worst" else 0
    pages = []
    got = {}
    for line in sys.stdin:
        obj = json.loads(line)
        name = os.path.basename(obj["source"]).split(".")[0]
        got[name] = obj["text"]
    by_type = collections.defaultdict(list)
    if kind == "wcxb":
        gdir = os.path.join(data, "wcxb-dev", "ground-truth")
        for fn in sorted(os.listdir(gdir)):
            g = json.load(open(os.path.join(gdir, fn)))
            name = fn.split(".")[0]
            if "main_content" not in g["ground_truth"]:
                continue  # one page has only with/without snippets
            ptype = g.get("_internal", {}).get("page_type", {}).get("primary", "unknown")
            score = f1(got.get(name, ""), g["ground_truth"]["main_content"] or "")
            by_type[ptype].append(score)
            pages.append((score, name, ptype, LAST[0], LAST[1]))
            if verbose:
                print(f"{name}\t{ptype}\t{score:.3f}\tP={LAST[0]:.2f}\tR={LAST[1]:.2f}")
    else:
        gold = json.load(open(os.path.join(data, "scrapinghub", "ground-truth.json")))
        for name, g in sorted(gold.items()):
            score = f1(got.get(name, ""), g.get("articleBody") or "")
            by_type["article"].append(score)
            pages.append((score, name, "article", LAST[0], LAST[1]))
            if verbose:
                print(f"{name}\tarticle\t{score:.3f}\tP={LAST[0]:.2f}\tR={LAST[1]:.2f}")
    for score, name, ptype, p, r in sorted(pages)[:worst]:
        print(f"worst {kind}\t{name}\t{ptype}\tF1={score:.3f}\tP={p:.2f}\tR={r:.2f}", file=sys.stderr)
    allv = [s for v in by_type.values() for s in v]
    for t in sorted(by_type):
        v = by_type[t]
        print(f"{kind}\t{t}\t{len(v)}\t{sum(v)/len(v):.3f}")
    print(f"{kind}\tALL\t{len(allv)}\t{sum(allv)/len(allv):.3f}")


if __name__ == "__main__":
    main()
