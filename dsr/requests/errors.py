"""Errors the services raise for a person or staff to read."""

from __future__ import annotations


class DomainError(Exception):
    """A state change that is not allowed now. The message is shown to the person as it is."""
