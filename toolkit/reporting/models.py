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
