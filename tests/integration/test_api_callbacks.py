"""A status callback end to end: a request filed through the API, routed by a real Celery worker on Redis,
its status change posted by the worker to a real HTTP receiver on loopback, signed, once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dsr import jobs
from dsr.models import OutgoingWebhook, Request
from dsr.outbox import webhooks
from tests.api.conftest import Receiver, new_caller, payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def test_the_worker_routes_a_filed_request_and_posts_its_status_change_once(
    postgres: None, policies: None, receiver: Receiver, celery_worker: None
) -> None:
    agent = new_caller("leadsment", name="Rights Agent W", callback_url=receiver.url)
    reference = agent.call("POST", "/api/v1/requests/", payload()).json()["subject_request_id"]
    deadline = time.monotonic() + 60
    while not receiver.posts and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Request.objects.get(reference=reference).status == Request.Status.IN_PROGRESS
    hook = OutgoingWebhook.objects.get(request__reference=reference)
    jobs.enqueue("send_webhook_task", hook.pk)  # a duplicated broker message
    time.sleep(3)
    assert len(receiver.posts) == 1
    headers, body = receiver.posts[0]
    assert b'"status":"in_progress"' in body
    assert webhooks.verify(agent.callback_secret, body, headers[webhooks.SIGNATURE_HEADER], now=hook.created_at)
    hook.refresh_from_db()
    assert hook.status == OutgoingWebhook.Status.SENT
