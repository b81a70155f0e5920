"""A client's life after registration: its secrets replaced, its address moved, access revoked, failed
callbacks sent again by staff, and its records deleted on schedule. Callbacks not yet posted follow each
change; a real HTTP receiver on loopback stands in for the client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from api import services
from api.models import ApiCall, ApiClient, IdempotencyKey
from dsr.models import Event, OutgoingWebhook
from dsr.outbox import webhooks
from dsr.requests import workflow
from dsr.requests.timeline import SUBJECT
from tests.api.conftest import Caller, Receiver, file_and_route, payload
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")


def test_a_new_api_secret_replaces_the_old_one_at_once(agent: Caller) -> None:
    assert agent.call("GET", "/api/v1/requests/").status_code == 200
    new = services.rotate_secrets(agent.client.pk, api_secret=True, callback_secret=False)
    assert agent.call("GET", "/api/v1/requests/").status_code == 401  # the old secret
    assert new.token and services.authenticate(new.token) == agent.client
    assert new.callback_secret is None


def test_a_queued_callback_is_signed_with_the_new_callback_secret_after_rotation(
    agent: Caller, receiver: Receiver
) -> None:
    """The receiver knows only the new secret once it has it: a callback queued before the rotation and
    posted after it is signed with the new one."""
    hook = OutgoingWebhook.objects.get(request=file_and_route(agent))
    new = services.rotate_secrets(agent.client.pk, api_secret=False, callback_secret=True)
    assert new.callback_secret and new.callback_secret != agent.callback_secret
    now = timezone.now()
    webhooks.deliver_webhook(hook.pk, now=now)
    headers, body = receiver.posts[0]
    assert webhooks.verify(new.callback_secret, body, headers[webhooks.SIGNATURE_HEADER], now=now)
    assert not webhooks.verify(agent.callback_secret, body, headers[webhooks.SIGNATURE_HEADER], now=now)


def test_a_revoked_client_hears_nothing_more(agent: Caller, receiver: Receiver) -> None:
    """Revoked with a callback still queued: the callback is ended unsent, and later changes queue none."""
    request = file_and_route(agent)
    hook = OutgoingWebhook.objects.get(request=request)
    services.update_client(agent.client.pk, callback_url=agent.client.callback_url, active=False)
    assert webhooks.deliver_webhook(hook.pk, now=timezone.now()) is None
    assert receiver.posts == []
    hook.refresh_from_db()
    assert hook.status == OutgoingWebhook.Status.FAILED and "revoked" in hook.last_error
    workflow.withdraw_request(request, now=timezone.now(), actor=SUBJECT)
    assert OutgoingWebhook.objects.filter(request=request).count() == 1


def test_a_moved_callback_address_takes_the_callbacks_not_yet_posted(agent: Caller) -> None:
    hook = OutgoingWebhook.objects.get(request=file_and_route(agent))
    with Receiver() as moved:
        services.update_client(agent.client.pk, callback_url=moved.url, active=True)
        webhooks.deliver_webhook(hook.pk, now=timezone.now())
        assert len(moved.posts) == 1


def test_staff_send_a_failed_callback_again_and_the_timeline_says_who(agent: Caller, receiver: Receiver) -> None:
    request = file_and_route(agent)
    hook = OutgoingWebhook.objects.get(request=request)
    OutgoingWebhook.objects.filter(pk=hook.pk).update(status=OutgoingWebhook.Status.FAILED, attempts=6)
    other = client_for(member("otto", "seerene", role="lead"))
    answer = other.post("/admin/dsr/outgoingwebhook/", {"action": "retry", "_selected_action": [hook.pk]}, follow=True)
    assert answer.status_code == 200
    hook.refresh_from_db()
    assert hook.status == OutgoingWebhook.Status.FAILED  # another vendor's staff see nothing of it
    assert other.get(f"/admin/dsr/outgoingwebhook/{hook.pk}/change/").status_code in (302, 404)
    staff = client_for(member("hanna", "leadsment", role="handler"))
    assert hook.url in staff.get("/admin/dsr/outgoingwebhook/").content.decode()
    answer = staff.post("/admin/dsr/outgoingwebhook/", {"action": "retry", "_selected_action": [hook.pk]})
    assert "1 failed callback queued again" in " ".join(str(m) for m in get_messages(answer.wsgi_request))
    hook.refresh_from_db()
    assert (hook.status, hook.attempts) == (OutgoingWebhook.Status.QUEUED, 0)
    assert Event.objects.filter(request=request, kind="webhook_retried", actor="hanna").exists()
    webhooks.deliver_webhook(hook.pk, now=timezone.now())
    assert len(receiver.posts) == 1


def test_a_lead_replaces_a_clients_secret_in_the_admin_and_reads_it_once(agent: Caller) -> None:
    staff = client_for(member("lena", "leadsment", role="lead"))
    answer = staff.post("/admin/api/apiclient/", {"action": "new_api_secret", "_selected_action": [agent.client.pk]})
    said = " ".join(str(m) for m in get_messages(answer.wsgi_request))
    token = re.search(r"API secret: (\S+)", said)
    assert token and services.authenticate(token.group(1)) == agent.client
    assert services.authenticate(agent.token) is None
    handler = client_for(member("hanna", "leadsment", role="handler"))
    handler.post("/admin/api/apiclient/", {"action": "new_api_secret", "_selected_action": [agent.client.pk]})
    assert services.authenticate(token.group(1)) == agent.client  # a handler replaced nothing


def test_idempotency_keys_and_the_call_log_are_deleted_on_schedule(agent: Caller) -> None:
    now = timezone.now()
    first = agent.call("POST", "/api/v1/requests/", payload(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert IdempotencyKey.objects.count() == 1 and ApiCall.objects.count() == 1
    assert services.purge_records(now=now) == {"idempotency_keys": 0, "calls": 0}
    later = now + services.KEY_LIFETIME + dt.timedelta(minutes=1)
    assert services.purge_records(now=later)["idempotency_keys"] == 1
    assert ApiCall.objects.count() == 1  # the call log is kept longer
    years = now + dt.timedelta(days=401)
    assert services.purge_records(now=years)["calls"] == 1
    assert not ApiClient.objects.filter(pk=agent.client.pk, active=False).exists()


def test_a_revoked_clients_callbacks_are_never_posted_not_even_when_staff_retry(
    agent: Caller, receiver: Receiver
) -> None:
    """Revoked while a change was being recorded (its callback queued after the revocation ended the
    others), and a failed callback that staff send again: neither reaches the revoked client."""
    request = file_and_route(agent)
    hook = OutgoingWebhook.objects.get(request=request)
    OutgoingWebhook.objects.filter(pk=hook.pk).update(status=OutgoingWebhook.Status.FAILED, attempts=6)
    services.update_client(agent.client.pk, callback_url=agent.client.callback_url, active=False)
    late = webhooks.queue_webhook(
        url=hook.url, payload={"late": True}, key="late", secret=hook.secret_ref, request=request, now=timezone.now()
    )
    assert webhooks.deliver_webhook(late.pk, now=timezone.now()) is None
    late.refresh_from_db()
    assert late.status == OutgoingWebhook.Status.FAILED and "revoked" in late.last_error
    staff = client_for(member("hanna", "leadsment", role="handler"))
    answer = staff.post("/admin/dsr/outgoingwebhook/", {"action": "retry", "_selected_action": [hook.pk]})
    assert "nothing was queued again" in " ".join(str(m) for m in get_messages(answer.wsgi_request))
    assert receiver.posts == []


def test_a_callback_sent_again_after_a_rotation_is_signed_with_the_new_secret(
    agent: Caller, receiver: Receiver
) -> None:
    hook = OutgoingWebhook.objects.get(request=file_and_route(agent))
    OutgoingWebhook.objects.filter(pk=hook.pk).update(status=OutgoingWebhook.Status.FAILED, attempts=6)
    new = services.rotate_secrets(agent.client.pk, api_secret=False, callback_secret=True)
    assert webhooks.retry(hook.pk, now=timezone.now())
    now = timezone.now()
    webhooks.deliver_webhook(hook.pk, now=now)
    headers, body = receiver.posts[0]
    assert new.callback_secret and webhooks.verify(
        new.callback_secret, body, headers[webhooks.SIGNATURE_HEADER], now=now
    )
