"""What every feature's models use, and the audit trail's events."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.core.extensions import db


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def sql_in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class AuditEvent(db.Model):
    """Something a user did that the network may need to trace later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
