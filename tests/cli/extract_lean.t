#!/bin/bash
# extract_lean.t - winnow extract parses lean (script, style, svg, comments
# and attributes it never reads cut out before parsing), yet XPath rules
# still see every attribute they may name, and Q&A vote counts are found
# beside the answer text.
. "$(dirname "$0")/lib.sh"

{
	printf '<html lang="en"><head><title>Rye</title><style>p{color:red}</style></head><body>'
	printf '<script>var s = "<p>not text</p>";</script><!-- <p>old draft</p> -->'
	printf '<svg viewBox="0 0 9 9"><text>icon label</text></svg>'
	printf '<main><h1>Rye bread</h1><p data-state="%s">Rye flour has little gluten, so the dough is sticky and dense.</p>' \
		"$(printf 'x%.0s' $(seq 1 200))"
	printf '<p><a href="/starter" class="inline">Feed the starter</a> twice a day for a week before baking.</p>'
	printf '</main></body></html>'
} >rye.html

run extract rye.html
is "$rc" 0 "extract exits 0"
like "$out" "Rye flour has little gluten" "the paragraph is kept"
like "$out" "Feed the starter twice a day" "link text reads in line"
unlike "$out" "not text" "script content is not text"
unlike "$out" "old draft" "comments are not text"
unlike "$out" "icon label" "svg text is not text"

# with an XPath rule every attribute is kept for it to name
run extract --content "//a[@href='/starter']" rye.html
is "$out" "Feed the starter" "--content can select by href"
run extract --content "//p[string-length(@data-state) = 200]" rye.html
like "$out" "Rye flour has little gluten" "--content can select by a long data-* attribute"

cat >votes.html <<'EOF2'
<html><body><h1>Why is my loaf dense?</h1><div id="answers">
<div class="answer"><div class="votes">3</div><div class="post-text">Knead it longer.</div></div>
<div class="answer"><div class="votes">12</div><div class="post-text">Your starter is weak.</div></div>
<div class="answer"><div class="votes">7</div><div class="post-text">Too much flour.</div></div>
</div></body></html>
EOF2
run extract --qa "//h1" "//div[@class='post-text']" votes.html
is "$rc" 0 "--qa exits 0"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["output"])')" \
	"Your starter is weak." "the most voted answer wins, its count read from the answer's wrapper"

done_testing
