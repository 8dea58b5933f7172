#!/bin/bash
# tokenizers.t - `winnow tokenize` gives the ids Hugging Face's tokenizers
# library gives (Tokenizer.from_file(tokenizer.json).encode(line,
# add_special_tokens=False)) for every line of the committed fixture text
# (tests/fixtures/tokenizers/lines.json: the lines holding no line break,
# since winnow tokenize reads one text a line), with the Llama 2 (SentencePiece
# BPE), Llama 3 and Qwen3 (byte-level BPE) tokenizer fixtures.
. "$(dirname "$0")/lib.sh"
TOK="$FIXTURES/tokenizers"

"$PYTHON" -c '
import json, sys
lines = [l for l in json.load(open(sys.argv[1], encoding="utf-8")) if "\n" not in l and "\r" not in l]
open("lines.txt", "w", encoding="utf-8").write("".join(l + "\n" for l in lines))' "$TOK/lines.json"
n=$(wc -l <lines.txt | tr -d ' ')
[ "$n" -gt 1000 ]; ok $? "$n fixture lines without line breaks to compare"

for name in llama2 llama3 qwen3; do
	mkdir -p "$name" && xz -dc "$TOK/$name/tokenizer.json.xz" >"$name/tokenizer.json" &&
		cp "$TOK/$name/tokenizer_config.json" "$name/"
	"$WINNOW" tokenize --tokenizer "$name" lines.txt >"$name.winnow" 2>/dev/null
	ok $? "winnow tokenize with the $name tokenizer"
	res=$("$PYTHON" - "$name/tokenizer.json" lines.txt "$name.winnow" <<'PYEOF'
import sys
from tokenizers import Tokenizer

tok = Tokenizer.from_file(sys.argv[1])
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
ours = open(sys.argv[3], encoding="utf-8").read().split("\n")[:-1]
want = [" ".join(map(str, e.ids)) for e in tok.encode_batch(lines, add_special_tokens=False)]
bad = [i for i in range(max(len(want), len(ours))) if i >= len(ours) or i >= len(want) or ours[i] != want[i]]
print(f"{len(want) - len(bad)} of {len(want)} lines equal")
for i in bad[:3]:
    print(f"line {i + 1}: {lines[i]!r}\n  tokenizers: {want[i] if i < len(want) else None}\n  winnow:     {ours[i] if i < len(ours) else None}")
sys.exit(1 if bad or len(ours) != len(want) else 0)
PYEOF
)
	crc=$?
	ok $crc "$name: ids equal HF tokenizers on every line (${res%%$'\n'*})"
	[ $crc = 0 ] || echo "$res" | tail -9 | sed 's/^/# /'
done
done_testing
