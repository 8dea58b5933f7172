#!/bin/bash
# train.sh - one LoRA training step on the SmolLM2-135M shape (random bf16
# weights from `winnow model init --preset smollm2-135m`), batch 4 x 256
# tokens, r=8 on every projection, loss on every token, no dropout: winnow's
# tokens/s and peak RSS side by side with PyTorch (Debian's python3-torch,
# bench/train_torch.py) running the same model and step in fp32 and with
# bf16 autocast, in the same run.
#   targets: tokens/s >= 1.5 x PyTorch's faster setting; peak RSS <= 1/3 of that
#   setting's (the ratio to the smaller of the two RSS figures is printed too)
# winnow's rate is the median of steps 2..N from its train_log.jsonl (step 1
# warms up); PyTorch's likewise. Timings on a shared machine are noisy; the
# load average is printed at the start and the end.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW:=$PWD/winnow}"
: "${STEPS:=4}"
OUT=bench/out/train
MODEL=bench/out/model/smollm2-135m
PY=/usr/bin/python3
mkdir -p "$OUT"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$MODEL/config.json" ]; then
	"$WINNOW" model init --preset smollm2-135m --byte-tokenizer --dtype bf16 --out "$MODEL" >/dev/null || exit 1
fi
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
rm -rf "$OUT/run"
/usr/bin/time -f "%M" -o "$OUT/winnow.rss" "$WINNOW" train --base "$MODEL" --text --data "$OUT/docs.jsonl" \
	--out "$OUT/run" --seq 256 --batch 4 --epochs 1 --max-steps "$STEPS" --dropout 0 --rank 8 \
	--alpha 16 2>"$OUT/winnow.log" || { cat "$OUT/winnow.log"; exit 1; }
w_rate=$(grep '"loss"' "$OUT/run/train_log.jsonl" | tail -n +2 | sed 's/.*"tokens_per_s": \([0-9.]*\).*/\1/' |
	sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
w_rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$OUT/winnow.rss")

torch_line() { $PY bench/train_torch.py "$MODEL/config.json" "$1" 4 256 "$STEPS" 2>>"$OUT/torch.log"; }
if ! $PY -c 'import torch' 2>/dev/null; then
	echo "bench/train.sh: PyTorch is missing (apt-get install python3-torch)"; exit 1
fi
echo "winnow: median $w_rate tokens/s, peak RSS $w_rss MiB"
f32=$(torch_line fp32) || exit 1
echo "PyTorch fp32: $f32"
# The issue measured PyTorch at about 150 tokens/s with bf16 autocast on a
# CPU with AVX-512 BF16 instructions; where the CPU has them and the local
# PyTorch (Debian's 1.13) is slower than that, the issue's figure counts, so
# the target is not made easy by an old PyTorch. Without them, bf16 autocast
# runs on slow fallback kernels (about 2 tokens/s here): one step, timed
# with its warm-up (minutes a step; the warm-up is a small part of it).
if grep -qw avx512_bf16 /proc/cpuinfo; then floor=150; bf16_steps=$STEPS; else floor=0; bf16_steps=1; fi
b16=$($PY bench/train_torch.py "$MODEL/config.json" bf16 4 256 "$bf16_steps" 2>>"$OUT/torch.log") || exit 1
echo "PyTorch bf16 autocast: $b16"
echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
f_rate=$(val "$f32" tokens_per_s) f_rss=$(val "$f32" peak_rss_mib)
b_rate=$(val "$b16" tokens_per_s) b_rss=$(val "$b16" peak_rss_mib)

awk -v wr="$w_rate" -v wm="$w_rss" -v fr="$f_rate" -v fm="$f_rss" -v br="$b_rate" -v bm="$b_rss" \
	-v floor="$floor" 'BEGIN {
	# the setting the targets compare against: the faster PyTorch run
	best = fr > br ? fr : br; refrss = fr > br ? fm : bm; minrss = fm < bm ? fm : bm
	printf "%-40s %12s %14s\n", "LoRA step, SmolLM2-135M shape, 4x256", "tokens/s", "peak RSS MiB"
	printf "%-40s %12.1f %14.0f\n", "PyTorch fp32", fr, fm
	printf "%-40s %12.1f %14.0f\n", "PyTorch bf16 autocast", br, bm
	printf "%-40s %12.1f %14.0f\n", "winnow (bf16 weights, f32 compute)", wr, wm
	if (best < floor) { printf "(PyTorch ran slower here than the issue measured on an AVX-512 BF16 CPU, %d tokens/s; that figure is used)\n", floor; best = floor }
	if (!floor) printf "(this CPU has no AVX-512 BF16: PyTorch in the same run is the reference, as the issue defines the target)\n"
	r1 = wr >= 1.5 * best ? "PASS" : "MISS"; r2 = wm <= refrss / 3 ? "PASS" : "MISS"
	printf "target tokens/s >= 1.5 x %.1f = %.1f: %s (%.2fx)\n", best, 1.5 * best, r1, wr / best
	printf "target peak RSS <= 1/3 x %.0f (that setting) = %.0f MiB: %s (%.2fx)\n", refrss, refrss / 3, r2, wm / refrss
	printf "(against the smaller PyTorch RSS, %.0f MiB: %.2fx)\n", minrss, wm / minrss
	exit (r1 == "PASS" && r2 == "PASS") ? 0 : 1
}'
