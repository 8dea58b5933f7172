# standin.sh - sourced by demo/run.sh when no LLM is configured: the
# guide's generation loop (generate 20, review them, feed the mistakes back,
# generate more, answer like the seeds) against a LOCAL STAND-IN for an LLM
# platform - tests/fixtures/llm/fake_llm.py on 127.0.0.1, answering from
# demo/llm/standin_script.json. Its answers are canned, so the loop runs in
# a corpus of its own ($OUT/standin.db) and nothing it makes reaches the
# demo's export or training.
#
# Uses run.sh's winnow, run_winnow, show_path, not_yet, $PY, $OUT.

STANDIN_PID=

stop_standin() {
	if [ -n "$STANDIN_PID" ]; then
		kill "$STANDIN_PID" 2>/dev/null
		wait "$STANDIN_PID" 2>/dev/null
		STANDIN_PID=
	fi
}

# Starts the stand-in in $OUT/standin/ and sets STANDIN_URL; 1 when it does not come up.
start_standin() {
	local dir=$OUT/standin
	mkdir -p "$dir" && rm -f "$dir/port"
	cp demo/llm/standin_script.json "$dir/script.json"
	(cd "$dir" && exec "$PY" "$ROOT/tests/fixtures/llm/fake_llm.py" script.json calls.jsonl 2>server.err) &
	STANDIN_PID=$!
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ] || return 1
	STANDIN_URL="http://127.0.0.1:$(cat "$dir/port")/v1"
}

# A reviewer for the demo: accepts every question, rejects the gambling ones with a note.
standin_review() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
for r in rows:
    bad = any(w in r["instruction"] for w in ("麻将", "彩票"))
    r["decision"] = "reject" if bad else "accept"
    r["note"] = "不要涉及赌博" if bad else ""
open(sys.argv[1], "w", encoding="utf-8").write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
PYEOF
}

standin_loop() {
	local main_db=$WINNOW_DB opts
	if ! start_standin; then
		not_yet "the local stand-in did not start; skipping the loop"
		return 0
	fi
	echo "No LLM is configured, so this section runs the guide's loop against a LOCAL STAND-IN:"
	echo "a scripted fake platform on 127.0.0.1 ($(show_path "$ROOT/tests/fixtures/llm/fake_llm.py")) whose"
	echo "answers are canned, not written by a model. It uses a corpus of its own, so nothing here is"
	echo "exported or trained on. Set WINNOW_LLM_PROVIDER (and its key) to run it with a real model."
	export WINNOW_DB=$OUT/standin.db STANDIN_KEY=standin-not-a-key
	opts=(--base-url "$STANDIN_URL" --model stand-in --api-key-env STANDIN_KEY)
	echo
	echo "A questions task from a prompt and four hand-written seeds with answers:"
	winnow task add luck --mode questions --prompt demo/llm/luck_prompt.txt --seeds demo/llm/luck_seeds.json
	echo
	echo "The first generate of a task stops at 20 questions, prints them, and says how to review them:"
	winnow generate luck --n 100 "${opts[@]}"
	echo
	echo "Review them before they are answered (here a script plays the reviewer: it rejects the"
	echo "two gambling questions with the note 不要涉及赌博 and accepts the rest):"
	winnow review --task luck --export "$OUT/standin/first20.jsonl"
	standin_review "$OUT/standin/first20.jsonl"
	winnow review --import "$OUT/standin/first20.jsonl" --reviewer demo
	echo
	echo "The note is now a rule for the task's questions:"
	winnow feedback list luck
	echo
	echo "The next generate carries the rule in every prompt:"
	winnow generate luck --n 10 "${opts[@]}"
	winnow sql --format table "SELECT count(*) AS prompts, sum(request LIKE '%不要涉及赌博%') AS with_the_rule FROM llm_calls WHERE task = 'generate:luck'"
	echo
	echo "answer writes the outputs of the questions not rejected, showing the seeds' answers as examples:"
	winnow answer luck "${opts[@]}"
	echo "The system message each question was sent with starts:"
	winnow sql --format csv "SELECT substr(json_extract(request, '\$.messages[0].content'), 1, 90) AS system FROM llm_calls WHERE task = 'answer:luck' LIMIT 1"
	winnow sql --format table "SELECT stage, count(*) AS records, sum(output <> '') AS answered FROM records GROUP BY stage"
	stop_standin
	export WINNOW_DB=$main_db
	unset STANDIN_KEY
}
