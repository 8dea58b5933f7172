#!/bin/bash
# generate.t - tasks, feedback and `winnow generate` against the fake
# OpenAI-compatible server: what the prompt carries (task prompt, sampled
# seeds, feedback rules, rejected counter-examples), the filters, the
# first-run stop at 20, the records stored, the cache on a re-run after a
# failure, pairs and from-documents modes, and the key staying out.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"
F="$FIXTURES/llm"

# ---- tasks ----
run task add luck --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt" --description "近期运气问题"
is "$rc" 0 "task add"
like "$err" "5 seeds" "one question per line, blank lines skipped"
is "$(sql "SELECT name, mode, json_array_length(seeds), rounds FROM tasks")" "luck	questions	5	0" \
	"the task is stored with its seeds"
is "$(sql "SELECT prompt FROM tasks")" "$(cat "$F/luck_prompt.txt")" "the Chinese prompt is stored untouched"
run task add luck --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt"
is "$rc" 1 "adding an existing task again fails"
like "$err" "--update" "and says how to change it"

run task add broken --prompt "$F/luck_prompt.txt" --seeds "$F/bad_seeds.json"
is "$rc" 65 "a seed with a number for instruction is bad input"
like "$err" "bad_seeds.json (item 1)" "the message names the file and item"
like "$err" "instruction" "and the field"
run task add broken --prompt "$F/luck_prompt.txt" --seeds "$F/bad_seeds.jsonl"
is "$rc" 65 "a JSON Lines seed file with a broken line"
like "$err" "bad_seeds.jsonl:2" "names the line"
run task add broken --prompt /nonexistent --seeds "$F/luck_seeds.txt"
is "$rc" 65 "a missing prompt file"
is "$(sql "SELECT count(*) FROM tasks")" 1 "no task was added by the failures"

run task list
like "$out" "luck" "task list shows the task"
run task show luck
like "$out" "下个月适合换工作吗" "task show shows the seeds"

# ---- feedback ----
run feedback add luck "不要使用'在比赛中'这类状语" "问题不要超过15个字"
is "$rc" 0 "feedback add"
run feedback add luck "问题不要超过15个字"
like "$err" "already has" "the same rule twice is noticed"
run feedback list luck
like "$out" "在比赛中" "feedback list shows the rules"
is "$(sql "SELECT count(*) FROM feedback")" 2 "two rules stored"
run feedback add nosuch "x"
is "$rc" 1 "feedback for a missing task fails"

# ---- the first run: at most 20, printed for review ----
ANSWER1='以下是问题：\n1. 我这周的运气怎么样呀\n2. 这个周末约朋友爬山合适吗\n3. 好\n4. 帮我画一幅图片看看运势\n5. 「今年适合买房吗」\n6. ……最近桃花运好不好\n7. 这个周末约朋友爬山合适吗\n8. 下周面试能顺利通过吗\n9. 今晚打麻将手气会好吗'
ANSWER2='1. 下周三适合签合同吗\n2. 今年能不能遇到贵人\n3. 这个月买彩票会中奖吗\n4. 最近和同事相处会顺心吗\n5. 周末搬家是个好日子吗\n6. 我的体检结果会正常吗'
ANSWER3='1. 明年升职加薪有希望吗\n2. 这次出差路上会平安吗\n3. 近期投资股票能赚钱吗\n4. 和男朋友的关系会好转吗\n5. 这周开车会不会遇到堵车\n6. 孩子这学期成绩能进步吗\n7. 今天去相亲能成功吗\n8. 下个季度生意会好起来吗\n9. 最近睡眠质量会改善吗\n10. 这个月能顺利还清信用卡吗\n11. 新开的小店能不能火起来\n12. 过年回家路上车票好买吗'
fake_llm '{"steps": [{"content": "'"$ANSWER1"'"}, {"content": "'"$ANSWER2"'"}, {"content": "'"$ANSWER3"'"}],
          "default": {"content": "1. 这周适合去旅游吗"}}'
run generate luck --n 50 $LLM
is "$rc" 0 "the first generate run"
like "$err" "stops at 20" "says the first run stops at 20"
is "$(sql "SELECT count(*) FROM records")" 20 "and stores exactly 20"
is "$(calls)" 3 "asking again while the filters left it short (3 calls)"
is "$(sql "SELECT count(*) FROM records WHERE origin = 'generate' AND stage = 'raw' AND output = '' AND task_id = 1 AND llm_call_id IS NOT NULL")" 20 \
	"raw records, origin generate, no output yet, with their task and call"
is "$(sql "SELECT count(*) FROM records WHERE instruction IN ('今年适合买房吗', '下周面试能顺利通过吗', '这个周末约朋友爬山合适吗')")" 3 \
	"list markers and quotes are stripped"
is "$(sql "SELECT count(*) FROM records WHERE instruction LIKE '%运气怎么样%' OR instruction = '好' OR instruction LIKE '%图片%' OR instruction LIKE '%桃花运%'")" 0 \
	"a near-copy of a seed, a too-short item, a blocked word and a leading ellipsis are dropped"
like "$err" "1 too short" "the summary counts the short one"
like "$err" "2 blocked" "and the blocked ones"
like "$err" "2 similar" "and the similar ones (seed copy and in-batch repeat)"
is "$(printf '%s\n' "$out" | grep -c '^ *[0-9]*\. ')" 20 "the 20 records are printed for review"
p1=$(prompt_of 1)
like "$p1" "近期运气" "the prompt starts from the task's prompt"
is "$(for s in 今天出门会顺利吗 我这周的运气怎么样 下个月适合换工作吗 最近财运如何 明天考试能考好吗; do case "$p1" in *"$s"*) echo x;; esac; done | wc -l | tr -d ' ')" 3 \
	"and shows three of the five seeds (--shots 3)"
like "$p1" "不要使用'在比赛中'这类状语" "the feedback rules are in the prompt"
like "$p1" "问题不要超过15个字" "all of them"
is "$(received '"response_format" in r["body"]' | sort -u)" "False" "questions are asked as a numbered list, not JSON mode"
is "$(sql "SELECT rounds FROM tasks")" 1 "the task moves to round 1"
is "$(sql "SELECT count(DISTINCT task) FROM llm_calls WHERE task = 'generate:luck'")" 1 "the calls are booked to generate:luck"

# ---- review feedback: a rejected record with a note becomes a rule and a counter-example ----
"$WINNOW" sql --write "UPDATE records SET stage = 'clean' WHERE instruction = '今晚打麻将手气会好吗';
	UPDATE records SET stage = 'unique' WHERE instruction = '今晚打麻将手气会好吗';
	UPDATE records SET stage = 'rejected' WHERE instruction = '今晚打麻将手气会好吗';
	INSERT INTO annotations (record_id, author, verdict, note, created_at)
	  SELECT id, 'alice', 'reject', '不要涉及赌博', '2025-01-01T00:00:00Z' FROM records WHERE instruction = '今晚打麻将手气会好吗';
	INSERT INTO feedback (task_id, text, origin, annotation_id, created_at)
	  SELECT r.task_id, a.note, 'review', a.id, a.created_at FROM annotations a JOIN records r ON r.id = a.record_id
	  WHERE a.note = '不要涉及赌博'" >/dev/null 2>&1
run feedback list luck
like "$out" "不要涉及赌博" "a review rejection note is listed as feedback"
fake_llm '{"default": {"content": "1. 这周适合去旅游吗\n2. 明天适合理发吗"}}'
run generate luck --n 2 $LLM
is "$rc" 0 "a later run"
is "$(sql "SELECT count(*) FROM records")" 22 "adds what it was asked for"
unlike "$out" "1." "and prints nothing unless --print"
p=$(prompt_of 1)
like "$p" "不要涉及赌博" "the review note is a rule in the next prompt"
like "$p" "今晚打麻将手气会好吗" "the rejected record is shown as a counter-example"

# ---- the cache: a failed run, run again, pays only for what it lacked ----
run task add luck2 --prompt "$F/luck_prompt.txt" --seeds "$F/luck_seeds.txt"
fake_llm '{"steps": [{"content": "1. 下午去银行办事顺利吗\n2. 这次旅行天气会好吗"}, {"status": 401, "error": {"message": "invalid key"}}],
          "default": {"content": "1. 今年家里会添丁吗\n2. 这次比赛能拿名次吗"}}'
run generate luck2 --n 6 --batch 2 --parallel 1 $LLM
is "$rc" 1 "a run stopped by a refused key"
is "$(sql "SELECT count(*) FROM records WHERE task_id = 2")" 2 "keeps the records of the answers it had"
is "$(sql "SELECT rounds FROM tasks WHERE name = 'luck2'")" 0 "and does not finish the round"
fake_llm '{"steps": [{"content": "1. 今年家里会添丁吗\n2. 这次搬家会顺利吗"}, {"content": "1. 下周能收到好消息吗\n2. 最近会不会破财"}],
          "default": {"content": "1. 别的问题"}}'
run generate luck2 --n 6 --batch 2 --parallel 1 $LLM
is "$rc" 0 "run again"
is "$(calls)" 2 "the first request comes from the cache: two calls, not three"
like "$err" "1 cached" "the summary says so"
like "$err" "2 records from an interrupted run count towards --n" "the records it made before count"
is "$(sql "SELECT count(*) FROM records WHERE task_id = 2")" 6 "so the task has the six records asked for"
is "$(sql "SELECT rounds FROM tasks WHERE name = 'luck2'")" 1 "and the round is finished"

# ---- pairs ----
run task add faq --mode pairs --prompt "$F/faq_prompt.txt" --seeds "$F/faq_seeds.json"
is "$rc" 0 "a pairs task from Alpaca JSON seeds (question/answer spellings too)"
fake_llm '{"default": {"content": "```json\n{\"items\": [{\"instruction\": \"电脑开机后黑屏怎么办？\", \"input\": \"\", \"output\": \"先检查显示器电源和视频线，再尝试外接另一台显示器。\"}, {\"instruction\": \"无线网络经常掉线怎么办？\", \"output\": \"\"}, {\"question\": \"How do I free up disk space?\", \"answer\": \"Empty the recycle bin and uninstall programs you no longer use.\"}]}\n```"}}'
run generate faq --n 2 $LLM
is "$rc" 0 "generate pairs"
is "$(sql "SELECT output FROM records WHERE instruction = '电脑开机后黑屏怎么办？'")" "先检查显示器电源和视频线，再尝试外接另一台显示器。" \
	"the output is stored with its instruction"
is "$(sql "SELECT count(*) FROM records WHERE instruction LIKE '%掉线%'")" 0 "an item with an empty output is dropped"
is "$(sql "SELECT count(*) FROM records WHERE task_id = 3")" 2 "other key spellings are understood"
is "$(received 'r["body"]["response_format"]["type"]')" "json_object" "pairs use JSON mode"
like "$(received)" "重置路由器密码" "the seeds are shown with their outputs"

# ---- from documents ----
DOC='重置路由器的方法很简单。按住路由器背面的复位键约十秒钟，等指示灯全部闪烁后松开，路由器会恢复出厂设置。之后用默认的管理地址和密码登录，重新设置无线名称和密码即可。'
"$WINNOW" sql --write "INSERT INTO documents (title, text, content_hash, created_at) VALUES ('路由器', '$DOC', 1, '2025-01-01T00:00:00Z')" >/dev/null 2>&1
run task add docs --mode from-documents --prompt "$F/doc_prompt.txt" --seeds "$F/faq_seeds.json"
fake_llm '{"default": {"content": "{\"items\": [{\"instruction\": \"怎样把路由器恢复出厂设置？\", \"output\": \"按住背面的复位键约十秒，指示灯全部闪烁后松开即可。\"}, {\"instruction\": \"根据文本，复位后要做什么？\", \"output\": \"重新设置无线名称和密码。\"}, {\"instruction\": \"恢复出厂设置后如何登录路由器？\", \"output\": \"用默认的管理地址和密码登录。\"}]}"}}'
run generate docs --n 3 $LLM
is "$rc" 0 "generate from documents"
like "$(received)" "按住路由器背面的复位键" "the prompt carries the document's text"
is "$(sql "SELECT count(*) FROM records WHERE task_id = 4 AND document_id = 1 AND output <> ''")" 2 \
	"pairs are stored with the document they came from"
is "$(sql "SELECT count(*) FROM records WHERE instruction LIKE '根据文本%'")" 0 "'according to the text' questions are dropped"
run generate docs --n 3 $LLM
is "$rc" 1 "once every document has been used"
like "$err" "every document has been used" "generate says so"

run generate nosuch $LLM
is "$rc" 1 "generate for a missing task fails"
like "$err" "winnow task list" "and says where to look"

for f in "$T"/corpus.db*; do ! grep -qa "$TEST_LLM_KEY" "$f"; ok $? "the key is not in $(basename "$f")"; done

done_testing
