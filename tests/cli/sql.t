#!/bin/bash
# sql.t - `winnow sql` (read-only unless --write, tsv/csv/json/table output,
# several statements, SQL errors), `winnow stats` and `winnow schema`.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call
F="$FIXTURES/import"


"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
"$WINNOW" import "$F/faq.csv" --map instruction=question,output=answer >/dev/null 2>&1
records() { "$WINNOW" sql --format tsv "SELECT id, stage, instruction, output FROM records ORDER BY id" 2>/dev/null | md5sum; }
base=$(records)

# read-only by default
run sql "DELETE FROM records"
is "$rc" 2 "a write statement without --write is refused"
like "$err" "--write" "the message mentions --write"
is "$(records)" "$base" "nothing changed"
run sql "SELECT count(*) FROM records; UPDATE records SET output = 'x'"
is "$rc" 2 "a write after a read is refused too"
like "$out" "6" "the read before it ran"
is "$(records)" "$base" "the write did not"
run sql "PRAGMA query_only = 0; DELETE FROM records"
is "$rc" 2 "turning query_only off does not open a way around it"
is "$(records)" "$base" "still nothing changed"
run sql "ATTACH 'attached.db' AS other"
[ ! -e attached.db ]
ok $? "ATTACH without --write creates no file (regression: it did)"
run sql "INSERT INTO sources (name, kind, created_at) VALUES ('x', 'file', 'now')"
is "$rc" 2 "INSERT is refused without --write"
is "$(sql "SELECT count(*) FROM sources")" 2 "no source was added"

# --write
run sql --write "UPDATE records SET stage = 'clean' WHERE id = 2"
is "$rc" 0 "--write allows changes"
is "$(sql "SELECT stage FROM records WHERE id = 2")" "clean" "and they are made"
run sql --write "UPDATE records SET stage = 'approved' WHERE id = 1"
is "$rc" 65 "the stage machine still refuses an illegal move"
like "$err" "illegal record stage transition" "with the trigger's message"
is "$(sql "SELECT stage FROM records WHERE id = 1")" "raw" "and the record did not move"

# errors
run sql "SELECT nosuch FROM records"
is "$rc" 65 "an SQL error exits 65"
like "$err" "no such column: nosuch" "with the SQLite message"
run sql "SELEC 1"
is "$rc" 65 "a syntax error exits 65"
like "$err" "syntax error" "with the SQLite message"
run sql "SELECT 1; SELECT * FROM nowhere; SELECT 3"
is "$rc" 65 "an error in the second statement"
is "$out" "$(printf '1\n1')" "the first statement's output is printed, the third never runs"
run sql
is "$rc" 2 "sql without a statement is a usage error"
run sql "SELECT 1" "SELECT 2"
is "$rc" 2 "two arguments is a usage error"
run sql --format xml "SELECT 1"
is "$rc" 2 "an unknown --format is a usage error"

# formats; the values hold tabs, newlines, commas, quotes, Chinese and NULL
Q="SELECT 1 AS n, 'a	b' AS tab, 'x,\"y\"' AS csv, 'l1
l2' AS nl, '季度' AS zh, NULL AS none_, 2.5 AS r"
run sql "$Q"
is "$out" "$(printf 'n\ttab\tcsv\tnl\tzh\tnone_\tr\n1\ta\\tb\tx,"y"\tl1\\nl2\t季度\t\t2.5')" \
	"TSV (the default off a terminal) escapes tabs and newlines"
run sql --format csv "$Q"
is "$out" "$(printf 'n,tab,csv,nl,zh,none_,r\n1,a\tb,"x,""y""","l1\nl2",季度,,2.5')" "CSV quotes as RFC 4180 says"
run sql --format json "$Q; SELECT id, instruction FROM records WHERE id <= 2"
is "$rc" 0 "--format json"
printf '%s\n' "$out" | "$PY" -c 'import json,sys
rows = [json.loads(l) for l in sys.stdin]
assert rows[0] == {"n": 1, "tab": "a\tb", "csv": "x,\"y\"", "nl": "l1\nl2", "zh": "季度", "none_": None, "r": 2.5}, rows[0]
assert [r["id"] for r in rows[1:]] == [1, 2], rows
assert rows[1]["instruction"] == "我这个季度会发财吗"'
ok $? "prints one valid JSON object per row, with types, for each statement"
run sql --format json "SELECT 1e999 AS big"
printf '%s\n' "$out" | "$PY" -c 'import json,sys
def strict(x): raise ValueError(x)
json.loads(sys.stdin.read(), parse_constant=strict)' 2>/dev/null
ok $? "--format json writes infinity as valid JSON (regression: bare Inf)"
run sql --format json "SELECT CAST(x'c4e3' AS TEXT) AS gbk"
printf '%s\n' "$out" | "$PY" -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' 2>/dev/null
ok $? "--format json on text that is not UTF-8 still prints valid JSON (regression)"
run sql --format table "SELECT id, instruction FROM records WHERE id <= 2"
like "$out" "(2 rows)" "--format table counts the rows"
like "$out" "我这个季度会发财吗" "and shows wide text"
run sql "SELECT 1; -- a trailing comment"
is "$rc" 0 "a trailing comment is fine"

# multiple statements print one result set each
run sql "SELECT 'first' AS a; SELECT 'second' AS b"
is "$out" "$(printf 'a\nfirst\n\nb\nsecond')" "two statements, two headed result sets"

# the runs log
like "$(sql "SELECT exit_code || ' ' || counts FROM runs WHERE command = 'sql' AND exit_code = 65 LIMIT 1")" \
	'65 {"statements":' "a failed sql run is recorded with its exit code"

# stats
run stats
is "$rc" 0 "stats runs"
like "$out" "6 records, 0 documents" "total counts"
like "$out" "by stage" "a section per stage"
[[ "$out" =~ raw[[:space:]]+5 ]]; ok $? "5 raw"
[[ "$out" =~ clean[[:space:]]+1 ]]; ok $? "1 clean"
[[ "$out" =~ import[[:space:]]+6 ]]; ok $? "6 imported"
[[ "$out" =~ alpaca[[:space:]]+4 ]]; ok $? "4 from source alpaca"
[[ "$out" =~ faq[[:space:]]+2 ]]; ok $? "2 from source faq"
like "$out" "length in characters" "and the length distribution"

# schema
run schema
is "$rc" 0 "schema runs"
for t in sources tasks documents records annotations runs; do
	[[ "$out" =~ (^|$'\n')"$t -- " ]]; ok $? "schema documents the table $t"
done
like "$out" "history" "and the records columns"
like "$out" "JSON list of earlier [question, answer] turns" "each with a comment"

# editing text by hand keeps the content hash true, so re-importing the old text adds it again
printf '[{"instruction": "hash me", "output": "before"}]\n' > h.json
"$WINNOW" import h.json >/dev/null 2>&1
old_hash=$(sql "SELECT content_hash FROM records WHERE instruction = 'hash me'")
run sql --write "UPDATE records SET output = 'after' WHERE instruction = 'hash me'"
is "$rc" 0 "an edit with --write succeeds"
new_hash=$(sql "SELECT content_hash FROM records WHERE instruction = 'hash me'")
[ -n "$new_hash" ] && [ "$new_hash" != "$old_hash" ]
ok $? "the content hash follows the edited text (regression: it kept the old hash)"
run import h.json
like "$err" "1 added" "so the original text imports again as a new record"
printf '[{"instruction": "hash me", "output": "after"}]\n' > h2.json
run import h2.json
like "$err" "0 added, 1 already present" "and the edited text counts as present"

n_raw=$(sql "SELECT count(*) FROM records WHERE stage = 'raw'")
run sql --write "UPDATE records SET stage = 'clean' WHERE stage = 'raw'"
like "$err" "$n_raw changed" "a write says how many rows it changed (regression: said 0 rows)"

done_testing
