# The commands a newcomer runs: `make demo`, `make test`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SHOP ?= demo.cible.local

.PHONY: demo test lint bench-ingest translations screenshots clean

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
	@echo "Demo storefront: http://127.0.0.1:5000/demo/store"
	$(BIN)/cible run --host 127.0.0.1 --port 5000

# The suite runs on every core (pytest-xdist), a test file per worker at a time, so that a
# file's module-scoped emulators are built once. PYTEST_ARGS="-n 0" runs it serially.
PYTEST_ARGS ?= -n auto --dist loadfile

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check connectors sync plugin_app tests bench
	$(BIN)/ruff format --check connectors sync plugin_app tests bench

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

# Admin texts: extract, merge into the .po files (translate the new entries there), compile
# the .mo files (committed; tests/admin/test_i18n.py checks they match the .po files).
TRANSLATIONS := plugin_app/translations
translations: $(STAMP)
	$(BIN)/pybabel extract -F $(TRANSLATIONS)/babel.cfg -k _l -k lazy_gettext -k N_ --no-location --width 100 \
		--sort-output --project Cible --copyright-holder "Cible contributors" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --width 100
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

# Screenshots of the admin pages into docs/screenshots/ (Playwright + Debian's chromium).
screenshots: $(STAMP)
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
