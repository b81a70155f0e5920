"""What the API reads and writes. A new request is validated by the public form itself
(dsr.public.forms.RequestForm, for the vendor's policy in force), so the API and the form accept exactly
the same requests; this module only maps the API's names onto the form's fields and its errors back.

Names follow OpenDSR where it has them: `subject_request_id` (our reference), `subject_request_type`,
`request_status`, `submitted_time`, `expected_completion_time`. What OpenDSR lacks is added, never bent:
`status` (ours, finer), `relationships`, `partially_completed`, `policy_gap`, `next_actions`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from dsr.models import Request
from dsr.public.forms import RequestForm
from dsr.requests.intake import Submission
from policies import vocabulary
from policies.services import policy_in_force

from .models import ApiClient
from .services import BATCH_MAX, OPENDSR_STATUS, client_vendors, has_policy_gap, next_actions

LANGUAGES = ("en", "de", "et", "fi")


class RequestCreate(serializers.Serializer[Any]):
    vendor = serializers.CharField(help_text="The vendor's slug (one of the client's vendors).")
    subject_request_type = serializers.ChoiceField(
        choices=list(vocabulary.REQUEST_TYPES),
        help_text="OpenDSR subject_request_type where it has one (access, portability, erasure); our further "
        "types (rectification, restriction, objection, opt_out, ...) as the vendor's policy and its laws offer them.",
    )
    relationships = serializers.ListField(
        child=serializers.ChoiceField(choices=[*vocabulary.RELATIONSHIPS, vocabulary.NOT_SURE]),
        min_length=1,
        max_length=len(vocabulary.RELATIONSHIPS) + 1,
        help_text="Every way the vendor has the person's data (not in OpenDSR), as the form's boxes: the request "
        f"covers them all. `{vocabulary.NOT_SURE}` alone where the person does not know (every category is "
        "searched, and staff review).",
    )
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code of where the person lives.")
    state = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="US state, if in the US.")
    province = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text="Canadian province or territory (ISO 3166-2:CA without 'CA-'), required for people in Canada.",
    )
    subject_name = serializers.CharField(max_length=200)
    email = serializers.CharField(
        max_length=254, help_text="The address answered: the person's, or, for an agent client, the agent's."
    )
    details = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    customer_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    customer_email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, default="en")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        client: ApiClient = self.context["client"]
        # A batch shares one context among its items: the client's vendors and their policies read once.
        shared: dict[Any, Any] = self.context.setdefault("shared", {})
        vendors = shared.get("vendors")
        if vendors is None:
            vendors = shared["vendors"] = client_vendors(client)
        if attrs["vendor"] not in vendors:
            raise serializers.ValidationError({"vendor": ["Not one of this client's vendors."]})
        today = timezone.now().date()
        version = shared.get((attrs["vendor"], today))
        if version is None:
            version = shared[(attrs["vendor"], today)] = policy_in_force(attrs["vendor"], today)
        agent = client.kind == ApiClient.Kind.AGENT
        data = {
            "request_type": attrs["subject_request_type"],
            "relationship": list(attrs["relationships"]),
            "country": attrs["country"],
            "state": attrs.get("state", ""),
            "province": attrs.get("province", ""),
            "subject_name": attrs["subject_name"],
            "email": attrs["email"],
            "details": attrs.get("details", ""),
            "customer_name": attrs.get("customer_name", ""),
            "customer_email": attrs.get("customer_email", ""),
            "acting_as_agent": "on" if agent else "",
            "agent_name": client.name if agent else "",
        }
        language = attrs.get("language", "en")
        with translation.override(language):
            # One form per policy, bound to each item in turn (RequestForm.bound_to). Its error messages are
            # translated when read, below, in the item's language.
            unbound = shared.get(("form", version.pk))
            if unbound is None:
                unbound = shared[("form", version.pk)] = RequestForm(version)
            form = unbound.bound_to(data)
            if not form.is_valid():
                names = {"request_type": "subject_request_type", "relationship": "relationships"}
                raise serializers.ValidationError(
                    {names.get(field, field): [str(e) for e in errors] for field, errors in form.errors.items()}
                )
            attrs["submission"] = form.submission(language)
        return attrs


def submission_of(validated: dict[str, Any]) -> Submission:
    submission = validated["submission"]
    assert isinstance(submission, Submission)
    return submission


class BatchCreate(serializers.Serializer[Any]):
    requests = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=BATCH_MAX, help_text="Up to 1,000 new requests."
    )


class RequestOut(serializers.Serializer[Any]):
    subject_request_id = serializers.CharField(
        source="reference", help_text="OpenDSR subject_request_id: our reference."
    )
    vendor = serializers.CharField(source="vendor.slug")
    subject_request_type = serializers.CharField(source="request_type")
    request_status = serializers.SerializerMethodField(
        help_text="OpenDSR request_status: pending (waiting for the address to be proven), in_progress, completed "
        "(also when partially completed: see `partially_completed`), cancelled (withdrawn, expired, joined to a "
        "duplicate: see `status`), and `rejected` (an addition: OpenDSR has no status for a refusal)."
    )
    status = serializers.CharField(help_text="Our own status, finer than OpenDSR's.")
    relationships = serializers.SerializerMethodField()
    submitted_time = serializers.DateTimeField(source="received_at", help_text="OpenDSR submitted_time: receipt.")
    expected_completion_time = serializers.DateTimeField(
        source="due_at",
        allow_null=True,
        help_text="OpenDSR expected_completion_time: the legal deadline, strictest law.",
    )
    acknowledgement_due_time = serializers.DateTimeField(source="ack_due_at", allow_null=True)
    extended = serializers.BooleanField()
    closed_time = serializers.DateTimeField(source="closed_at", allow_null=True)
    partially_completed = serializers.SerializerMethodField(
        help_text="Completed in part: some records kept under a legal obligation (OpenDSR says only completed)."
    )
    policy_gap = serializers.SerializerMethodField(
        help_text="Part of the work waits on staff: the vendor's policy lacks a fact routing needs (not in OpenDSR)."
    )
    laws = serializers.ListField(source="law_codes", child=serializers.CharField())
    next_actions = serializers.SerializerMethodField(help_text="What the client may do now (the transition table).")

    @extend_schema_field(serializers.ChoiceField(choices=sorted(set(OPENDSR_STATUS.values()))))
    def get_request_status(self, request: Request) -> str:
        return OPENDSR_STATUS[request.status]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_relationships(self, request: Request) -> list[str]:
        return list(request.relationships)

    @extend_schema_field(serializers.BooleanField())
    def get_partially_completed(self, request: Request) -> bool:
        return request.status == Request.Status.PARTIALLY_COMPLETED

    @extend_schema_field(serializers.BooleanField())
    def get_policy_gap(self, request: Request) -> bool:
        known = self.context.get("policy_gaps")  # read for many requests at once (the batch)
        return request.pk in known if known is not None else has_policy_gap(request)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_next_actions(self, request: Request) -> list[str]:
        return next_actions(request)


# "errors" would shadow the serializer's own attribute: the item's shape is built inline.
BatchItemOut = inline_serializer(
    name="BatchItemOut",
    fields={
        "index": serializers.IntegerField(),
        "ok": serializers.BooleanField(),
        "request": RequestOut(required=False),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)


class BatchOut(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = serializers.ListField(child=BatchItemOut)


class ErrorOut(serializers.Serializer[Any]):
    detail = serializers.CharField()


class RequestPage(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RequestOut(many=True)
