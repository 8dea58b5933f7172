#!/bin/bash
# import_bad.t - malformed input: every case names the file, the line (and
# array index) and the field, exits 65 and leaves the corpus exactly as it
# was; --skip-bad imports the rest and says how many were skipped and why.
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/import"

# Everything import can change, as one checksum (runs excluded: every
# command records itself there). Read with the sqlite3 shell when there is
# one: `winnow sql` would log itself in runs, two commits per check.
SNAP="SELECT count(*) FROM records; SELECT * FROM records ORDER BY id; SELECT * FROM sources ORDER BY id"
snapshot() {
	if command -v sqlite3 >/dev/null; then
		sqlite3 -readonly "$WINNOW_DB" "$SNAP" | md5sum
	else
		sql "$SNAP" | md5sum
	fi
}

"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 4 "a corpus with four records to protect"
base=$(snapshot)

# refused FILE LINE-PATTERN DESCRIPTION [ARGS...]: import must exit 65,
# mention LINE-PATTERN in its error and change nothing.
refused() {
	local file=$1 pattern=$2 what=$3
	shift 3
	run import "$file" "$@"
	is "$rc" 65 "$what: exit 65"
	like "$err" "$pattern" "$what: the message says where"
	like "$err" "unchanged" "$what: the summary says nothing changed"
	is "$(snapshot)" "$base" "$what: the corpus is unchanged"
}

refused "$F/bad_item.json" "bad_item.json:4 (item 2): not valid JSON" "invalid JSON in an array item"
refused "$F/bad_line.jsonl" "bad_line.jsonl:4: not valid JSON" "invalid JSON on a JSON Lines line"
is "$(sql "SELECT status || ' ' || exit_code || ' ' || counts FROM runs WHERE command = 'import' ORDER BY id DESC LIMIT 1")" \
	'bad-input 65 {"read":3,"added":0,"already_present":0,"bad":1}' \
	"the runs log counts nothing as added (regression: rolled-back records were counted)"
like "$err" "--skip-bad" "the hint mentions --skip-bad"
refused "$F/missing_output.jsonl" "missing_output.jsonl:2: field 'output' is missing" "a missing output"
refused "$F/wrong_types.jsonl" "wrong_types.jsonl:2: field 'output' must be a string, found a number" \
	"a number where text belongs"
refused "$F/bad_history.jsonl" "bad_history.jsonl:2: field 'history' must be a list" "history that is a string"
refused "$F/bad_sharegpt.jsonl" "bad_sharegpt.jsonl:2: field 'conversations' ends with a user turn" \
	"a conversation ending with a user turn"
refused "$F/bad_fields.csv" "bad_fields.csv:3: expected 2 fields as in the header, found 3" \
	"a CSV row with a wrong field count"
refused "$F/bad_quote.csv" "bad_quote.csv: line 3: quoted field never closed" "an unclosed CSV quote"
refused "$F/no_columns.csv" "no_columns.csv:1: the header has no column 'instruction'" \
	"a CSV without the needed columns"
like "$err" "--map" "which suggests --map"
refused "$F/no_columns.csv" "no column 'frage' for instruction" "a missing mapped column" \
	--map instruction=frage,output=reply
printf 'instruction,output\n"quoted"tail,x\n' >after_quote.csv
refused after_quote.csv "line 2: unexpected text after a closing quote in field 1" "text after a closing quote"
refused "$F/unterminated.json" "unterminated.json: line 4: unexpected end of file inside the array (missing ']')" \
	"an unterminated array"
refused "$F/trailing.json" "trailing.json: line 4: unexpected data after the closing ']'" \
	"garbage after the closing ']'"
refused "$F/stray_comma.json" "stray_comma.json: line 2: empty item in the array (stray ',')" "a stray comma"
refused "$F/empty.json" "empty.json: the file is empty" "an empty file"
printf '' >empty.csv
refused empty.csv "empty.csv: the file is empty" "an empty CSV"
printf '\n  \n\n' >blank.jsonl
refused blank.jsonl "blank.jsonl: the file is empty" "a JSON Lines file of blank lines"
printf '[' >bracket.json
refused bracket.json "missing ']'" "a file holding only '[' (regression: read before the buffer)"
printf '[{"instruction": "a", "output": "b"}, 7]' >scalar.json
refused scalar.json "scalar.json:1 (item 1): expected a JSON object, found a number" \
	"a bare number as the last array item (regression: was 'unbalanced brackets')"
printf '[{"instruction": "a", "output": "b"}, "text"]' >string.json
refused string.json "(item 1): expected a JSON object, found a string" "a string as an array item"
printf 'question,answer\n\xc4\xe3\xba\xc3,\xca\xc7\n' >gbk.csv
refused gbk.csv "gbk.csv:2: column 'question' (instruction) is not UTF-8 text" \
	"a GBK-encoded CSV (regression: was stored as invalid UTF-8)"
printf 'instruction\toutput\nq\0x\ta\n' >nul.tsv
refused nul.tsv "nul.tsv:2: column 'instruction' (instruction) is not UTF-8 text" "a NUL byte in a TSV field"
printf '\xef\xbb{"instruction": "a", "output": "b"}\n' >cut_bom.jsonl
refused cut_bom.jsonl "cut_bom.jsonl:1: not valid JSON" \
	"a cut-off byte order mark before a line (regression: bytes dropped silently, read before the buffer)"
printf '\xef' >cut_bom1.jsonl
refused cut_bom1.jsonl "cut_bom1.jsonl:1: not valid JSON" "a file of one cut-off BOM byte (regression: 'the file is empty')"
printf '{"instruction": "a", "output": "b"}\0\n' >nul_tail.jsonl
refused nul_tail.jsonl "nul_tail.jsonl:1: not valid JSON" "a trailing NUL byte (regression: trimmed as white space)"
printf '{"instruction": "a", "output": "b"}\n\0\0\n' >nul_line.jsonl
refused nul_line.jsonl "nul_line.jsonl:2: not valid JSON" "a line of NUL bytes (regression: skipped silently)"
printf '{"instruction": "a", "output": "b"}\n' | iconv -f UTF-8 -t UTF-16 >utf16.jsonl
refused utf16.jsonl "utf16.jsonl: line 1: the file is UTF-16" "UTF-16 JSON Lines named as UTF-16"
printf 'instruction,output\na,b\n' | iconv -f UTF-8 -t UTF-16LE >utf16.csv
refused utf16.csv "utf16.csv: line 1: the file is UTF-16" "UTF-16 CSV without a BOM named as UTF-16"
mkdir -p adir
run import adir
is "$rc" 1 "import DIR fails"
like "$err" "'adir' is a directory; import takes one file at a time" \
	"import DIR says it is a directory (regression: 'the file is empty')"
is "$(snapshot)" "$base" "import DIR: the corpus is unchanged"
printf 'instruction,output,history\nq,a,"[[""x""]]"\n' >hist.csv
refused hist.csv "hist.csv:2: field 'history' item 0 must be a [question, answer] pair" "bad history JSON in CSV"
printf 'instruction,output,history\nq,a,[[x\n' >hist2.csv
refused hist2.csv "hist2.csv:2: column 'history' is not valid JSON" "history that is not JSON in CSV"

# each line of a file with many kinds of bad items, one at a time
while IFS='|' read -r n text want; do
	printf '{"instruction": "fine", "output": "ok"}\n%s\n' "$text" >case$n.jsonl
	refused case$n.jsonl "case$n.jsonl:2: $want" "bad item $n"
done <<'EOF'
1|{"instruction": {"text": "x"}, "output": "ok"}|field 'instruction' must be a string, found an object
2|{"instruction": "x", "input": 7, "output": "ok"}|field 'input' must be a string, found a number
3|{"instruction": "x", "output": "ok", "system": ["s"]}|field 'system' must be a string, found an array
4|{"instruction": "x", "output": "ok", "history": [["only a question"]]}|field 'history' item 0 must be a [question, answer] pair
5|{"instruction": "x", "output": "ok", "history": [["q", 5]]}|field 'history' item 0 must be a [question, answer] pair
6|{"instruction": "x", "output": "ok", "history": ["q", "a"]}|field 'history' item 0 must be a [question, answer] pair
7|"just a string"|expected a JSON object, found a string
8|{"output": "ok"}|field 'instruction' is missing
9|{"conversations": [{"from": "human", "value": "who"}, {"from": "narrator", "value": "x"}]}|conversations turn 1: role 'narrator' cannot be imported
10|{"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]}|conversations turn 1: expected an assistant turn (or function_call), found 'human'
11|{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}|messages turn 0: expected a user turn (or observation), found 'assistant'
12|{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "image_url"}]}]}|messages turn 1 part 0: a part of type 'image_url' cannot be imported: only text parts can
13|{"messages": "not a list"}|field 'messages' must be a list of turns, found a string
14|{"messages": [{"role": "user", "content": "a"}, {"role": "assistant"}]}|messages turn 1: field 'content' is missing
15|{"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": 5}]}|conversations turn 1: field 'value' must be a string or a list of text parts, found a number
16|{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "late"}, {"role": "assistant", "content": "b"}]}|messages turn 1: role 'system' cannot be imported (expected system only as the first turn)
17|{"conversations": [{"from": "system", "value": "only a system turn"}]}|field 'conversations' needs at least one user turn and one assistant reply
18|{"instruction": "x", "output": "ok", "history": "no"}|field 'history' must be a list of [question, answer] pairs, found a string
19|{"instruction": "x", "output": "ok", "kto_tag": "yes"}|field 'kto_tag' must be true or false, found a string
20|{"instruction": "x", "chosen": "a"}|field 'rejected' is missing (a preference pair needs chosen and rejected)
21|{"instruction": "x", "chosen": "a", "rejected": 3}|field 'rejected' must be a string, found a number
22|{"instruction": "x", "output": "ok", "images": [1]}|field 'images' must be a path or a list of paths, found an array
23|{"instruction": "x", "output": "ok", "tools": 5}|field 'tools' must be a JSON text or a list of tool definitions, found a number
24|{"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "human", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}}|field 'chosen': role must be an assistant or function_call, found 'human'
25|{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "chosen": {"from": "gpt", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}}|field 'conversations' must end with the prompt (a user turn) when 'chosen' and 'rejected' hold the answers
26|{"conversations": [{"from": "human", "value": "q"}, {"from": "observation", "value": "o"}]}|conversations turn 1: expected an assistant turn (or function_call), found 'observation'
27|{"messages": [{"role": "user", "content": [{"type": "image", "image": "a.png"}]}, {"role": "assistant", "content": "b"}]}|messages turn 0 part 0: a part of type 'image' cannot be imported
EOF

# --map names keys in JSON too
printf '{"q": "问", "a": "答"}\n' >mapped.jsonl
run import mapped.jsonl --map instruction=q
is "$rc" 65 "a mapped instruction without output is still bad"
like "$err" "field 'output' is missing" "and says which field"
run import mapped.jsonl --map instruction=q,output=a
is "$rc" 0 "--map instruction=q,output=a imports JSON keys"
is "$(sql "SELECT output FROM records WHERE instruction = '问'")" "答" "through the map"
[ "$(snapshot)" != "$base" ]; ok $? "the corpus checksum sees an added record (so the checks above can fail)"
base=$(snapshot)

# --skip-bad
run import "$F/wrong_types.jsonl" --skip-bad
is "$rc" 0 "--skip-bad imports the good items"
like "$err" "5 records read" "it counts every item read"
like "$err" "1 added" "the good one is added"
like "$err" "4 bad ones skipped" "the summary says how many were skipped"
like "$err" "skipped $F/wrong_types.jsonl:2: field 'output' must be a string, found a number" "and why, per item"
like "$err" "skipped $F/wrong_types.jsonl:3: field 'instruction' must be a string, found an object" "each of them"
like "$err" "skipped $F/wrong_types.jsonl:5: expected a JSON object, found a string" "down to the last"
is "$(sql "SELECT instruction FROM records WHERE instruction = 'fine'")" "fine" "the good record is there"
is "$(sql "SELECT counts FROM runs WHERE command = 'import' ORDER BY id DESC LIMIT 1")" \
	'{"read":5,"added":1,"already_present":0,"bad":4}' "the run counts the bad items"

run import "$F/bad_item.json" --skip-bad
is "$rc" 0 "--skip-bad on an array with one invalid item"
like "$err" "3 added, 0 already present, 1 bad one skipped" "the items around it are imported"
is "$(sql "SELECT group_concat(instruction, ',') FROM (SELECT instruction FROM records WHERE instruction LIKE '第%' ORDER BY id)")" \
	"第一条,第二条,第四条" "in order, without the bad one"

run import "$F/bad_sharegpt.jsonl" --skip-bad
is "$rc" 0 "--skip-bad on bad conversations"
like "$err" "1 added, 0 already present, 6 bad ones skipped" "one good conversation of seven"
like "$err" "more bad items skipped" "after five reasons the rest are only counted"

run import "$F/bad_fields.csv" --skip-bad
is "$rc" 0 "--skip-bad on CSV"
like "$err" "2 added, 0 already present, 1 bad one skipped" "the short and long rows"
base=$(snapshot)
run import "$F/unterminated.json" --skip-bad
is "$rc" 65 "--skip-bad cannot skip a broken array structure"
is "$(snapshot)" "$base" "and imports nothing from it"

done_testing
