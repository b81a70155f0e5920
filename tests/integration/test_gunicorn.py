"""The production server as deployed: gunicorn with config/gunicorn.py and production settings serves
the pages, the static files (WhiteNoise) and /health/, and its access log never holds a link's token."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from dsr import jobs
from dsr.ops import health
from dsr.security.tokens import make_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_gunicorn_serves_pages_static_files_and_health_and_scrubs_tokens(
    postgres: None, policies: None, tmp_path: Path
) -> None:
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DSR_VAR_DIR": str(tmp_path),
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
    }
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=False
    )
    assert collect.returncode == 0
    for queue in jobs.QUEUES:
        health.record_heartbeat(f"worker:{queue}", now=timezone.now())
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        for _ in range(100):
            try:
                if get(f"{base}/health/")[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.1)
        status, body, _ = get(f"{base}/health/")
        assert status == 200, body
        status, body, headers = get(f"{base}/request/leadsment/")
        assert status == 200 and b"Leadsment" in body
        assert "default-src 'self'" in headers.get("Content-Security-Policy", "")
        status, _, _ = get(f"{base}/static/dsr/site.css")  # the page's styles, a static file the policy allows
        assert status == 200
        status, _, headers = get(f"{base}/static/admin/css/base.css")
        assert status == 200 and "max-age" in headers.get("Cache-Control", "")
        token = make_token("status", "DSR-ABCDEFGH")
        get(f"{base}/status/{token}/")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    access_log = (tmp_path / "gunicorn.log").read_text()
    assert "/status/[token]/" in access_log
    assert token not in access_log
