# Every target sets up what it uses: a fresh machine needs only Python 3.11+ (and root or sudo
# for the system packages the browser tests need).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= custseg-output

.PHONY: demo test bench lint system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.stamp-base

demo: $(VENV)/.stamp-base
	$(BIN)/custseg segment --out $(OUT)
	@echo "Open the report: $(abspath $(OUT))/report.html"

system-deps:
	./scripts/install-system-deps.sh

test: $(VENV)/.stamp-dev system-deps
	$(BIN)/python -m pytest

bench: $(VENV)/.stamp-dev
	$(BIN)/python bench/run.py

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
