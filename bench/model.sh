#!/bin/bash
# model.sh - the forward pass on the SmolLM2-135M shape (hidden 576, 30 layers,
# 9 heads, 3 key/value heads, vocab 49152, tied embeddings, rope_theta 100000)
# with random bf16 weights from `winnow model init`:
#   prompt processing of 512 tokens  >= 60% of OpenBLAS sgemm in the same run
#   generation                       >= 40 tokens/s (tg128: from an empty context;
#                                    also shown after the 512-token prompt)
#   peak RSS                         <= 1.3 x the weights' size
# bench/model_bench.c does the timing (medians of 5 runs) and measures sgemm
# on the prompt's MLP shape itself. Timings on a shared machine are noisy;
# the load average is printed at the start and the end.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${WINNOW:=$PWD/winnow}"
OUT=bench/out/model
MODEL=$OUT/smollm2-135m
mkdir -p "$OUT"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$MODEL/config.json" ]; then
	"$WINNOW" model init --preset smollm2-135m --byte-tokenizer --dtype bf16 --out "$MODEL" ||
		exit 1
fi
cc -O2 -std=c11 -D_DEFAULT_SOURCE -o "$OUT/model_bench" bench/model_bench.c \
	model/config.c model/safetensors.c model/ops.c model/model.c model/sample.c model/blas.c \
	lib/util.c lib/strbuf.c lib/json.c lib/options.c \
	-ljansson -ldl -lpthread -lm || exit 1
"$OUT/model_bench" "$MODEL" 512 128 >"$OUT/figures.txt" || exit 1
echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"

get() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/figures.txt"; }
sg=$(get sgemm_gflops) pp=$(get pp_gflops) pps=$(get pp_tokens_per_s)
tg=$(get gen_tokens_per_s) rss=$(get rss_mib) w=$(get weights_mib)
tgc=$(get gen_tokens_per_cpu_s) threads=$(get threads) tga=$(get gen_after_prompt_tokens_per_s)

awk -v sg="$sg" -v pp="$pp" -v pps="$pps" -v tg="$tg" -v rss="$rss" -v w="$w" -v tgc="$tgc" \
	-v threads="$threads" -v tga="$tga" 'BEGIN {
	miss = 0
	printf "%-34s %14s %16s  %s\n", "SmolLM2-135M shape, bf16 weights", "median", "target", "result"
	printf "%-34s %10.1f GF/s %16s\n", "OpenBLAS sgemm (512x1536x576)", sg, "(reference)"
	r = pp >= 0.6 * sg ? "PASS" : "MISS"; miss += r == "MISS"
	printf "%-34s %10.1f GF/s %11.1f GF/s  %s (%.0f%% of sgemm, %.0f tokens/s)\n",
		"prompt processing, 512 tokens", pp, 0.6 * sg, r, 100 * pp / sg, pps
	r = tg >= 40 ? "PASS" : "MISS"; miss += r == "MISS"
	printf "%-34s %8.1f tok/s %10.1f tok/s  %s (from an empty context, as llama-bench tg128)\n",
		"generation, 128 tokens greedy", tg, 40, r
	printf "%-34s %8.1f tok/s %16s\n", "  the same after the 512-token prompt", tga, "(info)"
	printf "%-34s %8.1f tok/s %16s  (%d threads, spinning included; less\n%54s  sensitive to other programs than the wall rate)\n",
		"  tokens per CPU-second", tgc, "(info)", threads, ""
	r = rss <= 1.3 * w ? "PASS" : "MISS"; miss += r == "MISS"
	printf "%-34s %10.1f MiB %12.1f MiB  %s (weights %.1f MiB, %.2fx)\n", "peak RSS", rss,
		1.3 * w, r, w, rss / w
	exit miss ? 1 : 0
}'
