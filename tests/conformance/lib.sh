# lib.sh - for tests/conformance/*.t: the CLI test helpers (tests/cli/lib.sh)
# plus the reference tools' Python in $PYTHON (build/venv, made by
# `make venv`). Nothing may reach the network: the Hugging Face libraries
# are told to stay offline and to cache inside the test's folder.
. "$(dirname "$0")/../cli/lib.sh"
CONF="$HERE"
if [ -z "${PYTHON:-}" ] || [ ! -x "$PYTHON" ]; then
	echo "Bail out! \$PYTHON is not set to the reference tools' python; run 'make conformance'"
	exit 1
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export HF_HOME="$T/hf" HF_DATASETS_CACHE="$T/hf/datasets" TOKENIZERS_PARALLELISM=false
export DO_NOT_TRACK=1 HF_HUB_DISABLE_TELEMETRY=1
