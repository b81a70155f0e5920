"""The laws file (policies/data/laws.yaml) as typed, immutable rules.

Pure on purpose: no Django import, so the deadline engine (`dsr.deadlines`), the loader and the tests can
parse the same data the same way, with or without a database. The legal facts live in the YAML file,
each with its V/S/U verification mark and its source; this module only checks their shape and gives
them types. Nothing here decides a legal question.

Every problem raises `LawDataError` with a message that names the file, the entry (the law code) and
the field, e.g. ``laws.yaml: US_CA_CCPA: response.unit: 'weeks' is not one of months, days,
business_days``, so whoever edits the file can find the mistake without reading this code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, cast, get_args

from . import vocabulary

Unit = Literal["months", "days", "business_days"]
Status = Literal["V", "S", "U"]
HolidayCalendar = Literal["responder", "law"]
PauseEffect = Literal["none", "stop", "restart"]
PauseKind = Literal["identity", "clarification", "fee"]
# When a law reaches a person who lives in its territory: wherever the vendor offers them its service
# (GDPR Art 3(2)), only where the vendor meets the law's thresholds (US state laws), or only where the
# vendor's policy names the law.
ResidentsReach = Literal["offers", "thresholds", "named"]
RESIDENTS_REACH: tuple[ResidentsReach, ...] = ("offers", "thresholds", "named")

UNITS: tuple[Unit, ...] = get_args(Unit)
STATUSES: tuple[Status, ...] = get_args(Status)
HOLIDAY_CALENDARS: tuple[HolidayCalendar, ...] = get_args(HolidayCalendar)
PAUSE_KINDS: tuple[PauseKind, ...] = get_args(PauseKind)
# Which effects each kind of pause may have. A clarification can only stop the clock: no law in the
# reference restarts the period when a scope question is answered (UK DPA s.54(3C)-(3D) stops it).
PAUSE_EFFECTS: dict[PauseKind, tuple[PauseEffect, ...]] = {
    "identity": ("none", "stop", "restart"),
    "clarification": ("none", "stop"),
    "fee": ("none", "stop", "restart"),
}
ALL = "all"

STATUS_MEANING: dict[Status, str] = {
    "V": "verified against the legal text",
    "S": "secondary sources only, not checked against the legal text",
    "U": "unverified, check before relying on it",
}

_CODE_RE = re.compile(r"^[A-Z]{2}(_[A-Z0-9]+)+$")
_JURISDICTION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class LawDataError(ValueError):
    """The laws data is invalid. The message names the file, the entry (law code) and the field."""


# --- The typed rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: the citation text, and the URL of the copy that was read, if any."""

    cite: str
    url: str | None = None
    status: Status | None = None  # only on a law's list of sources; a rule carries its own status


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        return describe_amount(self.amount, self.unit)


@dataclass(frozen=True)
class Period:
    """How long, and how it is counted.

    `amount` None means the law sets no fixed period (e.g. Singapore "as soon as reasonably possible"):
    the engine then reports that, and never invents a number.
    `first_day_counts`: the day of receipt is day 1 (CCPA reg 7021(b)); otherwise the period runs from
    the next day (Reg 1182/71 Art 3(1), the US general rule). A period in months always ends on the
    corresponding date of the later month, whichever convention applies (ICO: 3 Sep -> 3 Oct).
    `roll_forward`: a last day on a Saturday, Sunday or public holiday moves to the next working day.
    `holiday_calendar`: whose public holidays count: the responder's country (Reg 1182/71 Art 2(1)) or
    the law's own jurisdiction (California holidays for CCPA business days).
    """

    amount: int | None
    unit: Unit | None
    first_day_counts: bool = False
    roll_forward: bool = False
    holiday_calendar: HolidayCalendar = "responder"

    @property
    def fixed(self) -> bool:
        return self.amount is not None

    def describe(self) -> str:
        if self.amount is None or self.unit is None:
            return "no fixed period"
        return describe_amount(self.amount, self.unit)


@dataclass(frozen=True)
class TimedRule:
    """A deadline a law sets: the response, an acknowledgement, an opt-out, a consent withdrawal, an appeal."""

    period: Period
    applies_to: tuple[str, ...]
    status: Status
    source: Source
    rule: str = ""
    counting_basis: str = ""
    roll_forward_basis: str = ""
    note: str = ""
    status_note: str = ""

    def covers(self, request_type: str) -> bool:
        return ALL in self.applies_to or request_type in self.applies_to


@dataclass(frozen=True)
class Extension:
    """More time the law allows, and when it must be announced.

    `amount` None: no capped extension. With `notify_within` it is open-ended (CH, HK, SG: tell the
    person by then how long it will take); without, there is none (Quebec).
    `total_cap`: the extended period counted from the start, when the law or guidance says so
    (GDPR: 3 months from receipt per the ICO; CCPA: 90 days from receipt).
    """

    amount: int | None
    unit: Unit | None
    total_cap: Duration | None
    notify_within: Duration | None
    reasons_required: bool | None
    condition: str
    status: Status
    source: Source
    counting_basis: str = ""
    note: str = ""
    status_note: str = ""

    @property
    def capped(self) -> bool:
        """True where the law gives a definite extended deadline."""
        return self.amount is not None


@dataclass(frozen=True)
class Appeal:
    available: bool
    status: Status
    source: Source
    rule: TimedRule | None = None  # the period to answer an appeal, where there is an appeal
    extension: Extension | None = None
    note: str = ""
    status_note: str = ""
    # Whom a person may complain to when the appeal is denied, as the law names it (the US state laws: the
    # Attorney General). Told to the person in the denial; empty where the law names no one.
    denial_complaint: str = ""


@dataclass(frozen=True)
class PausePolicy:
    """What waiting on the person does to the clock, per kind of pause.

    none: the clock runs on; stop: the paused days do not count (UK stop-the-clock); restart: the period
    starts again when the pause ends (UK 'relevant time': identity information received).
    """

    identity: PauseEffect
    clarification: PauseEffect
    fee: PauseEffect
    status: Status
    source: Source
    in_force_from: tuple[tuple[PauseKind, dt.date], ...] = ()
    # A pause kind the law gives only for some request types (UK stop-the-clock: access only); absent: all.
    only_for: tuple[tuple[PauseKind, tuple[str, ...]], ...] = ()
    note: str = ""
    status_note: str = ""

    def effect(self, kind: PauseKind) -> PauseEffect:
        return cast(PauseEffect, getattr(self, kind))

    def request_types(self, kind: PauseKind) -> tuple[str, ...] | None:
        """The request types this kind of pause applies to, or None for every type."""
        return dict(self.only_for).get(kind)

    def in_force_date(self, kind: PauseKind) -> dt.date | None:
        return dict(self.in_force_from).get(kind)


@dataclass(frozen=True)
class Refusal:
    reasons_required: bool | None
    must_mention: tuple[str, ...]
    deadline: str
    status: Status
    source: Source
    note: str = ""
    status_note: str = ""


@dataclass(frozen=True)
class TextRule:
    """A rule staff read rather than compute (verification, agents, fees, ...), with its mark."""

    text: str
    status: Status
    source: Source
    note: str = ""
    status_note: str = ""


@dataclass(frozen=True)
class IdentityCheck:
    """How sure a business must be of who asks, per request type (vocabulary.IDENTITY_LEVELS)."""

    default: str
    by_type: tuple[tuple[str, str], ...]
    status: Status
    source: Source
    note: str = ""

    def level_for(self, request_type: str) -> str:
        return dict(self.by_type).get(request_type, self.default)


@dataclass(frozen=True)
class OtherRule:
    topic: str
    text: str
    status: Status
    source: Source


@dataclass(frozen=True)
class Right:
    """A right the law gives, under our request-type key; `original` is the reference's own key."""

    type: str
    basis: str
    status: Status
    original: str | None = None
    in_force_from: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class OtherRight:
    """A right that is not a request this product files (non-discrimination, nomination, ...)."""

    type: str
    basis: str
    status: Status
    note: str = ""


@dataclass(frozen=True)
class Reach:
    """A law's territorial reach (laws.yaml `reach`): whom it protects, and which vendors it binds.

    `residents`: when it reaches a person living in its jurisdictions (see ResidentsReach).
    `establishment`: whether it binds a vendor established in its territory whoever the person is (GDPR
    Art 3(1)); the US state laws protect their residents only.
    """

    residents: ResidentsReach
    establishment: bool
    status: Status
    source: Source
    note: str = ""


@dataclass(frozen=True)
class Territory:
    """Where a law applies (`jurisdictions`) and how far it reaches there (`reach`)."""

    places: tuple[str, ...]
    reach: Reach


# Where a stored entry has no `reach` (rules kept with requests received before it was encoded): the reading
# then in use, the law applied where the policy names it, and to a vendor established in its territory.
NAMED_ONLY = Reach(
    residents="named",
    establishment=True,
    status="U",
    source=Source("No territorial rule encoded: the law applies where the policy names it."),
)


@dataclass(frozen=True)
class LawRules:
    code: str
    name: str
    jurisdictions: tuple[str, ...]
    rights: tuple[Right, ...]
    other_rights: tuple[OtherRight, ...]
    response: TimedRule
    extension: Extension | None
    acknowledgement: TimedRule | None
    opt_out: TimedRule | None
    consent_withdrawal: TimedRule | None
    appeal: Appeal
    pause: PausePolicy
    refusal: Refusal
    verification: TextRule
    authorized_agent: TextRule
    fee: TextRule
    free_requests: TextRule
    processor_duty: TextRule
    other_rules: tuple[OtherRule, ...]
    sources: tuple[Source, ...]
    notes: tuple[str, ...] = ()
    identity_check: IdentityCheck | None = None
    # The period to answer a grievance (India DPDP s.13, Rule 14(3)); None where the law sets none.
    grievance: TimedRule | None = None
    # A processor's internal target to forward a request to its controller (processor_duty.forward_within):
    # the law says 'promptly'; the number is the office's own decision, kept with the duty it serves.
    processor_forward: Duration | None = None
    reach: Reach = NAMED_ONLY
    # The duty to pass a request on to the recipients of the data (GDPR Art 19; CCPA 1798.105(c), 11 CCR
    # 7026(f)), the request types it covers, and the office's target to do it (recipient_duty.notify_within).
    recipient_duty: TextRule | None = None
    recipient_types: tuple[str, ...] = ()
    recipient_notify: Duration | None = None

    def identity(self) -> IdentityCheck:
        """The law's identity rule; where the data has none, the stricter 'reasonable' reading, said so."""
        if self.identity_check is not None:
            return self.identity_check
        return IdentityCheck(
            default="reasonable",
            by_type=(),
            status="U",
            source=self.verification.source,
            note="No per-type identity rule is encoded for this law: the stricter 'reasonable degree' applies.",
        )

    def rights_for(self, request_type: str) -> tuple[Right, ...]:
        return tuple(r for r in self.rights if r.type == request_type)

    def lists(self, request_type: str) -> bool:
        return any(r.type == request_type for r in self.rights)

    @property
    def law_place(self) -> tuple[str, str | None]:
        """The country and subdivision whose holidays a `holiday_calendar: law` rule uses ("US-CA" -> US, CA)."""
        country, _, subdivision = self.jurisdictions[0].partition("-")
        return country, subdivision or None


@dataclass(frozen=True)
class SupervisoryAuthority:
    country: str  # ISO 3166-1 alpha-2, or a subdivision ("DE-BB") where the country's authorities are regional
    authority: str
    address: str
    web: str
    notes: str
    national_law: str
    sources: tuple[str, ...]
    status: Status
    laws: tuple[str, ...] = ()  # the laws whose complaints it hears (law codes)


@dataclass(frozen=True)
class LawsFile:
    path: Path
    laws: tuple[LawRules, ...]
    authorities: tuple[SupervisoryAuthority, ...]

    def by_code(self) -> dict[str, LawRules]:
        return {law.code: law for law in self.laws}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(law.code for law in self.laws)


def describe_amount(amount: int, unit: str) -> str:
    """'1 month', '45 days', '10 business days'."""
    words = {"months": ("month", "months"), "days": ("day", "days"), "business_days": ("business day", "business days")}
    singular, plural = words.get(unit, (unit, unit))
    return f"{amount} {singular if amount == 1 else plural}"


# --- Parsing ------------------------------------------------------------------------------------------


class _Ctx:
    """Where we are in the file, so every error names file, entry and field."""

    def __init__(self, where: str, entry: str, prefix: str = "") -> None:
        self.where = where
        self.entry = entry
        self.prefix = prefix

    def at(self, field: str) -> _Ctx:
        return _Ctx(self.where, self.entry, self.name(field))

    def name(self, field: str) -> str:
        if not field:
            return self.prefix
        if field.startswith("["):
            return f"{self.prefix}{field}"
        return f"{self.prefix}.{field}" if self.prefix else field

    def fail(self, field: str, problem: str) -> NoReturn:
        name = self.name(field) or "(entry)"
        raise LawDataError(f"{self.where}: {self.entry}: {name}: {problem}")


def _mapping(
    value: Any, ctx: _Ctx, field: str, *, required: Sequence[str] = (), optional: Sequence[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        ctx.fail(field, f"must be a mapping, not {_show(value)}")
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            ctx.fail(f"{field}.{key}" if field else str(key), f"unknown field (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in value:
            ctx.fail(f"{field}.{key}" if field else key, "missing")
    return dict(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (list, dict)) else type(value).__name__


def _text(data: Mapping[str, Any], key: str, ctx: _Ctx, *, required: bool = True, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            ctx.fail(key, "missing (must be text)")
        return default
    if not isinstance(value, str) or (required and not value.strip()):
        ctx.fail(key, f"must be non-empty text, not {_show(value)}")
    return value.strip()


def _bool(data: Mapping[str, Any], key: str, ctx: _Ctx, *, default: bool | None) -> bool | None:
    value = data.get(key, default)
    if value is None:
        return None
    if not isinstance(value, bool):
        ctx.fail(key, f"{_show(value)} must be true or false")
    return value


def _choice(value: Any, choices: Sequence[str], ctx: _Ctx, field: str) -> str:
    if not isinstance(value, str) or value not in choices:
        ctx.fail(field, f"{_show(value)} is not one of {', '.join(choices)}")
    return value


def _status(data: Mapping[str, Any], ctx: _Ctx, key: str = "status") -> Status:
    return cast(Status, _choice(data.get(key), STATUSES, ctx, key))


def _amount(value: Any, ctx: _Ctx, field: str, *, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.fail(field, f"{_show(value)} must be a whole number" + (" or null" if nullable else ""))
    if value < 1:
        ctx.fail(field, f"{value} must be at least 1")
    return int(value)


def _unit(value: Any, ctx: _Ctx, field: str) -> Unit:
    return cast(Unit, _choice(value, UNITS, ctx, field))


def _date(value: Any, ctx: _Ctx, field: str) -> dt.date | None:
    """A date from YAML (a date) or from the database copy (an ISO string: the loader stores JSON)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        ctx.fail(field, f"{value!r} must be a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    ctx.fail(field, f"{_show(value)} is not a date (YYYY-MM-DD)")


def _source(value: Any, ctx: _Ctx, field: str = "source", *, with_status: bool = False) -> Source:
    optional = ("url", "status") if with_status else ("url",)
    data = _mapping(value, ctx, field, required=("cite",), optional=optional)
    sub = ctx.at(field)
    url = data.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        sub.fail("url", f"{_show(url)} is not an http(s) URL")
    status = _status(data, sub) if with_status else None
    return Source(cite=_text(data, "cite", sub), url=url, status=status)


def _request_types(value: Any, ctx: _Ctx, field: str, *, allow_all: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        ctx.fail(field, f"must be a non-empty list of request types, not {_show(value)}")
    allowed = [*vocabulary.REQUEST_TYPES, *([ALL] if allow_all else [])]
    for i, item in enumerate(value):
        if item not in allowed:
            ctx.fail(f"{field}[{i}]", f"{_show(item)} is not one of {', '.join(allowed)}")
    if allow_all and ALL in value and len(value) > 1:
        ctx.fail(field, "'all' cannot be combined with other request types")
    return tuple(value)


def _duration(value: Any, ctx: _Ctx, field: str) -> Duration | None:
    if value is None:
        return None
    data = _mapping(value, ctx, field, required=("amount", "unit"))
    sub = ctx.at(field)
    amount = _amount(data["amount"], sub, "amount", nullable=False)
    assert amount is not None
    return Duration(amount=amount, unit=_unit(data["unit"], sub, "unit"))


_PERIOD_KEYS = ("amount", "unit", "first_day_counts", "roll_forward", "holiday_calendar")
_TIMED_TEXT_KEYS = ("rule", "counting_basis", "roll_forward_basis", "note", "status_note")


def _period(data: Mapping[str, Any], ctx: _Ctx) -> Period:
    amount = _amount(data.get("amount"), ctx, "amount", nullable=True)
    unit_value = data.get("unit")
    if amount is None:
        if unit_value is not None:
            ctx.fail("unit", f"{_show(unit_value)} given without an amount (no fixed amount: unit null)")
        unit: Unit | None = None
    else:
        unit = _unit(unit_value, ctx, "unit")
    calendar = cast(
        HolidayCalendar, _choice(data.get("holiday_calendar", "responder"), HOLIDAY_CALENDARS, ctx, "holiday_calendar")
    )
    return Period(
        amount=amount,
        unit=unit,
        first_day_counts=bool(_bool(data, "first_day_counts", ctx, default=False)),
        roll_forward=bool(_bool(data, "roll_forward", ctx, default=False)),
        holiday_calendar=calendar,
    )


def _timed_rule(value: Any, ctx: _Ctx, field: str, *, default_applies_to: tuple[str, ...] | None) -> TimedRule:
    required = ("amount", "status", "source") + (() if default_applies_to else ("applies_to",))
    optional = (*_PERIOD_KEYS, *_TIMED_TEXT_KEYS, "applies_to")
    data = _mapping(value, ctx, field, required=required, optional=optional)
    sub = ctx.at(field)
    applies_to = (
        _request_types(data["applies_to"], sub, "applies_to", allow_all=True)
        if "applies_to" in data
        else cast(tuple[str, ...], default_applies_to)
    )
    return TimedRule(
        period=_period(data, sub),
        applies_to=applies_to,
        status=_status(data, sub),
        source=_source(data["source"], sub),
        **{key: _text(data, key, sub, required=False) for key in _TIMED_TEXT_KEYS},
    )


def _extension(value: Any, ctx: _Ctx, field: str, base: Period | None) -> Extension | None:
    if value is None:
        return None
    data = _mapping(
        value,
        ctx,
        field,
        required=("amount", "status", "source"),
        optional=(
            "unit",
            "total_cap",
            "notify_within",
            "reasons_required",
            "condition",
            "counting_basis",
            "note",
            "status_note",
        ),
    )
    sub = ctx.at(field)
    amount = _amount(data["amount"], sub, "amount", nullable=True)
    unit: Unit | None = None
    if amount is None:
        if data.get("unit") is not None:
            sub.fail("unit", f"{_show(data['unit'])} given without an amount")
        if data.get("total_cap") is not None:
            sub.fail("total_cap", "given without an amount")
    else:
        unit = _unit(data.get("unit"), sub, "unit")
        # The extended deadline is one period counted from the start (base + extension, or the cap), so the
        # units must agree: "45 days + 45 days", "1 month + 2 months = 3 months".
        if base is not None and base.unit is not None and unit != base.unit:
            sub.fail("unit", f"'{unit}' must be the same unit as the period it extends ('{base.unit}')")
        if base is not None and base.amount is None:
            sub.fail("amount", "a capped extension needs a period with a fixed amount to extend")
    total_cap = _duration(data.get("total_cap"), sub, "total_cap")
    if total_cap is not None and total_cap.unit != unit:
        sub.fail("total_cap.unit", f"'{total_cap.unit}' must be the same unit as the extension ('{unit}')")
    if (
        total_cap is not None
        and base is not None
        and base.amount is not None
        and amount is not None
        and not base.amount <= total_cap.amount <= base.amount + amount
    ):
        sub.fail("total_cap.amount", f"{total_cap.amount} must lie between {base.amount} and {base.amount + amount}")
    return Extension(
        amount=amount,
        unit=unit,
        total_cap=total_cap,
        notify_within=_duration(data.get("notify_within"), sub, "notify_within"),
        reasons_required=_bool(data, "reasons_required", sub, default=None),
        condition=_text(data, "condition", sub, required=False),
        status=_status(data, sub),
        source=_source(data["source"], sub),
        counting_basis=_text(data, "counting_basis", sub, required=False),
        note=_text(data, "note", sub, required=False),
        status_note=_text(data, "status_note", sub, required=False),
    )


def _appeal(value: Any, ctx: _Ctx) -> Appeal:
    data = _mapping(
        value,
        ctx,
        "appeal",
        required=("available", "status", "source"),
        optional=(*_PERIOD_KEYS, *_TIMED_TEXT_KEYS, "extension", "denial_complaint"),
    )
    sub = ctx.at("appeal")
    available = _bool(data, "available", sub, default=None)
    if available is None:
        sub.fail("available", "missing (true or false)")
    status = _status(data, sub)
    source = _source(data["source"], sub)
    note = _text(data, "note", sub, required=False)
    status_note = _text(data, "status_note", sub, required=False)
    if not available:
        for key in (*_PERIOD_KEYS, "extension", "denial_complaint"):
            if data.get(key) not in (None, False):
                sub.fail(key, "given although the appeal is not available")
        return Appeal(available=False, status=status, source=source, note=note, status_note=status_note)
    if data.get("amount") is None:
        sub.fail("amount", "an available appeal needs the number of days to answer it")
    rule = TimedRule(
        period=_period(data, sub),
        applies_to=("appeal",),
        status=status,
        source=source,
        **{key: _text(data, key, sub, required=False) for key in _TIMED_TEXT_KEYS},
    )
    return Appeal(
        available=True,
        status=status,
        source=source,
        rule=rule,
        extension=_extension(data.get("extension"), sub, "extension", rule.period),
        note=note,
        status_note=status_note,
        denial_complaint=_text(data, "denial_complaint", sub, required=False),
    )


def _pause(value: Any, ctx: _Ctx) -> PausePolicy:
    data = _mapping(
        value,
        ctx,
        "pause",
        required=("identity", "clarification", "status", "source"),
        optional=("fee", "in_force_from", "only_for", "note", "status_note"),
    )
    sub = ctx.at("pause")
    effects: dict[str, PauseEffect] = {}
    for kind in PAUSE_KINDS:
        effects[kind] = cast(PauseEffect, _choice(data.get(kind, "none"), PAUSE_EFFECTS[kind], sub, kind))
    in_force: list[tuple[PauseKind, dt.date]] = []
    raw_in_force = data.get("in_force_from") or {}
    if not isinstance(raw_in_force, Mapping):
        sub.fail("in_force_from", f"must be a mapping of pause kind to date, not {_show(raw_in_force)}")
    for kind, when in raw_in_force.items():
        _choice(kind, PAUSE_KINDS, sub, f"in_force_from.{kind}")
        day = _date(when, sub, f"in_force_from.{kind}")
        if day is None:
            sub.fail(f"in_force_from.{kind}", "missing date")
        in_force.append((cast(PauseKind, kind), day))
    only_for: list[tuple[PauseKind, tuple[str, ...]]] = []
    raw_only_for = data.get("only_for") or {}
    if not isinstance(raw_only_for, Mapping):
        sub.fail("only_for", f"must be a mapping of pause kind to request types, not {_show(raw_only_for)}")
    for kind, types in raw_only_for.items():
        _choice(kind, PAUSE_KINDS, sub, f"only_for.{kind}")
        if not isinstance(types, list) or not types:
            sub.fail(f"only_for.{kind}", f"must be a non-empty list of request types, not {_show(types)}")
        for request_type in types:
            _choice(request_type, tuple(vocabulary.REQUEST_TYPES), sub, f"only_for.{kind}")
        only_for.append((cast(PauseKind, kind), tuple(types)))
    return PausePolicy(
        identity=effects["identity"],
        clarification=effects["clarification"],
        fee=effects["fee"],
        status=_status(data, sub),
        source=_source(data["source"], sub),
        in_force_from=tuple(in_force),
        only_for=tuple(only_for),
        note=_text(data, "note", sub, required=False),
        status_note=_text(data, "status_note", sub, required=False),
    )


def _refusal(value: Any, ctx: _Ctx) -> Refusal:
    data = _mapping(
        value,
        ctx,
        "refusal",
        required=("must_mention", "status", "source"),
        optional=("reasons_required", "deadline", "note", "status_note"),
    )
    sub = ctx.at("refusal")
    mentions = data["must_mention"]
    if not isinstance(mentions, list) or not all(isinstance(m, str) and m.strip() for m in mentions):
        sub.fail("must_mention", "must be a list of non-empty texts (may be empty: [])")
    return Refusal(
        reasons_required=_bool(data, "reasons_required", sub, default=None),
        must_mention=tuple(m.strip() for m in mentions),
        deadline=_text(data, "deadline", sub, required=False),
        status=_status(data, sub),
        source=_source(data["source"], sub),
        note=_text(data, "note", sub, required=False),
        status_note=_text(data, "status_note", sub, required=False),
    )


def _identity_check(value: Any, ctx: _Ctx) -> IdentityCheck | None:
    if value is None:
        return None
    field = "identity_check"
    data = _mapping(value, ctx, field, required=("default", "status", "source"), optional=("by_type", "note"))
    sub = ctx.at(field)
    levels = tuple(vocabulary.IDENTITY_LEVELS)
    default = _choice(data["default"], levels, sub, "default")
    by_type = data.get("by_type") or {}
    if not isinstance(by_type, Mapping):
        sub.fail("by_type", "must map request types to identity levels")
    pairs = []
    for request_type, level in by_type.items():
        if request_type not in vocabulary.REQUEST_TYPES:
            sub.fail(
                f"by_type.{request_type}", f"unknown request type; use one of {', '.join(vocabulary.REQUEST_TYPES)}"
            )
        pairs.append((str(request_type), _choice(level, levels, sub, f"by_type.{request_type}")))
    return IdentityCheck(
        default=default,
        by_type=tuple(pairs),
        status=_status(data, sub),
        source=_source(data["source"], sub),
        note=_text(data, "note", sub, required=False),
    )


def _recipient_duty(value: Any, ctx: _Ctx) -> tuple[TextRule | None, tuple[str, ...], Duration | None]:
    """`recipient_duty`: {applies_to: [request types], notify_within: {amount, unit: business_days}, text, ...}."""
    if value is None:
        return None, (), None
    data = _mapping(
        value,
        ctx,
        "recipient_duty",
        required=("applies_to", "notify_within", "text", "status", "source"),
        optional=("note", "status_note"),
    )
    sub = ctx.at("recipient_duty")
    types = data["applies_to"]
    if not isinstance(types, list) or not types or not all(t in vocabulary.REQUEST_TYPES for t in types):
        sub.fail("applies_to", f"must be a non-empty list of request types ({', '.join(vocabulary.REQUEST_TYPES)})")
    notify = _duration(data["notify_within"], sub, "notify_within")
    if notify is None or notify.unit != "business_days":
        sub.fail("notify_within", "must be a number of business_days")
    rule = {key: item for key, item in data.items() if key not in ("applies_to", "notify_within")}
    return _text_rule(rule, ctx, "recipient_duty"), tuple(types), notify


def _text_rule(value: Any, ctx: _Ctx, field: str) -> TextRule:
    data = _mapping(value, ctx, field, required=("text", "status", "source"), optional=("note", "status_note"))
    sub = ctx.at(field)
    return TextRule(
        text=_text(data, "text", sub),
        status=_status(data, sub),
        source=_source(data["source"], sub),
        note=_text(data, "note", sub, required=False),
        status_note=_text(data, "status_note", sub, required=False),
    )


def _rights(value: Any, ctx: _Ctx) -> tuple[Right, ...]:
    if not isinstance(value, list) or not value:
        ctx.fail("rights", "must be a non-empty list")
    rights = []
    for i, item in enumerate(value):
        field = f"rights[{i}]"
        data = _mapping(
            item, ctx, field, required=("type", "basis", "status"), optional=("original", "in_force_from", "note")
        )
        sub = ctx.at(field)
        right_type = data["type"]
        if right_type not in vocabulary.REQUEST_TYPES:
            sub.fail(
                "type",
                f"{_show(right_type)} is not a request type ({', '.join(vocabulary.REQUEST_TYPES)}); "
                "keep rights that are not requests under other_rights",
            )
        original = data.get("original")
        if original is not None and (not isinstance(original, str) or not _KEY_RE.match(original)):
            sub.fail("original", f"{_show(original)} must be a snake_case key")
        rights.append(
            Right(
                type=right_type,
                basis=_text(data, "basis", sub),
                status=_status(data, sub),
                original=original,
                in_force_from=_date(data.get("in_force_from"), sub, "in_force_from"),
                note=_text(data, "note", sub, required=False),
            )
        )
    return tuple(rights)


def _other_rights(value: Any, ctx: _Ctx) -> tuple[OtherRight, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.fail("other_rights", f"must be a list, not {_show(value)}")
    out = []
    for i, item in enumerate(value):
        field = f"other_rights[{i}]"
        data = _mapping(item, ctx, field, required=("type", "basis", "status"), optional=("note",))
        sub = ctx.at(field)
        key = data["type"]
        if not isinstance(key, str) or not _KEY_RE.match(key):
            sub.fail("type", f"{_show(key)} must be a snake_case key")
        out.append(
            OtherRight(
                type=key,
                basis=_text(data, "basis", sub),
                status=_status(data, sub),
                note=_text(data, "note", sub, required=False),
            )
        )
    return tuple(out)


def _other_rules(value: Any, ctx: _Ctx) -> tuple[OtherRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.fail("other_rules", f"must be a list, not {_show(value)}")
    out = []
    for i, item in enumerate(value):
        field = f"other_rules[{i}]"
        data = _mapping(item, ctx, field, required=("topic", "text", "status", "source"))
        sub = ctx.at(field)
        out.append(
            OtherRule(
                topic=_text(data, "topic", sub),
                text=_text(data, "text", sub),
                status=_status(data, sub),
                source=_source(data["source"], sub),
            )
        )
    return tuple(out)


def _jurisdictions(value: Any, ctx: _Ctx) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        ctx.fail("jurisdictions", "must be a non-empty list of ISO codes such as 'EE' or 'US-CA'")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _JURISDICTION_RE.match(item):
            # YAML reads a bare NO (Norway) as false: quote it.
            hint = ' (quote it: "NO")' if item is False else ""
            ctx.fail(f"jurisdictions[{i}]", f"{_show(item)} is not an ISO code such as 'EE' or 'US-CA'{hint}")
    return tuple(value)


_LAW_REQUIRED = (
    "code",
    "name",
    "jurisdictions",
    "rights",
    "response",
    "extension",
    "acknowledgement",
    "opt_out",
    "appeal",
    "pause",
    "refusal",
    "verification",
    "authorized_agent",
    "fee",
    "free_requests",
    "processor_duty",
    "sources",
)
_LAW_OPTIONAL = (
    "other_rights",
    "consent_withdrawal",
    "grievance",
    "other_rules",
    "notes",
    "identity_check",
    "reach",
    "recipient_duty",
)


def parse_reach(value: Any, ctx: _Ctx) -> Reach:
    """A law's `reach` (NAMED_ONLY where the entry has none)."""
    if value is None:
        return NAMED_ONLY
    data = _mapping(
        value, ctx, "reach", required=("residents", "establishment", "status", "source"), optional=("note",)
    )
    sub = ctx.at("reach")
    residents = data["residents"]
    if residents not in RESIDENTS_REACH:
        sub.fail("residents", f"{_show(residents)} is not one of {', '.join(RESIDENTS_REACH)}")
    establishment = _bool(data, "establishment", sub, default=None)
    if establishment is None:
        sub.fail("establishment", "must be true or false")
    return Reach(
        residents=cast(ResidentsReach, residents),
        establishment=establishment,
        status=_status(data, sub),
        source=_source(data["source"], sub),
        note=_text(data, "note", sub, required=False),
    )


def law_territory(entry: Mapping[str, Any], *, where: str) -> Territory:
    """Only the territory of one stored law entry (what choosing a request's laws needs), without the rest."""
    ctx = _Ctx(where, str(entry.get("code") or "entry"))
    return Territory(places=_jurisdictions(entry.get("jurisdictions"), ctx), reach=parse_reach(entry.get("reach"), ctx))


def parse_law(entry: Any, *, where: str, index: int | None = None) -> LawRules:
    """Turn one `laws:` entry (from the file, or `Law.data` from the database) into `LawRules`.

    `where` names the file (or other origin) in error messages; `index` names the entry when it has no
    usable code yet.
    """
    label = f"laws[{index}]" if index is not None else "entry"
    code = entry.get("code") if isinstance(entry, Mapping) else None
    if isinstance(code, str) and code:
        label = code
    ctx = _Ctx(where, label)
    data = _mapping(entry, ctx, "", required=_LAW_REQUIRED, optional=_LAW_OPTIONAL)
    if not isinstance(code, str) or not _CODE_RE.match(code):
        ctx.fail("code", f"{_show(code)} is not a law code such as 'EU_GDPR' or 'US_CA_CCPA'")
    response = _timed_rule(data["response"], ctx, "response", default_applies_to=(ALL,))
    jurisdictions = _jurisdictions(data["jurisdictions"], ctx)
    timed: dict[str, TimedRule | None] = {}
    for key in ("acknowledgement", "opt_out", "consent_withdrawal", "grievance"):
        timed[key] = None if data.get(key) is None else _timed_rule(data[key], ctx, key, default_applies_to=None)
    appeal = _appeal(data["appeal"], ctx)
    # A 'law' holiday calendar needs one place to take the holidays from ("US-CA" -> California).
    for key, rule in (("response", response), *timed.items(), ("appeal", appeal.rule)):
        if rule is not None and rule.period.holiday_calendar == "law" and len(jurisdictions) != 1:
            ctx.fail(f"{key}.holiday_calendar", "'law' needs exactly one jurisdiction to take the holidays from")
    sources = data["sources"]
    if not isinstance(sources, list) or not sources:
        ctx.fail("sources", "must be a non-empty list of {cite, url, status}")
    notes = data.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        ctx.fail("notes", "must be a list of texts")
    duty = data["processor_duty"]
    forward: Duration | None = None
    if isinstance(duty, Mapping) and "forward_within" in duty:
        forward = _duration(duty["forward_within"], ctx.at("processor_duty"), "forward_within")
        if forward is None or forward.unit != "business_days":
            ctx.at("processor_duty").fail("forward_within", "must be a number of business_days")
        duty = {key: value for key, value in duty.items() if key != "forward_within"}
    recipient_duty, recipient_types, recipient_notify = _recipient_duty(data.get("recipient_duty"), ctx)
    return LawRules(
        code=code,
        name=_text(data, "name", ctx),
        jurisdictions=jurisdictions,
        rights=_rights(data["rights"], ctx),
        other_rights=_other_rights(data.get("other_rights"), ctx),
        response=response,
        extension=_extension(data["extension"], ctx, "extension", response.period),
        acknowledgement=timed["acknowledgement"],
        opt_out=timed["opt_out"],
        consent_withdrawal=timed["consent_withdrawal"],
        grievance=timed["grievance"],
        appeal=appeal,
        pause=_pause(data["pause"], ctx),
        refusal=_refusal(data["refusal"], ctx),
        verification=_text_rule(data["verification"], ctx, "verification"),
        authorized_agent=_text_rule(data["authorized_agent"], ctx, "authorized_agent"),
        fee=_text_rule(data["fee"], ctx, "fee"),
        free_requests=_text_rule(data["free_requests"], ctx, "free_requests"),
        processor_duty=_text_rule(duty, ctx, "processor_duty"),
        processor_forward=forward,
        recipient_duty=recipient_duty,
        recipient_types=recipient_types,
        recipient_notify=recipient_notify,
        other_rules=_other_rules(data.get("other_rules"), ctx),
        sources=tuple(_source(s, ctx, f"sources[{i}]", with_status=True) for i, s in enumerate(sources)),
        notes=tuple(notes),
        identity_check=_identity_check(data.get("identity_check"), ctx),
        reach=parse_reach(data.get("reach"), ctx),
    )


def _authority(value: Any, where: str, index: int) -> SupervisoryAuthority:
    country = value.get("country") if isinstance(value, Mapping) else None
    ctx = _Ctx(where, f"supervisory_authorities[{index}]" + (f" ({country})" if isinstance(country, str) else ""))
    data = _mapping(
        value,
        ctx,
        "",
        required=("country", "authority", "status", "sources"),
        optional=("address", "web", "notes", "national_law", "laws"),
    )
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", country):
        ctx.fail("country", f"{_show(country)} is not an ISO 3166-1 alpha-2 code (or ISO 3166-2, e.g. DE-BB)")
    codes = data.get("laws") or []
    if not isinstance(codes, list) or not all(isinstance(code, str) and _CODE_RE.match(code) for code in codes):
        ctx.fail("laws", "must be a list of law codes")
    sources = data["sources"]
    if not isinstance(sources, list) or not all(
        isinstance(s, str) and s.startswith(("http://", "https://")) for s in sources
    ):
        ctx.fail("sources", "must be a list of http(s) URLs")
    return SupervisoryAuthority(
        country=country,
        authority=_text(data, "authority", ctx),
        address=_text(data, "address", ctx, required=False),
        web=_text(data, "web", ctx, required=False),
        notes=_text(data, "notes", ctx, required=False),
        national_law=_text(data, "national_law", ctx, required=False),
        sources=tuple(sources),
        status=_status(data, ctx),
        laws=tuple(codes),
    )


def parse_laws_document(document: Any, *, where: str, path: Path | None = None) -> LawsFile:
    """Validate a whole laws document (already read from YAML)."""
    ctx = _Ctx(where, "(file)")
    data = _mapping(document, ctx, "", required=("schema", "laws"), optional=("supervisory_authorities",))
    if data["schema"] != 1:
        ctx.fail("schema", f"{_show(data['schema'])} is not a supported schema version (1)")
    entries = data["laws"]
    if not isinstance(entries, list) or not entries:
        ctx.fail("laws", "must be a non-empty list")
    laws = [parse_law(entry, where=where, index=i) for i, entry in enumerate(entries)]
    seen: dict[str, int] = {}
    for i, law in enumerate(laws):
        if law.code in seen:
            _Ctx(where, law.code).fail("code", f"duplicate: laws[{seen[law.code]}] and laws[{i}] have the same code")
        seen[law.code] = i
    raw_authorities = data.get("supervisory_authorities") or []
    if not isinstance(raw_authorities, list):
        ctx.fail("supervisory_authorities", "must be a list")
    authorities = [_authority(a, where, i) for i, a in enumerate(raw_authorities)]
    countries = [a.country for a in authorities]
    for c in countries:
        if countries.count(c) > 1:
            ctx.fail("supervisory_authorities", f"country {c} appears more than once")
    return LawsFile(path=path or Path(where), laws=tuple(laws), authorities=tuple(authorities))


def load_laws_file(path: str | Path) -> LawsFile:
    """Read and validate the laws file; raise `LawDataError` naming the file, entry and field."""
    path = Path(path)
    where = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LawDataError(f"{where}: (file): cannot be read: {exc.strerror or exc}") from None
    import yaml  # only when reading the files: a process that only reads the database never loads it

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else "(file)"
        raise LawDataError(f"{where}: {line}: (syntax): {getattr(exc, 'problem', None) or exc}") from None
    return parse_laws_document(document, where=where, path=path)


def default_laws_path() -> Path:
    """policies/data/laws.yaml, next to this module."""
    return Path(__file__).resolve().parent / "data" / "laws.yaml"
