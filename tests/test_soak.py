"""The short soak (make soak's little brother): random faults of every kind and a worker SIGKILLed every few
seconds must never lose, duplicate or mis-record an item, and every batch must still finish: a killed worker's
batch is resumed as soon as a worker starts again (its process is gone), not after the stale time."""
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


@pytest.mark.parametrize("duplicate_slugs", ["refuse", "suffix"])  # suffix: Webflow's older behaviour, copies
def test_a_short_soak_with_faults_and_killed_workers_finishes_every_batch_and_loses_nothing(tmp_path,
                                                                                          duplicate_slugs):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(DEBUG="True", DATABASE_URL=f"sqlite:///{tmp_path / 'soak.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    done = subprocess.run(
        [sys.executable, "manage.py", "soak", "--batches", "2", "--items", "30", "--fault-rate", "0.3",
         "--kill-every", "8", "--max-seconds", "90", "--seed", "11", "--duplicate-slugs", duplicate_slugs],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert figure(output, "batches finished").startswith("2 / 2 "), output
    assert figure(output, "entries in no definite state").startswith("0 of 60 "), output
    assert figure(output, "lost") == "0"
    assert figure(output, "duplicates at the sandbox") == "0"
    assert figure(output, "stored Webflow IDs that differ") == "0"
    assert "(0 in finished batches)" in figure(output, "entries in no definite state")
    assert int(figure(output, "worker SIGKILLs").split(" /")[0]) >= 1
