#!/usr/bin/env bash
# Create the virtual environment (if missing) and install the course into it.
# Torch: a CPU build when there is no NVIDIA GPU (a local wheel if pip's find-links has one,
# else PyTorch's CPU index), the default build otherwise. Never reinstalls a working torch.
set -euo pipefail
VENV="${1:-.venv}"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  echo "creating $VENV"
  python3 -m venv "$VENV"
fi
"$PY" -m pip install -q --upgrade "pip>=23" >/dev/null 2>&1 || true
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "installing torch (GPU build)"
    "$PY" -m pip install -q "torch>=2.1,<3"
  elif [ "$(uname -s)" = "Linux" ]; then
    echo "installing torch (CPU build)"
    "$PY" -m pip install -q --no-index "torch==2.13.0" 2>/dev/null \
      || "$PY" -m pip install -q --timeout 20 --retries 1 --index-url https://download.pytorch.org/whl/cpu \
           "torch>=2.1,<3" 2>/dev/null \
      || "$PY" -m pip install -q "torch>=2.1,<3"
  else
    echo "installing torch"
    "$PY" -m pip install -q "torch>=2.1,<3"
  fi
fi
echo "installing the course (course_lib, autograder) and test tools"
"$PY" -m pip install -q -e ".[dev]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
"$PY" -c "import course_lib, autograder, torch, nbgrader, otter" \
  || { echo "set-up failed: the course packages do not import"; exit 1; }
echo "environment ready: $VENV"
