#!/bin/bash
# dedupe_incremental.t - the nightly run: signatures of kept records are
# stored, so a second run hashes only the new records and compares them
# with everything kept before. batch2.json (ids 12-15) holds, worked out by
# hand from the fixture:
#   12: record 3 in capitals without the final full stop (exact copy; 3 is longer)
#   13: record 5 with a clause added (J = 0.890), longer, so it replaces 5
#   14: something new
#   15: a third answer to "What is the capital of Australia?" (conflict with 6 and 7)
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/dedupe"

"$WINNOW" import "$F/records.json" 2>/dev/null
"$WINNOW" sql --write "UPDATE records SET stage = 'clean'" >/dev/null 2>&1
run dedupe
is "$rc" 0 "the first run exits 0"
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe'")" "11" \
	"the first run hashes every record"

"$WINNOW" import "$F/batch2.json" 2>/dev/null
"$WINNOW" sql --write "UPDATE records SET stage = 'clean' WHERE stage = 'raw'" >/dev/null 2>&1
run dedupe
is "$rc" 0 "the second run exits 0"
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" "4" \
	"the second run hashes only the 4 new records"
is "$(sql "SELECT stage, duplicate_of, reason FROM records WHERE id = 12" | tr '\t' ' ')" "duplicate 3 dedupe:exact" \
	"a new exact copy of a kept record becomes its duplicate"
is "$(sql "SELECT stage, reason FROM records WHERE id = 13" | tr '\t' ' ')" "unique " \
	"a better new near duplicate is kept"
is "$(sql "SELECT stage, duplicate_of, reason FROM records WHERE id = 5" | tr '\t' ' ')" "duplicate 13 dedupe:near" \
	"and the record it replaces becomes its duplicate"
is "$(sql "SELECT duplicate_of FROM records WHERE id = 4")" "13" \
	"duplicates of the replaced record now point at the new one"
is "$(sql "SELECT stage FROM records WHERE id = 14")" "unique" "a new record is unique"
is "$(sql "SELECT group_concat(id || '=' || reason) FROM records WHERE reason LIKE 'conflict:6'")" \
	"6=conflict:6,7=conflict:6,15=conflict:6" "a new conflicting answer joins the conflict group"
is "$(sql "SELECT group_concat(record_id) FROM dedupe_signatures")" "3,6,7,8,9,10,11,13,14,15" \
	"the replaced record's signature is dropped, the new kept ones stored"

run dedupe
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" "0" \
	"a run with nothing new hashes nothing"

# other settings make the stored band keys unusable: they are redone once
run dedupe --threshold 0.9
is "$rc" 0 "a run with another threshold exits 0"
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" "10" \
	"another threshold rehashes the 10 kept records"
is "$(sql "SELECT count(DISTINCT scheme) || ' ' || count(*) FROM dedupe_signatures")" "1 10" \
	"and stores them under the new scheme"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'unique'")" "10" "without changing any stage"

# a record whose stored signature was deleted is hashed again
"$WINNOW" sql --write "DELETE FROM dedupe_signatures WHERE record_id = 14" >/dev/null 2>&1
run dedupe --threshold 0.9
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" "1" \
	"a kept record without a signature is hashed again"
is "$(sql "SELECT count(*) FROM dedupe_signatures WHERE record_id = 14")" "1" "and stored"

done_testing
