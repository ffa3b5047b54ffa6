# Small named tasks; `make lint` and `make test` are exactly what CI enforces (`.ci/run` runs
# scripts/test.sh, which runs the lint checks and then every test). Run `make` for this list.

VENV ?= .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff

.DEFAULT_GOAL := help
.PHONY: help lint format typecheck test unit browser bench bench-browser demo

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

lint: ## what CI checks before the tests: ruff check, ruff format --check, mypy
	$(RUFF) check .
	$(RUFF) format --check .
	$(PY) -m mypy

format: ## rewrite the tree with ruff format, then apply ruff check's safe fixes
	$(RUFF) format .
	$(RUFF) check --fix .

typecheck: ## mypy alone (folders and strictness in pyproject.toml)
	$(PY) -m mypy

test: ## what CI runs: install what is missing, lint, then unit, browser and service tests
	bash scripts/test.sh $(PYTEST_ARGS)

unit: ## the unit tests only (seconds)
	$(PY) -m pytest tests/unit -q $(PYTEST_ARGS)

browser: ## the browser tests only (headless Debian Chromium; minutes)
	$(PY) -m pytest tests/browser -q $(PYTEST_ARGS)

bench: ## the server-side benchmarks, one at a time (results: docs/PERFORMANCE.md)
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_matrix.py --no-browser
	$(PY) benchmarks/bench_instances.py

bench-browser: ## the benchmarks in headless Chromium (minutes each)
	$(PY) benchmarks/bench_browser.py
	$(PY) benchmarks/bench_matrix.py

demo: ## the dashboard on the bundled demo logs (Ctrl-C stops it)
	bash scripts/run-demo.sh
