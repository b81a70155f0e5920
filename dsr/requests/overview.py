"""A request's page for staff, as data: what was asked and by whom, identity and authority, the plan, the
deadlines in words, the timeline. Reads only: showing the page changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policies import vocabulary

from ..models import Package, Request
from ..packages import letter
from . import answers, notices, person_view, queue, workflow


def deadline_rows(request: Request) -> list[dict[str, Any]]:
    """Each deadline the engine computed, with its date, whether it binds, its explanation and its source."""
    rows = []
    for entry in (request.deadlines or {}).get("deadlines", []):
        rows.append(
            {
                "title": entry.get("title") or entry.get("rule", ""),
                "law": entry.get("law_code") or "",
                "due": entry.get("due_date"),
                "binding": bool(entry.get("binding")),
                "explanation": entry.get("explanation", ""),
                "cite": (entry.get("source") or {}).get("cite", ""),
                "url": (entry.get("source") or {}).get("url", ""),
                "mark": entry.get("status_meaning") or "",
            }
        )
    return rows


def request_page(request: Request, now: dt.datetime) -> dict[str, Any]:
    """Everything the request's page shows, from the request and its rows (nothing is written)."""
    stored = request.deadlines or {}
    strictest = stored.get("strictest") or {}
    requirement = workflow.identity_requirement(request) if request.status != Request.Status.SUBMITTED else None
    return {
        "state": queue.request_state(request, now),
        "relationships": vocabulary.relationship_labels(request.relationships),
        "identity_requirement": requirement,
        "identity_method": vocabulary.IDENTITY_METHODS.get(request.identity_method, ""),
        "authority_method": vocabulary.ALL_AUTHORITY_METHODS.get(request.authority_method, ""),
        "missing": workflow.disclosure_missing(request) if request.is_open else [],
        "laws": [(law.code, law.name) for law in workflow.request_law_rules(request)],
        # Named to the person in a refusal and in every answer (dsr.engine.authority).
        "complaints_to": letter.authority_for(request) if request.law_codes else None,
        "statutory_due": strictest.get("due_date"),
        "statutory_title": strictest.get("title", ""),
        "summary": stored.get("summary", ""),
        # The deadline as the person reads it on their status page (both dates and the reason where the
        # office's target comes before the law's date), so staff answer questions with the same words.
        "person_due": (person_due := person_view.open_due(request)),
        "person_deadline": notices.person_deadline_data(request) if person_due else {},
        "deadlines": deadline_rows(request),
        "assignments": list(request.assignments.order_by("id")),
        "answer": answers.page(request),
        "pauses": list(request.pauses.order_by("started_on")),
        "events": list(request.events.select_related("actor_user").order_by("at", "id")),
        "package": (package := Package.objects.filter(request=request).first()),
        "package_items": list(package.items.order_by("added_at", "id")) if package else [],
    }
