"""Lists at a million rows: pagination that never counts them all (the count stops at a cap, and the page
says "more than"), and each row's action checkbox written out rather than rendered as a form widget."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

# Beyond this many matches the list says "more than 10,000": staff narrow it with filters or search.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):  # type: ignore[type-arg]
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        """The number of matches, counted up to COUNT_CAP + 1 (SELECT COUNT(*) over a LIMITed subquery)."""
        matches: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return matches[: self.cap + 1].count()


def checkbox_html(obj: Model) -> SafeString:
    """The markup of Django's `ModelAdmin.action_checkbox` (a `CheckboxInput` rendered through the form
    templates), written with one `format_html`: the same attributes, escaped the same way."""
    return format_html(
        '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
        ACTION_CHECKBOX_NAME,
        str(obj.pk),
        format_html(_("Select this object for an action - {}"), str(obj)),
    )
