#!/bin/bash
# llamafactory_import.t - every LLaMA-Factory data format round-trips: a
# file in tests/fixtures/llamafactory is imported, exported again in its
# format, and LLaMA-Factory's own loader makes the same distinct examples of
# both (prompt, response, system, tools, KTO label, preference pairs, media
# lists). Pre-training text lands in documents; the v1 parts format imports.
. "$(dirname "$0")/lib.sh"
LF="$FIXTURES/llamafactory"

# name|format of the export
cases=(
	"alpaca_sft|alpaca"
	"alpaca_dpo|alpaca"
	"sharegpt_dpo|sharegpt"
	"sharegpt_kto|sharegpt"
	"sharegpt_tools|sharegpt"
	"sharegpt_mm|sharegpt"
	"openai|sharegpt"
)
mkdir -p both
cp "$LF"/*.json both/
names=
for c in "${cases[@]}"; do
	IFS='|' read -r name fmt <<<"$c"
	run import "$LF/$name.json" --source "$name"
	is "$rc" 0 "import $name.json"
	run export --stage raw --source "$name" --format "$fmt" -o "both/winnow_$name.json"
	is "$rc" 0 "export it again as $fmt"
	names="$names $name winnow_$name"
done
# the fixtures' own dataset_info.json entries join the ones the exports wrote
"$PYTHON" -c '
import json, sys
ours = json.load(open("both/dataset_info.json"))
ours.update(json.load(open(sys.argv[1])))
json.dump(ours, open("both/dataset_info.json", "w"), ensure_ascii=False, indent=1)' "$LF/dataset_info.json"

is "$(sql "SELECT count(*) FROM records WHERE kto_tag = 0")" 1 "the KTO label false is kept (not an ordinary record)"
is "$(sql "SELECT count(*) FROM records WHERE rejected IS NOT NULL")" 4 "four preference pairs keep their rejected answer"
is "$(sql "SELECT turn_roles FROM records WHERE tools <> '' AND history <> '[]'")" "ufoa" \
	"function_call and observation turns keep their roles"
is "$(sql "SELECT count(*) FROM records WHERE instruction LIKE '%<image>%' AND media LIKE '{\"images\":[%'")" 2 \
	"image placeholders stay in the text, their paths in media"

# shellcheck disable=SC2086
"$PYTHON" "$CONF/lf_load.py" "$T/both" $names >"$T/lf.jsonl" 2>"$T/lf.err"
lrc=$?
ok $lrc "LLaMA-Factory loads every original file and every export"
[ $lrc = 0 ] || tail -15 "$T/lf.err" | sed 's/^/# /'
for c in "${cases[@]}"; do
	name=${c%%|*}
	res=$("$PYTHON" "$CONF/lf_compare.py" --same "$T/lf.jsonl" "$name" "winnow_$name" 2>&1)
	crc=$?
	ok $crc "$name: LLaMA-Factory sees the same in the export: ${res%%$'\n'*}"
	[ $crc = 0 ] || echo "$res" | tail -6 | sed 's/^/# /'
done

# pre-training text: documents, which `train --text` reads
run import "$LF/pretrain.jsonl"
is "$rc" 0 "a {\"text\"} file imports"
like "$err" "2 pre-training texts added to documents" "and says where the texts went"
is "$(sql "SELECT text FROM documents ORDER BY id" | tail -1)" "小麦社区是一个虚构的问答论坛。" "the text is kept as is"

# the v1 parts format: text parts under "value"
run import "$LF/parts_v1.jsonl"
is "$rc" 0 "v1 {type, value} text parts import"
is "$(sql "SELECT output FROM records WHERE instruction = 'Say hi.'")" "Hi!" "parts are joined"
done_testing
