"""The staff admin: screens that read through dsr.requests.selectors and act through the services."""

from . import intake, outbox, policies, replies, requests, staff

__all__ = ["intake", "outbox", "policies", "replies", "requests", "staff"]
