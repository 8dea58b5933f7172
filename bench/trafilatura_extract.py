#!/usr/bin/env python3
"""trafilatura_extract.py - trafilatura's main text of each page, printed as
`winnow extract --json` prints it ({"source", "text"} per line), so one scorer
(crawl_extract_score.py) scores both side by side.

usage: trafilatura_extract.py FILE[.gz]...
"""
import gzip, json, sys

import trafilatura

for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    # bytes: trafilatura detects the charset itself
    text = trafilatura.extract(raw) or ""
    print(json.dumps({"source": path, "text": text}, ensure_ascii=False))
