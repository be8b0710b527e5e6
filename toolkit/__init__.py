"""The web app: Flask, database, accounts, views, jobs and the command line."""

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Create the application."""
    app = Flask(__name__)
    app.config.update(config or {})
    return app
