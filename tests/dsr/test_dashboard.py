"""The staff dashboard and the register, on a known set of Leadsment's requests: exact counts, each the number
of rows its link lists; the on-time rate and median days per month; the register's exact lines, with no name
or email in them; and a team never sees another vendor's numbers or lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from typing import Any

import pytest
import time_machine

from dsr.models import OutgoingEmail, Request
from dsr.requests import register as register_module
from dsr.requests import stats, workflow
from policies.models import Vendor
from tests.factories import STAFF, identified, noon, routed, verified
from tests.staff import client_for, member

NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
C = Request.Status


def close(request: Request, status: str, on: dt.date) -> Request:
    if status != C.REJECTED:
        request = identified(request, now=noon(on))
    return workflow.close_request(request, status=status, message="Reasons given.", actor=STAFF, now=noon(on))


@pytest.fixture
def work(policies: None) -> dict[str, Request]:
    """Leadsment (Helsinki; answers within 30 days) on 15 June 2026, and one request of Leadoro's."""
    soon = routed(now=NOW - 26 * DAY, email="soon@example.com", subject_name="Sonja Soon")
    made = {
        "overdue": routed(now=NOW - 40 * DAY, email="over@example.com", subject_name="Olli Over"),
        "soon": identified(soon, now=NOW - 20 * DAY),
        "later": routed(now=NOW - 2 * DAY, request_type="access", email="later@example.com"),
        "unrouted": verified(now=NOW - DAY, email="new@example.com"),
        "on_time": close(
            routed(now=noon(dt.date(2026, 5, 1)), email="a@example.com"), C.COMPLETED, dt.date(2026, 5, 11)
        ),
        "late": close(routed(now=noon(dt.date(2026, 3, 20)), email="b@example.com"), C.REJECTED, dt.date(2026, 5, 20)),
        "withdrawn": workflow.withdraw_request(
            routed(now=noon(dt.date(2026, 5, 2)), email="c@example.com"), now=noon(dt.date(2026, 5, 5))
        ),
        "leadoro": routed(now=NOW - 3 * DAY, vendor_slug="leadoro", country="US", state="CA", email="d@example.com"),
    }
    OutgoingEmail.objects.create(
        key="failed-1",
        request=made["later"],
        kind="acknowledged",
        to="later@example.com",
        subject="s",
        body_text="b",
        status=OutgoingEmail.Status.FAILED,
    )
    return made


def tiles(user: Any) -> dict[str, int]:
    return {tile.key: tile.count for tile in stats.queue_tiles(user, NOW)}


def test_the_counts_of_a_known_day(work: dict[str, Request]) -> None:
    assert tiles(member("hanna")) == {
        "open": 4,
        "overdue": 1,
        "due_soon": 1,
        "identity": 3,  # the overdue and the unrouted erasures, the access request; not the checked one
        "policy_gap": 0,
        "unrouted": 1,
        "failed_emails": 1,
    }


def test_each_count_is_the_number_of_rows_its_link_lists(work: dict[str, Request]) -> None:
    for user in (member("hanna"), member("lia", "leadoro")):
        client = client_for(user)
        for tile in stats.queue_tiles(user, NOW):
            listing = "outgoingemail" if tile.target == "outgoingemail" else "request"
            with time_machine.travel(NOW, tick=False):
                page = client.get(f"/admin/dsr/{listing}/?{tile.query}")
            assert page.status_code == 200
            assert page.context_data["cl"].result_count == tile.count, (user.username, tile.key)
    assert tiles(user)["policy_gap"] == 1  # Leadoro's policy lacks its privacy contact


def test_a_team_sees_only_its_vendors_numbers(work: dict[str, Request]) -> None:
    assert tiles(member("lia", "leadoro")) == {
        "open": 1,
        "overdue": 0,
        "due_soon": 0,
        "identity": 1,
        "policy_gap": 1,
        "unrouted": 0,
        "failed_emails": 0,
    }
    names = [s.name for s in stats.monthly(member("lee", "leadoro"), NOW)]
    assert names == ["All your vendors"]  # Leadoro answered nothing; Leadsment's months are not shown
    page = client_for(member("lou", "leadoro")).get("/admin/dsr/request/dashboard/")
    assert "Leadsment" not in page.content.decode()


def test_the_months_on_time_rate_and_median_days(work: dict[str, Request]) -> None:
    series = stats.monthly(member("hanna"), NOW)
    assert [s.name for s in series] == ["All your vendors", "Leadsment"]
    for s in series:
        assert [m.month for m in s.months][0::11] == [dt.date(2025, 7, 1), dt.date(2026, 6, 1)]
        by_month = {m.month: m for m in s.months if m.answered}
        # May: one answered in 10 days on time, one refused 61 days after receipt, late; the withdrawn one
        # is not counted.
        assert list(by_month) == [dt.date(2026, 5, 1)]
        may = by_month[dt.date(2026, 5, 1)]
        assert (may.answered, may.on_time, may.on_time_rate, may.median_days) == (2, 1, 0.5, 35.5)


def test_the_months_are_the_same_where_the_database_has_no_median(
    work: dict[str, Request], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = member("hanna")
    in_sql = stats.monthly(user, NOW)
    monkeypatch.setattr(stats, "on_postgresql", lambda queryset: False)
    assert stats.monthly(user, NOW) == in_sql


def test_the_page_draws_the_charts_with_the_numbers_written_on_them(work: dict[str, Request]) -> None:
    with time_machine.travel(NOW, tick=False):
        page = client_for(member("hanna")).get("/admin/dsr/request/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="tile-overdue" href="/admin/dsr/request/?due=overdue"' in html
    assert html.count('<svg viewBox="0 0 640') == 4  # on time and days, for all vendors and for Leadsment
    assert ">50%</text>" in html and ">35.5 d</text>" in html
    charts = html.split('<svg viewBox="0 0 640')[1:]
    assert all("https://" not in chart.split("</svg>")[0] for chart in charts)


def register(client: Any, query: str = "") -> list[list[str]]:
    response = client.get(f"/admin/dsr/request/register.csv?{query}")
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_register_lists_each_request_with_its_dates_and_timeliness_and_nothing_personal(
    work: dict[str, Request], caplog: pytest.LogCaptureFixture
) -> None:
    hanna = member("hanna")
    with caplog.at_level(logging.INFO, logger="dsr.requests.register"):
        lines = register(client_for(hanna))
    late = work["late"]
    due_on = late.due_at.astimezone(dt.timezone(dt.timedelta(hours=3))).date().isoformat()  # Helsinki in summer
    assert tuple(lines[0]) == register_module.HEADER
    by_ref = {line[0]: line for line in lines[1:]}
    assert len(by_ref) == 7  # Leadsment's seven; not Leadoro's
    assert work["leadoro"].reference not in by_ref
    assert by_ref[late.reference] == [
        late.reference, "leadsment", "erasure", "account_user", "EU_GDPR", "2026-03-20", "2026-03-20", due_on,
        "2026-05-20", "Rejected", "late", "61",
    ]  # fmt: skip
    assert by_ref[work["on_time"].reference][8:] == ["2026-05-11", "Completed", "on time", "10"]
    assert by_ref[work["withdrawn"].reference][9:] == ["Withdrawn", "", ""]
    assert by_ref[work["unrouted"].reference][8:] == ["", "Email confirmed", "", ""]
    text = "\n".join(",".join(line) for line in lines)
    assert "@" not in text and "Alice" not in text and "Olli" not in text and "Virtanen" not in text
    assert f"Register exported by user {hanna.pk}" in caplog.text


def test_the_register_is_filtered_and_refuses_another_teams_vendor(
    work: dict[str, Request], caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(member("hanna"))
    assert [line[0] for line in register(client, "status=completed")[1:]] == [work["on_time"].reference]
    assert [line[0] for line in register(client, "request_type=access")[1:]] == [work["later"].reference]
    may = register(client, "received_from=2026-05-01&received_to=2026-05-31")[1:]
    assert {line[0] for line in may} == {work[key].reference for key in ("overdue", "soon", "on_time", "withdrawn")}
    assert register(client, "law=US_CA_CCPA")[1:] == []
    leadoro = Vendor.objects.get(slug="leadoro")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dsr.requests.register"):
        assert client.get(f"/admin/dsr/request/register.csv?vendor={leadoro.pk}").status_code == 400
    assert "Register exported" not in caplog.text
    with caplog.at_level(logging.INFO, logger="dsr.requests.register"):
        register(client, "status=completed&received_from=2026-05-01")
    assert "filters: received_from=2026-05-01, status=completed" in caplog.text
