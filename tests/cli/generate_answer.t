#!/bin/bash
# generate_answer.t - `winnow answer TASK`: the outputs of a questions
# task's records written in a second pass, with a system prompt; answers
# cut off at the token limit are not stored; a second run has nothing to do.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
F="$FIXTURES/llm"

run task add luck --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt"
fake_llm '{"default": {"content": "1. 下周三适合签合同吗\n2. 今年能不能遇到贵人\n3. 这个月买彩票会中奖吗"}}'
run generate luck --n 3 $LLM
is "$(sql "SELECT count(*) FROM records WHERE output = ''")" 3 "three questions without answers"

fake_llm '{"rules": [{"match": "彩票", "content": "这个问题的回答太长了，被截", "finish_reason": "length"}],
          "default": {"echo": "答：", "usage": [30, 12]}}'
run answer luck --system "$F/advisor.txt" $LLM
is "$rc" 0 "answer"
is "$(sql "SELECT output FROM records WHERE instruction = '下周三适合签合同吗'")" "答：下周三适合签合同吗" \
	"each record gets the answer to its own question"
is "$(sql "SELECT count(*) FROM records WHERE output = '答：' || instruction")" 2 "both complete answers are stored"
is "$(sql "SELECT output FROM records WHERE instruction LIKE '%彩票%'")" "" "the answer cut off at the token limit is not"
like "$err" "cut off" "and the run says so"
is "$(received 'r["body"]["messages"][0]["role"] + ":" + r["body"]["messages"][0]["content"]' | sort -u)" \
	"system:$(cat "$F/advisor.txt")" "the system prompt is sent with every question"
is "$(sql "SELECT count(*) FROM records WHERE system = ''")" 3 "and not stored in the records without --keep-system"
is "$(sql "SELECT count(*) FROM llm_calls WHERE task = 'answer:luck'")" 3 "the calls are booked to answer:luck"
"$WINNOW" export -o answered.json --stage raw >/dev/null 2>&1
run import answered.json
like "$err" "0 added, 3 already present" "the content hash follows the new output (an export imported again adds nothing)"

run answer luck --system "$F/advisor.txt" $LLM
is "$rc" 0 "answering again"
is "$(calls)" 3 "only the unanswered record is asked (from the cache: no new call)"

run answer luck --system "$F/advisor.txt" --no-cache --answer-tokens 2000 $LLM
is "$(received 'r["body"].get("max_tokens")' | tail -1)" "2000" "--answer-tokens sets max_tokens"

fake_llm '{"default": {"echo": "答："}}'
"$WINNOW" sql --write "UPDATE records SET output = '' WHERE id = 1" >/dev/null 2>&1
run answer luck $LLM --keep-system --system "$F/advisor.txt"
is "$(sql "SELECT system FROM records WHERE id = 1")" "$(cat "$F/advisor.txt")" "--keep-system stores the system prompt"

run answer nosuch $LLM
is "$rc" 1 "a missing task"
done_testing
