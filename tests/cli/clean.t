#!/bin/bash
# clean.t - `winnow clean` from raw to clean or rejected: reasons, normalised
# text and masked PII read back through `winnow sql`, dry runs that change
# nothing, a second run that changes nothing, duplicates after
# normalisation, rules files, --rule, --lang, --pii and --block.
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/clean"

# the whole records table as text, to compare before and after
snapshot() { sql "SELECT id, stage, coalesce(reason,''), instruction, input, output, system, history,
	content_hash, coalesce(duplicate_of,''), lang, updated_at FROM records ORDER BY id"; }
field() { sql "SELECT $1 FROM records WHERE id = $2"; }

run import "$F/mixed.jsonl"
is "$rc" 0 "the fixture imports"
before=$(snapshot)
hash2=$(field content_hash 2)

# ---- dry run ----
run clean --dry-run
is "$rc" 0 "a dry run succeeds"
is "$(snapshot)" "$before" "a dry run changes no record"
like "$out" "14 raw records" "the dry run counts the raw records"
like "$out" "refusal (2):" "it names each rule with its count"
# regression: examples showed the start of a field, not what fired
like "$out" "#3 output: [I'm sorry, but I can't] help with that." "examples show record id, field and the span that fired"
like "$out" "#4 output: [我无法回答]这个问题。" "Chinese examples too"
like "$out" "#8 output: Sure.\\n[### Response:]\\nIt is short." "with the text around it, line breaks shown"
run clean --dry-run --diff
is "$(snapshot)" "$before" "--dry-run --diff changes nothing"
like "$out" "#9 (mojibake)" "--diff names each changed record and the kinds of change"
like "$out" "  instruction: - ä½ å¥½ means what?" "and shows the text before"
like "$out" "               + 你好 means what?" "and after"
like "$out" "#6 (pii)" "masking is a change too"
like "$err" "4 normalised: characters 2, pii 2, mojibake 1, whitespace 1;" "the summary counts each kind of change, largest first"
like "$out" "duplicate-after-normalise (1):" "it finds duplicates that normalisation creates"
like "$err" "dry run, nothing changed" "the summary says nothing changed"

# ---- the real run ----
run clean
is "$rc" 0 "clean succeeds"
like "$err" "14 raw records: 7 clean" "the summary counts clean records"
like "$err" "7 rejected" "and rejected ones"
is "$(sql "SELECT id || ':' || stage || ':' || coalesce(reason, '') FROM records ORDER BY id" | tr '\n' ' ')" \
"1:clean: 2:clean: 3:rejected:refusal 4:rejected:refusal 5:rejected:ai-self-reference 6:clean: 7:rejected:empty-output 8:rejected:prompt-scaffolding 9:clean: 10:rejected:duplicate-after-normalise 11:clean: 12:clean: 13:rejected:lorem-ipsum 14:clean: " \
	"every record is clean or rejected with the rule's name as reason"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'raw'")" 0 "no record is left raw"

is "$(field instruction 2)" "What is AI？" "full-width letters fold, the Chinese question mark stays"
isnt_hash=$(field content_hash 2)
[ "$isnt_hash" != "$hash2" ]; ok $? "the content hash is recomputed when text changes"
is "$(field output 1)" "北京是中国的首都，有三千多年的历史。" "Chinese text and punctuation are untouched"
is "$(field output 6)" "请拨打<PHONE>或发邮件到 <EMAIL>，身份证号<ID_NUMBER>。" "PII is masked with typed placeholders"
is "$(field instruction 9)" "你好 means what?" "mojibake is repaired"
# regression: markup was stripped from every record ("Explain the `<div>` tag" lost its tag)
is "$(field output 9)" 'It means &quot;hello&quot;<br>in Chinese.' "an imported record keeps its entities and tags"
is "$(field history 12)" '[["Today？","今天下雨，电话<PHONE>"]]' "history turns are normalised and masked"
is "$(field system 12)" "你是天气助手。" "system is kept"
is "$(field duplicate_of 10)" 11 "the duplicate names the record it equals"
is "$(field instruction 10)" "Ｓａｙ　ｈｅｌｌｏ　ｔｏ　ｍｅ" "a rejected record keeps its original text"
is "$(sql "SELECT group_concat(lang, ',') FROM (SELECT lang FROM records ORDER BY id)")" \
	"zh,en,en,zh,zh,zh,en,en,zh,en,en,zh,en,en" \
	"every record gets the language of its request by script (#2 asks in English; #9, once repaired, 2 Han vs 2 Latin words)"
# nothing changed silently: the original text is kept, with what changed it
is "$(sql "SELECT instruction || '|' || changes FROM record_originals WHERE record_id = 9")" "ä½ å¥½ means what?|mojibake" \
	"the original of a changed record is kept with the kinds of change"
is "$(sql "SELECT count(*) FROM record_originals")" "$(sql "SELECT json_extract(counts, '$.normalised') FROM runs WHERE command = 'clean' AND status = 'ok' ORDER BY id DESC LIMIT 1")" \
	"one original for every record clean changed"
is "$(sql "SELECT count(*) FROM record_originals o JOIN records r ON r.id = o.record_id WHERE r.stage = 'rejected'")" 0 \
	"rejected records keep their own text and need none"
like "$(sql "SELECT counts FROM runs WHERE command = 'clean' ORDER BY id DESC LIMIT 1")" '"refusal":2' \
	"the run's counts hold each rule's count"
like "$(sql "SELECT counts FROM runs WHERE command = 'clean' ORDER BY id DESC LIMIT 1")" '"top-2gram":0' \
	"rules that rejected nothing are counted too"
like "$(sql "SELECT counts FROM runs WHERE command = 'clean' ORDER BY id DESC LIMIT 1")" '"pii_phone":2' \
	"PII matches are counted by type"

# ---- idempotent ----
after=$(snapshot)
run clean
is "$rc" 0 "a second run succeeds"
like "$err" "0 raw records" "it finds nothing to do"
is "$(snapshot)" "$after" "and changes nothing"

# ---- requeue with a rule turned off ----
"$WINNOW" sql --write "UPDATE records SET stage = 'raw' WHERE id = 3" 2>/dev/null
run clean --rule refusal=off
is "$rc" 0 "clean with --rule succeeds"
is "$(field stage 3)" clean "a requeued record is cleaned again under the new rules"
is "$(field reason 3)" "" "its old reason is cleared"

# ---- options ----
run clean --rules "$F/bad.rules"
is "$rc" 65 "a bad rules file is bad input"
like "$err" "bad.rules:4" "the message names the file and line"
like "$err" "no-such-rule" "and the unknown key"

run clean --rule top-2gram=2
is "$rc" 2 "an out-of-range --rule is a usage error"
like "$err" "top-2gram" "the message names the rule"

run clean --list-rules
is "$rc" 0 "--list-rules works without a corpus change"
like "$out" "duplicate-lines" "it lists the rules"
like "$out" "0.3" "with their thresholds"

export WINNOW_DB="$T/second.db"
run import "$F/mixed.jsonl"
run clean --lang zh --pii reject --block "$F/block.txt" --rule lorem-ipsum=off
is "$rc" 0 "clean with --lang, --pii and --block succeeds"
is "$(field reason 14)" lang "--lang zh rejects English records as 'lang'"
is "$(field reason 1)" "" "and keeps Chinese ones"
is "$(field reason 6)" pii "--pii reject rejects records with personal data"
is "$(field output 6)" "请拨打13812345678或发邮件到 zhang.san@example.com，身份证号11010519491231002X。" \
	"and leaves their text as it was"
is "$(field reason 13)" blocklist "--block rejects records with a listed word"

# ---- profiles: markup is stripped from crawled text only ----
export WINNOW_DB="$T/profiles.db"
run import "$F/mixed.jsonl"
"$WINNOW" sql --write "UPDATE records SET origin = 'crawl' WHERE id = 9" >/dev/null 2>&1
run clean
is "$(field output 9)" 'It means "hello"\nin Chinese.' "a crawled record's entities are decoded and <br> becomes a line break"
export WINNOW_DB="$T/profiles2.db"
run import "$F/mixed.jsonl"
run clean --profile web
is "$(field output 9)" 'It means "hello"\nin Chinese.' "--profile web strips markup from every record"
run clean --profile nosuch
is "$rc" 2 "an unknown --profile is a usage error"
like "$err" "auto|instruction|web" "the message lists the profiles there are"
run clean --list-rules
like "$out" "repetition-min-words         500         50" "--list-rules shows each profile's settings"

run clean --block "$T/missing.txt"
is "$rc" 65 "a missing blocklist is bad input"
like "$err" "missing.txt" "the message names the file"

done_testing
