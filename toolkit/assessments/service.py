"""Assessments and their answers: saving with revisions and conflict checks, and scoring.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from questionnaires import Answer as GivenAnswer
from questionnaires import Question, Questionnaire, Scorecard, score, score_area, summarize
from toolkit.accounts.models import User
from toolkit.assessments.models import (
    Answer,
    AnswerRevision,
    AreaAssignment,
    AreaScore,
    Assessment,
    ReviewDecision,
    ReviewNote,
    ReviewReply,
)
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.templating import STATUS_NAMES

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


# The assessment workflow: (status, step) -> the status it leads to. Nothing else is allowed,
# whoever asks (a page, a command, a job, the API); access.can reads its state rules from here.
TRANSITIONS = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "return"): "returned",
    ("submitted", "approve"): "approved",
    ("approved", "reopen"): "returned",
}
STEPS = ("submit", "return", "approve", "reopen")
# The city changes its answers (and replies to notes) while it may submit them.
EDITABLE = tuple(status for status, step in TRANSITIONS if step == "submit")

_REFUSED = {
    "submit": _l("This assessment cannot be submitted for review: it is %(status)s."),
    "return": _l("This assessment cannot be returned to the city: it is %(status)s."),
    "approve": _l("This assessment cannot be approved: it is %(status)s."),
    "reopen": _l("This assessment cannot be reopened: it is %(status)s."),
    "review": _l("This assessment is not waiting for review: it is %(status)s."),
}


class TransitionRefused(Exception):
    """A workflow step the assessment's status does not allow (see TRANSITIONS)."""

    def __init__(self, status: str, step: str):
        self.status, self.step = status, step
        super().__init__(f"a {status} assessment cannot take the step {step!r}")

    def message(self) -> str:
        """What the person is told, in their language."""
        return str(_REFUSED[self.step] % {"status": STATUS_NAMES.get(self.status, self.status)})


def allowed(status: str, step: str) -> bool:
    """Whether an assessment in `status` may take `step`."""
    return (status, step) in TRANSITIONS


def _transition(assessment: Assessment, step: str) -> None:
    """Move the assessment on by `step`, or raise TransitionRefused.

    The status is read afresh under the write lock, so of two decisions at once the second
    sees the first one's outcome.
    """
    db.session.flush()
    lock(assessment)
    new = TRANSITIONS.get((assessment.status, step))
    if new is None:
        raise TransitionRefused(assessment.status, step)
    assessment.status = new
    _raise_version(assessment)


def submit(assessment: Assessment, by: User, at=None) -> None:
    """draft/returned -> submitted (the caller checks that nothing required is missing)."""
    _transition(assessment, "submit")
    assessment.submitted_by_id = by.id
    assessment.submitted_at = at or utcnow()
    record("assessment_submitted", assessment, user=by)


def approve(assessment: Assessment, by: User, comment: str | None, at=None) -> None:
    """submitted -> approved: read-only from now on."""
    _transition(assessment, "approve")
    decision = _decide(assessment, "approved", by, comment, at)
    record("assessment_approved", assessment, user=by, comment=comment, decision=decision.id)


def return_to_city(
    assessment: Assessment, by: User, comment: str, notes: Mapping[str, str], at=None
) -> None:
    """submitted -> returned, with an overall comment and notes on single questions."""
    _transition(assessment, "return")
    decision = _decide(assessment, "returned", by, comment, at)
    for question_id, text in notes.items():
        decision.notes.append(
            ReviewNote(
                assessment_id=assessment.id,
                question_id=question_id,
                text=text,
                created_by_id=by.id,
                created_at=decision.decided_at,
            )
        )
    db.session.flush()
    record(
        "assessment_returned",
        assessment,
        user=by,
        comment=comment,
        notes=len(notes),
        decision=decision.id,
    )


def reopen(assessment: Assessment, by: User, reason: str, at=None) -> None:
    """approved -> returned, by an administrator, with the reason the city reads."""
    _transition(assessment, "reopen")
    decision = _decide(assessment, "reopened", by, reason, at, reviewed=False)
    record("assessment_reopened", assessment, user=by, reason=reason, decision=decision.id)


def _decide(
    assessment: Assessment, decision: str, by: User, comment: str | None, at, reviewed=True
) -> ReviewDecision:
    """Keep the decision for good; the assessment shows the latest one's comment."""
    row = ReviewDecision(decision=decision, comment=comment, decided_by_id=by.id)
    row.decided_at = at or utcnow()
    if reviewed:
        assessment.reviewed_by_id = by.id
        assessment.reviewed_at = row.decided_at
    assessment.review_comment = comment
    assessment.review_decisions.append(row)
    db.session.flush()
    return row


def reply_to_note(note: ReviewNote, by: User, text: str, at=None) -> ReviewReply:
    """The city answers a reviewer's note of the return it is working on (ValueError for a
    note of an earlier round, or while the assessment is not back with the city)."""
    assessment = db.session.get(Assessment, note.assessment_id)
    if note not in assessment.review_notes:
        raise ValueError(f"note {note.id} is not open for replies")
    reply = ReviewReply(text=text, created_by_id=by.id, created_at=at or utcnow())
    note.replies.append(reply)
    db.session.flush()
    record("review_note_replied", assessment, user=by, note=note.id, question=note.question_id)
    return reply


@dataclass(frozen=True)
class ReviewRound:
    """One review decision with its notes (and their replies), numbered from 1, and the
    questions the city changed after it, until the next decision."""

    number: int
    decision: ReviewDecision
    changed: frozenset[str]

    def changed_since(self, question_id: str) -> bool:
        """Whether the answer to this question changed after this decision."""
        return question_id in self.changed


def review_rounds(assessment: Assessment) -> list[ReviewRound]:
    """Every review decision of the assessment, oldest first, with the questions changed after
    each (read from the answer revisions)."""
    decisions = list(
        db.session.execute(
            db.select(ReviewDecision)
            .filter_by(assessment_id=assessment.id)
            .options(
                selectinload(ReviewDecision.notes)
                .selectinload(ReviewNote.replies)
                .selectinload(ReviewReply.created_by),
                selectinload(ReviewDecision.decided_by),
            )
            .order_by(ReviewDecision.id)
        ).scalars()
    )
    if not decisions:
        return []
    revisions = db.session.execute(
        db.select(Answer.question_id, AnswerRevision.changed_at)
        .join(AnswerRevision, AnswerRevision.answer_id == Answer.id)
        .where(
            Answer.assessment_id == assessment.id,
            AnswerRevision.kind == "changed",
            AnswerRevision.changed_at > decisions[0].decided_at,
        )
    ).all()
    rounds = []
    for number, decision in enumerate(decisions, 1):
        until = decisions[number].decided_at if number < len(decisions) else None
        changed = frozenset(
            question_id
            for question_id, at in revisions
            if at > decision.decided_at and (until is None or at <= until)
        )
        rounds.append(ReviewRound(number, decision, changed))
    return rounds


def last_return(assessment: Assessment) -> ReviewRound | None:
    """The latest round that sent the assessment back to the city (returned or reopened)."""
    rounds = [r for r in review_rounds(assessment) if r.decision.decision != "approved"]
    return rounds[-1] if rounds else None


@dataclass(frozen=True)
class Waiting:
    """A submitted assessment in the review queue."""

    assessment: Assessment
    submitted_by: User | None

    def days(self, now=None) -> int | None:
        """Whole days since it was submitted (None where the date was never kept)."""
        if self.assessment.submitted_at is None:
            return None
        return max(((now or utcnow()) - self.assessment.submitted_at).days, 0)


def review_queue() -> list[Waiting]:
    """Submitted assessments waiting for review, the longest waiting first."""
    rows = db.session.execute(
        db.select(Assessment, User)
        .outerjoin(User, Assessment.submitted_by_id == User.id)
        .where(Assessment.status == "submitted")
        .options(joinedload(Assessment.city).joinedload(City.country))
        .order_by(Assessment.submitted_at.asc().nulls_first(), Assessment.id)
    ).all()
    return [Waiting(assessment, user) for assessment, user in rows]


def review_queue_count() -> int:
    """How many assessments wait for review: one COUNT on the (status, submitted_at) index."""
    return db.session.execute(
        db.select(db.func.count()).select_from(Assessment).where(Assessment.status == "submitted")
    ).scalar_one()


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
