"""Cohorts: which cities belong to one (by their facts, in SQL), and defining one."""

from __future__ import annotations

import sqlalchemy as sa

from toolkit.accounts.models import User
from toolkit.cities.models import City, Country
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.network.models import Cohort


def all_cohorts() -> list[Cohort]:
    """Every cohort, by name."""
    return list(db.session.execute(db.select(Cohort).order_by(Cohort.name)).scalars())


def cohort_conditions(cohort: Cohort) -> list:
    """SQL conditions on City and Country that say whether a city belongs to `cohort`."""
    conditions = [City.active.is_(True)]
    if cohort.countries:
        conditions.append(Country.code.in_(cohort.countries))
    if cohort.population_min is not None:
        conditions.append(City.population >= cohort.population_min)
    if cohort.population_max is not None:
        conditions.append(City.population <= cohort.population_max)
    for tag in cohort.tags:
        # Tags are simple words stored as a JSON list: its text holds "tag" with its quotes.
        conditions.append(sa.cast(City.tags, sa.Text).like(f'%"{tag}"%'))
    return conditions


def cohorts_of(city: City) -> list[Cohort]:
    """The cohorts `city` belongs to now, by name."""
    in_cohort = []
    for cohort in all_cohorts():
        query = (
            sa.select(City.id)
            .join(Country, City.country_id == Country.id)
            .where(City.id == city.id, *cohort_conditions(cohort))
        )
        if db.session.execute(query).first():
            in_cohort.append(cohort)
    return in_cohort


def cohort_members(cohort: Cohort) -> list[City]:
    """The cities that belong to `cohort` now, by name."""
    return list(
        db.session.execute(
            db.select(City)
            .join(Country, City.country_id == Country.id)
            .where(*cohort_conditions(cohort))
            .order_by(City.name)
        ).scalars()
    )


def name_taken(name: str, cohort: Cohort) -> bool:
    """Whether another cohort than `cohort` already has `name` (cohort names are unique)."""
    clash = db.session.execute(
        db.select(Cohort.id).where(Cohort.name == name, Cohort.id != cohort.id)
    ).first()
    return clash is not None


def save_cohort(cohort: Cohort, by: User) -> None:
    """Store a new or changed cohort (a new one is `by`'s) and record it in the audit trail."""
    if cohort.id is None:
        cohort.created_by_id = by.id
        db.session.add(cohort)
    db.session.flush()
    record("cohort_saved", cohort, name=cohort.name)
