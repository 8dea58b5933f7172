#!/bin/bash
# demo.t - `make demo` in a temporary folder: every stage the demo runs
# leaves what it should. Counts are worked out independently from
# demo/seed.json with python3's json module, never copied from winnow.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$HERE/../.." && pwd)
SEED=$ROOT/demo/seed.json
D=$T/out
DB=$D/demo.db
EXP=$D/export

has_command() {
	"$WINNOW" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF { print $1 }' | grep -qx "$1"
}

# Distinct seed records: the five Alpaca fields, missing ones as empty.
read -r seed_items seed_distinct < <(python3 - "$SEED" <<'EOF'
import json, sys
items = json.load(open(sys.argv[1], encoding="utf-8"))
keys = {json.dumps([r["instruction"], r.get("input") or "", r["output"], r.get("system") or "",
                    r.get("history") or []], ensure_ascii=False) for r in items}
print(len(items), len(keys))
EOF
)
[ "$seed_items" -gt "$seed_distinct" ]; ok $? "the seed file has an exact duplicate for import to skip"

# Run it twice: the second run must start from a fresh corpus again.
DEMO_OUT=$D WINNOW=$WINNOW bash "$ROOT/demo/run.sh" >/dev/null 2>&1
DEMO_OUT=$D WINNOW=$WINNOW bash "$ROOT/demo/run.sh" >"$T/demo.out" 2>"$T/demo.err"
rc=$?
out=$(cat "$T/demo.out")
is "$rc" 0 "the demo exits 0"
is "$(cat "$T/demo.err")" "" "the demo prints nothing on stderr when all goes well"
for header in "A fresh corpus" "Import the hand-written seed examples" "What is in the corpus" \
	"Clean" "Dedupe" "Export Alpaca JSON" "Summary"; do
	like "$out" ". $header" "the demo has a section '$header'"
done

export WINNOW_DB=$DB
is "$(sql "SELECT count(*) FROM records")" "$seed_distinct" \
	"the corpus holds one record per distinct seed example"
is "$(sql "SELECT count(*) FROM runs WHERE command = 'import'")" 1 \
	"each run starts from a fresh corpus (one import recorded)"
is "$(sql "SELECT DISTINCT s.name FROM records r JOIN sources s ON s.id = r.source_id")" seed \
	"the records come from the source 'seed'"
like "$out" "$seed_items seed examples imported as $seed_distinct records" \
	"the summary gives the seed and record counts"

id=$(sql "SELECT id FROM records WHERE instruction = '我这个季度会发财吗？'")
[ -n "$id" ]; ok $? "the fortune question is in the corpus"
like "$out" "季度会发财]吗" "the Chinese search shows the highlighted match"
search_block=$(sed -n '/winnow search/,/search:/p' <<<"$out")
like "$search_block" "$id " "the search lists the matching record's id"
like "$out" "请介绍一下如何保养木地板" "the SQL query shows the record with the empty answer"

# What the export should hold, decided from the commands this build has.
# (Until clean lands, the demo marks records clean by hand so dedupe can run.)
if has_command dedupe; then
	stages="'unique','approved'"
elif has_command clean; then
	stages="'clean'"
else
	stages="'raw'"
fi
for f in demo_train.json demo_test.json dataset_info.json; do
	[ -s "$EXP/$f" ]; ok $? "the export wrote $f"
done

want=$(sql "SELECT count(*) FROM records WHERE stage IN ($stages)")
[ "$want" -gt 0 ]; ok $? "there are records to export ($stages)"
check=$("$WINNOW" sql --format json "SELECT instruction, input, output FROM records WHERE stage IN ($stages)" 2>/dev/null |
	python3 -c '
import json, sys
exp = sys.argv[1]
want = sorted(json.dumps([r["instruction"], r["input"], r["output"]], ensure_ascii=False)
              for r in map(json.loads, sys.stdin) if r)
got = []
for split in ("train", "test"):
    for r in json.load(open("%s/demo_%s.json" % (exp, split), encoding="utf-8")):
        got.append(json.dumps([r["instruction"], r["input"], r["output"]], ensure_ascii=False))
train = len(json.load(open(exp + "/demo_train.json", encoding="utf-8")))
print("same" if sorted(got) == want else "differ: %d exported, %d wanted" % (len(got), len(want)),
      "train-larger" if train > len(got) - train else "train-smaller")
' "$EXP")
is "$check" "same train-larger" \
	"train and test together hold every exported record exactly once, train the larger split"

info=$(python3 -c '
import json, sys
info = json.load(open(sys.argv[1], encoding="utf-8"))
print(" ".join("%s=%s" % (k, info[k]["file_name"]) for k in sorted(info)),
      info["demo_train"]["columns"]["prompt"], info["demo_train"]["columns"]["response"])
' "$EXP/dataset_info.json")
is "$info" "demo_test=demo_test.json demo_train=demo_train.json instruction output" \
	"dataset_info.json has an entry per split naming its file and columns"

# Stages that exist must have found the seed's planted flaws.
if has_command clean; then
	is "$(sql "SELECT stage FROM records WHERE instruction = '请介绍一下如何保养木地板。'")" rejected \
		"clean rejects the record with an empty answer"
	is "$(sql "SELECT group_concat(stage) FROM records WHERE output LIKE 'As an AI language model%'
		OR output LIKE '作为一个AI语言模型%'")" "rejected,rejected" \
		"clean rejects both 'as an AI language model' refusals"
	is "$(sql "SELECT count(*) FROM records WHERE instruction || output LIKE '%13812345678%'
		OR instruction || output LIKE '%zhang.wei@example.com%'")" 0 \
		"clean masks the phone number and e-mail address"
	like "$out" "Rejected, with the reason" "the demo shows the rejected records"
else
	like "$out" "winnow clean is not in this build yet" "the demo says clean is not available"
fi
if has_command dedupe; then
	is "$(sql "SELECT count(*) FROM records a JOIN records b ON a.duplicate_of = b.id
		WHERE a.stage = 'duplicate' AND a.instruction LIKE '%煮出不粘锅%' AND b.instruction LIKE '%煮出不粘锅%'")" 1 \
		"dedupe marks one of the two near-identical rice questions as a duplicate of the other"
	like "$out" "Duplicates, with the record kept instead" "the demo shows the duplicates"
else
	like "$out" "dedupe" "the demo says dedupe did not run"
fi

if has_command model && has_command eval; then
	like "$out" "perplexity" "the demo evaluates the untrained model on the test split"
fi

done_testing
