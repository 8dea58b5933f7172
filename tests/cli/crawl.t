#!/bin/bash
# crawl.t - winnow source + crawl against the fixture site on 127.0.0.1:
# robots.txt groups and wildcards, sitemap index with a .gz sitemap,
# redirects, canonical URLs fetched once, charsets, forum and Q&A pages,
# 429 with Retry-After, 500s retried, slow page, truncated body, gzip bomb,
# politeness spacing, conditional GET on recrawl, the runs log.
. "$(dirname "$0")/lib.sh"
. "$FIXTURES/crawl/lib.sh"

start_site

run source add fx --url "$SITE/" --delay 300 --deny '/about$' \
	--qa "//h1[@class='question-title']" "//div[contains(@class,'answer ')]" \
	--qa-input "//div[@class='question-body']"
is "$rc" 0 "source add succeeds"

run source add bad --url ftp://example.com/
is "$rc" 2 "a non-http URL is a usage error"
like "$err" "--url" "the message names the option"
run source add bad --url "$SITE/" --deny '(['
is "$rc" 2 "a bad regex is a usage error"
run source add bad --url "$SITE/" --every 5
is "$rc" 2 "an --every under a minute is refused"
is "$(sql "SELECT count(*) FROM sources WHERE name = 'bad'")" 0 "refused sources are not stored"

run crawl --timeout 1
is "$rc" 0 "crawl exits 0 even when some pages fail"
like "$err" "crawl: " "a summary line on stderr"
like "$err" "new documents" "the summary counts documents"

# robots.txt: the "Winnow" group (matched case-insensitively), longest match, $ and *
is "$(requests /robots.txt)" 1 "robots.txt fetched once"
is "$(requests /private/secret)" 0 "Disallow: /private/ is obeyed"
is "$(requests /report.pdf)" 0 "Disallow: /*.pdf\$ is obeyed"
is "$(requests /private/open)" 1 "the longer Allow: /private/open\$ wins"
is "$(sql "SELECT status FROM pages WHERE url LIKE '%/private/secret'")" blocked "blocked pages say so"
is "$(requests /about)" 0 "--deny keeps a URL out"

# sitemaps: index -> gzipped sitemap -> page linked from nowhere else
is "$(requests /sitemap1.xml.gz)" 1 "the sitemap index leads to the .gz sitemap"
is "$(requests /from-sitemap)" 1 "pages only in a sitemap are crawled"

# canonical URLs: fragment, dot segments, absolute form and the redirect target are one page
is "$(requests /article)" 1 "/article fetched once, though linked four ways and redirected to"
is "$(sql "SELECT count(*) FROM pages WHERE url LIKE '%/article'")" 1 "one frontier row for /article"
is "$(sql "SELECT final_url || ' ' || http_status FROM pages WHERE url LIKE '%/redirect'")" \
   "$SITE/article 301" "the final URL is recorded"

# redirects are pages of their own: at most 10 hops, only within the source's rules
is "$(awk '$2 ~ /^\/loop\//' "$SITE_LOG" | wc -l | tr -d ' ')" 11 "a redirect chain is followed for 10 hops"
is "$(sql "SELECT status || ' ' || last_error || ' ' || redirects FROM pages WHERE url LIKE '%/loop/10'")" \
   "failed redirects 10" "then the page fails with the reason"
is "$(sql "SELECT count(*) FROM pages WHERE url LIKE '%/loop/11'")" 0 "and the 11th hop is not added"
is "$(sql "SELECT status || ' ' || last_error || ' ' || final_url FROM pages WHERE url LIKE '%/away'")" \
   "failed redirect-elsewhere http://elsewhere.example/landing" "a redirect to another site is not followed"
is "$(requests /private/secret)" 0 "a redirect into a robots.txt-disallowed path is not fetched"
is "$(sql "SELECT status || ' ' || redirects FROM pages WHERE url LIKE '%/private/secret'")" "blocked 0" \
   "(the target was already known as a blocked link)"

# every fetched page once, except retried ones
dups=$(awk '{print $2}' "$SITE_LOG" | sort | uniq -d | grep -v -E '^/(article|err500|throttle|slow|truncated)$')
is "$dups" "" "no page is fetched twice in a run"

# failures
is "$(requests /err500)" 3 "a 500 is tried three times"
is "$(sql "SELECT status || ' ' || last_error FROM pages WHERE url LIKE '%/err500'")" "failed http-500" "then it fails with the reason"
is "$(sql "SELECT last_error FROM pages WHERE url LIKE '%/slow'")" timeout "a slow page times out"
is "$(sql "SELECT last_error FROM pages WHERE url LIKE '%/truncated'")" truncated "a truncated body is a failure"
is "$(sql "SELECT last_error FROM pages WHERE url LIKE '%/bomb'")" too-large "a gzip bomb is cut off"
is "$(requests /bomb)" 1 "and not retried"
is "$(sql "SELECT last_error FROM pages WHERE url LIKE '%/missing'")" http-404 "a 404 is a failure"
is "$(requests /mailto:someone@example.com)" 0 "mailto links are ignored"
is "$(sql "SELECT count(*) FROM pages WHERE url LIKE '%elsewhere%'")" 0 "links to other sites are not followed"

# 429 with Retry-After: 1 -> retried no sooner than a second later, then fetched
t429=$(awk '$2 == "/throttle" {print $1}' "$SITE_LOG" | tr '\n' ' ')
gap=$(echo "$t429" | awk '{print ($2 - $1 >= 0.95) ? "ok" : "early: " $2 - $1}')
is "$gap" ok "a 429 is retried after its Retry-After"
is "$(sql "SELECT status FROM pages WHERE url LIKE '%/throttle'")" fetched "and then fetched"

# politeness: requests to the host never closer than --delay (300 ms),
# redirect hops included
closest=$(awk 'NR > 1 { d = $1 - p; if (m == "" || d < m) m = d } { p = $1 } END { print m }' "$SITE_LOG")
ok "$(awk -v m="$closest" 'BEGIN { exit !(m >= 0.29) }'; echo $?)" "requests are at least --delay apart (closest: $closest s)"

# charsets
is "$(sql "SELECT count(*) FROM documents WHERE text LIKE '%朱镕基谈经济%'")" 1 "GBK page decoded as GB18030 (镕 is not in GB2312)"
is "$(sql "SELECT count(*) FROM documents WHERE text LIKE '%臺灣的夜市%'")" 1 "Big5 page decoded"
is "$(sql "SELECT count(*) FROM documents WHERE text LIKE '%声明是GB2312但其实是UTF-8%'")" 1 "page lying about gb2312 decoded as UTF-8"
is "$(sql "SELECT lang FROM documents WHERE url LIKE '%/gbk'")" zh "Chinese is detected"

# forum thread and rel=next
thread=$(sql "SELECT text FROM documents WHERE url LIKE '%/forum/thread/1'")
like "$thread" "Which telescope should a beginner buy" "the thread keeps the question"
like "$thread" "A small Dobsonian reflector" "and the first answer"
like "$thread" "binoculars teaches you the sky" "and the second"
unlike "$thread" "signature" "without signatures"
unlike "$thread" "Forum rules" "without the sidebar"
is "$(requests '/forum/thread/1?page=2')" 1 "rel=next pagination is followed"

# Q&A rules
is "$(sql "SELECT count(*) FROM records WHERE origin = 'crawl'")" 1 "one Q&A record"
is "$(sql "SELECT instruction FROM records")" "How do I reverse a list in Python?" "instruction = question title"
like "$(sql "SELECT output FROM records")" "numbers.reverse()" "output = the accepted answer, not the most voted"
is "$(sql "SELECT input FROM records")" "I have a list of numbers and want them in the opposite order." "input = question body"
is "$(sql "SELECT stage FROM records")" raw "crawled records start raw"
is "$(sql "SELECT count(*) FROM records r JOIN documents d ON d.id = r.document_id WHERE d.url LIKE '%/qa/1'")" 1 "the record points at its document"

# runs
is "$(sql "SELECT status FROM runs WHERE command = 'crawl'")" ok "the run is logged"
like "$(sql "SELECT counts FROM runs WHERE command = 'crawl'")" '"records":1' "with its counts"

run source list
is "$rc" 0 "source list works"
like "$out" "fx" "and shows the site"
line=$(printf '%s\n' "$out" | awk '$1 == "fx"')
is "$(echo "$line" | awk '{print $4 " " $5}')" \
	"$(sql "SELECT (SELECT count(*) FROM pages WHERE status = 'failed') || ' ' || (SELECT count(*) FROM pages WHERE status = 'blocked')")" \
	"failed and robots-blocked pages are counted apart (regression: blocked ones showed as failed)"

# a second run now: nothing is due, nothing is fetched
before=$(wc -l <"$SITE_LOG")
run crawl fx --timeout 1
is "$rc" 0 "an immediate second crawl succeeds"
is "$(wc -l <"$SITE_LOG")" "$before" "and fetches nothing (every page is done for the day)"

# recrawl: everything due again -> conditional GET and content hashes
"$WINNOW" sql --write "UPDATE pages SET next_fetch_at = 0" >/dev/null 2>&1
docs=$(sql "SELECT count(*) FROM documents")
run crawl fx --timeout 1
is "$rc" 0 "a recrawl succeeds"
is "$(awk '$2 == "/notmod" {print $3}' "$SITE_LOG" | tail -1)" '"v1"' "the recrawl sends If-None-Match"
is "$(sql "SELECT http_status FROM pages WHERE url LIKE '%/notmod'")" 304 "and gets a 304"
like "$err" "1 not modified" "counted as not modified"
is "$(sql "SELECT count(*) FROM documents")" "$docs" "unchanged pages add no documents"
like "$(sql "SELECT counts FROM runs WHERE command = 'crawl' ORDER BY id DESC LIMIT 1")" '"fetched":0' "nothing was re-extracted"

# --user-agent: its product token picks the robots.txt group ("otherbot": Disallow: /)
# a page with many links: only --max-links of them reach the frontier, the rest are counted
run source add many --url "$SITE/many-links" --allow '/ml/|/many-links'
run crawl many --max-links 10 --max-pages 1
is "$rc" 0 "a crawl of a page with 50 links and --max-links 10"
is "$(sql "SELECT count(*) FROM pages p JOIN sources s ON s.id = p.source_id WHERE s.name = 'many' AND url LIKE '%/ml/%'")" \
	10 "only 10 of its links enter the frontier (regression: 100,000 links, 99,971 rows)"
is "$(sql "SELECT links_dropped FROM pages WHERE url LIKE '%/many-links'")" 40 "the page row counts the 40 not followed"
like "$err" "1 page had more links than --max-links; 40 links were not followed" "and the run says so"
"$WINNOW" source rm many >/dev/null 2>&1

run source add other --url "$SITE/article" --user-agent "otherbot/1.0 (+http://example.com)"
before=$(requests /article)
run crawl other
is "$rc" 0 "a crawl as otherbot succeeds"
is "$(requests /article)" "$before" "otherbot's robots.txt group keeps it out"
is "$(sql "SELECT p.status FROM pages p JOIN sources s ON s.id = p.source_id WHERE s.name = 'other'")" blocked "the page is blocked"

run source rm fx
is "$rc" 0 "source rm works"
is "$(sql "SELECT count(*) FROM pages p JOIN sources s ON s.id = p.source_id WHERE s.name = 'fx'")" 0 "its frontier is gone"
is "$(sql "SELECT count(*) FROM pages")" 1 "other sites keep theirs"
is "$(sql "SELECT count(*) FROM records")" 1 "its records are kept"

done_testing
