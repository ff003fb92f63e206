# Two commands do all the set-up: `make lab` (open the course) and `make test` (run every test).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
BROWSER_STAMP := $(VENV)/.browser-ready
COLAB_VENV ?= .venv-colab
SITE_OUT ?= build/site
LAB_FLAGS ?=

.PHONY: lab test full grade-demo setup release lint benchmarks clean site colab-env browser

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

# The pytest suite (quick mode), then every lecture in full mode with its claims checked (`make full`).
test: $(STAMP) $(BROWSER_STAMP)
	$(PY) -m pytest
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
