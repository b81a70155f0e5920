"""Status callbacks: each status change of a client's request is POSTed to its callback URL, signed, through
the webhook outbox (claimed before sending, retried with backoff, at most once), to a real HTTP server on
loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from dsr.models import OutgoingWebhook, Request
from dsr.outbox import webhooks
from dsr.requests import workflow
from dsr.requests.timeline import SYSTEM
from tests.api.conftest import Caller, Receiver, file_and_route

pytestmark = pytest.mark.usefixtures("policies")


def test_a_status_change_is_queued_once_with_the_new_status_and_no_personal_data(agent: Caller) -> None:
    request = file_and_route(agent)
    hooks = list(OutgoingWebhook.objects.filter(request=request))
    assert len(hooks) == 1
    body = json.loads(hooks[0].body)
    assert (body["subject_request_id"], body["status"], body["previous_status"]) == (
        request.reference,
        "in_progress",
        "verified",
    )
    assert "Alice" not in hooks[0].body and "@" not in hooks[0].body
    workflow.route_request(request.pk, now=timezone.now(), actor=SYSTEM)  # routed again: no change, no callback
    assert OutgoingWebhook.objects.filter(request=request).count() == 1


def test_a_callback_is_signed_retried_with_backoff_and_delivered_at_most_once(
    agent: Caller, receiver: Receiver
) -> None:
    request = file_and_route(agent)
    hook = OutgoingWebhook.objects.get(request=request)
    receiver.answers = [500]  # the first attempt fails
    now = timezone.now()
    assert webhooks.deliver_webhook(hook.pk, now=now) == webhooks.RETRY_SCHEDULE[0]
    assert webhooks.deliver_webhook(hook.pk, now=now + dt.timedelta(seconds=5)) is None  # not due yet: no post
    assert len(receiver.posts) == 1
    later = now + dt.timedelta(seconds=webhooks.RETRY_SCHEDULE[0])
    assert webhooks.deliver_webhook(hook.pk, now=later) is None
    assert webhooks.deliver_webhook(hook.pk, now=later) is None  # a redelivered task: claimed already
    assert len(receiver.posts) == 2
    headers, body = receiver.posts[1]
    assert webhooks.verify(agent.callback_secret, body, headers[webhooks.SIGNATURE_HEADER], now=later)
    # As documented for receivers: t=<unix time of this attempt>,v1=<HMAC-SHA256 of "<t>.<body>" in hex>.
    stamp, mac = (part.split("=", 1)[1] for part in headers[webhooks.SIGNATURE_HEADER].split(","))
    assert int(stamp) == int(later.timestamp())
    assert mac == hmac.new(agent.callback_secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers[webhooks.KEY_HEADER] == receiver.posts[0][0][webhooks.KEY_HEADER] == hook.key
    hook.refresh_from_db()
    assert (hook.status, hook.attempts) == (OutgoingWebhook.Status.SENT, 2)


def test_a_signature_fails_with_another_secret_another_body_or_too_late(agent: Caller, receiver: Receiver) -> None:
    request = file_and_route(agent)
    now = timezone.now()
    webhooks.deliver_webhook(OutgoingWebhook.objects.get(request=request).pk, now=now)
    headers, body = receiver.posts[0]
    signed = headers[webhooks.SIGNATURE_HEADER]
    assert webhooks.verify(agent.callback_secret, body, signed, now=now)
    assert not webhooks.verify(agent.callback_secret + "x", body, signed, now=now)
    assert not webhooks.verify(agent.callback_secret, body.replace(b"in_progress", b"completed"), signed, now=now)
    assert not webhooks.verify(agent.callback_secret, body, signed, now=now + webhooks.SIGNATURE_TOLERANCE * 2)
    stamp = int(now.timestamp())
    moved = signed.replace(f"t={stamp}", f"t={stamp + 60}")  # a replay with a fresh time but the old MAC
    assert not webhooks.verify(agent.callback_secret, body, moved, now=now + dt.timedelta(seconds=60))


def test_a_callback_that_keeps_failing_ends_failed_after_the_schedule(agent: Caller, receiver: Receiver) -> None:
    hook = OutgoingWebhook.objects.get(request=file_and_route(agent))
    receiver.answers = [503] * 10
    now = timezone.now()
    delays = []
    while (delay := webhooks.deliver_webhook(hook.pk, now=now)) is not None:
        delays.append(delay)
        now += dt.timedelta(seconds=delay)
    assert delays == list(webhooks.RETRY_SCHEDULE)  # growing waits, then no more
    hook.refresh_from_db()
    assert hook.status == OutgoingWebhook.Status.FAILED and len(receiver.posts) == len(delays) + 1


def test_a_callback_not_yet_sent_when_the_persons_data_is_erased_is_never_posted(
    agent: Caller, receiver: Receiver
) -> None:
    """The shredder blanks a queued callback's body: it is ended, not posted blank with a valid signature."""
    from django.db import transaction

    from dsr.privacy import shredder

    request = file_and_route(agent)
    hook = OutgoingWebhook.objects.get(request=request)
    with transaction.atomic():
        shredder.erase_personal_data(Request.objects.select_for_update().get(pk=request.pk), now=timezone.now())
    assert webhooks.deliver_webhook(hook.pk, now=timezone.now()) is None
    assert receiver.posts == []
    hook.refresh_from_db()
    assert hook.status == OutgoingWebhook.Status.FAILED and "erased" in hook.last_error
