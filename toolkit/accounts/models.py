"""People who sign in, their sign-in sessions and their one-time links."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from toolkit.core.extensions import db
from toolkit.core.models import sql_in, utcnow

if TYPE_CHECKING:
    from toolkit.cities.models import City


ROLES = ("admin", "network", "city_lead", "city_editor")


CITY_ROLES = ("city_lead", "city_editor")


class User(UserMixin, db.Model):
    """A person who signs in: network staff, admins, or a city's lead or editor."""

    __table_args__ = (
        sa.CheckConstraint(f"role IN ({sql_in(ROLES)})", name="role"),
        sa.CheckConstraint(
            f"(role IN ({sql_in(CITY_ROLES)})) = (city_id IS NOT NULL)", name="city_role_has_city"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("city.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]
    # The language the person chose (None: not chosen yet; see toolkit/i18n/service.py).
    language: Mapped[str | None] = mapped_column(sa.String(10))
    # Email of notifications: "off", "immediate" or "digest" (one mail a day).
    email_notifications: Mapped[str] = mapped_column(
        sa.String(10), default="immediate", server_default="immediate"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Changing it signs the user out everywhere (new password, deactivation).
    session_token: Mapped[str] = mapped_column(
        sa.String(43), default=lambda: secrets.token_urlsafe(32)
    )

    city: Mapped[City | None] = relationship(back_populates="users")

    # The raw key of the sign-in session just opened (accounts.start_session); never stored.
    session_key = None

    def get_id(self) -> str:
        """Flask-Login's id: the user and the key of their sign-in session."""
        return f"{self.id}:{self.session_key}"

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        """Store a slow hash of `password` and sign out every other session."""
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_urlsafe(32)

    def check_password(self, password: str) -> bool:
        """Whether `password` is this user's password."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class SignInSession(db.Model):
    """One sign-in on one device, open until signed out; only a hash of its key is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The user's session_token at sign-in: a new one (new password, deactivation, "sign out
    # on every device") ends this session too.
    session_token: Mapped[str] = mapped_column(sa.String(43))
    remembered: Mapped[bool] = mapped_column(default=False)
    device: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class AccountLink(db.Model):
    """A one-time link to set a password: an invitation or a password reset."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # invitation | reset
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
