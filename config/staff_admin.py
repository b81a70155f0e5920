"""The staff admin's site: Django's admin with the staff login of dsr.security.staff.

The login asks for the user name, the password and, for staff who have a TOTP device (every staff
member when DSR_STAFF_REQUIRE_2FA is on), the code from their authenticator app. Installed in place
of Django's default site (config.apps.StaffAdminConfig), so `admin.site` everywhere is this site.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        max_length=16,
        label="Code from your authenticator app",
        help_text="Only if you have set up a second factor (6 digits).",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        from dsr.security.staff import SecondFactorRefused, check_second_factor

        cleaned = super().clean()
        user = self.get_user()
        if user is not None:
            try:
                device = check_second_factor(user, cleaned.get("otp_token") or "")
            except SecondFactorRefused as exc:
                if exc.code == "wrong_code":  # a guessed code counts as a failed login (django-axes)
                    user_login_failed.send(
                        sender=type(self), credentials={"username": cleaned.get("username")}, request=self.request
                    )
                raise ValidationError(str(exc), code=exc.code) from None
            if device is not None:
                user.otp_device = device  # type: ignore[attr-defined]  # django-otp marks the session verified
        return cleaned


class StaffAdminSite(AdminSite):
    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        from dsr.security.staff import required_for

        if not super().has_permission(request):
            return False
        user = request.user
        return not required_for(user) or bool(getattr(user, "is_verified", lambda: False)())
