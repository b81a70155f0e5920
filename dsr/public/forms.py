"""The public forms: a person's request to one vendor, the withdraw confirmation, a responder's answer.

All validation lives here, so the views are one domain call after `is_valid()`. What the form offers
comes from the vendor's policy in force: the request types it grants or that a law it names gives,
and the relationships its data categories cover. Anything else posted is refused as not offered.

Texts a person reads are translated (locale/); the vocabulary labels are plain English in
policies/vocabulary.py, so their msgids are listed below for makemessages and looked up at runtime.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from babel import Locale
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from policies import vocabulary
from policies.models import PolicyVersion
from policies.services import laws_in_force

from ..requests.intake import Submission

DETAILS_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 200  # dsr.models.Request.subject_name / agent_name / customer_name
EMAIL_MAX_LENGTH = 254
OUTCOME_MAX_LENGTH = 10000

# Relationships where the data came from one of the vendor's business customers: only there does
# "the business that uploaded your details" mean something (routing.plan_for turns it into the controller).
CUSTOMER_RELATIONSHIPS = frozenset({"customer_data_subject", "customer_site_visitor"})

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc except \t \n \r
# Every character str.splitlines() breaks on: one of them in a name or address could start a new
# email header line.
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# Codes Babel (CLDR) lists that are not ISO 3166-1 countries: regions, exceptional reservations and
# pseudo-locales.
NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})

US_STATES: tuple[tuple[str, str], ...] = (
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
)

# Canada's provinces and territories (ISO 3166-2:CA): Quebec's private-sector Act applies to its residents.
CA_PROVINCES: tuple[tuple[str, str], ...] = (
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
)

# User-facing messages (asserted in tests/dsr/test_intake_views.py).
REQUIRED_REQUEST_TYPE = _("Choose what you are asking for.")
REQUIRED_RELATIONSHIP = _("Tick how this company has your data, or “I'm not sure”.")
NOT_SURE_AND_SURE = _("Tick either the ways that fit or “I'm not sure”, not both.")
REQUIRED_COUNTRY = _("Choose the country where you live.")
REQUIRED_NAME = _("Enter the name of the person the request is about.")
REQUIRED_EMAIL = _("Enter an email address, so we can confirm the request and answer it.")
INVALID_EMAIL = _("Enter a complete email address, like name@example.com.")
NOT_OFFERED = _("Choose one of the options shown.")
TOO_LONG = _("This is too long: use at most %(limit_value)s characters (it has %(show_value)s).")
CONTROL_CHARACTER = _("Remove the invisible control characters from this text.")
FORMAT_CHARACTER = _(
    "Remove the invisible formatting characters (such as text-direction marks or zero-width spaces) from this text."
)
UNDELIVERABLE_EMAIL = _(
    "Email cannot be delivered to this address: the part before the @ must be at most 64 characters, "
    "using only unaccented letters, digits and signs."
)
# The part of an address before the @ (RFC 5321 4.5.3.1.1); longer ones are refused by mail servers.
LOCAL_PART_MAX_LENGTH = 64
LINE_BREAK = _("Use one line only, without line breaks.")
STATE_REQUIRED = _("Choose your state: US privacy laws differ from state to state.")
STATE_NOT_US = _("Leave the state empty unless you live in the United States.")
PROVINCE_REQUIRED = _("Choose your province or territory: Quebec has its own privacy law.")
PROVINCE_NOT_CANADA = _("Leave the province empty unless you live in Canada.")
AGENT_NAME_REQUIRED = _("Enter your name: you said you are an agent filing for someone else.")
CONFIRM_WITHDRAW = _("Tick the box to confirm that you want to withdraw the request.")
OUTCOME_REQUIRED = "Say what was done, so the person can be told."

# The vocabulary labels a person reads, for makemessages (they are looked up with gettext at runtime).
VOCABULARY_MSGIDS = (
    gettext_noop("See a copy of my personal data"),
    gettext_noop("Correct my personal data"),
    gettext_noop("Delete my personal data"),
    gettext_noop("Restrict how my personal data is used"),
    gettext_noop("Receive my data in a portable format, or have it sent to another company"),
    gettext_noop("Object to how my personal data is used"),
    gettext_noop("Opt out of the sale or sharing of my personal data, or of targeted advertising"),
    gettext_noop("Withdraw consent I gave earlier"),
    gettext_noop("Ask for a person to review an automated decision about me"),
    gettext_noop("Appeal an earlier answer to one of my requests"),
    gettext_noop("Stop the use of my data to train models (AI and machine learning)"),
    gettext_noop("Nominate someone to exercise my rights if I die or cannot act myself"),
    gettext_noop("Raise a grievance about how my personal data is handled"),
    gettext_noop("I visited the vendor's own website"),
    gettext_noop("I have an account, or I use the service for my employer"),
    gettext_noop(
        "My details are in data that one of the vendor's business customers put into the service "
        "(for example a list of leads or contacts)"
    ),
    gettext_noop("I visited the website of one of the vendor's customers that uses the vendor's tracking"),
    gettext_noop("I signed up for news, events or a demo, or the vendor sent me marketing"),
    gettext_noop("Someone gave the vendor my details (for example my employer, a colleague or a partner)"),
    gettext_noop("I applied for a job with the vendor"),
    gettext_noop("I'm not sure how the vendor has my data"),
)


def offered_request_types(version: PolicyVersion) -> list[str]:
    """The vendor's granted rights that are request types, and the request types of the laws it names."""
    policy = version.policy
    granted = set(policy.granted_rights)
    entries = laws_in_force().entries
    from_laws = {
        str(right.get("type")) for code in policy.law_codes for right in (entries.get(code) or {}).get("rights", [])
    }
    return [key for key in vocabulary.REQUEST_TYPES if key in granted or key in from_laws]


def offered_relationships(version: PolicyVersion) -> list[str]:
    """The relationships the vendor's data categories cover, and those its policy speaks of without a
    category (staff review them), in the vocabulary's order."""
    return list(version.policy.offered_relationships)


@functools.lru_cache(maxsize=16)
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Two-letter country codes with their names in `language` (CLDR via Babel), sorted by name."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (ValueError, TypeError, LookupError):
        locale = Locale.parse("en")
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code.isupper() and code not in NOT_COUNTRIES
    }
    return tuple(sorted(names.items(), key=lambda item: _sort_key(item[1])))


class FixedChoices(BaseChoiceIterator):
    """Choices computed once: a field given these does not copy or re-check them for every form."""

    def __init__(self, choices: tuple[tuple[str, str], ...]) -> None:
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


@functools.lru_cache(maxsize=16)
def country_field_choices(language: str) -> FixedChoices:
    """The country field's choices in `language` (the active one): a prompt, then every country by name."""
    with translation.override(language):
        prompt = gettext("Choose a country…")
    return FixedChoices((("", prompt), *country_choices(language)))


@functools.cache
def country_codes() -> frozenset[str]:
    """The two-letter codes of the countries the form lists (the same in every language)."""
    return frozenset(code for code, _ in country_choices("en"))


# The subdivisions whose laws differ, by field: the country, its codes, and the form's words when one is
# missing there or given elsewhere.
SUBDIVISIONS: tuple[tuple[str, str, frozenset[str], Any, Any], ...] = (
    ("state", "US", frozenset(code for code, _ in US_STATES), STATE_REQUIRED, STATE_NOT_US),
    ("province", "CA", frozenset(code for code, _ in CA_PROVINCES), PROVINCE_REQUIRED, PROVINCE_NOT_CANADA),
)


def residence_errors(country: str, state: str, province: str) -> dict[str, ValidationError]:
    """Where a person says they live, checked by the one rule of the public form, of the REST API (which
    validates through the form) and of the agents' protocol (api.drp): a country of the list; in the United
    States one of its states, and a state only there (US privacy laws differ from state to state); in Canada
    one of its provinces or territories, and a province only there (Quebec has its own privacy law).

    {field: error} for `country`, `state` and `province`; empty when it holds. An empty country is left to
    the caller (the form's field says it is required, or reports a country not of the list itself)."""
    errors: dict[str, ValidationError] = {}
    if country and country not in country_codes():
        errors["country"] = ValidationError(NOT_OFFERED, code="invalid_choice")
    given = {"state": state, "province": province}
    for field, home, codes, required, elsewhere in SUBDIVISIONS:
        if given[field] and given[field] not in codes:
            errors[field] = ValidationError(NOT_OFFERED, code="invalid_choice")
        elif country == home and not given[field]:
            errors[field] = ValidationError(required, code="required")
        elif country and country != home and given[field]:
            errors[field] = ValidationError(elsewhere, code="not_here")
    return errors


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def has_format_character(value: str) -> bool:
    """Whether `value` holds an invisible format character (Unicode Cf): a bidi override or isolate that
    shows "moc.elpmaxe" as "example.com", a zero-width space or joiner that splits a name in two for the
    machine but not the eye, a soft hyphen, a byte-order mark."""
    return any(unicodedata.category(char) == "Cf" for char in value)


class OneLineMixin:
    """A one-line value (a name, an address) must not carry a line break, a control character or an
    invisible format character (issue #12: look-alikes and hidden characters)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if LINE_BREAKS.search(value):
                raise ValidationError(LINE_BREAK, code="line_break")
            if CONTROL_CHARACTERS.search(value):
                raise ValidationError(CONTROL_CHARACTER, code="control_character")
            if has_format_character(value):
                raise ValidationError(FORMAT_CHARACTER, code="format_character")
        return super().to_python(value)  # type: ignore[misc]


class OneLineField(OneLineMixin, forms.CharField):
    pass


class OneLineEmailField(OneLineMixin, forms.EmailField):
    """An address mail can be delivered to: a plain-ASCII local part of at most 64 characters (the domain
    may be internationalised; staff see it in punycode, dsr.security.lookalike)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        local = str(value or "").rpartition("@")[0]
        if value and (not local.isascii() or len(local) > LOCAL_PART_MAX_LENGTH):
            raise ValidationError(UNDELIVERABLE_EMAIL, code="undeliverable")


class TextField(forms.CharField):
    """Free text: line breaks and tabs are fine, other control characters are refused."""

    def to_python(self, value: Any) -> Any:
        # Too long is reported as too long (by the max-length validator), without scanning a megabyte.
        too_long = isinstance(value, str) and self.max_length is not None and len(value) > self.max_length
        if isinstance(value, str) and not too_long and CONTROL_IN_TEXT.search(value):
            raise ValidationError(CONTROL_CHARACTER, code="control_character")
        return super().to_python(value)


def _messages(**extra: Any) -> dict[str, Any]:
    return {"max_length": TOO_LONG, "invalid_choice": NOT_OFFERED, "invalid": INVALID_EMAIL, **extra}


class RequestForm(forms.Form):
    """A data-subject request to one vendor, as the policy in force today lets a person file it."""

    request_type = forms.ChoiceField(
        label=_("What are you asking for?"),
        widget=forms.RadioSelect,
        error_messages=_messages(required=REQUIRED_REQUEST_TYPE),
    )
    # One value per ticked box (the HTML name stays "relationship"); "not_sure" stands for none.
    relationship = forms.MultipleChoiceField(
        label=_("How does this company have your data?"),
        help_text=_(
            "Tick every one that fits: your request covers all the data the company holds about you. "
            "If you don't know, tick “I'm not sure” and its privacy team will search everything."
        ),
        widget=forms.CheckboxSelectMultiple,
        error_messages=_messages(required=REQUIRED_RELATIONSHIP),
    )
    customer_name = OneLineField(
        label=_("The business that uploaded your details (optional)"),
        help_text=_("If you know it: for example the company that emailed you or whose website you visited."),
        required=False,
        max_length=NAME_MAX_LENGTH,
        error_messages=_messages(),
    )
    customer_email = OneLineEmailField(
        label=_("That business's email address (optional)"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        error_messages=_messages(),
    )
    country = forms.ChoiceField(
        label=_("Country where you live"),
        help_text=_("It decides which privacy laws apply to your request."),
        error_messages=_messages(required=REQUIRED_COUNTRY),
    )
    state = forms.ChoiceField(
        label=_("US state"),
        help_text=_("Only if you live in the United States."),
        required=False,
        choices=(("", "—"), *US_STATES),
        error_messages=_messages(),
    )
    province = forms.ChoiceField(
        label=_("Canadian province or territory"),
        help_text=_("Only if you live in Canada."),
        required=False,
        choices=(("", "—"), *CA_PROVINCES),
        error_messages=_messages(),
    )
    subject_name = OneLineField(
        label=_("Full name of the person the request is about"),
        help_text=_("That is you, unless you are an agent filing for someone else."),
        max_length=NAME_MAX_LENGTH,
        error_messages=_messages(required=REQUIRED_NAME),
    )
    email = OneLineEmailField(
        label=_("Email address"),
        help_text=_("We send a link to this address to confirm the request, and answer you there."),
        max_length=EMAIL_MAX_LENGTH,
        error_messages=_messages(required=REQUIRED_EMAIL),
    )
    acting_as_agent = forms.BooleanField(
        label=_("I am an authorised agent filing this request for someone else"),
        required=False,
    )
    agent_name = OneLineField(
        label=_("Your name (the agent)"),
        help_text=_("The email address above is then yours, and the name above is the person you act for."),
        required=False,
        max_length=NAME_MAX_LENGTH,
        error_messages=_messages(),
    )
    details = TextField(
        label=_("Details (optional)"),
        help_text=_(
            "Anything that helps find your data or explains your request, for example the account name "
            "or when you visited. At most 5,000 characters."
        ),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages=_messages(),
    )
    # A honeypot: hidden with CSS, so a person leaves it empty and a form-filling robot does not.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, vendor_version: PolicyVersion, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.version = vendor_version
        self.vendor_name = vendor_version.vendor.name
        fields = self.fields
        self.choice_field("request_type").choices = [
            (key, gettext(vocabulary.REQUEST_TYPES[key])) for key in offered_request_types(vendor_version)
        ]
        relationships = offered_relationships(vendor_version)
        self.choice_field("relationship").choices = [
            *((key, gettext(vocabulary.RELATIONSHIPS[key])) for key in relationships),
            (vocabulary.NOT_SURE, gettext(vocabulary.NOT_SURE_LABEL)),
        ]
        fields["relationship"].label = gettext("How does %(vendor)s have your data?") % {"vendor": self.vendor_name}
        if not CUSTOMER_RELATIONSHIPS & set(relationships):
            del fields["customer_name"], fields["customer_email"]
        self.choice_field("country").choices = country_field_choices(get_language() or "en")

    def bound_to(self, data: Mapping[str, Any]) -> RequestForm:
        """This unbound form, bound to a submission. Its fields (built for the policy, most of the cost of a
        form) are shared, not copied: the API validates a batch of up to a thousand submissions through one
        form per policy. Validation only reads the fields; its error messages are translated when read."""
        if self.is_bound:
            raise ValueError("Only an unbound form can be bound to a submission.")
        form = copy.copy(self)
        form.data = data
        form.is_bound = True
        # Django's own state of a bound form, as Form.__init__ sets it: no errors yet, no bound fields yet.
        state = vars(form)
        state["_errors"] = None
        state["_bound_fields_cache"] = {}
        return form

    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    @property
    def asks_for_customer(self) -> bool:
        return "customer_name" in self.fields

    @property
    def honeypot_filled(self) -> bool:
        """True when the hidden field came back filled in: a robot, to be told "sent" and ignored."""
        return bool(self.is_bound and str(self.data.get("website", "")).strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, state, province = (data.get(name) or "" for name in ("country", "state", "province"))
        for field, error in residence_errors(country, state, province).items():
            self.add_error(field, error)
        if data.get("acting_as_agent"):
            if not data.get("agent_name") and "agent_name" not in self.errors:
                self.add_error("agent_name", AGENT_NAME_REQUIRED)
        else:
            data["agent_name"] = ""
        ticked = set(data.get("relationship") or ())
        if vocabulary.NOT_SURE in ticked and len(ticked) > 1:
            self.add_error("relationship", NOT_SURE_AND_SURE)
        if not ticked & CUSTOMER_RELATIONSHIPS and vocabulary.NOT_SURE not in ticked:
            data["customer_name"] = ""
            data["customer_email"] = ""
        return data

    def submission(self, language: str) -> Submission:
        data = self.cleaned_data
        return Submission(
            vendor_slug=self.version.vendor.slug,
            request_type=data["request_type"],
            relationships=[key for key in data["relationship"] if key != vocabulary.NOT_SURE],
            country=data["country"],
            state=data.get("state") or "",
            province=data.get("province") or "",
            subject_name=data["subject_name"],
            email=data["email"],
            details=data.get("details") or "",
            agent_name=data.get("agent_name") or "",
            customer_name=data.get("customer_name") or "",
            customer_email=data.get("customer_email") or "",
            language=language,
        )


class WithdrawForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    confirm = forms.BooleanField(
        label=_("Yes, withdraw my request. I understand it will not be answered."),
        error_messages={"required": CONFIRM_WITHDRAW},
    )


class ResponderForm(forms.Form):
    """A responder says what it did (English: responders and staff work in English)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    outcome = TextField(
        label="What did you do?",
        help_text="For example: which data you sent, corrected or erased, and anything you kept and why. "
        "The person is told this.",
        max_length=OUTCOME_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": OUTCOME_REQUIRED,
            "max_length": "This is too long: use at most %(limit_value)s characters (it has %(show_value)s).",
        },
    )

    def clean_outcome(self) -> str:
        outcome = str(self.cleaned_data["outcome"]).strip()
        if not outcome:
            raise ValidationError(OUTCOME_REQUIRED, code="required")
        return outcome


class ResponderPackageForm(forms.Form):
    """A responder adds the person's data to the answer package: a file, or data rows of one of its categories."""

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = categories

    category = forms.ChoiceField(label="Which data this is")
    file = forms.FileField(required=False, label="A file for the person (an export or a document)")
    rows = forms.CharField(
        required=False,
        label="Or data rows",
        help_text='A JSON list of records, e.g. [{"email": "a@example.com", "signed_up": "2024-03-01"}].',
        max_length=OUTCOME_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("rows") or "").strip():
            raise forms.ValidationError("Add a file or data rows.")
        return data
