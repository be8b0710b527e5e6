"""Configuration: defaults, then the instance file, then the environment, then `create_app`'s."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEFAULTS = {
    # The languages offered (toolkit/i18n/languages.py names them): English, the source, and
    # the main languages of the ASEAN member states.
    "LANGUAGES": ["en", "id", "vi", "th", "ms", "fil", "km", "lo", "my"],
    "BABEL_DEFAULT_LOCALE": "en",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    # A sign-in without "keep me signed in" ends after this many hours without a request.
    "SESSION_IDLE_HOURS": 12,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # With Redis down, sign-in keeps working, limited per process instead of per network.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "INVITATION_DAYS": 7,
    "PASSWORD_RESET_HOURS": 48,
    "WTF_CSRF_TIME_LIMIT": None,
    # Background jobs: a running job whose heartbeat is older than this was lost and restarts;
    # a report of more questions, an export of more rows, a network PDF of more cities, is made
    # in the background.
    "JOB_STALL_SECONDS": 60,
    "REPORT_JOB_QUESTIONS": 60,
    "EXPORT_JOB_ROWS": 20_000,
    "NETWORK_REPORT_JOB_CITIES": 100,
    # Rendered questions of area pages kept per process (toolkit/core/page_cache.py); 0 keeps none.
    "PAGE_CACHE_MB": 32,
    # The largest request body, in bytes (a larger one gets a 413). The largest form is the
    # detailed questionnaire's review page: 138 notes of 4000 characters, in Thai sent
    # percent-encoded (9 bytes a character), is 5 MB.
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
    # Files attached to answers (toolkit/evidence/): the largest, in MB (the upload alone may
    # be that large); where they are kept (None: in the database, else a directory); a virus
    # scanner run with each file on its standard input (exit 0 clean, 1 infected) and how long
    # it may take.
    "EVIDENCE_MAX_MB": 10,
    "EVIDENCE_STORE": None,
    "EVIDENCE_SCAN_COMMAND": None,
    "EVIDENCE_SCAN_SECONDS": 60,
    # Email of notifications (toolkit/notifications/mail.py): no MAIL_SERVER, no email.
    # MAIL_SECURITY is "none", "starttls" or "tls"; MAIL_TIMEOUT (seconds) bounds how long a
    # step waits for a slow server before leaving its mail to `toolkit notifications send`.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SECURITY": "none",
    "MAIL_FROM": "toolkit@localhost",
    "MAIL_TIMEOUT": 5,
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host.
    "TRUSTED_PROXIES": 0,
}

# Values seen in examples and tutorials: a key anyone can read is no key.
PLACEHOLDER_SECRETS = {"dev", "secret", "change-me", "changeme", "replace-me", "test-secret"}
MIN_SECRET_LENGTH = 32


class InsecureConfig(RuntimeError):
    """The configuration is not safe for serving users; the message says what to set."""


def load_config(app: Flask, overrides: dict | None) -> None:
    """Fill `app.config` in order: defaults, `instance/config.py`, environment, `overrides`."""
    app.config.update(DEFAULTS)
    # None until a setting says otherwise: then Secure unless debugging (plain http locally).
    app.config["SESSION_COOKIE_SECURE"] = None
    app.config["REMEMBER_COOKIE_SECURE"] = None
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
        Path(app.instance_path) / "toolkit.db"
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TOOLKIT")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("REDIS_URL") and "RATELIMIT_STORAGE_URI" not in (overrides or {}):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.debug
    if app.config["REMEMBER_COOKIE_SECURE"] is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        app.config["SECRET_KEY_FROM_INSTANCE"] = True


def require_secret_key(app: Flask) -> None:
    """Refuse to serve outside debug mode without a real, shared `SECRET_KEY`.

    The key kept in the instance folder is fine on a developer's machine, but every app host
    would make its own, and sessions would break from one host to the next.
    """
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if app.config.get("SECRET_KEY_FROM_INSTANCE") or not key:
        problem = "SECRET_KEY is not set"
    elif str(key).lower() in PLACEHOLDER_SECRETS or len(str(key)) < MIN_SECRET_LENGTH:
        problem = f"SECRET_KEY is a placeholder or shorter than {MIN_SECRET_LENGTH} characters"
    else:
        return
    raise InsecureConfig(
        f"{problem}. Set the same long random value on every app host, for example the output "
        "of: python3 -c 'import secrets; print(secrets.token_hex(32))' (see DEPLOY.md)."
    )


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the conventional way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance: Path) -> str:
    """A secret key kept in the instance folder, so sessions survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def public_request_context(app: Flask):
    """A request context on the site's public address (`BASE_URL`), to build the links that
    leave without a request: those a command prints, those an email carries."""
    return app.test_request_context(base_url=app.config.get("BASE_URL", "http://127.0.0.1:5000"))
