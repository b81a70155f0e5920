"""A real browser for the tests that walk the product as people do: Debian's Chromium driven by Playwright
(through `executable_path`: nothing downloads a browser). Screenshots go to var/artifacts/browser/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# The real services, as the integration tests have them.
from tests.integration.conftest import celery_worker, smtp_server

__all__ = ["artifacts", "browser", "celery_worker", "smtp_server"]

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("DSR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts" / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"CI must run the browser tests: install Debian's chromium ({CHROMIUM} not found)")
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # The live server runs in this process; Playwright's sync API needs no running asyncio loop here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
