"""The CCPA yearly figures' definition (policies/data/ccpa_7102.yaml) as typed, immutable data.

Pure, like policies/laws.py: no Django. The file says which request types count in which category of 11 CCR
§ 7102, which outcome counts as complied with or denied, and which average is reported; this module only
checks its shape. A problem raises `MetricsDataError` naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from . import vocabulary

FILE = "ccpa_7102.yaml"
Average = Literal["median", "mean"]


class MetricsDataError(ValueError):
    """The metrics definition is invalid: the message names the file and the field."""


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    cite: str
    request_types: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Definition:
    law: str
    cite: str
    status: str
    source_cite: str
    source_url: str
    rule_note: str
    average: Average
    categories: tuple[Category, ...]
    complied: frozenset[str]
    complied_in_part: frozenset[str]
    denied: frozenset[str]

    def category_of(self, request_type: str) -> str | None:
        """The category a request type counts in, or None where the regulation does not ask about it."""
        for category in self.categories:
            if request_type in category.request_types:
                return category.key
        return None

    @property
    def counted_types(self) -> list[str]:
        return sorted({t for c in self.categories for t in c.request_types})


def _field(data: Any, key: str, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise MetricsDataError(f"{FILE}: {where}{key}: missing")
    return data[key]


def _text(data: Any, key: str, where: str) -> str:
    value = _field(data, key, where)
    if not isinstance(value, str) or not value.strip():
        raise MetricsDataError(f"{FILE}: {where}{key}: must be a non-empty text")
    return value.strip()


def _statuses(data: Any, key: str) -> frozenset[str]:
    value = _field(data, key, "outcomes.")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MetricsDataError(f"{FILE}: outcomes.{key}: must be a list of request statuses")
    return frozenset(value)


def parse(data: Any) -> Definition:
    """Check the file's shape and give it types."""
    if _field(data, "schema", "") != 1:
        raise MetricsDataError(f"{FILE}: schema: must be 1")
    rule = _field(data, "rule", "")
    source = _field(rule, "source", "rule.")
    average = _field(data, "average", "")
    if average not in ("median", "mean"):
        raise MetricsDataError(f"{FILE}: average: {average!r} is not one of median, mean")
    categories: list[Category] = []
    seen_types: set[str] = set()
    for n, entry in enumerate(_field(data, "categories", "") or []):
        where = f"categories[{n}]."
        types = _field(entry, "request_types", where)
        if not isinstance(types, list):
            raise MetricsDataError(f"{FILE}: {where}request_types: must be a list")
        for request_type in types:
            if request_type not in vocabulary.REQUEST_TYPES:
                raise MetricsDataError(f"{FILE}: {where}request_types: {request_type!r} is not a request type")
            if request_type in seen_types:
                raise MetricsDataError(f"{FILE}: {where}request_types: {request_type!r} is counted twice")
            seen_types.add(request_type)
        categories.append(
            Category(
                key=_text(entry, "key", where),
                label=_text(entry, "label", where),
                cite=_text(entry, "cite", where),
                request_types=tuple(types),
                note=str(entry.get("note") or "").strip(),
            )
        )
    if not categories:
        raise MetricsDataError(f"{FILE}: categories: at least one is needed")
    outcomes = _field(data, "outcomes", "")
    return Definition(
        law=_text(data, "law", ""),
        cite=_text(rule, "cite", "rule."),
        status=_text(rule, "status", "rule."),
        source_cite=_text(source, "cite", "rule.source."),
        source_url=_text(source, "url", "rule.source."),
        rule_note=str(rule.get("note") or "").strip(),
        average=average,
        categories=tuple(categories),
        complied=_statuses(outcomes, "complied"),
        complied_in_part=_statuses(outcomes, "complied_in_part"),
        denied=_statuses(outcomes, "denied"),
    )


@cache
def load(data_dir: Path) -> Definition:
    """The definition in `data_dir` (settings.POLICY_DATA_DIR), read once per process."""
    with (data_dir / FILE).open(encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle))
