"""What the person sees of their own request on the status page: its events told to them, and its dates.

The staff timeline's messages are the office's working notes, in English (who routed what, which law,
a responder's outcome): none of them is shown here. Each event the person should know of has a title
in their language, and the events that sent them something say so; internal events (notes, views,
deadline recomputations, exports) are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..models import Request
from .schedule import controller_sets_deadline, due_date

EVENT_TITLES: dict[str, Any] = {
    "submitted": _("Request received"),
    "verified": _("Email address confirmed"),
    "routed": _("Passed to whoever must answer"),
    "paused": _("Waiting for information from you"),
    "resumed": _("Your answer was received"),
    "extended": _("Deadline extended"),
    "assignment_done": _("Part of the request answered"),
    "answer_ready": _("Every part answered: your answer is checked before it is sent"),
    "completed": _("Completed"),
    "partially_completed": _("Partially completed"),
    "rejected": _("Rejected"),
    "withdrawn": _("You withdrew the request"),
    "expired": _("Expired"),
    "duplicate": _("Joined to your earlier request"),
    "repeated": _("You filed the same request again"),
    "escalated": _("Overdue: passed to the privacy staff"),
    "purged": _("Personal data deleted"),
    "downloaded": _("You downloaded your data"),
    "package_deleted": _("The download of your data expired and was deleted"),
}

# What the person was sent with the event, said in their words (never the staff's message).
EVENT_DETAILS: dict[str, Any] = {
    "paused": _("We emailed you what we need."),
    "extended": _("We emailed you the new date and the reasons."),
    "completed": _("We emailed you the answer."),
    "partially_completed": _("We emailed you the answer, with what could not be done and why."),
    "rejected": _("We emailed you the reasons and your rights."),
}


@dataclass(frozen=True)
class PersonEvent:
    at: dt.datetime
    title: str
    detail: str


def timeline(request: Request) -> list[PersonEvent]:
    """The request's events the person should know of, oldest first, in the active language."""
    events = request.events.filter(kind__in=EVENT_TITLES).order_by("at", "id").only("at", "kind")
    return [
        PersonEvent(at=event.at, title=str(EVENT_TITLES[event.kind]), detail=str(EVENT_DETAILS.get(event.kind, "")))
        for event in events
    ]


def open_due(request: Request) -> dt.date | None:
    """The date the answer is due, while there is one: none once the request is closed or withdrawn, and
    none where the vendor is only a processor (its customer, the controller, sets the date)."""
    if request.status not in Request.OPEN_STATUSES or request.due_at is None:
        return None
    if controller_sets_deadline(request):
        return None
    return due_date(request)
