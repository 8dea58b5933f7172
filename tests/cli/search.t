#!/bin/bash
# search.t - `winnow search`: Chinese substrings through the trigram index,
# short terms by scanning, several terms (all must match), --stage, output
# formats, and the lazy index staying right after records are changed or
# deleted behind its back with `winnow sql --write`.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call
F="$FIXTURES/import"

"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
"$WINNOW" import "$F/sharegpt.json" >/dev/null 2>&1

ids() { "$WINNOW" search --format tsv "$@" 2>/dev/null | cut -f1 | sort -n | tr '\n' ' '; }

run search 季度会发财
is "$rc" 0 "search exits 0"
is "$(printf '%s\n' "$out" | cut -f1-3)" "1	raw	alpaca" "a Chinese substring finds the record: id, stage, source"
like "$out" "我这个[季度会发财]吗" "with the match highlighted in the snippet"
like "$err" "1 record found" "the summary counts the results"
is "$(sql "SELECT indexed_upto FROM fts_state WHERE name = 'records'")" 7 "the first search indexed every record"

is "$(ids 季度)" "1 7 " "a two-character term is matched by scanning (records 1 and 7)"
is "$(ids 财)" "1 " "so is a single character"
is "$(ids 季度 发财)" "1 " "all terms must match (both short)"
is "$(ids 季度 一年有)" "7 " "a short and a long term together"
is "$(ids "季度 会发财")" "1 " "terms in one argument are split on spaces"
is "$(ids 季度会发财 Python)" "" "a term that matches nothing makes the whole search empty"
is "$(ids ELM shop)" "2 " "English terms of three letters or more are case-insensitive"
is "$(ids st)" "2 " "short terms are case-insensitive too (regression: finds 'St.')"
is "$(ids 'closes at "9')" "2 " "a term with a double quote is searched literally"
is "$(ids 'AND' 'NEAR(x')" "" "FTS5 operators are searched as plain text"
is "$(ids 明天 --stage raw)" "4 " "--stage raw matches"
is "$(ids 明天 --stage approved)" "" "--stage approved does not"
is "$(ids 天气助手)" "" "system and history are not searched (instruction, input, output are)"
run search 天气 --stage ripe
is "$rc" 2 "an unknown --stage is a usage error"
run search
is "$rc" 2 "search without terms is a usage error"
run search " "
is "$rc" 2 "so is a blank term"

run search --format json 翻译
is "$rc" 0 "--format json"
printf '%s\n' "$out" | "$PY" -c 'import json,sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["id"] for r in rows] == [3] and rows[0]["stage"] == "raw" and "[翻译]" in rows[0]["snippet"], rows'
ok $? "prints one valid JSON object per result"
run search --limit 1 --format tsv 。
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "--limit caps the results"
like "$err" "limit reached" "and the summary says so"

# the lazy index follows updates and deletes made with plain SQL
"$WINNOW" sql --write "UPDATE records SET instruction = '我下个月会升职吗' WHERE id = 1" >/dev/null 2>&1
is "$(ids 季度会发财)" "" "after an update the old text is no longer found"
is "$(ids 下个月会升职)" "1 " "and the new text is"
is "$(ids 季度会)" "" "no trace of the old text through the index"
"$WINNOW" sql --write "UPDATE records SET output = '换个说法' WHERE id = 1;
	UPDATE records SET output = '再换一次' WHERE id = 1" >/dev/null 2>&1
is "$(ids 再换一次)" "1 " "two updates before a search: the last text is found"
is "$(ids 换个说法)" "" "and the intermediate one is not"
"$WINNOW" sql --write "DELETE FROM records WHERE id = 3" >/dev/null 2>&1
is "$(ids 专业翻译 翻译成英文)" "" "a deleted record is no longer found"
is "$(sql "SELECT count(*) FROM fts_pending_records")" 0 "the pending changes were applied"
is "$(sql "SELECT count(*) FROM records_fts WHERE records_fts MATCH '翻译成'")" 0 "and the index holds none of its text"

# a record deleted at the top and its id reused by a new one
"$WINNOW" sql --write "DELETE FROM records WHERE id = 7" >/dev/null 2>&1
printf '{"instruction": "月亮为什么有圆缺？", "output": "因为月球绕地球转动。"}\n' >moon.jsonl
"$WINNOW" import moon.jsonl >/dev/null 2>&1
is "$(sql "SELECT id FROM records WHERE instruction LIKE '月亮%'")" 7 "the new record took the freed id 7"
is "$(ids 月亮为什么)" "7 " "the new text under the reused id is found"
is "$(ids 一年有几个)" "" "and the deleted record's text is not"
printf '{"instruction": "新导入的记录", "output": "可以搜到"}\n' >new.jsonl
"$WINNOW" import new.jsonl >/dev/null 2>&1
is "$(ids 新导入)" "8 " "records imported after the first search are indexed on the next"
"$WINNOW" sql --write "UPDATE records SET stage = 'clean' WHERE id = 8" >/dev/null 2>&1
is "$(ids 新导入 --stage clean)" "8 " "a stage change is seen at once (stage is not indexed)"

# documents: the table is empty until crawl or extract fills it
run search --documents 退货流程
is "$rc" 0 "--documents on an empty documents table works"
is "$out" "" "and finds nothing"
like "$err" "0 documents found" "the summary says so"
run search --documents 退货 --stage raw
is "$rc" 2 "--stage with --documents is a usage error"

rm -f corpus.db*
run search 季度
is "$rc" 1 "search without a corpus fails"
like "$err" "winnow init" "and says how to make one"

done_testing
