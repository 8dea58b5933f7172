#!/bin/bash
# dedupe.t - `winnow dedupe`: exact and near duplicates (English and
# Chinese), the choice of the kept record, conflicts, --dry-run, --rouge,
# --threshold and bad command lines. Expected clusters were worked out from
# the fixture by hand (Jaccard of character 5-grams computed independently):
#   1,2 exact copies after folding; 1/2 vs 3: J = 0.946; 3 has the longest output
#   4 vs 5 (Chinese, full- vs half-width punctuation, one word added): J = 0.870
#   6/7 and 8/11: same instruction, different output (conflicts), J < 0.4
#   9/10: same instruction, different input: not a conflict
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/dedupe"

setup() { # fresh corpus with the fixture at stage clean
	rm -f "$WINNOW_DB" "$WINNOW_DB"-wal "$WINNOW_DB"-shm
	"$WINNOW" import "$F/records.json" 2>/dev/null
	"$WINNOW" sql --write "UPDATE records SET stage = 'clean'" >/dev/null 2>&1
}

run dedupe --help
is "$rc" 0 "dedupe --help exits 0"
like "$out" "--threshold" "help lists --threshold"
like "$out" "--conflicts" "help lists --conflicts"
like "$out" "--against" "help lists --against"

run dedupe
is "$rc" 1 "a missing corpus is a failure"

setup
run dedupe --dry-run
is "$rc" 0 "dry run exits 0"
like "$out" "cluster 1: 3 records, keep #3" "dry run shows the English cluster and its keeper"
like "$out" "cluster 2: 2 records, keep #5" "dry run shows the Chinese cluster and its keeper"
like "$out" "介绍一下长城" "dry run shows a sample of each record"
like "$out" "conflict:6 #7" "dry run shows conflicts"
like "$err" "nothing changed" "dry run says it changed nothing"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'clean'")" "11" "dry run leaves every record clean"
is "$(sql "SELECT count(*) FROM dedupe_signatures")" "0" "dry run stores no signatures"

run dedupe
is "$rc" 0 "dedupe exits 0"
like "$err" "11 records hashed: 8 unique, 0 exact + 3 near" "summary counts (1 and 2 are exact copies of each other, near to the kept 3)"
is "$(sql "SELECT id, stage, duplicate_of, reason FROM records WHERE id <= 5 ORDER BY id" | tr '\t\n' ' ')" \
	"1 duplicate 3 dedupe:near 2 duplicate 3 dedupe:near 3 unique   4 duplicate 5 dedupe:near 5 unique   " \
	"the longest output is kept; the others point at it"
is "$(sql "SELECT group_concat(id) FROM records WHERE stage = 'unique'")" "3,5,6,7,8,9,10,11" \
	"everything else is unique"
is "$(sql "SELECT group_concat(id || '=' || reason) FROM records WHERE reason LIKE 'conflict:%'")" \
	"6=conflict:6,7=conflict:6,8=conflict:8,11=conflict:8" "conflicts are kept and flagged with the group's oldest id"
is "$(sql "SELECT count(*) FROM records WHERE id IN (9, 10) AND reason IS NULL")" "2" \
	"same instruction with different inputs is not a conflict"
is "$(sql "SELECT group_concat(record_id) FROM dedupe_signatures")" "3,5,6,7,8,9,10,11" \
	"signatures are stored for the kept records"
is "$(sql "SELECT count(*) FROM dedupe_signatures WHERE length(bands) % 4 = 0 AND length(bands) > 0")" "8" \
	"band keys are stored as 32-bit values"
is "$(sql "SELECT status, json_extract(counts, '$.unique'), json_extract(counts, '$.near') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" \
	"ok	8	3" "the run is recorded with its counts"

run dedupe
is "$rc" 0 "a second run exits 0"
like "$err" "0 records hashed" "a second run has nothing new to hash"
is "$(sql "SELECT count(*) FROM records WHERE stage = 'unique'")" "8" "and changes nothing"

# better records win: quality beats length, approved beats quality
setup
"$WINNOW" sql --write "UPDATE records SET quality = 0.9 WHERE id = 1" >/dev/null 2>&1
"$WINNOW" sql --write "UPDATE records SET stage = 'unique' WHERE id = 4; UPDATE records SET stage = 'approved' WHERE id = 4" >/dev/null 2>&1
run dedupe
is "$(sql "SELECT id, stage, duplicate_of, reason FROM records WHERE id <= 5 ORDER BY id" | tr '\t\n' ' ')" \
	"1 unique   2 duplicate 1 dedupe:exact 3 duplicate 1 dedupe:near 4 approved   5 duplicate 4 dedupe:near " \
	"a higher quality score beats a longer output, an approved record beats both"

# conflict policies
setup
run dedupe --conflicts first
is "$(sql "SELECT group_concat(id || '=' || stage) FROM records WHERE reason LIKE 'conflict:%'")" \
	"6=unique,7=rejected,8=unique,11=rejected" "--conflicts first keeps the oldest and rejects the rest"
setup
run dedupe --conflicts reject
is "$(sql "SELECT group_concat(id || '=' || stage) FROM records WHERE reason LIKE 'conflict:%'")" \
	"6=rejected,7=rejected,8=rejected,11=rejected" "--conflicts reject rejects them all"

# a higher threshold: 0.946 and 0.870 pairs stay apart, exact copies still merge
setup
run dedupe --threshold 0.95
is "$(sql "SELECT group_concat(id) FROM records WHERE stage = 'duplicate'")" "1" \
	"--threshold 0.95 merges only the exact copies"
is "$(sql "SELECT duplicate_of || ' ' || reason FROM records WHERE id = 1")" "2 dedupe:exact" \
	"the copy with the longer output (178 characters with its punctuation, vs 176) is kept"

# instruction similarity
setup
run dedupe --rouge
is "$rc" 0 "dedupe --rouge exits 0"
is "$(sql "SELECT id, duplicate_of, reason FROM records WHERE reason = 'dedupe:rouge' ORDER BY id" | tr '\t\n' ' ')" \
	"6 7 dedupe:rouge 9 10 dedupe:rouge 11 8 dedupe:rouge " \
	"--rouge merges records with the same instruction, keeping the longer output"
is "$(sql "SELECT count(*) FROM records WHERE reason LIKE 'conflict:%'")" "0" "so no conflicts remain"

# regression: a record and its translation were merged because they share a code output
export WINNOW_DB="$T/translations.db"
run import "$FIXTURES/dedupe/translations.json"
run clean
run dedupe
is "$rc" 0 "dedupe of a record, its translation and a reworded copy exits 0"
is "$(sql "SELECT id || ':' || stage || ':' || lang FROM records ORDER BY id" | tr '\n' ' ')" \
	"1:unique:en 2:unique:zh 3:duplicate:en " \
	"the translation is kept; the reworded English copy with the same code is a duplicate"
like "$(sql "SELECT counts FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" '"pairs_other_language":' \
	"pairs in different languages are counted"
export WINNOW_DB="$T/translations3.db"
run import "$FIXTURES/dedupe/translations.json"
run clean
run dedupe --threshold 0.7
is "$(sql "SELECT count(*) FROM records WHERE stage = 'duplicate'")" "1" "at 0.7 the translation (Jaccard 0.71) is still kept"
export WINNOW_DB="$T/translations2.db"
run import "$FIXTURES/dedupe/translations.json"
run clean
run dedupe --across-languages --threshold 0.7
is "$(sql "SELECT count(*) FROM records WHERE stage = 'duplicate'")" "2" "--across-languages joins the translation too"
like "$(sql "SELECT counts FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" '"pairs_other_language":0' "and compares across languages"

# batches: each committed before the next starts, the same records kept as in one batch
export WINNOW_DB="$T/batches.db"
setup
run dedupe --batch 2
is "$rc" 0 "dedupe --batch 2 exits 0"
is "$(sql "SELECT json_extract(counts, '$.batches') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" 6 \
	"11 clean records make 6 batches"
like "$err" "6 batches committed" "the summary says how many batches were committed"
is "$(sql "SELECT group_concat(id || ':' || stage || ':' || coalesce(duplicate_of, ''), ' ') FROM records")" \
	"1:duplicate:3 2:duplicate:3 3:unique: 4:duplicate:5 5:unique: 6:unique: 7:unique: 8:unique: 9:unique: 10:unique: 11:unique:" \
	"batches keep the records one batch keeps"
is "$(sql "SELECT count(*) FROM records WHERE reason LIKE 'conflict:%'")" 4 "and flag the same conflicts"
run dedupe --batch 2
is "$(sql "SELECT json_extract(counts, '$.hashed') FROM runs WHERE command = 'dedupe' ORDER BY id DESC LIMIT 1")" 0 \
	"a run after the batches finds nothing left to do"

# bad command lines
run dedupe --threshold 2
is "$rc" 2 "a threshold above 1 is a usage error"
like "$err" "--threshold" "the message names the option"
run dedupe --conflicts maybe
is "$rc" 2 "an unknown conflict policy is a usage error"
run dedupe extra
is "$rc" 2 "dedupe takes no arguments"

done_testing
