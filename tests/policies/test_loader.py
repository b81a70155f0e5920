"""load_policies: every bad file is refused with file, entry and field named; nothing is half-loaded;
reloading changes nothing; a changed file becomes a new version judged from its effective date."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from policies.loader import PolicyDataError, read_data_dir
from policies.models import DataCategory, PolicyVersion, Vendor
from policies.services import policy_in_force

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(settings.POLICY_DATA_DIR, target)
    return target


def edit_vendor(data_dir: Path, slug: str, change: Edit) -> None:
    path = data_dir / "vendors" / f"{slug}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def category(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in doc["categories"] if c["key"] == key)


def first_category_key(data_dir: Path, slug: str) -> str:
    doc = yaml.safe_load((data_dir / "vendors" / f"{slug}.yaml").read_text(encoding="utf-8"))
    return str(doc["categories"][0]["key"])


def test_the_shipped_files_are_valid() -> None:
    dataset = read_data_dir(Path(settings.POLICY_DATA_DIR))
    assert {v.slug for v in dataset.vendors} == {"sera-leads", "leadoro", "serai", "leadsment", "seerene"}
    assert {"EU_GDPR", "US_CA_CCPA", "HK_PDPO"} <= set(dataset.laws)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d, k: category(d, k).update(role="owner"), "categories[{k}]: role: 'owner' is not one of controller"),
        (lambda d, k: category(d, k).update(role_cite=""), "categories[{k}]: role_cite: every fact needs the passage"),
        (
            lambda d, k: category(d, k).update(relationships=["neighbour"]),
            "categories[{k}]: relationships: 'neighbour' is not a known key",
        ),
        (
            lambda d, k: category(d, k).update(
                retention=[{"period": {"amount": "three", "unit": "years"}, "starts": "collection", "cite": "x"}]
            ),
            "categories[{k}].retention[0]: period.amount: 'three' must be a whole number",
        ),
        (
            lambda d, k: category(d, k).update(
                retention=[{"period": {"amount": 3, "unit": "decades"}, "starts": "collection", "cite": "x"}]
            ),
            "categories[{k}].retention[0].period: unit: 'decades' is not one of days, months, years",
        ),
        (lambda d, k: d["laws"].append({"code": "MARS_LAW", "cite": "x"}), "laws[1]: code: 'MARS_LAW' is not one of"),
        (
            lambda d, k: d["policy"].update(effective_date="11/01/2026"),
            "policy: effective_date: '11/01/2026' is not a date",
        ),
        (
            lambda d, k: d["contacts"].append({"kind": "privacy", "email": "[privacy@example.com]", "cite": "x"}),
            "email: '[privacy@example.com]' is a template placeholder",
        ),
        (
            lambda d, k: d["vendor"].update(address={"value": "[Company postal address]", "cite": "x"}),
            "vendor: address: '[Company postal address]' is a template placeholder",
        ),
        (lambda d, k: d["vendor"].update(slug="someone-else"), "vendor: slug: 'someone-else' must match the file name"),
        (
            lambda d, k: d["recipients"].append(
                {"name": "Acme", "kind": "sub_processor", "categories": ["nope"], "cite": "x"}
            ),
            "recipients[Acme]: categories: 'nope' is not a known key",
        ),
        (
            lambda d, k: d["promises"].append({"kind": "response_time", "amount": -3, "unit": "days", "cite": "x"}),
            "amount: -3 must be a positive whole number",
        ),
    ],
    ids=[
        "role",
        "missing-cite",
        "relationship",
        "period-amount",
        "period-unit",
        "law-code",
        "date",
        "placeholder-email",
        "placeholder-address",
        "slug",
        "recipient-category",
        "promise-amount",
    ],
)
def test_a_bad_file_is_refused_naming_file_entry_and_field(data_dir: Path, change: Any, expected: str) -> None:
    key = first_category_key(data_dir, "sera-leads")
    edit_vendor(data_dir, "sera-leads", lambda doc: change(doc, key))
    with pytest.raises(PolicyDataError) as error:
        read_data_dir(data_dir)
    message = str(error.value)
    assert message.startswith("sera-leads.yaml: ")
    assert expected.format(k=key) in message


def test_a_yaml_syntax_error_names_the_file_and_line(data_dir: Path) -> None:
    path = data_dir / "vendors" / "leadsment.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  broken: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match=r"^leadsment\.yaml: line \d+"):
        read_data_dir(data_dir)


def test_a_bad_law_entry_is_refused_naming_the_law_and_field(data_dir: Path) -> None:
    path = data_dir / "laws.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    gdpr = next(law for law in doc["laws"] if law["code"] == "EU_GDPR")
    gdpr["response"]["unit"] = "weeks"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyDataError) as error:
        read_data_dir(data_dir)
    assert "laws.yaml" in str(error.value)
    assert "EU_GDPR" in str(error.value)
    assert "response.unit" in str(error.value)


def test_load_policies_command_reports_the_error_and_loads_nothing(db: None, data_dir: Path) -> None:
    PolicyVersion.objects.all().delete()
    edit_vendor(data_dir, "seerene", lambda doc: doc["categories"][0].update(role="boss"))
    with pytest.raises(CommandError, match="Nothing was loaded. seerene.yaml: categories"):
        call_command("load_policies", data_dir=data_dir)
    assert not PolicyVersion.objects.exists()


def test_reloading_unchanged_files_changes_nothing(policies: None, capsys: pytest.CaptureFixture[str]) -> None:
    versions = list(PolicyVersion.objects.values_list("id", "sha256"))
    categories = DataCategory.objects.count()
    call_command("load_policies")
    out = capsys.readouterr().out
    assert "new policy version" not in out
    assert "unchanged: sera-leads v1" in out
    assert list(PolicyVersion.objects.values_list("id", "sha256")) == versions
    assert DataCategory.objects.count() == categories


def test_the_loader_reports_the_gaps_it_found(policies: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_policies")
    out = capsys.readouterr().out
    assert "gap in leadoro: contacts.privacy" in out


def test_a_changed_file_cannot_take_an_earlier_date_and_nothing_is_half_loaded(policies: None, data_dir: Path) -> None:
    before = PolicyVersion.objects.count()
    # seerene changes correctly, but leadsment's change goes back in time: the whole load is refused.
    edit_vendor(data_dir, "seerene", lambda d: d["policy"].update(effective_date="2030-01-01"))
    edit_vendor(data_dir, "seerene", lambda d: d["categories"][0].update(description="changed"))
    edit_vendor(data_dir, "leadsment", lambda d: d["policy"].update(effective_date="2020-01-01"))
    with pytest.raises(CommandError, match="leadsment.yaml: policy: effective_date: the file changed since version 1"):
        call_command("load_policies", data_dir=data_dir)
    assert PolicyVersion.objects.count() == before


def test_a_correction_with_the_same_date_judges_new_requests_and_old_ones_keep_theirs(
    policies: None, data_dir: Path
) -> None:
    """An encoding fix (the vendor's text unchanged) loads as a new version of the same date: requests received
    from then on are judged by it; a request already received keeps the version it was judged by."""
    old = policy_in_force("leadsment", dt.date(2030, 1, 1))
    edit_vendor(data_dir, "leadsment", lambda d: d["promises"][0].update(amount=14))
    call_command("load_policies", data_dir=data_dir)
    corrected = policy_in_force("leadsment", dt.date(2030, 1, 1))
    assert (corrected.number, corrected.effective_date) == (2, old.effective_date)
    assert corrected.promises.get().amount == 14
    assert Vendor.objects.get(slug="leadsment").policy_in_force(dt.date(2030, 1, 1)) == corrected
    # Before the first date, the earliest text is still the one used: the correction of it.
    assert policy_in_force("leadsment", dt.date(2000, 1, 1)) == corrected
    old.refresh_from_db()
    assert old.promises.get().amount == 30


def test_a_changed_file_makes_a_new_version_and_requests_are_judged_by_the_version_in_force(
    policies: None, data_dir: Path
) -> None:
    old = policy_in_force("leadsment", dt.date(2030, 1, 1))
    edit_vendor(data_dir, "leadsment", lambda d: d["policy"].update(effective_date="2030-06-01"))
    edit_vendor(data_dir, "leadsment", lambda d: d["promises"][0].update(amount=14))
    call_command("load_policies", data_dir=data_dir)
    call_command("load_policies", data_dir=data_dir)  # twice: still one new version

    vendor = Vendor.objects.get(slug="leadsment")
    assert vendor.versions.count() == 2
    assert policy_in_force("leadsment", dt.date(2030, 5, 31)) == old
    new = policy_in_force("leadsment", dt.date(2030, 6, 1))
    assert new.number == 2
    assert new.promises.get().amount == 14
    assert old.promises.get().amount == 30
