"""The staff admin: screens that read through dsr.requests.selectors and act through the services."""

from . import outbox, requests, staff

__all__ = ["outbox", "requests", "staff"]
