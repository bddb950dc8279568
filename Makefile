# One venv, one source of truth for dependencies (pyproject.toml). Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo test lint bench clean

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

lint: install
	$(PY) -m ruff check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .demo db.sqlite3 db.sqlite3-wal db.sqlite3-shm
