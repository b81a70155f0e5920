"""Settings for `make bench` only: the product's settings, the bench URLconf (with the bare view) and one
trusted proxy hop, so the load generator can give each simulated person their own address (X-Forwarded-For)
and the rate limits count per person, as they would in production behind a proxy."""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DSR_TRUSTED_PROXY_HOPS = 1
