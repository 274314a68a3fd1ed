# nbnb-cbs developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out

.DEFAULT_GOAL := help
.PHONY: help install demo test lint bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv (if missing) and install nbnb-cbs with test and lint extras

demo: $(STAMP) ## Run the whole chain on built-in synthetic data (output in demo-out/)
	$(BIN)/nbnb-cbs demo --out $(DEMO_OUT)

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## Run ruff and mypy (strict) on the package
	$(BIN)/ruff check nbnb_cbs tests benchmarks
	$(BIN)/ruff format --check nbnb_cbs tests benchmarks
	$(BIN)/mypy

bench: $(STAMP) ## Run the benchmarks (installs pandas and duckdb for comparisons)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_OUT)
