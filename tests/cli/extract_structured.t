#!/bin/bash
# extract_structured.t - records and text with no rules: schema.org QAPage in
# JSON-LD and microdata, a JavaScript shell's embedded state, where each came
# from, --qa rules winning, the confidence stored by crawl (an invented site
# served by Python's http.server on 127.0.0.1).
. "$(dirname "$0")/lib.sh"
P="$FIXTURES/extract"
field() { printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

run extract --json "$P/qapage.html"
is "$rc" 0 "extract --json exits 0"
is "$(field "$out" 'len(d["records"]), d["records"][0]["from"], d["text_from"]')" "1 schema.org schema.org" \
	"a JSON-LD QAPage gives one record and the text of the shell"
is "$(field "$out" 'd["records"][0]["instruction"]')" "How long should I rest bread dough?" \
	"instruction: the question's name"
is "$(field "$out" 'd["records"][0]["input"]')" 'My recipe says "until doubled" but gives no time.' \
	"input: the question's text, HTML and entities undone"
like "$(field "$out" 'd["records"][0]["output"]')" "Between one and two hours" \
	"output: the most upvoted suggested answer (14 votes, not the first)"

run extract --json "$P/micro.html"
is "$(field "$out" 'd["records"][0]["output"], d["records"][0]["from"]')" \
	"Rayleigh scattering: air scatters short (blue) wavelengths far more than long ones. schema.org" \
	"microdata: the accepted answer wins over more votes"
run extract --json --qa '//h1' "//div[@class='answer']" "$P/micro.html"
is "$(field "$out" 'len(d["records"]), d["records"][0]["from"]')" "1 rules" "--qa rules win over schema.org"

run extract --json "$P/shell.html"
is "$(field "$out" 'd["text_from"], d["lang"]')" "embedded state zh" "a shell's text comes from window.__INITIAL_STATE__"
like "$out" "北京市气象台今天下午发布暴雨蓝色预警" "the article is there"
unlike "$out" "cover-image" "URLs in the state are not text"

run extract --json "$P/login.html"
is "$(field "$out" 'd["confidence"] <= 0.2')" True "a login page has a low confidence"

run extract "$P/qapage.html"
like "$out" "Between one and two hours" "plain extract prints the shell's text"

# crawl: records for a site without rules, confidence per document
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$P" >"$T/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill $HTTP_PID 2>/dev/null; wait $HTTP_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 100); do
	grep -q "port" "$T/http.log" && break
	sleep 0.05
done
PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.log" | head -1)
run source add fx --url "http://127.0.0.1:$PORT/index.html" --delay 0
is "$rc" 0 "source add succeeds"
run crawl --timeout 5
is "$rc" 0 "crawl exits 0"
is "$(sql "SELECT count(*) FROM records WHERE origin = 'crawl'")" 2 \
	"crawl makes the schema.org records of a site without rules (JSON-LD and microdata)"
is "$(sql "SELECT output FROM records WHERE instruction LIKE 'How long%'")" \
	"Between one and two hours at room temperature; press it with a finger and if the dent springs back slowly it is ready." \
	"the crawled record is the most upvoted answer"
is "$(sql "SELECT count(*) FROM records r JOIN documents d ON d.id = r.document_id")" 2 "records link to their document"
is "$(sql "SELECT confidence <= 0.2 FROM documents WHERE url LIKE '%login.html'")" 1 "documents.confidence is stored: login low"
is "$(sql "SELECT confidence > 0.5 FROM documents WHERE url LIKE '%shell.html'")" 1 "and a shell read from its data higher"
run schema
like "$out" "confidence" "winnow schema documents the column"
done_testing
