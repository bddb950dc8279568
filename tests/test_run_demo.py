"""`make demo` end to end: run_demo starts web, worker and sandbox, prints the logins, stops cleanly, twice."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_demo_once(env, web_port, sandbox_port, state_dir, *extra) -> str:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_demo", "--port", str(web_port), "--sandbox-port", str(sandbox_port),
         "--state-dir", str(state_dir), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(output)
        assert "The staging app is running." in text, text
        login_page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/admin/login/", timeout=10).read().decode()
        assert "Webflow content staging" in login_page
        request = urllib.request.Request(
            f"http://127.0.0.1:{sandbox_port}/v2/sites/64a1f0c2e4b0d1a2b3c4d5e6",
            headers={"Authorization": "Bearer demo-sandbox-token"},
        )
        assert "fr-FR" in urllib.request.urlopen(request, timeout=10).read().decode()
        page = urllib.request.urlopen(f"http://127.0.0.1:{sandbox_port}/", timeout=10).read().decode()
        assert "<h1>Webflow sandbox</h1>" in page and "Acme Journal (demo)" in page
    finally:
        interrupted = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: run_demo's own group only
        rest, _ = process.communicate(timeout=60)
    stopped_after = time.monotonic() - interrupted
    assert process.returncode == 0, text + rest
    assert stopped_after < 10, f"Ctrl-C took {stopped_after:.1f} s"  # 5 s by design; slack for a busy CI box
    assert "stopping" in (Path(state_dir) / "worker.log").read_text()  # told to stop, not killed outright
    return text + rest


def test_run_demo_starts_everything_prints_logins_and_runs_again(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="True", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    first = _run_demo_once(env, _free_port(), _free_port(), tmp_path / "demo",
                           "--sandbox-fault", "503:path=/items/bulk,times=1")
    assert "publisher-demo" in first and "Demo stopped." in first
    assert "with faults: 503:path=/items/bulk,times=1" in first
    assert "review notification e-mails not shown" in first and "Subject:" not in first
    second = _run_demo_once(env, _free_port(), _free_port(), tmp_path / "demo")
    assert "Demo stopped." in second
