#!/usr/bin/env bash
# Create the virtual environment (if missing) and install the course into it.
# Torch: tools/install_torch.sh (a CPU build when there is no NVIDIA GPU). The course is installed with the
# lab, instructor and dev extras (the student package alone is `pip install .`: numpy, torch, matplotlib, ipywidgets).
# In a git checkout, notebooks get a clean filter (tools/nb_filter.py): JupyterLab's kernel metadata and outputs
# never show up in `git status`.
#
#   bash tools/setup_env.sh [VENV]                  # the course environment (what `make lab` needs)
#   bash tools/setup_env.sh [VENV] --browser-only   # Chromium for the real-browser tests (`make test`)
set -euo pipefail
VENV="${1:-.venv}"
PY="$VENV/bin/python"

# Chromium for tests/test_browser.py and tests/test_site.py. Playwright (a `dev` extra) drives the
# system browser: no browser download. Debian/Ubuntu: apt-get as root or with password-less sudo.
# Elsewhere (macOS, no root) it prints why and the browser tests skip with that reason.
find_chromium() {
  local c
  for c in "${COURSE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
install_browser() {
  if c="$(find_chromium)"; then echo "browser for the tests: $c"; return 0; fi
  if [ "$(uname -s)" != "Linux" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no Chromium and no apt-get here: the browser tests will skip (COURSE_CHROMIUM=/path/to/chromium runs them)"
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" != "0" ]; then
    if sudo -n true >/dev/null 2>&1; then sudo="sudo -n"; else
      echo "note: installing chromium needs root or password-less sudo: the browser tests will skip"
      return 0
    fi
  fi
  echo "installing Debian's chromium (and fonts) for the browser tests"
  local pkgs="chromium fonts-liberation fonts-dejavu-core"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 || true
         $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >/dev/null; } \
    || echo "warning: apt-get could not install chromium"
  find_chromium >/dev/null || { echo "set-up failed: chromium did not install"; return 1; }
}
if [ "${2:-}" = "--browser-only" ]; then
  install_browser
  exit $?
fi

if [ ! -x "$PY" ]; then
  echo "creating $VENV"
  python3 -m venv "$VENV"
fi
"$PY" -m pip install -q --upgrade "pip>=23" >/dev/null 2>&1 || true
bash "$(dirname "$0")/install_torch.sh" "$PY"
echo "installing the course (course_lib, autograder), JupyterLab, the instructor tools and test tools"
"$PY" -m pip install -q -e ".[lab,instructor,dev]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
"$PY" -c "import course_lib, autograder, torch, nbgrader, otter" \
  || { echo "set-up failed: the course packages do not import"; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git config filter.course-notebook.clean "\"$(cd "$(dirname "$PY")" && pwd)/python\" tools/nb_filter.py"
  git config filter.course-notebook.required false
fi
echo "environment ready: $VENV"
