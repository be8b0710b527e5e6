"""A city's actions, each answering a recommendation or of the city's own, and their notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from questionnaires import AREA_IDS
from toolkit.core.extensions import db
from toolkit.core.models import sql_in, utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User
    from toolkit.assessments.models import Assessment
    from toolkit.cities.models import City

ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
OPEN_STATUSES = ("planned", "in_progress")
MAX_TITLE = 300
MAX_NAME = 200


class Action(db.Model):
    """Something the city will do, planned in one assessment's cycle and followed until it is
    done or dropped: an open action stays on the plan of every later cycle (it carries over)
    as the same record, so its history is one history."""

    __tablename__ = "action"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({sql_in(ACTION_STATUSES)})", name="status"),
        sa.CheckConstraint(f"area_id IS NULL OR area_id IN ({sql_in(AREA_IDS)})", name="area"),
        # A dropped action says why.
        sa.CheckConstraint("status != 'dropped' OR dropped_reason IS NOT NULL", name="dropped"),
        # The network's counts by area and status, and the due and overdue reminders.
        sa.Index("ix_action_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("city.id"), index=True)
    # The assessment (one cycle) whose plan it was made in.
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    # The recommendation it answers: its question (and area); both None for the city's own
    # action, or only the area for an action of the city's own in one area.
    question_id: Mapped[str | None] = mapped_column(sa.String(64))
    area_id: Mapped[str | None] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    description: Mapped[str | None] = mapped_column(sa.Text)
    department: Mapped[str | None] = mapped_column(sa.String(MAX_NAME))
    # Who answers for it, by name (often someone without an account) and, where they have
    # one, as a user (who is then reminded when it falls due).
    responsible: Mapped[str | None] = mapped_column(sa.String(MAX_NAME))
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    start_on: Mapped[date | None]
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    dropped_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The day it was done or dropped (None while open).
    closed_on: Mapped[date | None]
    budget_line: Mapped[str | None] = mapped_column(sa.String(MAX_NAME))
    budget_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    # ISO 4217 ("IDR", "VND"), the currency of budget_amount.
    budget_currency: Mapped[str | None] = mapped_column(sa.String(3))
    # Raised on every change, so that a save based on an older state is refused.
    version: Mapped[int] = mapped_column(default=1)
    # Every UPDATE says which version it changes (update_action raises it itself).
    __mapper_args__: ClassVar[dict] = {"version_id_col": version, "version_id_generator": False}
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    city: Mapped[City] = relationship()
    assessment: Mapped[Assessment] = relationship()
    responsible_user: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    notes: Mapped[list[ActionNote]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionNote.id"
    )

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActionNote(db.Model):
    """A progress note on an action, or a change of its status; the record only grows."""

    __tablename__ = "action_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    # The status the action moved to with this note (None: a note only).
    status: Mapped[str | None] = mapped_column(sa.String(20))
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)

    action: Mapped[Action] = relationship(back_populates="notes")
    written_by: Mapped[User | None] = relationship()
