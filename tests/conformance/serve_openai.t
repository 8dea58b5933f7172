#!/bin/bash
# serve_openai.t - `winnow serve` through the official openai Python package
# (pinned in requirements.txt): models.list, chat.completions.create plain,
# streamed and with stop, completions.create, and the package's own error
# classes for 400, 401, 404 and 429. The server runs on 127.0.0.1 only.
HERE=$(cd "$(dirname "$0")" && pwd)
: "${PYTHON:=python3}"
if ! "$PYTHON" -c 'import openai' 2>/dev/null; then
	echo "1..0 # SKIP the openai package is not installed in \$PYTHON ($PYTHON); make venv installs it"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/winnow-conf.XXXXXX")
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
FIX="$HERE/../fixtures"
mkdir qt && xz -dc "$FIX/tokenizers/qwen3/tokenizer.json.xz" >qt/tokenizer.json &&
	cp "$FIX/tokenizers/qwen3/tokenizer_config.json" qt/
"$WINNOW" model init --preset tiny --tokenizer qt --out q >/dev/null 2>&1 || { echo "1..0 # SKIP model init failed"; exit 1; }
"$WINNOW" chat --base q -n 20 --temperature 1 --seed 5 "Say something." >want.txt
export SERVE_KEY=sk-conformance-1
"$WINNOW" serve --base q --port 0 --api-key-env SERVE_KEY --parallel 1 --queue 0 2>serve.err &
SRV=$!
for _ in $(seq 300); do grep -q listening serve.err 2>/dev/null && break; sleep 0.02; done
PORT=$(grep -o '127.0.0.1:[0-9]*' serve.err | cut -d: -f2)

"$PYTHON" - "$PORT" want.txt <<'PYEOF'
import sys, threading, time
import openai

port, want = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
base = f"http://127.0.0.1:{port}/v1"
client = openai.OpenAI(base_url=base, api_key="sk-conformance-1", max_retries=0, timeout=60)
results = []

def check(cond, name):
    results.append((bool(cond), name))

msgs = [{"role": "user", "content": "Say something."}]
check([m.id for m in client.models.list().data] == ["q"], "models.list gives the base by folder name")
check(client.models.retrieve("q").id == "q", "models.retrieve")
r = client.chat.completions.create(model="q", messages=msgs, max_tokens=20, temperature=1, seed=5)
check(r.choices[0].message.content == want, "chat.completions.create equals winnow chat (seeded)")
check(r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 20
      and r.usage.total_tokens == r.usage.prompt_tokens + 20, "finish_reason and usage parse")
chunks = list(client.chat.completions.create(model="q", messages=msgs, max_tokens=20, temperature=1,
                                             seed=5, stream=True, stream_options={"include_usage": True}))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check(text == want, "a stream joins to the same text")
check(chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 20, "the last chunk has usage")
stop = want[5:8]
r = client.chat.completions.create(model="q", messages=msgs, max_tokens=20, temperature=1, seed=5, stop=[stop])
check(r.choices[0].message.content == want[:want.index(stop)] and r.choices[0].finish_reason == "stop",
      "stop cuts the answer")
r = client.completions.create(model="q", prompt="Once upon a time", max_tokens=4, temperature=0)
check(r.object == "text_completion" and r.usage.completion_tokens == 4, "completions.create")

def raises(cls, fn, name):
    try:
        fn()
        check(False, name)
    except cls as e:
        check(True, name)
    except Exception as e:  # the wrong class fails the check
        check(False, f"{name} (got {type(e).__name__})")

raises(openai.NotFoundError, lambda: client.chat.completions.create(model="nope", messages=msgs),
       "unknown model: NotFoundError (404)")
raises(openai.NotFoundError, lambda: client.models.retrieve("nope"), "models.retrieve of an unknown model: 404")
raises(openai.BadRequestError, lambda: client.chat.completions.create(model="q", messages=[]),
       "empty messages: BadRequestError (400)")
bad = openai.OpenAI(base_url=base, api_key="wrong", max_retries=0)
raises(openai.AuthenticationError, lambda: bad.models.list(), "a wrong key: AuthenticationError (401)")

# one slot, no queue: a second request while a long one runs is told to retry
started = threading.Event()
def long_request():
    for c in client.chat.completions.create(model="q", messages=msgs, max_tokens=300, stream=True):
        started.set()
t = threading.Thread(target=long_request)
t.start()
started.wait(30)
raises(openai.RateLimitError, lambda: client.chat.completions.create(model="q", messages=msgs, max_tokens=2),
       "over capacity: RateLimitError (429)")
t.join()

print(f"1..{len(results)}")
for i, (good, name) in enumerate(results, 1):
    print(f"{'ok' if good else 'not ok'} {i} - {name}")
sys.exit(0 if all(g for g, _ in results) else 1)
PYEOF
