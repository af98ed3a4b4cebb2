import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks_with_no_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="staffroom.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    # One check is silenced on purpose, and only that one: django-axes asks to lock out by
    # address too, which would lock a whole school out behind one address (settings base).
    assert "System check identified no issues (1 silenced)." in result.stdout
    from django.conf import settings

    assert settings.SILENCED_SYSTEM_CHECKS == ["axes.W006"]


def test_production_refuses_to_start_with_the_development_secret_key():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="dev-only-insecure-key-change-me",
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set to a long random value" in result.stderr


def _database_settings(**env: str) -> dict:
    result = run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_connections_come_from_a_pool_per_process():
    url = "postgres://staffroom:secret@db.example.org:5432/staffroom"

    pooled = _database_settings(DATABASE_URL=url, CONN_MAX_AGE="60")
    unpooled = _database_settings(DATABASE_URL=url, DATABASE_POOL="false")
    sqlite = _database_settings()

    assert pooled["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 30.0}
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert "pool" not in unpooled.get("OPTIONS", {})
    assert "pool" not in sqlite["OPTIONS"]
