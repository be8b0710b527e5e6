"""Assessments and their answers: saving with revisions and conflict checks, and scoring.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from questionnaires import Answer as GivenAnswer
from questionnaires import Question, Questionnaire, Scorecard, score, score_area, summarize

from . import instrument
from .audit import record
from .extensions import db
from .models import (
    Answer,
    AnswerRevision,
    AreaAssignment,
    AreaScore,
    Assessment,
    City,
    ReviewNote,
    User,
    utcnow,
)

EMPTY = {"value": None, "not_applicable": False, "reason": None, "comment": None, "evidence": []}


# The parts of an answer merged on their own: two people changing different parts of one answer
# do not conflict. "Not applicable" and its reason are one part.
PARTS = {
    "value": ("value",),
    "not_applicable": ("not_applicable", "reason"),
    "comment": ("comment",),
    "evidence": ("evidence",),
}


class AnswerConflict(Exception):
    """A save based on an older version of the answer, where someone else changed the same part
    of it meanwhile. Nothing of the answer is saved; both answers are kept for the user.

    `base` is the answer the person saw (None when its history does not reach back there),
    `theirs` the stored one, `yours` what the person sent, `parts` the parts both changed.
    """

    def __init__(self, answer: Answer, base: dict | None, yours: dict, parts: list[str]):
        self.answer = answer
        self.base = base
        self.theirs = answer.snapshot()
        self.yours = yours
        self.parts = parts
        super().__init__(f"{answer.question_id} was changed by someone else meanwhile")

    def resolved(self, keep: str) -> dict:
        """The answer to save when the person keeps "yours" or "theirs" for the parts in
        conflict: every change either side made to the other parts is kept as well."""
        merged, _ = _merge(self.base, self.theirs, self.yours)
        if keep == "yours":
            for part in self.parts:
                merged.update({key: self.yours[key] for key in PARTS[part]})
        return merged

    def differences(self) -> list[tuple[str, str | None]]:
        """Every part in which the two answers differ, with whose change is kept whatever the
        person chooses ("yours", "theirs"), or None for a part in conflict."""
        kept = []
        for part, keys in PARTS.items():
            if _part(self.theirs, keys) == _part(self.yours, keys):
                continue
            if part in self.parts:
                kept.append((part, None))
            else:
                only_yours = _part(self.base, keys) == _part(self.theirs, keys)
                kept.append((part, "yours" if only_yours else "theirs"))
        return kept


def _part(snapshot: dict | None, keys) -> list | None:
    return None if snapshot is None else [snapshot.get(key) for key in keys]


def _merge(base: dict | None, theirs: dict, yours: dict) -> tuple[dict, list[str]]:
    """Both people's changes since `base` in one answer (theirs where both changed a part),
    and the parts both changed differently. Without a base every differing part conflicts."""
    merged, parts = dict(theirs), []
    for part, keys in PARTS.items():
        mine, stored, seen = _part(yours, keys), _part(theirs, keys), _part(base, keys)
        if mine == stored or (seen is not None and mine == seen):
            continue  # the same on both sides, or only they changed it
        if seen is not None and stored == seen:
            merged.update({key: yours[key] for key in keys})  # only you changed it
        else:
            parts.append(part)
    # One marked it not applicable while the other answered it: one decision, not two.
    if merged["not_applicable"] and merged["value"] is not None:
        parts = [p for p in PARTS if p in parts or p in ("value", "not_applicable")]
    return merged, parts


@dataclass(frozen=True)
class AnswerInput:
    """What a user gives for one question. `based_on` is the answer version they saw."""

    value: object = None
    not_applicable: bool = False
    reason: str | None = None
    comment: str | None = None
    evidence: tuple[str, ...] = ()
    based_on: int | None = None
    # The person confirms a carried-over answer still holds, without changing it.
    confirm: bool = False


def questionnaire_of(assessment: Assessment) -> Questionnaire:
    """The questionnaire version the assessment was started with."""
    return instrument.questionnaire(assessment.questionnaire_id, assessment.questionnaire_version)


def create_assessment(
    city: City,
    questionnaire: Questionnaire,
    cycle: int,
    by: User | None,
    carry_over_from: Assessment | None = None,
    at=None,
) -> Assessment:
    """Start a draft assessment of `city` for `cycle`, empty or with an earlier cycle's answers.

    Carried-over answers are marked as such until someone confirms or changes them; answers to
    questions the questionnaire no longer has, or that no longer fit it, are left behind.
    """
    assessment = Assessment(
        city=city,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        cycle=cycle,
        created_by_id=by.id if by else None,
        created_at=at or utcnow(),
    )
    db.session.add(assessment)
    db.session.flush()
    carried = 0
    if carry_over_from is not None:
        carried = _carry_over(assessment, questionnaire, carry_over_from, by, assessment.created_at)
    refresh_scores(assessment)
    record(
        "assessment_created",
        assessment,
        user=by,
        city=city.slug,
        cycle=cycle,
        carried_over_from=carry_over_from.cycle if carry_over_from else None,
        carried_over=carried,
    )
    return assessment


def earlier_assessments(city: City, questionnaire_id: str, before: int) -> list[Assessment]:
    """The city's assessments with the same questionnaire in earlier cycles, newest first."""
    return list(
        db.session.execute(
            db.select(Assessment)
            .filter_by(city_id=city.id, questionnaire_id=questionnaire_id)
            .where(Assessment.cycle < before)
            .order_by(Assessment.cycle.desc())
        ).scalars()
    )


def _carry_over(
    assessment: Assessment,
    questionnaire: Questionnaire,
    source: Assessment,
    by: User | None,
    now,
) -> int:
    count = 0
    for old in source.answers:
        question = questionnaire.find(old.question_id)
        if not isinstance(question, Question) or (old.not_applicable and not question.allow_na):
            continue
        try:
            value = None if old.value is None else _storable(question.parse_answer(old.value))
        except ValueError:
            continue
        answer = Answer(
            assessment=assessment,
            question_id=old.question_id,
            value=value,
            not_applicable=old.not_applicable,
            not_applicable_reason=old.not_applicable_reason,
            comment=old.comment,
            evidence=list(old.evidence or []),
            updated_by_id=by.id if by else None,
            updated_at=now,
            carried_over=True,
        )
        answer.revisions.append(
            AnswerRevision(
                changed_by_id=answer.updated_by_id,
                changed_at=now,
                old=None,
                new=answer.snapshot(),
                kind="carried_over",
            )
        )
        db.session.add(answer)
        count += 1
    db.session.flush()
    return count


@dataclass
class SaveResult:
    """What a save did: the answers it changed, and those refused as stale (with both values)."""

    saved: list[Answer] = field(default_factory=list)
    conflicts: list[AnswerConflict] = field(default_factory=list)
    # Questions whose answer now holds someone else's changes too: the page shows it again.
    merged: set[str] = field(default_factory=set)


def save_answers(
    assessment: Assessment, given: Mapping[str, AnswerInput], by: User | None, at=None
) -> SaveResult:
    """Save several answers, each change with a revision, then refresh the stored scores once.

    An answer changed by someone else since the version the user saw (`based_on`) is merged
    part by part (PARTS) with their change, compared with the version the user saw: changes
    to different parts both land in one new revision. Where both changed the same part, the
    answer is not saved: it comes back as an AnswerConflict holding both. An unchanged answer
    is left alone (no revision), unless it was carried over and the user confirms it. A value
    or question that does not fit raises
    questionnaires.AnswerValueError, KeyError or ValueError before anything changes.
    """
    questionnaire = questionnaire_of(assessment)
    # Every answer of the areas concerned: to compare with, and then to rescore those areas.
    areas = {questionnaire.question(question_id).area_id for question_id in given}
    lock(assessment)
    existing = answers_to(
        assessment,
        [q.id for area_id in areas for q in questionnaire.area(area_id).questions()],
        fresh=True,
    )
    result, changes = SaveResult(), []
    for question_id, item in given.items():
        question = questionnaire.question(question_id)
        value = None
        if item.not_applicable:
            if not question.allow_na:
                raise ValueError(f"{question_id} cannot be marked not applicable")
        elif item.value is not None:
            value = _storable(question.parse_answer(item.value))
        new = _snapshot(value, item)
        answer = existing.get(question_id)
        if answer is None and new == EMPTY:
            continue
        if answer is not None and answer.snapshot() == new:
            if answer.carried_over and item.confirm:
                changes.append((question_id, answer, new, "confirmed"))
            continue  # nothing to change, whatever version the user saw
        if answer is not None and item.based_on is not None and item.based_on != answer.version:
            base = _as_it_was(answer, item.based_on)
            merged, parts = _merge(base, answer.snapshot(), new)
            if parts:
                result.conflicts.append(AnswerConflict(answer, base, new, parts))
                continue
            result.merged.add(question_id)
            if merged == answer.snapshot():
                continue  # their change already says what this one does
            new = merged
        changes.append((question_id, answer, new, "changed"))
    at = at or utcnow()
    for question_id, answer, new, kind in changes:
        old = answer.snapshot() if answer is not None else None
        if answer is None:
            answer = Answer(assessment_id=assessment.id, question_id=question_id, version=0)
            db.session.add(answer)
            existing[question_id] = answer
        answer.value = new["value"]
        answer.not_applicable = new["not_applicable"]
        answer.not_applicable_reason = new["reason"]
        answer.comment = new["comment"]
        answer.evidence = new["evidence"]
        answer.updated_by_id = by.id if by else None
        answer.updated_at = at
        answer.version += 1
        answer.carried_over = False
        # Set from the revision's side, so the answer's whole history is not loaded first.
        revision = AnswerRevision(
            answer=answer,
            changed_by_id=answer.updated_by_id,
            changed_at=at,
            old=old,
            new=new,
            kind=kind,
        )
        db.session.add(revision)
        result.saved.append(answer)
    if changes:
        assessment.version += 1
        changed_areas = {questionnaire.question(a.question_id).area_id for a in result.saved}
        refresh_area_scores(assessment, changed_areas, existing.values())
    return result


def _as_it_was(answer: Answer, version: int) -> dict | None:
    """The answer at an earlier `version`, from its revisions (each change raised the version
    by one and left one), or None when they do not reach back there."""
    back = answer.version - version
    if back <= 0:
        return None
    found = db.session.execute(
        db.select(AnswerRevision.old)
        .where(AnswerRevision.answer_id == answer.id)
        .order_by(AnswerRevision.id.desc())
        .offset(back - 1)
        .limit(1)
    ).first()
    if found is None:
        return None
    return {**EMPTY, **(found.old or {})}  # no old answer: the question was unanswered


def answers_to(assessment: Assessment, question_ids, fresh: bool = False) -> dict[str, Answer]:
    """The stored answers to these questions of the assessment, by question id.

    `fresh` reads them again from the database even where this session already holds them.
    """
    query = db.select(Answer).where(
        Answer.assessment_id == assessment.id, Answer.question_id.in_(list(question_ids))
    )
    if fresh:
        query = query.execution_options(populate_existing=True)
    return {a.question_id: a for a in db.session.execute(query).scalars()}


def lock(assessment: Assessment) -> None:
    """Take the assessment for writing until the transaction ends, and read it afresh.

    Concurrent saves to one assessment wait here for each other, so that each compares with
    what the previous one wrote: every answer version is accepted once, and the stored scores
    add up. A no-op UPDATE rather than SELECT ... FOR UPDATE, because SQLite only takes its
    write lock (and waits for it) on a write.
    """
    db.session.execute(
        db.update(Assessment)
        .where(Assessment.id == assessment.id)
        .values(version=Assessment.version)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(assessment)


def assign_areas(assessment: Assessment, people: Mapping[str, set[int]], by: User) -> None:
    """Give each area to these people of the city (user ids), replacing earlier assignments."""
    current = {(a.area_id, a.user_id): a for a in assessment.assignments}
    wanted = {(area_id, user_id) for area_id, ids in people.items() for user_id in ids}
    for key, assignment in current.items():
        if key not in wanted:
            assessment.assignments.remove(assignment)
    for area_id, user_id in sorted(wanted - current.keys()):
        assessment.assignments.append(
            AreaAssignment(area_id=area_id, user_id=user_id, assigned_by_id=by.id)
        )
    db.session.flush()
    record(
        "areas_assigned",
        assessment,
        user=by,
        areas={area_id: sorted(ids) for area_id, ids in people.items() if ids},
    )


def submit(assessment: Assessment, by: User, at=None) -> None:
    """draft/returned -> submitted (the caller checks that nothing required is missing)."""
    assessment.status = "submitted"
    assessment.submitted_by_id = by.id
    assessment.submitted_at = at or utcnow()
    _raise_version(assessment)
    record("assessment_submitted", assessment, user=by)


def approve(assessment: Assessment, by: User, comment: str | None, at=None) -> None:
    """submitted -> approved: read-only from now on."""
    _reviewed(assessment, by, comment, at)
    assessment.status = "approved"
    record("assessment_approved", assessment, user=by, comment=comment)


def return_to_city(
    assessment: Assessment, by: User, comment: str, notes: Mapping[str, str], at=None
) -> None:
    """submitted -> returned, with an overall comment and notes on single questions."""
    _reviewed(assessment, by, comment, at)
    assessment.status = "returned"
    for question_id, text in notes.items():
        assessment.review_notes.append(
            ReviewNote(question_id=question_id, text=text, created_by_id=by.id)
        )
    record("assessment_returned", assessment, user=by, comment=comment, notes=len(notes))


def reopen(assessment: Assessment, by: User, reason: str) -> None:
    """approved -> returned, by an administrator, with the reason the city reads."""
    assessment.status = "returned"
    assessment.review_comment = reason
    _raise_version(assessment)
    record("assessment_reopened", assessment, user=by, reason=reason)


def _reviewed(assessment: Assessment, by: User, comment: str | None, at) -> None:
    """What every review decision records; earlier notes give way to the new ones."""
    assessment.reviewed_by_id = by.id
    assessment.reviewed_at = at or utcnow()
    assessment.review_comment = comment
    _raise_version(assessment)
    assessment.review_notes.clear()


def _raise_version(assessment: Assessment) -> None:
    """Raise the version in the UPDATE itself: two decisions at once give two versions, never
    the same one twice (pages are kept by version, see page_cache)."""
    assessment.version = Assessment.version + 1
    db.session.flush()  # from here on `version` reads the number written


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
        row = AreaScore(assessment=assessment, area_id=result.area.id)
        rows[result.area.id] = row
        db.session.add(row)
    elif all(getattr(row, name) == value for name, value in values.items()):
        return
    for name, value in values.items():
        setattr(row, name, value)
    row.computed_at = utcnow()


def _storable(value):
    """JSON keeps lists, not tuples (multi_choice answers)."""
    return list(value) if isinstance(value, tuple) else value


def _snapshot(value, item: AnswerInput) -> dict:
    """The same shape as Answer.snapshot(), for comparing and for revisions."""
    return {
        "value": value,
        "not_applicable": item.not_applicable,
        "reason": item.reason if item.not_applicable else None,
        "comment": item.comment or None,
        "evidence": list(item.evidence),
    }
