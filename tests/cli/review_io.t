#!/bin/bash
# review_io.t - reviewing elsewhere: review --export writes JSON Lines,
# --import applies accept / reject (tags as a list, a note that becomes
# feedback) / edit (a corrected text becomes a new raw version), twice
# without doubling anything, and refuses malformed files whole (exit 65,
# corpus unchanged, the message naming file, line and field).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
A="$FIXTURES/annotate"

run import "$A/records.jsonl"
run import "$A/more.jsonl"
run clean
run dedupe
run task add poems --prompt "$A/task_prompt.txt" --seeds "$A/task_seeds.txt"
"$WINNOW" sql --write "UPDATE records SET task_id = (SELECT id FROM tasks WHERE name = 'poems') WHERE id = 3" 2>/dev/null
"$WINNOW" sql --write "INSERT INTO annotations (record_id, author, verdict, note, created_at)
	VALUES (1, 'bob', 'accept', '好', '2024-01-01T00:00:00Z')" 2>/dev/null

run review --export todo.jsonl --where "id <= 4"
is "$rc" 0 "export succeeds"
like "$err" "4 records written to todo.jsonl" "the summary counts the records"
is "$(wc -l <todo.jsonl | tr -d ' ')" 4 "one line per record"
is "$("$PY" -c '
import json, sys
rows = [json.loads(l) for l in open("todo.jsonl", encoding="utf-8")]
r = rows[0]
print(r["id"], r["stage"], r["source"], r["instruction"], r["input"], r["history"], r["decision"],
      r["annotations"][0]["author"], r["annotations"][0]["note"])
print(rows[2]["task"])')" "1 unique records 把下面的句子翻译成英文 今天天气很好，我们去公园散步吧。 [] None bob 好
poems" "each line carries the text (UTF-8 as is), stage, source, task and earlier annotations"

run review --export - --task poems
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "--export - writes to stdout, filters apply"

# the reviewer's decisions
"$PY" - <<'PYEOF'
import json
rows = [json.loads(l) for l in open("todo.jsonl", encoding="utf-8")]
rows[0]["decision"] = "accept"
rows[1]["output"] = "The capital of France is Paris."
rows[1]["decision"] = "accept"
rows[2]["decision"] = "reject"; rows[2]["tags"] = ["factual", "rhyme"]; rows[2]["note"] = "诗句要押韵"
rows[3]["decision"] = None
with open("done.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
PYEOF
run review --import done.jsonl --reviewer carol
is "$rc" 0 "import succeeds"
like "$err" "1 accepted, 1 rejected, 1 edited; 1 without a decision" "the summary counts each kind"
is "$(sql "SELECT id || ':' || stage || ':' || coalesce(reason, '') FROM records WHERE id <= 4 ORDER BY id" | tr '\n' ' ')" \
	"1:approved: 2:rejected:edited 3:rejected:review: factual,rhyme 4:unique: " "stages and reasons"
is "$(sql "SELECT parent_id || ':' || origin || ':' || stage || ':' || output FROM records WHERE parent_id = 2")" \
	"2:fix:raw:The capital of France is Paris." "a changed text accepted is a new raw version"
is "$(sql "SELECT author || ':' || verdict || ':' || tags || ':' || note FROM annotations WHERE record_id = 3")" \
	"carol:reject:factual,rhyme:诗句要押韵" "the reviewer's name, tags and note are kept"
is "$(sql "SELECT text FROM feedback WHERE origin = 'review'")" "诗句要押韵" "the note is feedback for the task"
before=$(sql "SELECT (SELECT count(*) FROM annotations) || ':' || (SELECT count(*) FROM records)")

run review --import done.jsonl --reviewer carol
is "$rc" 0 "importing the same file again succeeds"
like "$err" "0 accepted, 0 rejected, 0 edited; 1 without a decision, 3 already recorded" "and does nothing new"
is "$(sql "SELECT (SELECT count(*) FROM annotations) || ':' || (SELECT count(*) FROM records)")" "$before" \
	"no annotation or record added twice"

# malformed files change nothing
bad() { # bad DESCRIPTION WANT-IN-ERR LINES...
	local desc=$1 want=$2
	shift 2
	printf '%s\n' "$@" >bad.jsonl
	run review --import bad.jsonl
	is "$rc" 65 "$desc: exit 65"
	like "$err" "$want" "$desc: the message says where"
	is "$(sql "SELECT (SELECT count(*) FROM annotations) || ':' || (SELECT count(*) FROM records)")" "$before" \
		"$desc: the corpus is unchanged"
}
bad "an unknown decision" 'bad.jsonl:2: field "decision"' '{"id": 4, "decision": "accept"}' '{"id": 5, "decision": "maybe"}'
bad "a missing id" 'bad.jsonl:1: field "id"' '{"decision": "accept"}'
bad "an id not in the corpus" 'there is no record 999' '{"id": 999, "decision": "reject"}'
bad "not JSON" 'bad.jsonl:2: not JSON' '{"id": 4, "decision": "accept"}' '{"id": 5, "decision": '
bad "tags of the wrong type" 'field "tags"' '{"id": 4, "decision": "reject", "tags": 3}'
bad "a changed text rejected" 'use "edit"' '{"id": 4, "decision": "reject", "output": "changed"}'
bad "an edit that empties the output" 'must not be empty' '{"id": 4, "decision": "edit", "output": "  "}'
is "$(sql "SELECT stage FROM records WHERE id = 4")" "unique" "record 4 was not accepted by the failed import"

run review --import nosuch.jsonl
is "$rc" 1 "a missing file is a failure"
like "$err" "cannot open 'nosuch.jsonl'" "named in the message"
run review --import done.jsonl --task poems
is "$rc" 2 "filters do not go with --import"
run review --export x.jsonl --where "no_such_column = 1"
is "$rc" 2 "a bad --where is a usage error"
[ -e x.jsonl ]; is "$?" 1 "and no file is written"
done_testing
