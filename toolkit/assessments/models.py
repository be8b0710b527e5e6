"""Assessments, their answers with revisions, review rounds, assignments and stored scores."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from questionnaires import AREA_IDS, EvidenceLine
from toolkit.core.extensions import db
from toolkit.core.models import sql_in, utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User
    from toolkit.cities.models import City
    from toolkit.evidence.models import EvidenceFile


STATUSES = ("draft", "submitted", "returned", "approved")
# The longest source of a number answer ("BPS Kota Surabaya, Surabaya in Figures 2025, ...").
MAX_SOURCE = 300


class Assessment(db.Model):
    """One city, one questionnaire version, one cycle (year)."""

    __table_args__ = (
        sa.UniqueConstraint("city_id", "questionnaire_id", "cycle", name="one_per_cycle"),
        sa.CheckConstraint(f"status IN ({sql_in(STATUSES)})", name="status"),
        # The dashboard's filter: one questionnaire, one cycle, one status.
        sa.Index("ix_assessment_compare", "questionnaire_id", "cycle", "status"),
        # The review queue and its count in every network page's header.
        sa.Index("ix_assessment_queue", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("city.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    cycle: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    # Raised on every change, so that a save based on an older state is refused.
    version: Mapped[int] = mapped_column(default=1)
    overall_score: Mapped[float | None]
    completeness: Mapped[float] = mapped_column(default=0.0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    # The cycle whose answers it started with (None: it started empty): the city's assessment
    # of that cycle is what a question that changed since offers (answering.offered_answers).
    carried_over_cycle: Mapped[int | None]

    city: Mapped[City] = relationship(back_populates="assessments")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    area_scores: Mapped[list[StoredAreaScore]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    review_decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="ReviewDecision.id"
    )
    assignments: Mapped[list[AreaAssignment]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AreaAssignment.id"
    )

    def scores_by_area(self) -> dict[str, StoredAreaScore]:
        """The stored area scores, by area id."""
        return {row.area_id: row for row in self.area_scores}

    @property
    def review_notes(self) -> list[ReviewNote]:
        """The notes of the return the city is working on now (none unless returned)."""
        if self.status != "returned" or not self.review_decisions:
            return []
        return self.review_decisions[-1].notes


class Answer(db.Model):
    """The current answer to one question of an assessment."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "question_id", name="one_per_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[object | None] = mapped_column(sa.JSON)
    not_applicable: Mapped[bool] = mapped_column(default=False)
    not_applicable_reason: Mapped[str | None] = mapped_column(sa.Text)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    evidence: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Number questions (indicators): the year the figure describes and where it comes from.
    data_year: Mapped[int | None]
    data_source: Mapped[str | None] = mapped_column(sa.String(MAX_SOURCE))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Copied from the previous cycle and not yet confirmed or changed by anyone.
    carried_over: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    revisions: Mapped[list[AnswerRevision]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="AnswerRevision.id"
    )
    # Removed ones too (kept for the history): `attached_files` are those attached now.
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="EvidenceFile.id"
    )

    @property
    def attached_files(self) -> list[EvidenceFile]:
        """The files attached to the answer now, oldest first."""
        return [f for f in self.files if f.removed_at is None]

    def snapshot(self) -> dict:
        """What the answer says, as stored in a revision."""
        return {
            "value": self.value,
            "not_applicable": self.not_applicable,
            "reason": self.not_applicable_reason,
            "comment": self.comment,
            "evidence": list(self.evidence or []),
            "data_year": self.data_year,
            "data_source": self.data_source,
            "files": [{"id": f.id, "name": f.name, "size": f.size} for f in self.attached_files],
        }

    @property
    def evidence_lines(self) -> tuple[EvidenceLine, ...]:
        """The evidence, each line split into its address and description."""
        return tuple(EvidenceLine.parse(line) for line in self.evidence or ())


REVISION_KINDS = ("changed", "carried_over", "confirmed")


class AnswerRevision(db.Model):
    """One change of an answer: who, when, old and new, and what kind of change it was."""

    __table_args__ = (sa.CheckConstraint(f"kind IN ({sql_in(REVISION_KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    old: Mapped[dict | None] = mapped_column(sa.JSON)
    new: Mapped[dict] = mapped_column(sa.JSON)
    kind: Mapped[str] = mapped_column(sa.String(20), default="changed", server_default="changed")

    answer: Mapped[Answer] = relationship(back_populates="revisions")


DECISIONS = ("returned", "approved", "reopened")


class ReviewDecision(db.Model):
    """One review round's outcome: returned (with notes), approved, or reopened by an admin.

    Kept for good, so that every round's notes and the city's replies stay in the record.
    """

    __table_args__ = (sa.CheckConstraint(f"decision IN ({sql_in(DECISIONS)})", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="review_decisions")
    decided_by: Mapped[User | None] = relationship()
    notes: Mapped[list[ReviewNote]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="ReviewNote.id"
    )


class ReviewNote(db.Model):
    """A reviewer's note on one question, shown beside it when the city edits again."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_decision.id"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    decision: Mapped[ReviewDecision] = relationship(back_populates="notes")
    replies: Mapped[list[ReviewReply]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="ReviewReply.id"
    )


class ReviewReply(db.Model):
    """The city's answer to a reviewer's note, given while the assessment is returned."""

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(sa.ForeignKey("review_note.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    note: Mapped[ReviewNote] = relationship(back_populates="replies")
    created_by: Mapped[User | None] = relationship()


class AreaAssignment(db.Model):
    """A city lead gives an area of an assessment to one of the city's people."""

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "area_id", "user_id", name="one_per_person"),
        sa.CheckConstraint(f"area_id IN ({sql_in(AREA_IDS)})", name="area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    area_id: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class StoredAreaScore(db.Model):
    """An area's score, stored whenever answers change, for fast comparisons (the scoring's
    `AreaScore` is the live result it is a copy of)."""

    __tablename__ = "area_score"

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "area_id", name="one_per_area"),
        sa.CheckConstraint(f"area_id IN ({sql_in(AREA_IDS)})", name="area"),
        sa.Index("ix_area_score_area_score", "area_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    area_id: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float | None]
    stage: Mapped[str | None] = mapped_column(sa.String(32))
    completeness: Mapped[float]
    answered: Mapped[int]
    applicable: Mapped[int]
    provisional: Mapped[bool]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="area_scores")


class WorkbookUpload(db.Model):
    """A workbook a person uploaded, kept between its preview and their confirmation (a day at
    most): the confirmation applies exactly the file that was previewed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    applied_at: Mapped[datetime | None]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
