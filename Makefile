# Two commands do all the set-up: `make lab` (open the course) and `make test` (run every test); `make check` is
# the fast tier of the tests, for every change.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
BROWSER_STAMP := $(VENV)/.browser-ready
COLAB_VENV ?= .venv-colab
SITE_OUT ?= build/site
LAB_FLAGS ?=

.PHONY: lab test check integration full grade-demo setup release lint benchmarks clean site colab-env browser

setup: $(STAMP)

# Re-runs only when pyproject.toml changes: repeated `make` calls do not reinstall.
$(STAMP): pyproject.toml tools/setup_env.sh
	@bash tools/setup_env.sh "$(VENV)"
	@touch $(STAMP)

# Debian's chromium for the real-browser tests (a no-op when it is there; the tests skip, saying why,
# only where it cannot be installed). Not needed by `make lab`.
browser: $(BROWSER_STAMP)
$(BROWSER_STAMP): tools/setup_env.sh | $(STAMP)
	@bash tools/setup_env.sh "$(VENV)" --browser-only
	@touch $(BROWSER_STAMP)

# `make lab QUICK=1`: quick mode (small data, few epochs) for every lecture opened from it.
# Students' JupyterLab: nbgrader's instructor menus are hidden (`LAB_FLAGS=--instructor` keeps them).
QUICK ?=
lab: $(STAMP)
	$(VENV)/bin/course lab $(if $(filter 1 yes true,$(QUICK)),--quick) $(LAB_FLAGS)

# Tests, in tiers (tests/conftest.py says which test is in which):
#   make check        the fast tier: every change (course_lib, homework solutions/blanks/mutants, quiz, release,
#                     leaks, architecture, lint, the sandbox attacks); under 5 minutes on two cores
#   make integration  the rest of pytest: real nbgrader/otter/Gradescope, the browser, the Colab versions, every
#                     BLAS kernel, the student install, every notebook executed in quick mode
#   make test         make check, make integration, then every lecture in full mode (`make full`): what CI runs
# Each tier runs in two passes: tests marked `serial` (they assert on wall-clock time) alone, the rest on JOBS
# pytest-xdist workers, a test file per worker. A pass that selects no test fails (pytest exits 5).
# COURSE_TEST_RUN names one test run: each notebook is executed once in it, whichever pass asks first.
JOBS ?= 2
PYTEST := $(PY) -m pytest
XDIST := -n $(JOBS) --dist loadfile
ifndef COURSE_TEST_RUN
COURSE_TEST_RUN := $(shell date +%s%N)
endif
export COURSE_TEST_RUN

check: $(STAMP)
	$(PYTEST) --tier fast -m "not serial" $(XDIST)
	$(PYTEST) --tier fast -m serial

integration: $(STAMP) $(BROWSER_STAMP)
	$(PYTEST) --tier integration -m serial
	$(PYTEST) --tier integration -m "not serial" $(XDIST)

test: $(STAMP) $(BROWSER_STAMP)
	$(MAKE) check
	$(MAKE) integration
	$(MAKE) full

# Full mode, as students run the course: every lecture at full scale, every claim it makes checked.
# Report: build/full-mode.md (+ .json); executed notebooks in build/full-mode/ (what `make site` renders).
# FULL_ONLY=01,02 runs some lectures only. Fails when a claim fails or a notebook raises.
FULL_ONLY ?=
full: $(STAMP)
	$(PY) tools/full_mode.py --out build/full-mode.md $(if $(FULL_ONLY),--only $(FULL_ONLY))

# A second venv pinned to what Colab ships (ipywidgets 7.7.1, its numpy/matplotlib); tests/test_colab_env.py
# builds it too (cached by a stamp inside it).
colab-env: $(STAMP)
	@bash tools/colab_env.sh "$(COLAB_VENV)"

# Static course site: lectures as executed by `make full` (lectures without a current full-mode run are run in full
# mode first; a failed claim stops it), rendered with nbconvert, plus the homework `course release` generates
# (refused while assignments/ is stale or leaks an answer) and the instructions.
site: $(STAMP)
	$(PY) tools/site.py --out $(SITE_OUT)

grade-demo: $(STAMP)
	$(VENV)/bin/course grade hw01 autograder/samples/hw01 --out build/grade-demo --regrade

release: $(STAMP)
	$(VENV)/bin/course release

lint: $(STAMP)
	$(VENV)/bin/ruff check .

benchmarks: $(STAMP)
	$(PY) benchmarks/import_time.py
	$(PY) benchmarks/grading.py --external 0
	$(PY) benchmarks/interop_timing.py --realistic --students 6 --paths ours,nbgrader,otter
	$(PY) benchmarks/compute.py --quick
	$(PY) benchmarks/train_throughput.py

clean:
	rm -rf build .pytest_cache
