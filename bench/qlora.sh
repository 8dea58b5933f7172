#!/bin/bash
# qlora.sh - LoRA vs QLoRA (nf4, q8) vs prompt tuning, side by side in one
# run on the same data: median tokens/s of steps 2..N, peak RSS and the loss
# after the same N steps (batch 4 x 256 tokens, r=8 on every projection, no
# dropout; prompt tuning with 20 virtual tokens) for the SmolLM2-135M and
# Qwen2.5-0.5B shapes (random bf16 weights written once by
# `winnow model init`); then the peak RSS of one step (batch 1 x 256,
# --checkpointing) of bf16 LoRA and nf4 QLoRA on the Qwen2.5-1.5B shape, and
# of nf4 QLoRA on the 7B shape (BENCH_7B=0 skips it: writing its 15 GB of
# weights holds them in memory).
#   targets: nf4 peak RSS <= 0.45 x bf16 LoRA's on the 1.5B shape;
#            QLoRA (nf4, q8) tokens/s >= 0.8 x bf16 LoRA's; the 7B step fits in 24 GB.
# The quantised runs read the blocks cached beside the model (the cache is
# written before timing by a short eval). Timings on a shared machine are
# noisy: the load average is printed at the start and the end.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW:=$PWD/winnow}"
: "${STEPS:=5}"
: "${BENCH_7B:=1}"
OUT=bench/out/qlora
MODELS=bench/out/model
PY=/usr/bin/python3
mkdir -p "$OUT" "$MODELS"
cp "$WINNOW" "$OUT/winnow" && W=$OUT/winnow
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); CPU: $(grep -o -w -E 'avx512f|avx512_bf16|amx_tile|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"

model() {	# model PRESET: the folder, written once
	local d=$MODELS/$1
	if [ ! -f "$d/config.json" ]; then
		rm -rf "$d"
		"$W" model init --preset "$1" --byte-tokenizer --dtype bf16 --out "$d" >/dev/null 2>&1 || return 1
	fi
	echo "$d"
}
# documents of 255 bytes + EOS = exactly 256 tokens with the byte tokenizer
$PY - "$OUT/docs.jsonl" "$STEPS" <<'PYEOF'
import random, sys
random.seed(0)
words = "the a river mountain stone cloud light music winter summer over under quick brown".split()
with open(sys.argv[1], "w") as f:
    for i in range(4 * int(sys.argv[2])):
        s = ""
        while len(s) < 255:
            s += random.choice(words) + " "
        f.write('{"text": "%s"}\n' % s[:255])
PYEOF
echo '[{"instruction": "hi", "input": "", "output": "there"}]' >"$OUT/one.json"

# run NAME MODEL BATCH STEPS ARGS...: prints "rate rss loss"
run() {
	local name=$1 m=$2 batch=$3 steps=$4
	shift 4
	rm -rf "$OUT/$name"
	/usr/bin/time -f "%M" -o "$OUT/$name.rss" "$W" train --base "$m" --text --data "$OUT/docs.jsonl" \
		--out "$OUT/$name" --seq 256 --batch "$batch" --epochs 1 --max-steps "$steps" --dropout 0 \
		--rank 8 --alpha 16 --save-steps 100000 --eval-steps 100000 "$@" 2>"$OUT/$name.log" ||
		{ echo "bench/qlora.sh: $name failed:" >&2; tail -3 "$OUT/$name.log" >&2; echo "0 0 0"; return 1; }
	local rate loss rss
	rate=$(grep '"loss"' "$OUT/$name/train_log.jsonl" | tail -n +2 | sed 's/.*"tokens_per_s": \([0-9.]*\).*/\1/' |
		sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
	loss=$(grep '"loss"' "$OUT/$name/train_log.jsonl" | tail -1 | sed 's/.*"loss": \([0-9.]*\).*/\1/')
	rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$OUT/$name.rss")
	echo "${rate:-0} $rss ${loss:-0}"
}
cache() { "$W" eval --base "$1" --quant "$2" --data "$OUT/one.json" >/dev/null 2>&1; }

missed=0
printf '%-34s %10s %13s %11s\n' "batch 4 x 256, $STEPS steps" "tokens/s" "peak RSS MiB" "final loss"
for preset in smollm2-135m qwen2.5-0.5b; do
	m=$(model $preset) || { echo "cannot write the $preset model"; exit 1; }
	cache "$m" nf4
	cache "$m" q8
	lora=$(run lora-$preset "$m" 4 "$STEPS")
	nf4=$(run nf4-$preset "$m" 4 "$STEPS" --quant nf4)
	q8=$(run q8-$preset "$m" 4 "$STEPS" --quant q8)
	pt=$(run pt-$preset "$m" 4 "$STEPS" --method prompt-tuning --virtual-tokens 20)
	for row in "LoRA bf16:$lora" "QLoRA nf4:$nf4" "QLoRA q8:$q8" "prompt tuning (20):$pt"; do
		set -- ${row#*:}
		printf '%-34s %10.1f %13d %11.4f\n' "$preset ${row%%:*}" "$1" "$2" "$3"
	done
	set -- $lora; lr=$1
	for row in "nf4:$nf4" "q8:$q8"; do
		set -- ${row#*:}
		awk -v q="$1" -v l="$lr" -v name="$preset QLoRA ${row%%:*}" 'BEGIN {
			r = l > 0 ? q / l : 0; printf "target %s tokens/s >= 0.8 x LoRA: %.2fx %s\n", name, r, r >= 0.8 ? "PASS" : "MISS"
			exit r >= 0.8 ? 0 : 1 }' || missed=1
	done
done

printf '%-34s %13s\n' "one step, batch 1 x 256" "peak RSS MiB"
m=$(model qwen2.5-1.5b) || { echo "cannot write the 1.5B model"; exit 1; }
cache "$m" nf4
set -- $(run lora-1.5b "$m" 1 1 --checkpointing); l_rss=$2
set -- $(run nf4-1.5b "$m" 1 1 --checkpointing --quant nf4); n_rss=$2
printf '%-34s %13d\n' "qwen2.5-1.5b LoRA bf16" "$l_rss" "qwen2.5-1.5b QLoRA nf4" "$n_rss"
awk -v n="$n_rss" -v l="$l_rss" 'BEGIN { r = l > 0 ? n / l : 9
	printf "target 1.5B nf4 peak RSS <= 0.45 x bf16 LoRA: %.2fx %s\n", r, r <= 0.45 ? "PASS" : "MISS"; exit r <= 0.45 ? 0 : 1 }' || missed=1
if [ "$BENCH_7B" = 1 ]; then
	m=$(model qwen2.5-7b) || { echo "cannot write the 7B model"; exit 1; }
	set -- $(run nf4-7b "$m" 1 1 --checkpointing --quant nf4); s_rss=$2
	set -- $(run nf4-7b-cached "$m" 1 1 --checkpointing --quant nf4); c_rss=$2
	printf '%-34s %13d\n' "qwen2.5-7b QLoRA nf4 (quantising)" "$s_rss" "qwen2.5-7b QLoRA nf4 (cached)" "$c_rss"
	awk -v a="$s_rss" -v b="$c_rss" 'BEGIN { m = a > b ? a : b
		printf "target 7B nf4 step fits in 24 GB: %d MiB %s\n", m, m > 0 && m <= 24576 ? "PASS" : "MISS"; exit m > 0 && m <= 24576 ? 0 : 1 }' || missed=1
fi
echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
exit $missed
