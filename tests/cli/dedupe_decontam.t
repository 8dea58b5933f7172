#!/bin/bash
# dedupe_decontam.t - `winnow dedupe --against EVAL`: records sharing a
# 13-gram with an evaluation set are rejected. In eval.jsonl, by hand:
#   item 1 shares 13 words with record 8's output ("eat a balanced ... get enough")
#   item 2 shares 14 Chinese characters with records 4 and 5 (长城是中国古代的军事防御工程)
#   item 3 has no field of 13 tokens (a warning says it cannot be checked)
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/dedupe"

"$WINNOW" import "$F/records.json" 2>/dev/null
"$WINNOW" sql --write "UPDATE records SET stage = 'clean'" >/dev/null 2>&1

run dedupe --against "$F/eval_bad.jsonl"
is "$rc" 65 "a malformed evaluation set is bad input"
like "$err" "eval_bad.jsonl:3" "the message names the file and line"
like "$err" "'output'" "and the field"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'clean'")" "11" "the corpus is unchanged"
is "$(sql "SELECT status FROM runs WHERE command = 'dedupe'")" "bad-input" "the run is recorded as bad input"

run dedupe --against "$T/missing.json"
is "$rc" 1 "a missing evaluation set is a failure"
like "$err" "missing.json" "the message names it"

run dedupe --dry-run --against "$F/eval.jsonl"
is "$rc" 0 "a dry run with --against exits 0"
like "$out" "contaminated #8" "it lists the contaminated records"
like "$out" "contaminated #4" "including Chinese ones"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'clean'")" "11" "and changes nothing"

# records kept by an earlier run (5 and 8, unique) and new ones (13, clean) are all checked
run dedupe
is "$(sql "SELECT stage FROM records WHERE id = 8")" "unique" "record 8 is unique before the check"
"$WINNOW" import "$F/batch2.json" 2>/dev/null
"$WINNOW" sql --write "UPDATE records SET stage = 'clean' WHERE stage = 'raw'" >/dev/null 2>&1
run dedupe --against "$F/eval.jsonl"
is "$rc" 0 "dedupe --against exits 0"
like "$err" "3 contaminated" "the summary counts them"
like "$err" "1 of the 3 items" "a warning counts evaluation items too short to check"
is "$(sql "SELECT group_concat(id || '=' || stage) FROM records WHERE reason LIKE 'contaminated:%'")" \
	"5=rejected,8=rejected,13=rejected" "records sharing a 13-gram are rejected, new or kept"
like "$(sql "SELECT reason FROM records WHERE id = 8")" "eval.jsonl" "the reason names the evaluation set"
is "$(sql "SELECT stage FROM records WHERE id = 4")" "duplicate" "duplicates are dead ends and not touched"
is "$(sql "SELECT group_concat(id) FROM records WHERE stage = 'unique'")" "3,6,7,9,10,11,14,15" \
	"the rest is deduplicated as usual"

done_testing
