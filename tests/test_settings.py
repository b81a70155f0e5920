"""Settings: an embedded default with no environment, production hardened by the environment alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_no_environment_the_project_runs_on_sqlite_a_file_broker_and_file_email(tmp_path: Path) -> None:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.DATABASES['default']['ENGINE'],"
        " s.CELERY_BROKER_URL, s.EMAIL_BACKEND, str(s.EMAIL_FILE_PATH), s.DEBUG]))"
    )
    result = run({"DSR_VAR_DIR": str(tmp_path)}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    engine, broker, backend, mail_dir, debug = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert mail_dir == str(tmp_path / "mail")
    assert debug is True


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        "DSR_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-" + "y" * 30,
        "DJANGO_ALLOWED_HOSTS": "dsr.example.org",
    }
    result = run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run({"DSR_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "false"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
