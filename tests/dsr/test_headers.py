"""Every page, whoever wrote it, leaves with the security headers; pages reached by a signed link are
never stored; Django's debug pages answer this machine only.

The walk reads the URL list itself (config.urls), so a page added later is walked without a change here.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from dsr.security.tokens import make_token
from tests.factories import routed

ROOT = Path(__file__).resolve().parents[2]

# A sample for each URL argument, by name (anything else gets "1").
SAMPLES = {
    "slug": "leadsment",
    "reference": "DSR-ABCDEFGH",
    "app_label": "dsr",
    "url": "x",
}


def walk(patterns: list[Any], prefix: str = "", kinds: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(a path, the names of its arguments) for every URL pattern, its arguments filled with samples."""
    for entry in patterns:
        route, names = _route(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + route, kinds + names)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + route, kinds + names


def _route(pattern: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(pattern, RoutePattern):
        text = str(pattern._route)
        names = tuple(re.findall(r"<(?:\w+:)?(\w+)>", text))
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES.get(m.group(1), "{" + m.group(1) + "}"), text), names
    assert isinstance(pattern, RegexPattern)
    text = str(pattern._regex).lstrip("^").rstrip("$").replace("\\Z", "")
    names = tuple(re.findall(r"\(\?P<(\w+)>", text))
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES.get(m.group(1), "1"), text)
    return re.sub(r"[()?*+|\\]", "", text), names


def paths(token: str) -> list[tuple[str, bool]]:
    """Every URL of the site, once, with whether it is reached by a signed link (a `token` argument)."""
    seen: dict[str, bool] = {}
    for path, names in walk(get_resolver().url_patterns):
        path = path.replace("{token}", token)
        path = re.sub(r"\{\w+\}", "1", path)
        seen.setdefault(path, "token" in names)
    return sorted(seen.items())


def production(settings: Any) -> None:
    """The HTTPS settings a deploy runs with (tests/conftest.py turns them off for plain HTTP)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_SECURE = True


def assert_security_headers(path: str, response: Any) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp, (path, response.status_code, csp)
    assert "unsafe-inline" not in csp, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert "max-age=" in response.headers.get("Strict-Transport-Security", ""), path


@pytest.mark.django_db
def test_every_page_has_the_security_headers_and_token_pages_are_never_stored(settings: Any, policies: None) -> None:
    production(settings)
    request = routed()
    token = make_token("status", request.reference)
    staff = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-pass-phrase-1")
    walked = paths(token)
    assert len(walked) > 40  # the public pages, the admin's, the language switch
    assert any(by_token for _, by_token in walked)
    for visitor in ("anonymous", "staff"):
        client = Client()
        if visitor == "staff":
            client.force_login(staff)
        for path, by_token in walked:
            response = client.get(path, secure=True)
            assert response.status_code != 500, (visitor, path)  # /health/ may say 503: no worker here
            assert_security_headers(path, response)
            if by_token:
                assert "no-store" in response.headers.get("Cache-Control", ""), (visitor, path)
    # Plain HTTP is sent to HTTPS, with the headers too.
    response = Client().get("/", secure=False)
    assert response.status_code == 301 and response["Location"].startswith("https://")


@pytest.mark.django_db
def test_a_valid_status_link_and_a_wrong_one_are_both_never_stored(policies: None) -> None:
    request = routed()
    for token in (make_token("status", request.reference), "not-a-token"):
        response = Client().get(f"/status/{token}/")
        assert response.status_code in (200, 400)
        cache = response.headers.get("Cache-Control", "")
        assert "no-store" in cache and "private" in cache, (token, cache)
    assert "no-store" not in Client().get("/").headers.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_language_cookie_is_https_only_not_for_other_sites_and_not_for_scripts(
    settings: Any, policies: None
) -> None:
    production(settings)
    response = Client().post("/i18n/setlang/", {"language": "de", "next": "/"}, secure=True)
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de"
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True


@pytest.mark.django_db
def test_debug_pages_answer_this_machine_only(settings: Any, policies: None) -> None:
    settings.DEBUG = True
    assert Client().get("/", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/", REMOTE_ADDR="::1").status_code == 200
    assert Client().get("/", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.DEBUG = False
    assert Client().get("/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_no_page_template_carries_inline_style_or_script() -> None:
    """The policy allows no inline style or script: they go in static files (dsr/static/)."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        parts = template.relative_to(ROOT / "templates").parts
        if "emails" in parts or parts[0] == "packages":
            continue  # emails are read in mail clients, the cover letter from the ZIP: neither is served
        text = template.read_text()
        if re.search(r"<style|\sstyle=|<script>|<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son\w+=", text):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_the_development_servers_access_lines_have_the_tokens_cut_out() -> None:
    """runserver (bin/run) logs every path through django.server: a status link must not reach the log."""
    token = make_token("status", "DSR-ABCDEFGH")
    handlers = [
        handler
        for handler in logging.getLogger("django.server").handlers
        if isinstance(handler, logging.StreamHandler) and type(handler).__module__ == "logging"
    ]
    assert handlers  # runserver's own handler, or the project's console
    for handler in handlers:
        written = io.StringIO()
        previous = handler.setStream(written)
        try:
            logging.getLogger("django.server").info('"%s" %s %s', f"GET /status/{token}/ HTTP/1.1", 200, 512)
        finally:
            handler.setStream(previous)
        assert "/status/[token]/" in written.getvalue()
        assert token not in written.getvalue()
