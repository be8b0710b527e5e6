"""Action plans: which actions a cycle's plan holds, their changes and notes, what was done
since the last cycle, and the counts network staff read.

Services flush; the request boundary commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from questionnaires import Scorecard
from questionnaires.scoring import PriorityRecommendation
from reports import ActionFacts
from toolkit.actions.models import ACTION_STATUSES, OPEN_STATUSES, Action, ActionNote
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import comparison_with, previous_assessment, scorecard
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.network import comparison

# The currency an amount is first given in, by the city's country (ISO 3166 -> ISO 4217).
CURRENCIES = {
    "ID": "IDR",
    "VN": "VND",
    "TH": "THB",
    "MY": "MYR",
    "PH": "PHP",
    "KH": "KHR",
    "LA": "LAK",
    "MM": "MMK",
    "SG": "SGD",
    "BN": "BND",
}
# The fields a person edits, in the form's order: what a stale save compares.
FIELDS = (
    "title",
    "description",
    "department",
    "responsible",
    "responsible_id",
    "start_on",
    "due_on",
    "status",
    "dropped_reason",
    "budget_line",
    "budget_amount",
    "budget_currency",
)
SORTS = ("due", "status", "area", "priority")


class StaleAction(Exception):
    """A save based on an older version of the action: `differences` are (field, theirs,
    yours) for each field that the other person's change and this save set differently."""

    def __init__(self, action: Action, differences: list[tuple[str, object, object]]):
        super().__init__("stale action")
        self.action = action
        self.differences = differences


def default_currency(city: City) -> str | None:
    """The currency of the city's country, which a new action's amount is first given in."""
    return CURRENCIES.get(city.country.code)


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
            .options(*_listed())
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        )
    )


def _listed() -> tuple:
    """What a listed action shows (its cycle, its responsible's name, its last note), loaded
    with the list rather than once per action."""
    return (
        selectinload(Action.notes),
        selectinload(Action.responsible_user),
        selectinload(Action.assessment),
    )


def city_actions(city: City) -> list[Action]:
    """Every action of the city, of every cycle, by due date (undated last)."""
    return list(
        db.session.scalars(
            db.select(Action)
            .where(Action.city_id == city.id)
            .options(*_listed())
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        )
    )


def find_action(action_id: int) -> Action | None:
    """The action with this id, or None."""
    return db.session.get(Action, action_id)


def is_overdue(action: Action, today: date | None = None) -> bool:
    """Open and past its due date."""
    today = today or date.today()
    return action.open and action.due_on is not None and action.due_on < today


def is_history(action: Action) -> bool:
    """An action closed before the city's latest cycle began: read-only, the record of what
    the city did. (One closed during the latest cycle, even if planned earlier, may still be
    reopened: it was closed on the plan the city works on.)"""
    if action.open or action.closed_on is None:
        return False
    began = db.session.scalar(
        db.select(Assessment.created_at)
        .where(Assessment.city_id == action.city_id)
        .order_by(Assessment.cycle.desc(), Assessment.created_at.desc())
        .limit(1)
    )
    return began is not None and action.closed_on < began.date()


def recommendation_of(card: Scorecard, question_id: str) -> PriorityRecommendation | None:
    """The scorecard's priority recommendation for a question, or None."""
    return next((r for r in card.recommendations if r.question.id == question_id), None)


@dataclass(frozen=True)
class PlanFilter:
    """What a plan page shows: by status, area, overdue only, a responsible's name (any part
    of it, in any case), sorted by `sort` (one of SORTS)."""

    status: str = ""
    area: str = ""
    overdue: bool = False
    responsible: str = ""
    sort: str = "due"

    def params(self) -> dict[str, str]:
        """The filter as a query string's values (those it sets), for links to the exports."""
        values = {
            "status": self.status,
            "area": self.area,
            "overdue": "yes" if self.overdue else "",
            "responsible": self.responsible,
            "sort": self.sort,
        }
        return {name: value for name, value in values.items() if value}

    @classmethod
    def of(cls, args) -> PlanFilter:
        """The filter of a query string; unknown values are ignored (they filter nothing)."""
        status = args.get("status", "")
        sort = args.get("sort", "due")
        return cls(
            status=status if status in ACTION_STATUSES else "",
            area=args.get("area", "")[:40],
            overdue=args.get("overdue") == "yes",
            responsible=args.get("responsible", "").strip()[:200],
            sort=sort if sort in SORTS else "due",
        )


def filtered_plan(actions: list[Action], f: PlanFilter, card: Scorecard | None) -> list[Action]:
    """The actions `f` selects, in its order. Priority is the rank of the recommendation an
    action answers in `card` (the city's own actions last)."""
    today = date.today()
    wanted = f.responsible.casefold()

    def keep(a: Action) -> bool:
        names = " ".join(
            n for n in (a.responsible, a.responsible_user and a.responsible_user.name) if n
        )
        return (
            (not f.status or a.status == f.status)
            and (not f.area or a.area_id == f.area)
            and (not f.overdue or is_overdue(a, today))
            and (not wanted or wanted in names.casefold())
        )

    ranks = {r.question.id: r.rank for r in card.recommendations} if card else {}

    def due(a: Action) -> tuple:
        return (a.due_on is None, a.due_on or today, a.id)

    keys = {
        "due": due,
        "status": lambda a: (ACTION_STATUSES.index(a.status), *due(a)),
        "area": lambda a: (a.area_id is None, a.area_id or "", *due(a)),
        "priority": lambda a: (ranks.get(a.question_id, 10**6), *due(a)),
    }
    return sorted(filter(keep, actions), key=keys[f.sort])


def new_action(
    assessment: Assessment,
    values: dict,
    by,
    question_id: str | None = None,
    area_id: str | None = None,
) -> Action:
    """A new action of the assessment's plan, for the recommendation of `question_id` (its
    area with it) or of the city's own (in `area_id`, or none)."""
    action = Action(
        city_id=assessment.city_id,
        assessment=assessment,
        question_id=question_id,
        area_id=area_id,
        created_by_id=by.id,
        updated_by_id=by.id,
        status="planned",
    )
    status = values.pop("status", "planned")
    _set(action, values)
    db.session.add(action)
    if status != "planned":
        _change_status(action, status, values.get("dropped_reason"), by)
    db.session.flush()
    return action


def update_action(action: Action, values: dict, version: int, by) -> Action:
    """Change an action from `values` (FIELDS), as seen at `version`: a StaleAction when
    someone else changed it since. A change of status writes a note; closing (done, dropped)
    sets the day it was closed, reopening clears it."""
    if version != action.version:
        raise StaleAction(action, _differences(action, values))
    wanted = dict(values)
    status = values.pop("status", action.status)
    try:
        # The UPDATE names the version it was read at (the model's version_id_col): a save
        # by someone else in between makes it change nothing, and this one is refused too.
        with db.session.begin_nested():
            _set(action, values)
            if status != action.status:
                _change_status(action, status, values.get("dropped_reason"), by)
            action.version += 1
            action.updated_by_id = by.id
            action.updated_at = utcnow()
            db.session.flush()
    except StaleDataError:
        db.session.refresh(action)
        raise StaleAction(action, _differences(action, wanted)) from None
    return action


def _differences(action: Action, values: dict) -> list[tuple[str, object, object]]:
    return [
        (name, getattr(action, name), values[name])
        for name in FIELDS
        if name in values and getattr(action, name) != values[name]
    ]


def add_note(action: Action, text: str, by) -> ActionNote:
    """A progress note on the action (notes are never changed or removed)."""
    note = ActionNote(action=action, text=text, written_by_id=by.id)
    db.session.add(note)
    db.session.flush()
    return note


def _set(action: Action, values: dict) -> None:
    for name, value in values.items():
        if name in FIELDS and name != "status":
            setattr(action, name, value)


def _change_status(action: Action, status: str, reason: str | None, by) -> None:
    """Move the action to `status`, with the note that records it."""
    if status == "dropped" and not reason:
        raise ValueError("a dropped action needs a reason")
    action.status = status
    action.closed_on = None if status in OPEN_STATUSES else date.today()
    if status != "dropped":
        action.dropped_reason = None
    text = reason if status == "dropped" else ""
    db.session.add(ActionNote(action=action, text=text or "", status=status, written_by_id=by.id))


def budget_words(action: Action) -> str | None:
    """The amount as written with its currency ("IDR 250,000,000.00"), or None."""
    if action.budget_amount is None:
        return None
    amount = Decimal(action.budget_amount)
    return f"{action.budget_currency or ''} {amount:,.2f}".strip()


def last_note(action: Action) -> str | None:
    """The text of the action's latest note that has one."""
    return next((n.text for n in reversed(action.notes) if n.text), None)


def action_facts(assessment: Assessment) -> tuple[ActionFacts, ...]:
    """The cycle's plan (`plan_of`) as the report prints it, with the actions done since the
    last cycle that the plan page lists (`done_since`), so that the two say the same."""
    plan = plan_of(assessment)
    shown = {a.id for a in plan}
    actions = plan + [a for a in done_since(assessment) if a.id not in shown]
    return tuple(
        ActionFacts(
            title=a.title,
            status=a.status,
            planned_in=a.assessment.cycle,
            area_id=a.area_id,
            question_id=a.question_id,
            department=a.department,
            responsible=a.responsible or (a.responsible_user.name if a.responsible_user else None),
            start_on=a.start_on,
            due_on=a.due_on,
            closed_on=a.closed_on,
            dropped_reason=a.dropped_reason,
            budget_line=a.budget_line,
            budget=budget_words(a),
            last_note=last_note(a),
        )
        for a in actions
    )


@dataclass(frozen=True)
class ScoreMove:
    """A score then (the previous cycle) and now; None where there is none."""

    before: float | None
    now: float | None

    @property
    def moved(self) -> bool | None:
        """Whether it went up (True), not up (False), or cannot be told (None)."""
        if self.before is None or self.now is None:
            return None
        return self.now > self.before


@dataclass(frozen=True)
class DoneAction:
    """An action done since the previous cycle began, with how the scores it was about moved:
    its area's score and its question's points (None when it was of the city's own)."""

    action: Action
    previous_cycle: int
    area: ScoreMove | None
    question: ScoreMove | None


def done_since(assessment: Assessment) -> list[Action]:
    """The city's actions planned before this cycle and closed as done since its previous
    assessment (of the same questionnaire) began, and before the next one began. Empty for
    a first cycle."""
    previous = previous_assessment(assessment)
    if previous is None:
        return []
    following = db.session.scalar(
        db.select(sa.func.min(Assessment.created_at)).where(
            Assessment.city_id == assessment.city_id, Assessment.cycle > assessment.cycle
        )
    )
    earlier = db.select(Assessment.id).where(
        Assessment.city_id == assessment.city_id, Assessment.cycle < assessment.cycle
    )
    query = (
        db.select(Action)
        .where(Action.city_id == assessment.city_id, Action.status == "done")
        .where(Action.assessment_id.in_(earlier.scalar_subquery()))
        .where(Action.closed_on >= previous.created_at.date())
        .options(*_listed())
        .order_by(Action.closed_on, Action.id)
    )
    if following is not None:
        query = query.where(Action.closed_on < following.date())
    return list(db.session.scalars(query))


def done_since_last_cycle(assessment: Assessment) -> list[DoneAction]:
    """The actions `done_since` the last cycle, and how their area's score and question's
    points moved between the two cycles."""
    actions = done_since(assessment)
    if not actions:
        return []
    previous = previous_assessment(assessment)
    cards = (scorecard(previous), scorecard(assessment))
    # Cycles on different versions compare on what the versions share (the item map).
    across = comparison_with(previous, assessment)
    link = (
        instrument.bridge_between(
            previous.questionnaire_version,
            assessment.questionnaire_version,
            assessment.questionnaire_id,
        )
        if across
        else None
    )

    def area_move(area_id: str | None) -> ScoreMove | None:
        if not area_id:
            return None
        if area_id in across:
            return ScoreMove(across[area_id].before, across[area_id].now)
        then, now = (_area_score(card, area_id) for card in cards)
        return ScoreMove(then, now)

    def question_move(action: Action) -> ScoreMove | None:
        if not action.question_id:
            return None
        then, now = (
            _points(card, _id_in(link, action, done.questionnaire_version))
            for card, done in zip(cards, (previous, assessment), strict=True)
        )
        return ScoreMove(then, now)

    return [DoneAction(a, previous.cycle, area_move(a.area_id), question_move(a)) for a in actions]


def _id_in(link, action: Action, version: str) -> str | None:
    """The id of the action's question in `version`: the action names it as it was in the
    version of the cycle it was planned in, and the item map (`link`) pairs the ids of two
    versions; None when the question has no pair there."""
    planned_in = action.assessment.questionnaire_version
    if link is None or version == planned_in:
        return action.question_id
    if version == link.new.version:
        return link.pairs.get(action.question_id)
    return next((old for old, new in link.pairs.items() if new == action.question_id), None)


def _area_score(card: Scorecard, area_id: str) -> float | None:
    try:
        return card.area(area_id).score
    except StopIteration:
        return None


def _points(card: Scorecard, question_id: str | None) -> float | None:
    if question_id is None:
        return None
    try:
        return card.question(question_id).points
    except StopIteration:  # not in this version of the questionnaire
        return None


@dataclass(frozen=True)
class NetworkCounts:
    """Actions across cities: how many per area and status, and how many are overdue."""

    counts: dict[tuple[str, str], int]
    overdue: int
    total: int


def network_query(f: comparison.Filter):
    """The actions planned in the assessments of the network filter `f` (any status)."""
    query = (
        db.select(Action)
        .join(Assessment, Action.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
    )
    return comparison.filtered(query, f)


def network_counts(f: comparison.Filter) -> NetworkCounts:
    """The counts per area ("" for actions of no area) and status of `network_query(f)`."""
    base = network_query(f).subquery()
    rows = db.session.execute(
        db.select(base.c.area_id, base.c.status, sa.func.count()).group_by(
            base.c.area_id, base.c.status
        )
    )
    counts = {(area or "", status): n for area, status, n in rows}
    overdue = db.session.scalar(
        db.select(sa.func.count())
        .select_from(base)
        .where(base.c.status.in_(OPEN_STATUSES), base.c.due_on < date.today())
    )
    return NetworkCounts(counts, overdue or 0, sum(counts.values()))


def network_list(f: comparison.Filter, area: str | None, status: str, overdue: bool) -> list:
    """The actions of one count of the network page (area "" for those of no area)."""
    query = network_query(f)
    if area is not None:
        query = query.where(Action.area_id.is_(None) if area == "" else Action.area_id == area)
    if status:
        query = query.where(Action.status == status)
    if overdue:
        query = query.where(Action.status.in_(OPEN_STATUSES), Action.due_on < date.today())
    return list(db.session.scalars(query.order_by(City.name, Action.due_on, Action.id)))


def status_names() -> dict[str, str]:
    """The statuses in the reader's words."""
    return {
        "planned": _("Planned"),
        "in_progress": _("In progress"),
        "done": _("Done"),
        "dropped": _("Dropped"),
    }
