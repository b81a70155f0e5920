"""Reply templates: the text staff start from for the common messages, in the person's language."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date

from ..models import ReplyTemplate, Request, StaffMembership
from .schedule import due_date

K = ReplyTemplate.Kind
# Which templates each staff action's text can start from; the first is the one filled in by default.
FOR_ACTION: dict[str, tuple[str, ...]] = {
    "pause": (K.INFO, K.IDENTITY),
    "extend": (K.EXTENSION,),
    "close": (K.REFUSAL,),
}
# The field of the action's form that carries the text to the person.
TEXT_FIELD: dict[str, str] = {"pause": "reason", "extend": "reason", "close": "message"}


class _Keep(dict[str, str]):
    """Unknown placeholders stay as written, so a lead's typo never breaks the form."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_for(kind: str, language: str) -> ReplyTemplate | None:
    """The template in `language`, else in English, else none."""
    found = {t.language: t for t in ReplyTemplate.objects.filter(kind=kind, language__in=[language, "en"])}
    return found.get(language) or found.get("en")


def reply_text(kind: str, request: Request) -> str:
    """The template's body for this request, in the person's language, with its placeholders filled in."""
    template = template_for(kind, request.language)
    if template is None:
        return ""
    due = due_date(request)
    values = _Keep(
        reference=request.reference,
        vendor=request.vendor.name,
        due=format_date(due, "d MMM y", locale=template.language) if due else "",
        name=request.subject_name,
    )
    try:
        return template.body.format_map(values)
    except (ValueError, IndexError):  # a stray brace: the text as the lead wrote it
        return template.body


def prefill(action: str, request: Request, choice: str | None = None) -> dict[str, str]:
    """The initial text of the action's form (`choice`: another template the action allows)."""
    kinds = FOR_ACTION.get(action)
    if not kinds:
        return {}
    if action == "close" and choice is None:
        return {}  # a close is usually an answer, not a refusal: the refusal text is offered, not imposed
    kind = choice if choice in kinds else kinds[0]
    text = reply_text(kind, request)
    initial = {TEXT_FIELD[action]: text} if text else {}
    if action == "close" and kind == K.REFUSAL:
        initial["status"] = Request.Status.REJECTED  # the refusal's text goes out with the refusal's status
    return initial


def choices(action: str) -> list[tuple[str, str]]:
    """(kind, label) of the templates the action's page offers."""
    return [(kind, K(kind).label) for kind in FOR_ACTION.get(action, ())]


def may_edit_templates(user: Any) -> bool:
    """Team leads (of any vendor) and superusers edit the templates; handlers read them."""
    if not (user.is_active and user.is_staff):
        return False
    return bool(
        user.is_superuser or StaffMembership.objects.filter(user_id=user.pk, role=StaffMembership.Role.LEAD).exists()
    )
