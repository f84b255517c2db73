# lcgraph — one command sets up and runs, one sets up and tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= var/lcgraph
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast bench lint format init clean venv system-deps assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed once per environment; the stamp changes when pyproject.toml does.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# The web UI's browser packages (CodeMirror 6, esbuild, Swagger UI, ReDoc) come
# from npm at the versions package-lock.json pins; esbuild bundles the query
# page's script. Nothing built is committed.
ASSETS := lcgraph/web/static/build/.built
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): node_modules/.installed $(wildcard lcgraph/web/assets/*.mjs)
	node lcgraph/web/assets/build.mjs
	touch $@

assets: system-deps $(ASSETS)

system-deps:
	@bash .ci/system-deps.sh

init: venv
	$(BIN)/lcgraph init --data $(DATA) --examples

run: venv assets init
	$(BIN)/lcgraph stats --data $(DATA)
	@echo "lcgraph UI: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/docs)"
	$(BIN)/lcgraph serve --data $(DATA) --host $(HOST) --port $(PORT)

test: venv assets
	$(BIN)/python -m pytest -q

test-fast: venv assets
	$(BIN)/python -m pytest -q -m 'not slow and not browser'

bench: venv
	$(BIN)/python -m bench $(BENCH)

# ruff; the layers of DESIGN.md (import-linter, [tool.importlinter] in pyproject.toml); mypy.
lint: venv
	$(BIN)/ruff check lcgraph tests bench
	$(BIN)/ruff format --check lcgraph tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format lcgraph tests bench

clean:
	rm -rf $(VENV) var .pytest_cache node_modules lcgraph/web/static/build
