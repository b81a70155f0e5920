"""By when must we do this? The one place that answers it.

Pure and typed: no database and no clock. The receipt instant, the pauses and the extension are
arguments, and the legal rules come in as `policies.laws.LawRules` parsed from policies/data/laws.yaml.
This module holds the counting *method*. Every legal *fact* (how long a period is, whether it rolls
forward, whose holidays count, what pauses the clock) is in the data, with its source and V/S/U mark.
Each deadline comes back with a plain-language explanation that staff can paste into a letter.

How counting works (each step is a rule in laws.yaml and is cited in the explanation):

1. The receipt instant is converted to the responder's local date. A request received at 23:30 UTC on
   31 January counts as received on 1 February in Tallinn.
2. The period is counted from that date (or from a restart, see pauses):
   - months: the same date in the later month. Where that date does not exist, the last day of that
     month (Reg 1182/71 Art 3(2)(c): 31 Jan -> 28/29 Feb, never 1 or 3 March).
   - days: the day after receipt is day 1, unless the rule says the day of receipt counts (CCPA reg
     7021(b): 45 days = receipt + 44).
   - business days: Saturdays, Sundays and public holidays (from the `holidays` library, written out as
     data by `manage.py holiday_calendars` (dsr.engine.holiday_calendars), never a hand list of dates; for
     California only the library's days that are holidays under Gov. Code 6700 and 6701, chosen by name in
     holiday_calendars.SELECTIONS) are skipped.
3. 'stop' pauses add the paused days, the first and the last included (UK DPA s.54(3C)(b)); a 'restart'
   pause starts the period again on the day the pause ends (UK 'relevant time'). A pause the law does not
   recognise is reported and not applied.
4. Where the rule rolls forward, a last day on a Saturday, Sunday or public holiday moves to the next
   working day (Reg 1182/71 Art 3(4)).
5. A deadline ends at the end of that local day: `due_at` is the last instant of the day in the
   responder's time zone.

House rule: where a rule is unclear or unverified, the data takes the reading that gives the earlier
deadline and says so. This module follows the same rule where it decides anything itself. A vendor's
promise is never moved for weekends, pauses or extensions. A pause that begins after the running
deadline has passed does not revive it.

The strictest deadline is the earliest among all binding deadlines: every applicable law's own rule
plus the vendor's promise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from dsr.engine import holiday_calendars
from dsr.engine.explain import format_date as format_date  # dates in words, used here and by callers
from dsr.engine.explain import render_english, render_forward_english, render_pause_english
from dsr.engine.steps import Step
from policies import vocabulary
from policies.laws import (
    ALL,
    PAUSE_KINDS,
    STATUS_MEANING,
    Duration,
    Extension,
    LawRules,
    PauseEffect,
    PauseKind,
    PausePolicy,
    Period,
    Source,
    Status,
    TimedRule,
    Unit,
    describe_amount,
)

DeadlineKind = Literal[
    "response",  # a law's answer deadline for the request
    "opt_out",  # a law's own opt-out clock (CCPA 15 business days)
    "consent_withdrawal",  # stop processing after consent is withdrawn (CT 15 days, MT 45 days)
    "appeal",  # answer to an appeal (US states)
    "grievance",  # answer to a grievance (India DPDP Rule 14(3): at most 90 days)
    "promise",  # the vendor's own promise
    "acknowledgement",  # confirm receipt (CCPA 10 business days)
    "extension_notice",  # the last day to announce an extension (or a delay, where it is open-ended)
    "extended_response",  # what the deadline would become if extended (not binding until announced)
]
BINDING_KINDS: tuple[DeadlineKind, ...] = (
    "response",
    "opt_out",
    "consent_withdrawal",
    "appeal",
    "grievance",
    "promise",
)

TITLES: dict[str, str] = {
    "response": "Response due",
    "opt_out": "Opt-out to be carried out",
    "consent_withdrawal": "Processing to stop after consent withdrawal",
    "appeal": "Appeal answer due",
    "grievance": "Grievance answer due",
    "promise": "Vendor promise",
    "acknowledgement": "Acknowledgement due",
    "extension_notice": "Extension to be announced by",
    "extended_response": "Deadline if extended",
}


class DeadlineError(ValueError):
    """The question cannot be answered as asked. The message is plain and fit to show to staff."""


# --- Inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """A vendor's own commitment, e.g. "We respond within 30 days" (a fact from the vendor's policy).

    Read the earlier way: counted from the day after receipt, never moved for weekends or holidays, never
    paused and never extended. It keeps binding when a law's deadline is extended.
    """

    amount: int
    unit: Unit
    applies_to: tuple[str, ...]
    cite: str
    vendor: str = "the vendor"

    def covers(self, request_type: str) -> bool:
        return ALL in self.applies_to or request_type in self.applies_to

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, vendor: str | None = None) -> Promise:
        """From the dicts `policies.services.promise_and_place_for_vendor` returns."""
        amount = data.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise DeadlineError(f"A promise needs a whole number of days or months, not {amount!r}.")
        unit = data.get("unit")
        if unit not in vocabulary.PROMISE_UNITS:
            raise DeadlineError(f"A promise's unit must be one of {', '.join(vocabulary.PROMISE_UNITS)}, not {unit!r}.")
        applies_to = tuple(data.get("applies_to") or (ALL,))
        for item in applies_to:
            if item != ALL and item not in vocabulary.REQUEST_TYPES:
                raise DeadlineError(f"A promise applies to an unknown request type {item!r}.")
        return cls(
            amount=amount,
            unit=cast(Unit, unit),
            applies_to=applies_to,
            cite=str(data.get("cite") or ""),
            vendor=str(vendor or data.get("vendor") or "the vendor"),
        )


@dataclass(frozen=True)
class Pause:
    """An interval while the request waited on the person (both dates in the responder's local time)."""

    start: dt.date
    end: dt.date
    kind: PauseKind

    @property
    def days(self) -> int:
        """The days a 'stop' adds: both ends included. UK DPA 2018 s.54(3C)(b) (UK GDPR Art 12A alike): "the
        period beginning with the day on which the controller makes the request and ending with the day on which
        the controller receives the information does not count" (asked on 5 March, answered on 10 March: 6 days)."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ExtensionRequest:
    """Whether staff extended the deadline, and the day the extension was announced to the person."""

    taken: bool = False
    announced_on: dt.date | None = None


# --- Outputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedPause:
    """What one pause did to one deadline, and why."""

    pause: Pause
    effect: PauseEffect
    applied: bool
    days_added: int
    step: Step

    @property
    def explanation(self) -> str:
        return render_pause_english(self.step)


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    rule: str  # the law code, or "promise: <vendor>"
    law_code: str | None
    title: str
    due_date: dt.date | None  # None: the law sets no fixed period (explanation says what it says instead)
    due_at: dt.datetime | None  # the last instant of due_date in the responder's time zone
    binding: bool  # counts for the strictest deadline
    status: Status | None  # V/S/U of the rule (None for a vendor promise: it is the vendor's own text)
    source: Source
    steps: tuple[Step, ...]  # what the engine did, as data: headline, counting, pauses, verification mark
    pauses: tuple[AppliedPause, ...] = ()
    extended: bool = False
    unextended_date: dt.date | None = None
    notes: tuple[str, ...] = ()

    @property
    def fixed(self) -> bool:
        return self.due_date is not None

    @property
    def explanation(self) -> str:
        """The steps in plain English, fit to paste into a letter (dsr.engine.explain)."""
        return render_english(self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "law_code": self.law_code,
            "title": self.title,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "binding": self.binding,
            "status": self.status,
            "status_meaning": STATUS_MEANING[self.status] if self.status else None,
            "source": {"cite": self.source.cite, "url": self.source.url},
            "explanation": self.explanation,
            "steps": [step.as_dict() for step in self.steps],
            "extended": self.extended,
            "unextended_date": self.unextended_date.isoformat() if self.unextended_date else None,
            "pauses": [
                {
                    "start": p.pause.start.isoformat(),
                    "end": p.pause.end.isoformat(),
                    "kind": p.pause.kind,
                    "effect": p.effect,
                    "applied": p.applied,
                    "days_added": p.days_added,
                    "explanation": p.explanation,
                    "step": p.step.as_dict(),
                }
                for p in self.pauses
            ],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class DeadlineResult:
    request_type: str
    received_at: dt.datetime
    received_on: dt.date  # the responder's local date of receipt
    timezone: str
    country: str | None
    subdivision: str | None
    deadlines: tuple[Deadline, ...]
    notes: tuple[str, ...] = ()

    @property
    def binding(self) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.binding)

    @property
    def strictest(self) -> Deadline | None:
        """The earliest binding deadline with a date (the first one listed wins a tie)."""
        return _earliest(self.binding)

    @property
    def strictest_step(self) -> Step | None:
        """Why the strictest deadline is the one that counts: every binding deadline with a date, compared."""
        strictest = self.strictest
        if strictest is None:
            return None
        compared = [{"rule": d.rule, "kind": d.kind, "due": d.due_date} for d in self.binding if d.due_date]
        params = {"rule": strictest.rule, "kind": strictest.kind, "due": strictest.due_date, "compared": compared}
        return Step("strictest", params, strictest.source, strictest.status)

    @property
    def acknowledgement(self) -> Deadline | None:
        return _earliest(self.of_kind("acknowledgement"))

    @property
    def extension_notice(self) -> Deadline | None:
        return _earliest(self.of_kind("extension_notice"))

    def of_kind(self, kind: DeadlineKind) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.kind == kind)

    def for_law(self, code: str) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.law_code == code)

    def as_dict(self) -> dict[str, Any]:
        strictest = self.strictest
        return {
            "request_type": self.request_type,
            "received_at": self.received_at.isoformat(),
            "received_on": self.received_on.isoformat(),
            "timezone": self.timezone,
            "country": self.country,
            "subdivision": self.subdivision,
            "strictest": strictest.as_dict() if strictest else None,
            "strictest_step": step.as_dict() if (step := self.strictest_step) else None,
            "deadlines": [d.as_dict() for d in self.deadlines],
            "notes": list(self.notes),
        }


def _earliest(deadlines: Sequence[Deadline]) -> Deadline | None:
    dated = [d for d in deadlines if d.due_date is not None]
    return min(dated, key=lambda d: cast(dt.date, d.due_date)) if dated else None


# --- Days ---------------------------------------------------------------------------------------------


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The last instant of `day` in `tz`: the next local midnight minus one microsecond, computed in UTC.

    Going through UTC keeps it right on days that are 23 or 25 hours long and in zones where midnight
    itself can fall into a DST gap.
    """
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return (next_midnight.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).astimezone(tz)


# --- Working days -------------------------------------------------------------------------------------


def _holidays_for(country: str, subdivision: str | None) -> holiday_calendars.Calendar:
    """The place's public holidays, from the generated calendars (dsr.engine.holiday_calendars)."""
    try:
        return holiday_calendars.calendar(country, subdivision)
    except holiday_calendars.UnknownPlace:
        place = holiday_calendars.place_label(country, subdivision)
        raise DeadlineError(f"There is no public-holiday calendar for {place!r}.") from None


@dataclass(frozen=True)
class _Calendar:
    """Which days are working days: Monday to Friday, minus the public holidays of one place (if known)."""

    country: str | None
    subdivision: str | None = None
    # The responder's country, where its holidays were set aside: it lies outside the law's territory.
    outside: str | None = None

    @property
    def label(self) -> str:
        if self.country is None:
            return "no country (weekends only)"
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country

    def holiday(self, day: dt.date) -> str | None:
        if self.country is None:
            return None
        try:
            return _holidays_for(self.country, self.subdivision).get(day)
        except holiday_calendars.UnknownPlace:  # a year outside the files, for a place the library lost
            raise DeadlineError(f"There is no public-holiday calendar for {self.label!r} in {day.year}.") from None

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.holiday(day) is None

    @property
    def place(self) -> str | None:
        """The place whose public holidays count, or None where no holiday calendar is known."""
        return self.label if self.country is not None else None

    def next_working_day(self, day: dt.date) -> tuple[dt.date, list[dt.date]]:
        skipped = []
        while not self.is_working_day(day):
            skipped.append(day)
            day += dt.timedelta(days=1)
        return day, skipped


# --- Counting -----------------------------------------------------------------------------------------


@dataclass
class _Count:
    """One period counted from one start: every step, so the steps can retell it."""

    start: dt.date
    amount: int
    unit: Unit
    nominal_end: dt.date  # after counting (and the month-end clamp), before pauses and roll-forward
    clamped: bool
    holidays_skipped: list[dt.date]  # business-day counting: holidays on weekdays that were skipped
    restart: AppliedPause | None = None
    stop_days: int = 0
    after_pauses: dt.date | None = None
    due: dt.date | None = None
    rolled_over: list[dt.date] = field(default_factory=list)
    pauses: list[AppliedPause] = field(default_factory=list)


def _count(start: dt.date, amount: int, unit: Unit, first_day_counts: bool, cal: _Calendar) -> _Count:
    """The last day of `amount` `unit`s counted from `start`, before pauses and roll-forward."""
    if unit == "months":
        # relativedelta clamps to the month's last day: 31 Jan + 1 month = 28/29 Feb (Reg 1182/71 Art 3(2)(c)).
        end = start + relativedelta(months=amount)
        return _Count(start, amount, unit, end, clamped=end.day != start.day, holidays_skipped=[])
    if unit == "days":
        end = start + dt.timedelta(days=amount - 1 if first_day_counts else amount)
        return _Count(start, amount, unit, end, clamped=False, holidays_skipped=[])
    day = start if first_day_counts else start + dt.timedelta(days=1)
    counted = 0
    skipped: list[dt.date] = []
    while True:
        if cal.is_working_day(day):
            counted += 1
            if counted == amount:
                return _Count(start, amount, unit, day, clamped=False, holidays_skipped=skipped)
        elif day.weekday() < 5:
            skipped.append(day)
        day += dt.timedelta(days=1)


def _add_stop(end: dt.date, pause: Pause, unit: Unit, cal: _Calendar) -> tuple[dt.date, int]:
    """Move `end` by the paused time: calendar days, or for business days the working days paused."""
    if unit != "business_days":
        return end + dt.timedelta(days=pause.days), pause.days
    paused = sum(1 for i in range(pause.days) if cal.is_working_day(pause.start + dt.timedelta(days=i)))
    day, added = end, 0
    while added < paused:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            added += 1
    return day, paused


def _day_unit(unit: Unit) -> Unit:
    """What paused time is counted in: business days for a period in business days, else days."""
    return "business_days" if unit == "business_days" else "days"


def _roll(day: dt.date, roll_forward: bool, cal: _Calendar) -> tuple[dt.date, list[dt.date]]:
    if not roll_forward:
        return day, []
    return cal.next_working_day(day)


def _pause_effect(
    policy: PausePolicy | None, pause: Pause, request_type: str
) -> tuple[PauseEffect, dict[str, Any] | None]:
    """The effect the law gives this pause, or 'none' with why it is not applied (the step's params)."""
    if policy is None:
        return "none", {"reason": "promise"}
    effect = policy.effect(pause.kind)
    if effect == "none":
        return "none", {"reason": "law", "note": policy.note}
    only_for = policy.request_types(pause.kind)
    if only_for is not None and request_type not in only_for:
        return "none", {"reason": "not_for_type", "request_type": request_type, "only_for": list(only_for)}
    in_force = policy.in_force_date(pause.kind)
    if in_force is not None and pause.start < in_force:
        return "none", {"reason": "not_in_force", "in_force": in_force}
    return effect, None


def _run(
    amount: int,
    unit: Unit,
    period: Period,
    *,
    received_on: dt.date,
    cal: _Calendar,
    pauses: Sequence[Pause],
    policy: PausePolicy | None,
    request_type: str,
) -> _Count:
    """Count a period from receipt, apply the pauses the law recognises, then roll forward if it does.

    Pauses are taken in date order. A restart begins the period again from the pause's end date (and
    wipes out any earlier stop, whose days then no longer matter). A stop adds its days. A pause that
    begins after the running deadline has passed cannot revive it.
    """
    count = _count(received_on, amount, unit, period.first_day_counts, cal)
    end = count.nominal_end
    records: list[AppliedPause] = []
    source, mark = (policy.source, policy.status) if policy is not None else (None, None)
    stopped_until: dt.date | None = None  # the last day an applied stop already took out of the count
    for pause in sorted(pauses, key=lambda p: p.start):
        when = {"kind": pause.kind, "start": pause.start, "end": pause.end}
        effect, ignored = _pause_effect(policy, pause, request_type)
        if ignored is not None:
            step = Step("pause_ignored", {**when, **ignored}, source, mark)
            records.append(AppliedPause(pause, "none", False, 0, step))
            continue
        running_deadline, _ = _roll(end, period.roll_forward, cal)
        if pause.start > running_deadline:
            too_late = {"reason": "after_deadline", "deadline": running_deadline}
            step = Step("pause_ignored", {**when, **too_late}, source, mark)
            records.append(AppliedPause(pause, effect, False, 0, step))
            continue
        if effect == "restart":
            # Earlier stops no longer matter: the whole period runs again from the restart.
            records = [
                replace(
                    r, applied=False, days_added=0, step=replace(r.step, params={**r.step.params, "superseded": True})
                )
                if r.applied and r.effect == "stop"
                else r
                for r in records
            ]
            stopped_until = None
            restart = AppliedPause(pause, "restart", True, 0, Step("pause_restarts_clock", when, source, mark))
            count = _count(pause.end, amount, unit, period.first_day_counts, cal)
            count.restart = restart
            end = count.nominal_end
            records.append(restart)
        else:
            # A question asked on the day the last answer came: that day is already out of the count, once.
            counted = pause
            if stopped_until is not None and pause.start <= stopped_until:
                counted = replace(pause, start=stopped_until + dt.timedelta(days=1))
            end, added = _add_stop(end, counted, unit, cal) if counted.start <= counted.end else (end, 0)
            stopped_until = max(pause.end, stopped_until or pause.end)
            count.stop_days += added
            stopped = {"days": added, "unit": _day_unit(unit), "superseded": False}
            step = Step("pause_stops_clock", {**when, **stopped}, source, mark)
            records.append(AppliedPause(pause, "stop", True, added, step))
    count.after_pauses = end
    count.due, count.rolled_over = _roll(end, period.roll_forward, cal)
    count.pauses = records
    return count


From = Literal["receipt", "appeal"]  # what a period is counted from: receipt, or receipt of the appeal


def _count_steps(
    count: _Count,
    *,
    source: Source | None,
    mark: Status | None,
    counting_basis: str,
    roll_forward_basis: str,
    period: Period,
    cal: _Calendar,
    from_what: From = "receipt",
) -> list[Step]:
    """How one period was counted: the count, a month-end clamp, stopped clock, roll-forward (or not).

    With a `source`, the count step names the rule that gives the period ('GDPR Art 12(3) gives one
    month ...'); without, it is told inside a sentence that has already named the rule.
    """
    outside = [Step("holidays_outside_territory", {"country": cal.outside})] if cal.outside else []
    common: dict[str, Any] = {
        "amount": count.amount,
        "unit": count.unit,
        "start": count.start,
        "end": count.nominal_end,
        "from": from_what,
        "restart": count.restart is not None,
    }
    steps: list[Step] = []
    if count.unit == "months":
        steps.append(Step("count_months", {**common, "clamped": count.clamped}, source, mark))
        if count.clamped:
            steps.append(
                Step("clamp_month_end", {"day": count.start.day, "end": count.nominal_end, "basis": counting_basis})
            )
    elif count.unit == "days":
        params = {**common, "first_day_counts": period.first_day_counts, "basis": counting_basis}
        steps.append(Step("count_days", params, source, mark))
    else:
        params = {
            **common,
            "first_day_counts": period.first_day_counts,
            "basis": counting_basis,
            "start_is_working_day": cal.is_working_day(count.start),
            "start_holiday": cal.holiday(count.start),
            "place": cal.place,
            "holidays": [{"date": d, "name": cal.holiday(d)} for d in count.holidays_skipped],
        }
        steps.append(Step("count_business_days", params, source, mark))
    last = cast(dt.date, count.after_pauses)
    if count.stop_days:
        steps.append(Step("clock_stopped", {"days": count.stop_days, "unit": _day_unit(count.unit), "end": last}))
    for day in count.rolled_over:
        holiday = cal.holiday(day)
        moved = {"date": day, "to": count.due, "basis": roll_forward_basis}
        if holiday:
            steps.append(Step("roll_holiday", {**moved, "holiday": holiday, "place": cal.place}))
        else:
            steps.append(Step("roll_weekend", moved))
    if not count.rolled_over and not period.roll_forward and not cal.is_working_day(last):
        steps.append(Step("no_roll", {"date": last, "holiday": cal.holiday(last), "place": cal.place}))
    if outside and (period.roll_forward or count.unit == "business_days"):
        steps += outside
    return steps


def _verification(status: Status, note: str) -> Step:
    """The rule's verification mark, and the caveat the data adds to it."""
    return Step("verification", {"note": note}, mark=status)


# --- The engine ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    request_type: str
    received_on: dt.date
    tz: ZoneInfo
    responder: _Calendar
    pauses: tuple[Pause, ...]
    extension: ExtensionRequest


def _calendar_for(law: LawRules, period: Period, case: _Case) -> _Calendar:
    """Whose public holidays count for this period.

    'law': the law's own jurisdiction. 'responder': the responder's country, where it lies inside the law's
    territory (Reg 1182/71 counts the holidays of the Member State concerned). A responder outside it (a
    GDPR deadline for Serai in Hong Kong) gets weekends only: its own holidays would move the deadline later
    than any Member State's calendar would, and no Member State is 'concerned' for certain (earlier reading).
    """
    if period.holiday_calendar == "law":
        country, subdivision = law.law_place
        return _Calendar(country, subdivision)
    responder = case.responder
    territory = {place.partition("-")[0] for place in law.jurisdictions}
    if responder.country is not None and responder.country not in territory:
        return _Calendar(None, outside=responder.country)
    return responder


def _deadline(
    kind: DeadlineKind,
    law: LawRules,
    due: dt.date | None,
    case: _Case,
    *,
    status: Status | None,
    source: Source,
    steps: Sequence[Step],
    binding: bool,
    pauses: Sequence[AppliedPause] = (),
    extended: bool = False,
    unextended_date: dt.date | None = None,
    notes: Sequence[str] = (),
) -> Deadline:
    return Deadline(
        kind=kind,
        rule=law.code,
        law_code=law.code,
        title=f"{TITLES[kind]} ({law.code})",
        due_date=due,
        due_at=end_of_day(due, case.tz) if due else None,
        binding=binding,
        status=status,
        source=source,
        steps=tuple(steps),
        pauses=tuple(pauses),
        extended=extended,
        unextended_date=unextended_date,
        notes=tuple(notes),
    )


def _pause_steps(count: _Count) -> list[Step]:
    return [p.step for p in count.pauses]


def _timed_deadlines(
    kind: DeadlineKind,
    law: LawRules,
    rule: TimedRule,
    extension: Extension | None,
    case: _Case,
    *,
    pauses_apply: bool,
    notes: list[str],
) -> list[Deadline]:
    """One law's binding deadline for the request, plus its extension notice and extended date."""
    period = rule.period
    cal = _calendar_for(law, period, case)
    pauses = case.pauses if pauses_apply else ()
    policy = law.pause if pauses_apply else None
    verification = _verification(rule.status, rule.status_note)
    from_what: From = "appeal" if kind == "appeal" else "receipt"
    out: list[Deadline] = []

    notice: _Count | None = None
    if extension is not None and extension.notify_within is not None:
        within = extension.notify_within
        notice = _run(
            within.amount,
            within.unit,
            period,
            received_on=case.received_on,
            cal=cal,
            pauses=pauses,
            policy=policy,
            request_type=case.request_type,
        )

    if period.amount is None or period.unit is None:
        out.append(
            _deadline(
                kind,
                law,
                None,
                case,
                status=rule.status,
                source=rule.source,
                steps=[
                    Step("no_fixed_period", {"rule": rule.rule, "note": rule.note}, rule.source, rule.status),
                    verification,
                ],
                binding=True,
                notes=notes,
            )
        )
        if notice is not None and extension is not None:
            out.append(
                _notice_deadline(law, extension, notice, case, cal, period, open_ended=True, from_what=from_what)
            )
            _check_announcement(law, extension, notice, case)
        return out

    base = _run(
        period.amount,
        period.unit,
        period,
        received_on=case.received_on,
        cal=cal,
        pauses=pauses,
        policy=policy,
        request_type=case.request_type,
    )
    base_due = cast(dt.date, base.due)
    base_steps = _count_steps(
        base,
        source=rule.source,
        mark=rule.status,
        counting_basis=rule.counting_basis,
        roll_forward_basis=rule.roll_forward_basis,
        period=period,
        cal=cal,
        from_what=from_what,
    )

    extended: _Count | None = None
    if extension is not None and extension.capped:
        total = extension.total_cap or Duration(period.amount + cast(int, extension.amount), period.unit)
        extended = _run(
            total.amount,
            total.unit,
            period,
            received_on=case.received_on,
            cal=cal,
            pauses=pauses,
            policy=policy,
            request_type=case.request_type,
        )

    if case.extension.taken and extension is not None and extension.capped and extended is not None:
        if notice is not None:
            _check_announcement(law, extension, notice, case)
        extended_due = max(cast(dt.date, extended.due), base_due)  # an extension never shortens a deadline
        ext_steps = _count_steps(
            extended,
            source=None,
            mark=None,
            counting_basis=extension.counting_basis,
            roll_forward_basis=rule.roll_forward_basis,
            period=period,
            cal=cal,
            from_what=from_what,
        )
        head = Step(
            "extended",
            {
                "due": extended_due,
                "unextended": base_due,
                "amount": extension.amount,
                "unit": extension.unit,
                "condition": extension.condition,
                "announced_on": case.extension.announced_on,
                "notice_due": notice.due if notice else None,
                "reasons_required": bool(extension.reasons_required),
            },
            extension.source,
            extension.status,
        )
        out.append(
            _deadline(
                kind,
                law,
                extended_due,
                case,
                status=_weakest(rule.status, extension.status),
                source=extension.source,
                steps=[head, *ext_steps, *_pause_steps(extended), verification],
                binding=True,
                pauses=extended.pauses,
                extended=True,
                unextended_date=base_due,
                notes=notes,
            )
        )
    else:
        extra_notes = list(notes)
        if case.extension.taken:
            extra_notes.append(_no_extension_note(law, extension))
            if extension is not None and notice is not None:
                _check_announcement(law, extension, notice, case)
        head = Step("due", {"due": base_due}, rule.source, rule.status)
        out.append(
            _deadline(
                kind,
                law,
                base_due,
                case,
                status=rule.status,
                source=rule.source,
                steps=[head, *base_steps, *_pause_steps(base), verification],
                binding=True,
                pauses=base.pauses,
                notes=extra_notes,
            )
        )
        if extension is not None and extension.capped and extended is not None:
            ext_due = max(cast(dt.date, extended.due), base_due)
            ext_steps = _count_steps(
                extended,
                source=None,
                mark=None,
                counting_basis=extension.counting_basis,
                roll_forward_basis=rule.roll_forward_basis,
                period=period,
                cal=cal,
                from_what=from_what,
            )
            head = Step(
                "if_extended",
                {
                    "due": ext_due,
                    "notice_due": notice.due if notice else None,
                    "reasons_required": bool(extension.reasons_required),
                    "condition": extension.condition,
                },
                extension.source,
                extension.status,
            )
            out.append(
                _deadline(
                    "extended_response",
                    law,
                    ext_due,
                    case,
                    status=extension.status,
                    source=extension.source,
                    steps=[head, *ext_steps, _verification(extension.status, extension.status_note)],
                    binding=False,
                    pauses=extended.pauses,
                )
            )
    if notice is not None and extension is not None:
        out.append(
            _notice_deadline(
                law, extension, notice, case, cal, period, open_ended=not extension.capped, from_what=from_what
            )
        )
    return out


def _weakest(*statuses: Status) -> Status:
    return max(statuses, key="VSU".index)


def _no_extension_note(law: LawRules, extension: Extension | None) -> str:
    if extension is None:
        return f"{law.code}: no extension provision is recorded, so the deadline is not extended."
    if extension.notify_within is not None:
        return (
            f"{law.code}: the extension is open-ended ({extension.condition}), so there is no extended date; the "
            f"deadline shown stays the earliest reading ({extension.source.cite})."
        )
    return f"{law.code}: no extension ({extension.condition}; {extension.source.cite}). {extension.note}".strip()


def _notice_deadline(
    law: LawRules,
    extension: Extension,
    notice: _Count,
    case: _Case,
    cal: _Calendar,
    period: Period,
    *,
    open_ended: bool,
    from_what: From = "receipt",
) -> Deadline:
    due = cast(dt.date, notice.due)
    counted = _count_steps(
        notice,
        source=None,
        mark=None,
        counting_basis="",
        roll_forward_basis="",
        period=period,
        cal=cal,
        from_what=from_what,
    )
    head = Step(
        "announce_extension",
        {
            "due": due,
            "condition": extension.condition,
            "open_ended": open_ended,
            "reasons_required": bool(extension.reasons_required),
        },
        extension.source,
        extension.status,
    )
    return _deadline(
        "extension_notice",
        law,
        due,
        case,
        status=extension.status,
        source=extension.source,
        steps=[head, *counted, *_pause_steps(notice), _verification(extension.status, extension.status_note)],
        binding=False,
        pauses=notice.pauses,
    )


def _check_announcement(law: LawRules, extension: Extension, notice: _Count, case: _Case) -> None:
    announced = case.extension.announced_on
    if case.extension.taken and announced is not None and notice.due is not None and announced > notice.due:
        raise DeadlineError(
            f"The extension was announced on {format_date(announced)}, after the deadline to announce it "
            f"({format_date(notice.due)}) under {law.code} ({extension.source.cite})."
        )


def _law_deadlines(law: LawRules, case: _Case) -> tuple[list[Deadline], list[str]]:
    """Everything one law requires for this request: its binding deadline(s), acknowledgement, extension."""
    request_type = case.request_type
    notes: list[str] = []
    label = vocabulary.REQUEST_TYPES[request_type].lower()
    if not law.lists(request_type) and request_type != "appeal":
        notes.append(
            f"The right '{request_type}' ({label}) is not listed for {law.code}; its general response deadline "
            "is shown as a guide."
        )
    for right in law.rights_for(request_type):
        if right.in_force_from and case.received_on < right.in_force_from:
            notes.append(
                f"Under {law.code} this right ({right.basis}) applies from {format_date(right.in_force_from)}, after "
                "the request was received; the deadline is shown as a guide."
            )
    out: list[Deadline] = []
    if request_type == "appeal" and law.appeal.available and law.appeal.rule is not None:
        out += _timed_deadlines(
            "appeal", law, law.appeal.rule, law.appeal.extension, case, pauses_apply=True, notes=notes
        )
    elif request_type == "appeal":
        # No statutory appeal (CCPA, UCPA, the GDPR family): a review is the vendor's own, so no law's period
        # is put on it (not CCPA 7021(b), which is the period for the request itself).
        notes.append(f"{law.code} has no appeal to the organisation: {law.appeal.note}".strip())
        head = Step(
            "no_statutory_appeal", {"law": law.code, "note": law.appeal.note}, law.appeal.source, law.appeal.status
        )
        out.append(
            _deadline(
                "appeal",
                law,
                None,
                case,
                status=law.appeal.status,
                source=law.appeal.source,
                steps=[head, _verification(law.appeal.status, law.appeal.status_note)],
                binding=True,
                notes=notes,
            )
        )
    else:
        typed: list[tuple[DeadlineKind, TimedRule]] = [
            (kind, rule)
            for kind, rule in cast(
                "tuple[tuple[DeadlineKind, TimedRule | None], ...]",
                (
                    ("opt_out", law.opt_out),
                    ("consent_withdrawal", law.consent_withdrawal),
                    ("grievance", law.grievance),
                ),
            )
            if rule is not None and rule.covers(request_type)
        ]
        use_response = not law.lists(request_type) or law.response.covers(request_type)
        if use_response:
            out += _timed_deadlines("response", law, law.response, law.extension, case, pauses_apply=True, notes=notes)
        for kind, rule in typed:
            out += _timed_deadlines(kind, law, rule, None, case, pauses_apply=True, notes=notes)
        if not use_response and not typed:
            response = law.response
            head = Step(
                "right_not_covered",
                {
                    "request_type": request_type,
                    "law": law.code,
                    "amount": response.period.amount,
                    "unit": response.period.unit,
                    "applies_to": list(response.applies_to),
                    "note": response.note,
                },
                response.source,
                response.status,
            )
            out.append(
                _deadline(
                    "response",
                    law,
                    None,
                    case,
                    status=law.response.status,
                    source=law.response.source,
                    steps=[head, _verification(response.status, response.status_note)],
                    binding=True,
                    notes=notes,
                )
            )
    ack = law.acknowledgement
    if ack is not None and ack.covers(request_type) and ack.period.amount is not None and ack.period.unit is not None:
        cal = _calendar_for(law, ack.period, case)
        count = _run(
            ack.period.amount,
            ack.period.unit,
            ack.period,
            received_on=case.received_on,
            cal=cal,
            pauses=(),
            policy=None,
            request_type=case.request_type,
        )
        counted = _count_steps(
            count,
            source=ack.source,
            mark=ack.status,
            counting_basis=ack.counting_basis,
            roll_forward_basis=ack.roll_forward_basis,
            period=ack.period,
            cal=cal,
        )
        head = Step("acknowledge", {"due": count.due, "rule": ack.rule}, ack.source, ack.status)
        out.append(
            _deadline(
                "acknowledgement",
                law,
                count.due,
                case,
                status=ack.status,
                source=ack.source,
                steps=[head, *counted, _verification(ack.status, ack.status_note)],
                binding=False,
            )
        )
    return out, notes


def _promise_deadline(promise: Promise, case: _Case) -> Deadline:
    # A promise is read the earlier way: the day of receipt is not day 1 ("within 30 days" = receipt + 30
    # calendar days), no roll-forward, no pause, no extension. Business days use the responder's holidays.
    period = Period(amount=promise.amount, unit=promise.unit, first_day_counts=False, roll_forward=False)
    count = _run(
        promise.amount,
        promise.unit,
        period,
        received_on=case.received_on,
        cal=case.responder,
        pauses=(),
        policy=None,
        request_type=case.request_type,
    )
    due = cast(dt.date, count.due)
    source = Source(cite=promise.cite or f"{promise.vendor} privacy policy")
    head = Step(
        "promise",
        {"due": due, "vendor": promise.vendor, "amount": promise.amount, "unit": promise.unit, "quote": promise.cite},
        source,
    )
    steps = [
        head,
        *_count_steps(
            count, source=None, mark=None, counting_basis="", roll_forward_basis="", period=period, cal=case.responder
        ),
        Step("promise_not_moved"),
    ]
    if case.pauses:
        steps.append(Step("promise_not_paused"))
    if case.extension.taken:
        steps.append(Step("promise_survives_extension"))
    return Deadline(
        kind="promise",
        rule=f"promise: {promise.vendor}",
        law_code=None,
        title=f"{TITLES['promise']} ({promise.vendor})",
        due_date=due,
        due_at=end_of_day(due, case.tz),
        binding=True,
        status=None,
        source=source,
        steps=tuple(steps),
    )


def _check_inputs(
    request_type: str, received_at: dt.datetime, timezone: str, pauses: Sequence[Pause], extension: ExtensionRequest
) -> tuple[ZoneInfo, dt.date]:
    if request_type not in vocabulary.REQUEST_TYPES:
        raise DeadlineError(
            f"Unknown request type {request_type!r}. Known types: {', '.join(vocabulary.REQUEST_TYPES)}."
        )
    if not isinstance(received_at, dt.datetime):
        raise DeadlineError("The receipt time must be a date and time with a time zone.")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise DeadlineError("The receipt time has no time zone; give an aware date and time (e.g. in UTC).")
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineError(f"Unknown time zone {timezone!r} (use a name such as 'Europe/Tallinn').") from None
    received_on = received_at.astimezone(tz).date()
    ordered = sorted(pauses, key=lambda p: (p.start, p.end))
    for pause in ordered:
        if pause.kind not in PAUSE_KINDS:
            raise DeadlineError(f"Unknown pause kind {pause.kind!r}. Known kinds: {', '.join(PAUSE_KINDS)}.")
        if pause.end < pause.start:
            raise DeadlineError(
                f"The {pause.kind} pause ends on {format_date(pause.end)}, "
                f"before it starts ({format_date(pause.start)})."
            )
        if pause.start < received_on:
            raise DeadlineError(
                f"The {pause.kind} pause starts on {format_date(pause.start)}, before the request was received "
                f"({format_date(received_on)})."
            )
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.start < earlier.end:
            raise DeadlineError(
                f"The pauses overlap: {earlier.kind} from {format_date(earlier.start)} to {format_date(earlier.end)} "
                f"and {later.kind} from {format_date(later.start)} to {format_date(later.end)}."
            )
    if extension.announced_on is not None:
        if not extension.taken:
            raise DeadlineError("An extension announcement date was given, but the extension is not marked as taken.")
        if extension.announced_on < received_on:
            raise DeadlineError(
                f"The extension was announced on {format_date(extension.announced_on)}, before the request was "
                f"received ({format_date(received_on)})."
            )
    return tz, received_on


def compute_deadlines(
    laws: Sequence[LawRules],
    *,
    request_type: str,
    received_at: dt.datetime,
    timezone: str,
    country: str | None = None,
    subdivision: str | None = None,
    promises: Sequence[Promise] = (),
    pauses: Sequence[Pause] = (),
    extension: ExtensionRequest | None = None,
) -> DeadlineResult:
    """Every deadline that applies to one request.

    `laws`: the applicable laws (e.g. EU_GDPR and US_CA_CCPA for a Californian subject of an EU vendor).
    `received_at`: the aware instant of receipt. `timezone`, `country`, `subdivision`: the responder's
    time zone and the place whose public holidays count where a law uses the responder's calendar
    (country None: weekends only). `promises`: the vendor's own response promises. `pauses`: intervals
    waiting on the person. `extension`: whether staff extended, and when they announced it.

    Raises `DeadlineError` for anything that cannot be answered as asked (unknown request type,
    overlapping pauses, an extension announced too late, ...).
    """
    extension = extension or ExtensionRequest()
    if not laws and not promises:
        raise DeadlineError("No law and no promise given: nothing to compute a deadline from.")
    tz, received_on = _check_inputs(request_type, received_at, timezone, pauses, extension)
    if country is not None:
        country = country.upper()
        if len(country) != 2 or not country.isalpha():
            raise DeadlineError(f"{country!r} is not a two-letter country code (ISO 3166-1 alpha-2).")
        _holidays_for(country, subdivision.upper() if subdivision else None)  # fail early on an unknown place
    responder = _Calendar(country, subdivision.upper() if (subdivision and country) else None)
    case = _Case(request_type, received_on, tz, responder, tuple(pauses), extension)

    seen: set[str] = set()
    for law in laws:
        if law.code in seen:
            raise DeadlineError(f"The law {law.code} was given twice.")
        seen.add(law.code)
    if extension.taken and laws and not any(_extendable(law, request_type) for law in laws):
        codes = ", ".join(law.code for law in laws)
        raise DeadlineError(f"An extension was marked as taken, but no applicable law ({codes}) allows one.")

    deadlines: list[Deadline] = []
    notes: list[str] = []
    local = received_at.astimezone(tz)
    utc = received_at.astimezone(dt.UTC)
    if local.date() != utc.date():
        notes.append(
            f"Received {utc:%H:%M} UTC on {format_date(utc.date())}, "
            f"which is {local:%H:%M} on {format_date(received_on)} in {timezone}: the periods run from "
            f"{format_date(received_on)}."
        )
    if responder.country is None:
        notes.append("No responder country given: only Saturdays and Sundays are treated as non-working days.")
    else:
        notes.append(
            f"Working days: Monday to Friday, except public holidays in {responder.label} (holidays library), "
            "where a law uses the responder's calendar."
        )
    for law in laws:
        law_deadlines, law_notes = _law_deadlines(law, case)
        deadlines += law_deadlines
        notes += law_notes
    for promise in promises:
        if promise.covers(request_type):
            deadlines.append(_promise_deadline(promise, case))
        else:
            notes.append(
                f"{promise.vendor}'s promise ({describe_amount(promise.amount, promise.unit)}) applies to "
                f"{', '.join(promise.applies_to)} only, not to '{request_type}'."
            )
    return DeadlineResult(
        request_type=request_type,
        received_at=received_at,
        received_on=received_on,
        timezone=timezone,
        country=responder.country,
        subdivision=responder.subdivision,
        deadlines=tuple(deadlines),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class ForwardTarget:
    """An internal target inside the request's deadline: by when a processor forwards the request to its
    controller (`forward_target`), or by when the recipients of the data are told of it (`recipient_target`).

    Not a legal deadline of the vendor's: the laws say 'promptly' or set no period (processor_duty,
    recipient_duty), the number of business days is the office's own (laws.yaml forward_within,
    notify_within, mark U), and the target is never later than the request's own strictest deadline.
    """

    due_date: dt.date
    due_at: dt.datetime
    law_code: str
    steps: tuple[Step, ...]

    @property
    def explanation(self) -> str:
        return render_forward_english(self.steps)

    @property
    def basis(self) -> str:
        """The legal source of the duty the target serves (its rule's cite)."""
        source = self.steps[0].source if self.steps else None
        return source.cite if source else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.isoformat(),
            "law_code": self.law_code,
            "explanation": self.explanation,
            "steps": [step.as_dict() for step in self.steps],
        }


def forward_target(
    laws: Sequence[LawRules],
    *,
    received_at: dt.datetime,
    timezone: str,
    country: str | None = None,
    subdivision: str | None = None,
    response_due: dt.date | None = None,
) -> ForwardTarget | None:
    """The earliest forwarding target of the laws that set one, capped at the response's due date."""
    rules = [(law, law.processor_forward, law.processor_duty.source) for law in laws]
    return _house_target(
        "forward_target", rules, received_at, timezone, country, subdivision, response_due, request_type=None
    )


def recipient_target(
    laws: Sequence[LawRules],
    *,
    request_type: str,
    received_at: dt.datetime,
    timezone: str,
    country: str | None = None,
    subdivision: str | None = None,
    response_due: dt.date | None = None,
) -> ForwardTarget | None:
    """By when the recipients of the data are told of the request (GDPR Art 19; CCPA 1798.105(c), 11 CCR
    7026(f)): the earliest `recipient_duty.notify_within` of the laws whose duty covers this request type,
    capped at the response's due date, so the answer can say who was told. None where no law sets one."""
    rules = [
        (law, law.recipient_notify, law.recipient_duty.source)
        for law in laws
        if law.recipient_duty is not None and request_type in law.recipient_types
    ]
    return _house_target(
        "recipient_target", rules, received_at, timezone, country, subdivision, response_due, request_type
    )


def _house_target(
    code: str,
    rules: Sequence[tuple[LawRules, Duration | None, Source]],
    received_at: dt.datetime,
    timezone: str,
    country: str | None,
    subdivision: str | None,
    response_due: dt.date | None,
    request_type: str | None,
) -> ForwardTarget | None:
    """The earliest of the laws' internal targets (business days in the responder's calendar, where the
    responder is in the law's territory), capped at the response's due date."""
    tz = ZoneInfo(timezone)
    received_on = received_at.astimezone(tz).date()
    responder = _Calendar(
        country.upper() if country else None, subdivision.upper() if subdivision and country else None
    )
    best: tuple[dt.date, LawRules, Duration, Source] | None = None
    for law, rule, source in rules:
        if rule is None:
            continue
        territory = {place.partition("-")[0] for place in law.jurisdictions}
        cal = responder if responder.country is None or responder.country in territory else _Calendar(None)
        due = _count(received_on, rule.amount, rule.unit, False, cal).nominal_end
        if best is None or due < best[0]:
            best = (due, law, rule, source)
    if best is None:
        return None
    due, law, rule, source = best
    capped = response_due is not None and response_due < due
    params: dict[str, Any] = {
        "law": law.code,
        "amount": rule.amount,
        "unit": rule.unit,
        "received": received_on,
        "target": due,
        "response_due": response_due,
        "capped": capped,
    }
    if request_type is not None:
        params["request_type"] = request_type
    if capped:
        assert response_due is not None
        due = response_due
    step = Step(code, {**params, "due": due}, source, "U")
    return ForwardTarget(due_date=due, due_at=end_of_day(due, tz), law_code=law.code, steps=(step,))


def _extendable(law: LawRules, request_type: str) -> bool:
    """Whether the law lets the deadline for this request be extended, with a cap or open-ended.

    Only the rule that gives this request its deadline counts: the response period's extension does not
    stretch a law's own opt-out or consent-withdrawal clock (CCPA opt-outs: 15 business days, 11 CCR
    7026(f), with no extension), just as `_law_deadlines` applies the extension to the response only.
    """
    if request_type == "appeal":
        # Where the law has no appeal, a review is the vendor's own: there is no statutory period to extend.
        ext = law.appeal.extension if law.appeal.available else None
    elif not law.lists(request_type) or law.response.covers(request_type):
        ext = law.extension
    else:
        ext = None
    return ext is not None and (ext.capped or ext.notify_within is not None)


def extendable(laws: Sequence[LawRules], request_type: str) -> bool:
    """Whether any of these laws lets this request's deadline be extended (what staff may offer)."""
    return any(_extendable(law, request_type) for law in laws)


def select_laws(available: Mapping[str, LawRules], codes: Sequence[str]) -> list[LawRules]:
    """The laws for these codes, in order; an unknown code is a `DeadlineError` listing the known ones."""
    out = []
    for code in codes:
        law = available.get(code)
        if law is None:
            raise DeadlineError(f"Unknown law {code!r}. Known laws: {', '.join(sorted(available))}.")
        out.append(law)
    return out
