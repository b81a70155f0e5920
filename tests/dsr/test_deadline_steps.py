"""The deadline engine's steps: what it did, as data, and the words dsr/engine/explain.py makes of them.

The worked examples are those of tests/dsr/test_deadlines.py (reference: legal-rules.md, section numbers
below). Each test checks the steps a translator or another screen would read, their source and V/S/U
mark, and that telling those steps gives exactly the sentence staff see (`Deadline.explanation`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dsr.engine.deadlines import Deadline, DeadlineResult, ExtensionRequest, Pause, Promise, compute_deadlines
from dsr.engine.explain import render, render_english, render_strictest
from dsr.engine.steps import Step
from dsr.models import Request
from policies.laws import LawRules, default_laws_path, load_laws_file
from tests.factories import verified

D = dt.date
LAWS: dict[str, LawRules] = load_laws_file(default_laws_path()).by_code()
LEADSMENT = Promise(30, "days", ("all",), "We respond within 30 days, typically much sooner.", "Leadsment")


def run(codes: list[str], received: dt.date, *, tz: str, country: str | None, **kwargs: Any) -> DeadlineResult:
    return compute_deadlines(
        [LAWS[c] for c in codes],
        request_type="access",
        received_at=dt.datetime.combine(received, dt.time(12), tzinfo=ZoneInfo(tz)),
        timezone=tz,
        country=country,
        **kwargs,
    )


def response(result: DeadlineResult, code: str) -> Deadline:
    (found,) = [d for d in result.deadlines if d.kind == "response" and d.law_code == code]
    return found


def codes(deadline: Deadline) -> list[str]:
    return [step.code for step in deadline.steps]


def step(deadline: Deadline, code: str) -> Step:
    (found,) = [s for s in deadline.steps if s.code == code]
    return found


def test_gdpr_31_january_is_clamped_to_28_february_then_rolled_to_monday_2_march() -> None:
    # md §1.1 row 2: one month from 31 Jan 2026 -> 28 Feb (Art 3(2)(c)), a Saturday -> Mon 2 Mar (Art 3(4)).
    deadline = response(run(["EU_GDPR"], D(2026, 1, 31), tz="Europe/Tallinn", country="EE"), "EU_GDPR")
    assert codes(deadline) == ["due", "count_months", "clamp_month_end", "roll_weekend", "roll_weekend", "verification"]
    assert deadline.steps[0].params == {"due": D(2026, 3, 2)}
    count = step(deadline, "count_months")
    assert count.params["amount"] == 1 and count.params["start"] == D(2026, 1, 31)
    assert count.params["from"] == "receipt" and not count.params["restart"]
    assert count.source is not None and count.source.cite == "GDPR Art 12(3)"
    assert count.source.url and count.source.url.startswith("https://")
    assert count.mark == "V"
    clamp = step(deadline, "clamp_month_end")
    assert clamp.params["day"] == 31 and clamp.params["end"] == D(2026, 2, 28)
    assert "1182/71 Art 3(2)(c)" in clamp.params["basis"]
    rolls = [s.params for s in deadline.steps if s.code == "roll_weekend"]
    assert [r["date"] for r in rolls] == [D(2026, 2, 28), D(2026, 3, 1)]
    assert {r["to"] for r in rolls} == {D(2026, 3, 2)} and rolls[0]["basis"] == "Reg 1182/71 Art 3(4)"
    assert step(deadline, "verification").mark == "V"
    assert (
        render_english(deadline.steps)
        == deadline.explanation
        == (
            "Due Monday 2 March 2026: GDPR Art 12(3) gives one month from receipt on 31 January 2026; February 2026 "
            "has no 31st, so the period ends on the last day of that month, 28 February 2026 (Reg (EEC, Euratom) "
            "1182/71 Art 3(2)(c)); 28 February 2026 is a Saturday and 1 March 2026 is a Sunday, so the period ends on "
            "the next working day (Reg 1182/71 Art 3(4)). (Status V: verified against the legal text.)"
        )
    )


def test_a_public_holiday_is_a_step_with_its_name() -> None:
    # 24 Jan 2026 + 1 month = Tue 24 Feb, Estonia's Independence Day -> Wed 25 Feb.
    deadline = response(run(["EU_GDPR"], D(2026, 1, 24), tz="Europe/Tallinn", country="EE"), "EU_GDPR")
    roll = step(deadline, "roll_holiday")
    assert roll.params["date"] == D(2026, 2, 24) and roll.params["to"] == D(2026, 2, 25)
    assert roll.params["holiday"] == "Independence Day" and roll.params["place"] == "EE"
    assert "public holiday in EE (Independence Day)" in render(deadline.steps)


def test_ico_3_september_to_3_october_needs_no_roll() -> None:
    # md §1.2 (ICO SAR checklist, V): received 3 Sep, due 3 Oct (a Friday).
    deadline = response(run(["UK_GDPR"], D(2025, 9, 3), tz="Europe/London", country="GB"), "UK_GDPR")
    assert codes(deadline) == ["due", "count_months", "verification"]
    count = step(deadline, "count_months")
    assert (count.params["start"], count.params["end"], count.params["clamped"]) == (
        D(2025, 9, 3),
        D(2025, 10, 3),
        False,
    )
    assert count.source is not None and count.source.cite == "UK GDPR Art 12(3) with Art 12A"
    verification = step(deadline, "verification")
    assert verification.mark == "V" and "Art 12A wording is S" in verification.params["note"]
    assert render(deadline.steps) == deadline.explanation


def test_a_clarification_pause_stops_the_uk_clock() -> None:
    # md §1.2 (DPA s.54(3C)(b), V): 9 Feb + 1 month = 9 Mar; the period beginning with the day the controller
    # asks (11 Feb) and ending with the day the answer arrives (16 Feb) does not count: 6 days, both ends included.
    # 9 Mar + 6 = Sun 15 Mar -> Mon 16 Mar.
    pauses = [Pause(D(2026, 2, 11), D(2026, 2, 16), "clarification")]
    deadline = response(run(["UK_GDPR"], D(2026, 2, 9), tz="Europe/London", country="GB", pauses=pauses), "UK_GDPR")
    assert codes(deadline) == [
        "due",
        "count_months",
        "clock_stopped",
        "roll_weekend",
        "pause_stops_clock",
        "verification",
    ]
    assert step(deadline, "clock_stopped").params == {"days": 6, "unit": "days", "end": D(2026, 3, 15)}
    pause = step(deadline, "pause_stops_clock")
    assert pause.params["kind"] == "clarification" and pause.params["days"] == 6 and not pause.params["superseded"]
    assert pause.source is not None and "DPA 2018 s.54(3C)-(3D)" in pause.source.cite
    assert pause.mark == LAWS["UK_GDPR"].pause.status
    assert deadline.pauses[0].step == pause
    assert render(deadline.steps) == deadline.explanation


def test_an_identity_pause_the_gdpr_does_not_recognise_is_a_step_with_the_reason() -> None:
    pauses = [Pause(D(2026, 3, 5), D(2026, 3, 10), "identity")]
    deadline = response(run(["EU_GDPR"], D(2026, 3, 3), tz="Europe/Tallinn", country="EE", pauses=pauses), "EU_GDPR")
    ignored = step(deadline, "pause_ignored")
    assert ignored.params["reason"] == "law" and ignored.params["kind"] == "identity"
    assert "clock_stopped" not in codes(deadline)
    assert render(deadline.steps) == deadline.explanation


def test_a_uk_restart_marks_the_earlier_stop_as_superseded() -> None:
    pauses = [Pause(D(2026, 3, 4), D(2026, 3, 6), "clarification"), Pause(D(2026, 3, 6), D(2026, 3, 10), "identity")]
    deadline = response(run(["UK_GDPR"], D(2026, 3, 3), tz="Europe/London", country="GB", pauses=pauses), "UK_GDPR")
    stop, restart = (s for s in deadline.steps if s.code.startswith("pause_"))
    assert stop.code == "pause_stops_clock" and stop.params["superseded"]
    assert restart.code == "pause_restarts_clock" and restart.params["end"] == D(2026, 3, 10)
    assert step(deadline, "count_months").params["restart"] and step(deadline, "count_months").params["start"] == D(
        2026, 3, 10
    )
    assert "but the period later restarted" in deadline.explanation
    assert render(deadline.steps) == deadline.explanation


def test_an_extension_is_a_step_with_its_own_source() -> None:
    # md §1.1 row 2: extended, 3 months from receipt on 31 Jan -> 30 Apr 2026 (clamped), announced on 2 Mar.
    result = run(
        ["EU_GDPR"],
        D(2026, 1, 31),
        tz="Europe/Tallinn",
        country=None,
        extension=ExtensionRequest(taken=True, announced_on=D(2026, 3, 2)),
    )
    deadline = response(result, "EU_GDPR")
    assert codes(deadline) == ["extended", "count_months", "clamp_month_end", "verification"]
    head = deadline.steps[0]
    assert head.params["due"] == D(2026, 4, 30) and head.params["unextended"] == D(2026, 3, 2)
    assert (head.params["amount"], head.params["unit"]) == (2, "months")
    assert head.params["announced_on"] == D(2026, 3, 2) and head.params["notice_due"] == D(2026, 3, 2)
    assert head.source == LAWS["EU_GDPR"].extension.source and head.mark == LAWS["EU_GDPR"].extension.status
    count = step(deadline, "count_months")
    assert count.params["amount"] == 3 and count.source is None  # the headline already named the rule
    assert "ICO: 3 months" in step(deadline, "clamp_month_end").params["basis"]
    assert render(deadline.steps) == deadline.explanation


def test_ccpa_45_days_are_receipt_plus_44() -> None:
    # md §1.3: reg 7021(b) "will begin on the day" of receipt: 1 Jun 2026 is day 1, day 45 is 15 Jul.
    result = run(["US_CA_CCPA"], D(2026, 6, 1), tz="America/Los_Angeles", country="US")
    deadline = response(result, "US_CA_CCPA")
    assert codes(deadline) == ["due", "count_days", "verification"]
    count = step(deadline, "count_days")
    assert count.params["amount"] == 45 and count.params["first_day_counts"]
    assert (count.params["start"], count.params["end"]) == (D(2026, 6, 1), D(2026, 7, 15))
    assert count.source is not None and count.source.cite == "11 CCR 7021(b)" and count.mark == "V"
    assert render(deadline.steps) == deadline.explanation


def test_leadsments_30_day_promise_is_the_strictest() -> None:
    # 1 Jan 2026: the promise ends Sat 31 Jan (never moved); GDPR 1 Feb is a Sunday -> Mon 2 Feb; CCPA 14 Feb.
    result = run(["EU_GDPR", "US_CA_CCPA"], D(2026, 1, 1), tz="Europe/Helsinki", country="FI", promises=[LEADSMENT])
    promise = result.strictest
    assert promise is not None and promise.kind == "promise"
    assert codes(promise) == ["promise", "count_days", "no_roll", "promise_not_moved"]
    head = promise.steps[0]
    assert head.params["vendor"] == "Leadsment" and (head.params["amount"], head.params["unit"]) == (30, "days")
    assert head.source is not None and head.source.cite == LEADSMENT.cite and head.mark is None
    assert step(promise, "no_roll").params["date"] == D(2026, 1, 31)
    why = result.strictest_step
    assert why is not None and why.code == "strictest"
    assert why.params["rule"] == "promise: Leadsment" and why.params["due"] == D(2026, 1, 31)
    assert {(c["rule"], c["due"]) for c in why.params["compared"]} >= {
        ("EU_GDPR", D(2026, 2, 2)),
        ("promise: Leadsment", D(2026, 1, 31)),
    }
    assert (
        render(promise.steps)
        == promise.explanation
        == (
            'Due Saturday 31 January 2026: Leadsment promises "We respond within 30 days, typically much sooner.", '
            "counted as 30 days after receipt on 1 January 2026 (that day itself is not counted), so the last day is "
            "31 January 2026; 31 January 2026 is a Saturday, but this deadline does not move to the next working day. "
            "A promise is read the earlier way: it is not moved for weekends or holidays, not paused and not extended."
        )
    )
    assert render_strictest(why).startswith("The strictest deadline is Saturday 31 January 2026 (promise: Leadsment)")


def test_steps_are_data_that_round_trip_through_json() -> None:
    pauses = [Pause(D(2026, 3, 5), D(2026, 3, 12), "clarification")]
    result = run(
        ["UK_GDPR", "US_CA_CCPA"],
        D(2026, 3, 2),
        tz="Europe/London",
        country="GB",
        promises=[LEADSMENT],
        pauses=pauses,
        extension=ExtensionRequest(taken=True, announced_on=D(2026, 3, 20)),
    )
    data = result.as_dict()
    assert json.loads(json.dumps(data)) == data
    uk = next(d for d in data["deadlines"] if d["law_code"] == "UK_GDPR" and d["kind"] == "response")
    assert uk["steps"][0]["code"] == "extended"
    assert uk["steps"][0]["params"]["announced_on"] == "2026-03-20"
    assert uk["steps"][0]["source"]["cite"] == LAWS["UK_GDPR"].extension.source.cite
    assert uk["pauses"][0]["step"]["code"] == "pause_stops_clock"
    assert data["strictest_step"]["code"] == "strictest"
    # Every deadline's explanation is what its steps say.
    for deadline in result.deadlines:
        assert render_english(deadline.steps) == deadline.explanation


@pytest.mark.usefixtures("policies")
def test_a_verified_request_stores_its_deadlines_steps() -> None:
    # Received Sat 31 Jan 2026 (tests/factories.py): GDPR clamps to 28 Feb and rolls to Mon 2 Mar.
    request = Request.objects.get(pk=verified().pk)
    stored = request.deadlines["strictest"]
    assert stored["due_date"] == "2026-03-02"
    assert [s["code"] for s in stored["steps"]][:3] == ["due", "count_months", "clamp_month_end"]
    assert stored["steps"][0]["params"] == {"due": "2026-03-02"}
    assert stored["steps"][1]["source"]["cite"] == "GDPR Art 12(3)" and stored["steps"][1]["mark"] == "V"
    assert request.deadlines["strictest_step"]["params"]["due"] == "2026-03-02"
