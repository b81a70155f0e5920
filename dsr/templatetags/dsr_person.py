"""The person's words for their request's deadline, in the language the page or email is rendered in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import template

from ..engine.explain import render_for_person

register = template.Library()


@register.filter
def person_deadline(data: Mapping[str, Any] | None, due: dt.date | str | None) -> list[str]:
    """{% for line in deadline_data|person_deadline:due %}: the law's date and the office's, with the reason."""
    if not due:
        return []
    day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)[:10])
    return render_for_person(data or {}, due=day)
