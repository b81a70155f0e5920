"""The public pages: file a request, confirm the email, follow and withdraw it, and the responder's page.

Views stay thin: the form validates, one domain function acts, then a redirect. Nothing a page says
depends on whether an address has filed before (the "check your email" page is built from the
reference alone). Links carry signed, expiring tokens (dsr.tokens); a GET never changes anything, so
a mail scanner that fetches a link cannot confirm or withdraw a request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from policies.models import PolicyVersion, Vendor
from policies.services import UnknownVendor, policy_in_force

from ..models import Assignment, Package, PackageItem, Request, new_reference
from ..packages import services as packages
from ..packages.services import PACKAGE_TYPES
from ..privacy.notice import intake_notice
from ..requests import notices, person_view, schedule, transitions, workflow
from ..requests.errors import DomainError
from ..requests.intake import Dropped, RateLimited, submit_request, verify_email
from ..requests.notices import identity_words
from ..requests.timeline import Actor
from ..security import ratelimit
from ..security.clients import client_ip
from ..security.tokens import LIFETIMES, BadToken, TokenData, make_token, read_token
from .forms import RequestForm, ResponderForm, ResponderPackageForm, WithdrawForm

# Status labels and domain messages a person reads: plain English in dsr.models / dsr.requests, so their
# msgids are listed here for makemessages and translated when shown.
STATUS_MSGIDS = (
    gettext_noop("Waiting for email confirmation"),
    gettext_noop("Email confirmed"),
    gettext_noop("In progress"),
    gettext_noop("Waiting for the requester"),
    gettext_noop("Answer awaiting approval"),
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
            if filed.status == Request.Status.VERIFIED:  # needs no confirmation (a CCPA opt-out): already in work
                return redirect("dsr:accepted", reference=filed.reference)
            return redirect("dsr:sent", reference=filed.reference)
    else:
        form = RequestForm(version)
    context = {"form": form, "vendor": version.vendor, "version": version, "notice": intake_notice(version)}
    return render(request, "dsr/request_form.html", context)


def accepted(request: HttpRequest, reference: str) -> HttpResponse:
    # Built from the reference alone, like `sent`: it says nothing about the address.
    return render(request, "dsr/accepted.html", {"reference": reference})


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


NOT_THE_ADDRESSEE = (
    "You are signed in to the staff admin in this browser. This link belongs to whoever it was emailed to, and "
    "what is done through it is recorded as their act: staff act on a request from the admin instead."
)


def _not_the_addressee(request: HttpRequest) -> HttpResponse | None:
    """The refusal when a staff member's browser acts through someone else's link, else None.

    A link's acts (confirming, withdrawing, answering, sending a permission) are recorded as the person's,
    the responder's or the agent's. A staff session is someone else, whoever forwarded the link to them.
    """
    user = getattr(request, "user", None)
    if request.method == "POST" and user is not None and user.is_authenticated and user.is_staff:
        return message_page(request, title="Not your link", message=NOT_THE_ADDRESSEE, status=403)
    return None


def _invalid(request: HttpRequest) -> HttpResponse:
    return message_page(request, title=_("This link is not valid"), message=INVALID_LINK, status=400)


def _status_url(reference: str) -> str:
    return reverse("dsr:status", kwargs={"token": make_token("status", reference)})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    data = _token(request, "verify", token)
    if isinstance(data, HttpResponse):
        return data
    if (refused := _not_the_addressee(request)) is not None:
        return refused
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
    if filed is None:  # a link for no request of ours (a signed value, but not one we sent): not valid
        return _invalid(request)
    with translation.override(person_language(request, filed)):
        return render(request, "dsr/verify.html", {"reference": data.reference})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    data = _token(request, "status", token)
    if isinstance(data, HttpResponse):
        return data
    if (refused := _not_the_addressee(request)) is not None:
        return refused
    found = Request.objects.select_related("vendor", "policy_version").filter(reference=data.reference).first()
    if found is None:
        return _invalid(request)
    if found.purged_at is not None:
        # The request's retention has ended (dsr.privacy.retention): its link ends with it.
        return message_page(request, title=_("This link has expired"), message=EXPIRED_LINK, status=410)
    can_withdraw = found.status not in Request.CLOSED_STATUSES
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and can_withdraw and form.is_valid():
        try:
            workflow.withdraw_request(found, now=timezone.now())
        except DomainError as exc:
            return message_page(request, title=_("This request cannot be withdrawn"), message=str(exc), status=409)
        return redirect(request.path)
    with translation.override(person_language(request, found.language)):
        routed = found.events.filter(kind="routed").first()
        is_open = found.status in Request.OPEN_STATUSES
        due = person_view.open_due(found)
        context = {
            "req": found,
            "request_type": gettext(found.get_request_type_display()),
            "status_label": gettext(found.get_status_display()),
            "is_open": is_open,
            "due": due,
            "controller_sets_deadline": is_open
            and found.due_at is not None
            and schedule.controller_sets_deadline(found),
            "forward_by": schedule.forward_date(found) if is_open else None,
            "deadline_data": notices.person_deadline_data(found) if due else {},
            # Written in the person's language when the request was routed (dsr.routing); once the request is
            # closed nobody "will answer" any more: the timeline says how it ended.
            "who_answers": (routed.data.get("notes") or []) if routed and not routed.redacted and is_open else [],
            "events": person_view.timeline(found),
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
        if (refused := _not_the_addressee(request)) is not None:
            return refused
        if data.assignment_id is None:
            return _invalid(request)
        assignment = (
            Assignment.objects.select_related("request__vendor", "request__policy_version")
            .filter(pk=data.assignment_id, request__reference=data.reference)
            .first()
        )
        if assignment is None or not assignment.contact_approved:
            return _invalid(request)
        ended = _responder_link_ended(request, assignment, data)
        if ended is not None:
            return ended
        package_form = _package_form(request, assignment)
        if package_form is not None and package_form.is_bound and _add_to_package(assignment, package_form):
            return redirect(f"{request.path}?added=1")
        posting_outcome = request.method == "POST" and "package" not in request.POST
        form = ResponderForm(request.POST if posting_outcome else None)
        if posting_outcome and assignment.status == Assignment.Status.OPEN and form.is_valid():
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
            "package_form": package_form,
            "package_items": list(
                PackageItem.objects.filter(
                    package__request=assignment.request, added_by=Actor.responder(assignment.responder_name).label
                ).order_by("added_at", "id")
            )
            if package_form is not None
            else [],
            "added": request.GET.get("added") == "1",
            "identity_words": identity_words(assignment.request),
        }
        return render(request, "dsr/respond.html", context)


def _add_to_package(assignment: Assignment, form: ResponderPackageForm) -> bool:
    """The responder's file or data rows into the answer package; False (errors on the form) if refused."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        workflow.add_to_package(
            assignment.request,
            category=data["category"],
            upload=data["file"] or None,
            rows=None if data["file"] else data["rows"],
            actor=Actor.responder(assignment.responder_name),
            now=timezone.now(),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return False
    return True


def _package_form(request: HttpRequest, assignment: Assignment) -> ResponderPackageForm | None:
    """The form a controller's responder adds the person's data with (access and portability answers only)."""
    if assignment.action != Assignment.Action.FULFIL or assignment.request.request_type not in PACKAGE_TYPES:
        return None
    names = {c.key: c.name for c in assignment.request.policy_version.policy.categories}
    choices = [(key, names.get(key, key)) for key in assignment.categories]
    if request.method == "POST" and "package" in request.POST:
        return ResponderPackageForm(request.POST, request.FILES, categories=choices)
    return ResponderPackageForm(categories=choices)


LINK_REVOKED = (
    "The privacy team has replaced or withdrawn this link. If you still have work on this request, use the "
    "newest email you received about it, or reply to it."
)
TASK_ENDED = "This part of the request is closed: the request was withdrawn or answered otherwise. Thank you."


def _responder_link_ended(request: HttpRequest, assignment: Assignment, data: TokenData) -> HttpResponse | None:
    """The page for a responder link that no longer opens the request (revoked, or its task ended), else None.

    A responder link is a bearer secret that shows the person's name, proven email and details: it works
    while its assignment is open and until staff revoke it, never after (issue #12: long-lived links).
    """
    if data.generation != assignment.link_generation:
        return message_page(request, title="This link no longer works", message=LINK_REVOKED, status=410)
    if assignment.status == Assignment.Status.DONE:
        recorded = timezone.localtime(assignment.completed_at, dt.UTC) if assignment.completed_at else None
        when = f" on {recorded:%d %b %Y, %H:%M} UTC" if recorded else ""
        message = f"Your answer to request {assignment.request.reference} was recorded{when}. Thank you."
        return message_page(request, title="Thank you", message=message, status=200)
    if assignment.status != Assignment.Status.OPEN:
        return message_page(request, title="Nothing more to do", message=TASK_ENDED, status=410)
    return None


@require_http_methods(["GET", "POST"])
def authority(request: HttpRequest, token: str) -> HttpResponse:
    """The agent's page, reached by its signed link, to send the person's signed permission."""
    data = _token(request, "authority", token)
    if isinstance(data, HttpResponse):
        return data
    if (refused := _not_the_addressee(request)) is not None:
        return refused
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


# Why the download page refused a code, in the person's words (dsr.packages.services.check_code).
CODE_REFUSALS: dict[str, Any] = {
    packages.CODE_WRONG: _("That code is not right. Check the email and try again."),
    packages.CODE_EXPIRED: _("That code has expired. Ask for a new code."),
    packages.CODE_USED_UP: _("Too many wrong codes. Ask for a new code."),
    packages.CODE_NONE: _("Ask for a code first: we send it to the email address you confirmed."),
}
CODE_LIMIT = gettext_noop("Too many codes were sent in the last hour. Please try again later.")


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The person's answer package, through its signed link: a one-time code goes to the proven email, and
    only that code releases the ZIP (streamed, never cached). A GET changes nothing and sends nothing."""
    data = _token(request, "download", token)
    if isinstance(data, HttpResponse):
        return data
    if (refused := _not_the_addressee(request)) is not None:  # a download is recorded as the person's
        return refused
    found = Request.objects.select_related("vendor").filter(reference=data.reference).first()
    package = Package.objects.filter(request=found).first() if found is not None else None
    if found is None or package is None or package.status == Package.Status.DRAFT:
        return _invalid(request)
    now = timezone.now()
    with translation.override(person_language(request, found.language)):
        assert package.expires_at is not None
        if package.status == Package.Status.EXPIRED_DELETED or package.expires_at <= now:
            return message_page(
                request,
                title=_("This download has expired"),
                message=_(
                    "The file with your data was kept until %(day)s and is now deleted, as the email said. "
                    "If you still need your data, please make a new request."
                )
                % {"day": formats.date_format(package.expires_at.date(), "j F Y")},
                status=410,
            )
        context: dict[str, Any] = {
            "req": found,
            "expires": formats.date_format(package.expires_at.date(), "j F Y"),
            "minutes": int(packages.CODE_LIFETIME.total_seconds() // 60),
            "sent_to": "",
            "error": "",
            "show_code_form": bool(package.code_hash),
        }
        status = 200
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "send":
            try:
                context["sent_to"] = workflow.send_package_code(found, now=now)
                context["show_code_form"] = True
            except DomainError as exc:
                context["error"], status = gettext(str(exc)), 429 if str(exc) == CODE_LIMIT else 409
        elif action == "download":
            try:
                released = workflow.download_package(found, code=request.POST.get("code", ""), now=now)
            except DomainError as exc:
                context["error"], status = gettext(str(exc)), 409
            else:
                if released.package is not None:
                    return _stream(released.package, found.reference)
                context["error"], status = CODE_REFUSALS[released.refused], 400
                context["show_code_form"] = released.refused == packages.CODE_WRONG
        return render(request, "dsr/download.html", context, status=status)


def _stream(package: Package, reference: str) -> FileResponse:
    response = FileResponse(package.archive.open("rb"), as_attachment=True, filename=f"{reference}.zip")
    response["Content-Type"] = "application/zip"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
