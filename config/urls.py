from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "DSR back office"
admin.site.site_title = "DSR back office"
admin.site.index_title = "Requests, vendors and policies"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The Data Rights Protocol for authorised agents (api.drp), its API base as the service directory lists it.
    path("drp/", include("api.drp.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("dsr.public.urls")),
]

# The REST API's and the protocol's clients get their errors in JSON, a 404 and a 500 too (api/errors.py).
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
