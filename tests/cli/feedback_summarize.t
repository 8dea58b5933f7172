#!/bin/bash
# feedback_summarize.t - `winnow feedback summarize TASK` against the fake
# OpenAI-compatible server: the prompt carries every note, the rules are
# printed, --apply replaces the task's feedback, and generation then uses
# the short list.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
F="$FIXTURES/llm"

"$WINNOW" task add luck --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt" >/dev/null 2>&1
"$WINNOW" feedback add luck "问题不要超过15个字" "不要写得太长" "不要提到比赛" "避免'在比赛中'这样的状语" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM feedback")" 4 "four notes to start with"

fake_llm '{"default": {"content": "{\"rules\": [\"问题不超过15个字\", \"不写比赛场景\"]}"}}'
run feedback summarize luck $LLM
is "$rc" 0 "summarize exits 0"
like "$out" " 1. 问题不超过15个字" "prints the first rule"
like "$out" " 2. 不写比赛场景" "and the second"
like "$err" "4 notes condensed into 2 rules" "the summary counts notes and rules"
p=$(prompt_of 1)
for note in 问题不要超过15个字 不要写得太长 不要提到比赛 "避免'在比赛中'这样的状语"; do
	like "$p" "$note" "the prompt carries the note '$note'"
done
is "$(sql "SELECT count(*) FROM feedback")" 4 "without --apply the feedback is unchanged"

run feedback summarize luck $LLM --apply
is "$rc" 0 "--apply exits 0"
is "$(sql "SELECT group_concat(text, '|') FROM (SELECT text FROM feedback ORDER BY id)")" \
	"问题不超过15个字|不写比赛场景" "--apply replaces the notes with the rules"

fake_llm '{"default": {"content": "1. 明天适合理发吗"}}'
"$WINNOW" generate luck --n 1 $LLM >/dev/null 2>&1
p=$(prompt_of 1)
like "$p" "不写比赛场景" "the next generation prompt carries the condensed rule"
unlike "$p" "不要写得太长" "and no longer the notes it replaced"

fake_llm '{"default": {"content": "no list here"}}'
run feedback summarize luck $LLM --no-cache
is "$rc" 1 "an answer without rules fails"
like "$err" "no list of rules" "saying so"
is "$(sql "SELECT count(*) FROM feedback")" 2 "and changes nothing"

run feedback summarize nosuchtask $LLM
is "$rc" 1 "an unknown task fails"
like "$err" "no task 'nosuchtask'" "naming it"

done_testing
