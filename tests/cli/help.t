#!/bin/bash
# help.t - every command and sub-command answers --help with its usage and
# exit 0, and does nothing else: no corpus is created, no run is recorded.
# (A command that parsed --help and then went on to do its work was a bug.)
. "$(dirname "$0")/lib.sh"

commands=$("$WINNOW" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "$(echo "$commands" | wc -w)" -ge 20 ]
ok $? "winnow help lists the commands"

subcommands="source add|source list|source rm|task add|task list|task show|task rm|llm ask|llm stats|model init|feedback summarize"

check() { # check WORDS...
	rm -f "$WINNOW_DB"
	run "$@" --help
	is "$rc" 0 "'$*' --help exits 0"
	like "$out" "usage: winnow" "'$*' --help prints its usage"
	[ ! -e "$WINNOW_DB" ]
	ok $? "'$*' --help creates no corpus"
}

for c in $commands; do
	[ "$c" = help ] && continue
	check "$c"
done
while read -r -d '|' a b; do
	check "$a" "$b"
done <<<"$subcommands|"

done_testing
