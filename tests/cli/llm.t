#!/bin/bash
# llm.t - the LLM client against a fake OpenAI-compatible server on
# 127.0.0.1: answers, the cache, JSON mode, looped n, streams with
# keep-alives and stalls, retries after 429/500 (and their spacing), the
# errors that stop a run at once, budgets, rate limits, and the API key
# staying out of the corpus and the messages.
. "$(dirname "$0")/lib.sh"
. "$HERE/llm_lib.sh"

key_nowhere() { # DESCRIPTION: the key is in neither the corpus file(s) nor the output
	local hit=0
	[ -s "$T/corpus.db" ] || hit=1	# no corpus would prove nothing
	for f in "$T"/corpus.db*; do grep -qa "$TEST_LLM_KEY" "$f" && hit=1; done
	case "$out$err" in *"$TEST_LLM_KEY"*) hit=1 ;; esac
	ok $hit "$1"
}

fake_llm '{"default": {"content": "你好，我是测试模型。", "usage": [7, 9]}}'
run llm ask $LLM --model test-model "用一句话介绍你自己"
is "$rc" 0 "a plain answer"
is "$out" "你好，我是测试模型。" "is printed untouched (Chinese included)"
is "$(received)" "用一句话介绍你自己" "the prompt arrived untouched"
is "$(received 'r["path"]')" "/v1/chat/completions" "at BASE/chat/completions"
is "$(received 'r["auth"]')" "Bearer $TEST_LLM_KEY" "with the key from the environment as a bearer token"
is "$(received 'r["body"]["model"]')" "test-model" "--model overrides the preset's model"
is "$(received '"response_format" in r["body"] or "stream" in r["body"] or "n" in r["body"]')" "False" \
	"no JSON mode, stream or n unless asked"
is "$(sql "SELECT provider, model, task, status, tokens_in, tokens_out FROM llm_calls")" \
	"openai	test-model	ask	ok	7	9" "the call is stored with its tokens"
key_nowhere "the key is not in the corpus or the output"

run llm ask $LLM --model test-model "用一句话介绍你自己"
is "$rc" 0 "the same request again"
is "$out" "你好，我是测试模型。" "gets the same answer"
is "$(calls)" 1 "from the cache: no second call"
like "$err" "1 cached" "the summary says so"
run llm ask $LLM --model test-model --no-cache "用一句话介绍你自己"
is "$(calls)" 2 "--no-cache calls again"
run llm ask $LLM --model other-model "用一句话介绍你自己"
is "$(calls)" 3 "another model is another request"

# JSON mode and extraction from fences and chatter
fake_llm '{"default": {"content": "好的，结果如下：\n```json\n{\"items\": [\"甲\", \"乙\"]}\n```\n希望有帮助"}}'
run llm ask $LLM --json "列出两个字，输出 JSON"
is "$rc" 0 "a JSON answer wrapped in a code fence"
is "$(printf '%s' "$out" | tr -d ' \n')" '{"items":["甲","乙"]}' "the first JSON value is extracted"
is "$(received 'r["body"]["response_format"]["type"]')" "json_object" "JSON mode is requested where the platform has it"
run llm ask --provider spark --base-url "$LLM_URL" --api-key-env TEST_LLM_KEY --json "输出 JSON"
is "$(received '"response_format" in r["body"]' | tail -1)" "False" "but not from a platform without it (spark)"

# n > 1 is looped as separate requests
fake_llm '{"default": {"content": "answer {n}"}}'
run llm ask $LLM -n 3 "say something"
is "$rc" 0 "--n 3"
is "$(calls)" 3 "makes three requests"
is "$(printf '%s\n' "$out" | grep -c '^answer [123]$')" 3 "and prints three different answers"
run llm ask $LLM -n 3 "say something"
is "$(calls)" 3 "all three come from the cache the second time"

# streaming with keep-alive comments, and a stream that stalls
fake_llm '{"steps": [{"content": "流式回答的内容在这里", "keepalive": 3, "usage": [5, 11]}], "default": {"content": "x", "stall": 30}}'
run llm ask $LLM --stream "stream please"
is "$rc" 0 "a stream with keep-alive lines"
is "$out" "流式回答的内容在这里" "is put back together from its chunks"
is "$(received 'r["body"].get("stream")')" "True" "the request asked for a stream"
is "$(sql "SELECT tokens_in || '/' || tokens_out FROM llm_calls ORDER BY id DESC LIMIT 1")" "5/11" "usage from the last chunk is kept"
start=$(date +%s)
run llm ask $LLM --stream --timeout 2 --retries 0 "stall please"
end=$(date +%s)
is "$rc" 75 "a stream that stalls past the deadline fails (try again later)"
like "$err" "deadline" "the message names the deadline"
[ $((end - start)) -lt 20 ]; ok $? "the deadline stops it (no 30 s wait)"

# retries: 429 with Retry-After, then success
fake_llm '{"steps": [{"status": 429, "headers": {"Retry-After": "1"}, "error": {"code": "1302", "message": "并发数过高"}}], "default": {"content": "finally"}}'
run llm ask $LLM "retry me"
is "$rc" 0 "a 429 (Zhipu 1302: slow down) is retried"
is "$out" "finally" "and the retry's answer is used"
is "$(calls)" 2 "two requests reached the server"
gap=$(received 'r["t"]' | "$PY" -c 'import sys; t=[float(x) for x in sys.stdin]; print(int(t[1]-t[0] >= 0.95))')
is "$gap" 1 "the retry waited for Retry-After (1 s)"
is "$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM llm_calls WHERE task = 'ask' ORDER BY id DESC LIMIT 2)")" "ok,retry" "both attempts are logged"

fake_llm '{"steps": [{"status": 500, "body": "<html>bad gateway</html>"}], "default": {"content": "after 500"}}'
run llm ask $LLM "five hundred"
is "$rc" 0 "a 500 then a success"
is "$out" "after 500" "is retried with backoff"
gap=$(received 'r["t"]' | "$PY" -c 'import sys; t=[float(x) for x in sys.stdin]; print(int(t[1]-t[0] >= 0.45))')
is "$gap" 1 "after a backoff of at least half a second (1 s with jitter)"

# errors waiting will not fix stop at once
fake_llm '{"default": {"status": 401, "error": {"message": "Incorrect API key provided: '"$TEST_LLM_KEY"'", "code": "invalid_api_key"}}}'
run llm ask $LLM -n 3 --parallel 1 "bad key"
is "$rc" 1 "a refused key stops the run (exit 1)"
like "$err" "API key was refused" "the message says what happened"
like "$err" "TEST_LLM_KEY" "and which variable to check"
is "$(calls)" 1 "no retry and no further request"
key_nowhere "the key the server echoed is kept out of the corpus and the messages"
like "$(sql "SELECT response FROM llm_calls WHERE status = 'fatal'")" "[key]" "the echo is stored redacted"

fake_llm '{"default": {"status": 429, "error": {"code": "1113", "message": "余额不足或无可用资源包,请充值。"}}}'
run llm ask $LLM -n 4 --parallel 1 "no money"
is "$rc" 1 "Zhipu 1113 (no balance) stops the run although it is a 429"
like "$err" "no balance" "the message says the account is empty"
like "$err" "余额不足" "and quotes the platform"
is "$(calls)" 1 "without retrying"

fake_llm '{"default": {"status": 402, "error": {"message": "Insufficient Balance"}}}'
run llm ask $LLM "deepseek broke"
is "$rc" 1 "DeepSeek's 402 stops the run"
like "$err" "no balance" "as no balance"

fake_llm '{"default": {"status": 400, "error": {"code": "1301", "message": "系统检测到输入或生成内容可能包含不安全或敏感内容"}}}'
run llm ask $LLM "refused"
is "$rc" 1 "content refused (1301) stops the run"
like "$err" "refused the content" "and says so"
fake_llm '{"default": {"content": "", "finish_reason": "content_filter"}}'
run llm ask $LLM "filtered"
is "$rc" 1 "finish_reason content_filter stops the run"

# malformed answers are retried, then given up
fake_llm '{"default": {"body": "{\"choices\": [{\"message\": "}}'
run llm ask $LLM --retries 1 "broken"
is "$rc" 75 "a malformed answer fails after its retries (exit 75)"
like "$err" "malformed" "the message says the answer was malformed"
is "$(calls)" 2 "one try and one retry"
is "$(sql "SELECT group_concat(status) FROM llm_calls WHERE request LIKE '%broken%'")" "retry,retry" "both attempts are logged, neither as an answer to cache"

# an HTML page with HTTP 200 (a wrong --base-url, a proxy's login page) is permanent: reported at once
fake_llm '{"default": {"body": "<!DOCTYPE html><html><body>Welcome to nginx</body></html>"}}'
run llm ask $LLM "html page"
is "$rc" 1 "an HTML answer fails with exit 1 (regression: retried, then 75 'try again later')"
is "$(calls)" 1 "at once, not after the retries --retries allows"
like "$err" "is not JSON, it starts '<!DOCTYPE html>" "the message says it is not JSON and quotes it"
like "$err" "check --base-url" "and what to check"

# a 401 from a --base-url server without a key variable: the message says how to give one
fake_llm '{"default": {"status": 401, "error": {"message": "missing key"}}}'
run llm ask --base-url "$LLM_URL" --model m "no key"
is "$rc" 1 "a 401 without a key stops the run"
like "$err" "--api-key-env VAR" "the message suggests --api-key-env"
unlike "$err" "the key variable" "and leaks no placeholder"
run llm ask --base-url "$LLM_URL" --model m --api-key-env TEST_LLM_KEY "wrong key"
like "$err" 'check the key in $TEST_LLM_KEY, or name the variable that holds the right one with --api-key-env' \
	"with a key variable, it names it and suggests --api-key-env"

# nothing listening: one error line, at once
dead=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
run llm ask --base-url "http://127.0.0.1:$dead/v1" --model m "anyone there"
is "$rc" 1 "connection refused fails (exit 1)"
is "$(printf '%s\n' "$err" | grep -c '^error:')" 1 "with one error line"
like "$err" "cannot connect to http://127.0.0.1:$dead/v1/chat/completions" "naming the URL"
unlike "$err" "retrying" "without retrying"

fake_llm '{"default": {"content": "{\"a\": 1}", "blank_lines": 5}}'
run llm ask $LLM "deepseek keep-alive"
is "$out" '{"a": 1}' "blank keep-alive lines before the body are skipped"

# an answer past the size limit (8 MB) is cut off and not retried
fake_llm '{"default": {"content": "0123456789abcdef", "repeat": 600000}}'
run llm ask $LLM "huge"
is "$rc" 1 "a 9.6 MB answer fails with exit 1 (regression: 75, though a later run gets the same)"
like "$err" "larger than 8 MB" "because of the size limit"
is "$(calls)" 1 "without retrying"

# a stream that never ends is bounded by the request's --deadline, retries included
fake_llm '{"default": {"content": "x", "keepalive": 100000000}}'
run llm ask $LLM --stream --timeout 2 --deadline 3 --retries 5 "endless stream"
is "$rc" 75 "a never-ending stream fails (try again later)"
like "$err" "its --deadline passed" "because of the deadline (regression: 6 attempts x --timeout)"
[ "$(calls)" -le 2 ]
ok $? "after at most two attempts, not the six --retries 5 allows"

# truncated answers are kept, flagged
fake_llm '{"default": {"content": "一个被截断的回", "finish_reason": "length"}}'
run llm ask $LLM "long answer"
is "$rc" 0 "an answer cut off at the token limit is not an error"
like "$err" "cut off" "but it is flagged"
is "$(sql "SELECT status FROM llm_calls ORDER BY id DESC LIMIT 1")" "truncated" "and stored as truncated"

# budgets and limits
fake_llm '{"default": {"content": "x{n}", "usage": [100, 100]}}'
run llm ask $LLM -n 5 --max-calls 2 "budget"
is "$(calls)" 2 "--max-calls 2 stops after two calls"
run llm ask $LLM -n 5 --max-tokens 300 --parallel 1 --no-cache "tokens"
is "$(calls)" 4 "--max-tokens 300 stops once 400 tokens (two calls of 200) are spent"
fake_llm '{"default": {"content": "y{n}"}}'
run llm ask $LLM -n 3 --rpm 120 "rate"
gaps=$(received 'r["t"]' | "$PY" -c 'import sys; t=[float(x) for x in sys.stdin]; print(int(min(b-a for a,b in zip(t,t[1:])) >= 0.45))')
is "$gaps" 1 "--rpm 120 spaces the calls half a second apart"
fake_llm '{"default": {"content": "z{n}", "delay": 1}}'
run llm ask $LLM -n 4 --parallel 4 "together"
spread=$(received 'r["t"]' | "$PY" -c 'import sys; t=[float(x) for x in sys.stdin]; print(int(max(t)-min(t) < 0.8))')
is "$spread" 1 "--parallel 4 has four requests in flight at once"

# configuration errors
run llm ask --provider zhipu "hi"
is "$rc" 2 "a preset whose key variable is unset"
like "$err" "ZHIPUAI_API_KEY" "names the variable to set"
run llm ask "hi"
is "$rc" 2 "no provider at all"
like "$err" "--provider" "says how to choose one"

run llm ask --provider openia "hi"
is "$rc" 2 "a misspelt provider"
like "$err" "deepseek" "lists the ones there are"

run llm stats
is "$rc" 0 "llm stats"
like "$out" "openai" "shows spend by provider"
like "$out" "ask" "and by task"
key_nowhere "after all that, the key is still nowhere in the corpus"
unlike "$(sql "SELECT args FROM runs")" "$TEST_LLM_KEY" "nor in runs"

done_testing
