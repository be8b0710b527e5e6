"""The request's transaction: one commit at the request boundary, unless an exception was raised.

A view never commits: whatever it returns is committed after it (a 401 that keeps the audit
event of a failed sign-in, a 409 that keeps the answers without a conflict); an exception it
raises (`abort(...)` included) rolls back what it changed, in the error handler. Work that
another process must see committed first (a background job's row) waits in `after_commit`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, g, has_request_context, make_response

from toolkit.core import errors
from toolkit.core.extensions import db


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once what the session holds is committed: after the request's commit, or
    at once outside a request (a command, a worker, a benchmark)."""
    if has_request_context():
        g.setdefault("after_commit", []).append(callback)
    else:
        db.session.commit()
        callback()


def commit(response: Response) -> Response:
    """Commit what the request changed, then run what waited for it. If the database refuses,
    roll back, log, and answer the site's 500 in the route's format instead of `response`;
    what waited for the commit is dropped."""
    waiting = g.pop("after_commit", [])
    try:
        db.session.commit()
    except Exception:
        return make_response(errors.failed("The commit failed"))
    for callback in waiting:
        callback()
    return response
