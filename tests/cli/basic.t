#!/bin/bash
# basic.t - the command line itself: help, unknown commands and options,
# exit codes, and the runs log.
. "$(dirname "$0")/lib.sh"

run help
is "$rc" 0 "winnow help exits 0"
like "$out" "import" "help lists import"
like "$out" "export" "help lists export"

run help import
is "$rc" 0 "help import exits 0"
like "$out" "--skip-bad" "help import shows the import options"

run import --help
is "$rc" 0 "import --help exits 0"
like "$out" "--map" "import --help comes from the option table"

run frobnicate
is "$rc" 2 "an unknown command is a usage error"
like "$err" "frobnicate" "the message names the command"

run export -o x.json --bogus
is "$rc" 2 "an unknown option is a usage error"
like "$err" "--bogus" "the message names the option"

run sql "-- count them
SELECT 1"
is "$rc" 2 "SQL starting with a comment is read as an option"
like "$err" "put -- before an argument" "and the message says how to pass it"
run --db sqlcomment.db init
run --db sqlcomment.db sql -- "-- count them
SELECT 41 + 1"
like "$out" "42" "which works after --"

run export -o x.json --seed many
is "$rc" 2 "a bad option value is a usage error"
like "$err" "--seed" "the message names the option with the bad value"

run sql "SELECT 1"
is "$rc" 1 "a missing corpus is a failure"
like "$err" "winnow init" "the message says how to make one"

run init
is "$rc" 0 "init creates the corpus"
[ -f corpus.db ]; ok $? "the corpus file exists at WINNOW_DB"

run --db other.db init
is "$rc" 0 "--db before the command chooses the corpus"
[ -f other.db ]; ok $? "--db PATH is used"

is "$(sql "SELECT command, status, exit_code FROM runs WHERE command <> 'sql' ORDER BY id")" "init	ok	0" \
	"the run is recorded with its status"
like "$(sql "SELECT args FROM runs")" '"init"' "the arguments are recorded"

done_testing
