# lib.sh - TAP helpers for CLI tests written in bash. Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#   run import data.json          # runs $WINNOW with a fresh corpus in $T
#   is "$rc" 0 "import succeeds"
#   like "$err" "3 added" "summary counts the records"
#   done_testing
#
# Every test runs in its own temporary folder $T (removed at exit) with
# WINNOW_DB=$T/corpus.db. $WINNOW is the binary under test (set by make).

set -u
: "${WINNOW:=$(cd "$(dirname "$0")/../.." && pwd)/winnow}"
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES="$HERE/../fixtures"
T=$(mktemp -d "${TMPDIR:-/tmp}/winnow-test.XXXXXX")
export WINNOW_DB="$T/corpus.db"
export WINNOW_PROGRESS=0
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

_n=0
_failed=0

ok() { # ok CONDITION-STATUS DESCRIPTION  (use: ok $? "desc" or cond && ok 0 d)
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2" | head -40
	fi
}

like() { # like TEXT SUBSTRING DESCRIPTION
	case "$1" in
	*"$2"*) ok 0 "$3" ;;
	*) ok 1 "$3"; printf '#   text: %s\n#   lacks: %s\n' "$1" "$2" | head -40 ;;
	esac
}

unlike() { # unlike TEXT SUBSTRING DESCRIPTION
	case "$1" in
	*"$2"*) ok 1 "$3"; printf '#   text has: %s\n' "$2" ;;
	*) ok 0 "$3" ;;
	esac
}

run() { # run ARGS... : runs winnow; sets $out, $err, $rc
	"$WINNOW" "$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}

sql() { # sql "SELECT ..." : prints TSV rows without the header
	"$WINNOW" sql --format tsv "$1" 2>/dev/null | tail -n +2
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" = 0 ]
}
