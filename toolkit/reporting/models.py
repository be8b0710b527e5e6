"""The PDFs kept per report."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.core.extensions import db
from toolkit.core.models import utcnow


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


class BlankQuestionnaireFile(db.Model):
    """A rendered blank questionnaire (reports.BlankQuestionnaire). It depends only on the
    questionnaire version, the area, the paper, the language and the look of the documents, all
    in `file_hash` (reports.fingerprint): kept so that a second download is instant and every
    app host serves the same file; one per questionnaire, area, paper and language, replaced
    when what it prints changes."""

    __table_args__ = (
        sa.UniqueConstraint(
            "questionnaire_id",
            "questionnaire_version",
            "area_id",
            "paper",
            "language",
            name="one_per_blank",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    # "" for the whole questionnaire (a NULL would not be unique on PostgreSQL).
    area_id: Mapped[str] = mapped_column(sa.String(64))
    paper: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(10))
    file_hash: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    render_seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
