"""Countries and the cities taking part in the network."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from toolkit.core.extensions import db
from toolkit.core.models import utcnow

if TYPE_CHECKING:
    from toolkit.accounts.models import User
    from toolkit.assessments.models import Assessment


# The tags a city can carry, for cohorts of comparable cities.
KNOWN_TAGS = ("capital", "coastal", "island", "riverine", "secondary", "ascn_member")


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
    # The default language of the city's people and reports; None: its country's main language.
    language: Mapped[str | None] = mapped_column(sa.String(10))

    country: Mapped[Country] = relationship(back_populates="cities")
    users: Mapped[list[User]] = relationship(back_populates="city")
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="city", order_by="[Assessment.cycle.desc(), Assessment.id.desc()]"
    )
