"""Answering an assessment: starting it (empty or with an earlier cycle's answers carried
over), who answers which area, and saving answers with a revision each, merged part by part with
other people's changes, or kept apart as conflicts.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from questionnaires import Question, Questionnaire, Scorecard
from questionnaires.scoring import AreaScore
from questionnaires.versions import Bridge
from reports import words
from toolkit.accounts.models import User
from toolkit.assessments.models import Answer, AnswerRevision, AreaAssignment, Assessment
from toolkit.assessments.scores import questionnaire_of, refresh_area_scores, refresh_scores
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.evidence.models import EvidenceFile
from toolkit.i18n.service import language_code
from toolkit.notifications import service as notifications

EMPTY = {
    "value": None,
    "not_applicable": False,
    "reason": None,
    "comment": None,
    "evidence": [],
    "data_year": None,
    "data_source": None,
    "files": [],
}


# The parts of an answer merged on their own: two people changing different parts of one answer
# do not conflict. "Not applicable" and its reason are one part, and so are the year and the
# source of a number's data.
PARTS = {
    "value": ("value",),
    "not_applicable": ("not_applicable", "reason"),
    "comment": ("comment",),
    "evidence": ("evidence",),
    "data": ("data_year", "data_source"),
}


@dataclass(frozen=True)
class AnswerConflict:
    """A save based on an older version of the answer, where someone else changed the same part
    of it meanwhile. Nothing of the answer is saved; both answers are kept for the user.

    `base` is the answer the person saw (None when its history does not reach back there),
    `theirs` the stored one, `yours` what the person sent, `parts` the parts both changed.
    """

    answer: Answer
    base: dict | None
    theirs: dict
    yours: dict
    parts: list[str]

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
    # One marked it not applicable while the other answered it (or gave its data's year or
    # source): one decision, not two.
    answered = [p for p in ("value", "data") if any(merged.get(k) is not None for k in PARTS[p])]
    if merged["not_applicable"] and answered:
        parts = [p for p in PARTS if p in parts or p in ("not_applicable", *answered)]
    return merged, parts


@dataclass(frozen=True)
class AnswerInput:
    """What a user gives for one question. `based_on` is the answer version they saw."""

    value: object = None
    not_applicable: bool = False
    reason: str | None = None
    comment: str | None = None
    evidence: tuple[str, ...] = ()
    # Number questions only: the year the figure describes and where it comes from.
    data_year: int | None = None
    data_source: str | None = None
    based_on: int | None = None
    # The person confirms a carried-over answer still holds, without changing it.
    confirm: bool = False


def start_problems(
    city: City, questionnaire_id: str, cycle: int, carry_over_from: Assessment | None
) -> dict[str, str]:
    """Why the city cannot start this assessment, by what the problem concerns ("cycle": the
    city has it already; "carry_over": answers come only from an earlier cycle of the same
    questionnaire); empty when it can."""
    if any(a.questionnaire_id == questionnaire_id and a.cycle == cycle for a in city.assessments):
        return {"cycle": _("The city already has this assessment for this cycle.")}
    source = carry_over_from
    if source is not None and (
        source.questionnaire_id != questionnaire_id or source.cycle >= cycle
    ):
        return {
            "carry_over": _(
                "Answers can only be carried over from an earlier cycle of the same questionnaire."
            )
        }
    return {}


def create_assessment(
    city: City,
    questionnaire: Questionnaire,
    cycle: int,
    by: User | None,
    carry_over_from: Assessment | None = None,
    at=None,
) -> Assessment:
    """Start a draft assessment of `city` for `cycle`, empty or with an earlier cycle's answers.

    Carried-over answers are marked as such until someone confirms or changes them. From an
    earlier version, the item map decides: the answers of questions that stayed the same or
    moved are copied (to their new ids), those of questions that changed are offered on their
    page instead (offered_answers). Answers that no longer fit are left behind.
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


def _carry_over(
    assessment: Assessment,
    questionnaire: Questionnaire,
    source: Assessment,
    by: User | None,
    now,
) -> int:
    """Copy the answers of `source` that still answer the same question, through the item map
    when the versions differ (a question moved keeps its answer under its new id); a question
    that changed is left empty and offers the earlier answer instead (offered_answers)."""
    assessment.carried_over_cycle = source.cycle
    link = _link(source, questionnaire)
    if link is None and source.questionnaire_version != questionnaire.version:
        return 0  # nothing says which of its answers still mean the same
    by_question = {a.question_id: a for a in source.answers}
    carried = []
    for question in questionnaire.questions():
        old = by_question.get(link.copies.get(question.id) if link else question.id)
        if old is None or (old.not_applicable and not question.allow_na):
            continue
        try:
            value = None if old.value is None else _storable(question.parse_answer(old.value))
        except ValueError:
            continue
        answer = Answer(
            assessment=assessment,
            question_id=question.id,
            value=value,
            not_applicable=old.not_applicable,
            not_applicable_reason=old.not_applicable_reason,
            comment=old.comment,
            evidence=list(old.evidence or []),
            data_year=old.data_year if question.type == "number" else None,
            data_source=old.data_source if question.type == "number" else None,
            updated_by_id=by.id if by else None,
            updated_at=now,
            carried_over=True,
            # The files too: new rows sharing the content, as attached the cycle before.
            files=[
                EvidenceFile(
                    name=f.name,
                    size=f.size,
                    content_type=f.content_type,
                    sha256=f.sha256,
                    uploaded_by_id=f.uploaded_by_id,
                    uploaded_at=f.uploaded_at,
                )
                for f in old.attached_files
            ],
        )
        db.session.add(answer)
        carried.append(answer)
    db.session.flush()  # the files' ids, for the revisions' snapshots
    for answer in carried:
        answer.revisions.append(
            AnswerRevision(
                changed_by_id=answer.updated_by_id,
                changed_at=now,
                old=None,
                new=answer.snapshot(),
                kind="carried_over",
            )
        )
    db.session.flush()
    return len(carried)


def _link(source: Assessment, questionnaire: Questionnaire) -> Bridge | None:
    """The bridge from the source's version on to `questionnaire`'s; None for the same
    version, or where no item map leads from one to the other."""
    if source.questionnaire_version == questionnaire.version:
        return None
    link = instrument.bridge_between(
        source.questionnaire_version, questionnaire.version, questionnaire.id
    )
    return link if link is not None and link.new.version == questionnaire.version else None


@dataclass(frozen=True)
class OfferedAnswer:
    """An earlier cycle's answer to a question that has changed since: shown beside the new
    question for the person to take up or not, never copied. `answers` are the earlier
    questions with their answers (in words, and as stored, comment and evidence with them);
    `earlier` is the one answer "Use this answer" saves, where the change keeps answers
    comparable and the answer fits the question as it is now (else None)."""

    cycle: int
    version: str
    why: str
    answers: tuple[tuple[Question, str, Answer], ...]
    earlier: Answer | None = None


def offered_answers(assessment: Assessment, questions: list[Question]) -> dict[str, OfferedAnswer]:
    """The earlier answers offered to these questions of an assessment started from an earlier
    version's: those the item map marks changed, split or merged, and not answered here yet."""
    source = _source_of(assessment)
    link = _link(source, questionnaire_of(assessment)) if source is not None else None
    wanted = [q for q in questions if link is not None and q.id in link.offers]
    if not wanted:
        return {}
    answered = set(
        db.session.execute(
            db.select(Answer.question_id).where(
                Answer.assessment_id == assessment.id,
                Answer.question_id.in_([q.id for q in wanted]),
                sa.or_(Answer.value.is_not(None), Answer.not_applicable),
            )
        ).scalars()
    )
    earlier = {a.question_id: a for a in source.answers if a.value is not None or a.not_applicable}
    offered = {}
    for question in wanted:
        change, origins = link.offers[question.id]
        if question.id in answered:
            continue
        described = [
            (link.old.question(o), said, earlier[o])
            for o in origins
            if o in earlier and (said := _in_words(link.old.question(o), earlier[o])) is not None
        ]
        if not described:
            continue
        usable = None
        if len(origins) == 1 and change.comparable and _fits(question, described[0][2]):
            usable = described[0][2]
        offered[question.id] = OfferedAnswer(
            source.cycle,
            link.new.version,
            change.why.get(language_code()) if change.why else "",
            tuple(described),
            usable,
        )
    return offered


def _in_words(question: Question, answer: Answer) -> str | None:
    """An earlier answer as the person reads it back; None when it no longer reads."""
    if answer.not_applicable:
        return _("Not applicable: %(reason)s", reason=answer.not_applicable_reason or "")
    try:
        value = question.parse_answer(answer.value)
    except ValueError:
        return None
    return words.answer_words(question, value, get_translations(), language_code())


def _fits(question: Question, answer: Answer) -> bool:
    """Whether an earlier answer is a valid answer to `question` as it is now."""
    if answer.not_applicable:
        return question.allow_na
    try:
        question.parse_answer(answer.value)
    except ValueError:
        return False
    return True


def _source_of(assessment: Assessment) -> Assessment | None:
    """The city's assessment its answers were carried over from, if it is still there."""
    if assessment.carried_over_cycle is None:
        return None
    return db.session.execute(
        db.select(Assessment).filter_by(
            city_id=assessment.city_id,
            questionnaire_id=assessment.questionnaire_id,
            cycle=assessment.carried_over_cycle,
        )
    ).scalar_one_or_none()


def take_offer(
    assessment: Assessment, given: dict[str, AnswerInput], question: Question
) -> dict[str, AnswerInput]:
    """`given` with the earlier answer offered to `question` in the parts the person left empty
    (the value, or not applicable with its reason; the comment, evidence, year and source of the
    data), when they asked for it and gave no answer of their own (theirs always wins)."""
    offer = offered_answers(assessment, [question]).get(question.id)
    mine = given.get(question.id)
    if offer is None or offer.earlier is None or mine is None:
        return given
    if mine.value is not None or mine.not_applicable:
        return given
    earlier = offer.earlier
    value = None if earlier.not_applicable else _storable(question.parse_answer(earlier.value))
    taken = replace(
        mine,
        value=value,
        not_applicable=earlier.not_applicable,
        reason=earlier.not_applicable_reason if earlier.not_applicable else mine.reason,
        comment=mine.comment or earlier.comment,
        evidence=mine.evidence or tuple(earlier.evidence or ()),
        data_year=mine.data_year or earlier.data_year,
        data_source=mine.data_source or earlier.data_source,
    )
    return {**given, question.id: taken}


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
    answer is not saved: it comes back among the result's conflicts (AnswerConflict, holding
    both). An unchanged answer is left alone (no revision), unless it was carried over and the
    user confirms it. A value or question that does not fit raises
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
        if question.type != "number" and (item.data_year or item.data_source):
            raise ValueError(f"{question_id} is not a number: it has no year or source of data")
        answer = existing.get(question_id)
        # The form never sends the files (they are attached and removed on their own), so a
        # save keeps those the answer has: it neither drops them nor conflicts over them.
        new = _snapshot(value, item, answer.snapshot()["files"] if answer else [])
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
                result.conflicts.append(AnswerConflict(answer, base, answer.snapshot(), new, parts))
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
        answer.data_year = new["data_year"]
        answer.data_source = new["data_source"]
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


def change_files(
    assessment: Assessment, question_id: str, change: Callable[[Answer], None], by: User | None
) -> Answer:
    """Attach files to, or remove files from, the answer to a question (creating the answer
    when the question has none yet), as `change` does to the answer: a change of the answer
    like any other, with its revision and author, and a new version of the answer and of the
    assessment. Files do not score: the stored scores stay as they are."""
    questionnaire_of(assessment).question(question_id)  # KeyError for a question it has not
    lock(assessment)
    answer = answers_to(assessment, [question_id], fresh=True).get(question_id)
    old = answer.snapshot() if answer is not None else None
    if answer is None:
        answer = Answer(assessment_id=assessment.id, question_id=question_id, version=0)
        db.session.add(answer)
    change(answer)
    db.session.flush()  # the new files' ids, for the snapshot
    at = utcnow()
    answer.updated_by_id = by.id if by else None
    answer.updated_at = at
    answer.version += 1
    db.session.add(
        AnswerRevision(
            answer=answer,
            changed_by_id=answer.updated_by_id,
            changed_at=at,
            old=old,
            new=answer.snapshot(),
            kind="changed",
        )
    )
    assessment.version += 1
    return answer


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
    query = (
        db.select(Answer)
        .where(Answer.assessment_id == assessment.id, Answer.question_id.in_(list(question_ids)))
        .options(selectinload(Answer.files).joinedload(EvidenceFile.uploaded_by))
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


def last_change(assessment: Assessment) -> tuple[Answer, User | None] | None:
    """The answer changed last, with who changed it (None where nobody is known)."""
    return db.session.execute(
        db.select(Answer, User)
        .outerjoin(User, Answer.updated_by_id == User.id)
        .where(Answer.assessment_id == assessment.id)
        .order_by(Answer.updated_at.desc(), Answer.id.desc())
        .limit(1)
    ).first()


def assignable_people(assessment: Assessment) -> list[User]:
    """The city's active people, who may be given areas, by role and name."""
    return list(
        db.session.execute(
            db.select(User)
            .filter_by(city_id=assessment.city_id, active=True)
            .order_by(User.role, User.name)
        ).scalars()
    )


def assign_areas(assessment: Assessment, people: Mapping[str, set[int]], by: User) -> None:
    """Give each area to these people of the city (user ids), replacing earlier assignments."""
    current = {(a.area_id, a.user_id): a for a in assessment.assignments}
    wanted = {(area_id, user_id) for area_id, ids in people.items() for user_id in ids}
    for key, assignment in current.items():
        if key not in wanted:
            assessment.assignments.remove(assignment)
    added = sorted(wanted - current.keys())
    for area_id, user_id in added:
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
    notifications.on_assigned(assessment, added, by)


@dataclass(frozen=True)
class WorkOrder:
    """An assessment's areas in the order one person works through them: the areas assigned to
    them first, then the others; and the first unanswered question in that order."""

    areas: list[AreaScore]
    mine: frozenset[str]
    assigned: dict[str, list[User]]
    next_question: Question | None


def work_order(assessment: Assessment, card: Scorecard, user: User) -> WorkOrder:
    """The areas of the assessment (scored as `card`) as `user` works through them."""
    assigned: dict[str, list[User]] = {}
    for assignment in assessment.assignments:
        assigned.setdefault(assignment.area_id, []).append(assignment.user)
    mine = [a for a in card.areas if user in assigned.get(a.area.id, [])]
    areas = mine + [a for a in card.areas if a not in mine]
    unanswered = (
        r.question
        for a in areas
        for s in a.sub_areas
        for r in s.questions
        if r.status == "unanswered"
    )
    return WorkOrder(
        areas=areas,
        mine=frozenset(a.area.id for a in mine),
        assigned=assigned,
        next_question=next(unanswered, None),
    )


def _storable(value):
    """JSON keeps lists, not tuples (multi_choice answers)."""
    return list(value) if isinstance(value, tuple) else value


def _snapshot(value, item: AnswerInput, files: list[dict]) -> dict:
    """The same shape as Answer.snapshot(), for comparing and for revisions; `files` are the
    answer's attached files as its snapshot lists them."""
    return {
        "value": value,
        "not_applicable": item.not_applicable,
        "reason": item.reason if item.not_applicable else None,
        "comment": item.comment or None,
        "evidence": list(item.evidence),
        "data_year": None if item.not_applicable else item.data_year,
        "data_source": None if item.not_applicable else (item.data_source or None),
        "files": files,
    }
