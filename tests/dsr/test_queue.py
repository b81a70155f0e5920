"""The staff queue in the admin: ordered by due date, filtered, searched, owned and worked in bulk, and
never showing or touching another vendor's request."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dsr.models import Event, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.timeline import Actor
from policies.models import Vendor
from tests.factories import LATER, RECEIVED, STAFF, identified, routed
from tests.staff import client_for, member

pytestmark = pytest.mark.usefixtures("policies")

LIST = "/admin/dsr/request/"
NOW = RECEIVED + dt.timedelta(days=10)


def listed(client: Client, query: str = "") -> list[str]:
    """The references on the queue's page, in order."""
    with time_machine.travel(NOW, tick=False):
        page = client.get(LIST + query)
    assert page.status_code == 200
    return [found[0] for row in rows(page.content.decode()) if (found := re.findall(r"DSR-[A-Z0-9]{8}", row))]


def rows(page: str) -> list[str]:
    """The queue's rows (none where the list is empty)."""
    table = page.split('id="result_list"')[1:]
    return table[0].split("<tr")[2:] if table else []


def refs(*requests: Request) -> list[str]:
    return [r.reference for r in requests]


@pytest.fixture
def work() -> dict[str, Request]:
    """Leadsment's requests: received on different days, so due on different days; one closed."""
    late = routed(now=RECEIVED, email="late@example.com", subject_name="Lauri Late")  # due 2 Mar
    soon = routed(now=RECEIVED + dt.timedelta(days=5), email="soon@example.com", subject_name="Sanna Soon")  # 5 Mar
    agent = routed(
        now=RECEIVED + dt.timedelta(days=3),  # due 3 Mar
        email="agent@example.com",
        subject_name="Pekka Person",
        agent_name="Rights Agency Oy",
        customer_name="Kauppa Oy",
        request_type="access",
    )
    closed = identified(routed(now=RECEIVED - dt.timedelta(days=1), email="done@example.com"))
    for erasure in (late, soon):  # the recipients are told (else "Recipients to tell" is the state shown)
        for task in erasure.assignments.filter(action__in=["propagate", "identify_recipients"]):
            workflow.record_recipients_told(task, told="Stripe and the hosts told.", actor=STAFF, now=LATER)
    workflow.close_request(closed, status="completed", message="Erased.", actor=STAFF, now=LATER)
    identified(soon)
    return {"late": late, "soon": soon, "agent": agent, "closed": closed}


def test_open_requests_come_first_soonest_due_then_closed_ones(work: dict[str, Request]) -> None:
    handler = member("hanna")
    assert listed(client_for(handler)) == refs(work["late"], work["agent"], work["soon"], work["closed"])


def test_each_row_shows_its_state_and_days_left(work: dict[str, Request]) -> None:
    with time_machine.travel(RECEIVED + dt.timedelta(days=25), tick=False):
        page = client_for(member("hanna")).get(LIST).content.decode()
    by_ref = {re.findall(r"DSR-[A-Z0-9]{8}", row)[0]: row for row in rows(page)}
    assert "Waiting for identity" in by_ref[work["late"].reference]
    assert "5 days left" in by_ref[work["late"].reference]  # 25 Feb to 2 Mar
    assert "On track" in by_ref[work["soon"].reference]  # identity recorded, due 5 Mar: 8 days
    assert "Closed" in by_ref[work["closed"].reference]


def test_each_row_has_djangos_own_action_checkbox_and_the_bulk_actions_take_it(work: dict[str, Request]) -> None:
    """The list writes each row's checkbox itself (not through the form widget's templates): the markup is
    exactly what Django's `action_checkbox` renders, so the bulk actions and their JavaScript still work."""
    page = client_for(member("hanna")).get(LIST).content.decode()
    site_admin = admin.site._registry[Request]
    for request in work.values():
        assert admin.ModelAdmin.action_checkbox(site_admin, request) in page


def test_a_team_members_list_asks_once_whether_they_are_on_a_team(work: dict[str, Request]) -> None:
    """The admin asks whether the user may see each model it lists: the team membership is read once per
    page, not once per model (twenty statements at every page view)."""
    client = client_for(member("hanna"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    membership_checks = [
        q["sql"]
        for q in queries.captured_queries
        if re.fullmatch(
            r'SELECT 1 AS "a" FROM "dsr_staffmembership" WHERE "dsr_staffmembership"."user_id" = \d+ LIMIT 1', q["sql"]
        )
    ]
    assert len(membership_checks) == 1, membership_checks


def test_filters_narrow_the_queue(work: dict[str, Request]) -> None:
    handler = member("hanna")
    client = client_for(handler)
    late, soon, agent, closed = work["late"], work["soon"], work["agent"], work["closed"]
    with time_machine.travel(RECEIVED + dt.timedelta(days=30), tick=False):  # 2 Mar: late is due today
        assert set(re.findall(r"DSR-[A-Z0-9]{8}", client.get(LIST + "?due=soon").content.decode())) >= {late.reference}
    with time_machine.travel(RECEIVED + dt.timedelta(days=31, hours=1), tick=False):
        page = client.get(LIST + "?due=overdue").content.decode()
        assert late.reference in page and soon.reference not in page
    assert listed(client, "?due=later") == refs(late, agent, soon)
    assert listed(client, "?identity=waiting") == refs(late, agent)
    assert listed(client, "?identity=checked") == refs(soon, closed)
    assert listed(client, "?status=completed") == refs(closed)
    assert listed(client, "?request_type=access") == refs(agent)
    assert listed(client, "?law=EU_GDPR") == refs(late, agent, soon, closed)
    assert listed(client, "?law=US_CA_CCPA") == []
    assert listed(client, "?gap=yes") == []
    assert listed(client, "?gap=no") == refs(late, agent, soon, closed)
    workflow.assign_owner(soon, owner=handler, actor=Actor.staff(handler, "handler"), now=LATER)
    assert listed(client, f"?owner={handler.pk}") == refs(soon)
    assert listed(client, "?owner=none") == refs(late, agent, closed)
    assert listed(client, "?work=mine") == refs(soon)
    assert listed(client_for(member("other")), "?work=mine") == []


def test_search_by_reference_email_name_agent_and_customer(work: dict[str, Request]) -> None:
    client = client_for(member("hanna"))
    assert listed(client, f"?q={work['soon'].reference.lower()}") == refs(work["soon"])
    assert listed(client, "?q=SOON@example.com") == refs(work["soon"])
    assert listed(client, "?q=lauri") == refs(work["late"])
    assert listed(client, "?q=rights agency") == refs(work["agent"])
    assert listed(client, "?q=kauppa") == refs(work["agent"])
    assert listed(client, "?q=nobody@example.com") == []


def test_a_handler_assigns_but_only_a_lead_takes_a_request_from_its_owner() -> None:
    request = routed()
    hanna, heikki, lea = member("hanna"), member("heikki"), member("lea", role="lead")
    outsider = member("sven", vendor="sera-leads")
    as_hanna = Actor.staff(hanna, "handler")
    workflow.assign_owner(request, owner=hanna, actor=as_hanna, now=LATER)
    workflow.assign_owner(request, owner=heikki, actor=as_hanna, now=LATER)  # her own: she hands it on
    with pytest.raises(DomainError, match="not an action for handler"):
        workflow.assign_owner(request, owner=hanna, actor=as_hanna, now=LATER)  # heikki's now
    with pytest.raises(DomainError, match="not on Leadsment"):
        workflow.assign_owner(request, owner=outsider, actor=Actor.staff(lea, "lead"), now=LATER)
    workflow.assign_owner(request, owner=lea, actor=Actor.staff(lea, "lead"), now=LATER)
    request.refresh_from_db()
    assert request.owner == lea
    assert list(request.events.filter(kind="owner_assigned").values_list("message", flat=True)) == [
        "Assigned to hanna.",
        "Reassigned from hanna to heikki.",
        "Reassigned from heikki to lea.",
    ]


def bulk(client: Client, action: str, requests: list[Request], **form: str) -> Any:
    data = {"action": action, "_selected_action": [str(r.pk) for r in requests], "apply": "1", **form}
    return client.post(LIST, data)


def test_bulk_assign_spam_and_duplicate_go_through_the_workflow(work: dict[str, Request]) -> None:
    handler, lead = member("hanna"), member("lea", role="lead")
    late, soon, agent = work["late"], work["soon"], work["agent"]
    assert bulk(client_for(handler), "assign_selected", [late, agent], owner=str(handler.pk)).status_code == 302
    assert Request.objects.filter(owner=handler).count() == 2
    # A handler cannot close as spam: it is a refusal, a lead's call. Nothing changes.
    bulk(client_for(handler), "mark_spam_selected", [late], reason="Advertising.")
    late.refresh_from_db()
    assert late.status == "in_progress"
    bulk(client_for(lead), "mark_spam_selected", [late], reason="Advertising text, no request.")
    late.refresh_from_db()
    assert late.status == "rejected"
    spam = late.events.get(kind="rejected")
    assert spam.data == {"closed_as": "spam", "reason": "Advertising text, no request."} and spam.actor == "lea"
    assert OutgoingEmail.objects.filter(request=late, kind="rejected", to="late@example.com").exists()
    # The same person's second request joins their open one, which answers them.
    again = routed(
        now=RECEIVED + dt.timedelta(days=6), email="soon@example.com", subject_name="Sanna Soon", request_type="access"
    )
    bulk(client_for(handler), "mark_duplicate_selected", [again], of=soon.reference, reason="Same ask.")
    again.refresh_from_db()
    assert again.status == "duplicate"
    assert again.events.get(kind="duplicate").data["of"] == soon.pk
    assert soon.events.filter(kind="repeated").exists()
    # Another person's request is not closed onto it: its answer would not reach them.
    bulk(client_for(handler), "mark_duplicate_selected", [agent], of=soon.reference, reason="Same ask.")
    agent.refresh_from_db()
    assert agent.status == "in_progress"


def test_another_vendors_staff_cannot_see_find_filter_open_act_on_or_bulk_a_request(
    work: dict[str, Request],
) -> None:
    sven = member("sven", vendor="sera-leads")
    client = client_for(sven)
    target = work["soon"]
    before = (Event.objects.count(), list(Request.objects.order_by("pk").values()))
    assert listed(client) == []
    assert listed(client, f"?q={target.reference}") == []
    assert listed(client, "?q=soon@example.com") == []
    leadsment = Vendor.objects.get(slug="leadsment")
    assert listed(client, f"?vendor={leadsment.pk}") == []
    page = client.get(LIST).content.decode()
    assert "Leadsment" not in page  # not offered as a filter choice either
    assert "hanna" not in page
    assert client.get(f"{LIST}{target.pk}/change/").status_code == 404
    assert client.get(f"{LIST}{target.pk}/act/pause/").status_code == 404
    assert client.post(f"{LIST}{target.pk}/act/pause/", {"kind": "identity", "on": "2026-02-10"}).status_code == 404
    assert bulk(client, "assign_selected", [target], owner=str(sven.pk)).status_code == 302
    assert bulk(client, "mark_spam_selected", [target], reason="x").status_code == 302
    assert bulk(client, "mark_duplicate_selected", [target], of=work["late"].reference, reason="x").status_code == 302
    assert (Event.objects.count(), list(Request.objects.order_by("pk").values())) == before
