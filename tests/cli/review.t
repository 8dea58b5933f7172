#!/bin/bash
# review.t - the terminal reviewer driven through a pseudo-terminal: keys
# in, screen read back (by a small terminal emulator with its own idea of
# character widths), the corpus checked afterwards. Accept, reject with
# tags and a Chinese note (which becomes task feedback), edit in $EDITOR
# (a new raw version that re-enters the pipeline), undo, batches, resize,
# quit, SIGTERM, and the message without a terminal.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
A="$FIXTURES/annotate"
drive() { # drive ROWS COLS SCRIPT-TEXT WINNOW-ARGS... : sets $out, $rc
	printf '%s\n' "$3" >"$T/script.txt"
	local rows=$1 cols=$2
	shift 3
	out=$("$PY" "$A/pty_drive.py" "$rows" "$cols" "$T/script.txt" -- "$WINNOW" "$@" 2>"$T/drive.err")
	rc=$?
}

run import "$A/records.jsonl"
run clean
run dedupe
run task add poems --prompt "$A/task_prompt.txt" --seeds "$A/task_seeds.txt"
is "$rc" 0 "a task to collect feedback"
"$WINNOW" sql --write "UPDATE records SET task_id = (SELECT id FROM tasks WHERE name = 'poems')" 2>/dev/null
is "$(sql "SELECT group_concat(stage) FROM records")" "unique,unique,unique" "three unique records to review"

# without a terminal: a clear message and no change
run review </dev/null
is "$rc" 2 "review without a terminal is refused"
like "$err" "needs a terminal" "and says why"
like "$err" "--export" "and what to do instead"

export EDITOR="$A/edit_output.sh" VISUAL= WINNOW_REVIEWER=alice
drive 20 46 '
expect "1/3 · 0 accepted · 0 rejected"
expect "今天天气很好，我们去公园散步吧。"
send "a"
expect "2/3 · 1 accepted · 0 rejected"
expect "What is the capital of France?"
send "e"
expect "3/3 · 1 accepted · 0 rejected · 1 edited"
expect "saved as record 4"
screen poem.screen
send "r"
expect "error tags"
send "factual,format\r"
expect "note"
send "不要编\u007f造诗句\r"
expect "rule for? q questions a answers [answer]"
send "\r"
expect "batch 1 done"
expect "3/3 · 1 accepted · 1 rejected · 1 edited"
send "u"
expect "undone: reject of record 3"
expect "3/3 · 1 accepted · 0 rejected · 1 edited"
send "r"
expect "error tags"
send "\r"
expect "note"
send "押韵不工整\r"
expect "[question]"
send "x\r"
expect "[question]"
send "a\r"
expect "batch 1 done"
expect "poems\u0027."
send "q"
wait
' review
is "$rc" 0 "the reviewer session ends cleanly"
is "$out" "exit 0" "and winnow exits 0"
[ -s "$T/drive.err" ] && sed 's/^/# /' "$T/drive.err"

# the Chinese poem on a 46-column screen: every row fits in 45 columns
# (the last column is never written) and the rows put together are the text
"$PY" - "$T/poem.screen" <<'PYEOF' >"$T/wrap.txt"
import sys, unicodedata
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = next(i for i, r in enumerate(rows) if r.startswith("── output"))
body = []
for r in rows[start + 1:]:
    if not r.strip():
        break
    body.append(r)
width = max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in r) for r in body)
print(len(body), width, "".join(body))
PYEOF
is "$(cat "$T/wrap.txt")" "3 44 春风拂面柳丝长，桃花盛开满园香。燕子归来寻旧垒，田间农夫播种忙。小溪潺潺向东流，孩童嬉戏在山岗。" \
	"the poem wraps into rows of at most 45 columns (22 characters) and nothing is lost"
like "$(cat "$T/poem.screen")" "source records · task poems" "the header shows source and task"

is "$(sql "SELECT id || ':' || stage || ':' || coalesce(reason, '') FROM records WHERE id <= 3 ORDER BY id" | tr '\n' ' ')" \
	"1:approved: 2:rejected:edited 3:rejected:review " "accepted, edited and rejected records moved"
is "$(sql "SELECT origin || ':' || parent_id || ':' || stage || ':' || output FROM records WHERE id = 4")" \
	"fix:2:raw:The capital of France is Paris." "the edit is a new raw record, origin fix, parent the original"
is "$(sql "SELECT record_id || ':' || author || ':' || verdict || ':' || tags || ':' || note FROM annotations ORDER BY id" | tr '\n' ' ')" \
	"1:alice:accept:: 2:alice:edit::edited into record 4 3:alice:reject::押韵不工整 " \
	"one annotation per decision; the undone rejection is gone"
is "$(sql "SELECT origin || ':' || kind || ':' || text FROM feedback")" "review:answer:押韵不工整" \
	"the rejection note is an answer rule for the task (the key said so); the undone note is gone"
is "$(sql "SELECT counts FROM runs WHERE command = 'review' ORDER BY id DESC LIMIT 1")" \
	'{"accepted":1,"rejected":1,"edited":1,"batches":1,"skipped":0}' "the run is logged with its counts"

# the edit goes through the pipeline again and comes back for review
run clean
run dedupe
is "$(sql "SELECT stage FROM records WHERE id = 4")" "unique" "the edited version is unique after clean and dedupe"
run import "$A/more.jsonl"
run clean
run dedupe

# batches of 2: 4, 5 | 6; p/n, skip, resize, then SIGTERM after a decision
drive 16 50 '
expect "1/2 · 0 accepted"
expect "record 4"
send "n"
expect "2/2"
send "p"
expect "1/2"
send "s"
send "a"
expect "batch 1 done"
send "n"
expect "batch 2 · record 6"
expect "1/1"
resize 24 70
expect "Name three primary colours."
send "a"
expect "batch 2 done"
kill
wait
' review --batch 2
is "$out" "exit -15" "SIGTERM ends the reviewer"
is "$(sql "SELECT id || ':' || stage FROM records WHERE id >= 4 ORDER BY id" | tr '\n' ' ')" \
	"4:unique 5:approved 6:approved " "skip leaves a record; decisions before the kill are kept"
is "$(sql "SELECT status FROM runs WHERE command = 'review' ORDER BY id DESC LIMIT 1")" "running" \
	"a killed review leaves its runs row open"

# filters
drive 16 50 '
expect "nothing to review"
wait
' review --where "id > 100"
is "$out" "exit 0" "no matching record: a message, not an empty screen"
run review --where "id >" </dev/null
is "$rc" 2 "a bad --where is a usage error"
like "$err" "check --where" "the message names --where"
run review --where "1; DELETE FROM records" </dev/null
is "$rc" 2 "--where cannot run a second statement"
run review --task nosuch </dev/null
is "$rc" 2 "an unknown task is a usage error"
like "$err" "no task 'nosuch'" "and says so"
run review --stage clean </dev/null
is "$rc" 2 "clean records cannot be reviewed"
like "$err" "only raw (questions without an output)" "and the message says what can"

# the status line on a 100-column screen keeps its end (the help key) instead of being cut
drive 12 100 '
expect "? help"
screen status.screen
send "q"
wait
' review --stage approved
status_row=$(grep "accepted ·" "$T/status.screen" | tail -1)
like "$status_row" "q quit" "a 100-column status line shows the whole list of keys"
drive 12 60 '
expect "? help"
screen narrow.screen
send "q"
wait
' review --stage approved
like "$(grep "accepted ·" "$T/narrow.screen" | tail -1)" "0 rejected   ? help" \
	"a 60-column one keeps the counts and the help key"
drive 16 50 '
expect "record 3"
expect "1/1"
send "a"
expect "batch 1 done"
send "q"
wait
' review --stage rejected --task poems --where "reason LIKE 'review%'"
is "$(sql "SELECT stage || ':' || coalesce(reason, '') FROM records WHERE id = 3")" "approved:" \
	"a rejected record can be accepted on a second look"
done_testing
