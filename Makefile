# lcgraph — one command sets up and runs, one sets up and tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= var/lcgraph
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast bench lint format init clean venv system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed once per environment; the stamp changes when pyproject.toml does.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

system-deps:
	@bash .ci/system-deps.sh

init: venv
	$(BIN)/lcgraph init --data $(DATA) --examples

run: venv system-deps init
	$(BIN)/lcgraph stats --data $(DATA)
	$(BIN)/lcgraph serve --data $(DATA) --host $(HOST) --port $(PORT)

test: venv system-deps
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m 'not slow and not browser'

bench: venv
	$(BIN)/python -m bench $(BENCH)

lint: venv
	$(BIN)/ruff check lcgraph tests bench
	$(BIN)/ruff format --check lcgraph tests bench

format: venv
	$(BIN)/ruff format lcgraph tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
