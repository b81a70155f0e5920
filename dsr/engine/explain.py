"""The words for the deadline engine's steps (dsr.engine.steps): pure, no database, no clock.

`render` tells a deadline's steps in the active language (every phrase goes through gettext, so a
catalogue can translate it); `render_english` tells them in English, the language of the legal
explanation staff paste into letters (`Deadline.explanation`). Dates are written locale-independently
('Monday 2 March 2026') on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, npgettext

from dsr.engine.explain_routing import RouteStep
from dsr.engine.steps import Step
from policies.laws import STATUS_MEANING, Status

COUNT_CODES = frozenset({"count_months", "count_days", "count_business_days"})
PERIOD_CODES = COUNT_CODES | {
    "clamp_month_end",
    "clock_stopped",
    "roll_weekend",
    "roll_holiday",
    "no_roll",
    "holidays_outside_territory",
}
PAUSE_CODES = frozenset({"pause_stops_clock", "pause_restarts_clock", "pause_ignored"})

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(day: dt.date, *, weekday: bool = False) -> str:
    """'2 March 2026', or 'Monday 2 March 2026'. Locale-independent on purpose: these go into letters."""
    text = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def render_english(steps: Sequence[Step]) -> str:
    """The steps of one deadline as the English explanation (whatever language is active)."""
    with translation.override("en"):
        return render(steps)


def render_pause_english(step: Step) -> str:
    with translation.override("en"):
        return render_pause(step)


def render_forward_english(steps: Sequence[Step]) -> str:
    with translation.override("en"):
        return " ".join(render_forward(step) for step in steps)


def render_forward(step: Step) -> str:
    """A processor's target to forward the request to its controller (or to tell the recipients), and why."""
    p = step.params
    cite = step.source.cite if step.source else ""
    facts = {
        "due": _day(p["due"]),
        "cite": cite,
        "amount": _amount_words(p["amount"], p["unit"]),
        "received": format_date(p["received"]),
    }
    if step.code == "recipient_target":
        text = _(
            "Tell the recipients of the data by {due}: the vendor passes the request on to those it disclosed the "
            "data to ({cite}); the office's own target is {amount} after receipt on {received} (house decision, "
            "status U: the law sets no shorter number)."
        ).format(**facts)
    else:
        text = _(
            "Forward to the controller by {due}: as processor the vendor assists the controller and forwards the "
            "request promptly ({cite}); the office's own target is {amount} after receipt on {received} (house "
            "decision, status U: the law sets no number)."
        ).format(**facts)
    if p["capped"]:
        text += " " + _(
            "The request's own deadline, {date}, comes first: the controller's time is not extended."
        ).format(date=format_date(p["response_due"]))
    return text


def render(steps: Sequence[Step]) -> str:
    """The steps of one deadline (headline first) as the sentences of its explanation."""
    if not steps:
        return ""
    head, p = steps[0], steps[0].params
    period = _period([s for s in steps if s.code in PERIOD_CODES])
    tail = "".join(f" {render_pause(s)}" for s in steps if s.code in PAUSE_CODES)
    marks = "".join(f" ({_status_text(s.mark, s.params.get('note', ''))}.)" for s in steps if s.code == "verification")
    cite = head.source.cite if head.source else ""
    if head.code == "due":
        text = _("Due {due}: {period}.").format(due=_day(p["due"]), period=period)
    elif head.code == "extended":
        if p["announced_on"]:
            announced = _("The extension was announced on {date}").format(date=format_date(p["announced_on"]))
            by = _(", on or before the last day to announce it, {date}") if p["notice_due"] else ""
        else:
            announced = _("The extension must be announced")
            by = _(" by {date}") if p["notice_due"] else ""
        text = _(
            "Due {due} (extended): {cite} allows {amount} more ({condition}); the extended period is {period}. "
            "Without the extension the deadline was {unextended}. {announced}{by}{reasons}."
        ).format(
            due=_day(p["due"]),
            cite=cite,
            amount=_amount_words(p["amount"], p["unit"]),
            condition=p["condition"],
            period=period,
            unextended=_day(p["unextended"]),
            announced=announced,
            by=by.format(date=format_date(p["notice_due"])) if by else "",
            reasons=_(", with the reasons") if p["reasons_required"] else "",
        )
    elif head.code == "if_extended":
        by = _(", announced by {date}").format(date=format_date(p["notice_due"])) if p["notice_due"] else ""
        text = _(
            "If extended{by}{reasons} ({condition}): due {due} under {cite}; the extended period is {period}."
        ).format(
            by=by,
            reasons=_(" with the reasons") if p["reasons_required"] else "",
            condition=p["condition"],
            due=_day(p["due"]),
            cite=cite,
            period=period,
        )
    elif head.code == "announce_extension":
        if p["open_ended"]:
            what = _("If you cannot meet the deadline, tell the person by {due} ({condition})").format(
                due=_day(p["due"]), condition=p["condition"]
            )
        else:
            what = _("An extension must be announced by {due}{reasons}").format(
                due=_day(p["due"]), reasons=_(", with the reasons") if p["reasons_required"] else ""
            )
        text = _("{what} ({cite}): {period}.").format(what=what, cite=cite, period=period)
    elif head.code == "acknowledge":
        text = _("Acknowledge by {due}{rule}: {period}.").format(
            due=_day(p["due"]), rule=f" ({p['rule']})" if p["rule"] else "", period=period
        )
    elif head.code == "no_fixed_period":
        text = _("No fixed deadline: {rule} ({cite}).").format(rule=p["rule"] or _("no fixed period"), cite=cite)
        text += f" {p['note']}" if p["note"] else ""
    elif head.code == "right_not_covered":
        text = _("No fixed deadline for '{request_type}' under {law}: {cite} sets {period} for {covered} only.").format(
            request_type=p["request_type"],
            law=p["law"],
            cite=cite,
            period=_amount_words(p["amount"], p["unit"], plain=True) if p["amount"] else _("no fixed period"),
            covered=", ".join(p["applies_to"]),
        )
        text += f" {p['note']}" if p["note"] else ""
    elif head.code == "no_statutory_appeal":
        text = _(
            "No statutory deadline: {law} gives no appeal to the organisation, so a review of an earlier answer is "
            "the vendor's own, not a period of the law ({cite})."
        ).format(law=p["law"], cite=cite)
        text += f" {p['note']}" if p["note"] else ""
    elif head.code == "promise":
        quote = p["quote"]
        promised = (
            _('promises "{quote}"').format(quote=quote)
            if quote
            else _("promises {amount}").format(amount=_amount_words(p["amount"], p["unit"], plain=True))
        )
        text = _("Due {due}: {vendor} {promised}, counted as {period}.").format(
            due=_day(p["due"]), vendor=p["vendor"], promised=promised, period=period
        )
    else:
        raise ValueError(f"A deadline's steps must start with a headline, not {head.code!r}.")
    closing = "".join(f" {_CLOSING[s.code]()}" for s in steps if s.code in _CLOSING)
    return f"{text}{tail}{marks}{closing}"


_CLOSING = {
    "promise_not_moved": lambda: _(
        "A promise is read the earlier way: it is not moved for weekends or holidays, not paused and not extended."
    ),
    "promise_not_paused": lambda: _("The pauses were not applied to it."),
    "promise_survives_extension": lambda: _("It still binds although the law's deadline was extended."),
}


def render_pause(step: Step) -> str:
    """What one pause did: 'The clarification pause from ... to ...: the clock stopped ...'."""
    p = step.params
    label = _("The {kind} pause from {start} to {end}").format(
        kind=p["kind"], start=format_date(p["start"]), end=format_date(p["end"])
    )
    cite = step.source.cite if step.source else ""
    waiting = _waiting_for(p["kind"])
    if step.code == "pause_stops_clock":
        text = _("{label}: the clock stopped while waiting for {waiting}, so {days} do not count ({cite})").format(
            label=label, waiting=waiting, days=_count_of(p["days"], p["unit"]), cite=cite
        )
        return text + (_(", but the period later restarted.") if p["superseded"] else ".")
    if step.code == "pause_restarts_clock":
        return _("{label}: the period started again on {date}, when {event} ({cite}).").format(
            label=label, date=format_date(p["end"]), event=_restart_event(p["kind"]), cite=cite
        )
    reason = p["reason"]
    if reason == "promise":
        why = _("a promise is never paused (earlier reading)")
    elif reason == "law":
        why = _("this law does not stop or restart the clock while waiting for {waiting} ({cite}; {status})").format(
            waiting=waiting, cite=cite, status=_status_text(step.mark, lower=True)
        )
        why += f". {p['note'].rstrip('.')}" if p["note"] else ""
    elif reason == "not_in_force":
        why = _(
            "the rule that pauses the clock while waiting for {waiting} applies from {date} ({cite}) and this "
            "pause began earlier"
        ).format(waiting=waiting, date=format_date(p["in_force"]), cite=cite)
    elif reason == "not_for_type":
        why = _(
            "this law stops or restarts the clock while waiting for {waiting} only for requests of type {types}, "
            "not {request_type} ({cite})"
        ).format(waiting=waiting, types=", ".join(p["only_for"]), request_type=p["request_type"], cite=cite)
    else:
        why = _("it began after the deadline of {date} had already passed").format(date=format_date(p["deadline"]))
    return _("{label} was not applied: {why}.").format(label=label, why=why)


def render_strictest(step: Step) -> str:
    """'The strictest deadline is Saturday 31 January 2026 (promise: Leadsment), the earliest of: ...'."""
    p = step.params
    compared = "; ".join(f"{c['rule']} ({c['kind']}) {format_date(c['due'])}" for c in p["compared"])
    return _("The strictest deadline is {due} ({rule}), the earliest of: {compared}.").format(
        due=_day(p["due"]), rule=p["rule"], compared=compared
    )


def _period(steps: Sequence[Step]) -> str:
    """'GDPR Art 12(3) gives one month from receipt on ...; ... so the period ends on the next working day'."""
    parts: list[str] = []
    rolled: list[Step] = []
    for step in steps:
        p = step.params
        if step.code in COUNT_CODES:
            parts.append(_count(step))
        elif step.code == "clamp_month_end":
            end: dt.date = p["end"]
            parts.append(
                _("{month} has no {day}, so the period ends on the last day of that month, {end}{basis}").format(
                    month=f"{_MONTHS[end.month - 1]} {end.year}",
                    day=_ordinal(p["day"]),
                    end=format_date(end),
                    basis=_basis(p["basis"]),
                )
            )
        elif step.code == "clock_stopped":
            parts.append(
                _("the clock stopped for {days} while waiting on the person, which moves the end to {end}").format(
                    days=_count_of(p["days"], p["unit"]), end=format_date(p["end"])
                )
            )
        elif step.code in ("roll_weekend", "roll_holiday"):
            rolled.append(step)
        elif step.code == "no_roll":
            parts.append(
                _("{why}, but this deadline does not move to the next working day").format(why=_why_not_working(step))
            )
        elif step.code == "holidays_outside_territory":
            parts.append(
                _(
                    "the public holidays of {country}, where the responder is, do not count: it is outside the law's "
                    "territory, so only weekends are skipped (earlier reading)"
                ).format(country=p["country"])
            )
    if rolled:
        parts.append(
            _("{why}, so the period ends on the next working day{basis}").format(
                why=_(" and ").join(_why_not_working(s) for s in rolled), basis=_basis(rolled[-1].params["basis"])
            )
        )
    return "; ".join(parts)


def _count(step: Step) -> str:
    p = step.params
    subject = _("{cite} gives ").format(cite=step.source.cite) if step.source else ""
    amount = _amount_words(p["amount"], p["unit"])
    start = format_date(p["start"])
    from_what = _("receipt of the appeal") if p["from"] == "appeal" else _("receipt")
    if p["restart"]:
        origin = _("the restart on {date}").format(date=start)
    else:
        origin = _("{from_what} on {date}").format(from_what=from_what, date=start)
    end = format_date(p["end"])
    if step.code == "count_months":
        if p.get("clamped"):
            return _("{subject}{amount} from {origin}").format(subject=subject, amount=amount, origin=origin)
        return _("{subject}{amount} from {origin}, ending on {end}").format(
            subject=subject, amount=amount, origin=origin, end=end
        )
    basis = _basis(p["basis"])
    if step.code == "count_days":
        if p["first_day_counts"]:
            return _(
                "{subject}{amount} beginning on the day of {from_what}, {start}, which is day 1{basis}, so the last "
                "day is {end}"
            ).format(subject=subject, amount=amount, from_what=from_what, start=start, basis=basis, end=end)
        return _(
            "{subject}{amount} after {origin} (that day itself is not counted){basis}, so the last day is {end}"
        ).format(subject=subject, amount=amount, origin=origin, basis=basis, end=end)
    if not p["first_day_counts"]:
        first = _("after {origin}").format(origin=origin)
    elif p["start_is_working_day"]:
        first = _("beginning on the day of {from_what}, {start}, which is business day 1").format(
            from_what=from_what, start=start
        )
    else:
        first = _("beginning on the first business day from {from_what} on {start} ({why})").format(
            from_what=from_what,
            start=start,
            why=_not_working(p["start"], p["start_holiday"], p["place"]),
        )
    if p["holidays"]:
        named = "; ".join(f"{format_date(h['date'], weekday=True)}: {h['name']}" for h in p["holidays"])
        skipping = _("public holidays in {place} ({named})").format(place=p["place"], named=named)
    elif p["place"] is None:
        skipping = _("no public holidays (no holiday calendar known)")
    else:
        skipping = _("public holidays in {place} (none fell in the period)").format(place=p["place"])
    return _(
        "{subject}{amount} {first}{basis}, skipping Saturdays, Sundays and {skipping}, so the last business day "
        "is {end}"
    ).format(subject=subject, amount=amount, first=first, basis=basis, skipping=skipping, end=end)


def _why_not_working(step: Step) -> str:
    p = step.params
    return _not_working(p["date"], p.get("holiday"), p.get("place"))


def _not_working(day: dt.date, holiday: str | None, place: str | None) -> str:
    if holiday:
        return _("{date} is a public holiday in {place} ({name})").format(
            date=format_date(day), place=place, name=holiday
        )
    return _("{date} is a {weekday}").format(date=format_date(day), weekday=_WEEKDAYS[day.weekday()])


def _day(value: dt.date) -> str:
    return format_date(value, weekday=True)


def _basis(basis: str) -> str:
    return f" ({basis})" if basis else ""


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _amount_words(amount: int, unit: str, *, plain: bool = False) -> str:
    """'one month' ('1 month' when plain), '45 days', '10 business days'."""
    if amount == 1 and unit == "months" and not plain:
        return _("one month")
    return _count_of(amount, unit)


def _count_of(amount: int, unit: str) -> str:
    words: Mapping[str, tuple[str, str]] = {
        "months": (_("{n} month"), _("{n} months")),
        "days": (_("{n} day"), _("{n} days")),
        "business_days": (_("{n} business day"), _("{n} business days")),
    }
    singular, plural = words.get(unit, ("{n} " + unit, "{n} " + unit))
    return (singular if amount == 1 else plural).format(n=amount)


def _waiting_for(kind: str) -> str:
    texts: Mapping[str, Any] = {
        "identity": _("proof of identity"),
        "clarification": _("clarification of the request"),
        "fee": _("the fee (or the end of the fee reflection period)"),
    }
    return str(texts.get(kind, kind))


def _restart_event(kind: str) -> str:
    texts: Mapping[str, Any] = {
        "identity": _("the identity information arrived"),
        "clarification": _("the clarification arrived"),
        "fee": _("the fee was paid (or the reflection period ended)"),
    }
    return str(texts.get(kind, kind))


def _status_text(status: Status | None, status_note: str = "", *, lower: bool = False) -> str:
    if status is None:
        return ""
    text = (_("status {mark}: {meaning}") if lower else _("Status {mark}: {meaning}")).format(
        mark=status, meaning=_(STATUS_MEANING[status])
    )
    return f"{text}; {status_note}" if status_note else text


# --- Which laws govern the request (routing.choose_laws), in the active language -------------------------

_LAW_WORDS: dict[str, str] = {
    "law_named_and_reaches": gettext_noop(
        "%(law)s applies: the person lives where it applies (%(place)s) and the vendor's policy names it."
    ),
    "law_reaches_residents": gettext_noop(
        "%(law)s applies by its own reach: the person lives where it applies (%(place)s) and the vendor offers "
        "them its service, whether or not its policy names the law."
    ),
    "law_thresholds_unknown": gettext_noop(
        "%(law)s is applied to a resident of %(place)s although the vendor's policy does not name it: the law "
        "binds businesses above its thresholds, which the vendor's file does not record, so it is applied as "
        "the safer reading. Staff confirm the thresholds."
    ),
    "law_of_establishment": gettext_noop(
        "%(law)s applies because the vendor is established in %(country)s, wherever the person lives."
    ),
    "no_law_where_person_lives": gettext_noop(
        "No law in the register reaches where the person lives (%(place)s), so a law is not applied only "
        "because the vendor's policy names it%(named)s; the law of the country where the vendor is established, "
        "if any, and the vendor's own promise apply."
    ),
    "internal_target_only": gettext_noop(
        "No law applies to this request: %(vendor)s answers under its own promise, and where it sets no date, "
        "by the office's internal target."
    ),
}
LAW_RULES = tuple(_LAW_WORDS)


def explain_laws(steps: Iterable[RouteStep]) -> str:
    """Why these laws govern the request, one sentence per step, in the active language; each law's step
    ends with the source of its territorial rule and its verification mark (V/S/U), for staff."""
    sentences = []
    for step in steps:
        words = {key: value if isinstance(value, str) else ", ".join(value) for key, value in step.facts.items()}
        if step.rule == "no_law_where_person_lives":
            words["named"] = f" ({words['named']})" if words.get("named") else ""
        sentence = _(_LAW_WORDS[step.rule]) % words
        if step.citation:
            sentence += f" ({step.citation.passage}; {words.get('mark', '')})"
        sentences.append(sentence)
    return " ".join(sentences)


# --- For the person: plain words in their language, no citations, marks or sources ----------------------


def render_for_person(stored: Mapping[str, Any], *, due: dt.date | None) -> list[str]:
    """The request's deadline told to the person, in the active language, from the stored result.

    `stored` is the engine's result as stored with the request (`DeadlineResult.as_dict()`: steps as data,
    dates as ISO strings); `due` the date the office works to (the strictest deadline, or the internal
    target where no law fixes one). Where the law's date and the office's date differ (a vendor's earlier
    promise, or no fixed period at all), both are said, with the reason. Citations, verification marks and
    the blogs a rule was read from stay in the staff explanation (`render`).
    """
    strictest = stored.get("strictest")
    binding = [d for d in stored.get("deadlines") or () if d.get("binding")]
    statutory = _earliest_stored([d for d in binding if d.get("kind") != "promise"])
    if strictest is None or not strictest.get("due_date"):
        if due is None:
            return []
        return [
            _(
                "No law sets a fixed date for answering this request. We aim to answer by {target}, so that it "
                "is not left waiting."
            ).format(target=_person_day(due))
        ]
    lines: list[str] = []
    target = _as_date(strictest["due_date"])
    if strictest.get("kind") == "promise":
        head = (strictest.get("steps") or [{}])[0].get("params", {})
        promise = _("{vendor} promises to answer within {amount}, so we aim to answer by {target}.").format(
            vendor=head.get("vendor", ""),
            amount=_person_amount(head["amount"], head["unit"]),
            target=_person_day(target),
        )
        if statutory is not None:
            legal = _as_date(statutory["due_date"])
            lines.append(_("The legal deadline is {legal}.").format(legal=_person_day(legal)))
            lines.append(promise)
            lines += _person_period(statutory.get("steps") or ())
        else:
            lines.append(promise)
        return lines
    lines.append(_("The legal deadline is {legal}.").format(legal=_person_day(target)))
    lines += _person_period(strictest.get("steps") or ())
    return lines


def _earliest_stored(deadlines: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    dated = [d for d in deadlines if d.get("due_date")]
    return min(dated, key=lambda d: str(d["due_date"])) if dated else None


def _person_period(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """How the legal deadline was counted, in a sentence or two a person follows."""
    out: list[str] = []
    rolled = False
    for step in steps:
        code, p = step.get("code"), step.get("params") or {}
        if code == "extended":
            out.append(
                _("The deadline was extended by {amount}, as the law allows.").format(
                    amount=_person_amount(p["amount"], p["unit"])
                )
            )
        elif code in COUNT_CODES and not p.get("restart"):
            amount = _person_amount(p["amount"], p["unit"])
            start = _person_day(_as_date(p["start"]))
            if p.get("first_day_counts"):
                text = _("It is {amount} counted from the day we received your request, {start}, as the first day.")
            else:
                text = _("It is {amount} counted from the day after we received your request on {start}.")
            out.append(text.format(amount=amount, start=start))
        elif code in COUNT_CODES:
            out.append(
                _("The count started again on {start}, when we received what we had asked you for.").format(
                    start=_person_day(_as_date(p["start"]))
                )
            )
        elif code == "clock_stopped":
            out.append(
                _("The {days} we waited for your answer do not count.").format(
                    days=_person_amount(p["days"], p["unit"])
                )
            )
        elif code == "clamp_month_end":
            out.append(_("That month has no such day, so the period ends on the last day of the month."))
        elif code in ("roll_weekend", "roll_holiday") and not rolled:
            # The first day that was not a working day says it all: the next working day follows.
            rolled = True
            out.append(
                _("{date} is not a working day, so the deadline moves to the next working day.").format(
                    date=_person_day(_as_date(p["date"]))
                )
            )
    return out


def _person_amount(amount: int, unit: str) -> str:
    if unit == "months":
        return npgettext("person", "{n} month", "{n} months", amount).format(n=amount)
    if unit == "business_days":
        return npgettext("person", "{n} working day", "{n} working days", amount).format(n=amount)
    return npgettext("person", "{n} day", "{n} days", amount).format(n=amount)


def _person_day(day: dt.date) -> str:
    """The date as the person's language writes it ('2. März 2026', '2. maaliskuuta 2026')."""
    return str(date_format(day, "DATE_FORMAT"))


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
