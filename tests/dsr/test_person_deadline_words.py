"""The deadline told to the person (dsr.engine.explain.render_for_person): each step's plain sentence, and no
citation or verification mark. Pure: stored results as the engine writes them, no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation

from dsr.engine.explain import render_for_person

D = dt.date


def stored(kind: str, due: str, *steps: dict[str, Any], promise: dict[str, Any] | None = None) -> dict[str, Any]:
    law = {"kind": kind, "due_date": due, "binding": True, "steps": list(steps)}
    deadlines = [law, promise] if promise else [law]
    strictest = min((d for d in deadlines), key=lambda d: d["due_date"])
    return {"strictest": strictest, "deadlines": deadlines}


def step(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params, "source": {"cite": "Art 1", "url": None}, "mark": "V"}


def words(data: dict[str, Any], due: dt.date) -> str:
    with translation.override("en"):
        return " ".join(render_for_person(data, due=due))


def test_a_period_counting_the_day_of_receipt_says_so() -> None:
    """CCPA 11 CCR 7021(b) and DPDP Rule 14(3) (as read): the day of receipt is day 1."""
    count = step("count_days", amount=45, unit="days", start="2026-03-05", first_day_counts=True, restart=False)
    text = words(stored("response", "2026-04-18", step("due", due="2026-04-18"), count), D(2026, 4, 18))
    assert "It is 45 days counted from the day we received your request, March 5, 2026, as the first day." in text
    assert "Art 1" not in text and "Status" not in text


def test_paused_days_an_extension_and_a_restart_are_told() -> None:
    """UK GDPR Art 12A / DPA 2018 s.54(3C): the stopped days do not count; Art 12(3): extended by two months."""
    data = stored(
        "response",
        "2026-06-10",
        step("extended", due="2026-06-10", amount=2, unit="months"),
        step("count_months", amount=3, unit="months", start="2026-03-02", restart=True),
        step("clock_stopped", days=7, unit="days", end="2026-06-09"),
        step("roll_weekend", date="2026-06-06", to="2026-06-08", basis=""),
        step("roll_holiday", date="2026-06-07", to="2026-06-08", basis=""),
    )
    text = words(data, D(2026, 6, 10))
    assert "The deadline was extended by 2 months, as the law allows." in text
    assert "The count started again on March 2, 2026" in text
    assert "The 7 days we waited for your answer do not count." in text
    assert text.count("is not a working day") == 1


def test_a_working_day_period_and_a_month_end() -> None:
    data = stored(
        "opt_out",
        "2026-03-31",
        step("due", due="2026-03-31"),
        step("count_business_days", amount=1, unit="business_days", start="2026-03-30", first_day_counts=False),
        step("clamp_month_end", day=31, end="2026-02-28", basis=""),
    )
    text = words(data, D(2026, 3, 31))
    assert "It is 1 working day counted from the day after" in text
    assert "the period ends on the last day of the month" in text


def test_a_promise_with_no_statutory_date_is_the_only_date_told() -> None:
    promise = {
        "kind": "promise",
        "due_date": "2026-04-01",
        "binding": True,
        "steps": [step("promise", vendor="Leadsment", amount=30, unit="days", due="2026-04-01", quote="")],
    }
    data = stored("response", "", step("no_fixed_period", rule="", note=""), promise=None)
    data = {"strictest": promise, "deadlines": [data["deadlines"][0] | {"due_date": None}, promise]}
    text = words(data, D(2026, 4, 1))
    assert text == "Leadsment promises to answer within 30 days, so we aim to answer by April 1, 2026."


def test_no_date_at_all_tells_the_office_target() -> None:
    data = {"strictest": None, "deadlines": [{"kind": "appeal", "due_date": None, "binding": True, "steps": []}]}
    assert "We aim to answer by April 4, 2026" in words(data, D(2026, 4, 4))
    assert render_for_person(data, due=None) == []
