"""The protocol's paths under its API base (`/drp`, see directory.api_base): DRP v1.0 section 2."""

from django.urls import path, re_path

from . import views

app_name = "drp"

urlpatterns = [
    path("v1/agent/<str:agent_id>", views.agent_view, name="agent"),
    # Before 0.9.3 the exercise path ended with a slash; implementors may keep taking it (2.01).
    re_path(r"^v1/data-rights-request/?$", views.exercise_view, name="exercise"),
    path("v1/data-rights-request/<str:request_id>", views.status_view, name="status"),
]
