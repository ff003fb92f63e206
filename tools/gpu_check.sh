#!/usr/bin/env bash
# One command for a GPU machine: what the course claims about GPUs, measured, in one markdown report.
#
#     bash tools/gpu_check.sh                       # report in ${OUT:-build/gpu-check}/gpu-check.md, logs beside
#     OUT=/some/dir GPU_CHECK_BUDGET=300 bash tools/gpu_check.sh
#     GPU_CHECK_DEVICE=cpu GPU_CHECK_COMPUTE_ARGS="--quick" GPU_CHECK_TRAIN_ARGS="--epochs 2 --examples 2000" \
#         PYTHON=.venv/bin/python GPU_CHECK_WHEELS=none bash tools/gpu_check.sh   # smoke test on a CPU machine
#
# Steps (each timed, each with its own timeout; a failure is recorded as FAILED and the next step runs):
#   nvidia-smi, `course doctor`, benchmarks/compute.py (bf16/tf32/fp32 at 4096 and 8192 on cuda),
#   benchmarks/train_throughput.py (course path vs plain loop, LeNet, batch 256), the GPU-relevant tests,
#   grading the hw07 and hw08 solution notebooks through the CLI, and every lecture in full mode
#   (tools/full_mode.py) with the time that is left. The whole run stays under GPU_CHECK_BUDGET seconds
#   (default 345, i.e. under 6 minutes); a step that would start with less than 15 s left is SKIPPED.
#
# The GPU image has torch, numpy, matplotlib, scikit-learn, tqdm and pytest but no Jupyter packages and no
# network: wheels carried in .whl/ (made by tools/gpu_wheels.sh) are installed into /tmp/site first.
# The course package is not installed there either: the repository root goes on PYTHONPATH.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO="$(pwd)"
OUT_DIR="${OUT:-build/gpu-check}"
mkdir -p "$OUT_DIR/logs" || exit 2
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
LOGS="$OUT_DIR/logs"
REPORT="$OUT_DIR/gpu-check.md"
ROWS="$LOGS/.rows.md"
BODY="$LOGS/.body.md"
: >"$ROWS"
: >"$BODY"
BUDGET="${GPU_CHECK_BUDGET:-345}"
START=$(date +%s)
PY="${PYTHON:-python3}"
SITE="${GPU_CHECK_SITE:-/tmp/site}"
WHEELS_DIR="${GPU_CHECK_WHEELS:-.whl}"

elapsed() { echo $(( $(date +%s) - START )); }

write_report() {
  {
    echo "# GPU check"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), host $(hostname 2>/dev/null || echo '?'), repository \`$REPO\`"
    [ -n "${HEADER:-}" ] && printf '%s\n' "$HEADER"
    echo
    echo "Total so far: $(elapsed) s of a ${BUDGET} s budget. Logs: \`$LOGS\`."
    echo
    echo "| step | result | seconds | command |"
    echo "|---|---|---:|---|"
    cat "$ROWS"
    echo
    cat "$BODY"
  } >"$REPORT"
}

# step NAME LIMIT_S KIND CMD... — KIND: md (stdout is markdown, pasted as is) or text (pasted in a code block)
step() {
  local name="$1" limit="$2" kind="$3"
  shift 3
  local left=$(( BUDGET - $(elapsed) - 5 ))
  local cmd="$*"
  if (( left < 15 )); then
    echo "| $name | SKIPPED (time budget spent) | 0 | \`${cmd//|/\\|}\` |" >>"$ROWS"
    write_report
    return 0
  fi
  (( limit > left )) && limit=$left
  echo "[gpu-check] $name (limit ${limit} s): $cmd" >&2
  local t0 t1 rc status
  t0=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  rc=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  if (( rc == 0 )); then
    status="ok"
  elif (( rc == 124 || rc == 137 )); then
    status="FAILED (timeout after ${limit} s)"
  else
    status="FAILED (exit $rc)"
  fi
  echo "[gpu-check] $name: $status in ${secs} s" >&2
  echo "| $name | $status | $secs | \`${cmd//|/\\|}\` |" >>"$ROWS"
  {
    echo "## $name: $status, ${secs} s"
    echo
    if [ "$kind" = md ]; then
      sed "s/^#/##/" "$LOGS/$name.out"  # its headings one level below the step's
    else
      echo '```'
      tail -n 60 "$LOGS/$name.out"
      echo '```'
    fi
    if (( rc != 0 )); then
      echo
      echo "stderr (last 30 lines):"
      echo
      echo '```'
      tail -n 30 "$LOGS/$name.err" | tr '\r' '\n' | tail -n 30
      echo '```'
    fi
    echo
  } >>"$BODY"
  write_report
  return 0
}

# ------------------------------------------------------------------------------------------------ set-up
if ls "$WHEELS_DIR"/*.whl >/dev/null 2>&1; then
  t0=$(date +%s)
  mkdir -p "$SITE"
  if "$PY" -m pip --version >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$WHEELS_DIR"/*.whl \
      >"$LOGS/wheels.log" 2>&1 && WHEELS="installed $(ls "$WHEELS_DIR"/*.whl | wc -l) wheels from $WHEELS_DIR into $SITE" \
      || WHEELS="FAILED: pip install of $WHEELS_DIR (see logs/wheels.log)"
  else  # no pip: a wheel is a zip of the site-packages layout
    "$PY" - "$SITE" "$WHEELS_DIR"/*.whl >"$LOGS/wheels.log" 2>&1 <<'EOF' && WHEELS="unpacked $WHEELS_DIR into $SITE (no pip)" \
      || WHEELS="FAILED: unpacking $WHEELS_DIR (see logs/wheels.log)"
import sys
import zipfile

for wheel in sys.argv[2:]:
    zipfile.ZipFile(wheel).extractall(sys.argv[1])
EOF
  fi
  WHEELS="$WHEELS in $(( $(date +%s) - t0 )) s"
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
  export JUPYTER_PATH="$SITE/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
else
  WHEELS="no wheels in $WHEELS_DIR: using the Jupyter packages already installed (if any); make it with tools/gpu_wheels.sh"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export COURSE_OFFLINE="${COURSE_OFFLINE:-1}"  # no network on the GPU machine: Fashion-MNIST falls back at once
echo "[gpu-check] $WHEELS" >&2

HEADER="$("$PY" - <<'EOF' 2>&1
import platform
try:
    import torch
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    print(f"Python {platform.python_version()}, torch {torch.__version__} (CUDA {torch.version.cuda}), GPU: {gpu}")
except Exception as exc:  # noqa: BLE001
    print(f"Python {platform.python_version()}, torch not importable: {exc}")
for mod in ("nbclient", "ipykernel", "ipywidgets"):
    try:
        m = __import__(mod)
        print(f"{mod} {m.__version__}", end="; ")
    except Exception as exc:  # noqa: BLE001
        print(f"{mod} MISSING ({type(exc).__name__})", end="; ")
print()
EOF
)
Wheels: $WHEELS"
write_report

# ------------------------------------------------------------------------------------------------ steps
if command -v nvidia-smi >/dev/null 2>&1; then
  step nvidia-smi 20 text nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu --format=csv
fi
step doctor 60 text "$PY" -m autograder.cli doctor
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
# shellcheck disable=SC2206  # word splitting of the override is intended
COMPUTE_ARGS=(${GPU_CHECK_COMPUTE_ARGS:---dtypes bf16 tf32 fp32 --sizes 4096 8192})
# shellcheck disable=SC2206
TRAIN_ARGS=(${GPU_CHECK_TRAIN_ARGS:---batch-size 256})
step compute 90 md "$PY" benchmarks/compute.py --device "$DEVICE" "${COMPUTE_ARGS[@]}"
step train-throughput 90 md "$PY" benchmarks/train_throughput.py --device "$DEVICE" "${TRAIN_ARGS[@]}"
step tests 90 text "$PY" -m pytest -q -p no:cacheprovider tests/test_train_path.py tests/test_compute.py

grade() {  # grade HW SOLUTION: the reference solution, as one student's notebook, through `course grade`
  local hw="$1" sol="$2" subs="$OUT_DIR/submissions/$1" out="$OUT_DIR/grade-$1"
  rm -rf "$subs" "$out"
  mkdir -p "$subs"
  cp "$sol" "$subs/student.ipynb" || return 2
  "$PY" -m autograder.cli grade "$hw" "$subs" --out "$out" --workers 2 --allow-weak-isolation || return $?
  "$PY" - "$out/grades.csv" <<'EOF'
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
for r in rows:
    print(f"{r['student']}: {r['total']} / {r['max_total']}")
sys.exit(0 if rows and all(float(r["total"]) == float(r["max_total"]) for r in rows) else 1)
EOF
}
export -f grade
export PY OUT_DIR
step grade-hw07 90 text bash -c 'grade hw07 solutions/hw07_cnn.ipynb'
step grade-hw08 90 text bash -c 'grade hw08 solutions/hw08_rnn_lstm.ipynb'

if [ -f tools/full_mode.py ]; then
  step full-mode 300 text "$PY" tools/full_mode.py --out "$OUT_DIR/full-mode.md"
  if [ -f "$OUT_DIR/full-mode.md" ]; then
    { echo "### full-mode.md"; echo; cat "$OUT_DIR/full-mode.md"; echo; } >>"$BODY"
  fi
else
  echo "| full-mode | FAILED (tools/full_mode.py is not in this checkout) | 0 | \`$PY tools/full_mode.py\` |" >>"$ROWS"
fi

write_report
echo "[gpu-check] done in $(elapsed) s: $REPORT" >&2
grep -q "FAILED\|SKIPPED" "$ROWS" && exit 1
exit 0
