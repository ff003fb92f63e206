# Two commands do all the set-up: `make lab` (open the course) and `make test` (run every test).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
LAB_FLAGS ?=

.PHONY: lab test grade-demo setup release lint benchmarks clean

setup: $(STAMP)

# Re-runs only when pyproject.toml changes: repeated `make` calls do not reinstall.
$(STAMP): pyproject.toml tools/setup_env.sh
	@bash tools/setup_env.sh "$(VENV)"
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/course lab $(LAB_FLAGS)

test: $(STAMP)
	$(PY) -m pytest

grade-demo: $(STAMP)
	$(VENV)/bin/course grade hw01 autograder/samples/hw01 --out build/grade-demo --regrade

release: $(STAMP)
	$(VENV)/bin/course release

lint: $(STAMP)
	$(VENV)/bin/ruff check .

benchmarks: $(STAMP)
	$(PY) benchmarks/import_time.py
	$(PY) benchmarks/grading.py

clean:
	rm -rf build .pytest_cache
