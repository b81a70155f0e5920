"""The web and worker processes fork from a parent that has loaded the app, and keep sharing its pages:
the loaded objects are frozen out of the garbage collector first, whose scans would otherwise write to
every object and so copy every shared page into each child (docs/benchmarks.md: PSS and USS)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import signals

from config import celery as celery_config
from config import gunicorn as gunicorn_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_gunicorn_freezes_the_loaded_app_before_forking_each_worker() -> None:
    assert gc.get_freeze_count() == 0
    gunicorn_config.pre_fork(None, None)
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("unfrozen")
def test_a_celery_worker_freezes_what_it_loaded_before_its_pool_forks() -> None:
    assert celery_config._freeze_before_fork in signals.worker_init._live_receivers(None)
    assert gc.get_freeze_count() == 0
    celery_config._freeze_before_fork()
    assert gc.get_freeze_count() > 0


def test_a_celery_worker_starts_without_loading_the_web_side() -> None:
    """Celery's start-up runs Django's system checks unless told not to; their URL checks import every view,
    form and the REST framework, which a worker never serves (24 MiB of each worker, issue #8)."""
    code = """
import sys
from celery.fixups.django import DjangoWorkerFixup
from config.celery import app
DjangoWorkerFixup(app).validate_models()
from config.celery import app
app.loader.import_default_modules()
web = ("rest_framework.views", "drf_spectacular.views", "api.views", "dsr.public.views")
print(sorted(m for m in web if m in sys.modules))
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_SKIP_CHECKS", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
