"""A request's page reads in one screen: who asks (the proven email), identity, the plan, the deadlines in
words and the timeline, no raw JSON, dates in the responder's zone; viewing it changes nothing but the
record that the staff member saw the person's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import Event, Request
from tests.factories import RECEIVED, routed

pytestmark = pytest.mark.usefixtures("policies")


@pytest.fixture
def lead(db: None) -> Client:
    user: Any = get_user_model().objects.create_superuser("lea", "lea@example.org", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_proven_email_identity_plan_and_deadlines_in_words(lead: Client) -> None:
    # Confirmed at 22:30 UTC on 31 January: already 1 February in Helsinki, where Leadsment answers.
    request = routed(now=RECEIVED + dt.timedelta(hours=12, minutes=30), agent_name="Rights Agency Oy")
    before = (Event.objects.count(), list(Request.objects.values()))
    last = request.events.latest("id").pk
    page = lead.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "alice@example.com <strong>proven</strong> on 1 Feb 2026" in page
    assert "Rights Agency Oy" in page and "not recorded yet" in page
    assert "not checked yet" in page and "Only what is proportionate" in page  # the level, in words
    assert "Leadsment" in page and "Answer and close" in page
    assert "2 Mar 2026" in page  # the target date, the responder's day
    assert "Due " in page and "<details>" in page  # the explanation, citations folded away
    assert '{"' not in page and "&quot;steps&quot;" not in page and '"law_codes"' not in page  # no raw JSON
    assert "2026-" not in page.split('class="dsr-page"')[1]  # no ISO or UTC dates for a person to misread
    # Only the access log moved: one "viewed" event, and the timeline's head on the request with it.
    assert list(Event.objects.filter(pk__gt=last).values_list("kind", "actor")) == [("viewed", "lea")]
    after = list(Request.objects.values())
    assert [row.pop("last_event_hash") for row in after] != [row.pop("last_event_hash") for row in before[1]]
    assert (Event.objects.count() - 1, after) == before
