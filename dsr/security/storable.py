"""What of a value from a URL, a query string or a header the database can hold, and look up.

PostgreSQL's text holds no NUL (U+0000): a query comparing a column with a value that holds one, or storing
one, fails (a server error). A lookup by such a value asks `storable` first and answers as for a value no row
has: "not found" for a reference or an id, "not valid" for a filter; a record of what was asked (the API's
call log) keeps `storable_text` of it. (The forms and the API's serializers refuse NUL on their own.)
"""

from __future__ import annotations

NUL = "\x00"


def storable(value: str) -> bool:
    """Whether a text column could hold `value` (so that a row could have it)."""
    return NUL not in value


def storable_text(value: str) -> str:
    """`value` as a text column can hold it: each NUL written as it comes in a URL, %00."""
    return value.replace(NUL, "%00")
