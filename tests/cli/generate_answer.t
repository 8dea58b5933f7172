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

# ---- answers like the seeds: examples and answer rules in the system message ----
run task add faq --prompt "$F/faq_prompt.txt" --seeds "$F/faq_seeds.json"
is "$(sql "SELECT mode FROM tasks WHERE name = 'faq'")" "pairs" "seeds with outputs make a pairs task without --mode"
like "$err" "pairs mode: every seed has an output" "and task add says why"
printf '%s\n' '{"instruction": "问题一", "output": "答案一"}' '{"instruction": "问题二"}' >mixed.jsonl
run task add mixed --prompt "$F/faq_prompt.txt" --seeds mixed.jsonl </dev/null
is "$rc" 2 "seeds only partly answered, and no terminal to ask on"
like "$err" "1 of the 2 seeds have an output: say which mode with --mode pairs" "asks for --mode"
is "$(sql "SELECT count(*) FROM tasks WHERE name = 'mixed'")" 0 "and adds nothing"
run task add faqq --mode questions --prompt "$F/faq_prompt.txt" --seeds "$F/faq_seeds.json" --system "$F/advisor.txt"
"$WINNOW" feedback add faqq --for answer "先给结论，再给步骤" >/dev/null 2>&1
"$WINNOW" feedback add faqq "问题要具体" >/dev/null 2>&1
fake_llm '{"default": {"content": "1. 笔记本电脑风扇很吵怎么办？"}}'
run generate faqq --n 1 $LLM
fake_llm '{"default": {"echo": "答："}}'
run answer faqq $LLM --examples 2
is "$rc" 0 "answer with examples"
like "$err" "2 seeds shown as examples, 1 answer rule" "says what the system message carries"
sysmsg=$(received 'r["body"]["messages"][0]["content"]')
like "$sysmsg" "$(head -1 "$F/advisor.txt")" "the system message starts with the system prompt"
like "$sysmsg" "按住路由器背面的 Reset 键约 10 秒" "then a seed's answer as an example"
like "$sysmsg" "取出纸张重新整理后放回" "and a second"
unlike "$sysmsg" "Open the browser settings" "no more than --examples"
like "$sysmsg" "先给结论，再给步骤" "then the answer rules"
unlike "$sysmsg" "问题要具体" "but not the question rules"
is "$(received 'r["body"]["messages"][-1]["content"]')" "笔记本电脑风扇很吵怎么办？" "the user message is the question alone"
done_testing
