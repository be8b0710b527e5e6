"""What an assessment came to and how: the results, an answer's history, the timeline."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import login_required

from questionnaires import Question
from questionnaires.model import version_key
from reports.charts import area_radar
from toolkit.assessments.scores import (
    changes_since,
    previous_assessment,
    questionnaire_of,
    scorecard,
)
from toolkit.assessments.timeline import timeline_entries
from toolkit.assessments.views.common import bp, load_assessment, people_by_id
from toolkit.i18n.service import language_code


@bp.get("/assessments/<int:assessment_id>/results")
@login_required
def results(assessment_id: int):
    """Scores, stages and the ranked recommendations, each number with its explanation, and
    the change per area since the city's previous cycle of the same questionnaire."""
    assessment = load_assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    previous = previous_assessment(assessment)
    changes = changes_since(previous, assessment, card) if previous else []
    lines = [(str(assessment.cycle), {a.area.id: a.score for a in card.areas}, "primary")]
    if previous:
        # An area that does not compare across versions has no earlier point on the radar.
        before = {c.area.area.id: c.before if c.comparable else None for c in changes}
        lines.append((str(previous.cycle), before, "comparison"))
    chart = area_radar(
        {a.area.id: a.area.name.get(language_code()) for a in card.areas},
        lines,
        title=_("Scores of the six areas, 0 to 100"),
        description=_("The same numbers are in the table below."),
        # Across versions an earlier point is also left out where the area does not compare.
        no_score=_("no comparable score") if previous else _("no score"),
    )
    return render_template(
        "assessments/results.html",
        assessment=assessment,
        card=card,
        chart=chart,
        previous=previous,
        changes={c.area.area.id: c for c in changes},
        newer_version=max(
            (a.questionnaire_version for a in (assessment, previous) if a),
            key=version_key,
        ),
    )


@bp.get("/assessments/<int:assessment_id>/questions/<question_id>/history")
@login_required
def history(assessment_id: int, question_id: str):
    """Every change of one answer: who, when, the old and the new answer."""
    assessment = load_assessment(assessment_id, "view_assessment")
    question = questionnaire_of(assessment).find(question_id)
    if not isinstance(question, Question):
        abort(404)
    answer = next((a for a in assessment.answers if a.question_id == question_id), None)
    revisions = list(reversed(answer.revisions)) if answer else []
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        question=question,
        area=questionnaire_of(assessment).area(question.area_id),
        revisions=revisions,
        people=people_by_id(r.changed_by_id for r in revisions),
        card=scorecard(assessment),
    )


@bp.get("/assessments/<int:assessment_id>/timeline")
@login_required
def timeline(assessment_id: int):
    """Every event of the assessment in words: created, answers saved, submitted, reviewed
    (with that round's notes), reopened."""
    assessment = load_assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    return render_template(
        "assessments/timeline.html",
        assessment=assessment,
        entries=timeline_entries(assessment, card.questionnaire),
        card=card,
    )
