"""Files sent to be saved rather than shown: reports, ZIPs of reports, exports."""

from __future__ import annotations

from flask import Response


def attachment(content, mimetype: str, name: str) -> Response:
    """`content` (bytes, or chunks to stream) as the file `name`. It holds cities' data, so no
    cache keeps it: the request boundary sends every signed-in response with `no-store`."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
