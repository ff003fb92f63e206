#!/usr/bin/env bash
# A Colab-like virtual environment for tests/test_colab_env.py (and `make colab-env`):
#
#   bash tools/colab_env.sh [VENV]        # default .venv-colab; a no-op when it is up to date
#
# Pinned to what Colab ships, so the lectures and widgets are tested against it:
#   ipywidgets 7.7.1  Colab's version since 2022 (JupyterLab 4 needs 8.x; our widgets must run on both)
#   numpy 2.0.2       Colab's numpy since its move to NumPy 2 (2025; its only numpy, per colabtools #5390)
#   matplotlib 3.10.0 Colab's matplotlib since early 2025
#   torch 2.13.0      the CPU wheel on this machine's disk (and on CI's): `pip install torch==2.13.0`
#                     (Colab's own torch is a CUDA build of a recent release; override with COLAB_TORCH=...)
# The course is installed with --no-deps, as the notebooks' setup cell does on Colab; then what the lectures need
# that Colab also has (ipykernel, nbformat, nbclient, scikit-learn, tqdm) plus pytest, all under
# a constraints file that holds the pins: nothing may upgrade them. The instructor tools (jupyterlab, nbgrader,
# otter-grader) are left out: Colab does not have them and no lecture may need them.
# Python is this machine's python3 (Colab runs 3.12; the pins have wheels for 3.10-3.12).
set -euo pipefail
VENV="${1:-.venv-colab}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${COURSE_PYTHON:-python3}"
PINS=(ipywidgets==7.7.1 numpy==2.0.2 matplotlib==3.10.0)
TORCH="${COLAB_TORCH:-torch==2.13.0}"
NOT_ON_COLAB="jupyterlab nbgrader otter-grader"
STAMP="$VENV/.colab-ready"

# The stamp holds a hash of this script, the pins and pyproject.toml: a change rebuilds the environment.
KEY="$(cat "${BASH_SOURCE[0]}" "$ROOT/pyproject.toml" <(echo "${PINS[*]} $TORCH $PYTHON") | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] && [ -x "$VENV/bin/python" ]; then
  echo "colab-like environment up to date: $VENV"
  exit 0
fi

echo "building the colab-like environment in $VENV (${PINS[*]}, $TORCH)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
LOG="$VENV/colab-setup.log"
PIP=("$PY" -m pip install -q --disable-pip-version-check)
pipq() {  # pip install, its chatter in $LOG; on failure show the end of it
  "${PIP[@]}" "$@" >>"$LOG" 2>&1 || { tail -40 "$LOG"; echo "set-up failed: pip install $*"; exit 1; }
}
"${PIP[@]}" --upgrade "pip>=23" >>"$LOG" 2>&1 || true

CONSTRAINTS="$VENV/colab-constraints.txt"
printf '%s\n' "${PINS[@]}" "$TORCH" > "$CONSTRAINTS"
pipq -c "$CONSTRAINTS" "$TORCH" "${PINS[@]}"

# The course itself, exactly as the setup cell installs it on Colab: no dependencies.
pipq --no-deps -e "$ROOT"

# What the lectures need besides the pins and torch, as Colab has it: the `lab` extra minus JupyterLab (ipykernel,
# scikit-learn, tqdm), nbformat and nbclient to run notebooks here, and pytest; never the instructor tools.
mapfile -t REST < <("$PY" - "$ROOT/pyproject.toml" "${PINS[*]} torch $NOT_ON_COLAB" <<'EOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
extras = project["optional-dependencies"]
deps = project["dependencies"] + extras["lab"] + [d for d in extras["instructor"] if d.startswith(("nbformat", "nbclient"))]
skip = {re.split(r"[=<>!~\[; ]", s)[0].lower() for s in sys.argv[2].split()}
for d in deps:
    if re.split(r"[=<>!~\[; ]", d)[0].lower() not in skip:
        print(d)
EOF
)
pipq -c "$CONSTRAINTS" "${REST[@]}" "pytest>=7.4" "pytest-timeout>=2.1"

"$PY" - "${PINS[@]}" "$TORCH" <<'EOF'
import importlib, sys
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    got = importlib.import_module(name).__version__.split("+")[0]
    assert got == want, f"{name} {got} installed, {want} pinned"
import course_lib  # noqa: F401
EOF
echo "$KEY" > "$STAMP"
echo "colab-like environment ready: $VENV"
