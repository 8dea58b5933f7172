#!/bin/bash
# feedback_summarize.t - `winnow feedback summarize TASK` against the fake
# OpenAI-compatible server: question and answer notes are condensed each on
# their own, the change is printed as a diff, hand-written rules are kept
# (and not sent) unless --replace-manual, --apply replaces the review notes,
# and generation then uses the short list of question rules only.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
F="$FIXTURES/llm"

"$WINNOW" task add luck --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt" >/dev/null 2>&1
"$WINNOW" feedback add luck "问题不要超过15个字" "不要提到比赛" >/dev/null 2>&1
run feedback add luck --for answer "回答要先给结论"
is "$rc" 0 "feedback add --for answer"
like "$err" "1 answer rule added" "says which kind"
"$WINNOW" sql --write "INSERT INTO feedback (task_id, text, origin, kind, created_at) VALUES
	(1, '不要写得太长', 'review', 'question', '2025-01-01'),
	(1, '避免在比赛中这样的状语', 'review', 'question', '2025-01-01'),
	(1, '问题太长了', 'review', 'question', '2025-01-01'),
	(1, '答非所问', 'review', 'answer', '2025-01-01'),
	(1, '回答太啰嗦', 'review', 'answer', '2025-01-01')" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM feedback")" 8 "three manual rules and five review notes to start with"
run feedback list luck
like "$out" "answer   manual   回答要先给结论" "feedback list shows kind and origin"

fake_llm '{"rules": [{"match": "mistakes in the questions", "content": "{\"rules\": [\"问题短一些\", \"不要写比赛\"]}"},
                     {"match": "mistakes in the answers", "content": "{\"rules\": [\"回答切题、简短\"]}"}]}'
run feedback summarize luck $LLM
is "$rc" 0 "summarize exits 0"
is "$(calls)" 2 "one request for the question notes, one for the answer notes"
like "$out" "- 不要写得太长" "the diff shows a note that goes"
like "$out" "+ 问题短一些" "and a new rule"
like "$out" "  manual 问题不要超过15个字" "and a hand-written rule that stays"
like "$out" "+ 回答切题、简短" "the answer rules have their own diff"
like "$err" "5 notes condensed into 3 rules" "the summary counts notes and rules"
qp=$(received | grep -c "mistakes in the questions")
is "$qp" 1 "the question prompt is asked once"
p=$(received 'r["body"]["messages"][-1]["content"]' | tr '\n' ' ')
for note in 不要写得太长 问题太长了 答非所问 回答太啰嗦; do
	like "$p" "$note" "the prompts carry the note '$note'"
done
like "$p" "already exist and stay" "hand-written rules are named as staying, not as notes to condense"
is "$(sql "SELECT count(*) FROM feedback")" 8 "without --apply the feedback is unchanged"

run feedback summarize luck $LLM --apply
is "$rc" 0 "--apply exits 0"
is "$(sql "SELECT group_concat(kind || ':' || origin || ':' || text, '|') FROM (SELECT * FROM feedback ORDER BY kind, id)")" \
	"answer:manual:回答要先给结论|answer:summary:回答切题、简短|question:manual:问题不要超过15个字|question:manual:不要提到比赛|question:summary:问题短一些|question:summary:不要写比赛" \
	"--apply replaces the review notes with the rules and keeps the hand-written ones"

fake_llm '{"default": {"content": "1. 明天适合理发吗"}}'
"$WINNOW" generate luck --n 1 $LLM >/dev/null 2>&1
p=$(prompt_of 1)
like "$p" "不要写比赛" "the next generation prompt carries the condensed question rule"
like "$p" "问题不要超过15个字" "and the hand-written one"
unlike "$p" "不要写得太长" "but no longer the notes it replaced"
unlike "$p" "回答切题" "and no answer rule"

fake_llm '{"default": {"content": "{\"rules\": [\"问题简短、不写比赛\"]}"}}'
run feedback summarize luck $LLM --replace-manual --apply --no-cache
is "$rc" 0 "--replace-manual"
like "$out" "- 问题不要超过15个字" "shows the hand-written rule going"
is "$(sql "SELECT group_concat(text, '|') FROM feedback WHERE kind = 'question'")" "问题简短、不写比赛" \
	"and replaces it too"

fake_llm '{"default": {"content": "no list here"}}'
"$WINNOW" sql --write "INSERT INTO feedback (task_id, text, origin, kind, created_at) VALUES
	(1, '再短一点', 'review', 'question', '2025-01-01')" >/dev/null 2>&1
run feedback summarize luck $LLM --no-cache --apply
is "$rc" 1 "an answer without rules fails"
like "$err" "no list of rules" "saying so"
is "$(sql "SELECT count(*) FROM feedback")" 3 "and changes nothing"

run feedback summarize nosuchtask $LLM
is "$rc" 1 "an unknown task fails"
like "$err" "no task 'nosuchtask'" "naming it"

done_testing
