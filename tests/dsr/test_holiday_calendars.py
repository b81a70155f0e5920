"""The public-holiday calendars the deadline engine counts with are data written from the pinned `holidays`
library (dsr.engine.holiday_calendars, manage.py holiday_calendars): the same answers as the library, for
every place our laws and vendors name, without loading the library in the processes that count."""

from __future__ import annotations

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


def test_a_place_or_year_outside_the_files_is_asked_of_the_library() -> None:
    """`deadline --country JP` and a date after the last year written still count real holidays."""
    assert not (holiday_calendars.DATA_DIR / "JP.json").exists()
    assert holiday_calendars.calendar("JP", None).get(dt.date(2026, 5, 5)) is not None  # Children's Day
    german = holiday_calendars.calendar("DE", None)
    assert german.last_year < 2037
    assert german.get(dt.date(2037, 12, 25)) is not None
    assert german.get(dt.date(2037, 12, 28)) is None


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
