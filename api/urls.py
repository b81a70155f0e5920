from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"
urlpatterns = [
    path("requests/", views.RequestList.as_view(), name="requests"),
    path("requests/batch/", views.RequestBatch.as_view(), name="batch"),
    path("requests/<str:reference>/", views.RequestDetail.as_view(), name="request"),
    path("requests/<str:reference>/withdraw/", views.RequestWithdraw.as_view(), name="withdraw"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
]
