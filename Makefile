# Two commands are all a person needs: `make run` and `make test`.
# Each creates .venv (or refreshes it when pyproject.toml changed) before it does its work.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: run test test-fast lint format bench bundle clean sysdeps self-test

$(STAMP): pyproject.toml
	@bash scripts/sysdeps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

sysdeps:
	@bash scripts/sysdeps.sh

run: $(STAMP)
	$(PY) -m desktop_app $(ARGS)

# sysdeps again here (a quick check when nothing is missing): a .venv made before the real-display
# tier existed would otherwise never get Xvfb, and that tier would skip.
test: $(STAMP)
	@bash scripts/sysdeps.sh
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	@bash scripts/sysdeps.sh
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

self-test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m desktop_app self-test

lint: $(STAMP)
	$(PY) -m ruff check desktop_app tests benchmarks packaging
	$(PY) -m ruff format --check desktop_app tests benchmarks packaging

format: $(STAMP)
	$(PY) -m ruff format desktop_app tests benchmarks packaging
	$(PY) -m ruff check --fix desktop_app tests benchmarks packaging

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

bundle: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bundle]"
	$(PY) packaging/build_bundle.py $(if $(WEIGHTS),--weights $(WEIGHTS),)

clean:
	rm -rf build dist $(VENV) .pytest_cache .ruff_cache
