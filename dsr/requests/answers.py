"""The draft answer: each responder's part, what it keeps and why (read from the policy), and the answer as
the person reads it. Reads and plain data only; the changes (a part received, edited, approved) are the
workflow's (dsr.requests.workflow: complete_assignment, edit_answer, approve_answer).
"""

from __future__ import annotations

from typing import Any

from policies.document import PolicyDocument

from ..models import Answer, AnswerPart, Assignment, Request


def policy_source(request: Request) -> str:
    """The policy a kept record's reason is quoted from, as the person can look it up."""
    policy = request.policy_version.policy
    return f"{policy.vendor_name} {policy.policy.title}, in force from {policy.policy.effective_date.isoformat()}"


def _category_name(policy: PolicyDocument, key: str) -> str:
    try:
        return policy.category(key).name
    except KeyError:
        return key


def kept_records(request: Request, assignment: Assignment) -> list[dict[str, str]]:
    """What this responder keeps under a legal obligation, and the policy's passage saying so.

    The routing plan marks an assignment partial where a category it covers has a retention rule that a law
    requires (policies.document.Category.legal_holds); each such rule is one entry here, with the vendor's
    own reason where the policy limits the right (Category.limits_of), and the passage the rule cites.
    """
    if not assignment.partial:
        return []
    policy = request.policy_version.policy
    source = policy_source(request)
    kept = []
    for key in assignment.categories:
        try:
            category = policy.category(key)
        except KeyError:
            continue
        limits = category.limits_of(request.request_type)
        for rule in category.legal_holds:
            kept.append(
                {
                    "category": category.name,
                    "records": rule.description or category.name,
                    "reason": limits[0].reason if limits else "",
                    "passage": rule.cite,
                    "source": source,
                }
            )
    return kept


def new_part(answer: Answer, assignment: Assignment, *, text: str, now: Any) -> AnswerPart:
    """A responder's answer as a part of the draft (inside the caller's transaction)."""
    kept = kept_records(answer.request, assignment)
    return AnswerPart.objects.create(
        answer=answer,
        assignment=assignment,
        text=text,
        partial=assignment.partial or bool(kept),
        kept=kept,
        received_at=now,
    )


def parts_of(request: Request) -> list[AnswerPart]:
    """The draft's parts in the plan's order, with their assignments."""
    return list(
        AnswerPart.objects.filter(answer__request=request).select_related("assignment").order_by("assignment_id")
    )


def draft_of(request: Request) -> Answer | None:
    return Answer.objects.filter(request=request).first()


def covered(request: Request, part: AnswerPart) -> list[str]:
    """The names of the data categories the part answers for (from the policy in force at receipt)."""
    policy = request.policy_version.policy
    return [_category_name(policy, key) for key in part.assignment.categories]


def email_parts(request: Request, parts: list[AnswerPart]) -> list[dict[str, Any]]:
    """Each part as the person's email shows it (plain data: it waits in the outbox as JSON)."""
    return [
        {
            "responder": part.assignment.responder_name,
            "categories": covered(request, part),
            "text": part.text,
            "partial": part.partial,
            "kept": list(part.kept),
        }
        for part in parts
    ]


def is_partial(answer: Answer | None, parts: list[AnswerPart]) -> bool:
    """Whether the answer is partly completed: staff said so, or a part keeps records."""
    return bool(answer is not None and answer.partial) or any(part.partial for part in parts)


def page(request: Request) -> dict[str, Any] | None:
    """The draft as the staff request page shows it, parts side by side; None where there is no draft."""
    answer = draft_of(request)
    if answer is None:
        return None
    parts = parts_of(request)
    waiting = list(request.assignments.filter(status=Assignment.Status.OPEN).order_by("id"))
    return {
        "answer": answer,
        "parts": [{"part": part, "categories": covered(request, part)} for part in parts],
        "waiting": waiting,
        "partial": is_partial(answer, parts),
    }
