"""The web app: Flask, database, accounts, views, jobs and the command line."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request

from .config import load_config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: dict | None = None) -> Flask:
    """Create the application. It never creates tables: run `toolkit db upgrade`."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    load_config(app, config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from . import (
        api,
        assessments,
        auth,
        cities,
        errors,
        home,
        models,
        network,
        people,
        report_views,
        templating,
        users_cli,
    )
    from .demo import demo_command

    login_manager.user_loader(models.load_user)
    login_manager.request_loader(_api_token_user)
    for blueprint in (
        auth.bp,
        home.bp,
        people.bp,
        cities.bp,
        assessments.bp,
        report_views.bp,
        network.bp,
        api.bp,
    ):
        app.register_blueprint(blueprint)
    errors.register(app)
    templating.register(app)
    app.cli.add_command(users_cli.user_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(report_views.report_command)

    app.after_request(_commit_and_secure)
    return app


def _api_token_user(request):
    """The owner of a bearer token, for the JSON API only (pages use the session)."""
    if not request.path.startswith("/api/"):
        return None
    from .api import token_user

    return token_user(request.headers.get("Authorization"))


def _locale() -> str | None:
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def _commit_and_secure(response):
    """The request boundary: commit what the view flushed, and set the security headers."""
    if response.status_code < 400:
        db.session.commit()
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
