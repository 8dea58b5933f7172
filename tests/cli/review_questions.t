#!/bin/bash
# review_questions.t - the guide's loop with a questions task, against the
# fake OpenAI-compatible server: the first generate stops at 20 and says how
# to review them; the questions are reviewed through --export/--import
# before `answer` (accepted stay raw, rejected are never answered, an edited
# question is answered in its corrected form); notes become question or
# answer rules as the tags, the key or the words say; a fixed record's
# export carries the critique it addressed; and generate explains a short
# run reason by reason.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
F="$FIXTURES/llm"
PYJ() { "$PY" -c "$@"; }

run task add luck --mode questions --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt"
Q="下周出门办事会顺利吗 今年适合买房吗 这个周末约朋友爬山合适吗 下周面试能顺利通过吗 今晚打麻将手气会好吗
下周三适合签合同吗 今年能不能遇到贵人 这个月买彩票会中奖吗 最近和同事相处会顺心吗 周末搬家是个好日子吗
明年升职加薪有希望吗 这次出差路上会平安吗 近期投资股票能赚钱吗 和男朋友的关系会好转吗 孩子这学期成绩能进步吗
今天去相亲能成功吗 下个季度生意会好起来吗 最近睡眠质量会改善吗 新开的小店能不能火起来 过年回家路上车票好买吗"
LIST=$(i=0; for q in $Q; do i=$((i+1)); printf '%d. 下周一%s\\n' "$i" "$q"; done)
fake_llm '{"default": {"content": "'"$LIST"'"}}'
run generate luck --n 100 $LLM
is "$rc" 0 "the first generate"
is "$(sql "SELECT count(*) FROM records WHERE output = '' AND stage = 'raw'")" 20 "stops at 20 questions"
like "$err" "winnow review --task luck" "and says how to review them in the terminal"
like "$err" "--export first.jsonl" "or in a file"
like "$err" "winnow answer luck" "and what answers them afterwards"

# ---- review the questions in a file, before answer ----
run review --task luck --export q.jsonl
is "$rc" 0 "review --export of the task's questions"
is "$(wc -l < q.jsonl | tr -d ' ')" 20 "all 20 are exported (raw, no output)"
is "$(PYJ 'import json,sys; r=[json.loads(l) for l in open("q.jsonl")]; print(r[0]["stage"], repr(r[0]["output"]), r[0]["note_for"], r[0]["task"])')" \
	"raw '' None luck" "as raw records without an output, with a note_for field"
PYJ '
import json
rows = [json.loads(l) for l in open("q.jsonl")]
for i, r in enumerate(rows):
    if i < 15:
        r["decision"] = "accept"
    elif i < 18:
        r["decision"] = "reject"
        r["note"] = "不要每个问题都用日期开头" if i == 15 else ""
    elif i == 18:
        r["decision"] = "edit"
        r["instruction"] = "下周出门办事会顺利吗"
open("q.jsonl", "w").write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
'
run review --import q.jsonl --reviewer bob
is "$rc" 0 "review --import"
like "$err" "15 accepted, 3 rejected, 1 edited" "counts the decisions"
is "$(sql "SELECT stage || ':' || count(*) FROM records WHERE origin = 'generate' GROUP BY stage ORDER BY stage" | tr '\n' ' ')" \
	"raw:16 rejected:4 " "accepted and undecided questions stay raw; rejected and edited ones are rejected"
is "$(sql "SELECT origin || ':' || stage || ':' || instruction FROM records WHERE origin = 'fix'")" \
	"fix:raw:下周出门办事会顺利吗" "the edited question is a new raw question"
is "$(sql "SELECT kind || ':' || origin || ':' || text FROM feedback")" "question:review:不要每个问题都用日期开头" \
	"the note on a question is a question rule"
run review --import q.jsonl --reviewer bob
like "$err" "0 accepted, 0 rejected, 0 edited" "importing again changes nothing"
like "$err" "19 already recorded" "and says the decisions are there (the edit made its text already)"

fake_llm '{"default": {"echo": "答："}}'
run review --task luck --export again.jsonl
is "$(wc -l < again.jsonl | tr -d ' ')" 2 "a second export has only the undecided question and the edited one"
# the same two in the terminal reviewer: accepted, they stay raw questions for answer
printf '%s\n' 'expect "raw"' 'expect "1/2"' 'send "a"' 'expect "2/2"' 'send "a"' 'expect "batch 1 done"' \
	'expect "winnow answer luck"' 'send "q"' 'wait' >tui.txt
tui=$(WINNOW_REVIEWER=carol "$PY" "$FIXTURES/annotate/pty_drive.py" 24 100 tui.txt -- "$WINNOW" review --task luck 2>tui.err)
is "$tui" "exit 0" "the terminal reviewer shows the questions, and its end-of-batch hint names answer luck"
[ -s tui.err ] && sed 's/^/# /' tui.err
is "$(sql "SELECT count(*) FROM annotations WHERE author = 'carol' AND verdict = 'accept'")" 2 "two accepts recorded"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'raw' AND output = ''")" 17 "and the questions are still raw, unanswered"
run answer luck $LLM
is "$rc" 0 "answer"
is "$(calls)" 17 "answers the 15 accepted, the undecided and the edited question, none of the rejected"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'rejected' AND output <> ''")" 0 "a rejected question is never answered"
is "$(sql "SELECT output FROM records WHERE origin = 'fix'")" "答：下周出门办事会顺利吗" \
	"the edited question is answered in its corrected form"

# ---- notes on answers: tags, note_for, or the words decide ----
run clean
run dedupe
run review --task luck --export a.jsonl --limit 3
PYJ '
import json
rows = [json.loads(l) for l in open("a.jsonl")]
rows[0].update(decision="reject", note="答非所问")
rows[1].update(decision="reject", tags="factual", note="不要编造日期")
rows[2].update(decision="reject", note="口气太生硬", note_for="answer")
open("a.jsonl", "w").write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
'
run review --import a.jsonl
is "$rc" 0 "rejecting answered records"
is "$(sql "SELECT group_concat(kind || ':' || text, '|') FROM (SELECT * FROM feedback WHERE text <> '不要每个问题都用日期开头' ORDER BY id)")" \
	"answer:答非所问|answer:不要编造日期|answer:口气太生硬" "the words, the tag and note_for each make an answer rule"
fake_llm '{"default": {"content": "1. 明天适合去看牙医吗"}}'
run generate luck --n 1 $LLM
p=$(prompt_of 1)
like "$p" "不要每个问题都用日期开头" "the question rule is in the next generation prompt"
unlike "$p" "答非所问" "an answer rule is not"
unlike "$p" "不要编造日期" "nor are answers rejected for their answer shown as counter-examples"
sed -i '1s/"note_for": null/"note_for": "both"/' a.jsonl
run review --import a.jsonl
is "$rc" 65 "a bad note_for is bad input"
like "$err" 'a.jsonl:1: field "note_for"' "named by file, line and field"

# ---- a fixed record shows the critique it addressed ----
"$WINNOW" sql --write "INSERT INTO annotations (record_id, author, verdict, tags, note, created_at)
	VALUES (1, 'llm:judge', 'fix', 'correctness', '日期写错了，应是下周一', '2025-01-01T00:00:00Z');
	INSERT INTO records (instruction, input, output, system, history, origin, task_id, parent_id, content_hash, created_at, updated_at)
	VALUES ('下周一出门顺利吗', '', '顺利。', '', '[]', 'fix', 1, 1, 4242, '2025-01-01', '2025-01-01')" >/dev/null 2>&1
run review --export fix.jsonl --stage raw --where "origin = 'fix' AND parent_id = 1"
is "$(PYJ 'import json; r=json.loads(open("fix.jsonl").readline()); print(r["fixed_from"], r["critique"][-1]["note"], r["critique"][-1]["verdict"])')" \
	"1 日期写错了，应是下周一 fix" "review --export of a fixed record shows the critique it addressed"

# ---- generate explains a short run ----
run task add rep --mode questions --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt"
fake_llm '{"default": {"content": "1. 今天出门会顺利吗？\n2. 我这周的运气怎么样\n3. 明年能发财吗\n4. 明年能发财吗\n5. 画一幅画看看\n6. 好"}}'
run generate rep --n 10 $LLM
is "$rc" 0 "a repetitive model"
like "$err" "1 of the 10 records wanted were added" "says how many of how many"
like "$err" "stopped because a whole round of requests added nothing new" "and why it stopped"
like "$err" "too similar to a seed: add more varied seeds" "seed copies are counted with advice"
like "$err" "duplicates within this run" "and repeats within the run"
like "$err" "shorter than --min-chars" "and too-short items"
like "$err" "blocked" "and blocked ones"
is "$(sql "SELECT json_extract(counts, '$.similar_seed') || ':' || json_extract(counts, '$.similar_run') FROM runs WHERE command = 'generate' ORDER BY id DESC LIMIT 1")" \
	"$(calls | awk '{print $1*2 ":" 1 + ($1-1)*2}')" "the runs row counts each reason"
fake_llm '{"default": {"content": "1. 明年能发财吗"}}'
run generate rep --n 5 $LLM --max-calls 1 --no-cache
like "$err" "too similar to (or the same as) a record of the task" "an item like an older record is counted as such"
done_testing
