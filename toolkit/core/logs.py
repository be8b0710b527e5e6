"""Structured logs: one JSON object per line, for the hosts' log collector.

Every request gets a line (method, route, status, duration, user, request id); audit events
are rows of the database (core/audit.py), not log lines. The request id comes from the reverse
proxy's X-Request-ID when it sends one, and is returned in the response, so a user's report can
be traced across hosts.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request
from flask_login import current_user

requests_log = logging.getLogger("toolkit.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and its `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def register(app: Flask) -> None:
    """Log every request of `app` as JSON on standard error (tests keep Python's default)."""
    if not app.testing:
        configure()
    # First of all, so that a request refused by an earlier check (CSRF, rate limit) is timed
    # and carries its id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_log_request)


def configure() -> None:
    """Send the toolkit's logs, as JSON lines, to standard error (once per process)."""
    logger = logging.getLogger("toolkit")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex


def _log_request(response):
    started = g.get("request_started")
    rule = request.url_rule
    # Links that carry a secret in their path (password links) are logged by their pattern.
    path = rule.rule if rule is not None and "token" in rule.arguments else request.path
    fields = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": path,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        # The number alone: the id Flask-Login keeps also holds the session's secret key.
        "user_id": current_user.id if current_user.is_authenticated else None,
        "remote_addr": request.remote_addr,
        "bytes": response.calculate_content_length(),
    }
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    requests_log.log(level, "request", extra={"fields": fields})
    if g.get("request_id"):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response
