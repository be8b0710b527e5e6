"""Error pages: a clear message in the site's layout, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from toolkit.core.transaction import rollback

SIGNED_OUT = _l("You are signed out. Sign in again, then retry.")


def register(app: Flask) -> None:
    """Render every HTTP error, a CSRF failure and any crash as a page of the site."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        rollback()
        if (
            not current_user.is_authenticated
            and request.accept_mimetypes.best == "application/json"
        ):
            # A script's request after the session ended (autosave): its token is stale because
            # the person is signed out, and that is what they need to hear.
            return _page(401, _("Not signed in"), str(SIGNED_OUT))
        message = _(
            "This form has expired or was sent from another page. Go back, reload the page and "
            "try again: nothing was saved."
        )
        return _page(400, _("The form could not be sent"), message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Raised, not returned: what the view changed is not committed (core/transaction.py).
        rollback()
        titles = {
            400: _("Bad request"),
            401: _("Not signed in"),
            403: _("Not allowed"),
            404: _("Page not found"),
            405: _("Not allowed"),
            413: _("Too much sent at once"),
            429: _("Too many attempts"),
        }
        messages = {
            400: _("The address or the form holds something the toolkit cannot use."),
            401: str(SIGNED_OUT),
            403: _("Your role does not give access to this page."),
            404: _("There is nothing at this address, or it is not shared with you."),
            405: _("This page cannot be used that way: follow a link or a button to it."),
            429: _("Too many attempts in a short time. Wait a few minutes and try again."),
        }
        if error.code == 413 and app.config["MAX_CONTENT_LENGTH"]:
            messages[413] = _(
                "What was sent is larger than %(size)s MB, the most the toolkit takes at once. "
                "Send less at a time, for example shorter texts: nothing was saved.",
                size=format_decimal(round(app.config["MAX_CONTENT_LENGTH"] / 2**20, 1)),
            )
        # A message given to abort() is written for the user; the defaults of werkzeug are not.
        custom = error.description if error.description != type(error).description else None
        if error.code == 429:
            custom = None  # Flask-Limiter's description is the bare limit, e.g. "10 per 1 minute".
        message = custom or messages.get(error.code, _("The request could not be completed."))
        return _page(
            error.code, titles.get(error.code, _("Error %(code)s", code=error.code)), message
        )

    @app.errorhandler(Exception)
    def crash(error):
        return failed("Unhandled error")


def failed(what: str):
    """Roll back, log the exception being handled, and say so."""
    rollback()
    current_app.logger.exception(what)
    return _page(
        500,
        _("Something went wrong"),
        _("The error has been logged. Nothing saved before is lost; try again in a moment."),
    )


def _page(code: int, title: str, message: str):
    """The error as a page; as problem details (RFC 9457) for the API; as JSON for scripts
    that ask for it (autosave)."""
    if request.path.startswith("/api/"):
        problem = jsonify(type="about:blank", title=title, status=code, detail=message)
        problem.mimetype = "application/problem+json"
        return problem, code
    if request.accept_mimetypes.best == "application/json":
        return jsonify(status="error", title=title, message=message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code
