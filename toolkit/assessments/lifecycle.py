"""An assessment's way through review: the workflow table and its steps (submit, return,
approve, reopen), the review rounds with their notes and replies, and the review queue.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import joinedload, selectinload

from questionnaires import Scorecard
from toolkit.accounts.models import User
from toolkit.assessments.answering import lock
from toolkit.assessments.models import (
    Answer,
    AnswerRevision,
    Assessment,
    ReviewDecision,
    ReviewNote,
    ReviewReply,
)
from toolkit.assessments.workflow import TRANSITIONS, TransitionRefused
from toolkit.cities.models import City
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.notifications import service as notifications


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


@dataclass(frozen=True)
class SubmitBlocked:
    """What keeps a city from submitting: `what` is "carried_over" (answers still to confirm or
    change) or "missing_required" (required questions without an answer), `count` how many."""

    what: str
    count: int


def submit_blocked(assessment: Assessment, card: Scorecard) -> SubmitBlocked | None:
    """Why the assessment (scored as `card`) cannot be submitted yet, or None when it can:
    carried-over answers are confirmed or changed first, then every required question answered."""
    carried = sum(a.carried_over for a in assessment.answers)
    if carried:
        return SubmitBlocked("carried_over", carried)
    if card.missing_required:
        return SubmitBlocked("missing_required", len(card.missing_required))
    return None


def undocumented_figures(assessment: Assessment, card: Scorecard) -> list[Answer]:
    """The number answers (indicators, scored as `card`) without the year of their data or its
    source, in questionnaire order: a warning before submitting, not a block."""
    answers = {a.question_id: a for a in assessment.answers}
    found = []
    for question in card.questionnaire.questions():
        answer = answers.get(question.id)
        if (
            question.type == "number"
            and answer is not None
            and answer.value is not None
            and not answer.not_applicable
            and not (answer.data_year and answer.data_source)
        ):
            found.append(answer)
    return found


def submit(assessment: Assessment, by: User, at=None) -> None:
    """draft/returned -> submitted (the caller asks `submit_blocked` first)."""
    _transition(assessment, "submit")
    assessment.submitted_by_id = by.id
    assessment.submitted_at = at or utcnow()
    record("assessment_submitted", assessment, user=by)
    notifications.on_submitted(assessment, by)


def approve(assessment: Assessment, by: User, comment: str | None, at=None) -> None:
    """submitted -> approved: read-only from now on."""
    _transition(assessment, "approve")
    decision = _decide(assessment, "approved", by, comment, at)
    record("assessment_approved", assessment, user=by, comment=comment, decision=decision.id)
    notifications.on_approved(assessment, by)


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
    notifications.on_returned(assessment, by, comment, len(notes))


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
    notifications.on_replied(note, by)
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
