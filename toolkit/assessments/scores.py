"""An assessment's scores: the scorecard of its answers, the stored area and overall scores that
lists and comparisons read, and the earlier cycles it is compared with.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from questionnaires import GivenAnswer, Questionnaire, Scorecard, score, score_area, summarize
from questionnaires.versions import AreaChange, AreaComparison, compare
from toolkit.assessments.models import Answer, Assessment, StoredAreaScore
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.models import utcnow


def questionnaire_of(assessment: Assessment) -> Questionnaire:
    """The questionnaire version the assessment was started with."""
    return instrument.questionnaire(assessment.questionnaire_id, assessment.questionnaire_version)


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The city's assessment with the same questionnaire in the latest earlier cycle: what its
    results and its report compare with."""
    return db.session.execute(
        db.select(Assessment)
        .filter_by(city_id=assessment.city_id, questionnaire_id=assessment.questionnaire_id)
        .where(Assessment.cycle < assessment.cycle)
        .order_by(Assessment.cycle.desc())
        .limit(1)
    ).scalar()


def comparison_with(previous: Assessment, assessment: Assessment) -> dict[str, AreaComparison]:
    """Each area of two cycles of a city on different versions, scored on the questions the
    versions share (through the item map); empty for cycles on the same version, whose stored
    scores compare as they are."""
    if previous.questionnaire_version == assessment.questionnaire_version:
        return {}
    link = instrument.bridge_between(
        previous.questionnaire_version,
        assessment.questionnaire_version,
        assessment.questionnaire_id,
    )
    if link is None:
        return {
            area.id: AreaComparison(area, None, None, False, 0, 0, None)
            for area in questionnaire_of(assessment).areas
        }
    flipped = link.old.version == assessment.questionnaire_version  # the earlier cycle is later
    older, newer = (assessment, previous) if flipped else (previous, assessment)
    result = {}
    for c in compare(link, _given_answers(older), _given_answers(newer)):
        result[c.area.id] = replace(c, before=c.now, now=c.before) if flipped else c
    return result


def changes_since(
    previous: Assessment, assessment: Assessment, card: Scorecard
) -> list[AreaChange]:
    """Each area of `card` (the assessment's) against the city's `previous` cycle."""
    before = {area_id: row.score for area_id, row in previous.scores_by_area().items()}
    across = comparison_with(previous, assessment)
    return [AreaChange(a, before.get(a.area.id), across.get(a.area.id)) for a in card.areas]


def scorecard(assessment: Assessment) -> Scorecard:
    """Score the assessment's current answers."""
    return score(questionnaire_of(assessment), _given_answers(assessment))


def refresh_scores(assessment: Assessment) -> Scorecard:
    """Recompute and store the overall and per-area scores used by lists and comparisons."""
    card = scorecard(assessment)
    rows = assessment.scores_by_area()
    for result in card.areas:
        _store_area_score(assessment, rows, result)
    assessment.overall_score = card.overall
    assessment.completeness = card.completeness
    return card


def refresh_area_scores(
    assessment: Assessment, area_ids: Iterable[str], answers: Iterable[Answer]
) -> None:
    """Rescore only these areas from `answers` (all of theirs, as they are now in the session),
    then the overall figures from the stored area scores.

    What a save does: one answer changes one area, and the other five need no work. Nothing is
    flushed before the commit writes it all. Falls back to `refresh_scores` when scores were
    never stored or an area depends on another one.
    """
    questionnaire = questionnaire_of(assessment)
    rows = assessment.scores_by_area()
    try:
        if len(rows) != len(questionnaire.areas):
            raise ValueError("no stored scores yet")
        given = _as_given(answers)
        results = [score_area(questionnaire, area_id, given) for area_id in sorted(area_ids)]
    except ValueError:
        refresh_scores(assessment)
        return
    for result in results:
        _store_area_score(assessment, rows, result)
    summary = summarize(
        questionnaire,
        [
            (a.id, rows[a.id].score, rows[a.id].answered, rows[a.id].applicable)
            for a in questionnaire.areas
        ],
    )
    assessment.overall_score = summary.overall
    assessment.completeness = summary.completeness


def area_result(assessment: Assessment, area_id: str, answers: Iterable[Answer]):
    """The scores of one area from its loaded `answers` (what an area page shows)."""
    try:
        return score_area(questionnaire_of(assessment), area_id, _as_given(answers))
    except ValueError:  # the area depends on another one: score everything
        return scorecard(assessment).area(area_id)


def _given_answers(assessment: Assessment) -> dict[str, GivenAnswer]:
    """Every stored answer as scoring takes it, read as plain rows (scoring needs no objects)."""
    rows = db.session.execute(
        db.select(
            Answer.question_id, Answer.value, Answer.not_applicable, Answer.not_applicable_reason
        ).where(Answer.assessment_id == assessment.id)
    )
    return {
        question_id: GivenAnswer(value, not_applicable, reason or "")
        for question_id, value, not_applicable, reason in rows
        if not_applicable or value is not None
    }


def _as_given(answers: Iterable[Answer]) -> dict[str, GivenAnswer]:
    """Answer objects as scoring takes them."""
    return {
        a.question_id: GivenAnswer(a.value, a.not_applicable, a.not_applicable_reason or "")
        for a in answers
        if a.not_applicable or a.value is not None
    }


def _store_area_score(assessment: Assessment, rows: dict, result) -> None:
    """Write one area's result into its stored row, unless the row already says the same."""
    values = {
        "score": result.score,
        "stage": result.stage.id if result.stage else None,
        "completeness": result.completeness,
        "answered": result.answered,
        "applicable": result.applicable,
        "provisional": result.provisional,
    }
    row = rows.get(result.area.id)
    if row is None:
        row = StoredAreaScore(assessment=assessment, area_id=result.area.id)
        rows[result.area.id] = row
        db.session.add(row)
    elif all(getattr(row, name) == value for name, value in values.items()):
        return
    for name, value in values.items():
        setattr(row, name, value)
    row.computed_at = utcnow()
