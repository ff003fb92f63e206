#!/usr/bin/env bash
# Download into .whl/ the wheels tools/gpu_check.sh installs on a GPU machine that has torch, numpy, matplotlib,
# scikit-learn, tqdm and pytest but no Jupyter packages and no network (CPython 3.12, x86_64 Linux):
# everything nbclient + ipykernel (to run the lectures) and ipywidgets (their widgets) need, nothing else.
#
#     bash tools/gpu_wheels.sh            # then carry .whl/ to the machine with the working tree
#     PYVER=3.11 bash tools/gpu_wheels.sh # for another Python on that machine
#
# Versions are pinned (the ones the course venv was tested with). Compiled wheels (pyzmq, tornado, psutil,
# rpds-py, debugpy) are fetched for the target Python and manylinux; the rest are pure Python ("py3-none-any").
# python-dateutil is pinned to 2.9 (what matplotlib images ship, with six) so matplotlib keeps its own.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER="${PYVER:-3.12}"
DEST="${DEST:-.whl}"
PY="${PYTHON:-python3}"
mkdir -p "$DEST"

COMPILED=(
  pyzmq==27.3.0
  tornado==6.6.1
  psutil==7.2.2
  rpds-py==2026.9.1
  debugpy==1.8.22
)
PURE=(
  nbformat==5.11.1
  nbclient==0.11.0
  jupyter_client==8.10.0
  jupyter_core==5.9.1
  ipykernel==7.4.0
  ipython==9.18.1
  ipython_pygments_lexers==1.1.1
  traitlets==5.16.1
  fastjsonschema==2.22.3
  jsonschema==4.26.0
  jsonschema-specifications==2025.9.1
  referencing==0.37.0
  attrs==26.1.0
  comm==0.2.3
  matplotlib-inline==0.2.2
  nest_asyncio2==1.7.4
  platformdirs==4.14.8
  python-dateutil==2.9.0.post0
  six==1.17.0
  pexpect==4.9.0
  ptyprocess==0.7.0
  prompt_toolkit==3.0.53
  wcwidth==0.9.4
  pygments==2.21.0
  jedi==0.20.1
  parso==0.8.7
  decorator==5.2.1
  stack_data==0.6.3
  asttokens==3.0.2
  executing==2.3.0
  pure_eval==0.2.4
  ipywidgets==8.1.9
  widgetsnbextension==4.0.16
  jupyterlab_widgets==3.0.17
  packaging==26.4
  typing_extensions==4.16.0
)

PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
  "${PLATFORMS[@]}" -d "$DEST" "${COMPILED[@]}"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation py \
  --platform any -d "$DEST" "${PURE[@]}"

echo "wheels in $DEST: $(ls "$DEST"/*.whl | wc -l) files, $(du -sh "$DEST" | cut -f1)"
