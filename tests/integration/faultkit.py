"""Parts the fault tests can break without touching anyone else's: a throwaway Redis, a Celery worker
in its own process (so it can be killed), the Celery app pointed at another broker for one test.

Never the shared Redis on 6379 or the shared PostgreSQL server: other suites run on them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class ThrowawayRedis:
    """A redis-server of our own on a free loopback port, with nothing saved: stop it and its data is gone."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI") == "true":
                raise AssertionError("CI must run the fault tests: install redis-server")
            pytest.skip("needs redis-server on the PATH")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _use_broker(url: str) -> None:
    # Kombu keeps one pool per broker address for the whole process: never close them (the next user of
    # that address would get "Acquire on closed pool"), only make the app look its pool up again.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """The Celery app of this process (what the views queue on, what an in-process worker reads) on `url`."""
    before = str(celery_app.conf.broker_url)
    if not before.startswith("redis://"):
        if os.environ.get("CI") == "true":
            raise AssertionError("CI must run the fault tests on Redis: set CELERY_BROKER_URL=redis://...")
        pytest.skip("needs Redis: make test sets CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    environment = os.environ.get("CELERY_BROKER_URL")  # Celery reads it before its own setting
    os.environ["CELERY_BROKER_URL"] = url
    _use_broker(url)
    try:
        yield
    finally:
        if environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = environment
        _use_broker(before)


def database_url() -> str:
    """The test database (transactional tests commit to it), for processes started by a test."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class WorkerProcess:
    """`celery -A config worker` as deployed (prefork), in its own process group so SIGKILL takes it all."""

    def __init__(self, *, broker_url: str, smtp_port: int, queues: list[str], log: Path, var_dir: Path) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_"))},
            "DATABASE_URL": database_url(),
            # The test's own key: the links and address hashes the worker makes must match the test's.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DSR_VAR_DIR": str(var_dir),
        }
        self.queues = queues
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=2",
                    "--queues=" + ",".join(self.queues),
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the pool children die with it
            )

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: no warm shutdown, no acks."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # warm shutdown: the main process stops its pool
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
            self.kill()  # whatever is left of the group
