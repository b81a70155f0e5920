"""The deadline engine (dsr/deadlines.py), the laws file and its parser (policies/laws.py), and the
`deadline` command.

Every worked example cites where its expected date comes from: the reference is
/work/shared/reference/legal-rules.md (section numbers below) and legal-rules.yaml. The pure tests need
no database; the command tests are marked `django_db`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr.engine.deadlines import (
    Deadline,
    DeadlineError,
    DeadlineResult,
    ExtensionRequest,
    Pause,
    Promise,
    compute_deadlines,
    end_of_day,
    format_date,
    forward_target,
    select_laws,
)
from policies import vocabulary
from policies.laws import LawDataError, LawRules, default_laws_path, load_laws_file, parse_law

D = dt.date
ALL_CODES = [
    "EU_GDPR",
    "UK_GDPR",
    "CH_FADP",
    "US_CA_CCPA",
    "US_VA_VCDPA",
    "US_CO_CPA",
    "US_CT_CTDPA",
    "US_UT_UCPA",
    "US_OR_OCPA",
    "US_MT_MCDPA",
    "US_TX_TDPSA",
    "BR_LGPD",
    "CA_PIPEDA",
    "CA_QC_LAW25",
    "IN_DPDP",
    "SG_PDPA",
    "HK_PDPO",
]
LAWS: dict[str, LawRules] = load_laws_file(default_laws_path()).by_code()
RAW: dict[str, Any] = yaml.safe_load(default_laws_path().read_text(encoding="utf-8"))


def at_noon(day: dt.date, tz: str = "Europe/Tallinn") -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(tz))


def run(
    codes: str | list[str],
    received: dt.date | dt.datetime,
    request_type: str = "access",
    *,
    country: str | None = None,
    tz: str = "Europe/Tallinn",
    **kwargs: Any,
) -> DeadlineResult:
    codes = [codes] if isinstance(codes, str) else codes
    received_at = received if isinstance(received, dt.datetime) else at_noon(received, tz)
    return compute_deadlines(
        [LAWS[c] for c in codes],
        request_type=request_type,
        received_at=received_at,
        timezone=tz,
        country=country,
        **kwargs,
    )


def one(result: DeadlineResult, kind: str, code: str | None = None) -> Deadline:
    found = [d for d in result.deadlines if d.kind == kind and (code is None or d.law_code == code)]
    assert len(found) == 1, f"expected one {kind} for {code}, got {[(d.kind, d.law_code) for d in result.deadlines]}"
    return found[0]


def due(result: DeadlineResult, kind: str = "response", code: str | None = None) -> dt.date | None:
    return one(result, kind, code).due_date


def extended_due(code: str, received: dt.date, country: str | None = None) -> dt.date | None:
    return due(run(code, received, country=country, extension=ExtensionRequest(taken=True)), "response", code)


# --- The worked examples of the reference --------------------------------------------------------------

# legal-rules.md §1.1 "Worked examples": GDPR one month (Reg 1182/71 Art 3(2)(c) clamp, Art 3(4) roll-forward,
# weekends only, so country=None) and the extension counted as 3 months from receipt.
GDPR_TABLE = [
    pytest.param(D(2026, 3, 5), D(2026, 4, 6), D(2026, 6, 5), id="md-1.1-row1-5Mar2026-Easter-weekends-only"),
    pytest.param(D(2026, 1, 31), D(2026, 3, 2), D(2026, 4, 30), id="md-1.1-row2-31Jan2026-clamp-28Feb-Sat"),
    pytest.param(D(2027, 1, 31), D(2027, 3, 1), D(2027, 4, 30), id="md-1.1-row3-31Jan2027-clamp-28Feb-Sun"),
    pytest.param(D(2028, 1, 31), D(2028, 2, 29), D(2028, 5, 1), id="md-1.1-row4-31Jan2028-leap-29Feb"),
    pytest.param(D(2025, 12, 31), D(2026, 2, 2), D(2026, 3, 31), id="md-1.1-row5-31Dec2025-across-year"),
    pytest.param(D(2026, 10, 31), D(2026, 11, 30), D(2027, 2, 1), id="md-1.1-row6-31Oct2026-30-day-month"),
]


@pytest.mark.parametrize(("received", "expected", "expected_extended"), GDPR_TABLE)
def test_gdpr_worked_examples_weekends_only(received: dt.date, expected: dt.date, expected_extended: dt.date) -> None:
    result = run("EU_GDPR", received)
    assert due(result) == expected
    assert due(result, "extended_response") == expected_extended  # shown before the extension is taken
    assert extended_due("EU_GDPR", received) == expected_extended


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        # md §1.1 row 1: "Easter Monday is a public holiday in DE and FI, so Tue 7 Apr 2026 there".
        pytest.param("DE", D(2026, 4, 7), id="md-1.1-Easter2026-DE"),
        pytest.param("FI", D(2026, 4, 7), id="md-1.1-Easter2026-FI"),
        # md §4: whether Easter Monday is a holiday in EE is U; the holidays library says it is not.
        pytest.param("EE", D(2026, 4, 6), id="md-4-Easter2026-EE-no-Easter-Monday"),
    ],
)
def test_easter_2026_uses_the_responders_holidays(country: str, expected: dt.date) -> None:
    result = run("EU_GDPR", D(2026, 3, 5), country=country)
    assert due(result) == expected
    if country != "EE":
        assert "Easter Monday" in one(result, "response").explanation


def test_extension_that_ends_on_1_may_2028_rolls_past_the_may_day_holiday() -> None:
    # md §1.1 row 4: 30 Apr 2028 (Sun) -> Mon 1 May 2028, "itself a holiday in many Member States".
    assert extended_due("EU_GDPR", D(2028, 1, 31), country=None) == D(2028, 5, 1)
    assert extended_due("EU_GDPR", D(2028, 1, 31), country="DE") == D(2028, 5, 2)


def test_extension_is_three_months_from_receipt_not_two_months_from_the_clamped_date() -> None:
    # md §1.1 and checklist §6 item 2 (ICO, V): 31 Jan + 3 months = 30 Apr, whereas 28 Feb + 2 months = 28 Apr.
    assert extended_due("EU_GDPR", D(2026, 1, 31)) == D(2026, 4, 30)
    assert extended_due("UK_GDPR", D(2026, 1, 31), country="GB") == D(2026, 4, 30)


def test_ico_example_3_september_to_3_october() -> None:
    # md §1.2 (ICO SAR checklist, V): "received 3 Sep, due 3 Oct" (3 Oct 2025 is a Friday).
    assert due(run("UK_GDPR", D(2025, 9, 3), country="GB")) == D(2025, 10, 3)


def test_edpb_example_5_march_to_5_april() -> None:
    # md §1.1 (EDPB 01/2022 example, U; consistent with Reg 1182/71): 5 March -> 5 April (2024: a Friday).
    assert due(run("EU_GDPR", D(2024, 3, 5))) == D(2024, 4, 5)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # md §1.3 and checklist §6 item 6: reg 7021(b) "will begin on the day" of receipt -> receipt + 44.
        pytest.param(D(2026, 6, 1), D(2026, 7, 15), id="md-1.3-CCPA-receipt+44"),
        pytest.param(D(2026, 3, 1), D(2026, 4, 14), id="md-1.3-CCPA-receipt+44-March"),
        # Not moved for weekends: 18 Apr 2026 is a Saturday (no roll-forward for US laws, earlier reading).
        pytest.param(D(2026, 3, 5), D(2026, 4, 18), id="CCPA-no-roll-forward-on-Saturday"),
    ],
)
def test_ccpa_45_days_count_the_day_of_receipt(received: dt.date, expected: dt.date) -> None:
    result = run("US_CA_CCPA", received)
    assert due(result) == expected
    assert "which is day 1" in one(result, "response").explanation


def test_ccpa_extension_is_capped_at_90_days_from_receipt() -> None:
    # md §3.4: +45 days, max 90 in total (7021(b), V); with the day of receipt as day 1: receipt + 89.
    assert extended_due("US_CA_CCPA", D(2026, 6, 1)) == D(2026, 8, 29)
    notice = one(run("US_CA_CCPA", D(2026, 6, 1)), "extension_notice")
    assert notice.due_date == D(2026, 7, 15)  # within the first 45 days


@pytest.mark.parametrize(
    ("received", "expected", "holiday"),
    [
        # md §3.4: acknowledge within 10 business days (7021(a), V); business days skip California holidays.
        pytest.param(D(2026, 3, 30), D(2026, 4, 13), "Cesar Chavez Day", id="md-3.4-ack-across-Cesar-Chavez-Day"),
        # Thanksgiving (Thu 26 Nov) is skipped; the day after (Fri 27 Nov) is not a Gov. Code 6700 holiday and counts.
        pytest.param(D(2026, 11, 23), D(2026, 12, 7), "Thanksgiving", id="md-3.4-ack-across-Thanksgiving"),
    ],
)
def test_ccpa_acknowledgement_10_business_days_across_a_californian_holiday(
    received: dt.date, expected: dt.date, holiday: str
) -> None:
    # The responder is in Estonia: the CCPA counts California's holidays (holiday_calendar: law), not Estonia's.
    result = run(["US_CA_CCPA"], received, "erasure", country="EE")
    ack = one(result, "acknowledgement")
    assert ack.due_date == expected
    assert holiday in ack.explanation
    assert ack.binding is False


def test_ccpa_opt_out_15_business_days() -> None:
    # md §3.4: opt-out of sale/sharing no later than 15 business days from receipt (7026(f), V). Receipt Mon 31 Aug
    # 2026 is business day 1; Labor Day (Mon 7 Sep) is skipped; business day 15 is Mon 21 Sep 2026.
    result = run("US_CA_CCPA", D(2026, 8, 31), "opt_out")
    assert due(result, "opt_out") == D(2026, 9, 21)
    assert "Labor Day" in one(result, "opt_out").explanation
    # The 45-day know/delete/correct clock does not apply to an opt-out, and there is no acknowledgement.
    assert not result.of_kind("response")
    assert not result.of_kind("acknowledgement")
    assert result.strictest is not None and result.strictest.due_date == D(2026, 9, 21)


# The CCPA's business days skip California's state holidays: Gov. Code 6700 (the holidays in the state) and
# 6701 (one on a Sunday moves to Monday; 11 November on a Saturday moves to the Friday before; no other Saturday
# rule). The `holidays` library also lists days that are not among them; each case below fails if one is skipped.
@pytest.mark.parametrize(
    ("kind", "received", "expected", "skipped", "counted"),
    [
        # Susan B. Anthony Day (Tue 15 Feb 2028) is not in 6700: business day 7. Presidents' Day is 21 Feb.
        pytest.param("acknowledgement", D(2028, 2, 7), D(2028, 2, 18), [], ["Susan B. Anthony"], id="SBA-Day"),
        # 4 July 2026 is a Saturday: 6701 moves only 11 November back to Friday, so Fri 3 Jul is business day 10.
        pytest.param("acknowledgement", D(2026, 6, 22), D(2026, 7, 3), [], ["Independence Day"], id="3-Jul-2026"),
        # Christmas 2027 and New Year 2028 fall on Saturdays: Fri 24 and Fri 31 Dec 2027 are business days.
        pytest.param("acknowledgement", D(2027, 12, 20), D(2027, 12, 31), [], ["Christmas", "New Year"], id="Dec-2027"),
        # The Day After Thanksgiving is a state employees' holiday (Gov. Code 19853), not in 6700; Thanksgiving Day
        # (Thu 25 Nov 2027, 'the Thursday in November appointed as Thanksgiving Day', 6700) is still skipped.
        pytest.param(
            "acknowledgement", D(2027, 11, 22), D(2027, 12, 6), ["Thanksgiving Day"], ["Day After"], id="Thanksgiving"
        ),
        # Juneteenth 2027 is a Saturday: Fri 18 Jun is business day 3. 4 July 2027 is a Sunday: 6701 makes Mon 5 Jul
        # the holiday, skipped, so business day 15 is Wed 7 Jul.
        pytest.param(
            "opt_out", D(2027, 6, 16), D(2027, 7, 7), ["Independence Day (observed)"], ["Juneteenth"], id="Jul-2027"
        ),
        # 11 Nov 2028 is a Saturday: 6701 makes Fri 10 Nov the holiday (skipped); Fri 24 Nov, the day after
        # Thanksgiving, is a business day: business day 15 is Tue 28 Nov 2028.
        pytest.param(
            "opt_out", D(2028, 11, 6), D(2028, 11, 28), ["Veterans Day (observed)"], ["Day After"], id="Nov-2028"
        ),
    ],
)
def test_ccpa_business_days_skip_only_californian_state_holidays(
    kind: str, received: dt.date, expected: dt.date, skipped: list[str], counted: list[str]
) -> None:
    request_type = "erasure" if kind == "acknowledgement" else "opt_out"
    deadline = one(run("US_CA_CCPA", received, request_type), kind)
    assert deadline.due_date == expected
    for name in skipped:
        assert name in deadline.explanation
    for name in counted:
        assert name not in deadline.explanation


@pytest.mark.parametrize(
    ("code", "received", "expected"),
    [
        # md §1.3: Utah "within 45 days after the day" of receipt (V) excludes day one: receipt + 45.
        pytest.param("US_UT_UCPA", D(2026, 3, 1), D(2026, 4, 15), id="md-1.3-Utah-receipt+45"),
        # md §1.3: Texas "not later than the 45th day after the date of receipt" (V): receipt + 45.
        pytest.param("US_TX_TDPSA", D(2026, 3, 1), D(2026, 4, 15), id="md-1.3-Texas-receipt+45"),
        # Other 45-day states: general exclude-the-first-day rule (house decision): receipt + 45.
        pytest.param("US_VA_VCDPA", D(2026, 3, 1), D(2026, 4, 15), id="Virginia-receipt+45"),
        pytest.param("US_OR_OCPA", D(2026, 3, 1), D(2026, 4, 15), id="Oregon-receipt+45"),
        # 30-day laws: calendar days after the day of receipt.
        pytest.param("CH_FADP", D(2026, 3, 3), D(2026, 4, 2), id="md-3.3-Switzerland-30-days"),
        pytest.param("CA_PIPEDA", D(2026, 3, 3), D(2026, 4, 2), id="md-3.13-PIPEDA-30-days"),
        pytest.param("CA_QC_LAW25", D(2026, 3, 3), D(2026, 4, 2), id="md-3.14-Quebec-30-days"),
        pytest.param("HK_PDPO", D(2026, 3, 3), D(2026, 4, 12), id="md-3.17-Hong-Kong-40-days"),
        pytest.param("BR_LGPD", D(2026, 3, 2), D(2026, 3, 17), id="md-3.12-Brazil-15-days-access"),
    ],
)
def test_fixed_day_periods(code: str, received: dt.date, expected: dt.date) -> None:
    assert due(run(code, received)) == expected


def test_us_extensions_add_45_days_counted_from_receipt() -> None:
    # md §2: +45 (VA once, UT once, TX once, OR, MT, CT, CO): receipt + 90 with day one excluded.
    for code in ("US_VA_VCDPA", "US_CO_CPA", "US_CT_CTDPA", "US_UT_UCPA", "US_OR_OCPA", "US_MT_MCDPA", "US_TX_TDPSA"):
        assert extended_due(code, D(2026, 3, 1)) == D(2026, 5, 30), code


def test_pipeda_extension_30_more_days_announced_within_the_first_30() -> None:
    # md §3.13: +30 days max with notice within 30 days (s.8(4), V).
    result = run("CA_PIPEDA", D(2026, 3, 3))
    assert due(result, "extended_response") == D(2026, 5, 2)
    assert due(result, "extension_notice") == D(2026, 4, 2)


# --- Edge cases of the month arithmetic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "country", "expected"),
    [
        # 29 February: 29 Mar 2024 is Good Friday (EE, DE, FI), then the Easter weekend, then Easter Monday (DE).
        pytest.param(D(2024, 2, 29), None, D(2024, 3, 29), id="29Feb2024-weekends-only"),
        pytest.param(D(2024, 2, 29), "EE", D(2024, 4, 1), id="29Feb2024-EE-Good-Friday"),
        pytest.param(D(2024, 2, 29), "DE", D(2024, 4, 2), id="29Feb2024-DE-Good-Friday-and-Easter-Monday"),
        pytest.param(D(2028, 2, 29), None, D(2028, 3, 29), id="29Feb2028-same-date"),
        # 30- and 31-day months.
        pytest.param(D(2026, 3, 31), None, D(2026, 4, 30), id="31Mar-clamp-to-30Apr"),
        pytest.param(D(2026, 5, 31), None, D(2026, 6, 30), id="31May-clamp-to-30Jun"),
        pytest.param(D(2026, 4, 30), None, D(2026, 6, 1), id="30Apr-to-30May-Saturday-rolls"),
        pytest.param(D(2026, 1, 30), None, D(2026, 3, 2), id="30Jan-clamp-to-28Feb-Saturday"),
        pytest.param(D(2026, 1, 29), None, D(2026, 3, 2), id="29Jan-clamp-to-28Feb-non-leap"),
        # A Saturday receipt does not matter; a Saturday deadline rolls to Monday.
        pytest.param(D(2026, 2, 7), None, D(2026, 3, 9), id="7Feb-to-7Mar-Saturday"),
        # National holidays of the responder.
        pytest.param(D(2026, 1, 24), "EE", D(2026, 2, 25), id="EE-24Feb-Independence-Day"),
        pytest.param(D(2026, 1, 24), None, D(2026, 2, 24), id="24Feb-weekends-only"),
        pytest.param(D(2027, 11, 6), "FI", D(2027, 12, 7), id="FI-6Dec-Independence-Day"),
        # Across a year end, onto New Year's Day.
        pytest.param(D(2025, 12, 1), "EE", D(2026, 1, 2), id="EE-1Jan-New-Year"),
        pytest.param(D(2026, 11, 24), "EE", D(2026, 12, 28), id="EE-Christmas-Eve-to-Boxing-Day-weekend"),
    ],
)
def test_gdpr_month_edge_cases(received: dt.date, country: str | None, expected: dt.date) -> None:
    assert due(run("EU_GDPR", received, country=country)) == expected


def test_the_explanation_reads_like_a_letter() -> None:
    text = one(run("EU_GDPR", D(2026, 1, 31), country="EE"), "response").explanation
    assert text.startswith("Due Monday 2 March 2026: GDPR Art 12(3) gives one month from receipt on 31 January 2026")
    assert "February 2026 has no 31st" in text
    assert "28 February 2026 is a Saturday" in text
    assert "so the period ends on the next working day (Reg 1182/71 Art 3(4))" in text
    assert "Status V" in text


def test_holiday_explanation_names_the_holiday() -> None:
    text = one(run("EU_GDPR", D(2026, 1, 24), country="EE"), "response").explanation
    assert "24 February 2026 is a public holiday in EE (Independence Day)" in text


# --- Time zones ---------------------------------------------------------------------------------------


def test_receipt_late_in_the_evening_utc_is_the_next_day_in_tallinn() -> None:
    late = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)  # 01:30 on 10 March in Tallinn (UTC+2)
    tallinn = run("EU_GDPR", late, tz="Europe/Tallinn")
    assert tallinn.received_on == D(2026, 3, 10)
    assert due(tallinn) == D(2026, 4, 10)
    assert any("which is 01:30 on 10 March 2026 in Europe/Tallinn" in n for n in tallinn.notes)
    in_utc = run("EU_GDPR", late, tz="UTC")
    assert in_utc.received_on == D(2026, 3, 9)
    assert due(in_utc) == D(2026, 4, 9)


def test_31_january_2330_utc_is_1_february_in_tallinn() -> None:
    result = run("EU_GDPR", dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC), tz="Europe/Tallinn")
    assert result.received_on == D(2026, 2, 1)
    assert due(result) == D(2026, 3, 2)  # 1 March 2026 is a Sunday


@pytest.mark.parametrize(
    ("received", "expected", "offset_hours"),
    [
        # Across the spring change (last Sunday of March: 29 Mar 2026): received in EET, due in EEST.
        pytest.param(D(2026, 3, 15), D(2026, 4, 15), 3, id="Tallinn-spring-DST"),
        # Across the autumn change (last Sunday of October: 25 Oct 2026): received in EEST, due in EET.
        pytest.param(D(2026, 10, 10), D(2026, 11, 10), 2, id="Tallinn-autumn-DST"),
    ],
)
def test_due_at_is_the_last_instant_of_the_local_day_across_dst(
    received: dt.date, expected: dt.date, offset_hours: int
) -> None:
    deadline = one(run("EU_GDPR", received, country="EE"), "response")
    assert deadline.due_date == expected
    assert deadline.due_at is not None
    assert deadline.due_at.utcoffset() == dt.timedelta(hours=offset_hours)
    assert (deadline.due_at.hour, deadline.due_at.minute, deadline.due_at.second) == (23, 59, 59)
    assert deadline.due_at.microsecond == 999_999
    next_midnight = (deadline.due_at + dt.timedelta(microseconds=1)).astimezone(ZoneInfo("Europe/Tallinn"))
    assert (next_midnight.date(), next_midnight.hour, next_midnight.minute) == (expected + dt.timedelta(days=1), 0, 0)


@pytest.mark.parametrize(("day", "hours"), [(D(2026, 3, 29), 23), (D(2026, 10, 25), 25), (D(2026, 6, 1), 24)])
def test_end_of_day_on_the_dst_change_days(day: dt.date, hours: int) -> None:
    tz = ZoneInfo("Europe/Tallinn")
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = end_of_day(day, tz)
    assert end.date() == day
    assert (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)) == dt.timedelta(hours=hours, microseconds=-1)


# --- Vendor promises ----------------------------------------------------------------------------------

PROMISE_30 = Promise(30, "days", ("all",), "We respond within 30 days, typically much sooner.", "Leadsment")


def test_promise_stricter_than_gdpr() -> None:
    # 1 Jan 2026: the promise ends 31 Jan (Sat, never moved); GDPR 1 Feb is a Sunday -> Mon 2 Feb.
    result = run("EU_GDPR", D(2026, 1, 1), country="FI", tz="Europe/Helsinki", promises=[PROMISE_30])
    assert due(result, "promise") == D(2026, 1, 31)
    assert due(result, "response", "EU_GDPR") == D(2026, 2, 2)
    assert result.strictest is not None and result.strictest.kind == "promise"
    assert result.strictest.due_date == D(2026, 1, 31)
    assert '"We respond within 30 days, typically much sooner."' in result.strictest.explanation


def test_promise_looser_than_gdpr() -> None:
    # 1 Feb 2026: the promise ends 3 Mar; GDPR 1 Mar is a Sunday -> Mon 2 Mar, which wins.
    result = run("EU_GDPR", D(2026, 2, 1), country="FI", tz="Europe/Helsinki", promises=[PROMISE_30])
    assert due(result, "promise") == D(2026, 3, 3)
    assert result.strictest is not None and result.strictest.law_code == "EU_GDPR"
    assert result.strictest.due_date == D(2026, 3, 2)


def test_promise_keeps_binding_when_the_law_is_extended_and_ignores_pauses() -> None:
    result = run(
        "UK_GDPR",
        D(2026, 3, 3),
        country="GB",
        promises=[PROMISE_30],
        pauses=[Pause(D(2026, 3, 5), D(2026, 3, 10), "identity")],
        extension=ExtensionRequest(taken=True, announced_on=D(2026, 3, 20)),
    )
    promise = one(result, "promise")
    assert promise.due_date == D(2026, 4, 2)
    assert "still binds although the law's deadline was extended" in promise.explanation
    assert "pauses were not applied" in promise.explanation
    assert result.strictest == promise


def test_promise_in_business_days_and_months_and_for_other_types() -> None:
    business = Promise(10, "business_days", ("erasure",), "within 10 business days", "V")
    monthly = Promise(1, "months", ("all",), "within a month", "V")
    result = run("EU_GDPR", D(2026, 2, 16), "erasure", country="EE", promises=[business, monthly])
    # 16 Feb (Mon) is not counted; 17-20 Feb are days 1-4, 23 Feb day 5, 24 Feb (EE Independence Day) is
    # skipped, 25-27 Feb days 6-8, 2 Mar day 9: business day 10 is Tue 3 Mar. One month: 16 Mar.
    dates = sorted(d.due_date for d in result.of_kind("promise") if d.due_date)
    assert dates == [D(2026, 3, 3), D(2026, 3, 16)]
    access = run("EU_GDPR", D(2026, 2, 16), "access", country="EE", promises=[business])
    assert not access.of_kind("promise")
    assert any("applies to erasure only" in n for n in access.notes)


def test_promise_from_the_services_mapping() -> None:
    promise = Promise.from_mapping({"amount": 30, "unit": "days", "applies_to": ["all"], "cite": "x", "vendor": "Sera"})
    assert promise == Promise(30, "days", ("all",), "x", "Sera")
    with pytest.raises(DeadlineError, match="unit"):
        Promise.from_mapping({"amount": 30, "unit": "weeks", "applies_to": ["all"], "cite": "x"})
    with pytest.raises(DeadlineError, match="whole number"):
        Promise.from_mapping({"amount": "30", "unit": "days", "applies_to": ["all"], "cite": "x"})


# --- Several laws at once -----------------------------------------------------------------------------


def test_californian_subject_of_an_eu_vendor_gets_every_deadline_and_the_earliest_wins() -> None:
    result = run(["EU_GDPR", "US_CA_CCPA"], D(2026, 6, 1), country="EE")
    assert due(result, "response", "EU_GDPR") == D(2026, 7, 1)
    assert due(result, "response", "US_CA_CCPA") == D(2026, 7, 15)
    assert due(result, "acknowledgement", "US_CA_CCPA") == D(2026, 6, 12)
    assert result.strictest is not None and result.strictest.law_code == "EU_GDPR"
    assert result.acknowledgement is not None and result.acknowledgement.due_date == D(2026, 6, 12)
    assert result.extension_notice is not None and result.extension_notice.due_date == D(2026, 7, 1)


def test_strictest_is_none_when_no_rule_has_a_fixed_date() -> None:
    # md §3.15/3.16: India has no statutory period; Singapore "as soon as reasonably possible".
    result = run(["IN_DPDP", "SG_PDPA"], D(2026, 3, 1))
    assert result.strictest is None
    assert all(d.due_date is None for d in result.binding)
    # Singapore: tell the applicant within 30 days if you cannot respond by then (S).
    assert due(result, "extension_notice", "SG_PDPA") == D(2026, 3, 31)
    assert "No fixed deadline" in one(result, "response", "IN_DPDP").explanation


# --- Request types and the rights each law lists -------------------------------------------------------


def test_a_right_the_law_does_not_list_still_gets_the_general_deadline_with_a_note() -> None:
    result = run("US_CA_CCPA", D(2026, 6, 1), "restriction")
    assert due(result) == D(2026, 7, 15)
    assert any("'restriction'" in n and "not listed for US_CA_CCPA" in n for n in result.notes)


def test_a_listed_right_without_a_fixed_period_says_so() -> None:
    # md §3.12: LGPD 15 days apply to access/confirmation only; other rights await ANPD regulation (U).
    deadline = one(run("BR_LGPD", D(2026, 3, 2), "erasure"), "response")
    assert deadline.due_date is None
    assert "No fixed deadline for 'erasure' under BR_LGPD" in deadline.explanation


def test_appeal_answer_due_under_the_states_that_have_one() -> None:
    # md §2 and checklist item 8: VA 60 days (U), OR 45 days (V), CO 45 (+60) days (U); Utah has no appeal.
    result = run(["US_VA_VCDPA", "US_OR_OCPA", "US_CO_CPA"], D(2026, 3, 1), "appeal")
    assert due(result, "appeal", "US_VA_VCDPA") == D(2026, 4, 30)
    assert due(result, "appeal", "US_OR_OCPA") == D(2026, 4, 15)
    assert due(result, "appeal", "US_CO_CPA") == D(2026, 4, 15)
    assert due(result, "extended_response", "US_CO_CPA") == D(2026, 6, 14)
    assert not result.of_kind("response")
    utah = run("US_UT_UCPA", D(2026, 3, 1), "appeal")
    assert any("US_UT_UCPA has no appeal" in n for n in utah.notes)


def test_consent_withdrawal_in_connecticut_is_15_days() -> None:
    # md §3.7: stop processing within 15 days of revocation (42-520, U): earlier than the general 45 days.
    result = run("US_CT_CTDPA", D(2026, 3, 1), "withdraw_consent")
    assert due(result, "consent_withdrawal") == D(2026, 3, 16)
    assert due(result, "response") == D(2026, 4, 15)
    assert result.strictest is not None and result.strictest.kind == "consent_withdrawal"
    assert result.strictest.status == "U"


def test_a_right_not_yet_in_force_is_flagged() -> None:
    # md §3.8: Utah correction from 1 Jul 2026.
    result = run("US_UT_UCPA", D(2026, 3, 1), "rectification")
    assert any("applies from 1 July 2026" in n for n in result.notes)
    later = run("US_UT_UCPA", D(2026, 7, 2), "rectification")
    assert not any("applies from" in n for n in later.notes)


def test_every_law_answers_every_request_type() -> None:
    for code in ALL_CODES:
        for request_type in vocabulary.REQUEST_TYPES:
            result = run(code, D(2026, 3, 1), request_type, country="EE")
            assert result.binding, (code, request_type)
            for deadline in result.deadlines:
                assert deadline.explanation
                assert deadline.due_date is None or deadline.due_date >= D(2026, 3, 1)
            json.dumps(result.as_dict())  # storable in Request.deadlines


# --- Pauses -------------------------------------------------------------------------------------------


def test_gdpr_ignores_an_identity_pause_and_says_why() -> None:
    result = run("EU_GDPR", D(2026, 1, 31), pauses=[Pause(D(2026, 2, 2), D(2026, 2, 9), "identity")])
    deadline = one(result, "response")
    assert deadline.due_date == D(2026, 3, 2)
    [pause] = deadline.pauses
    assert not pause.applied
    assert "was not applied" in pause.explanation
    assert "GDPR text has no pause" in pause.explanation
    assert "was not applied" in deadline.explanation


def test_uk_clarification_stops_the_clock_for_the_deadline_and_the_extension_notice() -> None:
    # md §1.2 (DPA s.54(3C)-(3D), V): the paused days count neither toward the deadline nor the notice window.
    # "The period beginning with the day on which the controller makes the request and ending with the day on
    # which the controller receives the information" (s.54(3C)(b)): both ends included, 11 -> 16 Feb is 6 days.
    # 9 Feb 2026 + 1 month = 9 Mar; + 6 paused days = 15 Mar (Sun) -> Mon 16 Mar.
    pauses = [Pause(D(2026, 2, 11), D(2026, 2, 16), "clarification")]
    result = run("UK_GDPR", D(2026, 2, 9), country="GB", pauses=pauses)
    response = one(result, "response")
    assert response.due_date == D(2026, 3, 16)
    assert response.pauses[0].applied and response.pauses[0].days_added == 6
    assert due(result, "extension_notice") == D(2026, 3, 16)
    # The extension (3 months from receipt) is stopped too: 9 May + 6 = 15 May 2026 (Fri).
    assert due(result, "extended_response") == D(2026, 5, 15)


def test_uk_clarification_asked_and_answered_counts_both_days() -> None:
    # Received Mon 2 Mar 2026, due 2 Apr; asked Thu 5 Mar, answered Tue 10 Mar: 5, 6, 7, 8, 9 and 10 March do
    # not count, so the answer is due 2 Apr + 6 = Wed 8 Apr (not 7 Apr, which drops the day the answer came).
    pauses = [Pause(D(2026, 3, 5), D(2026, 3, 10), "clarification")]
    assert due(run("UK_GDPR", D(2026, 3, 2), country="GB", pauses=pauses)) == D(2026, 4, 8)
    # Asked and answered the same day: that day does not count either (received Mon 2 Feb, due Mon 2 Mar -> Tue 3 Mar).
    same_day = [Pause(D(2026, 2, 5), D(2026, 2, 5), "clarification")]
    assert due(run("UK_GDPR", D(2026, 2, 2), country="GB", pauses=same_day)) == D(2026, 3, 3)


def test_uk_back_to_back_clarifications_count_their_shared_day_once() -> None:
    # Received Mon 2 Mar 2026 (due 2 Apr). One pause from 5 to 12 March: 8 days, due Fri 10 Apr. Two pauses, 5 to
    # 10 and 10 to 12 March (asked again the day the first answer came): the same 8 days, the same date.
    one = [Pause(D(2026, 3, 5), D(2026, 3, 12), "clarification")]
    two = [
        Pause(D(2026, 3, 5), D(2026, 3, 10), "clarification"),
        Pause(D(2026, 3, 10), D(2026, 3, 12), "clarification"),
    ]
    assert due(run("UK_GDPR", D(2026, 3, 2), country="GB", pauses=one)) == D(2026, 4, 10)
    assert due(run("UK_GDPR", D(2026, 3, 2), country="GB", pauses=two)) == D(2026, 4, 10)


def test_uk_identity_restarts_the_period_from_the_day_the_id_arrives() -> None:
    # md §1.2: the clock starts at the 'relevant time' (ID received 10 Mar) -> 10 Apr 2026 (Fri).
    pauses = [Pause(D(2026, 3, 5), D(2026, 3, 10), "identity")]
    result = run("UK_GDPR", D(2026, 3, 3), country="GB", pauses=pauses)
    assert due(result) == D(2026, 4, 10)
    assert "the period started again on 10 March 2026" in one(result, "response").explanation
    assert due(result, "extended_response") == D(2026, 6, 10)


def test_uk_restart_supersedes_an_earlier_stop() -> None:
    pauses = [Pause(D(2026, 3, 4), D(2026, 3, 6), "clarification"), Pause(D(2026, 3, 6), D(2026, 3, 10), "identity")]
    deadline = one(run("UK_GDPR", D(2026, 3, 3), country="GB", pauses=pauses), "response")
    assert deadline.due_date == D(2026, 4, 10)
    assert [p.applied for p in deadline.pauses] == [False, True]


def test_uk_clarification_pause_before_art_12a_came_into_force_is_not_applied() -> None:
    # Art 12A in force 5 Feb 2026 (SI 2026/82, V): an earlier clarification pause does not stop the clock.
    pauses = [Pause(D(2026, 1, 5), D(2026, 1, 10), "clarification")]
    deadline = one(run("UK_GDPR", D(2026, 1, 2), country="GB", pauses=pauses), "response")
    assert deadline.due_date == D(2026, 2, 2)
    assert "applies from 5 February 2026" in deadline.pauses[0].explanation


@pytest.mark.parametrize("request_type", ["erasure", "rectification", "portability", "objection", "restriction"])
def test_uk_stop_the_clock_is_for_access_requests_only(request_type: str) -> None:
    """UK GDPR Art 12A and DPA 2018 s.54(3C): the clock stops while the controller waits for information it
    needs to identify 'the information or processing activities to which a request under Article 15 relates'
    (access). Any other request keeps its one month; the explanation says why the pause was not applied."""
    pauses = [Pause(D(2026, 2, 11), D(2026, 2, 16), "clarification")]
    access = one(run("UK_GDPR", D(2026, 2, 9), country="GB", pauses=pauses), "response")
    other = one(run("UK_GDPR", D(2026, 2, 9), request_type, country="GB", pauses=pauses), "response")
    assert access.due_date == D(2026, 3, 16)
    assert other.due_date == D(2026, 3, 9)
    assert not other.pauses[0].applied
    assert f"only for requests of type access, not {request_type}" in other.pauses[0].explanation


def test_uk_identity_restart_still_applies_to_every_request_type() -> None:
    """UK GDPR Art 12A: the 'relevant time' (identity information received) is for every request."""
    pauses = [Pause(D(2026, 3, 5), D(2026, 3, 10), "identity")]
    assert due(run("UK_GDPR", D(2026, 3, 3), "erasure", country="GB", pauses=pauses)) == D(2026, 4, 10)


def test_a_pause_limited_to_unknown_request_types_is_refused_in_the_data() -> None:
    uk = copy.deepcopy(next(e for e in RAW["laws"] if e["code"] == "UK_GDPR"))
    uk["pause"]["only_for"] = {"clarification": ["acess"]}
    with pytest.raises(LawDataError, match="only_for.clarification: 'acess' is not one of"):
        parse_law(uk, where="laws.yaml")


def test_a_pause_after_the_deadline_cannot_revive_it() -> None:
    pauses = [Pause(D(2026, 3, 20), D(2026, 3, 25), "clarification")]
    deadline = one(run("UK_GDPR", D(2026, 2, 9), country="GB", pauses=pauses), "response")
    assert deadline.due_date == D(2026, 3, 9)
    assert "began after the deadline" in deadline.pauses[0].explanation


def test_ccpa_runs_regardless_of_verification_time() -> None:
    # md §3.4 / checklist item 5: 45 days from receipt regardless of verification.
    result = run("US_CA_CCPA", D(2026, 6, 1), pauses=[Pause(D(2026, 6, 2), D(2026, 6, 20), "identity")])
    assert due(result) == D(2026, 7, 15)


@pytest.mark.parametrize(
    ("pauses", "message"),
    [
        ([Pause(D(2026, 3, 10), D(2026, 3, 5), "identity")], "ends on 5 March 2026, before it starts"),
        ([Pause(D(2026, 2, 1), D(2026, 3, 5), "identity")], "before the request was received"),
        (
            [Pause(D(2026, 3, 5), D(2026, 3, 10), "identity"), Pause(D(2026, 3, 8), D(2026, 3, 12), "clarification")],
            "The pauses overlap",
        ),
    ],
)
def test_bad_pauses_are_errors(pauses: list[Pause], message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        run("UK_GDPR", D(2026, 3, 3), pauses=pauses)


# --- Extensions ---------------------------------------------------------------------------------------


def test_extension_taken_and_announced_in_time() -> None:
    result = run("EU_GDPR", D(2026, 1, 31), extension=ExtensionRequest(taken=True, announced_on=D(2026, 3, 2)))
    response = one(result, "response")
    assert response.extended and response.due_date == D(2026, 4, 30)
    assert response.unextended_date == D(2026, 3, 2)
    assert "Without the extension the deadline was Monday 2 March 2026" in response.explanation
    assert not result.of_kind("extended_response")


def test_extension_announced_too_late_is_an_error() -> None:
    # GDPR Art 12(3): inform within one month of receipt. 3 Mar 2026 -> 3 Apr 2026 (Good Friday in EE) -> 6 Apr.
    late = ExtensionRequest(taken=True, announced_on=D(2026, 4, 7))
    with pytest.raises(DeadlineError) as error:
        run("EU_GDPR", D(2026, 3, 3), country="EE", extension=late)
    assert str(error.value).startswith(
        "The extension was announced on 7 April 2026, after the deadline to announce it (6 April 2026)"
    )
    on_time = ExtensionRequest(taken=True, announced_on=D(2026, 4, 6))
    assert due(run("EU_GDPR", D(2026, 3, 3), country="EE", extension=on_time)) == D(2026, 6, 3)


def test_extension_where_the_law_has_none() -> None:
    # md §3.14 / checklist item 9: Quebec has no extension in the private sector.
    with pytest.raises(DeadlineError, match="no applicable law"):
        run("CA_QC_LAW25", D(2026, 3, 3), extension=ExtensionRequest(taken=True))
    # With another law that allows one, Quebec's deadline stays and says why.
    result = run(["CA_QC_LAW25", "CA_PIPEDA"], D(2026, 3, 3), extension=ExtensionRequest(taken=True))
    quebec = one(result, "response", "CA_QC_LAW25")
    assert quebec.due_date == D(2026, 4, 2) and not quebec.extended
    assert any("no extension" in n for n in quebec.notes)
    assert due(result, "response", "CA_PIPEDA") == D(2026, 5, 2)
    assert result.strictest is quebec or result.strictest == quebec


def test_open_ended_extensions_give_no_extended_date_but_a_notice_deadline() -> None:
    # md §3.3 Switzerland (notify within 30 days, no cap) and §3.17 Hong Kong (notify before day 40).
    result = run(["CH_FADP", "HK_PDPO"], D(2026, 3, 3), extension=ExtensionRequest(taken=True))
    assert due(result, "response", "CH_FADP") == D(2026, 4, 2)
    assert due(result, "response", "HK_PDPO") == D(2026, 4, 12)
    assert due(result, "extension_notice", "CH_FADP") == D(2026, 4, 2)
    assert due(result, "extension_notice", "HK_PDPO") == D(2026, 4, 12)
    assert not result.of_kind("extended_response")
    assert any("open-ended" in n for n in one(result, "response", "CH_FADP").notes)


def test_announcement_without_extension_and_before_receipt_are_errors() -> None:
    with pytest.raises(DeadlineError, match="not marked as taken"):
        run("EU_GDPR", D(2026, 3, 3), extension=ExtensionRequest(taken=False, announced_on=D(2026, 3, 5)))
    with pytest.raises(DeadlineError, match="before the request was received"):
        run("EU_GDPR", D(2026, 3, 3), extension=ExtensionRequest(taken=True, announced_on=D(2026, 3, 1)))


# --- Other errors -------------------------------------------------------------------------------------


def test_plain_errors() -> None:
    with pytest.raises(DeadlineError, match="Unknown request type 'know'"):
        run("EU_GDPR", D(2026, 3, 3), "know")
    with pytest.raises(DeadlineError, match="no time zone"):
        compute_deadlines([LAWS["EU_GDPR"]], request_type="access", received_at=dt.datetime(2026, 3, 3), timezone="UTC")
    with pytest.raises(DeadlineError, match="Unknown time zone"):
        compute_deadlines(
            [LAWS["EU_GDPR"]], request_type="access", received_at=at_noon(D(2026, 3, 3)), timezone="Mars/Olympus"
        )
    with pytest.raises(DeadlineError, match="no public-holiday calendar"):
        run("EU_GDPR", D(2026, 3, 3), country="QQ")
    with pytest.raises(DeadlineError, match="Unknown law 'XX_LAW'"):
        select_laws(LAWS, ["EU_GDPR", "XX_LAW"])
    with pytest.raises(DeadlineError, match="given twice"):
        run(["EU_GDPR", "EU_GDPR"], D(2026, 3, 3))
    with pytest.raises(DeadlineError, match="nothing to compute"):
        compute_deadlines([], request_type="access", received_at=at_noon(D(2026, 3, 3)), timezone="UTC")


def test_format_date() -> None:
    assert format_date(D(2026, 3, 2), weekday=True) == "Monday 2 March 2026"
    assert format_date(D(2026, 3, 2)) == "2 March 2026"


# --- Properties ---------------------------------------------------------------------------------------

dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
law_sets = st.lists(st.sampled_from(ALL_CODES), min_size=1, max_size=3, unique=True)
request_types = st.sampled_from(list(vocabulary.REQUEST_TYPES))
countries = st.sampled_from([None, "EE", "FI", "DE", "GB", "US"])
zones = st.sampled_from(["Europe/Tallinn", "UTC", "America/Los_Angeles", "Asia/Hong_Kong"])
times = st.times()
PROPERTY_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _binding_by_rule(result: DeadlineResult) -> dict[tuple[str, str | None], dt.date]:
    return {(d.kind, d.law_code): d.due_date for d in result.binding if d.due_date is not None}


@PROPERTY_SETTINGS
@given(codes=law_sets, day=dates, clock=times, tz=zones, request_type=request_types, country=countries)
def test_no_deadline_is_before_receipt(
    codes: list[str], day: dt.date, clock: dt.time, tz: str, request_type: str, country: str | None
) -> None:
    received_at = dt.datetime.combine(day, clock, tzinfo=dt.UTC)
    result = run(codes, received_at, request_type, country=country, tz=tz)
    for deadline in result.deadlines:
        if deadline.due_date is not None:
            assert deadline.due_date >= result.received_on
            assert deadline.due_at is not None and deadline.due_at > received_at


@PROPERTY_SETTINGS
@given(codes=law_sets, day=dates, request_type=request_types, country=countries)
def test_an_extension_never_shortens(codes: list[str], day: dt.date, request_type: str, country: str | None) -> None:
    plain = run(codes, day, request_type, country=country)
    try:
        extended = run(codes, day, request_type, country=country, extension=ExtensionRequest(taken=True))
    except DeadlineError:
        return  # none of these laws allows an extension for this request
    before, after = _binding_by_rule(plain), _binding_by_rule(extended)
    assert before.keys() == after.keys()
    for rule, when in before.items():
        assert after[rule] >= when
    for deadline in plain.of_kind("extended_response"):
        own = [
            when
            for (kind, code), when in before.items()
            if code == deadline.law_code and kind in ("response", "appeal")
        ]
        assert deadline.due_date is not None and own and deadline.due_date >= min(own)


@PROPERTY_SETTINGS
@given(
    codes=law_sets,
    day=dates,
    request_type=request_types,
    country=countries,
    offset=st.integers(min_value=0, max_value=60),
    length=st.integers(min_value=0, max_value=40),
    kind=st.sampled_from(["identity", "clarification", "fee"]),
)
def test_a_pause_never_shortens(
    codes: list[str], day: dt.date, request_type: str, country: str | None, offset: int, length: int, kind: Any
) -> None:
    start = day + dt.timedelta(days=offset)
    pause = Pause(start, start + dt.timedelta(days=length), kind)
    plain = _binding_by_rule(run(codes, day, request_type, country=country))
    paused = _binding_by_rule(run(codes, day, request_type, country=country, pauses=[pause]))
    assert plain.keys() == paused.keys()
    for rule, when in plain.items():
        assert paused[rule] >= when


@PROPERTY_SETTINGS
@given(codes=law_sets, day=dates, request_type=request_types, country=countries, promise_days=st.integers(1, 60))
def test_the_strictest_is_never_later_than_any_single_rule(
    codes: list[str], day: dt.date, request_type: str, country: str | None, promise_days: int
) -> None:
    promise = Promise(promise_days, "days", ("all",), "we respond quickly", "V")
    result = run(codes, day, request_type, country=country, promises=[promise])
    strictest = result.strictest
    assert strictest is not None  # the promise always has a date
    for deadline in result.binding:
        if deadline.due_date is not None:
            assert strictest.due_date is not None and strictest.due_date <= deadline.due_date


# --- The laws file and its parser ---------------------------------------------------------------------


def test_laws_yaml_parses_with_all_17_codes_and_the_authorities() -> None:
    laws_file = load_laws_file(default_laws_path())
    assert list(laws_file.codes) == ALL_CODES
    assert [a.country for a in laws_file.authorities] == ["EE", "FI", "DE", "DE-BB", "GB", "HK"]
    json.dumps(RAW)  # plain data: the loader stores and hashes each entry as JSON
    for law in laws_file.laws:
        assert law.response.status in ("V", "S", "U") and law.response.source.cite
        for right in law.rights:
            assert right.type in vocabulary.REQUEST_TYPES


def test_laws_yaml_encodes_the_counting_decisions() -> None:
    gdpr, uk, ccpa = LAWS["EU_GDPR"], LAWS["UK_GDPR"], LAWS["US_CA_CCPA"]
    assert gdpr.response.period.roll_forward and gdpr.response.period.holiday_calendar == "responder"
    assert (gdpr.pause.identity, gdpr.pause.clarification) == ("none", "none")
    assert (uk.pause.identity, uk.pause.clarification) == ("restart", "stop")
    assert ccpa.response.period.first_day_counts and not ccpa.response.period.roll_forward
    assert ccpa.response.period.holiday_calendar == "law"
    assert ccpa.extension is not None and ccpa.extension.total_cap is not None and ccpa.extension.total_cap.amount == 90
    assert LAWS["IN_DPDP"].response.period.amount is None
    assert LAWS["SG_PDPA"].response.period.amount is None
    sg_ext = LAWS["SG_PDPA"].extension
    assert sg_ext is not None and sg_ext.notify_within is not None and sg_ext.notify_within.amount == 30
    assert LAWS["CA_QC_LAW25"].extension is not None and not LAWS["CA_QC_LAW25"].extension.capped


def test_the_database_copy_of_an_entry_parses_the_same() -> None:
    # The loader stores each entry as JSON (dates become strings): parse_law must read that copy too.
    for entry in RAW["laws"]:
        stored = json.loads(json.dumps(entry, default=str))
        assert parse_law(stored, where="database") == LAWS[entry["code"]]


def _entry(code: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in RAW["laws"] if e["code"] == code))


@pytest.mark.parametrize(
    ("code", "change", "message"),
    [
        (
            "US_CA_CCPA",
            lambda e: e["response"].update(unit="weeks"),
            "laws.yaml: US_CA_CCPA: response.unit: 'weeks' is not one of months, days, business_days",
        ),
        (
            "EU_GDPR",
            lambda e: e["response"].update(amount="one"),
            "laws.yaml: EU_GDPR: response.amount: 'one' must be a whole number or null",
        ),
        (
            "EU_GDPR",
            lambda e: e["response"].update(status="X"),
            "laws.yaml: EU_GDPR: response.status: 'X' is not one of V, S, U",
        ),
        ("EU_GDPR", lambda e: e.pop("response"), "laws.yaml: EU_GDPR: response: missing"),
        ("EU_GDPR", lambda e: e.update(respnse={}), "laws.yaml: EU_GDPR: respnse: unknown field"),
        (
            "US_CA_CCPA",
            lambda e: e["rights"][0].update(type="know"),
            "laws.yaml: US_CA_CCPA: rights[0].type: 'know' is not a request type",
        ),
        (
            "UK_GDPR",
            lambda e: e["pause"].update(clarification="restart"),
            "laws.yaml: UK_GDPR: pause.clarification: 'restart' is not one of none, stop",
        ),
        (
            "US_VA_VCDPA",
            lambda e: e["extension"].update(unit="months"),
            "laws.yaml: US_VA_VCDPA: extension.unit: 'months' must be the same unit as the period it extends ('days')",
        ),
        (
            "US_CA_CCPA",
            lambda e: e["extension"]["total_cap"].update(amount=100),
            "laws.yaml: US_CA_CCPA: extension.total_cap.amount: 100 must lie between 45 and 90",
        ),
        (
            "US_CA_CCPA",
            lambda e: e["acknowledgement"].pop("applies_to"),
            "laws.yaml: US_CA_CCPA: acknowledgement.applies_to: missing",
        ),
        (
            "US_CA_CCPA",
            lambda e: e["opt_out"].update(applies_to=["opt_out", "sell"]),
            "laws.yaml: US_CA_CCPA: opt_out.applies_to[1]: 'sell' is not one of access",
        ),
        (
            "EU_GDPR",
            lambda e: e["jurisdictions"].append(False),
            "jurisdictions[30]: false is not an ISO code such as 'EE' or 'US-CA' (quote it: \"NO\")",
        ),
        (
            "EU_GDPR",
            lambda e: e["response"]["source"].update(url="gdprhub.eu"),
            "response.source.url: 'gdprhub.eu' is not an http(s) URL",
        ),
        ("EU_GDPR", lambda e: e["response"]["source"].pop("cite"), "laws.yaml: EU_GDPR: response.source.cite: missing"),
        (
            "US_UT_UCPA",
            lambda e: e["rights"][3].update(in_force_from="July 2026"),
            "rights[3].in_force_from: 'July 2026' is not a date",
        ),
        (
            "US_VA_VCDPA",
            lambda e: e["appeal"].update(amount=None),
            "laws.yaml: US_VA_VCDPA: appeal.amount: an available appeal needs",
        ),
        ("EU_GDPR", lambda e: e.update(code="gdpr"), "laws.yaml: gdpr: code: 'gdpr' is not a law code"),
        (
            "EU_GDPR",
            lambda e: e["refusal"].update(must_mention="complaint"),
            "laws.yaml: EU_GDPR: refusal.must_mention: must be a list",
        ),
        (
            "IN_DPDP",
            lambda e: e["response"].update(unit="days"),
            "laws.yaml: IN_DPDP: response.unit: 'days' given without an amount",
        ),
    ],
)
def test_bad_law_entries_name_file_entry_and_field(code: str, change: Any, message: str) -> None:
    entry = _entry(code)
    change(entry)
    with pytest.raises(LawDataError) as error:
        parse_law(entry, where="laws.yaml")
    assert message in str(error.value)


def test_bad_laws_files(tmp_path: Path) -> None:
    def write(document: Any) -> Path:
        path = tmp_path / "laws.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    duplicate = copy.deepcopy(RAW)
    duplicate["laws"].append(_entry("EU_GDPR"))
    with pytest.raises(LawDataError, match="laws.yaml: EU_GDPR: code: duplicate"):
        load_laws_file(write(duplicate))

    bad_authority = copy.deepcopy(RAW)
    bad_authority["supervisory_authorities"][0]["country"] = "Estonia"
    with pytest.raises(LawDataError, match=r"laws.yaml: supervisory_authorities\[0\] \(Estonia\): country"):
        load_laws_file(write(bad_authority))

    nameless = copy.deepcopy(RAW)
    del nameless["laws"][2]["code"]
    with pytest.raises(LawDataError, match=r"laws.yaml: laws\[2\]: code: missing"):
        load_laws_file(write(nameless))

    broken = tmp_path / "broken.yaml"
    broken.write_text("laws: [\n", encoding="utf-8")
    with pytest.raises(LawDataError, match=r"broken.yaml: line \d+: \(syntax\)"):
        load_laws_file(broken)
    with pytest.raises(LawDataError, match="missing.yaml: \\(file\\): cannot be read"):
        load_laws_file(tmp_path / "missing.yaml")


# --- The `deadline` command ---------------------------------------------------------------------------


def call(*args: str) -> str:
    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_prints_the_deadlines_with_explanations() -> None:
    out = call("--law", "EU_GDPR", "--law", "US_CA_CCPA", "--received", "2026-01-31", "--country", "EE")
    assert "Strictest deadline: Monday 2 March 2026 (Response due (EU_GDPR))" in out
    assert "Due Monday 2 March 2026: GDPR Art 12(3) gives one month from receipt on 31 January 2026" in out
    assert "Acknowledgement due (US_CA_CCPA): Friday 13 February 2026" in out
    assert "rules from database" in out  # conftest loads the laws into the test database


@pytest.mark.django_db
def test_command_json() -> None:
    out = call("--law", "UK_GDPR", "--received", "2026-03-03", "--paused", "2026-03-05:2026-03-10:identity", "--json")
    data = json.loads(out)
    assert data["received_on"] == "2026-03-03"
    assert data["country"] == "GB"  # the only law's jurisdiction
    assert data["strictest"]["due_date"] == "2026-04-10"
    assert data["strictest"]["due_at"].startswith("2026-04-10T23:59:59.999999")
    assert data["strictest"]["pauses"][0]["effect"] == "restart"


@pytest.mark.django_db
def test_command_json_uk_clarification_pause_applies_to_access_only() -> None:
    """DPA 2018 s.54(3C); UK GDPR Art 12A: stop-the-clock for access requests only."""
    args = ("--law", "UK_GDPR", "--received", "2026-02-09", "--paused", "2026-02-11:2026-02-16:clarification")
    access = json.loads(call(*args, "--json"))
    erasure = json.loads(call(*args, "--type", "erasure", "--json"))
    assert access["strictest"]["due_date"] == "2026-03-16"
    assert erasure["strictest"]["due_date"] == "2026-03-09"
    assert erasure["strictest"]["pauses"][0]["applied"] is False


def test_a_gdpr_deadline_for_a_responder_outside_the_eu_does_not_roll_past_its_own_holidays() -> None:
    """Reg 1182/71 Art 3(4) with Art 2(1): the holidays of the Member State concerned. Serai answers from Hong
    Kong: 17 Jan 2026 + 1 month = Tue 17 Feb 2026, Lunar New Year in Hong Kong, a working day in every Member
    State; it must not roll to Fri 20 Feb. Under Hong Kong's own law its holidays count."""
    gdpr = one(run("EU_GDPR", D(2026, 1, 17), country="HK", tz="Asia/Hong_Kong"), "response")
    assert gdpr.due_date == D(2026, 2, 17)
    assert "public holidays of HK, where the responder is, do not count" in gdpr.explanation
    in_eu = one(run("EU_GDPR", D(2026, 1, 17), country="EE"), "response")
    assert "do not count" not in in_eu.explanation
    # The same responder's holidays do count for a law whose territory it is in (PDPO, Hong Kong).
    pdpo = run("HK_PDPO", D(2026, 1, 17), country="HK", tz="Asia/Hong_Kong")
    assert all("do not count" not in d.explanation for d in pdpo.deadlines)


@pytest.mark.django_db
def test_command_json_serai_gdpr_deadline_ignores_hong_kong_holidays() -> None:
    """Reg 1182/71: a Member State's holidays, never a third country's (the later reading)."""
    data = json.loads(call("--law", "EU_GDPR", "--received", "2026-01-17", "--vendor", "serai", "--json"))
    response = next(d for d in data["deadlines"] if d["kind"] == "response")
    assert response["due_date"] == "2026-02-17"


@pytest.mark.django_db
def test_command_extension_and_state_holidays() -> None:
    data = json.loads(
        call("--law", "EU_GDPR", "--received", "2026-01-31", "--extended", "--announced", "2026-02-20", "--json")
    )
    response = next(d for d in data["deadlines"] if d["kind"] == "response")
    assert (response["due_date"], response["extended"], response["unextended_date"]) == (
        "2026-04-30",
        True,
        "2026-03-02",
    )
    ack = json.loads(call("--law", "US_CA_CCPA", "--received", "2026-03-30", "--type", "erasure", "--json"))
    assert next(d for d in ack["deadlines"] if d["kind"] == "acknowledgement")["due_date"] == "2026-04-13"


@pytest.mark.django_db
def test_command_state_selects_the_regional_holidays() -> None:
    # 6 Mar 2026 + 1 month = Mon 6 Apr 2026: Easter Monday is a bank holiday in England, not in Scotland.
    england = json.loads(
        call("--law", "UK_GDPR", "--received", "2026-03-06", "--country", "GB", "--state", "ENG", "--json")
    )
    scotland = json.loads(
        call("--law", "UK_GDPR", "--received", "2026-03-06", "--country", "GB", "--state", "SCT", "--json")
    )
    assert england["strictest"]["due_date"] == "2026-04-07"
    assert scotland["strictest"]["due_date"] == "2026-04-06"
    assert (england["country"], england["subdivision"]) == ("GB", "ENG")


@pytest.mark.django_db
def test_command_with_a_vendor_uses_its_promise_and_place() -> None:
    # leadsment: Finland, Europe/Helsinki, "We respond within 30 days, typically much sooner."
    data = json.loads(call("--law", "EU_GDPR", "--received", "2026-01-01", "--vendor", "leadsment", "--json"))
    assert (data["timezone"], data["country"]) == ("Europe/Helsinki", "FI")
    assert data["strictest"]["kind"] == "promise"
    assert data["strictest"]["due_date"] == "2026-01-31"


@pytest.mark.django_db
def test_command_falls_back_to_the_laws_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from dsr.management.commands import deadline as command

    monkeypatch.setattr(command, "laws_from_database", lambda: {})
    out = call("--law", "CH_FADP", "--received", "2026-03-03")
    assert "rules from laws.yaml" in out
    assert "Response due (CH_FADP): Thursday 2 April 2026 [V]" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--law", "XX_LAW", "--received", "2026-01-31"], "Unknown law 'XX_LAW'"),
        (
            ["--law", "EU_GDPR", "--received", "2026/01/31"],
            "--received: '2026/01/31' is not a date in the form YYYY-MM-DD.",
        ),
        (["--law", "EU_GDPR", "--received", "2026-02-30"], "is not a date in the form YYYY-MM-DD"),
        (
            ["--law", "UK_GDPR", "--received", "2026-03-03", "--paused", "2026-03-10:2026-03-05"],
            "The identity pause ends on 5 March 2026, before it starts (10 March 2026).",
        ),
        (["--law", "UK_GDPR", "--received", "2026-03-03", "--paused", "2026-03-10"], "must look like FROM:TO"),
        (
            ["--law", "UK_GDPR", "--received", "2026-03-03", "--paused", "2026-03-05:2026-03-06:holiday"],
            "not a pause kind",
        ),
        (
            [
                "--law",
                "EU_GDPR",
                "--received",
                "2026-03-03",
                "--country",
                "EE",
                "--extended",
                "--announced",
                "2026-04-07",
            ],
            "The extension was announced on 7 April 2026, after the deadline to announce it (6 April 2026)",
        ),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--announced", "2026-03-07"], "--announced needs --extended"),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--type", "know"], "--type: 'know' is not one of"),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--vendor", "nobody"], "Unknown vendor 'nobody'"),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--country", "QQ"], "no public-holiday calendar"),
        (["--law", "CA_QC_LAW25", "--received", "2026-03-03", "--extended"], "no applicable law"),
        (["--law", "EU_GDPR", "--received", "2026-03-03", "--country", "US", "--state", "ZZ"], "'US-ZZ'"),
    ],
)
def test_command_invalid_input_is_a_one_line_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as error:
        call(*args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# --- A processor's forwarding target (processor_duty.forward_within) ----------------------------------


def test_a_processors_forwarding_target_is_three_business_days_in_its_own_calendar() -> None:
    """GDPR Art 28(3)(e); EDPB 07/2020 paras 127-129: forward promptly. Received Thu 2 Apr 2026 in Germany:
    Good Friday and Easter Monday are holidays, so Tue 7, Wed 8, Thu 9 April."""
    target = forward_target(
        [LAWS["EU_GDPR"]], received_at=at_noon(D(2026, 4, 2)), timezone="Europe/Berlin", country="DE"
    )
    assert target is not None and target.due_date == D(2026, 4, 9)
    assert target.law_code == "EU_GDPR" and "house decision" in target.explanation
    assert target.due_at.date() == D(2026, 4, 9)


def test_the_forwarding_target_never_falls_after_the_response_and_uses_no_foreign_holidays() -> None:
    capped = forward_target(
        [LAWS["EU_GDPR"]],
        received_at=at_noon(D(2026, 4, 2)),
        timezone="Europe/Berlin",
        country="DE",
        response_due=D(2026, 4, 7),
    )
    assert capped is not None and capped.due_date == D(2026, 4, 7) and "comes first" in capped.explanation
    # A responder outside the EEA: its own holidays (Hong Kong's Easter) do not count for the GDPR.
    hk = forward_target([LAWS["EU_GDPR"]], received_at=at_noon(D(2026, 4, 2)), timezone="Asia/Hong_Kong", country="HK")
    assert hk is not None and hk.due_date == D(2026, 4, 7)
    assert forward_target([], received_at=at_noon(D(2026, 4, 2)), timezone="UTC") is None
