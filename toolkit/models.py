"""Database models (SQLAlchemy 2.x declarative style)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from questionnaires import AREA_IDS

from .extensions import db

ROLES = ("admin", "network", "city_lead", "city_editor")
CITY_ROLES = ("city_lead", "city_editor")
STATUSES = ("draft", "submitted", "returned", "approved")


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Country(db.Model):
    """An ASEAN member state."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)

    cities: Mapped[list[City]] = relationship(back_populates="country")


class City(db.Model):
    """A city taking part in the network."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("country.id"), index=True)
    population: Mapped[int | None]
    land_area_km2: Mapped[float | None]
    # Used for cohorts of comparable cities: capital, coastal, ascn_member, ...
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An IANA name such as Asia/Makassar; None: the main zone of its country (see templating).
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

    country: Mapped[Country] = relationship(back_populates="cities")
    users: Mapped[list[User]] = relationship(back_populates="city")
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="city", order_by="[Assessment.cycle.desc(), Assessment.id.desc()]"
    )


class User(UserMixin, db.Model):
    """A person who signs in: network staff, admins, or a city's lead or editor."""

    __table_args__ = (
        sa.CheckConstraint(f"role IN ({_in(ROLES)})", name="role"),
        sa.CheckConstraint(
            f"(role IN ({_in(CITY_ROLES)})) = (city_id IS NOT NULL)", name="city_role_has_city"
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


class Assessment(db.Model):
    """One city, one questionnaire version, one cycle (year)."""

    __table_args__ = (
        sa.UniqueConstraint("city_id", "questionnaire_id", "cycle", name="one_per_cycle"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
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

    city: Mapped[City] = relationship(back_populates="assessments")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    area_scores: Mapped[list[AreaScore]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    review_decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="ReviewDecision.id"
    )
    assignments: Mapped[list[AreaAssignment]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AreaAssignment.id"
    )

    def scores_by_area(self) -> dict[str, AreaScore]:
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
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Copied from the previous cycle and not yet confirmed or changed by anyone.
    carried_over: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    revisions: Mapped[list[AnswerRevision]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="AnswerRevision.id"
    )

    def snapshot(self) -> dict:
        """What the answer says, as stored in a revision."""
        return {
            "value": self.value,
            "not_applicable": self.not_applicable,
            "reason": self.not_applicable_reason,
            "comment": self.comment,
            "evidence": list(self.evidence or []),
        }


REVISION_KINDS = ("changed", "carried_over", "confirmed")


class AnswerRevision(db.Model):
    """One change of an answer: who, when, old and new, and what kind of change it was."""

    __table_args__ = (sa.CheckConstraint(f"kind IN ({_in(REVISION_KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    old: Mapped[dict | None] = mapped_column(sa.JSON)
    new: Mapped[dict] = mapped_column(sa.JSON)
    kind: Mapped[str] = mapped_column(sa.String(20), default="changed", server_default="changed")

    answer: Mapped[Answer] = relationship(back_populates="revisions")


class AuditEvent(db.Model):
    """Something a user did that the network may need to trace later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


DECISIONS = ("returned", "approved", "reopened")


class ReviewDecision(db.Model):
    """One review round's outcome: returned (with notes), approved, or reopened by an admin.

    Kept for good, so that every round's notes and the city's replies stay in the record.
    """

    __table_args__ = (sa.CheckConstraint(f"decision IN ({_in(DECISIONS)})", name="decision"),)

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
        sa.CheckConstraint(f"area_id IN ({_in(AREA_IDS)})", name="area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    area_id: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AreaScore(db.Model):
    """An area's score, stored whenever answers change, for fast comparisons."""

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "area_id", name="one_per_area"),
        sa.CheckConstraint(f"area_id IN ({_in(AREA_IDS)})", name="area"),
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


class Cohort(db.Model):
    """Comparable cities, defined by their facts: countries, a population band, tags.

    Membership follows the facts: a city that grows or gains a tag joins or leaves by itself.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # codes; empty = all
    population_min: Mapped[int | None]
    population_max: Mapped[int | None]
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # a member has every one
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    """A bearer token for the JSON API, with its owner's rights; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ReportFile(db.Model):
    """A rendered PDF report, kept so that every app host serves the same file without
    rendering it again; `report_hash` is the fingerprint of all it prints (the city's name as
    much as the answers), so a file is served only while it is still right."""

    __table_args__ = (
        sa.UniqueConstraint(
            "assessment_id", "paper", "language", "report_hash", name="one_per_report"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    assessment_version: Mapped[int]
    paper: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(10))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    render_seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    report_hash: Mapped[str] = mapped_column(sa.String(64))


JOB_STATUSES = ("queued", "running", "assembling", "finished", "failed")


class Job(db.Model):
    """Work done in the background for a user: a large report, a ZIP of reports, an export.

    The row is the truth about the job, whichever process runs it: its items are done in parts
    (in parallel by several workers), `attempt` grows when it is retried, and a part of an
    earlier attempt that still runs somewhere cannot count towards the current one.
    """

    __table_args__ = (sa.CheckConstraint(f"status IN ({_in(JOB_STATUSES)})", name="status"),)

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
