#!/bin/bash
# generate_augment.t - `winnow augment`: K variants per chosen record with
# origin augment and the record as parent, the method's instructions in
# the prompt, --where choosing records, and a re-run adding nothing.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"

cat >seed.json <<'JSON'
[{"instruction": "如何重置路由器密码？", "input": "", "output": "按住复位键十秒后用默认密码登录。"},
 {"instruction": "Name a primary colour.", "input": "", "output": "Red."}]
JSON
"$WINNOW" import seed.json >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM records")" 2 "two records to start from"

fake_llm '{"default": {"content": "```json\n{\"instruction\": \"路由器密码忘了怎么重置？ {n}\", \"input\": \"\", \"output\": \"按住复位键约十秒，再用默认密码登录。\"}\n```"}}'
run augment --method paraphrase --n 2 --where "id = 1" $LLM
is "$rc" 0 "augment --method paraphrase --n 2"
is "$(calls)" 2 "two variants of one record: two requests"
is "$(sql "SELECT count(*) FROM records WHERE origin = 'augment' AND parent_id = 1 AND stage = 'raw' AND llm_call_id IS NOT NULL")" 2 \
	"two raw records with origin augment, their parent and their call"
like "$(prompt_of 1)" "如何重置路由器密码" "the prompt carries the record"
like "$(prompt_of 1)" "different words" "and the method's instructions"
like "$(received)" "variant 2 of 2" "variants are asked to differ (in whichever request arrived second)"
is "$(received '"response_format" in r["body"]' | sort -u)" "True" "JSON mode is used"

run augment --method paraphrase --n 2 --where "id = 1" $LLM
is "$rc" 0 "the same augment again"
is "$(calls)" 2 "answers come from the cache"
like "$err" "0 variants added" "and nothing is added twice"
like "$err" "2 already present" "the summary says why"

fake_llm '{"default": {"content": "{\"instruction\": \"What is a primary colour?\", \"output\": \"一种原色是红色。\"}"}}'
run augment --method translate --where "instruction LIKE 'Name%'" $LLM
is "$rc" 0 "translate"
like "$(prompt_of 1)" "Chinese" "an English record is translated into Chinese by default"
run augment --method translate --to Japanese --where "id = 1" $LLM --no-cache
like "$(prompt_of 2)" "into Japanese" "--to chooses the language"

fake_llm '{"default": {"content": "no json at all"}}'
run augment --method evol-deepen --where "id = 2" $LLM
is "$rc" 0 "an answer without a usable variant is not an error"
like "$err" "no usable variant" "but it is reported"
like "$(prompt_of 1)" "harder version" "evol-deepen asks for a harder version"

# Qianfan's six directions: each asks its own way, and a near copy of the source is dropped
fake_llm '{"rules": [
  {"match": "variant 1 of 2", "content": "{\"instruction\": \"如何重置路由器的密码？\", \"output\": \"按住复位键十秒。\"}"},
  {"match": "variant 2 of 2", "content": "{\"instruction\": \"家里的无线网络名称应该怎样修改？\", \"output\": \"登录管理页面，在无线设置里改名称。\"}"}]}'
run augment --method same-kind --n 2 --where "id = 1" $LLM
is "$rc" 0 "augment --method same-kind"
is "$(sql "SELECT group_concat(instruction) FROM records WHERE origin = 'augment' AND llm_call_id IN (SELECT id FROM llm_calls WHERE task = 'augment:same-kind')")" \
	"家里的无线网络名称应该怎样修改？" "the new request is kept, the near copy of the source (ROUGE-L > 0.7) is not"
like "$err" "1 variant was too similar to its source (ROUGE-L > 0.7)" "and the dropped one is counted"
is "$(sql "SELECT json_extract(counts, '$.too_similar') FROM runs WHERE command = 'augment' ORDER BY id DESC LIMIT 1")" 1 \
	"in the run's counts too"
like "$(prompt_of 1)" "same kind" "same-kind (同类泛化) asks for a request of the same kind"
like "$(prompt_of 1)" "near copy of the original is thrown away" "and warns against near copies"
fake_llm '{"default": {"content": "{\"instruction\": \"x\", \"output\": \"y\"}"}}'
for m in synonym:"different words and sentence structure" constraint:"explicit constraints" \
	 scenario:"complex, concrete real-life scenario" focus:"different aspect" premise:"Change a premise"; do
	run augment --method "${m%%:*}" --where "id = 2" $LLM
	like "$(prompt_of "$(calls)")" "${m#*:}" "--method ${m%%:*} asks for it"
done
is "$(sql "SELECT count(*) FROM records WHERE instruction = 'x'")" 1 "a variant unlike its source is kept once"

run augment --method evol-broaden --where "id = 1; DROP TABLE records" $LLM
is "$rc" 2 "--where with a second statement is refused"
is "$(sql "SELECT count(*) FROM records WHERE id = 1")" 1 "and does nothing"
run augment --method nonsense $LLM
is "$rc" 2 "an unknown method is a usage error"
run augment --method paraphrase $LLM
is "$rc" 0 "no records at unique/approved"
like "$err" "no records match" "is said plainly"
done_testing
