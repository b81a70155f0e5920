"""Personal data is deleted on schedule: every trace of the person's name goes, the record of what was
done stays, a purge happens once, and every text field of the data model is on one list or the other."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from dsr.models import Answer, AnswerPart, Assignment, Event, OutgoingEmail, Pause, Request
from dsr.outbox.emails import deliver_email
from dsr.privacy import retention, shredder
from dsr.requests import workflow
from tests.factories import LATER, STAFF, identified, noon, routed

pytestmark = pytest.mark.usefixtures("policies")

NAME = "Alice Virtanen"
EMAIL = "alice@example.com"


def traces(request: Request, needle: str) -> list[str]:
    """Every place the request's timeline, outbox, pauses and assignments still mention `needle`."""
    found: list[str] = []
    for event in Event.objects.filter(request=request):
        if needle in event.message or needle in json.dumps(event.data):
            found.append(f"event {event.kind}")
    for email in OutgoingEmail.objects.filter(request=request):
        if any(needle in value for value in (email.to, email.subject, email.body_text, email.body_html)):
            found.append(f"email {email.kind}")
    found += [f"pause {p.pk}" for p in Pause.objects.filter(request=request, reason__contains=needle)]
    found += [f"assignment {a.pk}" for a in Assignment.objects.filter(request=request, outcome__contains=needle)]
    found += [f"answer part {p.pk}" for p in AnswerPart.objects.filter(answer__request=request, text__contains=needle)]
    found += [f"answer {a.pk}" for a in Answer.objects.filter(request=request, cover__contains=needle)]
    if needle in Request.objects.get(pk=request.pk).extension_reason:
        found.append("extension reason")
    return found


def closed_with_the_name_everywhere() -> Request:
    """A request whose staff notes, answers and emails mention the person, as real ones do."""
    request = routed(subject_name=NAME, email=EMAIL)
    question = f"Is {NAME} the holder of account 4411?"
    workflow.pause_request(request, kind="identity", on=LATER.date(), reason=question, actor=STAFF, now=LATER)
    answered = LATER + dt.timedelta(days=1)
    workflow.resume_request(request, on=answered.date(), actor=STAFF, now=noon(answered.date()))
    workflow.extend_request(request, reason=f"{NAME} holds three accounts.", actor=STAFF, now=answered)
    identified(request)
    for assignment in Assignment.objects.filter(request=request):
        workflow.complete_assignment(
            assignment, outcome=f"Deleted the account of {NAME}.", actor=STAFF, now=LATER + dt.timedelta(days=2)
        )
    workflow.edit_answer(request, cover=f"Dear {NAME},", actor=STAFF, now=LATER + dt.timedelta(days=2))
    workflow.approve_answer(request, actor=STAFF, now=LATER + dt.timedelta(days=2))
    request.refresh_from_db()
    assert request.closed_at is not None
    return request


def test_the_purge_leaves_no_trace_of_the_name_in_events_emails_pauses_or_outcomes() -> None:
    request = closed_with_the_name_everywhere()
    before = traces(request, NAME)
    # The set-up is real: the name is in a staff note, a pause, the outcomes, the close and the emails.
    assert {"event paused", "event assignment_done", f"event {request.status}", "email info_needed"} <= set(before)
    assert any(where.startswith("pause ") for where in before)
    assert any(where.startswith("assignment ") for where in before)
    assert any(where.startswith("answer part ") for where in before)
    assert any(where.startswith("answer ") and not where.startswith("answer part") for where in before)
    assert "event answer_edited" in before and "email completed" in before
    assert "extension reason" in before

    assert retention.purge_closed(now=request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)) == 1

    request.refresh_from_db()
    assert traces(request, NAME) == []
    assert traces(request, EMAIL) == []
    assert traces(request, "Alice") == []
    assert (request.subject_name, request.subject_email, request.details) == ("", "", "")
    # What was done and when is kept: every step is still there, only its words are gone.
    kinds = set(request.events.values_list("kind", flat=True))
    assert {"submitted", "verified", "routed", "paused", "resumed", "assignment_done", "deadlines", "purged"} <= kinds
    assert request.status in Request.CLOSED_STATUSES and request.due_at is not None


def test_a_purge_happens_once_and_keeps_its_date() -> None:
    request = closed_with_the_name_everywhere()
    first = request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)
    assert retention.purge_closed(now=first) == 1
    assert retention.purge_closed(now=first + dt.timedelta(days=30)) == 0
    request.refresh_from_db()
    assert request.purged_at == first
    assert request.events.filter(kind="purged").count() == 1


def test_erasing_an_already_purged_request_changes_nothing() -> None:
    request = closed_with_the_name_everywhere()
    first = request.closed_at + retention.CLOSED_RETENTION
    assert shredder.erase_personal_data(Request.objects.get(pk=request.pk), now=first) is True
    again = Request.objects.get(pk=request.pk)
    assert shredder.erase_personal_data(again, now=first + dt.timedelta(days=1)) is False
    request.refresh_from_db()
    assert request.purged_at == first
    assert request.events.filter(kind="purged").count() == 1


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)  # EmailField is a CharField


def test_every_text_field_of_every_model_is_either_personal_data_or_declared_not_personal() -> None:
    undecided: list[str] = []
    both: list[str] = []
    for model in apps.get_app_config("dsr").get_models():
        personal = set(shredder.PERSONAL_DATA.get(model, {}))
        not_personal = shredder.NOT_PERSONAL.get(model, frozenset())
        names = {f.name for f in model._meta.concrete_fields}
        assert personal <= names and not_personal <= names, f"{model.__name__}: a listed field does not exist"
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            label = f"{model.__name__}.{field.name}"
            if field.name in personal and field.name in not_personal:
                both.append(label)
            elif field.name not in personal and field.name not in not_personal:
                undecided.append(label)
    assert undecided == [], "put each on shredder.PERSONAL_DATA or shredder.NOT_PERSONAL"
    assert both == []


def test_emails_written_as_files_are_filed_by_request_and_deleted_with_its_personal_data(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "dsr.outbox.filemail.EmailBackend"  # the embedded default
    settings.EMAIL_FILE_PATH = str(tmp_path)
    other = routed(subject_name="Bob Berg", email="bob@example.com")
    request = closed_with_the_name_everywhere()
    OutgoingEmail.objects.update(status=OutgoingEmail.Status.QUEUED, next_attempt_at=LATER)
    for email in OutgoingEmail.objects.all():
        deliver_email(email.pk, now=LATER)
    mine, theirs = tmp_path / request.reference, tmp_path / other.reference
    assert any(NAME in path.read_text() for path in mine.iterdir())
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in mine.iterdir())
    assert any(theirs.iterdir())

    with django_capture_on_commit_callbacks(execute=True):
        retention.purge_closed(now=request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1))

    assert not mine.exists()
    assert any(theirs.iterdir())  # another person's emails stay until their own time comes
    assert not any(NAME in path.read_text() for path in tmp_path.rglob("*.eml"))
