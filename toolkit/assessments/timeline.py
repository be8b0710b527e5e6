"""The timeline of an assessment: every audit event told in a sentence, with the review round
(notes, replies, questions changed since) a decision opened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from questionnaires import Question, Questionnaire
from toolkit.accounts.models import User
from toolkit.assessments.lifecycle import ReviewRound, review_rounds
from toolkit.assessments.models import Assessment
from toolkit.assessments.workflow import STATUS_NAMES
from toolkit.core.extensions import db
from toolkit.core.models import AuditEvent
from toolkit.i18n.service import language_code


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    who: str | None  # None: the system (a command, the demo loader)
    action: str
    sentence: str
    round: ReviewRound | None = None


def timeline_entries(assessment: Assessment, questionnaire: Questionnaire) -> list[Entry]:
    """The assessment's events, newest first, each in words."""
    events = db.session.execute(
        db.select(AuditEvent, User)
        .outerjoin(User, AuditEvent.user_id == User.id)
        .where(AuditEvent.object_type == "assessment", AuditEvent.object_id == str(assessment.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    assigned = {
        int(i)
        for event, _user in events
        if event.action == "areas_assigned"
        for ids in (event.details.get("areas") or {}).values()
        for i in ids
    }
    people = {}
    if assigned:
        rows = db.session.execute(db.select(User.id, User.name).where(User.id.in_(assigned)))
        people = dict(rows.all())
    rounds = {r.decision.id: r for r in review_rounds(assessment)}
    words = _Words(questionnaire, people)
    return [
        Entry(
            at=event.at,
            who=user.name if user else None,
            action=event.action,
            sentence=words.sentence(event.action, event.details or {}),
            round=rounds.get((event.details or {}).get("decision")),
        )
        for event, user in events
    ]


class _Words:
    """Turns an event's details into a sentence in the reader's language."""

    def __init__(self, questionnaire: Questionnaire, people: dict[int, str]):
        self.questionnaire = questionnaire
        self.people = people
        self.phrases: dict[str, Callable[[dict], str]] = {
            "assessment_created": self.created,
            "answers_saved": self.saved,
            "workbook_applied": self.from_workbook,
            "areas_assigned": self.assigned,
            "assessment_submitted": lambda d: _("Sent to the network for review."),
            "assessment_approved": lambda d: self.with_comment(
                _("Read-only from now on."), d.get("comment")
            ),
            "assessment_returned": self.returned,
            "assessment_reopened": lambda d: _(
                "The city can change its answers again. Reason: %(reason)s",
                reason=d.get("reason") or "",
            ),
            "review_note_replied": self.replied,
            "evidence_attached": lambda d: _(
                "%(names)s, to question %(question)s.",
                names=", ".join(f.get("name", "") for f in d.get("files") or []),
                question=d.get("question"),
            ),
            "evidence_removed": lambda d: _(
                "%(name)s, from question %(question)s.",
                name=(d.get("file") or {}).get("name", ""),
                question=d.get("question"),
            ),
            "demo_assessment_loaded": lambda d: _(
                "Demo data, loaded as %(status)s.",
                status=STATUS_NAMES.get(d.get("status"), d.get("status")),
            ),
        }

    def sentence(self, action: str, details: dict) -> str:
        """The event in words; an event this version does not know yet says nothing more."""
        phrase = self.phrases.get(action)
        return phrase(details) if phrase else ""

    def area(self, area_id: str) -> str:
        try:
            return self.questionnaire.area(area_id).name.get(language_code())
        except KeyError:
            return area_id

    def created(self, d: dict) -> str:
        if d.get("carried_over_from"):
            return ngettext(
                "For the %(cycle)s cycle, with %(num)d answer carried over from %(earlier)s.",
                "For the %(cycle)s cycle, with %(num)d answers carried over from %(earlier)s.",
                d.get("carried_over") or 0,
                cycle=d.get("cycle"),
                earlier=d["carried_over_from"],
            )
        return _("For the %(cycle)s cycle, with empty answers.", cycle=d.get("cycle"))

    def from_workbook(self, d: dict) -> str:
        saved = ngettext("%(num)d answer saved", "%(num)d answers saved", d.get("saved") or 0)
        left = ngettext(
            "%(num)d changed by someone else meanwhile, left to settle.",
            "%(num)d changed by someone else meanwhile, left to settle.",
            d.get("conflicts") or 0,
        )
        return f"{saved}; {left}" if d.get("conflicts") else f"{saved}."

    def saved(self, d: dict) -> str:
        return ngettext(
            "%(num)d answer in %(area)s.",
            "%(num)d answers in %(area)s.",
            d.get("count") or 0,
            area=self.area(d.get("area", "")),
        )

    def assigned(self, d: dict) -> str:
        areas = d.get("areas") or {}
        if not areas:
            return _("No area is assigned to anyone now.")
        parts = [
            _(
                "%(area)s to %(people)s",
                area=self.area(area_id),
                people=", ".join(
                    sorted(self.people.get(int(i)) or _("a former user") for i in ids)
                ),
            )
            for area_id, ids in areas.items()
        ]
        return "; ".join(parts) + "."

    def returned(self, d: dict) -> str:
        count = d.get("notes") or 0
        if count:
            notes = ngettext(
                "With %(num)d note on a question.", "With %(num)d notes on questions.", count
            )
        else:
            notes = _("With no notes on single questions.")
        return self.with_comment(notes, d.get("comment"))

    def replied(self, d: dict) -> str:
        question = self.questionnaire.find(d.get("question") or "")
        text = question.text if isinstance(question, Question) else d.get("question")
        return _("To the reviewer's note on “%(question)s”.", question=text)

    @staticmethod
    def with_comment(sentence: str, comment: str | None) -> str:
        if not comment:
            return sentence
        return _("%(sentence)s Comment: %(comment)s", sentence=sentence, comment=comment)
