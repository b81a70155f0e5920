"""The staff queue: the state each request is worked by, the days left, and the queue's filters and search.

`work_state` is a plain function of a request's facts and today's date in the responder's time zone;
`request_state` reads those facts from a request. The filters and the search narrow a queryset the
caller has already scoped to the staff member's vendors (dsr.requests.selectors.visible_requests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from policies import vocabulary
from policies.models import PolicyVersion

from ..engine.deadlines import end_of_day
from ..models import Assignment, Request
from ..security import ratelimit
from .schedule import RECIPIENT_ACTIONS, due_date, local_date

# "Due within 7 days": the answer is due today or on one of the next 7 days (the responder's days).
DUE_SOON_DAYS = 7

# The states a request is worked by, in the order the first that applies wins.
STATES: dict[str, str] = {
    "unconfirmed": "Waiting for email confirmation",
    "unrouted": "Unrouted",
    "paused": "Paused: waiting for the person",
    "overdue": "Overdue",
    "policy_gap": "Policy gap",
    "recipients": "Recipients to tell",
    "identity": "Waiting for identity",
    "approval": "Answer awaiting approval",
    "due_soon": f"Due within {DUE_SOON_DAYS} days",
    "on_track": "On track",
    "closed": "Closed",
}

DUE_WINDOWS: dict[str, str] = {
    "overdue": "Overdue",
    "soon": f"Due within {DUE_SOON_DAYS} days",
    "later": "Due later",
}

IDENTITY_STATES: dict[str, str] = {
    "waiting": "Waiting for the identity check",
    "checked": "Identity checked",
}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: dt.date) -> str:
    """A date no reader can misread, whatever their country: '28 Dec 2026'."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def responder_day(request: Request, moment: dt.datetime | None) -> str:
    """The day `moment` falls on in the responder's time zone, as '28 Dec 2026' (empty for none)."""
    return day_text(local_date(request, moment)) if moment is not None else ""


def responder_time(request: Request, moment: dt.datetime | None) -> str:
    """'28 Dec 2026, 09:15' in the responder's time zone (empty for none)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(request.policy_version.timezone))
    return f"{day_text(local.date())}, {local:%H:%M}"


@dataclass(frozen=True)
class WorkState:
    key: str  # a key of STATES
    days_left: int | None  # responder's days until the due date; negative once overdue

    @property
    def label(self) -> str:
        return STATES[self.key]

    @property
    def days_words(self) -> str:
        """'5 days left', 'due today', '2 days overdue'; empty where nothing is due."""
        days = self.days_left
        if days is None:
            return ""
        if days == 0:
            return "due today"
        count = abs(days)
        unit = "day" if count == 1 else "days"
        return f"{count} {unit} left" if days > 0 else f"{count} {unit} overdue"


def work_state(
    *,
    status: str,
    due_on: dt.date | None,
    today: dt.date,
    identity_pending: bool,
    policy_gap: bool,
    recipients_due_on: dt.date | None = None,
) -> WorkState:
    """The state a person works the request by, and the days left to its due date.

    What blocks the work comes first (not routed yet, waiting for the person: a pause may stop the
    clock, so it is not called overdue), then a missed date, then what must be resolved (a policy gap,
    the identity check, a lead's approval of the answer), then how close the date is. Closed and
    unconfirmed requests have no days left. An open task to tell the data's recipients (GDPR Art 19; CCPA
    1798.105(c), 11 CCR 7026(f)) shows with the days to its own, earlier date.
    """
    if status == Request.Status.SUBMITTED:
        return WorkState("unconfirmed", None)
    if status not in Request.OPEN_STATUSES:
        return WorkState("closed", None)
    days = (due_on - today).days if due_on is not None else None
    if status == Request.Status.VERIFIED:
        return WorkState("unrouted", days)
    if status == Request.Status.AWAITING_SUBJECT:
        return WorkState("paused", days)
    if days is not None and days < 0:
        return WorkState("overdue", days)
    if policy_gap:
        return WorkState("policy_gap", days)
    if recipients_due_on is not None:
        return WorkState("recipients", (recipients_due_on - today).days)
    if identity_pending:
        return WorkState("identity", days)
    if status == Request.Status.AWAITING_APPROVAL:
        return WorkState("approval", days)
    if days is not None and days <= DUE_SOON_DAYS:
        return WorkState("due_soon", days)
    return WorkState("on_track", days)


def identity_pending(request: Request) -> bool:
    """The answer waits for the identity check (the product gates these types: vocabulary)."""
    return request.identity_checked_at is None and request.request_type in vocabulary.IDENTITY_GATED_TYPES


def open_gap() -> Exists:
    return Exists(Assignment.objects.filter(request=OuterRef("pk"), status=Assignment.Status.OPEN, policy_gap=True))


def with_queue_facts(queryset: QuerySet[Request]) -> QuerySet[Request]:
    """Annotate what the state needs beyond the row (an open policy-gap assignment), in the same query."""
    return queryset.annotate(has_policy_gap=open_gap(), recipients_due_at=recipients_due())


def recipients_due() -> Subquery:
    """When the request's earliest open task to tell the data's recipients is due (None: no such task)."""
    tasks = Assignment.objects.filter(
        request=OuterRef("pk"), status=Assignment.Status.OPEN, action__in=RECIPIENT_ACTIONS
    )
    return Subquery(tasks.order_by("due_at").values("due_at")[:1])


def request_state(request: Request, now: dt.datetime) -> WorkState:
    """The request's work state at `now`, with days counted in the responder's time zone."""
    gap = getattr(request, "has_policy_gap", None)
    if gap is None:
        gap = request.assignments.filter(status=Assignment.Status.OPEN, policy_gap=True).exists()
    recipients_due = getattr(request, "recipients_due_at", None)
    if not hasattr(request, "recipients_due_at"):
        recipients_due = (
            request.assignments.filter(status=Assignment.Status.OPEN, action__in=RECIPIENT_ACTIONS)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
    return work_state(
        status=request.status,
        due_on=due_date(request),
        today=local_date(request, now),
        identity_pending=identity_pending(request),
        policy_gap=bool(gap),
        recipients_due_on=local_date(request, recipients_due) if recipients_due is not None else None,
    )


def due_window(queryset: QuerySet[Request], window: str, now: dt.datetime) -> QuerySet[Request]:
    """Open requests overdue, due within DUE_SOON_DAYS responder's days, or due later (as `work_state` counts)."""
    queryset = queryset.filter(open_due_at__isnull=False)
    if window == "overdue":
        return queryset.filter(open_due_at__lt=now)
    # The last instant of the window's last day in each responder's zone (the vendors' zones are few).
    soon = Q()
    for zone in PolicyVersion.objects.order_by().values_list("timezone", flat=True).distinct():
        last_day = now.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=DUE_SOON_DAYS)
        soon |= Q(policy_version__timezone=zone, open_due_at__lte=end_of_day(last_day, ZoneInfo(zone)))
    if window == "soon":
        return queryset.filter(soon, open_due_at__gte=now)
    if window == "later":
        return queryset.exclude(soon).filter(open_due_at__gte=now)
    return queryset


def identity_state(queryset: QuerySet[Request], state: str) -> QuerySet[Request]:
    if state == "waiting":
        return queryset.filter(
            status__in=Request.OPEN_STATUSES,
            identity_checked_at__isnull=True,
            request_type__in=sorted(vocabulary.IDENTITY_GATED_TYPES),
        )
    if state == "checked":
        return queryset.filter(identity_checked_at__isnull=False)
    return queryset


def with_relationship(queryset: QuerySet[Request], key: str) -> QuerySet[Request]:
    """Requests whose person ticked this relationship (among others), or, for "not_sure", ticked none."""
    if key == vocabulary.NOT_SURE:
        return queryset.filter(relationships=[])
    # The keys are a JSON list: match the quoted key, which no other key contains (as for law codes).
    return queryset.filter(relationships__icontains=f'"{key}"')


def policy_gap(queryset: QuerySet[Request], gap: bool) -> QuerySet[Request]:
    return queryset.filter(open_gap()) if gap else queryset.exclude(open_gap())


def my_work(queryset: QuerySet[Request], user: Any) -> QuerySet[Request]:
    """Requests `user` owns, and those with open work addressed to `user`'s own email."""
    mine = Q(owner_id=user.pk)
    if getattr(user, "email", ""):
        mine |= Q(
            Exists(
                Assignment.objects.filter(
                    request=OuterRef("pk"), status=Assignment.Status.OPEN, responder_email__iexact=user.email
                )
            )
        )
    return queryset.filter(mine)


def search(queryset: QuerySet[Request], term: str) -> QuerySet[Request]:
    """By reference or email (exact, through their indexes), or by a part of a name (person, agent, customer)."""
    term = term.strip()
    if not term:
        return queryset
    if "@" in term:
        return queryset.filter(Q(email_digest=ratelimit.email_digest(term)) | Q(customer_email__iexact=term))
    found = Q(reference=term.upper())
    if len(term) >= 2:
        found |= Q(subject_name__icontains=term) | Q(agent_name__icontains=term) | Q(customer_name__icontains=term)
    return queryset.filter(found)
