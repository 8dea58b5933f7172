#!/bin/bash
# tokenize.t - `winnow tokenize` with the real Qwen3 tokenizer committed in
# tests/fixtures/tokenizers (expected ids from its JavaScript implementation,
# see tests/tokenizer_fixture/), plus its errors and exit codes.
. "$(dirname "$0")/lib.sh"

mkdir qwen3
xz -dc "$FIXTURES/tokenizers/qwen3/tokenizer.json.xz" > qwen3/tokenizer.json
cp "$FIXTURES/tokenizers/qwen3/tokenizer_config.json" qwen3/

run tokenize --help
is "$rc" 0 "--help exits 0"
like "$out" "--count" "help lists --count"

run tokenize
is "$rc" 2 "no --tokenizer is a usage error"
like "$err" "--tokenizer" "the message says which option is missing"

# line 1 and 2 of tests/fixtures/tokenizers/lines.json, ids from qwen3.ids
printf 'The quick brown fox jumps over the lazy dog.\nHello, world!\n' > in.txt
run tokenize --tokenizer qwen3 in.txt
is "$rc" 0 "tokenize a file"
is "$out" "785 3974 13876 38835 34208 916 279 15678 5562 13
9707 11 1879 0" "ids of each line match the reference"
like "$err" "2 lines, 14 tokens" "the total goes to stderr"

"$WINNOW" tokenize --tokenizer qwen3/tokenizer.json --count < in.txt > counts.txt 2>/dev/null
is "$(cat counts.txt)" "10
4" "--count from stdin, with the tokenizer.json file named directly"

printf 'Hello, world!\r\n\n<|im_end|>\n' > crlf.txt
run tokenize --tokenizer qwen3 crlf.txt
is "$out" "9707 11 1879 0

151645" "CRLF endings are dropped, an empty line gives an empty line, special tokens are one id"

run tokenize --tokenizer qwen3 --ids --count in.txt
is "$rc" 2 "--ids with --count is a usage error"

run tokenize --tokenizer nowhere in.txt
is "$rc" 1 "a missing tokenizer is a failure"
like "$err" "nowhere" "the message names the path"

mkdir broken
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [' > broken/tokenizer.json
run tokenize --tokenizer broken in.txt
is "$rc" 65 "a corrupt tokenizer.json is bad input data"
like "$err" "broken/tokenizer.json" "the message names the file"

mkdir wordpiece
printf '{"model": {"type": "WordPiece", "vocab": {"a": 0}}}' > wordpiece/tokenizer.json
run tokenize --tokenizer wordpiece in.txt
is "$rc" 65 "an unsupported tokenizer model is refused"
like "$err" "WordPiece" "the message names the model type"

run tokenize --tokenizer qwen3 missing.txt
is "$rc" 1 "a missing input file is a failure"
like "$err" "missing.txt" "the message names the input"

done_testing
