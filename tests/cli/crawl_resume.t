#!/bin/bash
# crawl_resume.t - cron safety: kill -9 mid-crawl loses nothing and the next
# run fetches nothing twice; the lock (exit 75 naming the holder, a dead
# holder's lock taken over); SIGINT finishes the pages in flight and exits 0.
. "$(dirname "$0")/lib.sh"
. "$FIXTURES/crawl/lib.sh"

start_site

run source add chain --url "$SITE/chain/0" --delay 150 --allow "/chain/"
is "$rc" 0 "source add"

# kill -9 in the middle of a crawl of sixteen chained pages
"$WINNOW" crawl >"$T/c1.out" 2>"$T/c1.err" &
pid=$!
for _ in $(seq 1 100); do
	[ "$(requests /chain/4)" = 1 ] && break
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
done1=$(sql "SELECT count(*) FROM pages WHERE status = 'fetched'")
ok "$([ "$done1" -ge 4 ] && [ "$done1" -lt 16 ]; echo $?)" "the killed crawl had fetched part of the chain ($done1 pages)"
is "$(sql "SELECT pid FROM crawl_lock")" "$pid" "the dead crawl's lock is still there"
is "$(sql "SELECT status FROM runs WHERE command = 'crawl'")" running "its run never ended"

run crawl chain
is "$rc" 0 "the next crawl takes over the stale lock"
like "$err" "no longer running" "and says so"
is "$(sql "SELECT count(*) FROM pages WHERE status = 'fetched'")" 16 "all sixteen pages are fetched in the end"
twice=$(awk '$2 ~ /^\/chain\// {print $2}' "$SITE_LOG" | sort | uniq -d | wc -l)
ok "$([ "$twice" -le 1 ]; echo $?)" "nothing finished was fetched again (at most the one page in flight: $twice)"
is "$(sql "SELECT count(*) FROM documents")" 16 "one document per page, none lost, none doubled"
is "$(sql "SELECT count(*) FROM crawl_lock")" 0 "the lock is released"

# a live crawl holds the lock: exit 75 naming it
sleep 30 &
holder=$!
"$WINNOW" sql --write "INSERT INTO crawl_lock VALUES (1, $holder, '$(hostname)', '2026-01-01T00:00:00Z')" >/dev/null 2>&1
run crawl chain
is "$rc" 75 "a second crawl exits 75"
like "$err" "pid $holder" "naming the running crawl's pid"
like "$err" "2026-01-01T00:00:00Z" "and its start time"
is "$(sql "SELECT status FROM runs WHERE command = 'crawl' ORDER BY id DESC LIMIT 1")" try-later "the refusal is in runs"
kill "$holder"
wait "$holder" 2>/dev/null

# SIGINT: finish what is in flight, save, exit 0
"$WINNOW" sql --write "DELETE FROM crawl_lock; UPDATE pages SET next_fetch_at = 0, etag = NULL, content_hash = NULL" >/dev/null 2>&1
before=$(wc -l <"$SITE_LOG")
"$WINNOW" crawl chain >"$T/c2.out" 2>"$T/c2.err" &
pid=$!
for _ in $(seq 1 100); do
	[ $(( $(wc -l <"$SITE_LOG") - before )) -ge 3 ] && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
is "$?" 0 "SIGINT: crawl exits 0"
like "$(cat "$T/c2.err")" "interrupted" "and says it was interrupted"
is "$(sql "SELECT count(*) FROM crawl_lock")" 0 "and releases the lock"
left=$(sql "SELECT count(*) FROM pages WHERE next_fetch_at = 0")
ok "$([ "$left" -gt 0 ]; echo $?)" "the rest stays due for the next run ($left pages)"

# --max-pages and --max-time bound a run
"$WINNOW" sql --write "UPDATE pages SET next_fetch_at = 0, content_hash = NULL" >/dev/null 2>&1
before=$(wc -l <"$SITE_LOG")
run crawl chain --max-pages 3
is "$rc" 0 "a --max-pages run succeeds"
is "$(( $(wc -l <"$SITE_LOG") - before ))" 3 "and fetches exactly 3 pages"
before=$(wc -l <"$SITE_LOG")
start=$(date +%s)
run crawl chain --max-time 1s
is "$rc" 0 "a --max-time run succeeds"
ok "$([ $(( $(date +%s) - start )) -le 3 ]; echo $?)" "and stops soon after its time is up"
ok "$([ $(( $(wc -l <"$SITE_LOG") - before )) -lt 13 ]; echo $?)" "before the rest of the chain"
run crawl chain --max-time soon
is "$rc" 2 "a malformed --max-time is a usage error"

done_testing
