#!/bin/bash
# demo.t - `make demo` (its fast variant, DEMO_FAST=1) in a temporary folder:
# every stage leaves what it should. What the crawl must find is worked out
# from the sample site's own thread list (demo/site/threads.txt through
# generate.py's parser) and what the seed import must store from
# demo/seed.json, with python3 - never copied from winnow's output. Training
# is checked with winnow eval run here on the demo's models.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
command -v "$PY" >/dev/null || { echo "1..0 # SKIP python3 is needed to serve the sample site"; exit 0; }
unset WINNOW_LLM_PROVIDER http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
ROOT=$(cd "$HERE/../.." && pwd)
SEED=$ROOT/demo/seed.json
D=$T/out
DB=$D/demo.db
EXP=$D/export

has_command() {
	"$WINNOW" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF { print $1 }' | grep -qx "$1"
}

# port_closed PORT: 0 when nothing listens on 127.0.0.1:PORT any more.
port_closed() {
	"$PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) else 1)' "$1"
}

# Distinct seed records: the five Alpaca fields, missing ones as empty.
read -r seed_items seed_distinct < <("$PY" - "$SEED" <<'EOF'
import json, sys
items = json.load(open(sys.argv[1], encoding="utf-8"))
keys = {json.dumps([r["instruction"], r.get("input") or "", r["output"], r.get("system") or "",
                    r.get("history") or []], ensure_ascii=False) for r in items}
print(len(items), len(keys))
EOF
)
[ "$seed_items" -gt "$seed_distinct" ]; ok $? "the seed file has an exact duplicate for import to skip"

# The site's own list: threads (originals and cross-posts), the record each
# original thread should give (accepted answer on page 1, else the most
# voted, else the first), the threads tagged for clean and dedupe.
cat >"$T/expect.py" <<'EOF'
import json, re, sys
sys.path.insert(0, sys.argv[1])
import generate
threads = generate.parse()
by_id = {t["id"]: t for t in threads}

def best(t):
    first = [a for a in t["answers"] if a["page"] == 1]
    for a in first:
        if a["accepted"]:
            return a
    voted = [a for a in first if a["votes"] is not None]
    if voted:
        top = max(a["votes"] for a in voted)
        return [a for a in voted if a["votes"] == top][0]
    return first[0]

def record(t):
    out = "\n\n".join(p.strip() for p in best(t)["text"].split(" // "))
    return [t["title"], t["body"], out]

originals = [t for t in threads if t["dup_of"] is None]
expected = {json.dumps(record(t), ensure_ascii=False) for t in originals}
EOF
read -r n_threads n_dups n_records n_thread_pages n_html < <(cd "$T" && "$PY" - "$ROOT/demo/site" <<'EOF'
import sys
exec(open("expect.py").read())
pages = generate.site_pages(threads, "http://x")
print(len(threads), len(threads) - len(originals), len(expected),
      sum(p.startswith("/t/") for p in pages),
      sum(p.endswith(".html") and not p.startswith("/admin/") for p in pages))
EOF
)
[ "$n_thread_pages" -ge 90 ] && [ "$n_dups" -ge 3 ] && [ "$n_records" -lt "$n_threads" ]
ok $? "the sample site has about 100 thread pages ($n_thread_pages), cross-posted copies ($n_dups) among $n_threads threads"

# A corpus with a stray record where the demo works: it must start afresh.
mkdir -p "$D"
echo '[{"instruction": "stray record", "input": "", "output": "left from an earlier run"}]' >"$T/stray.json"
WINNOW_DB=$DB "$WINNOW" init 2>/dev/null && WINNOW_DB=$DB "$WINNOW" import "$T/stray.json" 2>/dev/null
ok $? "a stray corpus is in the demo's folder before it runs"

# The LLM stage runs against the fake OpenAI-compatible server: generate
# gets two pairs (and the same again, dropped as similar), the judge fails
# the one marked 演示待修正 and passes the other, fix corrects the failed one.
llm=no
if has_command generate && has_command judge && has_command fix; then
	. "$HERE/llm_lib.sh"
	pass='{\"clarity\": 5, \"correctness\": 5, \"helpfulness\": 4, \"fluency\": 5, \"harmlessness\": 5, \"rationale\": \"清楚实用\"}'
	fail='{\"clarity\": 2, \"correctness\": 3, \"helpfulness\": 2, \"fluency\": 3, \"harmlessness\": 5, \"rationale\": \"DEMO-CRITIQUE 回答太笼统\"}'
	fake_llm '{"rules": [
 {"match": "你在为一个生活问答数据集编写问答对", "content": "{\"items\": [{\"instruction\": \"演示生成：阳台上的多肉植物冬天需要搬进屋里吗？\", \"input\": \"\", \"output\": \"气温低于五度时最好搬进屋里，放在有阳光的窗边，减少浇水，等春天回暖再搬出去。\"}, {\"instruction\": \"演示待修正：周末怎样大扫除？\", \"input\": \"\", \"output\": \"扫一扫，擦一擦，就干净了，很简单的。\"}]}"},
 {"match": "DEMO-CRITIQUE", "content": "{\"instruction\": \"演示修正：周末在家怎样做一次简单的大扫除？\", \"input\": \"\", \"output\": \"先从高处往低处扫：擦灯罩和柜顶，再擦桌面，最后拖地。每个房间准备一个袋子装要扔的东西，按房间逐个完成，一上午就能做完。\"}"},
 {"match": "演示待修正", "content": "'"$fail"'"}],
 "default": {"content": "'"$pass"'"}}'
	llm=yes
	export WINNOW_LLM_PROVIDER=openai OPENAI_API_KEY=$TEST_LLM_KEY DEMO_LLM_BASE_URL=$LLM_URL DEMO_LLM_MODEL=fake
fi

DEMO_FAST=1 DEMO_OUT=$D WINNOW=$WINNOW bash "$ROOT/demo/run.sh" >"$T/demo.out" 2>"$T/demo.err"
rc=$?
unset WINNOW_LLM_PROVIDER OPENAI_API_KEY DEMO_LLM_BASE_URL DEMO_LLM_MODEL
out=$(cat "$T/demo.out")
is "$rc" 0 "the demo exits 0"
is "$(cat "$T/demo.err")" "" "the demo prints nothing on stderr when all goes well"
for header in "A fresh corpus" "Serve the sample Q&A forum" "Crawl it with a Q&A rule" \
	"Import the hand-written seed examples" "What is in the corpus" "Clean" "Dedupe" \
	"Grow and review the data with an LLM" "Export Alpaca JSON" "A tiny model" "Summary"; do
	like "$out" ". $header" "the demo has a section '$header'"
done

export WINNOW_DB=$DB
is "$(sql "SELECT count(*) FROM records WHERE instruction = 'stray record'")" 0 \
	"the demo starts from a fresh corpus"
is "$(sql "SELECT count(*) FROM runs WHERE command = 'import'")" 1 "one import recorded"

# ---- the site and the crawl ----
port=$(cat "$D/site.port")
SITE=http://127.0.0.1:$port
port_closed "$port"; ok $? "the sample site's server is stopped when the demo ends"

if has_command crawl; then
	is "$(sql "SELECT count(*) FROM pages WHERE kind = 'page' AND status = 'fetched'")" "$n_html" \
		"every HTML page of the site but /admin is fetched ($n_html)"
	got=$(sql "SELECT url FROM pages WHERE kind = 'page' AND status = 'fetched' ORDER BY url" |
		sed "s|^$SITE||" | sort)
	want=$(cd "$T" && "$PY" - "$ROOT/demo/site" <<'EOF' | sort
import sys
exec(open("expect.py").read())
for p in generate.site_pages(threads, "http://x"):
    if p.endswith(".html") and not p.startswith("/admin/"):
        print("/" if p == "/index.html" else p)
EOF
)
	is "$got" "$want" "the fetched pages are exactly the site's pages (second pages via rel=next, the sitemap-only thread)"
	is "$(sql "SELECT group_concat(url, ' ') FROM (SELECT url FROM pages WHERE status = 'blocked' ORDER BY url)" | sed "s|$SITE||g")" \
		"/admin/ /search?q=%E8%BF%90%E6%B0%94" "robots.txt blocks /admin and /search"
	is "$(grep -c -E '^/(admin|search)' "$D/site.log")" 0 "the server never saw a request for /admin or /search"
	is "$(grep -c '^/robots.txt ' "$D/site.log")" 1 "robots.txt is fetched once"
	is "$(sql "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'forum' AND r.origin = 'crawl'")" \
		"$n_records" "one Q&A record per original thread ($n_records; cross-posts add none)"

	# Every crawled record, as it is after clean, against the thread list:
	# the masking of the thread tagged pii is redone here with plain regexes.
	check=$("$WINNOW" sql --format json "SELECT instruction, input, output FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'forum' AND r.origin = 'crawl'" 2>/dev/null |
		(cd "$T" && "$PY" -c '
import json, sys
exec(open("expect.py").read())
masked = set()
for t in originals:
    if "pii" in t["tags"]:
        r = record(t)
        r[2] = re.sub(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "<EMAIL>", re.sub(r"1[3-9]\d{9}", "<PHONE>", r[2]))
        expected.discard(json.dumps(record(t), ensure_ascii=False))
        expected.add(json.dumps(r, ensure_ascii=False))
got = {json.dumps([r["instruction"], r["input"], r["output"]], ensure_ascii=False)
       for r in map(json.loads, sys.stdin) if r}
print("same" if got == expected else "%d missing, e.g. %s; %d unexpected, e.g. %s" % (
    len(expected - got), sorted(expected - got)[:1], len(got - expected), sorted(got - expected)[:1]))
' "$ROOT/demo/site"))
	is "$check" same "each record is its thread's title, body and accepted (else most voted, else first) answer"
	is "$(sql "SELECT count(*) FROM records WHERE output LIKE '%signature%' OR output LIKE '%——%' OR output LIKE '%广告%' OR output LIKE '%Sponsored%'")" 0 \
		"no signature or ad text in any answer"
	docs=$(sql "SELECT count(*) FROM documents")
	[ "$docs" -ge "$n_thread_pages" ]; ok $? "documents from the pages ($docs)"
	is "$(sql "SELECT count(*) FROM documents WHERE text LIKE '%小麦云盘%' OR text LIKE '%LuckyStar%' OR text LIKE '%生活就是一锅粥%'")" 0 \
		"ads and signatures are not in the documents"
	like "$out" "winnow source list" "the demo shows the source list"
fi

# ---- seeds ----
is "$(sql "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id WHERE s.name = 'seed' AND r.origin = 'import'")" "$seed_distinct" \
	"the corpus holds one record per distinct seed example"
like "$out" "$seed_items seed examples imported as $seed_distinct records" \
	"the summary gives the seed and record counts"
id=$(sql "SELECT id FROM records WHERE instruction = '我这个季度会发财吗？'")
[ -n "$id" ]; ok $? "the fortune question is in the corpus"
like "$out" "季度会发财]吗" "the Chinese search shows the highlighted match"
like "$out" "请介绍一下如何保养木地板" "the SQL query shows the record with the empty answer"

# ---- clean and dedupe ----
tagged() { # tagged TAG: "title<TAB>value" of the threads tagged TAG
	(cd "$T" && "$PY" -c '
import sys
exec(open("expect.py").read())
for t in originals:
    if sys.argv[2] in t["tags"]:
        v = t["tags"][sys.argv[2]]
        print("%s\t%s" % (t["title"], by_id[int(v)]["title"] if sys.argv[2] == "near" else v))
' "$ROOT/demo/site" "$1")
}
if has_command clean; then
	n=0
	while IFS=$'\t' read -r title rule; do
		n=$((n + 1))
		t=${title//\'/\'\'}
		is "$(sql "SELECT stage || ' ' || reason FROM records WHERE instruction = '$t'")" "rejected $rule" \
			"clean rejects the crawled '$title' ($rule)"
	done < <(tagged reject)
	[ "$n" -ge 3 ]; ok $? "the site plants records for clean to reject ($n)"
	is "$(sql "SELECT stage FROM records WHERE instruction = '请介绍一下如何保养木地板。'")" rejected \
		"clean rejects the seed with an empty answer"
	is "$(sql "SELECT count(*) FROM records WHERE instruction || output LIKE '%13812345678%'
		OR instruction || output LIKE '%zhang.wei@example.com%' OR output LIKE '%13912345678%'")" 0 \
		"clean masks the phone numbers and e-mail addresses"
	like "$out" "Rejected, with the reason" "the demo shows the rejected records"
fi
if has_command dedupe; then
	n=0
	while IFS=$'\t' read -r title orig; do
		n=$((n + 1))
		a=${title//\'/\'\'} b=${orig//\'/\'\'}
		is "$(sql "SELECT count(*) FROM records x JOIN records y ON x.duplicate_of = y.id WHERE x.stage = 'duplicate'
			AND ((x.instruction = '$a' AND y.instruction = '$b') OR (x.instruction = '$b' AND y.instruction = '$a'))")" 1 \
			"dedupe marks the repost '$title' and '$orig' as near duplicates"
	done < <(tagged near)
	[ "$n" -ge 2 ]; ok $? "the site plants reworded reposts for dedupe ($n)"
	is "$(sql "SELECT count(*) FROM records a JOIN records b ON a.duplicate_of = b.id
		WHERE a.stage = 'duplicate' AND a.instruction LIKE '%煮出不粘锅%' AND b.instruction LIKE '%煮出不粘锅%'")" 1 \
		"dedupe marks one of the two near-identical seed rice questions"
	like "$out" "Duplicates, with the record kept instead" "the demo shows the duplicates"
fi
if [ "$llm" = yes ]; then
	is "$(sql "SELECT count(*) FROM records WHERE origin = 'generate' AND instruction LIKE '演示%'")" 2 \
		"generate added the two pairs from the (fake) LLM, once"
	is "$(sql "SELECT count(*) FROM records WHERE origin = 'generate' AND document_id IS NULL")" 0 \
		"each generated record names the crawled document it came from"
	is "$(sql "SELECT count(DISTINCT a.record_id) FROM annotations a JOIN records r ON r.id = a.record_id WHERE r.origin = 'generate'")" 2 \
		"judge scored the generated records"
	is "$(sql "SELECT stage FROM records WHERE instruction LIKE '演示生成%'")" approved "the good one is approved"
	is "$(sql "SELECT stage || ' ' || reason FROM records WHERE instruction LIKE '演示待修正%'")" "rejected fixed" \
		"the record the judge failed is fixed"
	is "$(sql "SELECT f.stage FROM records f JOIN records p ON p.id = f.parent_id WHERE f.origin = 'fix' AND p.reason = 'fixed' AND f.instruction LIKE '演示修正%'")" unique \
		"its correction went through clean and dedupe to unique"
	like "$out" "$ winnow judge --task forum-qa" "the demo shows the judge command"
	like "$(cat "$EXP/demo_train.json" "$EXP/demo_test.json")" "演示修正" \
		"the correction is exported"
fi

# ---- export ----
if has_command dedupe; then stages="'unique','approved'"; elif has_command clean; then stages="'clean'"; else stages="'raw'"; fi
for f in demo_train.json demo_test.json dataset_info.json; do
	[ -s "$EXP/$f" ]; ok $? "the export wrote $f"
done
want=$(sql "SELECT count(*) FROM records WHERE stage IN ($stages)")
[ "$want" -gt "$n_records" ]; ok $? "crawled and seed records to export ($want)"
check=$("$WINNOW" sql --format json "SELECT instruction, input, output FROM records WHERE stage IN ($stages)" 2>/dev/null |
	"$PY" -c '
import json, sys
exp = sys.argv[1]
want = sorted(json.dumps([r["instruction"], r["input"], r["output"]], ensure_ascii=False)
              for r in map(json.loads, sys.stdin) if r)
got = []
for split in ("train", "test"):
    for r in json.load(open("%s/demo_%s.json" % (exp, split), encoding="utf-8")):
        got.append(json.dumps([r["instruction"], r["input"], r["output"]], ensure_ascii=False))
train = len(json.load(open(exp + "/demo_train.json", encoding="utf-8")))
print("same" if sorted(got) == want else "differ: %d exported, %d wanted" % (len(got), len(want)),
      "train-larger" if train > len(got) - train else "train-smaller")
' "$EXP")
is "$check" "same train-larger" \
	"train and test together hold every exported record exactly once, train the larger split"
info=$("$PY" -c '
import json, sys
info = json.load(open(sys.argv[1], encoding="utf-8"))
print(" ".join("%s=%s" % (k, info[k]["file_name"]) for k in sorted(info)),
      info["demo_train"]["columns"]["prompt"], info["demo_train"]["columns"]["response"])
' "$EXP/dataset_info.json")
is "$info" "demo_test=demo_test.json demo_train=demo_train.json instruction output" \
	"dataset_info.json has an entry per split naming its file and columns"

# ---- training ----
if has_command train && has_command eval && has_command crawl; then
	for f in adapter_config.json adapter_model.safetensors loss.svg train_log.jsonl; do
		[ -s "$D/lora/$f" ]; ok $? "LoRA fine-tuning wrote $f"
	done
	[ -s "$D/pretrained/model.safetensors" ]; ok $? "pre-training wrote a whole model"
	is "$(grep -c '"loss"' "$D/lora/train_log.jsonl")" 24 "the fast variant trains LoRA for 24 steps"
	losses=$("$WINNOW" eval --json --base "$D/model" --base "$D/pretrained" --base "$D/finetuned" \
		--data "$EXP/demo_test.json" 2>/dev/null |
		"$PY" -c 'import json, sys; print(" ".join("%.6f" % m["loss"] for m in json.load(sys.stdin)))')
	read -r l_random l_pre l_tuned <<<"$losses"
	ok "$(awk -v a="$l_random" -v b="$l_pre" 'BEGIN { exit !(b < a - 1) }'; echo $?)" \
		"pre-training on the crawled pages lowers the test loss ($l_random -> $l_pre)"
	ok "$(awk -v a="$l_pre" -v b="$l_tuned" 'BEGIN { exit !(b < a) }'; echo $?)" \
		"LoRA fine-tuning lowers it further ($l_pre -> $l_tuned)"
	like "$out" "loss.svg" "the demo prints where loss.svg is"
	like "$out" "$("$PY" -c 'import json, sys; print("%.2f" % [json.loads(l) for l in open(sys.argv[1])][-1]["loss"])' "$D/lora/train_log.jsonl") over 24 steps (each bar is one step)" \
		"the LoRA sparkline ends with the last logged loss"
	spark=$(grep 'over 24 steps' "$T/demo.out" | awk '{ print $1 }')
	is "$(printf '%s' "$spark" | "$PY" -c 'import sys; print(len(sys.stdin.read().strip()))')" 24 "and has a bar per step"
	like "$out" "$ winnow chat --base" "the demo asks the fine-tuned model a test question"
fi

# ---- without an LLM: one line (a run that stops at export, before training) ----
cat >"$T/no-export-winnow" <<EOF
#!/bin/bash
[ "\$1" = export ] && { echo "export: simulated failure" >&2; exit 1; }
exec "$WINNOW" "\$@"
EOF
chmod +x "$T/no-export-winnow"
DEMO_FAST=1 DEMO_OUT=$T/nollm WINNOW=$T/no-export-winnow bash "$ROOT/demo/run.sh" >"$T/nollm.out" 2>/dev/null
nollm=$(sed -n '/Grow and review/,/Export/p' "$T/nollm.out")
if has_command generate; then
	like "$nollm" "set WINNOW_LLM_PROVIDER" "without an LLM, a line says how to turn generate, judge and fix on"
	like "$nollm" "against a LOCAL STAND-IN" "and the loop runs against a local stand-in, labelled as such"
	like "$nollm" "answers are canned, not written by a model" "saying its answers are canned"
	like "$nollm" "stops at 20 records" "the first generate stops at 20"
	like "$nollm" "18 accepted, 2 rejected" "the questions are reviewed through export/import before answer"
	S=$T/nollm/standin.db
	is "$(WINNOW_DB=$S sql "SELECT kind || ':' || text FROM feedback")" "question:不要涉及赌博" "the note became a question rule"
	is "$(WINNOW_DB=$S sql "SELECT count(*) FROM llm_calls WHERE task = 'generate:luck' AND request LIKE '%不要涉及赌博%'")" 1 \
		"the next generate carried it"
	is "$(WINNOW_DB=$S sql "SELECT count(*) FROM records WHERE stage = 'rejected' AND output = ''")" 2 \
		"the rejected questions were never answered"
	is "$(WINNOW_DB=$S sql "SELECT count(*) FROM records WHERE stage = 'raw' AND output = ''")" 0 "the others were"
	is "$(WINNOW_DB=$S sql "SELECT count(*) FROM llm_calls WHERE task = 'answer:luck' AND request LIKE '%先把简历更新好%'")" \
		"$(WINNOW_DB=$S sql "SELECT count(*) FROM llm_calls WHERE task = 'answer:luck'")" "every answer request showed the seeds' answers"
	is "$(WINNOW_DB=$T/nollm/demo.db sql "SELECT count(*) FROM records WHERE origin <> 'crawl' AND origin <> 'import'")" 0 \
		"and the demo's own corpus gets no stand-in records"
	port_closed "$(cat "$T/nollm/standin/port")"; ok $? "the stand-in is stopped afterwards"
fi

# ---- a failure stops the server too ----
cat >"$T/failing-winnow" <<EOF
#!/bin/bash
[ "\$1" = crawl ] && { echo "crawl: simulated failure" >&2; exit 1; }
exec "$WINNOW" "\$@"
EOF
chmod +x "$T/failing-winnow"
DEMO_FAST=1 DEMO_OUT=$T/fail WINNOW=$T/failing-winnow bash "$ROOT/demo/run.sh" >"$T/fail.out" 2>"$T/fail.err"
rc=$?
if has_command crawl; then
	is "$rc" 1 "a failing command stops the demo with its exit code"
	like "$(cat "$T/fail.err")" "'winnow crawl forum' failed" "and says which command failed"
	port_closed "$(cat "$T/fail/site.port")"; ok $? "the sample site's server is stopped after a failure too"
fi

# ---- DEMO_OUT pointing at someone's files is refused, and nothing removed ----
mkdir -p "$T/mine" && echo precious >"$T/mine/notes.txt"
DEMO_OUT=$T/mine WINNOW=$WINNOW bash "$ROOT/demo/run.sh" >/dev/null 2>"$T/mine.err"
rc=$?
is "$rc" 1 "a DEMO_OUT folder that is not an earlier demo's is refused"
is "$(cat "$T/mine/notes.txt")" precious "and its files are left alone"
like "$(cat "$T/mine.err")" "set DEMO_OUT to another folder" "the message says what to do"

done_testing
