"""Cohorts: named groups of comparable cities."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.core.extensions import db
from toolkit.core.models import utcnow


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
