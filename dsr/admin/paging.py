"""Pagination that never counts a million rows: the count stops at a cap, and the page says "more than"."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

# Beyond this many matches the list says "more than 10,000": staff narrow it with filters or search.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):  # type: ignore[type-arg]
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        """The number of matches, counted up to COUNT_CAP + 1 (SELECT COUNT(*) over a LIMITed subquery)."""
        matches: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return matches[: self.cap + 1].count()
