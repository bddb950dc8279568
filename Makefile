# One venv, one source of truth for dependencies (pyproject.toml). Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo test lint bench clean screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Everything on embedded defaults: SQLite, django-q2's ORM broker and the local Webflow sandbox.
demo: install
	DEBUG=True $(PY) manage.py run_demo

## The test suite (DATABASE_URL selects the database; SQLite by default).
test: install
	DEBUG=True $(PY) -m pytest $(PYTEST_ARGS)

## Refreshes the README's tour (docs/screenshots/*.png) from the layout and accessibility browser test.
screenshots: install
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots DEBUG=True $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_layout.py

lint: install
	$(PY) -m ruff check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .demo db.sqlite3 db.sqlite3-wal db.sqlite3-shm

## Push benchmark: 10,000 items x 3 locales to the sandbox through a real worker (scratch SQLite database).
BENCH_DB := $(CURDIR)/bench-results/bench.sqlite3
BENCH_ARGS ?= --items 10000 --rate 120
bench: install
	mkdir -p bench-results && rm -f $(BENCH_DB) $(BENCH_DB)-wal $(BENCH_DB)-shm
	DEBUG=True DATABASE_URL=sqlite:///$(BENCH_DB) $(PY) manage.py migrate -v 0
	DEBUG=True DATABASE_URL=sqlite:///$(BENCH_DB) $(PY) manage.py bench_push $(BENCH_ARGS) | tee bench-results/bench.txt
