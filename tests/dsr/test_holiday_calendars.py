"""The public-holiday calendars the deadline engine counts with are data written from the pinned `holidays`
library (dsr.engine.holiday_calendars, manage.py holiday_calendars): the same answers as the library (for
California, only its days that are holidays under Gov. Code 6700 and 6701), for every place our laws and
vendors name, without loading the library in the processes that count."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dsr.engine import holiday_calendars
from dsr.engine.deadlines import DeadlineError, compute_deadlines
from policies.laws import default_laws_path, load_laws_file

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_matches_the_library_and_every_place_named_has_one() -> None:
    call_command("holiday_calendars", "--check")  # raises CommandError on any difference or missing file


def test_the_check_fails_when_a_file_no_longer_matches_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "holidays"
    shutil.copytree(holiday_calendars.DATA_DIR, copy)
    data = json.loads((copy / "DE.json").read_text(encoding="utf-8"))
    del data["days"]["2026-04-06"]  # Easter Monday
    (copy / "DE.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(holiday_calendars, "DATA_DIR", copy)
    with pytest.raises(CommandError, match="DE.json"):
        call_command("holiday_calendars", "--check")


def test_the_files_give_the_holidays_the_deadlines_skip() -> None:
    """Easter Monday 2026 in Germany; California's Cesar Chavez Day (observed Mon 30 Mar 2026)."""
    assert holiday_calendars.calendar("DE", None).get(dt.date(2026, 4, 6)) == "Easter Monday"
    assert holiday_calendars.calendar("DE", None).get(dt.date(2026, 4, 7)) is None
    assert "Cesar Chavez" in (holiday_calendars.calendar("US", "CA").get(dt.date(2026, 3, 31)) or "")


def test_california_skips_the_state_holidays_of_gov_code_6700_and_6701_only() -> None:
    """Every day California's business days skip in 2027 and 2028, and nothing else the library lists: no Susan B.
    Anthony Day, no Day After Thanksgiving, no Diwali, no Friday for a Saturday holiday but Veterans Day's."""
    california = holiday_calendars.calendar("US", "CA")
    skipped = {
        day: california.get(day)
        for day in (dt.date(2027, 1, 1) + dt.timedelta(days=n) for n in range(731))
        if california.get(day) is not None
    }
    assert skipped == {
        dt.date(2027, 1, 1): "New Year's Day",
        dt.date(2027, 1, 18): "Martin Luther King Jr. Day",
        dt.date(2027, 2, 15): "Presidents' Day",
        dt.date(2027, 3, 31): "Cesar Chavez Day",
        dt.date(2027, 5, 31): "Memorial Day",
        dt.date(2027, 6, 19): "Juneteenth National Independence Day",  # a Saturday: no Friday (6701)
        dt.date(2027, 7, 4): "Independence Day",
        dt.date(2027, 7, 5): "Independence Day (observed)",  # 4 July on a Sunday: the Monday (6701)
        dt.date(2027, 9, 6): "Labor Day",
        dt.date(2027, 11, 11): "Veterans Day",
        dt.date(2027, 11, 25): "Thanksgiving Day",
        dt.date(2027, 12, 25): "Christmas Day",  # a Saturday: no Friday (6701)
        dt.date(2028, 1, 1): "New Year's Day",  # a Saturday: no Friday 31 Dec 2027 (6701)
        dt.date(2028, 1, 17): "Martin Luther King Jr. Day",
        dt.date(2028, 2, 21): "Presidents' Day",
        dt.date(2028, 3, 31): "Cesar Chavez Day",
        dt.date(2028, 5, 29): "Memorial Day",
        dt.date(2028, 6, 19): "Juneteenth National Independence Day",
        dt.date(2028, 7, 4): "Independence Day",
        dt.date(2028, 9, 4): "Labor Day",
        dt.date(2028, 11, 10): "Veterans Day (observed)",  # 11 November on a Saturday: the Friday before (6701)
        dt.date(2028, 11, 11): "Veterans Day",
        dt.date(2028, 11, 23): "Thanksgiving Day",
        dt.date(2028, 12, 25): "Christmas Day",
    }


def test_a_library_holiday_the_selection_has_not_decided_stops_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library upgrade that adds or renames a Californian holiday is judged before it counts or is dropped."""
    undecided = dict(holiday_calendars.CALIFORNIA.leave_out)
    del undecided["Diwali"]
    selection = dataclasses.replace(holiday_calendars.CALIFORNIA, leave_out=undecided)
    monkeypatch.setitem(holiday_calendars.SELECTIONS, "US-CA", selection)
    with pytest.raises(holiday_calendars.UndecidedHoliday, match="'Diwali'"):
        holiday_calendars.generate("US", "CA", range(2026, 2027))
    with pytest.raises(CommandError, match="neither keeps nor leaves out"):
        call_command("holiday_calendars", "--check")


def test_a_place_or_year_outside_the_files_is_asked_of_the_library() -> None:
    """`deadline --country JP` and a date after the last year written still count real holidays."""
    assert not (holiday_calendars.DATA_DIR / "JP.json").exists()
    assert holiday_calendars.calendar("JP", None).get(dt.date(2026, 5, 5)) is not None  # Children's Day
    german = holiday_calendars.calendar("DE", None)
    assert german.last_year < 2037
    assert german.get(dt.date(2037, 12, 25)) is not None
    assert german.get(dt.date(2037, 12, 28)) is None


def test_a_californian_year_outside_the_files_keeps_only_the_state_holidays() -> None:
    """Past the files, the library's answer for California goes through the same selection as the files."""
    california = holiday_calendars.calendar("US", "CA")
    assert california.last_year < 2037
    assert california.get(dt.date(2037, 7, 4)) == "Independence Day"
    assert california.get(dt.date(2037, 7, 3)) is None  # 4 July 2037 is a Saturday: no Friday (6701)
    assert california.get(dt.date(2037, 11, 26)) == "Thanksgiving Day"
    assert california.get(dt.date(2037, 11, 27)) is None  # the Day After Thanksgiving: not in 6700


def test_an_unknown_place_is_refused() -> None:
    laws = load_laws_file(default_laws_path()).by_code()
    with pytest.raises(DeadlineError, match="no public-holiday calendar for 'DE-XX'"):
        compute_deadlines(
            [laws["EU_GDPR"]],
            request_type="access",
            received_at=dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC),
            timezone="Europe/Berlin",
            country="DE",
            subdivision="XX",
        )


def test_counting_business_days_in_our_places_does_not_load_the_library() -> None:
    """The point of the files: a worker computing a California or German deadline keeps the library's
    registry (about 19 MiB with one calendar) out of its memory."""
    code = """
import datetime as dt, sys
import django
django.setup()
from policies.laws import default_laws_path, load_laws_file
from dsr.engine.deadlines import compute_deadlines
laws = load_laws_file(default_laws_path()).by_code()
result = compute_deadlines([laws["EU_GDPR"], laws["US_CA_CCPA"]], request_type="erasure",
    received_at=dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC), timezone="Europe/Berlin", country="DE")
assert any(d.due_date for d in result.deadlines)
print("holidays" in sys.modules)
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
