#!/bin/bash
# import.t - `winnow import` of every supported format: Alpaca JSON arrays,
# JSON Lines, ShareGPT and OpenAI messages, CSV/TSV with a column map,
# detection without --format, stdin, byte order marks, --source, aliases,
# and idempotency. Every check reads the corpus back through `winnow sql`.
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/import"

# rows of the given fields for records whose instruction is $2, TSV
row() { sql "SELECT $1 FROM records WHERE instruction = '$2'"; }

run import "$F/alpaca.json"
is "$rc" 0 "an Alpaca JSON array imports"
like "$err" "4 records read" "the summary counts what was read"
like "$err" "4 added" "the summary counts what was added"
is "$(sql "SELECT count(*) FROM records")" 4 "four records are in the corpus"
is "$(sql "SELECT DISTINCT stage || ',' || origin FROM records")" "raw,import" \
	"imported records start at raw with origin import"
is "$(row "input, output" "我这个季度会发财吗")" "	财运要看努力和机会，不能只靠运气。" \
	"Chinese text is stored as UTF-8, input empty"
is "$(row input "Summarise the note in one sentence.")" \
	'The shop [on Elm St.] closes at "9 pm" on weekdays, {except} holidays.' \
	"brackets, braces and escaped quotes inside strings survive"
is "$(row system "把这句话翻译成英文：今天下雨了。")" "你是一名专业翻译。" "system is imported"
is "$(row "system, history" "那明天呢？")" \
	'你是天气助手。	[["今天天气怎么样？","今天有小雨。"],["要带伞吗？","建议带一把伞。"]]' \
	"history is stored as a compact JSON list of pairs, UTF-8 unescaped"
is "$(row history "我这个季度会发财吗")" "[]" "a record without history stores []"
is "$(sql "SELECT s.name || '|' || s.kind || '|' || s.location FROM sources s")" "alpaca|file|$F/alpaca.json" \
	"the source is named after the file"
is "$(sql "SELECT count(*) FROM records WHERE source_id = (SELECT id FROM sources WHERE name = 'alpaca')")" 4 \
	"every record points at its source"

# idempotency
before=$(sql "SELECT id, content_hash FROM records ORDER BY id" | md5sum)
run import "$F/alpaca.json"
is "$rc" 0 "importing the same file again succeeds"
like "$err" "0 added, 4 already present" "and adds nothing"
is "$(sql "SELECT id, content_hash FROM records ORDER BY id" | md5sum)" "$before" "the records are untouched"
is "$(sql "SELECT counts FROM runs WHERE command = 'import' ORDER BY id DESC LIMIT 1")" \
	'{"read":4,"added":0,"already_present":4,"bad":0}' "the run records its counts"

# JSON Lines, detected from the content (blank line in the middle)
run import "$F/records.jsonl"
is "$rc" 0 "JSON Lines import without --format"
like "$err" "3 added" "blank lines are skipped"
is "$(row "input, output" "Add the numbers.")" "2 and 3	5" "JSON Lines fields"
is "$(row "input, system" "What is the capital of France?")" "	Answer briefly." "a missing input is empty"

# ShareGPT
run import "$F/sharegpt.json"
is "$rc" 0 "ShareGPT conversations import"
like "$err" "3 added" "all three conversations"
is "$(row "output, history, system" "推荐一本入门编程的书。")" "可以试试《Python编程：从入门到实践》。	[]	" \
	"a single exchange becomes instruction/output with no history"
is "$(row "output, system, history" "And 56 divided by 4?")" \
	'14.	You are a patient maths tutor.	[["What is 7 times 8?","56."]]' \
	"earlier turns become history, the last pair instruction/output, top-level system kept"
is "$(row "output, system" "一年有几个季度？")" "四个。	回答要简短。" "a first system turn becomes system"

# OpenAI messages
run import "$F/openai.jsonl" --source support
is "$rc" 0 "OpenAI messages import"
is "$(row "output, system, history" "订单号是 A1024。")" \
	'已为您登记退货申请。	你是客服助手。	[["我想退货。","请提供订单号。"]]' \
	"system turn, multi-turn history and the last pair"
is "$(sql "SELECT output FROM records WHERE instruction = 'Describe a cat in five words.'")" \
	"Small, soft, curious, proud, sleepy." "content given as a list of text parts is joined"
is "$(sql "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'support'")" 2 \
	"--source names the source"
is "$(sql "SELECT count(*) FROM sources WHERE name = 'openai'")" 0 "and no source is named after the file"

# aliases
run import "$F/aliases.jsonl"
is "$rc" 0 "prompt/response, question/answer, completion/context are understood"
is "$(row output "用一个词形容春天。")" "温暖。" "prompt/response"
is "$(row output "How many legs does a spider have?")" "Eight." "question/answer"
is "$(row "input, output" "Complete: 1, 2, 3,")" "counting	4" "context/completion"

# CSV with a column map, quoted multi-line fields, doubled quotes, CRLF
run import "$F/faq.csv" --map instruction=question,output=answer
is "$rc" 0 "CSV with --map imports"
like "$err" "2 added" "two rows"
is "$(sql "SELECT count(*) FROM records WHERE instruction = '多行的' || char(13, 10) || '问题' AND output = '答案里有逗号, 还有\"引号\"'")" 1 \
	"a quoted field keeps its line break; doubled quotes become one"
is "$(sql "SELECT count(*) FROM records WHERE instruction = 'How do I reset my password?' AND output = 'Open Settings,' || char(10) || 'then choose \"Reset\".'")" 1 \
	"an unquoted field and a quoted one with an LF line break"

# the same map spelled as two options
rm -f corpus.db*
run import "$F/faq.csv" --map instruction=question --map output=answer
is "$rc" 0 "--map may be repeated"
is "$(sql "SELECT count(*) FROM records")" 2 "into a fresh corpus (import creates it)"

# TSV, detected from the extension; prompt/response/context headers
run import "$F/faq.tsv"
is "$rc" 0 "TSV import"
is "$(row "input, output" "Name a colour.")" "short answer	Blue." "TSV columns through aliases"
is "$(row output "写一句问候语。")" "你好，祝你今天愉快！" "Chinese in TSV"

# --format overrides detection: a .txt that holds CSV
cp "$F/faq.tsv" table.txt
run import table.txt --format tsv --source txt
is "$rc" 0 "--format tsv reads a file of any name"
like "$err" "0 added, 2 already present" "same rows as the .tsv, so nothing new"

# stdin
rm -f corpus.db*
run import - <"$F/records.jsonl"
is "$rc" 0 "'-' reads standard input"
is "$(sql "SELECT count(*) FROM records")" 3 "all records from stdin"
run import - <"$F/records.jsonl"
like "$err" "0 added, 3 already present" "stdin imports are idempotent too"
is "$(sql "SELECT name FROM sources")" "stdin" "stdin imports get the source 'stdin'"
"$WINNOW" import - <"$F/alpaca.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "a JSON array on stdin"
is "$(sql "SELECT count(*) FROM records")" 7 "is detected as an array"

run import - --format csv --map instruction=question,output=answer --source faq-stdin <"$F/faq.csv"
is "$rc" 0 "CSV on standard input with --format csv"
like "$err" "2 added" "both rows"
is "$(sql "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'faq-stdin'")" 2 \
	"under the --source name"

# byte order marks
rm -f corpus.db*
printf '\xef\xbb\xbf[{"instruction": "带BOM的数组", "output": "好"}]\n' >bom.json
printf '\xef\xbb\xbf{"instruction": "带BOM的行", "output": "好"}\r\n\r\n{"instruction": "CRLF line", "output": "ok"}\r\n' >bom.jsonl
printf '\xef\xbb\xbfinstruction,output\r\n带BOM的表格,好\r\n' >bom.csv
for f in bom.json bom.jsonl bom.csv; do
	run import "$f"
	is "$rc" 0 "a UTF-8 BOM is skipped in $f"
done
is "$(sql "SELECT instruction FROM records ORDER BY id" | tr '\n' '|')" "带BOM的数组|带BOM的行|CRLF line|带BOM的表格|" \
	"no BOM and no CR ends up in the text"
is "$(sql "SELECT count(*) FROM records WHERE instr(instruction, char(65279)) OR instr(output, char(13))")" 0 \
	"checked byte-wise"

# the whole text survives: a quote, a backslash, a tab, a control character, an emoji
rm -f corpus.db*
printf '%s\n' '{"instruction": "tab\there \"q\" back\\slash \u0001 😀", "output": "行1\n行2"}' >odd.jsonl
run import odd.jsonl
is "$rc" 0 "escapes are decoded"
is "$(sql "SELECT hex(instruction) FROM records")" \
	"$(printf 'tab\there "q" back\\slash \001 😀' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
	"byte for byte"

# --help and bad arguments
run import
is "$rc" 2 "import without a file is a usage error"
run import a b
is "$rc" 2 "two files is a usage error"
run import "$F/alpaca.json" --map instruction
is "$rc" 2 "a --map without '=' is a usage error"
like "$err" "--map" "naming the option"
run import "$F/alpaca.json" --map answer=output
is "$rc" 2 "a --map with an unknown field is a usage error"
run import "$F/alpaca.json" --format yaml
is "$rc" 2 "an unknown --format is a usage error"
run import no-such-file.json
is "$rc" 1 "a missing file is a failure"
like "$err" "no-such-file.json" "naming the file"

done_testing
