"""The public pages, at the site root (config/urls.py includes this module)."""

from __future__ import annotations

from django.urls import path, register_converter

from . import health, views


class ReferenceConverter:
    """A request reference as dsr.models.new_reference makes it: DSR- and 8 unambiguous characters."""

    regex = "DSR-[A-HJ-NP-Z2-9]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "reference")

app_name = "dsr"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health.health_view, name="health"),
    path("request/sent/<reference:reference>/", views.sent, name="sent"),
    path("request/received/<reference:reference>/", views.accepted, name="accepted"),
    path("request/<slug:slug>/", views.request_form, name="request"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("status/<str:token>/", views.status, name="status"),
    path("respond/<str:token>/", views.respond, name="respond"),
    path("authority/<str:token>/", views.authority, name="authority"),
    path("download/<str:token>/", views.download, name="download"),
]
