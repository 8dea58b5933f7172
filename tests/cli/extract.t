#!/bin/bash
# extract.t - winnow extract: main text of a saved page (no corpus needed),
# charset detection on files, gzip files, --json, --content, --qa, errors.
. "$(dirname "$0")/lib.sh"
P="$FIXTURES/crawl/pages"

run extract "$P/thread.html"
is "$rc" 0 "extract exits 0"
like "$out" "Why does bread go stale so fast" "the question is kept"
like "$out" "starch retrogradation" "the answer is kept"
like "$out" "Freezing slices works great" "the last reply is kept"
q=${out%%Why does bread*}; a=${out%%Staling is*}; l=${out%%Freezing slices*}
ok "$([ ${#q} -lt ${#a} ] && [ ${#a} -lt ${#l} ]; echo $?)" "posts stay in order"
unlike "$out" "signature" "signatures are dropped"
unlike "$out" "Popular threads" "the sidebar is dropped"
unlike "$out" "Copyright" "the footer is dropped"
unlike "$out" "Log in" "the header is dropped"
[ ! -e corpus.db ]; ok $? "no corpus is created"

# GBK bytes written by Python's codec, declared as gb2312 (镕 is GBK-only)
python3 -c "import sys; sys.stdout.buffer.write('<html><head><meta charset=\"gb2312\"></head><body><p>朱镕基在一九九八年出任国务院总理，推动了国有企业改革。</p></body></html>'.encode('gbk'))" >gbk.html
run extract gbk.html
is "$out" "朱镕基在一九九八年出任国务院总理，推动了国有企业改革。" "a GBK file declared gb2312 decodes as GB18030"
python3 -c "import sys; sys.stdout.buffer.write('<html><head><meta charset=\"big5\"></head><body><p>臺灣的夜市是飲食文化的重要部分。</p></body></html>'.encode('big5'))" >big5.html
run extract big5.html
is "$out" "臺灣的夜市是飲食文化的重要部分。" "a Big5 file decodes"
gzip -c "$P/thread.html" >thread.html.gz
run extract thread.html.gz
like "$out" "starch retrogradation" "a gzipped file is read"

run extract --json "$P/thread.html"
is "$rc" 0 "--json exits 0"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["title"], d["lang"], d["charset"], sep="|")')" \
	"Why does bread go stale? - Baking Forum|en|UTF-8" "--json gives title, lang and charset"

run extract --content "//div[@class='signature']" "$P/thread.html"
is "$out" "-- crumb, baking since the nineties

-- levain's signature line" "--content takes the text of exactly those nodes"

run extract --qa "//div[@id='question']/h1" "//div[@class='answer']" --qa-input "//div[@id='question']/div" "$P/qa.html"
is "$rc" 0 "--qa exits 0"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["instruction"], d["input"], d["output"], sep="|")')" \
	"What does HTTP 304 mean?|I see it in my server logs.|304 Not Modified: the client's cached copy is still valid, so no body is sent." \
	"--qa prints a record with the most voted answer"

run extract --qa "//h1[" "//p" "$P/qa.html"
is "$rc" 2 "a bad XPath is a usage error"
like "$err" "--qa" "naming the option"
run extract --qa "//h1" "$P/qa.html"
is "$rc" 2 "--qa with one value is a usage error"
run extract no-such-file.html
is "$rc" 1 "a missing file fails"
like "$err" "no-such-file.html" "naming it"
printf '\x00\xff\xfe garbage \x80\x81' >junk.bin
run extract junk.bin
is "$rc" 0 "binary junk does not crash extract"
run extract --help
like "$out" "--content" "extract --help comes from the option table"

done_testing
