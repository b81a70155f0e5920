"""Responders add the person's data to the answer package through their signed link (issue #10, item 1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Assignment, Event, PackageItem
from dsr.requests.notices import responder_link
from tests.factories import LATER, routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies", "clock")]


@pytest.fixture
def clock() -> Iterator[None]:
    """The responder's page reads the real clock: a few days after the request was routed."""
    with time_machine.travel(LATER + dt.timedelta(hours=1), tick=True):
        yield


def fulfil_link(request_type: str = "access") -> tuple[Assignment, str]:
    request = routed(request_type=request_type, email="alice@example.com")
    assignment = request.assignments.get(action=Assignment.Action.FULFIL)
    return assignment, responder_link(request, assignment)


def test_a_responder_adds_data_rows_and_a_file_to_its_own_categories() -> None:
    assignment, link = fulfil_link()
    category = assignment.categories[0]
    client = Client()
    page = client.get(link)
    assert "for the answer package" in page.content.decode()
    rows = json.dumps([{"email": "alice@example.com", "plan": "Pro"}])
    response = client.post(link, {"package": "1", "category": category, "rows": rows})
    assert response.status_code == 302 and response["Location"].endswith("?added=1")
    upload = SimpleUploadedFile("export.csv", b"email,plan\nalice@example.com,Pro\n", content_type="text/csv")
    client.post(link, {"package": "1", "category": category, "file": upload})
    items = PackageItem.objects.filter(package__request=assignment.request).order_by("id")
    assert [(i.kind, i.category) for i in items] == [("data", category), ("file", category)]
    assert {i.added_by for i in items} == {f"responder: {assignment.responder_name}"}
    assert Event.objects.filter(request=assignment.request, kind="package_item_added").count() == 2
    assert assignment.request.status == "in_progress"  # adding data answers nothing by itself


def test_a_category_outside_the_responders_part_is_refused_and_nothing_is_stored() -> None:
    assignment, link = fulfil_link()
    other = next(
        c.key for c in assignment.request.policy_version.policy.categories if c.key not in assignment.categories
    )
    response = Client().post(link, {"package": "1", "category": other, "rows": '[{"a": 1}]'})
    assert response.status_code == 200
    assert not PackageItem.objects.exists()


def test_an_erasure_has_no_package_to_add_to() -> None:
    assignment, link = fulfil_link("erasure")
    client = Client()
    assert "for the answer package" not in client.get(link).content.decode()
    client.post(link, {"package": "1", "category": assignment.categories[0], "rows": '[{"a": 1}]'})
    assert not PackageItem.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == "open"  # the package post did not count as the responder's answer
