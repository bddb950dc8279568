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


def _q_cluster(env_overrides: dict) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DEBUG": "True", **env_overrides})
    result = subprocess.run(
        [sys.executable, "-c", "import json, django; django.setup(); from django.conf import settings; "
         "print(json.dumps({'q': settings.Q_CLUSTER, 'db': settings.DATABASES['default']}, default=str))"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"}, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_task_queue_defaults_to_the_orm_broker_and_never_redelivers_a_push():
    conf = _q_cluster({})
    q = conf["q"]
    assert q["orm"] == "default" and "redis" not in q
    assert q["max_attempts"] == 1 and q["ack_failures"] is True and q["catch_up"] is False
    assert q["retry"] > q["timeout"]


def test_redis_url_switches_the_broker_to_redis():
    q = _q_cluster({"REDIS_URL": "redis://127.0.0.1:6379/3"})["q"]
    assert q["redis"] == "redis://127.0.0.1:6379/3" and "orm" not in q


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    db = _q_cluster({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})["db"]
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_production_settings_lock_logins_and_send_a_content_security_policy(tmp_path):
    import json

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DEBUG": "False", "SECRET_KEY": "x9!" * 30, "ALLOWED_HOSTS": "staging.example.com",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "project.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import json, django; django.setup(); from django.conf import settings; "
         "from csp.utils import build_policy; print(json.dumps({'middleware': settings.MIDDLEWARE, "
         "'backends': settings.AUTHENTICATION_BACKENDS, 'csp': build_policy(nonce='N0NCE')}))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert "csp.middleware.CSPMiddleware" in conf["middleware"]
    assert conf["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert conf["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert "script-src 'self' 'nonce-N0NCE'" in conf["csp"] and "object-src 'none'" in conf["csp"]
