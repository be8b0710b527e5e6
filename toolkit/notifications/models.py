"""A notification: something that happened which one person should know of."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from toolkit.core.extensions import db
from toolkit.core.models import sql_in, utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User
    from toolkit.actions.models import Action
    from toolkit.assessments.models import Assessment

KINDS = (
    "returned",
    "approved",
    "submitted",
    "assigned",
    "note_replied",
    "action_due",
    "action_overdue",
)
# What a person chose to get by email: nothing, each notification at once, or a daily digest.
EMAIL_CHOICES = ("off", "immediate", "digest")
# A notification's email: waiting to be sent (again), or sent; None: no email is due.
MAIL_STATES = ("pending", "sent")


class Notification(db.Model):
    """One person's notification of one step; read once they open it."""

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({sql_in(KINDS)})", name="kind"),
        sa.CheckConstraint(
            f"mail_state IS NULL OR mail_state IN ({sql_in(MAIL_STATES)})", name="mail_state"
        ),
        # The header's unread count, and the inbox newest first.
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
        # A reminder goes once per action, kind, due date and person, even from two runs at once.
        sa.UniqueConstraint("user_id", "action_id", "kind", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Who did the step (None for a reminder).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action.id"), index=True)
    # A reminder's due date: an action whose date moved is reminded again.
    due_on: Mapped[date | None]
    # What the message says besides (how many notes, which areas, the reviewer's comment).
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_state: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    mailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    assessment: Mapped[Assessment | None] = relationship()
    action: Mapped[Action | None] = relationship()
