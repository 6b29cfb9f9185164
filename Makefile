# CSP crime and disorder scrutiny — run `make` for this help.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AREA ?= wexley
PERIOD ?= 2022-03
STAMP := $(VENV)/.installed
SYSDEPS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium chromium-driver

.PHONY: help setup sysdeps sample clean-data report test test-fast lab lint format sync bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

sysdeps: ## Install the system libraries weasyprint needs (Pango), poppler-utils and Chromium (web-edition test), where we can
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    (apt-get install -y -q $$missing >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null)); \
	  else echo "Please install these system packages first:$$missing (e.g. sudo apt-get install$$missing)"; fi; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: sysdeps $(STAMP) ## Create .venv and install the package, its tools and system libraries

sample: setup ## Write the synthetic sample into data/raw/ (only if absent)
	$(BIN)/scrutiny sample

report: setup ## Produce every stage's report and PDF for the sample (AREA, PERIOD overridable)
	$(BIN)/scrutiny run --area $(AREA) --period $(PERIOD)

test: setup ## Run the whole test suite (unit, notebook runs, back-tests on ../shared/data)
	$(BIN)/python -m pytest -q

test-fast: setup ## Unit tests only
	$(BIN)/python -m pytest -q tests/unit

lab: setup sample ## Open JupyterLab on the project's kernel; notebooks default to the sample
	$(BIN)/jupyter lab notebooks/

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests

format: setup ## Apply ruff formatting and fixes
	$(BIN)/ruff check --fix src tests notebooks
	$(BIN)/ruff format src tests

sync: setup ## Regenerate the .ipynb twins from the py:percent notebooks (outputs stripped)
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

bench: setup ## Benchmarks: cleaning throughput vs baseline and parse floor, batch scaling
	$(BIN)/python benchmarks/bench.py

clean: ## Remove processed data and reports (raw data are never touched)
	rm -rf data/processed/*/ reports/*/
