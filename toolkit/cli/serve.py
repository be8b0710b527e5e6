"""`toolkit serve`: the production server, gunicorn with the settings of `gunicorn_settings.py`."""

from __future__ import annotations

import os
import sys

import click


@click.command("serve")
@click.option("--bind", "-b", help="host:port to listen on (default: $BIND or 127.0.0.1:8000).")
@click.option("--workers", "-w", type=int, help="worker processes (default: $WEB_CONCURRENCY).")
def serve_command(bind: str | None, workers: int | None) -> None:
    """Serve the app with gunicorn. It refuses to start without a real SECRET_KEY."""
    arguments = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:toolkit.cli.gunicorn_settings",
    ]
    if bind:
        arguments += ["--bind", bind]
    if workers:
        arguments += ["--workers", str(workers)]
    # gunicorn takes over this process: signals from the service manager reach it directly.
    os.execv(sys.executable, arguments)
