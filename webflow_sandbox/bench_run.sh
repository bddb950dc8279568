#!/usr/bin/env bash
# One benchmark scenario on a fresh scratch database: bench_run.sh LABEL sqlite|pg BENCH_PUSH_ARGS...
# (make bench calls it once per scenario; each appends one row to bench-results/summary.md).
set -euo pipefail
label=$1 kind=$2
shift 2
py=.venv/bin/python
if [[ $kind == pg ]]; then
    if [[ -z ${BENCH_PG_URL:-} ]]; then
        echo "| $label | skipped: set BENCH_PG_URL to a scratch PostgreSQL database (it is emptied) |||||||||" \
            >> bench-results/summary.md
        exit 0
    fi
    url=$BENCH_PG_URL
    psql -q "$url" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
else
    url=sqlite:///$PWD/bench-results/bench.sqlite3
    rm -f bench-results/bench.sqlite3 bench-results/bench.sqlite3-wal bench-results/bench.sqlite3-shm
fi
echo "== $label: bench_push $*"
DEBUG=True DATABASE_URL=$url $py manage.py migrate -v 0
DEBUG=True DATABASE_URL=$url $py manage.py bench_push --label "$label" --summary bench-results/summary.md "$@" \
    | tee -a bench-results/bench.txt
