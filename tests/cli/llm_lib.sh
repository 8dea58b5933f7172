# llm_lib.sh - starting the fake OpenAI-compatible server for CLI tests.
# Source it after lib.sh:
#
#   . "$HERE/llm_lib.sh"
#   fake_llm '{"default": {"content": "你好"}}'     # (re)starts it with this script
#   run llm ask "$@" hi ; ... ; received            # the requests it got (JSON lines)
#
# $LLM is the set of options pointing winnow at the server with a test key.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3	# the pyenv shim costs 150 ms a call
command -v "$PY" >/dev/null || { echo "1..0 # SKIP python3 is needed for the fake LLM server"; exit 0; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY WINNOW_LLM_PROVIDER
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
export TEST_LLM_KEY="sk-test-SECRET-4f9a2c7e1b"
_llm_pid=

stop_llm() {
	if [ -n "$_llm_pid" ]; then
		kill "$_llm_pid" 2>/dev/null
		wait "$_llm_pid" 2>/dev/null
		_llm_pid=
	fi
}
trap 'stop_llm; rm -rf "$T"' EXIT

# fake_llm SCRIPT-JSON: gives the server a new script (starting it the first
# time; it keeps its port, so the endpoint and the cache stay the same),
# empties its log, and sets $LLM.
fake_llm() {
	_llm_gen=$((_llm_gen + 1))
	printf '[%d, %s]' "$_llm_gen" "$1" >"$T/llm_script.json.new"
	mv "$T/llm_script.json.new" "$T/llm_script.json"
	: >"$T/llm_log.jsonl"
	if [ -z "$_llm_pid" ]; then
		rm -f "$T/port"
		"$PY" "$FIXTURES/llm/fake_llm.py" "$T/llm_script.json" "$T/llm_log.jsonl" 2>"$T/llm_server.err" &
		_llm_pid=$!
		for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.02; done
	fi
	LLM_URL="http://127.0.0.1:$(cat "$T/port")/v1"
	LLM="--provider openai --base-url $LLM_URL --api-key-env TEST_LLM_KEY"
}
_llm_gen=0

# prompt_of N: the last user message of the N-th request received.
prompt_of() {
	"$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = rows[int(sys.argv[2]) - 1]
print([m["content"] for m in r["body"]["messages"] if m["role"] == "user"][-1])
' "$T/llm_log.jsonl" "$1"
}

# received [PYTHON-EXPR]: one line per request received, the expression
# evaluated with r = the logged request (default: the last user message).
received() {
	"$PY" -c '
import json, sys
expr = sys.argv[2] if len(sys.argv) > 2 else "[m[\"content\"] for m in r[\"body\"][\"messages\"] if m[\"role\"] == \"user\"][-1]"
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    print(eval(expr))
' "$T/llm_log.jsonl" "$@"
}

calls() { # number of requests the server received
	wc -l <"$T/llm_log.jsonl" | tr -d ' '
}
