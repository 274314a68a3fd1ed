# nbnb-cbs developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out

.DEFAULT_GOAL := help
.PHONY: help install install-lock lock demo test lint bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv (if missing) and install nbnb-cbs with test and lint extras

# The exact versions CI tests and an RA package request asks for, per Python (3.11 and 3.12 resolve
# different numpy/scipy). `make lock` regenerates both after a dependency changes in pyproject.toml.
PYVER := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
LOCK := requirements-lock-py$(PYVER).txt

install-lock: ## Create .venv and install exactly the versions in requirements-lock-pyXY.txt (what CI does)
	@test -f $(LOCK) || { echo "no $(LOCK) for this Python; use Python 3.11 or 3.12"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

lock: ## Regenerate requirements-lock-py311.txt, -py312.txt and their -win_amd64 forms from pyproject.toml (needs internet)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.4'
	for v in 3.11 3.12; do \
	  $(BIN)/uv pip compile pyproject.toml --fork-strategy fewest --extra test --extra lint --universal --generate-hashes \
	    --python-version $$v --custom-compile-command 'make lock' --quiet \
	    -o requirements-lock-py$$(echo $$v | tr -d .).txt || exit 1; \
	  $(BIN)/uv pip compile requirements-lock-py$$(echo $$v | tr -d .).txt --no-deps --generate-hashes \
	    --python-platform x86_64-pc-windows-msvc --python-version $$v --custom-compile-command 'make lock' --quiet \
	    -o requirements-lock-py$$(echo $$v | tr -d .)-win_amd64.txt || exit 1; \
	done

demo: $(STAMP) ## Run the whole chain on built-in synthetic data (output in demo-out/)
	$(BIN)/nbnb-cbs demo --out $(DEMO_OUT)

# Tests run in TEST_WORKERS processes (pytest-xdist), a test file per process at a time so each
# file's module fixtures are built once: on this project's 2-core machines about 6 minutes instead
# of 11. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2

test: $(STAMP) ## Run the test suite (TEST_WORKERS=2 processes; 0 for one)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP) ## Run ruff and mypy (strict) on the package
	$(BIN)/ruff check nbnb_cbs tests benchmarks
	$(BIN)/ruff format --check nbnb_cbs tests benchmarks
	$(BIN)/mypy

bench: $(STAMP) ## Run the benchmarks (installs pandas and duckdb for comparisons)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_OUT)
