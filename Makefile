# One venv, one source of truth for dependencies (pyproject.toml). Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo test lint bench soak clean screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Everything on embedded defaults: SQLite, django-q2's ORM broker and the local Webflow sandbox.
## SANDBOX_FAULTS="503:path=/items/bulk,times=2 drop_after_commit:method=POST" makes the sandbox misbehave.
SANDBOX_FAULTS ?=
demo: install
	DEBUG=True $(PY) manage.py run_demo $(foreach fault,$(SANDBOX_FAULTS),--sandbox-fault $(fault))

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

## Push benchmark (about 7-10 min, most of it the 100,000-item row): the scenarios of issue 12 on scratch
## databases, one summary table at the end.
## BENCH_PG_URL=postgres://.../scratch_db adds the 4-worker PostgreSQL row (that database is emptied).
BENCH_ITEMS ?= 3000
BENCH_LARGE_ITEMS ?= 100000
BENCH_RUN := webflow_sandbox/bench_run.sh
bench: install
	$(PY) -m pip install --quiet -e ".[bench]"
	mkdir -p bench-results && rm -f bench-results/summary.md bench-results/bench.txt
	$(BENCH_RUN) "120/min, 1.0 s latency" sqlite --items $(BENCH_ITEMS) --rate 120 --latency 1.0
	$(BENCH_RUN) "no limit, vs bare loop and SDK" sqlite --items $(BENCH_ITEMS) --rate 0 --floor --sdk
	$(BENCH_RUN) "fault-free, 300 items" sqlite --items 300 --rate 0
	$(BENCH_RUN) "15 % drop-after-commit, 300 items" sqlite --items 300 --rate 0 --drop-rate 0.15 --fault-seed 7
	$(BENCH_RUN) "mixed faults, 300 items" sqlite --items 300 --rate 0 --fault-seed 7 \
		--fault drop_after_commit:path=/items/bulk,method=POST,times=0,probability=0.15 \
		--fault 500:path=/items,times=0,probability=0.05 \
		--fault 429:path=/items,times=0,probability=0.05,retry_after=1 \
		--fault 503:path=/items,times=0,probability=0.05,json_body=false
	$(BENCH_RUN) "PostgreSQL, 4 workers, 8 batches, 300/min" pg --items $(BENCH_ITEMS) --rate 300 --batches 8 \
		--workers 4
	$(BENCH_RUN) "100,000 items, no limit" sqlite --items $(BENCH_LARGE_ITEMS) --rate 0 --timeout 2400
	@echo; echo "| scenario | items × locales | limit/min | requests / minimum | wall | wall ÷ (requests ÷ rate) \
	| 429s | duplicates | busiest 60 s | peak RSS | reference runs |"; echo "|---|---|---|---|---|---|---|---|---|---|---|"
	@cat bench-results/summary.md

## Soak (bounded, about 10 minutes): 20 batches x 500 items x 3 locales, ~10 % random faults of every kind, two
## workers, one SIGKILLed and restarted every 30 s; prints lost / duplicated / mismatched figures (scratch SQLite).
## --max-seconds is the whole run's budget (setup included); timeout 600 is the hard stop.
SOAK_DB := $(CURDIR)/bench-results/soak.sqlite3
SOAK_ARGS ?= --batches 20 --items 500 --kill-every 30 --max-seconds 560
## SOAK_EXTRA="--cpu-hogs 1" soaks on a loaded machine (a busy process competing for the CPU).
SOAK_EXTRA ?=
soak: install
	mkdir -p bench-results && rm -f $(SOAK_DB) $(SOAK_DB)-wal $(SOAK_DB)-shm
	DEBUG=True DATABASE_URL=sqlite:///$(SOAK_DB) $(PY) manage.py migrate -v 0
	DEBUG=True DATABASE_URL=sqlite:///$(SOAK_DB) timeout 600 $(PY) manage.py soak $(SOAK_ARGS) $(SOAK_EXTRA) \
		--log-dir bench-results | tee bench-results/soak.txt
