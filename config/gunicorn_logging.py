"""gunicorn's logger, with the tokens of signed links removed from access-log lines.

A status, verification, responder or download link is a bearer secret: whoever reads the access log
must not be able to replay it.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from dsr.ops.logcontext import scrub_tokens


class ScrubbingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = scrub_tokens(atoms[key])
        return atoms
