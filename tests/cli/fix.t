#!/bin/bash
# fix.t - winnow fix against the fake LLM server: needs-fix records (from
# the judge) and records a person rejected with a note are corrected into
# new raw records (origin fix, parent set) that re-enter clean and dedupe;
# the critique and the task's feedback rules are in the prompt; nothing is
# fixed twice; --max-rounds stops a lineage; unreadable answers are set
# aside; an answer equal to an existing record adds nothing.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
A="$FIXTURES/annotate"

run import "$A/records.jsonl"
run import "$A/more.jsonl"
run clean
run dedupe
run task add poems --prompt "$A/task_prompt.txt" --seeds "$A/task_seeds.txt"
"$WINNOW" sql --write "UPDATE records SET task_id = (SELECT id FROM tasks WHERE name = 'poems') WHERE id = 3" 2>/dev/null
run feedback add poems "每句必须是七个字"
fake_llm '{"rules": [
 {"match": "春天的短诗", "content": "{\"clarity\": 2, \"correctness\": 2, \"helpfulness\": 2, \"fluency\": 3, \"harmlessness\": 5, \"rationale\": \"不押韵，意象堆砌\"}"},
 {"match": "七言绝句", "content": "{\"clarity\": 3, \"correctness\": 3, \"helpfulness\": 2, \"fluency\": 3, \"harmlessness\": 5, \"rationale\": \"仍然不够好\"}"}],
 "default": {"content": "{\"clarity\": 2, \"correctness\": 2, \"helpfulness\": 2, \"fluency\": 2, \"harmlessness\": 5, \"rationale\": \"weak\"}"}}'
run judge $LLM --model fake --where "id IN (3, 4, 5)"
is "$(sql "SELECT group_concat(reason) FROM records WHERE id IN (3, 4, 5)")" "needs-fix,needs-fix,needs-fix" \
	"three records need a fix"
printf '%s\n' '{"id": 2, "decision": "reject", "tags": "wordy", "note": "太啰嗦，只要答出巴黎"}' \
	'{"id": 1, "decision": "reject"}' >decisions.jsonl
run review --import decisions.jsonl --reviewer erin
is "$(sql "SELECT group_concat(stage || ':' || reason) FROM records WHERE id IN (1, 2)")" \
	"rejected:review,rejected:review: wordy" "a person rejected two, one with a note"

fake_llm '{"rules": [
 {"match": "春风拂面柳丝长", "content": "```json\n{\"instruction\": \"写一首关于春天的七言绝句\", \"input\": \"\", \"output\": \"春风拂面柳丝长，桃李争春满院香。\"}\n```"},
 {"match": "capital of France", "content": "{\"instruction\": \"What is the capital of France?\", \"output\": \"Paris.\"}"},
 {"match": "光合作用", "content": "{\"instruction\": \"用一句话解释什么是光合作用\", \"input\": \"\", \"output\": \"光合作用是植物利用阳光把二氧化碳和水变成葡萄糖并放出氧气的过程。\"}"},
 {"match": "primary colours", "content": "Sorry, I cannot help with that."}]}'
run fix $LLM --model fake
is "$rc" 0 "fix succeeds"
like "$err" "2 records fixed (new raw records for clean and dedupe), 1 answer unchanged, 0 at the --max-rounds limit, 1 unreadable" \
	"the summary: fixed, unchanged, set aside"
like "$err" "record 5: no JSON object" "the unreadable answer is reported"
is "$(calls)" 6 "one call each, three for the unreadable one; record 1 has no note and is not sent"
is "$(sql "SELECT parent_id || ':' || origin || ':' || stage || ':' || coalesce(task_id, '-') || ':' || output FROM records WHERE origin = 'fix' ORDER BY parent_id" | tr '\n' ' ')" \
	"2:fix:raw:-:Paris. 3:fix:raw:1:春风拂面柳丝长，桃李争春满院香。 " "each fix is a new raw record with its parent and task"
is "$(sql "SELECT id || ':' || stage || ':' || reason FROM records WHERE id <= 5 ORDER BY id" | tr '\n' ' ')" \
	"1:rejected:review 2:rejected:fixed 3:rejected:fixed 4:rejected:fix-unchanged 5:rejected:needs-fix " \
	"the flawed records say fixed; the unchanged and the unreadable ones say so"
nth() { received "int('$1' in r['body']['messages'][-1]['content'])" | grep -n '^1$' | head -1 | cut -d: -f1; }
p3=$(nth 春风拂面柳丝长)
like "$(prompt_of "$p3")" "A judge scored it 2.8 out of 5: 不押韵，意象堆砌" "the judge's critique is in the prompt"
like "$(prompt_of "$p3")" "1. 每句必须是七个字" "and the task's feedback rules"
p2=$(nth "capital of France")
like "$(prompt_of "$p2")" "A reviewer rejected it (problems: wordy): 太啰嗦，只要答出巴黎" "a reviewer's tags and note are the critique"

fake_llm '{"default": {"content": "{}"}}'
run fix $LLM --model fake --where "id <> 5"
is "$(calls)" 0 "a second run fixes nothing twice"
like "$err" "0 records fixed" "and says so"

# the fixes re-enter the pipeline
run clean
run dedupe
is "$(sql "SELECT group_concat(stage) FROM records WHERE origin = 'fix'")" "unique,unique" \
	"the fixes are unique after clean and dedupe"

# a lineage is fixed at most --max-rounds times
fake_llm '{"default": {"content": "{\"clarity\": 3, \"correctness\": 3, \"helpfulness\": 2, \"fluency\": 3, \"harmlessness\": 5, \"rationale\": \"仍然不够好\"}"}}'
run judge $LLM --model fake --where "origin = 'fix' AND task_id IS NOT NULL"
fix_id=$(sql "SELECT id FROM records WHERE origin = 'fix' AND task_id IS NOT NULL")
is "$(sql "SELECT reason FROM records WHERE id = $fix_id")" "needs-fix" "the fix itself needs a fix"
fake_llm '{"default": {"content": "{\"instruction\": \"x\", \"output\": \"y\"}"}}'
run fix $LLM --model fake --max-rounds 1 --where "id = $fix_id"
is "$(calls)" 0 "with --max-rounds 1 it is not sent again"
is "$(sql "SELECT reason FROM records WHERE id = $fix_id")" "fix-limit" "its reason says why"
run fix --where "id = 1"
is "$rc" 2 "no LLM configured is a usage error"
done_testing
