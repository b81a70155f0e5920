"""Django's admin app, with the staff login's site (config.staff_admin) as its default site."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "config.staff_admin.StaffAdminSite"
