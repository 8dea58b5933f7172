#!/bin/bash
# run_llm.t - `winnow run` with an LLM configured (the fake server): the
# judge and fix steps run between the two rounds of clean and dedupe, a
# fix made tonight is unique by the end of the run, the export can be
# limited to approved records, and a failing LLM step stops the run.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
A="$FIXTURES/annotate"

run import "$A/records.jsonl"
# the poem fails, everything else passes
fake_llm '{"rules": [
 {"match": "has problems", "content": "{\"instruction\": \"写一首关于春天的七言绝句\", \"output\": \"春风拂面柳丝长，桃李争春满院香。\"}"},
 {"match": "春风拂面柳丝长，桃花", "content": "{\"clarity\": 2, \"correctness\": 2, \"helpfulness\": 2, \"fluency\": 2, \"harmlessness\": 5, \"rationale\": \"不押韵\"}"},
 {"match": "Rate this record", "content": "{\"clarity\": 5, \"correctness\": 5, \"helpfulness\": 5, \"fluency\": 5, \"harmlessness\": 5, \"rationale\": \"好\"}"}]}'
run run $LLM --model fake --export out.json --approved-only
is "$rc" 0 "the pipeline with an LLM succeeds"
like "$err" "run: clean, dedupe, judge, fix, clean, dedupe, export done; corpus: 1 unique, 2 approved, 1 rejected" \
	"every step ran; the fix is unique, waiting for the next judge"
is "$("$PY" -c '
import json, sys
c = json.loads(sys.argv[1])
print(" ".join(sorted(c)), c["judge"]["approved"], c["judge"]["needs_fix"], c["fix"]["fixed"], c["clean_fixes"]["clean"], c["export"]["exported"])' \
	"$(sql "SELECT counts FROM runs WHERE command = 'run'")")" \
	"clean clean_fixes dedupe dedupe_fixes export fix judge 2 1 1 1 2" "the counts of every step, the second round apart"
is "$("$PY" -c 'import json; print(len(json.load(open("out.json", encoding="utf-8"))))')" 2 "--approved-only exports the approved"
is "$(sql "SELECT parent_id || ':' || stage FROM records WHERE origin = 'fix'")" "3:unique" "the fix is unique"

run import "$A/more.jsonl"
fake_llm '{"default": {"status": 401, "error": {"message": "invalid api key", "type": "auth"}}}'
run run $LLM --model other --export out.json
is "$rc" 1 "a failing judge stops the run"
like "$err" "step 'judge' failed (exit 1) after clean, dedupe" "the summary names the step"
unlike "$err" "export done" "nothing after it runs"
done_testing
