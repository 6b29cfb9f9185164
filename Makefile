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

.PHONY: help setup sysdeps sample clean-data report test test-fast lab lint lock format sync ground-truth bench clean

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

# The venv is built from the lock file (exact versions, sha256 hashes): a fresh machine next year
# gets what the tests passed with. The package itself is installed editable on top, without deps.
$(STAMP): pyproject.toml requirements.lock
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@# bytecode for the package too (pip compiles only site-packages): where PYTHONDONTWRITEBYTECODE
	@# is set, as on CI, every runner, zygote and kernel would otherwise compile it from source
	@$(BIN)/python -m compileall -q src >/dev/null
	@touch $(STAMP)

setup: sysdeps $(STAMP) ## Create .venv and install the package, its tools and system libraries

sample: setup ## Write the synthetic sample into data/raw/ (only if absent)
	$(BIN)/scrutiny sample

report: setup ## Produce every stage's report and PDF for the sample (AREA, PERIOD overridable)
	$(BIN)/scrutiny run --area $(AREA) --period $(PERIOD)

test: setup ## Run the whole test suite (unit, notebook runs, back-tests on ../shared/data)
	$(BIN)/python -m pytest -q -n 2

test-fast: setup ## Unit tests only
	$(BIN)/python -m pytest -q tests/unit

lab: setup sample ## Open JupyterLab on the project's kernel; notebooks default to the sample
	$(BIN)/jupyter lab notebooks/

lint: setup ## ruff lint and format check, and the import-layer contracts (import-linter)
	$(BIN)/ruff check src tests notebooks benchmarks
	$(BIN)/ruff format --check src tests notebooks benchmarks
	$(BIN)/lint-imports

lock: setup ## Re-resolve requirements.lock from pyproject.toml (review the diff; then make setup)
	$(BIN)/uv pip compile pyproject.toml requirements-build.txt --extra dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements.lock -q

format: setup ## Apply ruff formatting and fixes
	$(BIN)/ruff check --fix src tests notebooks benchmarks
	$(BIN)/ruff format src tests notebooks benchmarks

sync: setup ## Regenerate the .ipynb twins from the py:percent notebooks (outputs stripped)
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

ground-truth: setup ## Re-freeze the sample's published tables under tests/ground_truth (review the diff)
	$(BIN)/python tests/ground_truth/refresh.py

bench: setup ## Benchmarks: cleaning vs baseline and parse floor, batch scaling, stages by size, a region's batch, the sample's pack
	$(BIN)/python benchmarks/bench.py

clean: ## Remove processed data and reports (raw data are never touched)
	rm -rf data/processed/*/ reports/*/
