"""At a million requests the jobs and the staff list read through indexes, never the whole table.

Each test fills the table with 30,000 requests (copies of one, most of them long closed, as a year of
work looks), analyses it, and reads PostgreSQL's plan (EXPLAIN) for the query the product runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dsr.models import Request, StaffMembership
from dsr.privacy import retention
from dsr.requests import sweeps, workflow
from policies.models import Vendor
from tests.factories import LATER, RECEIVED, STAFF, identified, routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]


@pytest.fixture(autouse=True)
def a_year_of_requests(policies: None) -> None:
    """30,000 requests: one real one routed and closed, copied with new references and dates."""
    request = identified(routed(vendor_slug="sera-leads", country="EE"))
    workflow.close_request(request, status="completed", message="Done.", actor=STAFF, now=LATER)
    copied = ", ".join(
        f'"{f.column}"'
        for f in Request._meta.concrete_fields
        if f.column not in ("id", "reference", "received_at") and not f.generated
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO dsr_request (reference, received_at, {copied})
                SELECT 'DSR-' || lpad(i::text, 8, '0'), %s - make_interval(mins => i), {copied}
                FROM dsr_request, generate_series(1, 30000) AS i WHERE id = %s""",
            [RECEIVED, request.pk],
        )
        # Spread over the five vendors; most closed requests already purged, a few still to purge or
        # unconfirmed, as on any day.
        cursor.execute(
            """UPDATE dsr_request r SET vendor_id = v.id FROM
               (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM policies_vendor) v
               WHERE v.n = (substr(r.reference, 5)::int % 5) AND r.reference LIKE 'DSR-0%'"""
        )
        cursor.execute("UPDATE dsr_request SET purged_at = %s WHERE reference LIKE 'DSR-0%%'", [LATER])
        cursor.execute("UPDATE dsr_request SET purged_at = NULL WHERE reference LIKE 'DSR-000002%'")
        cursor.execute("UPDATE dsr_request SET status = 'submitted' WHERE reference LIKE 'DSR-000000%'")
        # A day's open work: the queue puts it first, soonest due first.
        cursor.execute("UPDATE dsr_request SET status = 'in_progress' WHERE reference LIKE 'DSR-000001%'")
        cursor.execute("ANALYZE dsr_request")


def plan(sql: str, params: object = None) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_of(queryset: object) -> str:
    sql, params = queryset.query.sql_with_params()  # type: ignore[attr-defined]
    return plan(sql, params)


def test_expiry_purge_and_reconcile_each_use_their_partial_index() -> None:
    now = RECEIVED + dt.timedelta(days=3 * 365 + 30)
    assert "dsr_request_unverified" in plan_of(retention.unverified_due(now=now))
    assert "dsr_request_to_purge" in plan_of(retention.closed_due(now=now))
    assert "dsr_request_unrouted" in plan_of(sweeps.unrouted_due(now=now))


def read_in_order(explained: str) -> None:
    """One page read from an ordering index: no scan of the whole table, no sort of it."""
    assert "Seq Scan on dsr_request" not in explained, explained
    assert "Sort Key" not in explained, explained
    assert "dsr_request_queue" in explained or "dsr_request_vendor_queue" in explained, explained


def list_query(client: Client) -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/dsr/request/").status_code == 200
    selects = [q["sql"] for q in queries if 'FROM "dsr_request"' in q["sql"] and "ORDER BY" in q["sql"]]
    assert selects, [q["sql"] for q in queries]
    # With one page of results the admin reads them all; at a million it reads one page (LIMIT 100).
    sql = selects[-1]
    return sql if "LIMIT" in sql else sql + " LIMIT 100"


def test_the_staff_list_reads_its_page_from_the_ordering_index_and_counts_at_most_a_cap() -> None:
    admin = get_user_model().objects.create_superuser("lead", "lead@example.org", "pw")
    client = Client()
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/dsr/request/").content.decode()
    assert "more than 10000 requests" in page
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "dsr_request" in q["sql"]]
    assert counts and all("LIMIT 10001" in sql for sql in counts), counts
    read_in_order(plan(list_query(client)))


def test_one_teams_list_reads_from_the_vendor_ordering_index() -> None:
    user = get_user_model().objects.create_user("sera", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"))
    client = Client()
    client.force_login(user)
    sql = list_query(client)
    assert '"law_entries"' not in sql and '"document"' not in sql  # heavy JSON is not read for a list
    read_in_order(plan(sql))
