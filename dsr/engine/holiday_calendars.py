"""Public-holiday calendars for counting business days, as data generated from the `holidays` library.

The places our laws and vendors name (every law's jurisdictions, every vendor's country) have their
holidays written out, year by year, in `dsr/engine/holidays/<PLACE>.json` by
`manage.py holiday_calendars`, from the pinned version of the library, which each file names as its
source. Reading a small file costs a process far less memory than the library's registry and a
calendar object (about 19 MiB, measured for issue #8), and the answer is the same: a test compares
every file with the library, so an upgrade of the library without regenerating the files fails the
suite.

A place or a year outside the files (a `deadline --country JP` from the command line, a date after the
last year written) asks the library itself, imported only then.

Where the library's list is not the law's, the file keeps only the law's days: `SELECTIONS` names, for such a
place, which of the library's holidays count and why, and which it leaves out and why, each with its source
(California: `CALIFORNIA`, the holidays of Gov. Code 6700 and 6701). A library day the selection does not
decide stops the generation, so an upgrade that adds or renames a holiday is judged before it counts. A year
outside the files goes through the same selection.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "holidays"
SUPPORTED_FILE = "_supported.json"


class UnknownPlace(LookupError):
    """No public-holiday calendar is known for this country or subdivision."""


class UndecidedHoliday(ValueError):
    """The library lists a holiday that the place's selection neither keeps nor leaves out."""


# ---- Which of the library's days count, where the library's list is not the law's ----------------------


@dataclass(frozen=True)
class Keep:
    """A library holiday the place's business days skip, with the law that makes it a holiday."""

    source: str
    since: int | None = None  # the first year the law lists it (the library may list it earlier)
    sunday_to_monday: bool = False  # when it falls on a Sunday, the Monday after is a holiday too
    saturday_to_friday: bool = False  # when it falls on a Saturday, the Friday before is a holiday too


@dataclass(frozen=True)
class Selection:
    """The law's holidays of one place, as a choice among the library's (which is asked with observed=False:
    the days moved off a weekend are the selection's, never the library's federal Saturday-to-Friday rule)."""

    law: str
    keep: Mapping[str, Keep]  # the library's name of the holiday -> why it counts
    leave_out: Mapping[str, str]  # the library's name of the holiday -> why it does not


_6700 = "Cal. Gov. Code 6700(a)"
_6701_SUNDAY = "Gov. Code 6701: on a Sunday, the Monday following is a holiday"

# California's business days (the CCPA's 10-day acknowledgement and 15-day opt-out, 11 CCR 7021(a), 7026(f),
# 7027(g); policies/data/laws.yaml US_CA_CCPA).
#
# Reading. 'Business days' is not defined in the retrieved regulations (U). The reference
# (/work/shared/reference/legal-rules.md §1.3) and laws.yaml skip Saturdays, Sundays and California state
# holidays. The state holidays are those of Gov. Code 6700 ('The holidays in this state are: ...') and 6701
# (January 1, February 12, March 31, July 4, September 9, November 11 or December 25 on a Sunday: the Monday
# following is a holiday; November 11 on a Saturday: the preceding Friday; no other Saturday rule). The CCPA
# sits in the Civil Code, whose holidays are 'every Sunday and such other days as are specified or provided for
# as holidays in the Government Code' (Civ. Code 7), all other days being business days (Civ. Code 9).
# House rule, earlier deadline: only days that are certainly holidays in that sense are skipped: whole days
# listed in 6700 (or moved there by 6701) on which the state closes its own courts (judicial holidays, CCP 135:
# 'every full day designated as a holiday by Section 6700', except Admission Day, Columbus Day, days appointed
# by the President alone and, as they were added to 6700, Lunar New Year, Genocide Remembrance Day (S) and
# Diwali). A 6700 day the Legislature left optional (state employees may elect it, schools may close, the courts
# stay open) is a day a business may keep open, so it counts as a business day; so do Good Friday's three hours
# (12 noon to 3 p.m., 6700) and the holidays of state employees or of the courts alone (the Day After
# Thanksgiving: Gov. Code 19853(a), CCP 135). Juneteenth is elective for state employees too (19853(e)) but a
# judicial holiday: skipped.
#
# Left out although in 6700, because the library does not list them (each makes a date earlier, never later):
# Lunar New Year, Lincoln Day (February 12) after 2009, Genocide Remembrance Day (April 24), Admission Day
# (September 9), Native American Day (fourth Friday in September), Columbus Day after 2008, and any day the
# Governor or the President appoints. Lincoln Day and Native American Day are judicial holidays: counting them
# as business days is the earlier reading, taken knowingly.
#
# Sources: Gov. Code 6700-6701, leginfo.legislature.ca.gov (chapter 7 text as amended 2016) and law.onecle.com
# (6701 as amended 2002: no later amendment was retrieved, so none adding June 19); the current 6700 list with
# Lunar New Year, Genocide Remembrance Day and Juneteenth, legalfina.com (S); Juneteenth added by AB 1655 (Stats.
# 2022, ch. 753, leginfo), Lunar New Year by AB 2596 (Stats. 2022, ch. 792), Diwali by AB 268 (Stats. 2025, ch.
# 358: state employees may elect it, schools may close, not a judicial holiday; Legislative Counsel's digest,
# calmatters.digitaldemocracy.org); CCP 135 as amended by AB 855 (Stats. 2021, ch. 283, legiscan.com); Gov. Code
# 19853, casetext.com (current through 2024); Civ. Code 7 and 9, law.justia.com and law.onecle.com.
CALIFORNIA = Selection(
    law="Cal. Gov. Code 6700 and 6701",
    keep={
        "New Year's Day": Keep(f"{_6700}: 'January 1'; {_6701_SUNDAY}", sunday_to_monday=True),
        "Martin Luther King Jr. Day": Keep(f"{_6700}: 'The third Monday in January'"),
        "Lincoln's Birthday": Keep(
            f"{_6700}: 'February 12, known as \"Lincoln Day\"'; {_6701_SUNDAY}", sunday_to_monday=True
        ),
        "Presidents' Day": Keep(f"{_6700}: 'The third Monday in February'"),
        "Cesar Chavez Day": Keep(
            f"{_6700}: 'March 31, known as \"Cesar Chavez Day\"'; {_6701_SUNDAY}", sunday_to_monday=True
        ),
        "Memorial Day": Keep(f"{_6700}: 'The last Monday in May'"),
        "Juneteenth National Independence Day": Keep(
            f"{_6700}: 'June 19, known as \"Juneteenth\"', added by AB 1655 (Stats. 2022, ch. 753) from 2023; "
            "a judicial holiday (CCP 135); 6701 as retrieved does not move it off a weekend (earlier reading)",
            since=2023,
        ),
        "Independence Day": Keep(f"{_6700}: 'July 4'; {_6701_SUNDAY}", sunday_to_monday=True),
        "Labor Day": Keep(f"{_6700}: 'The first Monday in September'"),
        "Veterans Day": Keep(
            f"{_6700}: 'November 11, known as \"Veterans Day\"'; {_6701_SUNDAY}; "
            "Gov. Code 6701: on a Saturday, the preceding Friday is a holiday",
            sunday_to_monday=True,
            saturday_to_friday=True,
        ),
        "Thanksgiving Day": Keep(
            f"{_6700}: 'Every day appointed by the President or Governor for a public fast, thanksgiving, or "
            "holiday', which names 'the Thursday in November appointed as Thanksgiving Day'"
        ),
        "Christmas Day": Keep(f"{_6700}: 'December 25'; {_6701_SUNDAY}", sunday_to_monday=True),
    },
    leave_out={
        "Susan B. Anthony Day": "not a holiday of Gov. Code 6700",
        "Day After Thanksgiving": "a holiday of state employees (Gov. Code 19853(a)) and of the courts (CCP 135), "
        "not a holiday of Gov. Code 6700: a business day (earlier reading)",
        "Diwali": "in Gov. Code 6700 from 2026 (AB 268, Stats. 2025, ch. 358), but optional: state employees may "
        "elect it, schools may close, and it is not a judicial holiday (CCP 135): a business day (earlier reading)",
        "Columbus Day": "in Gov. Code 6700, but not a judicial holiday (CCP 135, AB 855, Stats. 2021, ch. 283) nor "
        "a state employees' holiday (Gov. Code 19853(a)): a business day (earlier reading)",
    },
)

SELECTIONS: dict[str, Selection] = {"US-CA": CALIFORNIA}


def place_label(country: str, subdivision: str | None) -> str:
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=1)
def _supported() -> dict[str, frozenset[str]]:
    path = DATA_DIR / SUPPORTED_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {country: frozenset(subdivisions) for country, subdivisions in data["countries"].items()}


def check_place(country: str, subdivision: str | None) -> None:
    """Raise UnknownPlace where the library has no calendar for the country or its subdivision."""
    supported = _supported()
    if not supported:  # no generated list: the library decides
        _library_calendar(country, subdivision)
        return
    if country not in supported or (subdivision is not None and subdivision not in supported[country]):
        raise UnknownPlace(place_label(country, subdivision))


class Calendar:
    """One place's public holidays: the generated file's years from memory, any other year from the library."""

    def __init__(self, country: str, subdivision: str | None) -> None:
        self.country = country
        self.subdivision = subdivision
        self.first_year, self.last_year, self._days = _read(place_label(country, subdivision))

    def get(self, day: dt.date) -> str | None:
        """The holiday's name on `day` (several joined by "; "), or None for an ordinary day."""
        if self.first_year <= day.year <= self.last_year:
            return self._days.get(day)
        return _library_year(self.country, self.subdivision, day.year).get(day)


def _read(place: str) -> tuple[int, int, dict[dt.date, str]]:
    path = DATA_DIR / f"{place}.json"
    if not path.exists():
        return 1, 0, {}  # no year in memory: every lookup asks the library
    data = json.loads(path.read_text(encoding="utf-8"))
    days = {dt.date.fromisoformat(day): name for day, name in data["days"].items()}
    return int(data["years"][0]), int(data["years"][1]), days


@lru_cache(maxsize=64)
def calendar(country: str, subdivision: str | None) -> Calendar:
    """The calendar of a place (raises UnknownPlace for one the library does not know)."""
    check_place(country, subdivision)
    return Calendar(country, subdivision)


@lru_cache(maxsize=64)
def _library_calendar(country: str, subdivision: str | None) -> Any:
    # Imported only here: the processes that count business days in the places of the files never load it.
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise UnknownPlace(place_label(country, subdivision)) from None


@lru_cache(maxsize=64)
def _library_year(country: str, subdivision: str | None, year: int) -> dict[dt.date, str]:
    """One year the files do not hold, from the library, through the place's selection (if any): a holiday the
    selection has not decided is left out, which can only make a date earlier."""
    return library_days(country, subdivision, range(year, year + 1), strict=False)


def library_days(country: str, subdivision: str | None, years: range, *, strict: bool = True) -> dict[dt.date, str]:
    """The place's holidays in `years`: the library's, or where `SELECTIONS` names the place, the law's among
    them (strict: a library holiday the selection does not decide raises UndecidedHoliday)."""
    import holidays

    label = place_label(country, subdivision)
    selection = SELECTIONS.get(label)
    try:
        library = holidays.country_holidays(country, subdiv=subdivision, years=years, observed=selection is None)
    except NotImplementedError:
        raise UnknownPlace(label) from None
    if selection is None:
        return {day: str(name) for day, name in sorted(library.items())}
    found: dict[dt.date, list[str]] = {}
    for day in sorted(library):
        for name in library.get_list(day):
            rule = selection.keep.get(name)
            if rule is None:
                if strict and name not in selection.leave_out:
                    raise UndecidedHoliday(
                        f"{label}: the holidays library lists {name!r} ({day.isoformat()}), which "
                        f"dsr.engine.holiday_calendars.SELECTIONS[{label!r}] neither keeps nor leaves out: decide "
                        f"whether it is a holiday under {selection.law}."
                    )
                continue
            if rule.since is not None and day.year < rule.since:
                continue
            found.setdefault(day, []).append(name)
            if rule.sunday_to_monday and day.weekday() == 6:
                found.setdefault(day + dt.timedelta(days=1), []).append(f"{name} (observed)")
            if rule.saturday_to_friday and day.weekday() == 5:
                found.setdefault(day - dt.timedelta(days=1), []).append(f"{name} (observed)")
    return {day: "; ".join(names) for day, names in sorted(found.items())}


# ---- Writing the files (manage.py holiday_calendars) ----------------------------------------------------


def library_version() -> str:
    from importlib.metadata import version

    return version("holidays")


def generate(country: str, subdivision: str | None, years: range) -> dict[str, Any]:
    """One place's file, from the library (through the place's selection, where `SELECTIONS` names it)."""
    label = place_label(country, subdivision)
    selection = SELECTIONS.get(label)
    if selection is None:
        source = f"holidays.country_holidays({country!r}, subdiv={subdivision!r})"
    else:
        source = (
            f"holidays.country_holidays({country!r}, subdiv={subdivision!r}, observed=False), only the holidays of "
            f"{selection.law} (dsr.engine.holiday_calendars.SELECTIONS[{label!r}])"
        )
    days = library_days(country, subdivision, years)
    content: dict[str, Any] = {
        "place": label,
        "source": f"python-holidays {library_version()}: {source}, generated by manage.py holiday_calendars",
        "years": [years.start, years.stop - 1],
    }
    if selection is not None:
        content["kept"] = {name: rule.source for name, rule in selection.keep.items()}
        content["left_out"] = dict(selection.leave_out)
    return content | {"days": {day.isoformat(): name for day, name in days.items()}}


def supported_places() -> dict[str, Any]:
    import holidays

    countries = holidays.list_supported_countries()
    return {
        "source": f"python-holidays {library_version()}: holidays.list_supported_countries()",
        "countries": {country: sorted(subdivisions) for country, subdivisions in sorted(countries.items())},
    }


def write_files(places: Iterable[tuple[str, str | None]], years: range, directory: Path = DATA_DIR) -> list[Path]:
    """Write the list of supported places and one file per place; remove files of places no longer named."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / SUPPORTED_FILE]
    written[0].write_text(json.dumps(supported_places(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for country, subdivision in sorted(set(places), key=lambda p: place_label(*p)):
        path = directory / f"{place_label(country, subdivision)}.json"
        content = generate(country, subdivision, years)
        path.write_text(json.dumps(content, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    for stale in set(directory.glob("*.json")) - set(written):
        stale.unlink()
    return written
