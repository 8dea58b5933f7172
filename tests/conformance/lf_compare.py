"""Checks that what LLaMA-Factory saw (lf_load.py output) is the corpus's records.

    $PYTHON lf_compare.py RECORDS.jsonl LF_ROWS.jsonl [DATASET,...]
    $PYTHON lf_compare.py --same LF_ROWS.jsonl DATASET[,...] DATASET[,...]

RECORDS.jsonl is `winnow sql --format json` output with the columns
instruction, input, output, system, history (a JSON text) and optionally
tools, kto_tag, rejected, images, videos, audios. The expected aligned
example is built here from the record the way LLaMA-Factory's data README
defines the formats (history pairs as user/assistant turns, then
"instruction\\ninput" as the last user turn, output as the response), not
from anything winnow wrote. The two multisets must be equal: same count,
every record converted once, nothing extra. Prints a summary; exit 1 and
the first differences when they differ. With DATASET names, only the rows
of those datasets (e.g. all the splits of one export) are compared.
With --same, the distinct examples LLaMA-Factory made of two datasets (a
file as written elsewhere and winnow's export of it) must be the same set:
prompt, response, system, tools and media, none of them empty.
"""
import collections
import json
import sys


def expected(rec):
    prompt = []
    for q, a in json.loads(rec.get("history") or "[]"):
        prompt += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    user = "\n".join(x for x in (rec["instruction"], rec["input"]) if x)
    prompt.append({"role": "user", "content": user})
    response = [{"role": "assistant", "content": rec["output"]}]
    return {
        "prompt": prompt,
        "response": response,
        "system": rec.get("system") or "",
        "tools": rec.get("tools") or "",
    }


def seen(row):
    return {k: row[k] if row[k] is not None else "" for k in ("prompt", "response", "system", "tools")}


def key(d):
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def same(rows_path, a, b):
    """The distinct aligned examples of datasets a and b (lists of names) are equal."""
    rows = [json.loads(l) for l in open(rows_path, encoding="utf-8") if l.strip()]
    fields = ("prompt", "response", "system", "tools", "images", "videos", "audios")
    def examples(names):
        return {json.dumps({k: r[k] or None for k in fields}, sort_keys=True, ensure_ascii=False)
                for r in rows if r.get("dataset") in names and "rows" not in r}
    x, y = examples(a.split(",")), examples(b.split(","))
    if x == y and x:
        print(f"{len(x)} distinct examples, the same in both")
        return 0
    print(f"{a}: {len(x)} distinct examples, {b}: {len(y)}")
    for k in list(x - y)[:3]:
        print(f"only in {a}:", k)
    for k in list(y - x)[:3]:
        print(f"only in {b}:", k)
    return 1


def main():
    if sys.argv[1] == "--same":
        return same(sys.argv[2], sys.argv[3], sys.argv[4])
    records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
    names = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    rows = [r for r in rows if "rows" not in r and (names is None or r["dataset"] in names)]
    want = collections.Counter(key(expected(r)) for r in records)
    got = collections.Counter(key(seen(r)) for r in rows)
    if want == got:
        print(f"{len(rows)} rows, each equal to its record")
        return 0
    print(f"{len(records)} records, LLaMA-Factory saw {len(rows)} rows")
    for k in list((want - got).keys())[:3]:
        print("missing:", k)
    for k in list((got - want).keys())[:3]:
        print("unexpected:", k)
    return 1


if __name__ == "__main__":
    sys.exit(main())
