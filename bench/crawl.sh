#!/bin/bash
# crawl.sh - crawl speed: a generated site of $CRAWL_PAGES pages (default
# 3000, ~5 KB each) served by nginx on 127.0.0.1, politeness off
# (--delay 0, concurrency 16), fetched, extracted and stored by winnow; and
# the same site crawled by Scrapy (Debian's python3-scrapy) with the same
# concurrency, extracting the text, side by side.
#
# Targets: winnow >= 1,000 pages/s including extraction and storage, peak
# RSS below Scrapy's (~97 MB here). Scrapy has no target: it is the yardstick.
# nginx and Scrapy are benchmark-only packages (CRAWL_BENCH_PACKAGES in the
# GNUmakefile: apt-get install nginx-light python3-scrapy). Without nginx the
# Python fixture server stands in (and is then the bottleneck: the report
# says so); without Scrapy there is no comparison row.
. "$(dirname "$0")/lib.sh"

N=${CRAWL_PAGES:-3000}
CONC=16
site=$BENCH_OUT/crawl_site.$N
if [ ! -f "$site/.done" ]; then
	rm -rf "$site"
	python3 "$BENCH_DIR/crawl_gen_site.py" "$site" "$N" && touch "$site/.done" || exit 1
fi

work=$BENCH_OUT/crawl.$$
mkdir -p "$work"
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=nginx
if [ -x /usr/sbin/nginx ]; then
	cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $work;
	proxy_temp_path $work;
	fastcgi_temp_path $work;
	uwsgi_temp_path $work;
	scgi_temp_path $work;
	types { text/html html; }
	server {
		listen 127.0.0.1:$port;
		root $site;
		location / { try_files \$uri \$uri/index.html =404; }
	}
}
CONF
	/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
	server_pid=$!
else
	server="python fixture server (nginx missing: it is the bottleneck)"
	python3 "$BENCH_DIR/../tests/fixtures/crawl/server.py" "$work/port" "$work/server.log" --bench "$N" &
	server_pid=$!
	for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
	port=$(cat "$work/port")
fi
for _ in $(seq 1 100); do
	curl -sf "http://127.0.0.1:$port/" >/dev/null && break
	sleep 0.05
done
echo "site: $N pages on 127.0.0.1:$port served by $server"

db=$work/crawl.db
add_source="'$WINNOW' --db '$db' source add site --url 'http://127.0.0.1:$port/' --delay 0 \
	--concurrency $CONC --ignore-robots"
# each run starts from a new corpus: the site is crawled from scratch, and the
# previous run's pages are not still being checkpointed out of the WAL
bench_measure "winnow crawl (pages)" $((N + 1)) 1000 97 \
	--setup "rm -f '$db' '$db-wal' '$db-shm'; $add_source >>'$BENCH_LOG' 2>&1" \
	-- "$WINNOW" --db "$db" crawl --concurrency $CONC
got=$("$WINNOW" --db "$db" sql --format tsv "SELECT count(*) FROM documents" 2>/dev/null | tail -1)
echo "winnow stored $got documents (want $((N + 1)): every page and the index)"

if /usr/bin/python3 -c 'import scrapy' 2>/dev/null; then
	bench_measure "scrapy crawl (pages)" $((N + 1)) - - \
		-- /usr/bin/python3 "$BENCH_DIR/crawl_scrapy.py" "http://127.0.0.1:$port/" $CONC "$work/scrapy.jsonl"
	echo "scrapy wrote $(wc -l <"$work/scrapy.jsonl") items"
else
	echo "scrapy: not installed (apt-get install python3-scrapy); no comparison row"
fi
bench_report
