"""gunicorn, as deployed: `gunicorn -c config/gunicorn.py config.wsgi` (bin/serve does this).

Sync workers: every request is short (a form, a page, a signed link) and the database does the
waiting. The app is loaded once before forking, so workers share its memory.
https://docs.gunicorn.org/en/stable/settings.html
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy in front of us may set X-Forwarded-* (HTTPS detection); the rate limits read the
# client address through DSR_TRUSTED_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log to stdout, with the signed-link tokens cut out of every path (they are bearer secrets).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
logger_class = "config.gunicorn_logging.ScrubbingLogger"


def pre_fork(server: Any, worker: Any) -> None:
    """Before each worker is forked, the loaded app's objects move to the garbage collector's permanent
    generation: a worker's collections then never write to them, so the pages it shares with the master
    stay shared instead of being copied into every worker (CPython's collector marks what it scans)."""
    gc.freeze()
