"""What the home page of network staff and administrators lists."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from toolkit.assessments.models import Assessment
from toolkit.cities.models import City, Country
from toolkit.core.extensions import db


def cities_with_latest(country: str = "") -> list[tuple[City, list[Assessment]]]:
    """Every city (of `country`, a code, when given) by country and name, each with its newest
    assessment of each questionnaire."""
    query = (
        db.select(City)
        .join(City.country)
        .options(selectinload(City.assessments), selectinload(City.country))
        .order_by(Country.name, City.name)
    )
    if country:
        query = query.where(Country.code == country)
    return [(city, _latest_per_questionnaire(city)) for city in db.session.execute(query).scalars()]


def _latest_per_questionnaire(city: City) -> list[Assessment]:
    """The city's newest assessment of each questionnaire (its assessments come newest first)."""
    latest = {}
    for assessment in city.assessments:
        latest.setdefault(assessment.questionnaire_id, assessment)
    return list(latest.values())
