#!/bin/bash
# judge.t - winnow judge against the fake OpenAI-compatible server:
# scores parsed (plain, in a code fence, numbers as strings), pass /
# needs-fix / reject by --min-score and --on-fail, malformed answers asked
# again as a new sample and then set aside, the cache, a custom rubric,
# and --calibrate's agreement and kappa against human decisions.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
A="$FIXTURES/annotate"

setup() {
	run import "$A/records.jsonl"
	run import "$A/more.jsonl"
	run clean
	run dedupe
}
setup
SCRIPT='{
 "rules": [
  {"match": "把下面的句子翻译成英文", "content": "{\"clarity\": 5, \"correctness\": 5, \"helpfulness\": 4, \"fluency\": 5, \"harmlessness\": 5, \"rationale\": \"翻译准确\"}"},
  {"match": "capital of France", "content": "Here you go:\n```json\n{\"clarity\": 4, \"correctness\": \"3\", \"helpfulness\": 3, \"fluency\": 4, \"harmlessness\": 5, \"rationale\": \"Correct but wordy.\"}\n```"},
  {"match": "写一首关于春天的短诗", "content": "{\"clarity\": 2, \"correctness\": 2, \"helpfulness\": 2, \"fluency\": 3, \"harmlessness\": 5, \"rationale\": \"不押韵，意象堆砌\"}"},
  {"match": "primary colours", "content": "{\"clarity\": 5}"}
 ],
 "default": {"content": "{\"clarity\": 4, \"correctness\": 4, \"helpfulness\": 4, \"fluency\": 4, \"harmlessness\": 4, \"rationale\": \"清楚\"}"}
}'
fake_llm "$SCRIPT"

run judge $LLM --model fake-judge --where "id <> 4"
is "$rc" 0 "judge succeeds"
like "$err" "4 records judged by llm:fake-judge: 2 approved, 1 need a fix, 0 rejected, 1 unreadable" "the summary"
like "$err" "could not be read after 2 retries" "an unreadable answer is reported"
like "$err" "record 5: no score for \"correctness\"" "with what was wrong"
is "$(calls)" 6 "one call each, three for the unreadable one"
is "$(received 'len(r["body"]["messages"])' | sort -u)" 2 "a system message and the prompt"
like "$(prompt_of 1)" "- clarity: the instruction is clear" "the prompt lists the rubric"
like "$(received | tr '\n' ' ')" '"instruction": "把下面的句子翻译成英文", "input": "今天天气很好，我们去公园散步吧。"' \
	"and the record as JSON, UTF-8 as is"
is "$(received 'r["body"].get("response_format", {}).get("type")' | sort -u)" "json_object" "JSON mode is asked for"
is "$(received 'r["body"]["temperature"]' | sort -u)" "0.0" "the judge samples at temperature 0"

# read on the third try: prose, then a score out of range, then a good answer
fake_llm '{"steps": [{"content": "I think this record is fine."},
 {"content": "{\"clarity\": 9, \"correctness\": 4, \"helpfulness\": 4, \"fluency\": 4, \"harmlessness\": 4, \"rationale\": \"ok\"}"}],
 "default": {"content": "{\"clarity\": 4, \"correctness\": 4, \"helpfulness\": 4, \"fluency\": 4, \"harmlessness\": 4, \"rationale\": \"清楚\"}"}}'
run judge $LLM --model fake-judge --where "id = 4"
is "$rc" 0 "judging the rest succeeds"
like "$err" "1 record judged by llm:fake-judge: 1 approved" "the third answer is used"
is "$(calls)" 3 "after two unreadable answers"
is "$(sql "SELECT counts FROM runs WHERE command = 'judge' ORDER BY id DESC LIMIT 1" | grep -o '"retried":[0-9]*')" '"retried":2' \
	"the run counts the retries"
is "$(sql "SELECT id || ':' || stage || ':' || coalesce(reason, '') || ':' || coalesce(quality, '') FROM records ORDER BY id" | tr '\n' ' ')" \
	"1:approved::4.8 2:approved::3.8 3:rejected:needs-fix:2.8 4:approved::4.0 5:unique:: " \
	"pass, needs-fix and set aside, with the mean score as quality"
is "$(sql "SELECT author || '|' || verdict || '|' || scores || '|' || note FROM annotations WHERE record_id = 3")" \
	'llm:fake-judge|fix|{"clarity":2,"correctness":2,"helpfulness":2,"fluency":3,"harmlessness":5,"overall":2.80}|不押韵，意象堆砌' \
	"the annotation holds the scores and the rationale"
fake_llm "$SCRIPT"
run judge $LLM --model fake-judge
is "$rc" 0 "judging again succeeds"
is "$(calls)" 0 "the set-aside record's answers come from the cache: no call"
is "$(sql "SELECT stage FROM records WHERE id = 5")" unique "and it stays unique"

# calibration against people
cat >decisions.jsonl <<'JEOF'
{"id": 1, "decision": "accept"}
{"id": 2, "decision": "reject", "note": "太啰嗦"}
{"id": 3, "decision": "reject"}
{"id": 4, "decision": "accept"}
{"id": 5, "decision": "accept"}
JEOF
run review --import decisions.jsonl --reviewer dana
is "$rc" 0 "human decisions imported"
fake_llm "$SCRIPT"
before=$(sql "SELECT group_concat(stage) FROM records")
run judge --calibrate $LLM --model fake-judge
is "$rc" 0 "calibrate succeeds"
is "$(calls)" 0 "records already scored are not asked again"
like "$out" "llm:fake-judge against people on 4 records" "the records with both a score and a decision"
like "$out" "  judge pass                 2              1" "the table: judge pass row"
like "$out" "  judge fail                 0              1" "the table: judge fail row"
like "$out" "agreement 75.0% (50.0% expected by chance), Cohen's kappa 0.50: moderate" "agreement and kappa"
is "$(sql "SELECT group_concat(stage) FROM records")" "$before" "calibration moves no record"
run judge --calibrate $LLM --model fake-judge --min-score 3.9
like "$out" "  judge fail                 0              2" "--min-score changes the judge's side"
like "$out" "agreement 100.0% (50.0% expected by chance), Cohen's kappa 1.00: almost perfect" "perfect agreement"
run judge --calibrate $LLM --model other-model
is "$(calls)" 7 "records people decided on are judged for another model first"
like "$out" "llm:other-model against people on 4 records" "then compared"
is "$(sql "SELECT count(*) FROM annotations WHERE author = 'llm:other-model'")" 4 "its scores are kept"

# --on-fail reject and a custom rubric, on a fresh corpus
export WINNOW_DB="$T/second.db"
setup
fake_llm "$SCRIPT"
run judge $LLM --model fake-judge --min-score 4.5 --on-fail reject --where "id <= 3"
is "$(sql "SELECT id || ':' || stage || ':' || coalesce(reason, '') FROM records WHERE id <= 3 ORDER BY id" | tr '\n' ' ')" \
	"1:approved: 2:rejected:judge: 3.80 < 4.5 3:rejected:judge: 2.80 < 4.5 " "--on-fail reject rejects for good"
fake_llm '{"default": {"content": "{\"accuracy\": 5, \"tone\": 2, \"rationale\": \"语气生硬\"}"}}'
run judge $LLM --model fake-judge --rubric "$A/rubric.txt" --where "id = 4"
is "$rc" 0 "a custom rubric"
like "$(prompt_of 1)" "- tone: polite and plain" "its criteria are in the prompt"
is "$(sql "SELECT scores FROM annotations WHERE record_id = 4")" '{"accuracy":5,"tone":2,"overall":3.50}' \
	"and in the scores"
run judge $LLM --rubric "$A/bad_rubric.txt"
is "$rc" 65 "a malformed rubric is bad input"
like "$err" "bad_rubric.txt:2:" "named by file and line"
run judge --where "id = 5"
is "$rc" 2 "no LLM configured is a usage error"
run judge $LLM --model fake-judge --where "nosuchcolumn"
is "$rc" 2 "a bad --where is a usage error"
done_testing
