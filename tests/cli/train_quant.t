#!/bin/bash
# train_quant.t - --quant: QLoRA training over NF4 / Q8_0 / Q4_0 blocks, the
# cache beside the model (reused, and ignored once the model changes), eval
# and chat over the quantised base with and without the adapter, and
# projections whose size is not a whole number of blocks.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

"$WINNOW" model init --preset small --byte-tokenizer --out small 2>/dev/null
words=(apple banana cherry river mountain cloud stone light music winter)
{
	echo "["
	for i in $(seq 0 23); do
		a=${words[$((i % 10))]} b=${words[$(((i * 7 + 3) % 10))]}
		sep=","; [ "$i" = 23 ] && sep=""
		printf '{"instruction": "Join %s and %s.", "input": "", "output": "%s-%s"}%s\n' "$a" "$b" "$a" "$b" "$sep"
	done
	echo "]"
} >train.json

run train --base small --data train.json --out qlora --quant nf4 --epochs 2 --batch 4 --lr 2e-2 --seq 64 --dropout 0
is "$rc" 0 "train --quant nf4 succeeds"
like "$err" "28 projections of 'small' in nf4" "every projection is quantised"
like "$err" "quantised, cached in small/winnow-quant-nf4.bin" "and cached beside the model"
[ -s qlora/adapter_model.safetensors ] && [ -s small/winnow-quant-nf4.bin ]
ok $? "the adapter and the cache are written"

loss() { "$WINNOW" eval "$@" --data train.json --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["loss"])'; }
run eval --base small --data train.json --quant nf4
like "$err" "read from small/winnow-quant-nf4.bin" "the next run reads the cache"
base=$(loss --base small)
qbase=$(loss --base small --quant nf4)
qlora=$(loss --base small --quant nf4 --adapter qlora)
q8=$(loss --base small --quant q8)
"$PY" -c "import sys; b, q = map(float, sys.argv[1:]); sys.exit(0 if 1e-4 < abs(b - q) < 0.1 else 1)" "$base" "$qbase"
ok $? "nf4 changes the loss a little ($base -> $qbase)"
"$PY" -c "import sys; b, q = map(float, sys.argv[1:]); sys.exit(0 if abs(b - q) < 2e-3 else 1)" "$base" "$q8"
ok $? "q8 changes it less ($base -> $q8)"
"$PY" -c "import sys; b, w = map(float, sys.argv[1:]); sys.exit(0 if w < b - 0.5 else 1)" "$qbase" "$qlora"
ok $? "the QLoRA adapter over the nf4 base learned the data ($qbase -> $qlora)"
plain=$(loss --base small --adapter qlora)
"$PY" -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(0 if abs(a - b) < 0.1 else 1)" "$qlora" "$plain"
ok $? "and works over the unquantised base too ($plain)"

touch -d '2001-01-01' small/model.safetensors
run eval --base small --data train.json --quant nf4 --json
like "$err" "quantised, cached in" "a changed model is quantised again, not read from the old cache"
"$PY" -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-6 else 1)" "$qbase" "$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["loss"])')"
ok $? "to the same blocks"
head -c 5000 small/winnow-quant-nf4.bin >cut && mv cut small/winnow-quant-nf4.bin
run eval --base small --data train.json --quant nf4
like "$err" "quantised, cached in" "a cut cache is not used"
printf 'winnow quantised weights 0\n' | dd of=small/winnow-quant-nf4.bin conv=notrunc 2>/dev/null
run eval --base small --data train.json --quant nf4
like "$err" "quantised, cached in" "nor one with another header"

for q in q8 q4; do
	run train --base small --data train.json --out lora-$q --quant $q --max-steps 2 --batch 4 --seq 64
	is "$rc" 0 "train --quant $q succeeds"
done

a=$("$WINNOW" chat --base small --quant nf4 --adapter qlora --max-tokens 8 "Join apple and river." 2>/dev/null)
ok $? "chat --quant nf4 --adapter answers ($a)"

"$WINNOW" model init --preset tiny --byte-tokenizer --out tiny 2>/dev/null
run train --base tiny --data train.json --out tq --quant nf4 --max-steps 1 --batch 4 --seq 64
is "$rc" 0 "a model with projections of 176 columns trains with --quant nf4"
like "$err" "2 projections of 'tiny' (the first: layer 0's down_proj) have rows of a size that is not a multiple of 64 and stay unquantised" "which stay unquantised, counted and named"

run train --base small --data train.json --out x --quant int3
is "$rc" 2 "an unknown --quant is a usage error"
run train --base small --data train.json --out x --quant nf4 --full
is "$rc" 2 "--quant with --full is refused"
like "$err" "--full trains every weight" "saying why"
run train --help
like "$out" "stay unquantised, counted in a warning" "--help says what happens to projections that are not whole blocks"
done_testing
