"""Real services for the integration tests: a Celery worker on Redis and an SMTP server on loopback.

The worker runs in a thread of the test process, so the tests using it must be transactional
(`django_db(transaction=True)`): it sees only committed data, as a real worker does.
"""

from __future__ import annotations

import contextlib
import email
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from dsr import jobs

pytestmark = pytest.mark.integration


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_next: int = 0  # answer this many deliveries with a temporary SMTP error
    peers: list[Any] = field(default_factory=list)  # the client's address and port of each message received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 Temporary failure, try again later"
            message = email.message_from_bytes(envelope.content)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
            self.peers.append(session.peer)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s; received: {[m['Subject'] for m in self.messages]}")


def body(message: Message, content_type: str = "text/plain") -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {content_type} part in {message['Subject']!r}")


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """An aiosmtpd server on a free loopback port; Django sends its email there."""
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's readiness check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield mailbox
    finally:
        controller.stop()


@contextlib.contextmanager
def worker_on(queues: list[str], *, flush: bool = True) -> Iterator[None]:
    """A real Celery worker consuming `queues` from Redis (CELERY_BROKER_URL, set by `make test`), on a
    clean broker unless `flush` is False (the test queued its backlog on a clean one: `clean_broker`)."""
    if flush:
        clean_broker()
    # No ping check: it needs a result backend, and the database (not Celery) records outcomes here.
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=queues):
        yield


def clean_broker() -> None:
    """Empty this test's Redis database (the broker), or skip where the broker is not Redis."""
    broker = str(celery_app.conf.broker_url or "")
    if not broker.startswith("redis://"):
        if os.environ.get("CI") == "true":
            raise AssertionError("CI must run the worker tests on Redis: set CELERY_BROKER_URL=redis://...")
        pytest.skip("needs Redis: make test sets CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    with celery_app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()  # a clean queue for this test


@pytest.fixture
def celery_worker() -> Iterator[None]:
    """A real Celery worker consuming every queue from Redis."""
    with worker_on(list(jobs.QUEUES)):
        yield


@pytest.fixture
def person_worker() -> Iterator[None]:
    """A real Celery worker serving only the person queue, as bin/serve runs one."""
    with worker_on([jobs.PERSON]):
        yield
