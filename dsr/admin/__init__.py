"""The staff admin: screens that read through dsr.requests.selectors and act through the services."""

from . import intake, outbox, replies, requests, staff

__all__ = ["intake", "outbox", "replies", "requests", "staff"]
