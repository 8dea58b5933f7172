#!/bin/bash
# export_split.t - `winnow export --split`: every record in exactly one
# split, proportions within one record of exact, deterministic for a seed,
# different for another seed, stratified by source and task, and the
# split files registered in dataset_info.json.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call

py() { "$PY" -c "$@"; }

# three sources of 300, 90 and 10 records; the big one has two tasks
gen() { # gen PREFIX N
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"instruction\": \"%s 问题 %d\", \"output\": \"答案 %d\"}\n", p, i, i }'
}
gen alpha 300 >alpha.jsonl
gen beta 90 >beta.jsonl
gen gamma 10 >gamma.jsonl
for s in alpha beta gamma; do "$WINNOW" import $s.jsonl >/dev/null 2>&1; done
"$WINNOW" sql --write "INSERT INTO tasks (name, created_at) VALUES ('t1', 'now'), ('t2', 'now');
	UPDATE records SET task_id = 1 + (id % 2) WHERE instruction LIKE 'alpha%'" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 400 "400 records in three sources"

run export -o out/ds.json --stage raw --split train=0.8,val=0.1,test=0.1 --seed 7
is "$rc" 0 "export with --split succeeds"
like "$err" "400 records written to splits (train" "the summary names the splits"
is "$(ls out | tr '\n' ' ')" "dataset_info.json ds_test.json ds_train.json ds_val.json " \
	"one file per split, named FILE_NAME.json"

# everything the checks below need, computed independently in Python
check() { # check DIR STEM -> lines of facts
	py '
import json, sys, collections
d, stem = sys.argv[1], sys.argv[2]
fr = {"train": 0.8, "val": 0.1, "test": 0.1}
seen = collections.Counter()
per = {}
for s in fr:
    rows = json.load(open(f"{d}/{stem}_{s}.json"))
    per[s] = rows
    for r in rows:
        seen[r["instruction"]] += 1
print("records", len(seen), "max copies", max(seen.values()))
n = len(seen)
print("overall within 1:", all(abs(len(per[s]) - fr[s] * n) <= 1 for s in fr))
def stratum(ins):
    src = ins.split()[0]
    if src == "alpha":
        return src + ("-t2" if int(ins.split()[-1]) % 2 else "-t1")
    return src
sizes = collections.Counter(stratum(i) for i in seen)
worst = 0
for s in fr:
    c = collections.Counter(stratum(r["instruction"]) for r in per[s])
    for k in sizes:
        worst = max(worst, abs(c[k] - fr[s] * sizes[k]))
print("strata within 2:", worst <= 2)
print("gamma in train:", sum(1 for r in per["train"] if r["instruction"].startswith("gamma")) > 0)
print("beta in val and test:", all(any(r["instruction"].startswith("beta") for r in per[s]) for s in ("val", "test")))
' "$@"
}
facts=$(check out ds)
like "$facts" "records 400 max copies 1" "every record is in exactly one split"
like "$facts" "overall within 1: True" "each split is within one record of its exact share"
like "$facts" "strata within 2: True" "each source/task stratum is spread in proportion"
like "$facts" "gamma in train: True" "a small source still appears in train"
like "$facts" "beta in val and test: True" "a mid-sized source appears in every split"
is "$(py 'import json; d=json.load(open("out/dataset_info.json")); print(sorted(d), d["ds_val"]["file_name"])')" \
	"['ds_test', 'ds_train', 'ds_val'] ds_val.json" "dataset_info.json has an entry per split file"
is "$(sql "SELECT counts FROM runs WHERE command = 'export'")" '{"exported":400,"train":320,"val":40,"test":40}' \
	"the run records the size of each split"

# determinism
run export -o again/ds.json --stage raw --split train=0.8,val=0.1,test=0.1 --seed 7
for s in train val test; do
	cmp -s out/ds_$s.json again/ds_$s.json
	ok $? "the same seed gives the same $s file"
done
run export -o other/ds.json --stage raw --split train=0.8,val=0.1,test=0.1 --seed 8
is "$rc" 0 "another seed"
cmp -s out/ds_val.json other/ds_val.json
ok $(( ! $? )) "assigns differently"
like "$(check other ds)" "records 400 max copies 1" "and still puts every record in exactly one split"
"$WINNOW" sql --write "UPDATE records SET stage = 'clean'; UPDATE records SET stage = 'unique'" >/dev/null 2>&1
run export -o moved/ds.json --split train=0.8,val=0.1,test=0.1 --seed 7
for s in train val test; do
	cmp -s out/ds_$s.json moved/ds_$s.json
	ok $? "the assignment depends on the records, not their stage or the run ($s)"
done

# format, --where and names
run export -o j/ds.jsonl --format jsonl --split a=0.5,b=0.5 --where "instruction LIKE 'beta%'"
is "$rc" 0 "--split with --format jsonl and --where"
is "$(cat j/ds_a.jsonl j/ds_b.jsonl | wc -l | tr -d ' ')" 90 "only the selected records are split"
is "$(wc -l <j/ds_a.jsonl | tr -d ' ')" 45 "in exact halves"
run export -o nodot --split train=0.5,test=0.5 --no-dataset-info
is "$(ls nodot_train nodot_test 2>&1 | tr '\n' ' ')" "nodot_test nodot_train " "a file without extension gets _NAME appended"
run export -o empty/ds.json --split train=0.9,val=0.1 --where "0"
is "$rc" 0 "splitting nothing works"
is "$(cat empty/ds_train.json empty/ds_val.json | tr -d '\n')" "[][]" "and writes empty arrays"

# bad specs are usage errors and write nothing
for spec in "train=0.9,val=0.2" "train=0.5,train=0.5" "train=half,val=0.5" "=0.5,val=0.5" "train" \
	"a=0.1,b=0.1,c=0.1,d=0.1,e=0.1,f=0.1,g=0.1,h=0.1,i=0.2"; do
	run export -o bad/ds.json --split "$spec"
	is "$rc" 2 "--split $spec is a usage error"
	like "$err" "--split" "naming the option ($spec)"
done
[ ! -e bad ]; ok $? "no file or folder was written for them"

done_testing
