#!/bin/bash
# import_url.t - `winnow import URL` against a web server this test starts
# on 127.0.0.1 (and stops at exit): a download that works, a 404, a server
# that is not there, and the format taken from the Content-Type when the
# URL has no telling extension.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call
F="$FIXTURES/import"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
mkdir "$T/tmp" && export TMPDIR="$T/tmp"	# where winnow keeps downloads

command -v "$PY" >/dev/null || { echo "1..0 # SKIP python3 is needed for the test server"; exit 0; }

# Serves the fixtures; /export?kind=csv answers CSV with no file extension
# in the URL, so only the Content-Type can tell the format.
cat >server.py <<'EOF'
import gzip, http.server, os, sys
root = sys.argv[1]
with open(os.path.join(root, "records.jsonl"), "rb") as f:
    records_gz = gzip.compress(f.read())
# a decompression bomb: one record, then 80 MB of blanks (~80 KB on the wire)
bomb_gz = gzip.compress(b'{"instruction": "boom", "output": "x"}\n' + b" " * (80 << 20), 9)
encoded = {"records.jsonl.gz": records_gz, "bomb.jsonl": bomb_gz}
types = {"faq": ("faq.csv", "text/csv; charset=utf-8"),
         "tab": ("faq.tsv", "text/tab-separated-values"),
         "alpaca.json": ("alpaca.json", "application/json"),
         "records.jsonl": ("records.jsonl", "application/octet-stream"),
         "": ("records.jsonl", "application/x-ndjson")}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.split("?")[0].strip("/")
        if name in encoded:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(encoded[name])))
            self.end_headers()
            self.wfile.write(encoded[name])
            return
        if name not in types:
            self.send_error(404, "no such dataset")
            return
        fname, ctype = types[name]
        with open(os.path.join(root, fname), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open("port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename("port.tmp", "port")
s.serve_forever()
EOF
"$PY" server.py "$F" 2>server.log &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
port=$(cat port 2>/dev/null)
[ -n "$port" ]; ok $? "the test server is listening"
URL="http://127.0.0.1:$port"

run import "$URL/alpaca.json"
is "$rc" 0 "importing a JSON URL works"
like "$err" "4 added" "all its records"
is "$(sql "SELECT count(*) FROM records WHERE instruction = '我这个季度会发财吗'")" 1 "the Chinese record arrived intact"
is "$(sql "SELECT name || '|' || location FROM sources")" "alpaca|$URL/alpaca.json" \
	"the source is named after the URL's file and keeps the URL"

run import "$URL/?file=records" --format jsonl
is "$rc" 0 "a URL with no file name"
is "$(sql "SELECT count(*) FROM sources WHERE name = '127.0.0.1' AND location = '$URL/?file=records'")" 1 \
	"gets a source named after the host (regression: was called 'stdin')"

run import "$URL/records.jsonl?download=1"
is "$rc" 0 "a JSON Lines URL with a query string"
like "$err" "0 added, 3 already present" "is detected from the content (the same records as before)"

run import "$URL/faq?kind=csv" --map instruction=question,output=answer
is "$rc" 0 "a URL without extension served as text/csv"
like "$err" "2 added" "is read as CSV because of its Content-Type"

run import "$URL/tab"
is "$rc" 0 "a URL served as text/tab-separated-values"
is "$(sql "SELECT output FROM records WHERE instruction = 'Name a colour.'")" "Blue." "is read as TSV"

run import "$URL/records.jsonl.gz" --format jsonl
is "$rc" 0 "a gzip-encoded download is decoded"
like "$err" "3 already present" "into the same records"

before=$(sql "SELECT count(*) FROM records")
run import "$URL/bomb.jsonl"
is "$rc" 1 "a gzip bomb is refused (regression: written decoded to \$TMPDIR until the line limit stopped it)"
like "$err" "refused as a decompression bomb" "named as such"
is "$(sql "SELECT count(*) FROM records")" "$before" "nothing was imported from it"
is "$(ls "$T/tmp")" "" "and its partial download is removed"

run import "$URL/missing.json"
is "$rc" 1 "a 404 is a failure (exit 1)"
like "$err" "HTTP 404" "the message gives the HTTP status"
like "$err" "$URL/missing.json" "and the URL"
is "$(sql "SELECT count(*) FROM records")" "$before" "nothing was imported"

# a port nobody listens on: a temporary failure
kill $srv 2>/dev/null; wait $srv 2>/dev/null
run import "$URL/alpaca.json"
is "$rc" 75 "a server that is not there is worth retrying later (exit 75)"
like "$err" "try again later" "and says so"
is "$(ls "$T/tmp")" "" "no downloaded temporary file is left behind"

done_testing
