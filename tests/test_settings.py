"""Settings come from the environment only; production refuses to start without a SECRET_KEY."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_check(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    # A production-like environment: nothing from the test run (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    dropped = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error(tmp_path):
    result = _run_check({"DEBUG": "False", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _run_check(
        {
            "DEBUG": "False",
            "SECRET_KEY": "x9!" * 20 + "production-like-secret-key-for-the-check",
            "ALLOWED_HOSTS": "staging.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_migrations_match_the_models():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT, env={**os.environ, "DEBUG": "True"}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
