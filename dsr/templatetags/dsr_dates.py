"""Dates as staff and responders read them: '28 Dec 2026', in the responder's time zone (dsr.requests.queue)."""

from __future__ import annotations

import datetime as dt

from django import template

from ..models import Request
from ..requests import queue

register = template.Library()


@register.filter
def responder_day(moment: dt.datetime | None, request: Request) -> str:
    """{{ request.due_at|responder_day:request }} -> '28 Dec 2026' (the responder's day)."""
    return queue.responder_day(request, moment)


@register.filter
def responder_time(moment: dt.datetime | None, request: Request) -> str:
    """{{ event.at|responder_time:request }} -> '28 Dec 2026, 09:15' (the responder's clock)."""
    return queue.responder_time(request, moment)


@register.filter
def day(value: dt.date | str | None) -> str:
    """A date (or an ISO date string, as stored deadlines keep them) as '28 Dec 2026'."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return queue.day_text(value)
