"""The web and worker processes fork from a parent that has loaded the app, and keep sharing its pages:
the loaded objects are frozen out of the garbage collector first, whose scans would otherwise write to
every object and so copy every shared page into each child (docs/benchmarks.md: PSS and USS)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from celery import signals

from config import celery as celery_config
from config import gunicorn as gunicorn_config


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
