"""A file attached to an answer, and its content, kept once however often it is attached."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from toolkit.core.extensions import db
from toolkit.core.models import utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User
    from toolkit.assessments.models import Answer

# The longest file name kept; a longer one keeps its start and its extension.
MAX_NAME = 200


class EvidenceContent(db.Model):
    """The bytes of a file, named by their SHA-256: a file carried over to the next cycle, or
    attached again, shares them. `data` is None where the files are kept in a file store
    (config EVIDENCE_STORE) rather than in the database."""

    __tablename__ = "evidence_content"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    size: Mapped[int]


class EvidenceFile(db.Model):
    """A file attached to one answer; a removed one stays, for the answer's history."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    size: Mapped[int]
    # What the toolkit found the content to be, never what the browser said.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.ForeignKey("evidence_content.sha256"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    removed_at: Mapped[datetime | None]

    answer: Mapped[Answer] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
