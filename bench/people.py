"""What a person types into each vendor's real form: an erasure where offered, the first relationship."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dsr.public.forms import RequestForm, offered_relationships, offered_request_types
from policies.models import Vendor
from policies.services import policy_in_force


def forms_for_all_vendors() -> list[dict[str, Any]]:
    """One valid form per vendor (checked with the real RequestForm), as {"slug", "path", "form"}."""
    found = []
    for slug in Vendor.objects.order_by("slug").values_list("slug", flat=True):
        version = policy_in_force(slug, timezone.now().date())
        types = offered_request_types(version)
        form = {
            "request_type": "erasure" if "erasure" in types else types[0],
            "relationship": offered_relationships(version)[0],
            "country": "FI",
            "state": "",
            "subject_name": "Aino Virtanen",
            "email": "aino@example.com",
            "details": "Please delete my account and everything about me.",
            "website": "",
        }
        # Posted as one ticked box ("relationship=..."); the form, given a dict, takes the boxes as a list.
        bound = RequestForm(version, {**form, "relationship": [form["relationship"]]})
        assert bound.is_valid(), (slug, bound.errors)
        found.append({"slug": slug, "path": f"/request/{slug}/", "form": form})
    return found
