"""The product's URLs plus the bare view, which exists only in the bench (bench.settings)."""

from __future__ import annotations

from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

from .bare import bare_intake

urlpatterns = [path("bench/bare/", bare_intake, name="bench-bare"), *product_urlpatterns]
