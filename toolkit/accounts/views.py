"""Signing in and out, setting a password through a one-time link, and the account page where
people see the devices they are signed in on and sign them out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from toolkit.accounts import service as accounts
from toolkit.accounts.forms import EmailChoiceForm, LoginForm, SetPasswordForm
from toolkit.core.extensions import limiter
from toolkit.i18n.service import SESSION_KEY as LANGUAGE_KEY
from toolkit.i18n.service import adopt_language

bp = Blueprint("auth", __name__, url_prefix="/auth")
account = Blueprint("account", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The sign-in page. Every failure says the same, so accounts cannot be discovered."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append(_("Invalid email or password."))
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so a link elsewhere cannot sign anyone out): the
    sign-in session ends on the server, so no copy of its cookies works any more."""
    accounts.end_session(accounts.current_session(), current_user)
    return _signed_out(_("You are signed out."))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    """Accept an invitation or a password reset: choose a password, then sign in."""
    link = accounts.valid_link(token)
    if link is None:
        abort(
            404,
            _(
                "This link has expired or was already used. Ask your city lead or an "
                "administrator for a new one."
            ),
        )
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = accounts.use_link(link, form.password.data)
        _start_session(user)
        flash(_("Your password is set. Welcome, %(name)s.", name=user.name), "success")
        return redirect(url_for("home.index"))
    return render_template("auth/set_password.html", form=form, link=link)


@account.get("")
@login_required
def index():
    """The person's account: the devices they are signed in on, each with a sign-out button."""
    return _account_page(EmailChoiceForm(email_notifications=current_user.email_notifications))


@account.post("/email")
@login_required
def email_choice():
    """Choose how notifications come by email: each at once, a daily digest, or none."""
    form = EmailChoiceForm()
    if not form.validate_on_submit():
        return _account_page(form), 400
    accounts.set_email_choice(current_user, form.email_notifications.data)
    flash(_("Your choice of email is saved."), "success")
    return redirect(url_for("account.index", _anchor="email"), 303)


def _account_page(email_form: EmailChoiceForm):
    return render_template(
        "auth/account.html",
        sessions=accounts.open_sessions(current_user),
        this_session=accounts.current_session(),
        email_form=email_form,
        mail_configured=bool(current_app.config.get("MAIL_SERVER")),
    )


@account.post("/sessions/<int:session_id>/sign-out")
@login_required
def end_session(session_id: int):
    """Sign out one of one's own devices (this one included)."""
    this = accounts.current_session()
    row = next((s for s in accounts.open_sessions(current_user) if s.id == session_id), None)
    if row is None:
        abort(404)
    accounts.end_session(row, current_user)
    if row is this:
        return _signed_out(_("You are signed out."))
    flash(_("That device is signed out."), "success")
    return redirect(url_for("account.index"))


@account.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """Sign out on every device, remembered ones too, this one included."""
    accounts.end_every_session(current_user, current_user)
    return _signed_out(_("You are signed out on every device."))


def _start_session(user, remember: bool = False) -> None:
    """Sign `user` in on a fresh session. Nothing of the session before carries over: not its
    CSRF token, not a session an attacker planted, not whoever was signed in before; only the
    language this person chose on the sign-in page, if their account has none yet."""
    chosen = session.get(LANGUAGE_KEY)
    session.clear()
    logout_user()  # forgets the remember-me cookie of whoever was signed in before
    accounts.start_session(user, request.user_agent.string, remembered=remember)
    login_user(user, remember=remember)
    adopt_language(user, chosen)


def _signed_out(message: str):
    """Forget the session in this browser and send it to the sign-in page. The browser also
    drops what the site keeps in its storage (unsent answers of the offline queue), so the next
    person on a shared computer finds nothing of this one."""
    session.clear()
    logout_user()  # after clear(): it marks a remember-me cookie for deletion in the session
    flash(message, "success")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an address elsewhere (open redirect)."""
    if target:
        try:
            parts = urlsplit(target)
        except ValueError:  # such as an unclosed "[" of an IPv6 host
            return url_for("home.index")
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("home.index")
