"""Background jobs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from toolkit.core.extensions import db
from toolkit.core.models import sql_in, utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User


JOB_STATUSES = ("queued", "running", "assembling", "finished", "failed")


class Job(db.Model):
    """Work done in the background for a user: a large report, a ZIP of reports, an export.

    The row is the truth about the job, whichever process runs it: its items are done in parts
    (in parallel by several workers), `attempt` grows when it is retried, and a part of an
    earlier attempt that still runs somewhere cannot count towards the current one.
    """

    __table_args__ = (sa.CheckConstraint(f"status IN ({sql_in(JOB_STATUSES)})", name="status"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # random: it is in URLs
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The same report asked for twice while it renders gets the same job.
    key: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    runner: Mapped[str | None] = mapped_column(sa.String(16))  # "worker" or "in-process"
    attempt: Mapped[int] = mapped_column(default=1)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result_name: Mapped[str | None] = mapped_column(sa.String(200))
    result_type: Mapped[str | None] = mapped_column(sa.String(100))
    result: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)

    requested_by: Mapped[User | None] = relationship()
