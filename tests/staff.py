"""Staff members of one vendor's team, logged in, for the admin tests of the dashboard and the reports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import StaffMembership
from policies.models import Vendor


def member(username: str, vendor: str = "leadsment", role: str = "handler") -> Any:
    """A staff member of `vendor`'s team only: sees that vendor's requests, none of another's."""
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug=vendor), role=role)
    return user


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
