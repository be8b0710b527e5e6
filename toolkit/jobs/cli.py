"""`toolkit worker`: a worker that runs background jobs from Redis."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from toolkit.core.extensions import db
from toolkit.jobs.service import recover_stalled, redis_queue

log = logging.getLogger("toolkit.jobs")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL); start as many as the hosts can carry.

    Each worker also watches for jobs whose worker was lost, and starts them again.
    """
    from rq import SimpleWorker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the app, no worker needed."
        )
    from redis.exceptions import RedisError

    queue = redis_queue(url)
    try:
        queue.connection.ping()
    except RedisError as error:
        # The error names host and port; the URL could carry a password.
        raise click.ClickException(f"Redis cannot be reached: {error}") from None
    app = current_app._get_current_object()
    threading.Thread(target=_watch, args=(app,), daemon=True).start()
    # SimpleWorker runs each part in this process: a part dies with its worker, and its
    # database connections are never shared with a forked child.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)


def _watch(app: Flask) -> None:
    """Look for stalled jobs now and then, for as long as the worker runs."""
    interval = max(1, app.config["JOB_STALL_SECONDS"] // 3)
    while True:
        time.sleep(interval)
        with app.app_context():
            try:
                recover_stalled()
            except Exception:
                log.exception("looking for stalled jobs failed")
            finally:
                db.session.remove()
