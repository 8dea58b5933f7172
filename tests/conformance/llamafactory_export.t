#!/bin/bash
# llamafactory_export.t - every `winnow export` format, with and without
# --split, goes through LLaMA-Factory's own data loading (its
# dataset_info.json parser, HF datasets' JSON loader, its converters), and
# every row it converts equals the record in the corpus.
. "$(dirname "$0")/lib.sh"
F="$FIXTURES/import"

"$WINNOW" import "$F/alpaca.json" >/dev/null 2>&1
"$WINNOW" import "$F/sharegpt.json" --source chats >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 7 "seven records to export"

records() { # records WHERE : the records as winnow sql prints them, one JSON object a line
	"$WINNOW" sql --format json "SELECT instruction, input, output, system, history FROM records
		WHERE $1 ORDER BY id" >"$T/records.jsonl" 2>/dev/null
}

# the exports: every format, a file where no record has a system prompt or a
# history (the columns dataset_info.json declares are absent from every item),
# and splits where only one side has a history
exports=(
	"all|-o lf/all.json"
	"all_jsonl|-o lf/all_jsonl.jsonl --format jsonl"
	"all_sharegpt|-o lf/all_sharegpt.json --format sharegpt"
	"plain|-o lf/plain.json --where system = '' AND history = '[]'"
	"plain_jsonl|-o lf/plain_jsonl.jsonl --format jsonl --where system = '' AND history = '[]'"
	"plain_sharegpt|-o lf/plain_sharegpt.json --format sharegpt --where system = '' AND history = '[]'"
	"half_train,half_test|-o lf/half.json --source alpaca --split train=0.5,test=0.5"
	"halfg_train,halfg_test|-o lf/halfg.json --format sharegpt --source alpaca --split train=0.5,test=0.5"
	"halfj_train,halfj_test|-o lf/halfj.jsonl --format jsonl --source alpaca --split train=0.5,test=0.5"
)
names=
for e in "${exports[@]}"; do
	IFS='|' read -r ds args <<<"$e"
	# shellcheck disable=SC2086 # the arguments are split on purpose; --where is rejoined below
	case "$args" in
	*--where*) run export --stage raw ${args%% --where*} --where "${args#* --where }" ;;
	*) run export --stage raw $args ;;
	esac
	is "$rc" 0 "export $args"
	names="$names ${ds//,/ }"
done
has_hist=$(grep -c '"history"' lf/half_train.json lf/half_test.json | grep -c ':0$')
is "$has_hist" 1 "one side of the alpaca split has no history item (the case that broke)"

# shellcheck disable=SC2086
"$PYTHON" "$CONF/lf_load.py" "$T/lf" $names >"$T/lf.jsonl" 2>"$T/lf.err"
lrc=$?
ok $lrc "LLaMA-Factory loads every export"
[ $lrc = 0 ] || tail -15 "$T/lf.err" | sed 's/^/# /'

check() { # check DATASETS WHERE DESCRIPTION
	records "$2"
	res=$("$PYTHON" "$CONF/lf_compare.py" "$T/records.jsonl" "$T/lf.jsonl" "$1" 2>&1)
	crc=$?
	ok $crc "$3: ${res%%$'\n'*}"
	[ $crc = 0 ] || echo "$res" | tail -8 | sed 's/^/# /'
}
check all "1" "alpaca"
check all_jsonl "1" "JSON Lines"
check all_sharegpt "1" "ShareGPT"
check plain "system = '' AND history = '[]'" "alpaca without system or history"
check plain_jsonl "system = '' AND history = '[]'" "JSON Lines without system or history"
check plain_sharegpt "system = '' AND history = '[]'" "ShareGPT without system or history"
alpaca_src="source_id = (SELECT id FROM sources WHERE name = 'alpaca')"
check half_train,half_test "$alpaca_src" "alpaca --split: both halves together"
check halfg_train,halfg_test "$alpaca_src" "ShareGPT --split: both halves together"
check halfj_train,halfj_test "$alpaca_src" "JSON Lines --split: both halves together"
done_testing
