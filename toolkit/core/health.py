"""Health checks for load balancers and orchestrators: /healthz (alive) and /readyz (can serve).

Both are open to anyone and say nothing beyond "ok" or which dependency is down.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from toolkit.core.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def alive():
    """The process is up and answering; it checks nothing else, so a slow database does not
    get healthy processes restarted."""
    return jsonify(status="ok")


@bp.get("/readyz")
def ready():
    """200 while the database answers, else 503: only the database stops the app serving.

    Redis, when configured, is checked too, but without it jobs run in the app and sign-in
    attempts are counted in the process: Redis down is "degraded", still 200, so that a Redis
    outage does not take every app host out of the load balancer.
    """
    checks = {"database": _check_database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    if checks["database"] != "ok":
        return jsonify(status="not ready", checks=checks), 503
    degraded = any(result != "ok" for result in checks.values())
    return jsonify(status="degraded" if degraded else "ready", checks=checks), 200


def _check_database() -> str:
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception as error:  # any failure means not ready; the kind is what operators need
        db.session.rollback()
        return f"failed: {type(error).__name__}"
    return "ok"


def _check_redis(url: str) -> str:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except RedisError as error:
        return f"failed: {type(error).__name__}"
    return "ok"
