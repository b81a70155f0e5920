"""Which identity check an answer waits for, per law and request type, from laws.yaml (strictest wins)."""

from __future__ import annotations

import pytest

from dsr.engine.identity import identity_requirement
from policies.laws import default_laws_path, load_laws_file

LAWS = load_laws_file(default_laws_path()).by_code()


def need(codes: list[str], request_type: str) -> tuple[str, bool]:
    req = identity_requirement([LAWS[c] for c in codes], request_type)
    return req.level, req.gated


def test_gdpr_asks_only_what_is_proportionate_and_gates_disclosure() -> None:
    """GDPR Art 11(2), 12(2), 12(6): only proportionate checks; still, nothing is disclosed unchecked."""
    assert need(["EU_GDPR"], "access") == ("proportionate", True)
    assert need(["EU_GDPR"], "erasure") == ("proportionate", True)
    assert need(["EU_GDPR"], "objection") == ("proportionate", False)


def test_ccpa_specific_pieces_need_a_reasonably_high_degree_deletion_a_reasonable_one() -> None:
    """11 CCR 7062(c), (d): specific pieces reasonably high; deletion and correction reasonable."""
    assert need(["US_CA_CCPA"], "access") == ("reasonably_high", True)
    assert need(["US_CA_CCPA"], "portability") == ("reasonably_high", True)
    assert need(["US_CA_CCPA"], "erasure") == ("reasonable", True)
    assert need(["US_CA_CCPA"], "rectification") == ("reasonable", True)


def test_ccpa_opt_outs_are_not_verified() -> None:
    """11 CCR 7026, 7027(e): an opt-out of sale or sharing is not a verifiable request."""
    assert need(["US_CA_CCPA"], "opt_out") == ("none", False)


def test_the_strictest_law_wins() -> None:
    assert need(["EU_GDPR", "US_CA_CCPA"], "access") == ("reasonably_high", True)


def test_a_law_with_no_encoded_rule_takes_the_stricter_reading_and_says_so() -> None:
    req = identity_requirement([LAWS["US_VA_VCDPA"]], "access")
    assert req.level == "reasonable" and req.gated
    assert "stricter" in req.by_law[0].note and req.by_law[0].status == "U"


@pytest.mark.parametrize("level", ["proportionate", "reasonable", "reasonably_high"])
def test_each_level_is_explained_in_plain_words(level: str) -> None:
    from policies.vocabulary import IDENTITY_LEVELS

    assert len(IDENTITY_LEVELS[level]) > 40
