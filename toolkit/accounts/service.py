"""Accounts: creating users, one-time links to set a password, signing in and the sign-in
sessions of each device."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from toolkit.accounts.models import CITY_ROLES, AccountLink, SignInSession, User
from toolkit.cities.models import City
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow

MIN_PASSWORD_LENGTH = 10
# A session's "last seen" is written at most this often: not a database write per request.
LAST_SEEN_EVERY = timedelta(minutes=5)
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link just created: the raw token is shown once and never stored."""

    token: str
    user: User
    purpose: str
    expires_at: datetime


def normalise_email(email: str) -> str:
    """Emails compare without case and surrounding spaces."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with this email, if any."""
    return db.session.execute(
        db.select(User).filter_by(email=normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None whatever was wrong.

    Every attempt is audited: a failure as `sign_in_failed` with the email given (never the
    password), on the user when the email is theirs.
    """
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        User(password_hash=_dummy_hash()).check_password(password)
        record("sign_in_failed", email=email)
        return None
    if not user.check_password(password) or not user.active:
        record("sign_in_failed", user, email=email)
        return None
    user.last_sign_in_at = utcnow()
    record("sign_in", user, user=user)
    return user


def create_user(
    email: str,
    name: str,
    role: str,
    city: City | None,
    by: User | None,
    password: str | None = None,
) -> User:
    """Create a user; without a password they sign in after following an invitation link."""
    if find_user(email) is not None:
        raise AccountError(f"There is already an account for {normalise_email(email)}.")
    if (role in CITY_ROLES) != (city is not None):
        raise AccountError("City leads and editors belong to a city; other roles do not.")
    user = User(email=normalise_email(email), name=name.strip(), role=role, city=city)
    if password is not None:
        check_password_rules(password)
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user_created", user, user=by, role=role, city=city.slug if city else None)
    return user


def check_password_rules(password: str) -> None:
    """Raise AccountError when a password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")


def issue_link(user: User, purpose: str, by: User | None) -> IssuedLink:
    """Create a one-time link for `user` to set a password (purpose: invitation or reset)."""
    if purpose == "invitation":
        lifetime = timedelta(days=current_app.config["INVITATION_DAYS"])
    else:
        lifetime = timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    _revoke_links(user)
    token = secrets.token_urlsafe(32)
    link = AccountLink(
        user=user,
        purpose=purpose,
        token_hash=secret_hash(token),
        created_by_id=by.id if by else None,
        expires_at=utcnow() + lifetime,
    )
    db.session.add(link)
    record(f"{purpose}_link_created", user, user=by)
    return IssuedLink(token, user, purpose, link.expires_at)


def valid_link(token: str) -> AccountLink | None:
    """The unused, unexpired link for `token`, or None."""
    link = db.session.execute(
        db.select(AccountLink).filter_by(token_hash=secret_hash(token))
    ).scalar_one_or_none()
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        return None
    return link if link.user.active else None


def use_link(link: AccountLink, password: str) -> User:
    """Set the password through a link; the link and the user's other links stop working."""
    check_password_rules(password)
    user = link.user
    user.set_password(password)
    _revoke_links(user)
    record("password_set", user, user=user, purpose=link.purpose)
    return user


def set_active(user: User, active: bool, by: User | None) -> None:
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    user.active = active
    if not active:
        user.session_token = secrets.token_urlsafe(32)
        _revoke_links(user)
    record("user_reactivated" if active else "user_deactivated", user, user=by)


def start_session(user: User, user_agent: str = "", remembered: bool = False) -> SignInSession:
    """Open a sign-in session of `user` on one device; `user.get_id()` then names it (the id
    the session and remember-me cookies carry). The key is random and only its hash is kept."""
    key = secrets.token_urlsafe(32)
    row = SignInSession(
        user_id=user.id,
        key_hash=secret_hash(key),
        session_token=user.session_token,
        remembered=remembered,
        device=device_name(user_agent),
    )
    db.session.add(row)
    user.session_key = key
    return row


def load_user(login_id: str) -> User | None:
    """Flask-Login's loader: the active user of the open sign-in session `login_id` names
    ("user id:session key"), read in one query with their city (every page's header names it)."""
    number, _, key = login_id.partition(":")
    if not key:
        return None
    now = utcnow()
    found = db.session.execute(
        db.select(User, SignInSession)
        .join(SignInSession, SignInSession.user_id == User.id)
        .options(joinedload(User.city))
        .where(
            SignInSession.key_hash == secret_hash(key),
            SignInSession.session_token == User.session_token,
            User.active,
            _is_open(now),
        )
    ).first()
    if found is None or str(found.User.id) != number:
        return None
    user, row = found
    if now - row.last_seen_at >= LAST_SEEN_EVERY:
        row.last_seen_at = now
    g.sign_in_session = row
    return user


def current_session() -> SignInSession | None:
    """The sign-in session of this request's signed-in user (None for an API token)."""
    row = g.get("sign_in_session")
    if row is None or not current_user.is_authenticated or row.user_id != current_user.id:
        return None
    return row


def open_sessions(user: User) -> list[SignInSession]:
    """The user's sign-in sessions that still work, the most recently seen first."""
    return list(
        db.session.execute(
            db.select(SignInSession)
            .where(
                SignInSession.user_id == user.id,
                SignInSession.session_token == user.session_token,
                _is_open(utcnow()),
            )
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        ).scalars()
    )


def end_session(row: SignInSession, by: User) -> None:
    """Sign one device out: its session and remember-me cookies stop working at once."""
    if row.ended_at is None:
        row.ended_at = utcnow()
        record("signed_out", by, user=by, session=row.id, device=row.device)


def end_every_session(user: User, by: User) -> None:
    """Sign `user` out on every device, remembered ones too: every session ends, and the new
    session token refuses any that an older copy of the database might still hold."""
    now = utcnow()
    for row in db.session.execute(
        db.select(SignInSession).filter_by(user_id=user.id, ended_at=None)
    ).scalars():
        row.ended_at = now
    user.session_token = secrets.token_urlsafe(32)
    record("signed_out_everywhere", user, user=by)


def device_name(user_agent: str) -> str:
    """A short name of the device a sign-in came from ("Firefox · Windows"), from its User-Agent:
    enough for a person to recognise their devices, no more of the header is kept."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser or system:
        return " · ".join(part for part in (browser, system) if part)
    # Not a browser (a script, a test client): its product name, "curl/8.5" -> "curl".
    return user_agent.split("/", 1)[0].split(" ", 1)[0][:80]


def _is_open(now: datetime):
    """A session not ended and seen recently enough: within the remember-me cookie's lifetime
    for a remembered one, else within SESSION_IDLE_HOURS."""
    remembered = current_app.config["REMEMBER_COOKIE_DURATION"]
    if not isinstance(remembered, timedelta):
        remembered = timedelta(seconds=int(remembered))
    idle = timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))
    return sa.and_(
        SignInSession.ended_at.is_(None),
        sa.or_(
            sa.and_(SignInSession.remembered, SignInSession.last_seen_at > now - remembered),
            sa.and_(~SignInSession.remembered, SignInSession.last_seen_at > now - idle),
        ),
    )


def _revoke_links(user: User) -> None:
    """Every open link of the user stops working: only the newest link, once, ever works."""
    now = utcnow()
    for link in db.session.execute(
        db.select(AccountLink).filter_by(user_id=user.id, used_at=None)
    ).scalars():
        link.used_at = now


def secret_hash(secret: str) -> str:
    """What is stored of a secret handed out once (a link's token, a session key, an API
    token): its SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def set_email_choice(user: User, choice: str) -> None:
    """Keep how the person gets their notifications by email (off, immediate, digest); mail
    already waiting follows the new choice when `toolkit notifications send` runs."""
    user.email_notifications = choice
    record("email_choice_set", user, user=user, choice=choice)
    db.session.flush()
