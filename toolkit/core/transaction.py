"""The request's transaction: one commit at the request boundary, unless an exception was raised.

A view never commits: whatever it returns is committed after it (a 401 that keeps the audit
event of a failed sign-in, a 409 that keeps the answers without a conflict); an exception it
raises (`abort(...)` included) rolls back what it changed, in the error handler, and drops what
waited for the commit. Work that another process must see committed first (a background job's
row) waits in `after_commit`, and commits its own work when it runs.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, has_request_context

from toolkit.core.extensions import db


def commit_when_done() -> None:
    """Commit now in a worker or a command; in a request the request boundary commits."""
    if not has_request_context():
        db.session.commit()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once what the session holds is committed: after the request's commit, or
    at once outside a request (a command, a worker, a benchmark)."""
    if has_request_context():
        g.setdefault("after_commit", []).append(callback)
    else:
        db.session.commit()
        callback()


def commit() -> list[Callable[[], None]]:
    """Commit what the request changed, and hand back what waited for the commit, to run now.
    If the database refuses, the error propagates (the caller rolls back and says so) and what
    waited is dropped."""
    waiting = g.pop("after_commit", [])
    db.session.commit()
    return waiting


def rollback() -> None:
    """Undo what the request changed (it raised), and drop what waited for the commit."""
    db.session.rollback()
    g.pop("after_commit", None)
