"""What the deadline engine did, as data: one `Step` per thing that happened while counting.

The engine (dsr.engine.deadlines) records steps; dsr.engine.explain turns them into sentences. Keeping
the words out of the computation lets the same steps be told in another language, and lets anyone read
them as data (`Step.as_dict()` is JSON-ready: dates become ISO strings).

Codes and their params (dates are `datetime.date`; `from` is "receipt" or "appeal" for receipt of the
appeal; `unit` is one of months, days, business_days):

Headlines (the first step of a deadline):
- due {due}: a law's deadline, not extended.
- extended {due, unextended, amount, unit, condition, announced_on, notice_due, reasons_required}:
  the deadline after an extension that was taken; source and mark are the extension's.
- if_extended {due, notice_due, reasons_required, condition}: what the deadline would become.
- announce_extension {due, condition, open_ended, reasons_required}: the last day to announce it.
- acknowledge {due, rule}: the last day to confirm receipt.
- no_fixed_period {rule, note}: the law sets no period.
- right_not_covered {request_type, law, amount, unit, applies_to, note}: the law's period is for other rights.
- no_statutory_appeal {law, note}: the law has no appeal to the organisation (CCPA, UCPA, GDPR): a review is
  the vendor's own, with no statutory date (the office's internal target applies).
- promise {due, vendor, amount, unit, quote}: the vendor's own promise.

Counting (in order):
- count_months / count_days / count_business_days {amount, unit, start, end, from, restart, basis, ...}:
  the period counted from `start` (receipt, or a restart) to `end`. Days and business days add
  first_day_counts; business days add start_is_working_day, start_holiday, place, holidays (the public
  holidays skipped, [{date, name}]). With a source, the step names the rule that gives the period.
- clamp_month_end {day, end, basis}: the later month has no such day; the period ends on its last day.
- clock_stopped {days, unit, end}: the pauses that stop the clock moved the end.
- roll_weekend {date, to, basis} / roll_holiday {date, holiday, place, to, basis}: the last day was not
  a working day, so the deadline moved to `to`, the next working day.
- no_roll {date, holiday, place}: the last day is not a working day, but this deadline does not move.
- holidays_outside_territory {country}: the responder's country is outside the law's territory: its
  holidays are not counted, weekends only (earlier reading).

Pauses (one each; source and mark are the law's pause rule):
- pause_stops_clock {kind, start, end, days, unit, superseded}: the paused days do not count
  (superseded: a later restart made them irrelevant).
- pause_restarts_clock {kind, start, end}: the period starts again when the pause ends.
- pause_ignored {kind, start, end, reason, ...}: not applied. reason: promise (a promise is never
  paused), law (the law does not pause for this; with note), not_in_force (with in_force),
  not_for_type (with request_type and only_for: the law gives this pause to other request types only), or
  after_deadline (with deadline: the pause began after it had passed).

Closing:
- verification {note}: the rule's verification mark (V/S/U) and what it means.
- promise_not_moved, promise_not_paused, promise_survives_extension: how a promise is read.

Where the vendor is only a processor (`forward_target`, rendered by explain.render_forward):
- forward_target {law, amount, unit, received, target, response_due, capped, due}: the office's target to
  forward the request to the controller (processor_duty.forward_within, mark U), capped at the response.

Where a request must reach the recipients of the data (`recipient_target`, rendered by explain.render_forward):
- recipient_target {law, amount, unit, received, target, response_due, capped, due, request_type}: the office's
  target to tell the recipients (recipient_duty.notify_within, mark U), capped at the response.

For a whole result (`DeadlineResult.strictest_step`):
- strictest {rule, kind, due, compared}: the earliest binding deadline, and every one it was compared with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.laws import Source, Status


@dataclass(frozen=True)
class Step:
    """One thing the engine did: a code, its facts, and the rule it relied on (cite/URL and V/S/U mark)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    source: Source | None = None
    mark: Status | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "params": {key: _jsonable(value) for key, value in self.params.items()},
            "source": {"cite": self.source.cite, "url": self.source.url} if self.source else None,
            "mark": self.mark,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
