# The commands a newcomer runs: `make demo`, `make test`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SHOP ?= demo.cible.local

.PHONY: demo test lint bench-ingest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cible db upgrade
	$(BIN)/cible demo-data --shop $(DEMO_SHOP) --customers 5000 --if-empty
	@echo "Cible demo: http://127.0.0.1:5000/admin/?shop=$(DEMO_SHOP)"
	$(BIN)/cible run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check connectors sync plugin_app tests bench
	$(BIN)/ruff format --check connectors sync plugin_app tests bench

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
