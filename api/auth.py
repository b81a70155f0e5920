"""The API's authentication: `Authorization: Bearer dsr_<prefix>_<secret>` (the secret shown once)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request as ApiRequest

from . import services


class ClientAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: ApiRequest) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        client = services.authenticate(token.strip())
        if client is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API secret.")
        return client, None

    def authenticate_header(self, request: ApiRequest) -> str:
        return 'Bearer realm="api"'


class ClientAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How the schema describes the authentication: a bearer token."""

    target_class = "api.auth.ClientAuthentication"
    name = "clientSecret"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "The client's secret: dsr_<prefix>_<secret>."}
