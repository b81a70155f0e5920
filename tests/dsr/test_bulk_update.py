"""Many rows updated in one statement, each with its own values (dsr.bulk.update_each): what the
deadline sweep writes for a batch, on a database that joins a list of rows and on an SQLite too old to."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from dsr import bulk
from dsr.models import Assignment, OutgoingEmail
from tests.dsr.test_concurrency import route_some

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("joins_values", [True, False], ids=["update-from-values", "bulk-update-fallback"])
def test_each_row_gets_its_own_values_and_no_other_row_changes(
    joins_values: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "joins_values", lambda connection: joins_values)
    route_some(4)
    first, second, untouched, last = Assignment.objects.order_by("pk")
    before = Assignment.objects.values_list("reminders_sent", "escalated_at", "next_action_at").get(pk=untouched.pk)

    updated = bulk.update_each(
        Assignment,
        ["reminders_sent", "escalated_at", "next_action_at"],
        {
            first.pk: [[7], None, WHEN],  # a JSON list, a NULL timestamp beside a set one
            second.pk: [[7, 2], WHEN, None],
            last.pk: [[], None, None],  # a column all NULL in this row
            10**9: [[1], None, None],  # no such row: left out, as `update` does
        },
    )

    assert updated == 3
    rows = {
        pk: rest
        for pk, *rest in Assignment.objects.values_list("pk", "reminders_sent", "escalated_at", "next_action_at")
    }
    assert rows[first.pk] == [[7], None, WHEN]
    assert rows[second.pk] == [[7, 2], WHEN, None]
    assert rows[last.pk] == [[], None, None]
    assert tuple(rows[untouched.pk]) == before

    # A column that is NULL in every row of the list (a batch of reminders only: no escalation).
    assert bulk.update_each(Assignment, ["escalated_at"], {first.pk: [None], second.pk: [None]}) == 2
    assert list(Assignment.objects.filter(pk__in=[first.pk, second.pk]).values_list("escalated_at", flat=True)) == [
        None,
        None,
    ]


@pytest.mark.parametrize("joins_values", [True, False], ids=["update-from-values", "bulk-update-fallback"])
def test_a_row_whose_guard_field_is_null_is_left_as_it_is(joins_values: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the outbox stores after rendering a chunk: not over a row erased meanwhile (its context gone)."""
    monkeypatch.setattr(bulk, "joins_values", lambda connection: joins_values)
    kept, erased = (
        OutgoingEmail.objects.create(key=f"DSR-G{n}:verify", kind="verify", to="a@example.com", context={"n": n})
        for n in range(2)
    )
    OutgoingEmail.objects.filter(pk=erased.pk).update(subject="(redacted)", context=None)
    rendered = {pk: ["Confirm your request", None] for pk in (kept.pk, erased.pk)}
    assert bulk.update_each(OutgoingEmail, ["subject", "context"], rendered, unless_null="context") == 1
    rows = dict(OutgoingEmail.objects.values_list("pk", "subject"))
    assert rows == {kept.pk: "Confirm your request", erased.pk: "(redacted)"}


def test_sqlite_joins_a_list_of_rows_from_3_33() -> None:
    """`UPDATE ... FROM` came with SQLite 3.33.0 (2020-08-14, sqlite.org/releaselog/3_33_0.html)."""

    class Sqlite:
        vendor = "sqlite"

    class Postgres:
        vendor = "postgresql"

    assert bulk.joins_values(Postgres()) is True  # type: ignore[arg-type]
    assert bulk.joins_values(Sqlite()) is (sqlite3.sqlite_version_info >= (3, 33))  # type: ignore[arg-type]
