"""Migration 0020: each request's one relationship becomes its set of relationships, and nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("dsr", "0020_new_request_types")]
AFTER = [("dsr", "0021_request_relationships")]


def migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_each_rows_relationship_is_kept_as_its_set_and_restored_on_the_way_back() -> None:
    call_command("load_policies", verbosity=0)
    try:
        apps = migrate(BEFORE)
        Request = apps.get_model("dsr", "Request")
        version = apps.get_model("policies", "PolicyVersion").objects.get(vendor__slug="sera-leads")
        common = {"vendor_id": version.vendor_id, "policy_version_id": version.pk, "country": "EE"}
        Request.objects.create(reference="DSR-OLD00001", relationship="customer_data_subject", **common)
        Request.objects.create(reference="DSR-OLD00002", relationship="website_visitor", **common)

        apps = migrate(AFTER)
        Request = apps.get_model("dsr", "Request")
        assert dict(Request.objects.values_list("reference", "relationships")) == {
            "DSR-OLD00001": ["customer_data_subject"],
            "DSR-OLD00002": ["website_visitor"],
        }

        apps = migrate(BEFORE)
        Request = apps.get_model("dsr", "Request")
        assert dict(Request.objects.values_list("reference", "relationship")) == {
            "DSR-OLD00001": "customer_data_subject",
            "DSR-OLD00002": "website_visitor",
        }
    finally:
        # Every app back to its latest state: going back in dsr also unapplied the apps that depend on it (api).
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
