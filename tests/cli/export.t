#!/bin/bash
# export.t - `winnow export`: Alpaca JSON as LLaMA-Factory reads it (key
# order, optional keys, UTF-8 as such), --pretty, JSON Lines, ShareGPT,
# dataset_info.json (merging, refusing a broken one), record selection
# (--stage, --approved-only, --source, --where), atomic writes, and the
# round trip import -> export -> import.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call
F="$FIXTURES/import"

py() { "$PY" -c "$@"; }

"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
"$WINNOW" import "$F/sharegpt.json" --source chats >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 7 "seven records to export"

# --- Alpaca ---
run export -o out/data.json --stage raw
is "$rc" 0 "export --stage raw succeeds"
like "$err" "7 records written to 'out/data.json'" "the summary counts the records"
py 'import json,sys; d=json.load(open("out/data.json", encoding="utf-8")); assert isinstance(d, list) and len(d) == 7' 2>/dev/null
ok $? "the file is a JSON array of 7 objects"
is "$(py 'import json; d=json.load(open("out/data.json")); print("|".join(",".join(r) for r in d))')" \
"instruction,input,output|instruction,input,output|instruction,input,output,system|instruction,input,output,system,history|instruction,input,output|instruction,input,output,system,history|instruction,input,output,system" \
	"keys in order instruction, input, output, then system and history only when present"
is "$(py 'import json; d=json.load(open("out/data.json")); print(d[3]["history"])')" \
	"[['今天天气怎么样？', '今天有小雨。'], ['要带伞吗？', '建议带一把伞。']]" "history is a list of pairs"
is "$(py 'import json; d=json.load(open("out/data.json")); print(d[1]["input"])')" \
	'The shop [on Elm St.] closes at "9 pm" on weekdays, {except} holidays.' "quotes and brackets survive"
grep -q '\\u' out/data.json
ok $(( ! $? )) "no \\u escapes in the file"
grep -q "$(printf '\xe6\x88\x91\xe8\xbf\x99\xe4\xb8\xaa\xe5\xad\xa3\xe5\xba\xa6')" out/data.json
ok $? "Chinese is written as UTF-8 bytes (我这个季度)"
is "$(head -c 2 out/data.json | od -An -c | tr -d ' ')" '[\n' "no byte order mark, starts with the array"

run export -o out/pretty.json --stage raw --pretty
is "$rc" 0 "--pretty export succeeds"
is "$(py 'import json; print(json.load(open("out/pretty.json")) == json.load(open("out/data.json")))')" True \
	"--pretty holds the same data"
like "$(cat out/pretty.json)" '
    "instruction": "我这个季度会发财吗",' "and is indented"

# --- JSON Lines ---
run export -o out/data.jsonl --format jsonl --stage raw
is "$rc" 0 "--format jsonl succeeds"
is "$(wc -l <out/data.jsonl | tr -d ' ')" 7 "one line per record"
is "$(py 'import json
rows=[json.loads(l) for l in open("out/data.jsonl")]
print(rows == json.load(open("out/data.json")))')" True "each line is the same object as in the array"

# --- -o - writes to standard output ---
run export -o - --format jsonl --stage raw
is "$rc" 0 "-o - succeeds"
is "$out" "$(cat out/data.jsonl)" "and writes the same lines to standard output"
like "$err" "7 records written to standard output" "the summary says where they went"
ok "$([ ! -e - ]; echo $?)" "no file named '-' is made"
run export -o - --stage raw --split train=0.5,test=0.5
is "$rc" 2 "-o - with --split is a usage error"
like "$err" "give -o FILE" "that says what to do"

# --- ShareGPT ---
run export -o out/chat.json --format sharegpt --stage raw --source chats
is "$rc" 0 "--format sharegpt succeeds"
is "$(py 'import json
d = json.load(open("out/chat.json"))
for r in d:
    print(" ".join(t["from"] for t in r["conversations"]), "|", r.get("system", "-"))')" \
"human gpt | -
human gpt human gpt | You are a patient maths tutor.
human gpt | 回答要简短。" "turns alternate human/gpt, history first, system kept"
is "$(py 'import json; print(json.load(open("out/chat.json"))[1]["conversations"][0]["value"])')" \
	"What is 7 times 8?" "the first turn of a conversation with history"
run export -o out/inp.json --format sharegpt --stage raw --where "input <> ''"
is "$(py 'import json; print(repr(json.load(open("out/inp.json"))[0]["conversations"][0]["value"]))')" \
	"'Summarise the note in one sentence.\\nThe shop [on Elm St.] closes at \"9 pm\" on weekdays, {except} holidays.'" \
	"instruction and input join with a newline, as LLaMA-Factory does"

# --- dataset_info.json ---
is "$(py 'import json
d = json.load(open("out/dataset_info.json"))
print(sorted(d))
print(d["pretty"]["file_name"], d["pretty"]["columns"])
print(d["chat"]["formatting"], d["chat"]["columns"], d["chat"]["tags"])')" \
"['chat', 'data', 'inp', 'pretty']
pretty.json {'prompt': 'instruction', 'query': 'input', 'response': 'output', 'system': 'system', 'history': 'history'}
sharegpt {'messages': 'conversations', 'system': 'system'} {'role_tag': 'from', 'content_tag': 'value', 'user_tag': 'human', 'assistant_tag': 'gpt'}" \
	"one entry per exported JSON file, alpaca columns and sharegpt tags"
is "$(py 'import json; print(json.load(open("out/dataset_info.json"))["data"]["file_name"])')" "data.jsonl" \
	"an entry is named after the file's stem, so data.jsonl replaced data.json"
mkdir other
printf '{"mine": {"file_name": "mine.json"}}\n' >other/dataset_info.json
run export -o other/new.json --stage raw
is "$rc" 0 "export into a folder with a dataset_info.json"
is "$(py 'import json; d=json.load(open("other/dataset_info.json")); print(sorted(d), d["mine"])')" \
	"['mine', 'new'] {'file_name': 'mine.json'}" "the existing entry is kept and the new one added"
run export -o other/nodi.json --stage raw --no-dataset-info
is "$(py 'import json; print(sorted(json.load(open("other/dataset_info.json"))))')" "['mine', 'new']" \
	"--no-dataset-info leaves it alone"

# a broken dataset_info.json is refused before anything is written
mkdir broken
printf '{"half": ' >broken/dataset_info.json
printf 'old contents\n' >broken/data.json
run export -o broken/data.json --stage raw
is "$rc" 1 "a broken dataset_info.json fails the export"
like "$err" "broken/dataset_info.json" "naming the file"
like "$err" "--no-dataset-info" "and saying what to do"
is "$(cat broken/dataset_info.json)" '{"half": ' "dataset_info.json is not clobbered"
is "$(cat broken/data.json)" "old contents" "nor is the data file (regression: was replaced before the check)"
is "$(ls broken | tr '\n' ' ')" "data.json dataset_info.json " "no temporary file is left"
printf '[1, 2]\n' >broken/dataset_info.json
run export -o broken/data.json --stage raw
is "$rc" 1 "a dataset_info.json that is not an object is refused too"
is "$(cat broken/data.json)" "old contents" "again without touching the data file"

# --- selection ---
run export -o sel/default.json
is "$rc" 0 "the default selection works on an all-raw corpus"
is "$(cat sel/default.json)" "[]" "it exports nothing (only unique and approved by default)"
like "$err" "--stage raw" "the warning says how to export raw records"
"$WINNOW" sql --write "UPDATE records SET stage = 'clean' WHERE id IN (1, 2, 3, 5);
	UPDATE records SET stage = 'unique' WHERE id IN (1, 2, 3, 5);
	UPDATE records SET stage = 'approved' WHERE id IN (2, 5)" >/dev/null 2>&1
is "$(sql "SELECT group_concat(stage) FROM (SELECT stage FROM records ORDER BY id)")" \
	"unique,approved,unique,raw,approved,raw,raw" "records moved through the stages"
ids() { py 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(r["instruction"][:4] for r in d))' "$1"; }
run export -o sel/default.json
is "$(ids sel/default.json)" "我这个季,Summ,把这句话,推荐一本" "the default is unique and approved, in id order"
run export -o sel/approved.json --approved-only
is "$(ids sel/approved.json)" "Summ,推荐一本" "--approved-only"
run export -o sel/raw.json --stage raw
is "$(ids sel/raw.json)" "那明天呢,And ,一年有几" "--stage raw"
run export -o sel/two.json --stage raw --stage approved
is "$(ids sel/two.json)" "Summ,那明天呢,推荐一本,And ,一年有几" "--stage repeated"
run export -o sel/two.json --stage raw,approved
is "$(ids sel/two.json)" "Summ,那明天呢,推荐一本,And ,一年有几" "--stage with a comma list"
run export -o sel/src.json --source chats --stage raw,unique,approved
is "$(ids sel/src.json)" "推荐一本,And ,一年有几" "--source"
run export -o sel/where.json --stage raw,unique,approved --where "system <> '' AND history = '[]'"
is "$(ids sel/where.json)" "把这句话,一年有几" "--where"
run export -o sel/none.json --source nosuch --stage raw
is "$rc" 2 "an unknown --source is a usage error (regression: exported nothing with a misleading hint)"
like "$err" "no source called 'nosuch'" "naming it"
[ ! -e sel/none.json ]; ok $? "and writes no file"
run export -o sel/none.json --stage raw --where "0"
unlike "$err" "pass --stage raw" "no hint to pass --stage raw when it was passed"
run export -o sel/x.json --stage finished
is "$rc" 2 "an unknown stage is a usage error"
like "$err" "finished" "naming it"

# --- atomicity ---
cp sel/default.json keep.json
run export -o sel/default.json --where "no_such_column = 1"
is "$rc" 2 "a bad --where is a usage error"
like "$err" "no_such_column" "with the SQLite message"
is "$(cat sel/default.json)" "$(cat keep.json)" "the existing output is unchanged"
run export -o sel/default.json --where "1); DELETE FROM records; SELECT (1"
is "$rc" 2 "--where with a second statement is refused (regression: the rest was silently dropped)"
is "$(sql "SELECT count(*) FROM records")" 7 "nothing was deleted"
run export -o sel/default.json --where "length(output) > 0"
is "$rc" 0 "a read-only --where is fine"
run export -o sel/default.json --where "id IN (SELECT id FROM records LIMIT 1)"
is "$rc" 0 "subqueries are fine"

printf 'a file, not a folder\n' >notdir
run export -o notdir/out.json --stage raw
is "$rc" 1 "exporting under a path that cannot be a folder fails"
like "$err" "notdir" "naming the path"
is "$(cat notdir)" "a file, not a folder" "the file in the way is untouched"
if [ "$(id -u)" != 0 ]; then
	mkdir ro && printf 'keep\n' >ro/x.json && chmod 555 ro
	run export -o ro/x.json --stage raw
	is "$rc" 1 "exporting into a read-only folder fails"
	is "$(ls ro | tr '\n' ' ')$(cat ro/x.json)" "x.json keep" "leaving no temporary file and the old file"
	chmod 755 ro
fi
is "$(find . -name '*.tmp-*' | wc -l | tr -d ' ')" 0 "no temporary file anywhere"

# a history column broken by hand is refused, not written into invalid JSON
cp out/data.json keep.json
"$WINNOW" sql --write "UPDATE records SET history = '[[\"q\", ' WHERE id = 4" >/dev/null 2>&1
run export -o out/data.json --stage raw,unique,approved
is "$rc" 1 "a record with a corrupt history fails the export (regression: wrote invalid JSON)"
like "$err" "record 4 has a corrupt history column" "naming the record"
is "$(cat out/data.json)" "$(cat keep.json)" "the previous export is untouched"
"$WINNOW" sql --write "UPDATE records SET history = '[[\"q\", 5]]' WHERE id = 4" >/dev/null 2>&1
run export -o out/chat.json --format sharegpt --stage raw,unique,approved
is "$rc" 1 "a history pair holding a number fails the ShareGPT export (regression: became an empty turn)"
"$WINNOW" sql --write "UPDATE records SET history = '[[\"今天天气怎么样？\",\"今天有小雨。\"],[\"要带伞吗？\",\"建议带一把伞。\"]]' WHERE id = 4" >/dev/null 2>&1

# --- round trip ---
"$WINNOW" import "$F/openai.jsonl" >/dev/null 2>&1
"$WINNOW" import "$F/faq.csv" --map instruction=question,output=answer >/dev/null 2>&1
printf '%s\n' '{"instruction": "tab\there \"q\" back\\slash \u0001 😀", "output": "行1\n行2\r\n"}' >odd.jsonl
"$WINNOW" import odd.jsonl >/dev/null 2>&1
n=$(sql "SELECT count(*) FROM records")
is "$n" 12 "twelve records, with control characters, CRs and emoji among them"
rows() { WINNOW_DB=$1 "$WINNOW" sql --format json "SELECT instruction, input, output, system, history, content_hash FROM records ORDER BY id" 2>/dev/null; }
for fmt in alpaca jsonl; do
	run export -o rt/all.$fmt --format $fmt --stage raw,clean,unique,approved
	is "$rc" 0 "export $fmt for the round trip"
	WINNOW_DB="$T/rt-$fmt.db" "$WINNOW" import rt/all.$fmt >/dev/null 2>&1
	is "$?" 0 "import the $fmt export into a new corpus"
	is "$(rows "$T/rt-$fmt.db")" "$(rows "$T/corpus.db")" "$fmt round trip gives back the same records"
	WINNOW_DB="$T/rt-$fmt.db" "$WINNOW" import rt/all.$fmt >/dev/null 2>"$T/.err"
	like "$(cat "$T/.err")" "0 added, $n already present" "and importing it again adds nothing"
done
run import rt/all.alpaca
like "$err" "0 added, $n already present" "importing the export into the original corpus adds nothing"

done_testing
