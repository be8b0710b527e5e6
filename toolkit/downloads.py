"""Files sent to be saved rather than shown: reports, ZIPs of reports, exports."""

from __future__ import annotations

from flask import Response


def attachment(content, mimetype: str, name: str) -> Response:
    """`content` (bytes, or chunks to stream) as the file `name`; no shared cache keeps it,
    since it holds cities' data."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
