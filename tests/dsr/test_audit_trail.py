"""The audit trail is tamper-evident: events are never changed or deleted (redaction by the shredder aside),
and `verify_audit` finds an event changed or removed behind the trail's back, naming it."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.admin import ModelAdmin, site
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from dsr.models import AppendOnly, Event, Request
from dsr.privacy import retention, shredder
from dsr.requests import audit, workflow
from dsr.requests.timeline import SYSTEM, record
from tests.factories import LATER, STAFF, identified, routed

pytestmark = pytest.mark.usefixtures("policies")


def verify(*args: str) -> tuple[int, str]:
    """Run `manage.py verify_audit` and return its exit code and what it printed."""
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def behind_the_trigger(statement: str, *params: object) -> None:
    """What someone with the database's keys could do: the append-only trigger off, a change, the trigger on."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction: its deferred key checks first
    sql("ALTER TABLE dsr_event DISABLE TRIGGER dsr_event_append_only")
    sql(statement, *params)
    sql("ALTER TABLE dsr_event ENABLE TRIGGER dsr_event_append_only")


def noted() -> Request:
    request = routed()
    workflow.add_note(request, text="Called Alice; she confirmed the account.", actor=STAFF, now=LATER)
    workflow.add_note(request, text="Second note.", actor=STAFF, now=LATER + dt.timedelta(hours=1))
    return request


def test_each_event_is_chained_to_the_previous_one_and_the_request_keeps_the_head() -> None:
    request = noted()
    events = list(request.events.order_by("id"))
    assert events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == len(events)
    assert Request.objects.get(pk=request.pk).last_event_hash == events[-1].hash
    assert verify() == (0, f"Checked 1 request(s), {len(events)} event(s): every chain is intact.\n")


def test_an_append_from_a_stale_copy_of_the_request_still_follows_the_last_event() -> None:
    request = routed()
    stale = Request.objects.get(pk=request.pk)
    workflow.add_note(request, text="First.", actor=STAFF, now=LATER)
    with transaction.atomic():
        event = record(stale, "note", "From a copy read before the first note.", actor=SYSTEM, now=LATER)
    assert event.prev_hash == Event.objects.filter(request=request).exclude(pk=event.pk).latest("id").hash
    assert audit.verify_request(request.reference).intact


def test_the_orm_refuses_to_change_or_delete_an_event() -> None:
    request = noted()
    event = request.events.latest("id")
    event.message = "Never called anyone."
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        Event.objects.filter(pk=event.pk).update(message="Never called anyone.")
    with pytest.raises(AppendOnly):
        request.events.all().delete()
    with pytest.raises(AppendOnly), transaction.atomic():
        Event.objects.bulk_update([event], ["message"])
    assert Event.objects.get(pk=event.pk).message == "Second note."


@pytest.mark.usefixtures("postgres")
def test_postgres_refuses_a_plain_update_of_an_event() -> None:
    event = noted().events.latest("id")
    with pytest.raises(DatabaseError, match=f"append-only: event {event.pk} cannot be changed"), transaction.atomic():
        sql("UPDATE dsr_event SET message = 'Never called anyone.' WHERE id = %s", event.pk)
    assert Event.objects.get(pk=event.pk).message == "Second note."


@pytest.mark.usefixtures("postgres")
def test_postgres_refuses_to_delete_an_event() -> None:
    event = noted().events.latest("id")
    with pytest.raises(DatabaseError, match=f"append-only: event {event.pk} cannot be deleted"), transaction.atomic():
        sql("DELETE FROM dsr_event WHERE id = %s", event.pk)
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.usefixtures("postgres")
def test_postgres_refuses_a_redaction_of_a_request_not_purged_or_one_that_changes_more() -> None:
    request = noted()
    event = request.events.latest("id")
    redaction = "UPDATE dsr_event SET message = %s, data = '{}', salt = '', redacted = true"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(redaction + " WHERE id = %s", shredder.REDACTED, event.pk)  # the request was never purged
    Request.objects.filter(pk=request.pk).update(purged_at=LATER)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(redaction + ", kind = 'nothing' WHERE id = %s", shredder.REDACTED, event.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(redaction + " WHERE id = %s", "Something else.", event.pk)
    assert not Event.objects.get(pk=event.pk).redacted


def test_the_shredder_still_redacts_and_the_chain_still_holds() -> None:
    request = identified(noted())
    workflow.close_request(request, status="completed", message="Done.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert retention.purge_closed(now=request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)) == 1
    notes = request.events.filter(kind="note")
    assert {(e.message, e.salt, e.redacted) for e in notes} == {(shredder.REDACTED, "", True)}
    assert request.events.filter(kind="purged").exists()
    assert verify("--request", request.reference)[0] == 0
    assert verify()[0] == 0


@pytest.mark.usefixtures("postgres")
def test_verify_audit_names_an_event_whose_message_was_changed_by_sql() -> None:
    request = noted()
    other = routed(email="bob@example.com", subject_name="Bob")
    event = request.events.get(kind="note", message__startswith="Called")
    behind_the_trigger("UPDATE dsr_event SET message = 'Never called anyone.' WHERE id = %s", event.pk)
    code, out = verify()
    assert code == 1
    assert f"{request.reference}: event {event.pk}: its message or data was changed" in out
    assert other.reference not in out
    assert "1 broken chain(s)" in out
    assert verify("--request", other.reference)[0] == 0


@pytest.mark.usefixtures("postgres")
def test_verify_audit_names_an_event_whose_time_was_moved() -> None:
    request = noted()
    event = request.events.get(kind="note", message__startswith="Called")
    behind_the_trigger("UPDATE dsr_event SET at = at - interval '20 days' WHERE id = %s", event.pk)
    code, out = verify("--request", request.reference)
    assert code == 1
    assert f"event {event.pk}: its hash does not match its fields" in out


@pytest.mark.usefixtures("postgres")
def test_verify_audit_finds_an_event_removed_from_the_middle_and_from_the_end() -> None:
    request = noted()
    first, second = request.events.filter(kind="note").order_by("id")
    behind_the_trigger("DELETE FROM dsr_event WHERE id = %s", first.pk)
    code, out = verify()
    assert code == 1
    assert f"{request.reference}: event {second.pk}: it does not follow event" in out

    ended = routed(email="carol@example.com", subject_name="Carol")
    last = ended.events.latest("id")
    behind_the_trigger("DELETE FROM dsr_event WHERE id = %s", last.pk)
    code, out = verify("--request", ended.reference)
    assert code == 1
    assert "after the last event: the chain ends at event" in out


@pytest.mark.usefixtures("postgres")
def test_verify_audit_finds_content_hidden_as_a_redaction() -> None:
    request = noted()
    event = request.events.get(kind="note", message__startswith="Called")
    behind_the_trigger("UPDATE dsr_event SET message = '', data = '{}', redacted = true WHERE id = %s", event.pk)
    code, out = verify()
    assert code == 1
    assert f"event {event.pk}: it is marked redacted, but the request's personal data was never deleted" in out


def test_verify_audit_says_so_for_an_unknown_reference() -> None:
    with pytest.raises(CommandError, match="No request DSR-NOPE"):
        call_command("verify_audit", "--request", "DSR-NOPE")


def event_admins() -> list[Any]:
    """Every admin page or inline over events."""
    found: list[Any] = [a for m, a in site._registry.items() if m is Event]
    for model_admin in site._registry.values():
        found += [inline(model_admin.model, site) for inline in model_admin.inlines if inline.model is Event]
    return found


def test_the_admin_offers_no_way_to_add_change_or_delete_an_event(rf: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The timeline is shown read-only on the request's page; no admin page or inline writes events."""
    http = rf.get("/admin/")
    http.user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")

    def writable() -> list[str]:
        return [
            type(a).__name__
            for a in event_admins()
            if (a.has_add_permission(http, None) if isinstance(a, InlineModelAdmin) else a.has_add_permission(http))
            or a.has_change_permission(http)
            or a.has_delete_permission(http)
        ]

    assert writable() == []
    monkeypatch.setitem(site._registry, Event, ModelAdmin(Event, site))  # the check finds a plain admin
    assert writable() == ["ModelAdmin"]
