#!/bin/bash
# fuzz_replay.t - every fuzz harness (tests/fuzz/fuzz_NAME.c, built without
# libFuzzer as $TEST_BUILD/fuzz_NAME) runs its committed seeds, cut short and
# with bytes flipped, and every crash `make fuzz` ever found (kept in
# tests/fuzz/regressions/NAME/). Under `make check` this runs with ASan and
# UBSan, so a read out of bounds fails here.
. "$(dirname "$0")/lib.sh"
FUZZ="$HERE/../fuzz"
: "${TEST_BUILD:=$HERE/../../build/tests}"

for src in "$FUZZ"/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin="$TEST_BUILD/fuzz_$name"
	[ -x "$bin" ]; ok $? "fuzz_$name is built"
	seeds=$(ls "$FUZZ/corpus/$name"/* 2>/dev/null | wc -l)
	[ "$seeds" -gt 0 ]; ok $? "fuzz_$name has seeds ($seeds)"
	"$bin" --mutate "$FUZZ/corpus/$name"/* 2>"$T/$name.err"
	ok $? "fuzz_$name: seeds and their mutations run cleanly"
	if [ -d "$FUZZ/regressions/$name" ]; then
		"$bin" "$FUZZ/regressions/$name"/* 2>"$T/$name.reg.err"
		ok $? "fuzz_$name: the crashes libFuzzer found stay fixed"
	fi
done

done_testing
