"""Cities: finding one, adding one to the network and changing its facts."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.cities.models import City, Country
from toolkit.core.audit import record
from toolkit.core.extensions import db


@dataclass(frozen=True)
class CityFacts:
    """What an administrator sets of a city, besides its short name."""

    name: str
    country_code: str
    population: int | None
    land_area_km2: float | None
    tags: list[str]
    time_zone: str | None  # None: the country's main zone
    active: bool
    language: str | None = None  # None: the country's main language


def countries() -> list[tuple[str, str]]:
    """Every member state as (code, name), by name."""
    return db.session.execute(db.select(Country.code, Country.name).order_by(Country.name)).all()


def find_city(slug: str) -> City | None:
    """The city with this short name, if there is one."""
    return db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()


def add_city(slug: str, facts: CityFacts) -> City:
    """A new city of the network; the caller has checked that `slug` is free (`find_city`)."""
    city = City(slug=slug)
    _set_facts(city, facts)
    db.session.add(city)
    db.session.flush()
    record("city_created", city)
    return city


def change_city(city: City, facts: CityFacts) -> None:
    """Change a city's facts; its short name stays, so addresses keep working."""
    _set_facts(city, facts)
    record("city_changed", city)


def _set_facts(city: City, facts: CityFacts) -> None:
    city.name = facts.name
    city.country = db.session.execute(
        db.select(Country).filter_by(code=facts.country_code)
    ).scalar_one()
    city.population = facts.population
    city.land_area_km2 = facts.land_area_km2
    city.tags = facts.tags
    city.time_zone = facts.time_zone
    city.language = facts.language
    city.active = facts.active
