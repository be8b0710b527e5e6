"""Files sent to be saved rather than shown: reports, ZIPs of reports, exports, evidence files.
Every download goes through `attachment`."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response


def attachment(content, mimetype: str, name: str) -> Response:
    """`content` (bytes, or chunks to stream) as the file `name`. It holds cities' data, so no
    cache keeps it: the request boundary sends every signed-in response with `no-store`."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(name)
    return response


def _disposition(name: str) -> str:
    """`attachment` with the file's name as RFC 6266 gives it: a name beyond ASCII letters,
    digits and `-._~` (a Thai name, a space, a quote) in UTF-8 as `filename*`, and in ASCII
    for browsers that do not read it, a quote as an apostrophe and anything else as `_`."""
    encoded = quote(name, safe="")
    plain = re.sub(r"[^ !#-\[\]-~]", "_", name.replace('"', "'"))
    if encoded == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"
