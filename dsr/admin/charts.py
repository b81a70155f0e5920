"""The dashboard's charts as geometry: bars with their value written on them, drawn as SVG by the template.

Drawn on the server (no script, nothing loaded from elsewhere; the colours come from the static
dashboard.css by class), so the page works under a strict Content-Security-Policy. Each bar carries its
number as text, and a month with no answer shows a dash instead of a zero-height bar, so nobody reads
"no answers" as "0% on time".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..requests import stats

WIDTH = 640
HEIGHT = 190
TOP = 22  # room for the value above the tallest bar
BOTTOM = 24  # room for the month under each bar
LEFT = 8
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The on-time rate's colours: good from 95%, a warning from 80%, bad below.
GOOD, FAIR = 0.95, 0.80


# (month, value or None, value text, tone, tooltip)
Value = tuple[str, float | None, str, str, str]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: str  # written above the bar ("92%", "14 d", "–")
    value_y: float
    month: str
    month_x: float
    tone: str  # a CSS class: good | fair | bad | days | none
    title: str  # the tooltip, in words


@dataclass(frozen=True)
class Chart:
    title: str
    label: str  # what the chart says, for screen readers
    width: int
    height: int
    baseline: float
    bars: list[Bar]


def _bars(values: list[Value], top_value: float) -> list[Bar]:
    """(month, value or None, value text, tone, tooltip) -> bars, scaled so `top_value` fills the height."""
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(len(values), 1)
    width = slot * 0.7
    bars = []
    for n, (month, value, text, tone, title) in enumerate(values):
        x = LEFT + n * slot + (slot - width) / 2
        height = 0.0 if value is None or top_value <= 0 else max(plot * value / top_value, 1.5)
        y = TOP + plot - height
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(y, 1),
                width=round(width, 1),
                height=round(height, 1),
                value=text,
                value_y=round(y - 5, 1),
                month=month,
                month_x=round(x + width / 2, 1),
                tone=tone if value is not None else "none",
                title=title,
            )
        )
    return bars


def month_label(month: stats.Month) -> str:
    name = MONTHS[month.month.month - 1]
    return f"{name} {month.month:%y}" if month.month.month == 1 else name


def _values(series: stats.Series, read: Callable[[stats.Month], tuple[float, str, str, str] | None]) -> list[Value]:
    """Each month's bar: `read` gives (value, text, tone, tooltip), or None in a month with no answer (a dash)."""
    values: list[Value] = []
    for m in series.months:
        found = read(m)
        if found is None:
            values.append((month_label(m), None, "–", "none", f"{month_name(m)}: nothing answered"))
        else:
            values.append((month_label(m), *found))
    return values


def month_name(month: stats.Month) -> str:
    return f"{MONTHS[month.month.month - 1]} {month.month.year}"


def rate_chart(series: stats.Series) -> Chart:
    def read(m: stats.Month) -> tuple[float, str, str, str] | None:
        rate = m.on_time_rate
        if rate is None:
            return None
        tone = "good" if rate >= GOOD else "fair" if rate >= FAIR else "bad"
        return rate, f"{rate:.0%}", tone, f"{month_name(m)}: {m.on_time} of {m.answered} answered on time"

    answered = series.answered
    overall = f"{series.on_time / answered:.0%} on time over the 12 months" if answered else "nothing answered"
    return Chart(
        title="Answered on time",
        label=f"{series.name}: share of answers given on time, month by month; {overall}.",
        width=WIDTH,
        height=HEIGHT,
        baseline=HEIGHT - BOTTOM,
        bars=_bars(_values(series, read), 1.0),
    )


def days_chart(series: stats.Series) -> Chart:
    def read(m: stats.Month) -> tuple[float, str, str, str] | None:
        if m.median_days is None:
            return None
        days = f"{m.median_days:.1f}".removesuffix(".0")
        return m.median_days, f"{days} d", "days", f"{month_name(m)}: median {days} days to respond"

    top = max((m.median_days or 0.0 for m in series.months), default=0.0)
    return Chart(
        title="Median days to respond",
        label=f"{series.name}: median days from receipt to answer, month by month.",
        width=WIDTH,
        height=HEIGHT,
        baseline=HEIGHT - BOTTOM,
        bars=_bars(_values(series, read), max(top, 1.0)),
    )
