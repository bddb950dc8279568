"""The short soak (make soak's little brother): random faults of every kind and a SIGKILLed worker must never
lose, duplicate or mis-record an item. Whether every batch also finishes within the short run depends on how
fast a killed worker's batch is recovered; the full `make soak` checks that too."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def figure(output: str, label: str) -> str:
    return re.search(rf"^\| {re.escape(label)}[^|]* \| ([^|]+) \|", output, re.MULTILINE).group(1).strip()


def test_a_short_soak_with_faults_and_a_killed_worker_loses_and_duplicates_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(DEBUG="True", DATABASE_URL=f"sqlite:///{tmp_path / 'soak.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    done = subprocess.run(
        [sys.executable, "manage.py", "soak", "--batches", "2", "--items", "30", "--fault-rate", "0.3",
         "--kill-every", "4", "--max-seconds", "50", "--seed", "11", "--tolerate-unfinished"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert figure(output, "lost") == "0"
    assert figure(output, "duplicates at the sandbox") == "0"
    assert figure(output, "stored Webflow IDs that differ") == "0"
    assert "(0 in finished batches)" in figure(output, "entries not done or failed")
    assert int(figure(output, "worker SIGKILLs").split(" /")[0]) >= 1
