"""The public pages: file a request, confirm the email, follow and withdraw it, and the responder's page.

Views stay thin: the form validates, one domain function acts, then a redirect. Nothing a page says
depends on whether an address has filed before (the "check your email" page is built from the
reference alone). Links carry signed, expiring tokens (dsr.tokens); a GET never changes anything, so
a mail scanner that fetches a link cannot confirm or withdraw a request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from policies.models import PolicyVersion, Vendor
from policies.services import UnknownVendor, policy_in_force

from ..models import Assignment, Request, new_reference
from ..requests import schedule, transitions, workflow
from ..requests.errors import DomainError
from ..requests.intake import Dropped, RateLimited, submit_request, verify_email
from ..requests.notices import identity_words
from ..requests.timeline import Actor
from ..security import ratelimit
from ..security.clients import client_ip
from ..security.tokens import LIFETIMES, BadToken, TokenData, make_token, read_token
from .forms import RequestForm, ResponderForm, WithdrawForm

# Status labels and domain messages a person reads: plain English in dsr.models / dsr.requests, so their
# msgids are listed here for makemessages and translated when shown.
STATUS_MSGIDS = (
    gettext_noop("Waiting for email confirmation"),
    gettext_noop("Email confirmed"),
    gettext_noop("In progress"),
    gettext_noop("Waiting for the requester"),
    gettext_noop("Completed"),
    gettext_noop("Partially completed"),
    gettext_noop("Rejected"),
    gettext_noop("Withdrawn"),
    gettext_noop("Expired (email never confirmed)"),
    gettext_noop("Duplicate of an earlier request"),
    gettext_noop("This request expired because its email address was not confirmed in time."),
)

# What each kind of timeline event is called on the status page. Kinds not listed are not shown:
# "deadlines" and "reminder" rows are the office's own bookkeeping.
EVENT_TITLES: dict[str, Any] = {
    "submitted": _("Request received"),
    "verified": _("Email address confirmed"),
    "routed": _("Passed to whoever must answer"),
    "paused": _("Waiting for information from you"),
    "resumed": _("Your answer was received"),
    "extended": _("Deadline extended"),
    "assignment_done": _("Part of the request answered"),
    "completed": _("Completed"),
    "partially_completed": _("Partially completed"),
    "rejected": _("Rejected"),
    "withdrawn": _("You withdrew the request"),
    "expired": _("Expired"),
    "duplicate": _("Joined to your earlier request"),
    "repeated": _("You filed the same request again"),
    "escalated": _("Overdue: passed to the privacy staff"),
    "purged": _("Personal data deleted"),
}

# Events whose recorded message only repeats the title (in English), or is the office's working note
# (a responder's outcome, the routing list, an escalation): the person sees the translated title only.
TITLE_SAYS_ALL = frozenset(
    {"verified", "withdrawn", "expired", "purged", "submitted", "routed", "assignment_done", "escalated"}
)

INVALID_LINK = _("This link is not valid. Copy the whole link from the email, or file the request again.")
EXPIRED_LINK = _("This link has expired. If your request still needs an answer, please file the request again.")
TOO_MANY = _("Too many attempts from your connection. Please try again later.")


def person_language(request: HttpRequest, filed_in: str) -> str:
    """The language the person filed in, unless they chose another one on the site since."""
    return request.LANGUAGE_CODE if settings.LANGUAGE_COOKIE_NAME in request.COOKIES else filed_in


def message_page(request: HttpRequest, *, title: Any, message: Any, status: int) -> HttpResponse:
    return render(request, "dsr/message.html", {"title": title, "message": message}, status=status)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The plain 429 page, with when to come back."""
    response = message_page(request, title=_("Please try again later"), message=TOO_MANY, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "dsr/not_found.html", status=404)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dsr/home.html", {"vendors": Vendor.objects.order_by("name")})


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    try:
        version: PolicyVersion = policy_in_force(slug, now.date())
    except UnknownVendor:
        return not_found(request)
    if request.method == "POST":
        form = RequestForm(version, request.POST)
        if form.honeypot_filled or not form.is_valid():
            # Nothing is stored, but the attempt counts against the connection's limit.
            if not ratelimit.allow_client("submit-ip", client_ip(request), now=now):
                return too_many(request, ratelimit.retry_after("submit-ip", now))
            if form.honeypot_filled:
                return redirect("dsr:sent", reference=new_reference())  # looks sent; nothing is stored
        else:
            submission = form.submission(request.LANGUAGE_CODE)
            try:
                filed = submit_request(submission, now=now, client_ip=client_ip(request), version=version)
            except RateLimited as exc:
                return too_many(request, exc.retry_after)
            except Dropped:
                # Past the address's limit: the same page as a filed request, nothing stored or sent.
                return redirect("dsr:sent", reference=new_reference())
            return redirect("dsr:sent", reference=filed.reference)
    else:
        form = RequestForm(version)
    return render(request, "dsr/request_form.html", {"form": form, "vendor": version.vendor, "version": version})


def sent(request: HttpRequest, reference: str) -> HttpResponse:
    # Built from the reference alone: the same page for a new address, a repeat, or a robot.
    return render(request, "dsr/sent.html", {"reference": reference, "valid_days": LIFETIMES["verify"].days})


def _token(request: HttpRequest, purpose: str, token: str) -> TokenData | HttpResponse:
    """The token's data, or the page to answer with (not valid, expired, or too many wrong links).

    Only wrong links count against the connection: a valid link always opens, so guessing from one
    address (or from behind the same proxy) never locks anyone out of the link they were sent.
    """
    try:
        return read_token(purpose, token)
    except BadToken as exc:
        now = timezone.now()
        if not ratelimit.allow_client("bad-link-ip", client_ip(request), now=now):
            return too_many(request, ratelimit.retry_after("bad-link-ip", now))
        if exc.expired:
            return message_page(request, title=_("This link has expired"), message=EXPIRED_LINK, status=410)
        return _invalid(request)


def _invalid(request: HttpRequest) -> HttpResponse:
    return message_page(request, title=_("This link is not valid"), message=INVALID_LINK, status=400)


def _status_url(reference: str) -> str:
    return reverse("dsr:status", kwargs={"token": make_token("status", reference)})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    data = _token(request, "verify", token)
    if isinstance(data, HttpResponse):
        return data
    if request.method == "POST":
        try:
            followed = verify_email(data.reference, now=timezone.now())
        except Request.DoesNotExist:
            return _invalid(request)
        except DomainError as exc:
            return message_page(
                request, title=_("This request cannot be confirmed"), message=gettext(str(exc)), status=409
            )
        return redirect(_status_url(followed.reference))
    filed = Request.objects.filter(reference=data.reference).values_list("language", flat=True).first()
    with translation.override(person_language(request, filed or request.LANGUAGE_CODE)):
        return render(request, "dsr/verify.html", {"reference": data.reference})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    data = _token(request, "status", token)
    if isinstance(data, HttpResponse):
        return data
    found = Request.objects.select_related("vendor", "policy_version").filter(reference=data.reference).first()
    if found is None:
        return _invalid(request)
    can_withdraw = found.status not in Request.CLOSED_STATUSES
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and can_withdraw and form.is_valid():
        try:
            workflow.withdraw_request(found, now=timezone.now())
        except DomainError as exc:
            return message_page(request, title=_("This request cannot be withdrawn"), message=str(exc), status=409)
        return redirect(request.path)
    with translation.override(person_language(request, found.language)):
        events = [
            {
                "at": event.at,
                "title": EVENT_TITLES[event.kind],
                "message": "" if event.kind in TITLE_SAYS_ALL else event.message,
            }
            for event in found.events.filter(kind__in=EVENT_TITLES).order_by("at", "id")
        ]
        routed = found.events.filter(kind="routed").first()
        context = {
            "req": found,
            "request_type": gettext(found.get_request_type_display()),
            "status_label": gettext(found.get_status_display()),
            "due": schedule.due_date(found),
            "deadline_summary": schedule.deadline_summary(found) if found.due_at else "",
            # Written in the person's language when the request was routed (dsr.routing).
            "who_answers": (routed.data.get("notes") or []) if routed and not routed.redacted else [],
            "events": events,
            "can_withdraw": can_withdraw,
            "form": form,
        }
        return render(request, "dsr/status.html", context)


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    # Responders work in English, whatever their browser says (as their emails are).
    with translation.override("en"):
        data = _token(request, "responder", token)
        if isinstance(data, HttpResponse):
            return data
        if data.assignment_id is None:
            return _invalid(request)
        assignment = (
            Assignment.objects.select_related("request__vendor", "request__policy_version")
            .filter(pk=data.assignment_id, request__reference=data.reference)
            .first()
        )
        if assignment is None or not assignment.contact_approved:
            return _invalid(request)
        form = ResponderForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and assignment.status == Assignment.Status.OPEN and form.is_valid():
            try:
                workflow.complete_assignment(
                    assignment,
                    outcome=form.cleaned_data["outcome"],
                    actor=Actor.responder(assignment.responder_name),
                    now=timezone.now(),
                )
            except DomainError as exc:
                form.add_error("outcome", str(exc))
            else:
                return redirect(request.path)
        context = {
            "assignment": assignment,
            "req": assignment.request,
            "due": schedule.due_date(assignment.request) or assignment.due_at.date(),
            "form": form,
            "identity_words": identity_words(assignment.request),
        }
        return render(request, "dsr/respond.html", context)


@require_http_methods(["GET", "POST"])
def authority(request: HttpRequest, token: str) -> HttpResponse:
    """The agent's page, reached by its signed link, to send the person's signed permission."""
    data = _token(request, "authority", token)
    if isinstance(data, HttpResponse):
        return data
    found = Request.objects.select_related("vendor").filter(reference=data.reference).first()
    if found is None or not found.agent_name:
        return _invalid(request)
    error = ""
    if request.method == "POST":
        try:
            workflow.receive_permission(found, files=request.FILES.getlist("permission"), now=timezone.now())
        except DomainError as exc:
            error = str(exc)
        else:
            return redirect(f"{request.path}?received=1")
    with translation.override(person_language(request, found.language)):
        context = {
            "req": found,
            "can_send": found.status in transitions.OPEN,
            "received": request.GET.get("received") == "1",
            "error": error,
        }
        return render(request, "dsr/authority.html", context, status=400 if error else 200)
