"""What every assessment page uses: the blueprint and the loading of the assessment."""

from __future__ import annotations

from flask import Blueprint, abort
from sqlalchemy.orm import joinedload, selectinload

from toolkit.accounts.models import User
from toolkit.assessments.models import Answer, Assessment
from toolkit.cities.models import City
from toolkit.core.access import authorize
from toolkit.core.extensions import db

bp = Blueprint("assessments", __name__)


def load_assessment(
    assessment_id: int, action: str, with_answers: bool = True, scores: bool = True, load=()
) -> Assessment:
    """The assessment with its city (and its answers and stored scores unless told not to, and
    what `load` says); 404 when there is none, 404 or 403 when the user may not do `action`."""
    query = (
        db.select(Assessment)
        .filter_by(id=assessment_id)
        .options(joinedload(Assessment.city).joinedload(City.country), *load)
    )
    if with_answers:
        query = query.options(selectinload(Assessment.answers).selectinload(Answer.files))
    if scores:
        query = query.options(joinedload(Assessment.area_scores))
    assessment = db.session.execute(query).unique().scalar_one_or_none()
    if assessment is None:
        abort(404)
    authorize(action, assessment)
    return assessment


def people_by_id(ids) -> dict[int, User]:
    """The users with these ids (None and repeats allowed), by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    users = db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()
    return {u.id: u for u in users}
