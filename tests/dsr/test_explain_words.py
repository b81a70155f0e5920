"""The words staff and people read for the deadline engine's steps (dsr/engine/explain.py), pinned.

`Deadline.explanation` is what staff paste into letters: each test gives the renderer the steps of one
kind of deadline (a headline, the counting, the pauses, the closing notes) and checks the exact English.
The engine's own worked examples, with these words, are in tests/dsr/test_deadline_steps.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.engine.explain import render_english, render_pause_english, render_strictest
from dsr.engine.steps import Step
from policies.laws import Source

D = dt.date
A = Source("Art 1", "https://x")


JAN_5, FEB_5 = D(2026, 1, 5), D(2026, 2, 5)


def months(amount=1, start=JAN_5, end=FEB_5, src=A, restart=False, frm="receipt", clamped=False):
    return Step(
        "count_months",
        {
            "amount": amount,
            "unit": "months",
            "start": start,
            "end": end,
            "from": frm,
            "restart": restart,
            "basis": "",
            "clamped": clamped,
        },
        src,
        "V",
    )


def days(amount, start, end, first, frm="receipt", restart=False, basis="", src=A):
    return Step(
        "count_days",
        {
            "amount": amount,
            "unit": "days",
            "start": start,
            "end": end,
            "from": frm,
            "restart": restart,
            "basis": basis,
            "first_day_counts": first,
        },
        src,
        "V",
    )


def bdays(
    amount,
    start,
    end,
    first,
    working=True,
    holiday=None,
    place="US-CA",
    hols=(),
    frm="receipt",
    restart=False,
    basis="",
):
    return Step(
        "count_business_days",
        {
            "amount": amount,
            "unit": "business_days",
            "start": start,
            "end": end,
            "from": frm,
            "restart": restart,
            "basis": basis,
            "first_day_counts": first,
            "start_is_working_day": working,
            "start_holiday": holiday,
            "place": place,
            "holidays": list(hols),
        },
        A,
        "V",
    )


def ver(mark, note=""):
    return Step("verification", {"note": note}, None, mark)


CASES: dict[str, tuple[list[Step], str]] = {
    "due_months_V": (
        [Step("due", {"due": D(2026, 2, 5)}), months(), ver("V")],
        (
            "Due Thursday 5 February 2026: Art 1 gives one month from receipt on 5 January 2026, ending on 5 "
            "February 2026. (Status V: verified against the legal text.)"
        ),
    ),
    "due_months_nosrc_S_note": (
        [Step("due", {"due": D(2026, 2, 5)}), months(src=None), ver("S", "the guidance is S")],
        (
            "Due Thursday 5 February 2026: one month from receipt on 5 January 2026, ending on 5 February 2026. "
            "(Status S: secondary sources only, not checked against the legal text; the guidance is S.)"
        ),
    ),
    "clamp30": (
        [
            Step("due", {"due": D(2026, 3, 2)}),
            months(start=D(2026, 1, 30), end=D(2026, 2, 28), clamped=True),
            Step("clamp_month_end", {"day": 30, "end": D(2026, 2, 28), "basis": ""}),
            Step("roll_weekend", {"date": D(2026, 2, 28), "to": D(2026, 3, 2), "basis": "b1"}),
            Step(
                "roll_holiday",
                {"date": D(2026, 3, 1), "holiday": "Fête", "place": "FR", "to": D(2026, 3, 2), "basis": "b2"},
            ),
            ver("U"),
        ],
        (
            "Due Monday 2 March 2026: Art 1 gives one month from receipt on 30 January 2026; February 2026 has "
            "no 30th, so the period ends on the last day of that month, 28 February 2026; 28 February 2026 is a "
            "Saturday and 1 March 2026 is a public holiday in FR (Fête), so the period ends on the next working "
            "day (b2). (Status U: unverified, check before relying on it.)"
        ),
    ),
    "clamp29": (
        [
            Step("due", {"due": D(2027, 3, 1)}),
            Step("clamp_month_end", {"day": 29, "end": D(2027, 2, 28), "basis": "x"}),
        ],
        (
            "Due Monday 1 March 2027: February 2027 has no 29th, so the period ends on the last day of that "
            "month, 28 February 2027 (x)."
        ),
    ),
    "clock_stopped_1": (
        [
            Step("due", {"due": D(2026, 2, 6)}),
            months(),
            Step("clock_stopped", {"days": 1, "unit": "days", "end": D(2026, 2, 6)}),
        ],
        (
            "Due Friday 6 February 2026: Art 1 gives one month from receipt on 5 January 2026, ending on 5 "
            "February 2026; the clock stopped for 1 day while waiting on the person, which moves the end to 6 "
            "February 2026."
        ),
    ),
    "clock_stopped_bd": (
        [
            Step("due", {"due": D(2026, 2, 6)}),
            Step("clock_stopped", {"days": 3, "unit": "business_days", "end": D(2026, 2, 6)}),
            Step("clock_stopped", {"days": 1, "unit": "business_days", "end": D(2026, 2, 6)}),
        ],
        (
            "Due Friday 6 February 2026: the clock stopped for 3 business days while waiting on the person, "
            "which moves the end to 6 February 2026; the clock stopped for 1 business day while waiting on the "
            "person, which moves the end to 6 February 2026."
        ),
    ),
    "no_roll": (
        [
            Step("due", {"due": D(2026, 1, 1)}),
            Step("no_roll", {"date": D(2026, 1, 1), "holiday": "New Year's Day", "place": "GB"}),
            Step("no_roll", {"date": D(2026, 1, 3)}),
        ],
        (
            "Due Thursday 1 January 2026: 1 January 2026 is a public holiday in GB (New Year's Day), but this "
            "deadline does not move to the next working day; 3 January 2026 is a Saturday, but this deadline "
            "does not move to the next working day."
        ),
    ),
    "days_after_restart": (
        [Step("due", {"due": D(2026, 3, 2)}), days(30, D(2026, 1, 31), D(2026, 3, 2), False, restart=True, basis="bb")],
        (
            "Due Monday 2 March 2026: Art 1 gives 30 days after the restart on 31 January 2026 (that day itself "
            "is not counted) (bb), so the last day is 2 March 2026."
        ),
    ),
    "days_first_appeal": (
        [Step("due", {"due": D(2026, 3, 2)}), days(60, D(2026, 1, 2), D(2026, 3, 2), True, frm="appeal")],
        (
            "Due Monday 2 March 2026: Art 1 gives 60 days beginning on the day of receipt of the appeal, 2 "
            "January 2026, which is day 1, so the last day is 2 March 2026."
        ),
    ),
    "days_after_appeal": (
        [Step("due", {"due": D(2026, 3, 2)}), days(1, D(2026, 1, 2), D(2026, 1, 3), False, frm="appeal")],
        (
            "Due Monday 2 March 2026: Art 1 gives 1 day after receipt of the appeal on 2 January 2026 (that day "
            "itself is not counted), so the last day is 3 January 2026."
        ),
    ),
    "bd_after": (
        [
            Step("acknowledge", {"due": D(2026, 1, 16), "rule": "r"}),
            bdays(10, D(2026, 1, 2), D(2026, 1, 16), False, place=None),
        ],
        (
            "Acknowledge by Friday 16 January 2026 (r): Art 1 gives 10 business days after receipt on 2 January "
            "2026, skipping Saturdays, Sundays and no public holidays (no holiday calendar known), so the last "
            "business day is 16 January 2026."
        ),
    ),
    "bd_first_working": (
        [
            Step("acknowledge", {"due": D(2026, 1, 15), "rule": ""}),
            bdays(1, D(2026, 1, 2), D(2026, 1, 2), True, place="GB", basis="z"),
        ],
        (
            "Acknowledge by Thursday 15 January 2026: Art 1 gives 1 business day beginning on the day of "
            "receipt, 2 January 2026, which is business day 1 (z), skipping Saturdays, Sundays and public "
            "holidays in GB (none fell in the period), so the last business day is 2 January 2026."
        ),
    ),
    "bd_first_holiday": (
        [
            Step("acknowledge", {"due": D(2026, 1, 15), "rule": ""}),
            bdays(
                10,
                D(2026, 1, 1),
                D(2026, 1, 15),
                True,
                working=False,
                holiday="New Year's Day",
                place="US-CA",
                hols=[{"date": D(2026, 1, 1), "name": "New Year's Day"}, {"date": D(2026, 1, 19), "name": "MLK Day"}],
            ),
        ],
        (
            "Acknowledge by Thursday 15 January 2026: Art 1 gives 10 business days beginning on the first "
            "business day from receipt on 1 January 2026 (1 January 2026 is a public holiday in US-CA (New "
            "Year's Day)), skipping Saturdays, Sundays and public holidays in US-CA (Thursday 1 January 2026: "
            "New Year's Day; Monday 19 January 2026: MLK Day), so the last business day is 15 January 2026."
        ),
    ),
    "bd_first_weekend_appeal": (
        [
            Step("acknowledge", {"due": D(2026, 1, 15), "rule": ""}),
            bdays(10, D(2026, 1, 3), D(2026, 1, 16), True, working=False, frm="appeal"),
        ],
        (
            "Acknowledge by Thursday 15 January 2026: Art 1 gives 10 business days beginning on the first "
            "business day from receipt of the appeal on 3 January 2026 (3 January 2026 is a Saturday), skipping "
            "Saturdays, Sundays and public holidays in US-CA (none fell in the period), so the last business day "
            "is 16 January 2026."
        ),
    ),
    "ext_announced_notice": (
        [
            Step(
                "extended",
                {
                    "due": D(2026, 5, 4),
                    "unextended": D(2026, 3, 2),
                    "amount": 2,
                    "unit": "months",
                    "condition": "complex",
                    "announced_on": D(2026, 2, 10),
                    "notice_due": D(2026, 3, 2),
                    "reasons_required": True,
                },
                A,
            ),
            months(3, D(2026, 1, 31), D(2026, 4, 30)),
        ],
        (
            "Due Monday 4 May 2026 (extended): Art 1 allows 2 months more (complex); the extended period is Art "
            "1 gives 3 months from receipt on 31 January 2026, ending on 30 April 2026. Without the extension "
            "the deadline was Monday 2 March 2026. The extension was announced on 10 February 2026, on or before "
            "the last day to announce it, 2 March 2026, with the reasons."
        ),
    ),
    "ext_announced_nonotice": (
        [
            Step(
                "extended",
                {
                    "due": D(2026, 5, 4),
                    "unextended": D(2026, 3, 2),
                    "amount": 1,
                    "unit": "months",
                    "condition": "c",
                    "announced_on": D(2026, 2, 10),
                    "notice_due": None,
                    "reasons_required": False,
                },
                A,
            ),
            months(2, D(2026, 1, 31), D(2026, 3, 31)),
        ],
        (
            "Due Monday 4 May 2026 (extended): Art 1 allows one month more (c); the extended period is Art 1 "
            "gives 2 months from receipt on 31 January 2026, ending on 31 March 2026. Without the extension the "
            "deadline was Monday 2 March 2026. The extension was announced on 10 February 2026."
        ),
    ),
    "ext_unannounced_notice": (
        [
            Step(
                "extended",
                {
                    "due": D(2026, 5, 4),
                    "unextended": D(2026, 3, 2),
                    "amount": 45,
                    "unit": "days",
                    "condition": "c",
                    "announced_on": None,
                    "notice_due": D(2026, 3, 2),
                    "reasons_required": False,
                },
                A,
            ),
            days(90, D(2026, 1, 31), D(2026, 5, 1), True),
        ],
        (
            "Due Monday 4 May 2026 (extended): Art 1 allows 45 days more (c); the extended period is Art 1 gives "
            "90 days beginning on the day of receipt, 31 January 2026, which is day 1, so the last day is 1 May "
            "2026. Without the extension the deadline was Monday 2 March 2026. The extension must be announced "
            "by 2 March 2026."
        ),
    ),
    "ext_unannounced_nonotice": (
        [
            Step(
                "extended",
                {
                    "due": D(2026, 5, 4),
                    "unextended": D(2026, 3, 2),
                    "amount": 1,
                    "unit": "days",
                    "condition": "c",
                    "announced_on": None,
                    "notice_due": None,
                    "reasons_required": True,
                },
                None,
            ),
            days(31, D(2026, 1, 31), D(2026, 3, 2), False, src=None),
        ],
        (
            "Due Monday 4 May 2026 (extended):  allows 1 day more (c); the extended period is 31 days after "
            "receipt on 31 January 2026 (that day itself is not counted), so the last day is 2 March 2026. "
            "Without the extension the deadline was Monday 2 March 2026. The extension must be announced, with "
            "the reasons."
        ),
    ),
    "if_ext_full": (
        [
            Step(
                "if_extended",
                {"due": D(2026, 5, 4), "notice_due": D(2026, 3, 2), "reasons_required": True, "condition": "c"},
                A,
            ),
            months(),
        ],
        (
            "If extended, announced by 2 March 2026 with the reasons (c): due Monday 4 May 2026 under Art 1; the "
            "extended period is Art 1 gives one month from receipt on 5 January 2026, ending on 5 February 2026."
        ),
    ),
    "if_ext_bare": (
        [
            Step(
                "if_extended",
                {"due": D(2026, 5, 4), "notice_due": None, "reasons_required": False, "condition": "c"},
                A,
            ),
            months(3),
        ],
        (
            "If extended (c): due Monday 4 May 2026 under Art 1; the extended period is Art 1 gives 3 months "
            "from receipt on 5 January 2026, ending on 5 February 2026."
        ),
    ),
    "announce_open": (
        [
            Step(
                "announce_extension",
                {"due": D(2026, 3, 2), "condition": "c", "open_ended": True, "reasons_required": True},
                A,
            ),
            days(45, D(2026, 1, 16), D(2026, 3, 2), True),
        ],
        (
            "If you cannot meet the deadline, tell the person by Monday 2 March 2026 (c) (Art 1): Art 1 gives 45 "
            "days beginning on the day of receipt, 16 January 2026, which is day 1, so the last day is 2 March "
            "2026."
        ),
    ),
    "announce_reasons": (
        [
            Step(
                "announce_extension",
                {"due": D(2026, 3, 2), "condition": "c", "open_ended": False, "reasons_required": True},
                A,
            ),
            months(1, D(2026, 2, 2), D(2026, 3, 2)),
        ],
        (
            "An extension must be announced by Monday 2 March 2026, with the reasons (Art 1): Art 1 gives one "
            "month from receipt on 2 February 2026, ending on 2 March 2026."
        ),
    ),
    "announce_plain": (
        [
            Step(
                "announce_extension",
                {"due": D(2026, 3, 2), "condition": "c", "open_ended": False, "reasons_required": False},
                A,
            ),
            months(1, D(2026, 2, 2), D(2026, 3, 2)),
        ],
        (
            "An extension must be announced by Monday 2 March 2026 (Art 1): Art 1 gives one month from receipt "
            "on 2 February 2026, ending on 2 March 2026."
        ),
    ),
    "no_fixed": (
        [Step("no_fixed_period", {"rule": "without undue delay", "note": "Ask counsel."}, A)],
        "No fixed deadline: without undue delay (Art 1). Ask counsel.",
    ),
    "no_fixed_bare": (
        [Step("no_fixed_period", {"rule": "", "note": ""}, A)],
        "No fixed deadline: no fixed period (Art 1).",
    ),
    "not_covered": (
        [
            Step(
                "right_not_covered",
                {
                    "request_type": "portability",
                    "law": "XX_LAW",
                    "amount": 1,
                    "unit": "months",
                    "applies_to": ["access", "erasure", "rectification"],
                    "note": "n.",
                },
                A,
            )
        ],
        (
            "No fixed deadline for 'portability' under XX_LAW: Art 1 sets 1 month for access, erasure, "
            "rectification only. n."
        ),
    ),
    "not_covered_bare": (
        [
            Step(
                "right_not_covered",
                {
                    "request_type": "portability",
                    "law": "XX_LAW",
                    "amount": 0,
                    "unit": "days",
                    "applies_to": ["access"],
                    "note": "",
                },
                A,
            )
        ],
        "No fixed deadline for 'portability' under XX_LAW: Art 1 sets no fixed period for access only.",
    ),
    "promise_quote": (
        [
            Step(
                "promise",
                {
                    "due": D(2026, 2, 4),
                    "vendor": "Leadsment",
                    "amount": 30,
                    "unit": "days",
                    "quote": "We respond within 30 days.",
                },
            ),
            days(30, D(2026, 1, 5), D(2026, 2, 4), False, src=None),
            Step("promise_not_moved"),
            Step("promise_not_paused"),
            Step("promise_survives_extension"),
        ],
        (
            'Due Wednesday 4 February 2026: Leadsment promises "We respond within 30 days.", counted as 30 days '
            "after receipt on 5 January 2026 (that day itself is not counted), so the last day is 4 February "
            "2026. A promise is read the earlier way: it is not moved for weekends or holidays, not paused and "
            "not extended. The pauses were not applied to it. It still binds although the law's deadline was "
            "extended."
        ),
    ),
    "promise_noquote": (
        [
            Step("promise", {"due": D(2026, 2, 5), "vendor": "V", "amount": 1, "unit": "months", "quote": ""}),
            months(src=None),
        ],
        (
            "Due Thursday 5 February 2026: V promises 1 month, counted as one month from receipt on 5 January "
            "2026, ending on 5 February 2026."
        ),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_deadline_is_told_in_these_words(name: str) -> None:
    steps, words = CASES[name]
    assert render_english(steps) == words


WEEK = {"start": D(2026, 1, 5), "end": D(2026, 1, 9)}
PAUSES: list[tuple[Step, str]] = [
    (
        Step("pause_stops_clock", {**WEEK, "kind": "identity", "days": 4, "unit": "days", "superseded": False}, A, "V"),
        (
            "The identity pause from 5 January 2026 to 9 January 2026: the clock stopped while waiting for proof "
            "of identity, so 4 days do not count (Art 1)."
        ),
    ),
    (
        Step("pause_restarts_clock", {**WEEK, "kind": "identity"}, A, "S"),
        (
            "The identity pause from 5 January 2026 to 9 January 2026: the period started again on 9 January "
            "2026, when the identity information arrived (Art 1)."
        ),
    ),
    (
        Step(
            "pause_stops_clock",
            {**WEEK, "kind": "clarification", "days": 4, "unit": "days", "superseded": False},
            A,
            "V",
        ),
        (
            "The clarification pause from 5 January 2026 to 9 January 2026: the clock stopped while waiting for "
            "clarification of the request, so 4 days do not count (Art 1)."
        ),
    ),
    (
        Step("pause_restarts_clock", {**WEEK, "kind": "clarification"}, A, "S"),
        (
            "The clarification pause from 5 January 2026 to 9 January 2026: the period started again on 9 "
            "January 2026, when the clarification arrived (Art 1)."
        ),
    ),
    (
        Step("pause_stops_clock", {**WEEK, "kind": "fee", "days": 4, "unit": "days", "superseded": False}, A, "V"),
        (
            "The fee pause from 5 January 2026 to 9 January 2026: the clock stopped while waiting for the fee "
            "(or the end of the fee reflection period), so 4 days do not count (Art 1)."
        ),
    ),
    (
        Step("pause_restarts_clock", {**WEEK, "kind": "fee"}, A, "S"),
        (
            "The fee pause from 5 January 2026 to 9 January 2026: the period started again on 9 January 2026, "
            "when the fee was paid (or the reflection period ended) (Art 1)."
        ),
    ),
    (
        Step(
            "pause_stops_clock",
            {
                "kind": "fee",
                "start": D(2026, 1, 5),
                "end": D(2026, 1, 6),
                "days": 1,
                "unit": "business_days",
                "superseded": True,
            },
            A,
            "V",
        ),
        (
            "The fee pause from 5 January 2026 to 6 January 2026: the clock stopped while waiting for the fee "
            "(or the end of the fee reflection period), so 1 business day do not count (Art 1), but the period "
            "later restarted."
        ),
    ),
    (
        Step("pause_ignored", {**WEEK, "kind": "identity", "reason": "promise"}),
        (
            "The identity pause from 5 January 2026 to 9 January 2026 was not applied: a promise is never paused "
            "(earlier reading)."
        ),
    ),
    (
        Step(
            "pause_ignored",
            {**WEEK, "kind": "identity", "reason": "law", "note": "Verification is not a pause."},
            A,
            "S",
        ),
        (
            "The identity pause from 5 January 2026 to 9 January 2026 was not applied: this law does not stop or "
            "restart the clock while waiting for proof of identity (Art 1; status S: secondary sources only, not "
            "checked against the legal text). Verification is not a pause."
        ),
    ),
    (
        Step("pause_ignored", {**WEEK, "kind": "fee", "reason": "law", "note": ""}, A, "U"),
        (
            "The fee pause from 5 January 2026 to 9 January 2026 was not applied: this law does not stop or "
            "restart the clock while waiting for the fee (or the end of the fee reflection period) (Art 1; "
            "status U: unverified, check before relying on it)."
        ),
    ),
    (
        Step(
            "pause_ignored",
            {**WEEK, "kind": "clarification", "reason": "not_in_force", "in_force": D(2026, 6, 1)},
            A,
            "V",
        ),
        (
            "The clarification pause from 5 January 2026 to 9 January 2026 was not applied: the rule that pauses "
            "the clock while waiting for clarification of the request applies from 1 June 2026 (Art 1) and this "
            "pause began earlier."
        ),
    ),
    (
        Step(
            "pause_ignored",
            {
                "kind": "clarification",
                "start": D(2026, 3, 5),
                "end": D(2026, 3, 9),
                "reason": "after_deadline",
                "deadline": D(2026, 3, 2),
            },
            A,
            "V",
        ),
        (
            "The clarification pause from 5 March 2026 to 9 March 2026 was not applied: it began after the "
            "deadline of 2 March 2026 had already passed."
        ),
    ),
]


@pytest.mark.parametrize(("step", "words"), PAUSES)
def test_a_pause_is_told_in_these_words(step: Step, words: str) -> None:
    assert render_pause_english(step) == words


def test_the_strictest_deadline_names_every_deadline_it_was_compared_with() -> None:
    step = Step(
        "strictest",
        {
            "rule": "promise: Leadsment",
            "kind": "promise",
            "due": D(2026, 1, 31),
            "compared": [
                {"rule": "EU_GDPR", "kind": "response", "due": D(2026, 2, 2)},
                {"rule": "promise: Leadsment", "kind": "promise", "due": D(2026, 1, 31)},
            ],
        },
    )
    assert render_strictest(step) == (
        "The strictest deadline is Saturday 31 January 2026 (promise: Leadsment), the earliest of: EU_GDPR "
        "(response) 2 February 2026; promise: Leadsment (promise) 31 January 2026."
    )


def test_steps_that_do_not_start_with_a_headline_are_refused() -> None:
    with pytest.raises(ValueError, match="must start with a headline, not 'count_days'"):
        render_english(CASES["days_first_appeal"][0][1:])


def test_no_steps_tell_nothing() -> None:
    assert render_english([]) == ""
