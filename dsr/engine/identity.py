"""How sure staff must be of who is asking before an answer goes out: a pure function of the laws.

Each law says, per request type, the degree of certainty it asks for (laws.yaml `identity_check`); the
strictest of the laws that apply wins, as for deadlines. Answers that disclose or change data
(vocabulary.IDENTITY_GATED_TYPES) wait until the check is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policies import vocabulary
from policies.laws import LawRules

LEVEL_ORDER = tuple(vocabulary.IDENTITY_LEVELS)  # weakest first


@dataclass(frozen=True)
class LawIdentity:
    law: str
    level: str
    cite: str
    status: str
    note: str


@dataclass(frozen=True)
class IdentityRequirement:
    level: str  # a key of vocabulary.IDENTITY_LEVELS
    gated: bool  # the answer waits until identity is recorded as checked
    by_law: tuple[LawIdentity, ...]

    @property
    def words(self) -> str:
        """What matching is required, in plain words for staff and responders."""
        return vocabulary.IDENTITY_LEVELS[self.level]


def identity_requirement(laws: Sequence[LawRules], request_type: str) -> IdentityRequirement:
    """The strictest identity level the laws ask for this request type; 'reasonable' where no law applies."""
    by_law = tuple(
        LawIdentity(
            law=law.code,
            level=rule.level_for(request_type),
            cite=rule.source.cite,
            status=rule.status,
            note=rule.note,
        )
        for law in laws
        for rule in (law.identity(),)
    )
    levels = [entry.level for entry in by_law] or ["reasonable"]
    level = max(levels, key=LEVEL_ORDER.index)
    return IdentityRequirement(
        level=level,
        gated=request_type in vocabulary.IDENTITY_GATED_TYPES and level != "none",
        by_law=by_law,
    )
