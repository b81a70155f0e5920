"""Text in a CSV cell that a spreadsheet shows and never runs (OWASP: CSV injection).

A spreadsheet runs a cell that starts with one of FORMULA_STARTS as a formula, so what a person or an agent
typed (an email address, a name, a data row) could run in the hands of whoever opens the file. Such a cell
gets a single quote in front: the text is all there, and is shown, not run. Every CSV we hand out writes its
text through `cell`: an answer package's data (dsr.packages.contents) and a request's evidence
(dsr.requests.evidence).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """`text` as a CSV cell: quoted in front if a spreadsheet would run it as a formula, else as it is."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
