#!/usr/bin/env bash
# Install torch into a Python environment, the build that suits this machine (never reinstalls a working torch):
# with an NVIDIA GPU, the default (CUDA) build; on Linux without one, a CPU build: a wheel pip finds without the
# network (its find-links) first, then PyTorch's CPU index, then the default. Used by tools/setup_env.sh (`make
# setup`) and by the student bundle's install.sh, so students get the same small CPU build as the course venv.
#
#   bash tools/install_torch.sh PYTHON
set -euo pipefail
PY="${1:?usage: install_torch.sh PYTHON}"
SPEC="torch>=2.1,<3"
if "$PY" -c "import torch" >/dev/null 2>&1; then
  exit 0
fi
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "installing torch (GPU build)"
  "$PY" -m pip install -q "$SPEC"
elif [ "$(uname -s)" = "Linux" ]; then
  echo "installing torch (CPU build: no NVIDIA GPU here)"
  "$PY" -m pip install -q --no-index "torch==2.13.0" 2>/dev/null \
    || "$PY" -m pip install -q --timeout 20 --retries 1 --index-url https://download.pytorch.org/whl/cpu "$SPEC" \
         2>/dev/null \
    || "$PY" -m pip install -q "$SPEC"
else
  echo "installing torch"  # macOS and Windows wheels on PyPI are CPU (and MPS) builds already
  "$PY" -m pip install -q "$SPEC"
fi
