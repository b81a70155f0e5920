"""Answer packages: built from files and data rows into one ZIP with a cover letter in the person's language,
downloaded only with the one-time code sent to the proven email, and deleted from storage after expiry."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Event, OutgoingEmail, Package, PackageItem, Request
from dsr.packages.contents import package_manifest
from dsr.privacy import retention, shredder
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from tests.factories import LATER, STAFF, identified, routed

pytestmark = pytest.mark.usefixtures("policies", "clock")

PDF = b"%PDF-1.4 the person's contract, signed 2024"
ROWS = [
    {"email": "alice@example.com", "name": "Alice Virtanen", "role": "Admin"},
    {"email": "alice@example.com", "name": "Alice Virtanen", "organisation": "=HYPERLINK(1)"},
]
ANSWERED = LATER + dt.timedelta(days=1)


@pytest.fixture
def clock() -> Any:
    """The pages read the real clock: it runs from the day the test's request is answered."""
    with time_machine.travel(ANSWERED, tick=True) as traveller:
        yield traveller


def answered(**overrides: Any) -> Request:
    """Alice's access request to Leadsment, with a file and data rows in its package, answered and closed."""
    request = routed(request_type="access", **overrides)
    upload = SimpleUploadedFile("../../contract.pdf", PDF, content_type="application/pdf")
    workflow.add_to_package(request, category="account_data", upload=upload, actor=STAFF, now=LATER)
    workflow.add_to_package(request, category="account_data", rows=json.dumps(ROWS), actor=STAFF, now=LATER)
    workflow.add_to_package(
        request, category="usage_data", rows=[{"logins": 12, "last": "2026-01-30"}], actor=STAFF, now=LATER
    )
    identified(request)
    workflow.close_request(request, status="completed", message="Your data is attached.", actor=STAFF, now=ANSWERED)
    request.refresh_from_db()
    return request


def zip_of(request: Request) -> zipfile.ZipFile:
    package = Package.objects.get(request=request)
    with package.archive.open("rb") as f:
        return zipfile.ZipFile(io.BytesIO(f.read()))


def link_of(request: Request) -> str:
    email = OutgoingEmail.objects.get(request=request, kind="completed")
    return re.search(r"/download/[^/\s]+/", email.body_text).group(0)  # type: ignore[union-attr]


def test_the_package_is_one_zip_with_the_letter_the_data_as_json_and_csv_the_files_and_a_manifest() -> None:
    request = answered()
    archive = zip_of(request)
    assert sorted(archive.namelist()) == [
        "cover-letter.html",
        "cover-letter.txt",
        "data.json",
        "data/account_data.csv",
        "data/usage_data.csv",
        "files/contract.pdf",  # the path the name tried to climb is gone
        "manifest.json",
    ]
    assert archive.read("files/contract.pdf") == PDF
    data = json.loads(archive.read("data.json"))
    assert data["reference"] == request.reference
    by_key = {c["category"]: c for c in data["categories"]}
    assert by_key["account_data"]["rows"] == ROWS
    assert by_key["account_data"]["name"] == "Account data"
    rows = list(csv.DictReader(io.StringIO(archive.read("data/account_data.csv").decode("utf-8-sig"))))
    assert [r["role"] for r in rows] == ["Admin", ""]
    assert rows[1]["organisation"] == "'=HYPERLINK(1)"  # a spreadsheet does not run it as a formula
    # The manifest names every member with its SHA-256, in the ZIP and for the evidence export.
    listed = {m["name"]: m for m in json.loads(archive.read("manifest.json"))["files"]}
    for name, member in listed.items():
        assert member["sha256"] == hashlib.sha256(archive.read(name)).hexdigest()
    exported = package_manifest(request)
    assert {m["name"] for m in exported} == {*listed, "package.zip"}
    package = Package.objects.get(request=request)
    with package.archive.open("rb") as f:
        assert exported[-1]["sha256"] == hashlib.sha256(f.read()).hexdigest() == package.archive_sha256


def test_the_cover_letter_gives_article_15_facts_for_exactly_the_requests_categories_with_their_passages() -> None:
    request = answered()
    covered = {key for cats in request.assignments.values_list("categories", flat=True) for key in cats}
    assert "account_data" in covered and "website_visitor_data" not in covered
    letter = zip_of(request).read("cover-letter.txt").decode()
    policy = request.policy_version.policy
    for key in covered:
        category = policy.category(key)
        assert category.name in letter
        for rule in category.retention:
            assert rule.cite in letter  # each retention fact with its passage
        for basis in category.lawful_bases:
            assert basis.cite in letter
    assert "30 days" in letter  # account data: 30 days after the subscription is cancelled
    assert policy.category("website_visitor_data").name not in letter  # not this person's data
    assert policy.authority.name and policy.authority.name in letter
    assert policy.authority.cite in letter
    for heading in ("Why the data are used", "Who receives the data", "How long the data are kept", "Your rights"):
        assert heading in letter
    html = zip_of(request).read("cover-letter.html").decode()
    assert '<html lang="en">' in html and "Art. 15(1)(d) GDPR" in html


def test_a_german_request_gets_its_cover_letter_and_emails_in_german() -> None:
    request = answered(language="de", country="DE")
    letter = zip_of(request).read("cover-letter.txt").decode()
    assert "Ihre Rechte" in letter
    assert "Wie lange die Daten gespeichert werden" in letter
    assert "30 Tage" in letter
    assert "Your rights" not in letter
    email = OutgoingEmail.objects.get(request=request, kind="completed")
    assert "/download/" in email.body_text and "Einmal-Code" in email.body_text


def test_the_answer_email_carries_the_link_and_the_package_is_sealed_for_the_configured_days() -> None:
    request = answered()
    package = Package.objects.get(request=request)
    assert package.status == Package.Status.SEALED
    assert package.expires_at == ANSWERED + dt.timedelta(days=14)
    email = OutgoingEmail.objects.get(request=request, kind="completed")
    assert email.to == "alice@example.com"
    assert link_of(request) in email.body_html
    closing = request.events.get(kind="completed")
    assert closing.data["package"]["sha256"] == package.archive_sha256
    with pytest.raises(DomainError, match="takes nothing more"):  # answered: nothing more goes in
        workflow.add_to_package(request, category="account_data", rows=ROWS, actor=STAFF, now=ANSWERED)


def test_a_refusal_never_seals_or_offers_the_package_staff_had_started() -> None:
    """A refused request discloses nothing: the files staff had gathered stay unsealed and unoffered."""
    request = routed(request_type="access")
    workflow.add_to_package(request, category="account_data", rows=ROWS, actor=STAFF, now=LATER)
    workflow.close_request(
        request, status=Request.Status.REJECTED, message="We could not confirm who you are.", actor=STAFF, now=ANSWERED
    )
    email = OutgoingEmail.objects.get(request=request, kind="rejected")
    assert "/download/" not in email.body_text and "/download/" not in email.body_html
    assert Package.objects.get(request=request).status != Package.Status.SEALED
    assert "package" not in request.events.get(kind="rejected").data


def test_an_erasure_request_has_no_package() -> None:
    request = routed()
    with pytest.raises(DomainError, match="access or portability"):
        workflow.add_to_package(request, category="account_data", rows=ROWS, actor=STAFF, now=LATER)


def test_rows_must_be_records_of_one_of_the_persons_categories() -> None:
    request = routed(request_type="access")
    with pytest.raises(DomainError, match="not one of the policy's data categories"):
        workflow.add_to_package(request, category="website_visitor_data", rows=ROWS, actor=STAFF, now=LATER)
    with pytest.raises(DomainError, match="JSON list of records"):
        workflow.add_to_package(request, category="account_data", rows="[1, 2]", actor=STAFF, now=LATER)
    assert not PackageItem.objects.exists()


def send_code(client: Client, link: str) -> str:
    """Ask for a code on the page; return the code from the email to the proven address."""
    before = OutgoingEmail.objects.filter(kind="package_code").count()
    response = client.post(link, {"action": "send"})
    assert response.status_code == 200
    emails = OutgoingEmail.objects.filter(kind="package_code").order_by("pk")
    assert emails.count() == before + 1
    return re.search(r"\b(\d{6})\b", emails.last().body_text).group(1)  # type: ignore[union-attr]


def test_only_the_code_sent_to_the_proven_email_releases_the_download() -> None:
    request = answered()
    link, client = link_of(request), Client()

    page = client.get(link)
    assert page.status_code == 200 and "Send me a code" in page.content.decode()
    assert not OutgoingEmail.objects.filter(kind="package_code").exists()  # a GET (a mail scanner) sends nothing

    refused = client.post(link, {"action": "download", "code": ""})  # no code asked for yet
    assert refused.status_code == 400 and refused.get("Content-Type", "").startswith("text/html")

    code = send_code(client, link)
    sent = OutgoingEmail.objects.filter(kind="package_code")
    assert list(sent.values_list("to", flat=True)) == [request.subject_email]  # the proven address, only
    assert code not in json.dumps(list(Package.objects.values()), default=str)  # only a hash is kept
    assert "a***@example.com" in client.post(link, {"action": "send"}).content.decode()

    code = re.search(r"\b(\d{6})\b", sent.order_by("pk").last().body_text).group(1)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(link, {"action": "download", "code": wrong})
    assert response.status_code == 400 and "not right" in response.content.decode()
    assert not request.events.filter(kind="downloaded").exists()

    response = client.post(link, {"action": "download", "code": code})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert f'filename="{request.reference}.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert "files/contract.pdf" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    package = Package.objects.get(request=request)
    assert package.status == Package.Status.DELIVERED and package.download_count == 1
    assert request.events.filter(kind="downloaded").count() == 1
    assert request.events.filter(kind="package_code_sent").count() == 2

    again = client.post(link, {"action": "download", "code": code})  # one-time: used up
    assert again.status_code == 400 and again.get("Content-Type", "").startswith("text/html")


def test_after_too_many_wrong_codes_even_the_right_one_is_refused() -> None:
    request = answered()
    link, client = link_of(request), Client()
    code = send_code(client, link)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(link, {"action": "download", "code": wrong})
    response = client.post(link, {"action": "download", "code": code})
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert not request.events.filter(kind="downloaded").exists()
    # A new code works again.
    assert client.post(link, {"action": "download", "code": send_code(client, link)}).status_code == 200


def test_a_code_expires_after_its_minutes() -> None:
    request = answered()
    link, client = link_of(request), Client()
    code = send_code(client, link)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        response = client.post(link, {"action": "download", "code": code})
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_codes_are_rate_limited_per_request() -> None:
    request = answered()
    link, client = link_of(request), Client()
    for _ in range(5):
        send_code(client, link)
    response = client.post(link, {"action": "send"})
    assert response.status_code == 429
    assert OutgoingEmail.objects.filter(kind="package_code").count() == 5


def test_a_link_that_is_tampered_with_or_for_another_purpose_opens_nothing() -> None:
    request = answered()
    link = link_of(request)
    assert Client().get(link[:-3] + "xx/").status_code == 400
    status_link = re.search(r"/status/[^/\s]+/", OutgoingEmail.objects.filter(request=request).first().body_text)
    assert Client().get(status_link.group(0).replace("/status/", "/download/")).status_code == 400  # type: ignore[union-attr]


def test_after_expiry_the_files_are_deleted_from_storage_and_the_link_says_so_plainly(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = answered()
    package = Package.objects.get(request=request)
    stored = [package.archive.name, *(i.file.name for i in package.items.exclude(file=""))]
    storage = package.archive.storage
    assert all(storage.exists(name) for name in stored) and len(stored) == 2
    link = link_of(request)

    assert retention.expire_packages(now=ANSWERED + dt.timedelta(days=13)) == 0  # not yet
    with pytest.raises(DomainError, match="kept until"):
        workflow.expire_package(request, now=ANSWERED + dt.timedelta(days=13))
    with time_machine.travel(ANSWERED + dt.timedelta(days=14, minutes=1)):
        # Past its days, before the job ran: the page already refuses.
        page = Client().get(link)
        assert page.status_code == 410
        with django_capture_on_commit_callbacks(execute=True):
            assert retention.expire_packages(now=ANSWERED + dt.timedelta(days=14, minutes=1)) == 1
    package.refresh_from_db()
    assert package.status == Package.Status.EXPIRED_DELETED
    assert not any(storage.exists(name) for name in stored)
    assert not package.archive and not package.items.exclude(file="").exists()
    assert request.events.get(kind="package_deleted").message.endswith(
        "without being downloaded; its files are deleted."
    )
    with time_machine.travel(ANSWERED + dt.timedelta(days=20)):
        page = Client().get(link)
    assert page.status_code in (400, 410)  # the link itself has lapsed too
    with time_machine.travel(ANSWERED + dt.timedelta(days=13)):
        page = Client().get(link)  # a still-valid link of a deleted package
    assert page.status_code == 410
    assert "is now deleted" in page.content.decode() and "make a new request" in page.content.decode()
    assert retention.expire_packages(now=ANSWERED + dt.timedelta(days=30)) == 0  # once


def test_staff_resend_the_link_to_the_proven_email_and_see_whether_it_was_downloaded() -> None:
    request = answered()
    workflow.resend_package_link(request, actor=Actor("handler", "hanna"), now=ANSWERED + dt.timedelta(days=2))
    resent = OutgoingEmail.objects.get(request=request, kind="package_link")
    assert resent.to == request.subject_email and "/download/" in resent.body_text
    assert Event.objects.filter(request=request, kind="package_link_sent", actor="hanna").exists()


def test_the_shredder_deletes_package_files_with_the_persons_data(django_capture_on_commit_callbacks: Any) -> None:
    request = answered()
    package = Package.objects.get(request=request)
    stored = [package.archive.name, *(i.file.name for i in package.items.exclude(file=""))]
    storage = package.archive.storage
    with django_capture_on_commit_callbacks(execute=True):
        shredder.erase_personal_data(workflow.lock(pk=request.pk), now=ANSWERED + dt.timedelta(days=1))
    assert not any(storage.exists(name) for name in stored)
    assert not PackageItem.objects.filter(package=package).exclude(rows=[]).exists()
    assert set(PackageItem.objects.filter(package=package).values_list("name", flat=True)) == {"(redacted)"}


def test_staff_add_data_to_the_package_from_the_request_page_and_another_vendors_staff_cannot(
    django_user_model: Any,
) -> None:
    from dsr.models import StaffMembership
    from policies.models import Vendor

    request = routed(request_type="access")
    own = django_user_model.objects.create_user("hanna", "hanna@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=own, vendor=Vendor.objects.get(slug="leadsment"))
    other = django_user_model.objects.create_user("otto", "otto@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=other, vendor=Vendor.objects.get(slug="seerene"))
    url = f"/admin/dsr/request/{request.pk}/act/add_to_package/"
    form = {"category": "account_data", "rows": json.dumps(ROWS)}

    outsider = Client()
    outsider.force_login(other)
    assert outsider.post(url, form).status_code == 404
    assert not PackageItem.objects.exists()

    staff = Client()
    staff.force_login(own)
    assert staff.post(url, {"category": "account_data"}).status_code == 200  # neither file nor rows: the form says so
    response = staff.post(url, form)
    assert response.status_code == 302
    item = PackageItem.objects.get()
    assert item.rows == ROWS and item.added_by == "hanna"
    page = staff.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "Answer package" in page and "2 data rows — account_data, added by hanna" in page
