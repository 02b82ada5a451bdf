# qtm — two commands on a fresh machine:
#   make serve   virtualenv + install + demo data + dashboard on http://127.0.0.1:8050
#   make test    virtualenv + install + lint + type check + the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
PYTEST_ARGS ?=
# the suite split over two processes, a test file each at a time (its servers and browser shared within it):
# 9.7 min instead of 15.5 on the 2-core development machine; XDIST= runs it in one process
XDIST ?= -n 2 --dist loadfile

.PHONY: serve test lint typecheck install system-deps demo clean

$(BIN)/qtm: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "qtm needs Python 3.11 or newer ($(PYTHON) is older); set PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/qtm

system-deps:
	@scripts/system-deps.sh

serve: install system-deps
	$(BIN)/qtm demo
	$(BIN)/qtm serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/qtm demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: install
	@scripts/system-deps.sh --required
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
