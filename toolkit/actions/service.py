"""Action plans: which actions a cycle's plan holds."""

from __future__ import annotations

import sqlalchemy as sa

from toolkit.actions.models import OPEN_STATUSES, Action
from toolkit.assessments.models import Assessment
from toolkit.core.extensions import db


def plan_of(assessment: Assessment) -> list[Action]:
    """The action plan of one assessment's cycle: the actions planned in it, and those the
    city planned in an earlier cycle that were still open when it began (they carry over),
    whatever became of them since. By due date (undated last), then as they were made."""
    began = assessment.created_at.date()
    earlier = (
        db.select(Assessment.id)
        .where(Assessment.city_id == assessment.city_id, Assessment.cycle < assessment.cycle)
        .scalar_subquery()
    )
    carried = sa.and_(
        Action.assessment_id.in_(earlier),
        sa.or_(Action.status.in_(OPEN_STATUSES), Action.closed_on >= began),
    )
    return list(
        db.session.scalars(
            db.select(Action)
            .where(Action.city_id == assessment.city_id)
            .where(sa.or_(Action.assessment_id == assessment.id, carried))
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        )
    )
