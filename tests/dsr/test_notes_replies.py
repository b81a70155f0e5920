"""Working notes, reply templates and the person's replies: notes stay internal, templates prefill staff's
text in the person's language and only leads edit them, replies and their files are kept for the vendor's
staff only and erased with the person's data."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Attachment, ReplyTemplate, Request, StaffMembership
from dsr.privacy import retention
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from dsr.security.tokens import make_token
from tests.factories import LATER, identified, routed
from tests.staff import client_for as logged_in
from tests.staff import member

pytestmark = pytest.mark.usefixtures("policies")

PDF = b"%PDF-1.4 proof of address"


@pytest.fixture(autouse=True)
def templates(db: None) -> None:
    """The default templates, as the migration writes them (again, if a transactional test emptied the table)."""
    if not ReplyTemplate.objects.exists():
        importlib.import_module("dsr.migrations.0012_default_reply_templates").create(apps, None)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name: str = "proof.pdf", content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_note_is_in_the_staff_timeline_and_never_on_the_persons_status_page() -> None:
    handler = member("konsta")
    request = routed()
    workflow.add_note(
        request,
        text="Called the person: the account is under a maiden name.",
        actor=Actor.staff(handler, "handler"),
        now=LATER,
    )
    note = request.events.get(kind="note")
    assert note.actor_user == handler and "maiden name" in note.message

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    staff_page = logged_in(root).get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "maiden name" in staff_page
    status_page = Client().get(f"/status/{make_token('status', request.reference)}/").content.decode()
    assert status_page  # the person's page renders ...
    assert "maiden name" not in status_page  # ... without the note

    with pytest.raises(DomainError):
        workflow.add_note(request, text="   ", actor=Actor.staff(handler, "handler"), now=LATER)


def test_a_handler_adds_a_note_from_the_request_page_even_once_it_is_closed() -> None:
    handler = member("konsta")
    closed = workflow.close_request(
        identified(routed()), status="completed", message="Erased.", actor=Actor("lead", "lea"), now=LATER
    )
    client = logged_in(handler)
    response = client.post(f"/admin/dsr/request/{closed.pk}/act/note/", {"text": "The person called to thank us."})
    assert response.status_code == 302
    assert closed.events.get(kind="note").message == "The person called to thank us."


def test_every_message_has_a_default_template_in_every_language() -> None:
    kinds = set(ReplyTemplate.Kind.values)
    assert set(ReplyTemplate.objects.values_list("kind", "language")) == {
        (kind, language) for kind in kinds for language in ("en", "de", "et", "fi")
    }
    for template in ReplyTemplate.objects.all():
        assert "{reference}" in template.subject and "{vendor}" in template.body


def test_the_pause_extend_and_close_forms_start_from_the_template_in_the_persons_language() -> None:
    lead = logged_in(member("lea", role=StaffMembership.Role.LEAD))
    request = routed(language="de")
    base = f"/admin/dsr/request/{request.pk}/act/"

    pause = lead.get(f"{base}pause/").content.decode()
    assert "benötigen wir weitere Angaben" in pause and "an Leadsment" in pause
    identity = lead.get(f"{base}pause/", {"reply": "identity"}).content.decode()
    assert "richtige Person erreicht" in identity
    extend = lead.get(f"{base}extend/").content.decode()
    assert "Wir antworten spätestens bis zum" in extend and "{due}" not in extend
    assert "Wir können Ihre Anfrage" not in lead.get(f"{base}close/").content.decode()  # an answer by default
    refusal = lead.get(f"{base}close/", {"reply": "refusal"}).content.decode()
    assert "Wir können Ihre Anfrage an Leadsment nicht erfüllen" in refusal
    # The refusal's text comes with the refusal's status chosen, never "Completed" beside a refusal.
    assert '<option value="rejected" selected>' in refusal
    assert '<option value="completed" selected>' not in refusal
    assert '<option value="rejected" selected>' not in lead.get(f"{base}close/").content.decode()

    # A lead's edit is what the next form starts from.
    ReplyTemplate.objects.filter(kind="info", language="de").update(
        body="Bitte nennen Sie die Kundennummer ({reference})."
    )
    assert f"Bitte nennen Sie die Kundennummer ({request.reference})." in lead.get(f"{base}pause/").content.decode()


def test_leads_edit_the_templates_and_handlers_only_read_them() -> None:
    template = ReplyTemplate.objects.get(kind="refusal", language="en")
    url = f"/admin/dsr/replytemplate/{template.pk}/change/"
    form = {"subject": "Your request {reference}", "body": "We cannot fulfil your request to {vendor}."}

    handler = logged_in(member("konsta"))
    assert handler.get(url).status_code == 200
    assert handler.post(url, form).status_code == 403
    template.refresh_from_db()
    assert template.subject != form["subject"]

    lead = logged_in(member("lea", role=StaffMembership.Role.LEAD))
    assert lead.post(url, form).status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.body) == (form["subject"], form["body"])


def test_the_persons_reply_and_files_are_kept_for_the_vendors_staff_only(media: Path) -> None:
    handler = member("konsta")
    request = routed()
    client = logged_in(handler)
    response = client.post(
        f"/admin/dsr/request/{request.pk}/act/record_reply/",
        {"text": "My account is 4411.", "attachments": [pdf("../../etc/Proof of address.pdf")]},
    )
    assert response.status_code == 302
    reply = request.events.get(kind="subject_reply")
    assert "4411" in reply.message and reply.actor_user == handler
    attachment = Attachment.objects.get(request=request)
    assert attachment.name == "Proof_of_address.pdf"  # no path, no spaces
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(media) and stored.read_bytes() == PDF

    url = f"/admin/dsr/request/attachment/{attachment.pk}/"
    assert url in client.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert 'attachment; filename="Proof_of_address.pdf"' in download["Content-Disposition"]
    assert logged_in(member("siiri", "sera-leads", StaffMembership.Role.LEAD)).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


@pytest.mark.parametrize(
    ("upload", "refusal"),
    [
        (lambda: pdf("setup.exe", b"MZ", "application/octet-stream"), "only PDF, PNG, JPEG"),
        (lambda: pdf("photo.pdf", b"x", "image/png"), "only PDF, PNG, JPEG"),
        (lambda: pdf("big.pdf", b"0" * (10 * 1024 * 1024 + 1)), "at most 10 MB"),
    ],
)
def test_a_reply_file_of_the_wrong_type_or_too_large_is_refused_and_nothing_is_kept(
    media: Path, upload: Any, refusal: str
) -> None:
    request = routed()
    with pytest.raises(DomainError, match=refusal):
        workflow.record_reply(request, text="Here.", files=[upload()], actor=Actor("handler", "konsta"), now=LATER)
    assert not request.events.filter(kind="subject_reply").exists()
    assert not Attachment.objects.exists() and not any(media.rglob("*.*"))


def test_the_shredder_deletes_the_files_with_the_persons_data(
    media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    request = routed()
    workflow.record_reply(request, text="Attached.", files=[pdf()], actor=Actor("handler", "konsta"), now=LATER)
    attachment = Attachment.objects.get(request=request)
    stored = Path(attachment.file.path)
    assert stored.exists()
    closed = workflow.close_request(
        identified(request), status="completed", message="Erased.", actor=Actor("lead", "lea"), now=LATER
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_closed(now=closed.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)) == 1

    assert not stored.exists()
    attachment.refresh_from_db()
    assert attachment.file.name == "" and attachment.name == "(redacted)"
    handler = logged_in(member("konsta"))
    assert handler.get(f"/admin/dsr/request/attachment/{attachment.pk}/").status_code == 404
    assert "4411" not in Request.objects.get(pk=request.pk).events.get(kind="subject_reply").message
