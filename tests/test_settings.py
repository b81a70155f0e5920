"""Settings: an embedded default with no environment, production hardened by the environment alone."""

from __future__ import annotations

import json
import os
import secrets
import stat
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
    assert backend == "dsr.outbox.filemail.EmailBackend"  # files under var/mail/<reference>/
    assert mail_dir == str(tmp_path / "mail")
    # Fail closed: a deploy that forgets DJANGO_DEBUG does not serve Django's debug pages to the public.
    assert debug is False


def strong_key() -> str:
    return secrets.token_urlsafe(64)


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        "DSR_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": strong_key(),
        "DJANGO_ALLOWED_HOSTS": "dsr.example.org",
    }
    result = run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_default_passes_the_deploy_check_with_the_key_it_generates(tmp_path: Path) -> None:
    result = run({"DSR_VAR_DIR": str(tmp_path)}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def env_example_key() -> str:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("DJANGO_SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example has no DJANGO_SECRET_KEY line")


def test_production_refuses_to_start_with_a_published_placeholder_or_weak_key(tmp_path: Path) -> None:
    refused = {
        "the .env.example placeholder": env_example_key(),
        "the old development default": "insecure-dev-only-key-do-not-use-in-production-0123456789abcdefghij",
        "Django's generated development key": "django-insecure-" + strong_key(),
        "a short key": strong_key()[:20],
        "a long key of one character": "k" * 80,
    }
    for what, key in refused.items():
        result = run({"DSR_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": key}, "check")
        assert result.returncode != 0, what
        assert "DJANGO_SECRET_KEY is refused" in result.stderr, (what, result.stderr[-500:])


def test_with_no_key_given_each_install_generates_its_own_kept_for_its_owner_only(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first, second = tmp_path / "one", tmp_path / "two"
    key = run({"DSR_VAR_DIR": str(first)}, "shell", "-c", code).stdout.strip().splitlines()[-1]
    again = run({"DSR_VAR_DIR": str(first)}, "shell", "-c", code).stdout.strip().splitlines()[-1]
    other = run({"DSR_VAR_DIR": str(second)}, "shell", "-c", code).stdout.strip().splitlines()[-1]
    assert key == again  # web, worker and beat on one machine sign alike, across restarts
    assert key != other  # no two installs share a key, and none is in the repository
    assert len(key) >= 50
    assert stat.S_IMODE((first / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    assert key not in (ROOT / "config" / "settings.py").read_text()


def test_files_written_under_var_are_for_their_owner_only(tmp_path: Path) -> None:
    code = (
        "from django.core.mail import send_mail; send_mail('s', 'b', 'a@example.org', ['b@example.org']);"
        "from django.core.files.storage import default_storage; from django.core.files.base import ContentFile;"
        "default_storage.save('replies/x.txt', ContentFile(b'x'))"
    )
    result = run({"DSR_VAR_DIR": str(tmp_path)}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    written = [path for path in tmp_path.rglob("*") if path.name != "secret_key"]
    assert any(path.is_file() for path in (tmp_path / "mail").rglob("*"))
    assert any(path.is_file() for path in (tmp_path / "media").rglob("*"))
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_debug_is_refused_for_hosts_beyond_this_machine(tmp_path: Path) -> None:
    env = {"DSR_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true", "DJANGO_ALLOWED_HOSTS": "dsr.example.org"}
    result = run(env, "check")
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must stay on loopback" in result.stderr
    assert run({**env, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}, "check").returncode == 0


def test_the_trusted_proxy_hops_come_from_the_environment(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.DSR_TRUSTED_PROXY_HOPS)"
    for given, expected in (({}, "0"), ({"DSR_TRUSTED_PROXY_HOPS": "2"}, "2")):
        result = run({"DSR_VAR_DIR": str(tmp_path), **given}, "shell", "-c", code)
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
