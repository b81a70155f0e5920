"""`/health/` for the load balancer and the on-call: 200 when everything answers, 503 otherwise."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ..ops import health


@never_cache
def health_view(request: HttpRequest) -> JsonResponse:
    result = health.report(now=timezone.now())
    return JsonResponse(result, status=200 if result["ok"] else 503)
