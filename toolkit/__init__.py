"""The web app: Flask, database, accounts, views, jobs and the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask, make_response, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from toolkit.core import errors, page_cache, transaction
from toolkit.core.config import InsecureConfig, load_config, require_secret_key
from toolkit.core.extensions import babel, csrf, db, limiter, login_manager, migrate
from toolkit.i18n.service import page_language

HERE = Path(__file__).resolve().parent

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

HSTS = "max-age=31536000; includeSubDomains"  # a year


def create_app(config: dict | None = None) -> Flask:
    """Create the application. It never creates tables: run `toolkit db upgrade`."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        # templates/ sits at the top of the project; toolkit/templates links to it, so the
        # package (and the wheel) carries it.
        template_folder="templates",
    )
    load_config(app, config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(HERE / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=page_language)
    limiter.init_app(app)
    login_manager.init_app(app)
    page_cache.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from toolkit.accounts import service as accounts
    from toolkit.accounts import views as auth
    from toolkit.accounts.cli import user_cli
    from toolkit.actions import views as actions
    from toolkit.api import views as api
    from toolkit.assessments import views as assessments
    from toolkit.cities import views as cities
    from toolkit.cli.demo import demo_command
    from toolkit.cli.serve import serve_command
    from toolkit.core import guards, health, logs, templating
    from toolkit.evidence import views as evidence
    from toolkit.frameworks import views as frameworks
    from toolkit.home import views as home
    from toolkit.i18n import views as i18n
    from toolkit.i18n.cli import i18n_cli
    from toolkit.jobs import views as jobs
    from toolkit.jobs.cli import worker_command
    from toolkit.network import views as network
    from toolkit.notifications import views as notifications
    from toolkit.notifications.cli import notifications_cli
    from toolkit.people import views as people
    from toolkit.reporting import views as reporting
    from toolkit.reporting.cli import report_command

    login_manager.user_loader(accounts.load_user)
    login_manager.request_loader(_api_token_user)
    guards.register(app)
    for blueprint in (
        health.bp,
        auth.bp,
        auth.account,
        home.bp,
        i18n.bp,
        people.bp,
        cities.bp,
        assessments.bp,
        evidence.bp,
        reporting.bp,
        actions.bp,
        network.bp,
        frameworks.bp,
        jobs.bp,
        api.bp,
        notifications.bp,
    ):
        app.register_blueprint(blueprint)
    errors.register(app)
    templating.register(app)
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(report_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(i18n_cli)
    app.cli.add_command(notifications_cli)

    app.after_request(_commit_and_secure)
    # After-request functions run last-registered first: the log line is written before the
    # commit expires the signed-in user, whose id it names.
    logs.register(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def serving_app() -> Flask:
    """The app as gunicorn serves it (`toolkit:serving_app()`): refuses an unsafe SECRET_KEY."""
    app = create_app()
    try:
        require_secret_key(app)
    except InsecureConfig as error:
        sys.stderr.write(f"toolkit: refusing to start: {error}\n")
        # 3 is gunicorn's "worker failed to boot": it stops instead of retrying forever.
        raise SystemExit(3) from None
    return app


def _api_token_user(request):
    """The owner of a bearer token, for the JSON API only (pages use the session)."""
    if not request.path.startswith("/api/"):
        return None
    from toolkit.api.service import token_user

    return token_user(request.headers.get("Authorization"))


def _commit_and_secure(response):
    """The request boundary: commit what the view changed (unless it raised: see
    core/transaction.py), and set the security headers."""
    # Asked before the commit: afterwards the user's row is expired and reading it would open
    # a new transaction that outlives the request.
    signed_in = current_user.is_authenticated
    try:
        waiting = transaction.commit()
    except Exception:
        response = make_response(errors.failed("The commit failed"))
    else:
        for callback in waiting:
            callback()
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:  # https, directly or as a trusted proxy says (ProxyFix)
        response.headers["Strict-Transport-Security"] = HSTS
    # A city's data, or anything only a signed-in person sees, is kept by no cache: not a
    # proxy's, not the browser's (the back button after signing out on a shared computer).
    # Static files (the site's, the report's) stay cacheable.
    static = (request.endpoint or "").rpartition(".")[2] == "static"
    if (request.path.startswith("/api/") or (not static and signed_in)) and "no-store" not in (
        response.headers.get("Cache-Control", "")
    ):
        response.headers["Cache-Control"] = "no-store"
    if not static:  # a page's language follows the browser's until the person chooses
        response.vary.add("Accept-Language")
    return response
