"""Authorised agents and the vendors each may act for (managed by superusers, like the vendor teams).

Staff register an agent from the agent directory (its id, name, verify key) and the vendors it may file for;
only then can the agent set up its token for a vendor (POST /drp/v1/agent/{agent-id}). Tokens are never shown:
the agent gets its own by signing, and only their digests are stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from .models import Agent, Registration


class SuperuserOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class RegistrationInline(SuperuserOnly, admin.TabularInline[Registration, Agent]):
    model = Registration
    extra = 1
    fields = ("vendor", "token_issued_at")
    readonly_fields = ("token_issued_at",)


@admin.register(Agent)
class AgentAdmin(SuperuserOnly, admin.ModelAdmin[Agent]):
    list_display = ("agent_id", "name", "email", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("agent_id", "name")
    inlines = [RegistrationInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
