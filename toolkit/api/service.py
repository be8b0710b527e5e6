"""The API's rules: which person a token stands for, tokens made and revoked, and which
cities and assessments a person may list."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import selectinload

from toolkit.accounts.models import CITY_ROLES, User
from toolkit.accounts.service import secret_hash
from toolkit.api.models import ApiToken
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City, Country
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow


def token_user(header: str | None) -> User | None:
    """The active owner of the unrevoked token in an `Authorization: Bearer` header."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=secret_hash(token.strip()), revoked_at=None)
    ).scalar_one_or_none()
    if found is None or not found.user.active:
        return None
    found.last_used_at = utcnow()
    return found.user


def create_token(user: User, name: str) -> str:
    """A new token of `user`'s, named `name`: returned once, stored only as its hash."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=secret_hash(secret))
    db.session.add(token)
    db.session.flush()
    record("api_token_created", token, name=token.name)
    return secret


def tokens_of(user: User) -> list[ApiToken]:
    """A person's tokens, newest first, revoked ones too."""
    return list(
        db.session.execute(
            db.select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def revoke_token(token: ApiToken) -> None:
    """Stop a token from working, at once (revoking it again changes nothing)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token_revoked", token, name=token.name)


def visible_cities(viewer: User) -> list[City]:
    """The cities `viewer` may see, by name: every city for network staff, else their own."""
    query = db.select(City).options(selectinload(City.country)).order_by(City.name)
    if viewer.role in CITY_ROLES:
        query = query.filter_by(id=viewer.city_id)
    return list(db.session.execute(query).scalars())


def find_assessments(
    viewer: User, filters: dict[str, object], page: int, per_page: int
) -> tuple[list[Assessment], int]:
    """One page of the assessments `viewer` may see (city people: their city's) that match
    `filters` (questionnaire, cycle, status, country code, city slug; each optional), by city
    and newest cycle first, and how many match in all."""
    query = db.select(Assessment).join(City).join(Country)
    if viewer.role in CITY_ROLES:
        query = query.where(Assessment.city_id == viewer.city_id)
    columns = {
        "questionnaire": Assessment.questionnaire_id,
        "cycle": Assessment.cycle,
        "status": Assessment.status,
        "country": Country.code,
        "city": City.slug,
    }
    query = query.where(*(columns[name] == value for name, value in filters.items()))
    total = db.session.execute(
        query.with_only_columns(db.func.count(Assessment.id)).order_by(None)
    ).scalar_one()
    found = db.session.execute(
        query.options(selectinload(Assessment.area_scores), selectinload(Assessment.city))
        .order_by(City.name, Assessment.cycle.desc(), Assessment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return list(found), total
