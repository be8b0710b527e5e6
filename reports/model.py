"""The report as plain data: everything a report page shows, computed before any HTML."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import cache, cached_property

from questionnaires import Questionnaire, Scorecard
from questionnaires import model as instrument
from questionnaires.frameworks import FrameworkGroup, grouped
from questionnaires.scoring import ANSWERED, AreaScore, PriorityRecommendation, QuestionScore
from questionnaires.versions import AreaChange, AreaComparison

from .blank import numbers_of
from .charts import area_radar

TOP_PRIORITIES = 5
STRENGTHS = 3
# The council's sheet names at least this many first actions, and at most FIRST_ACTIONS_MAX.
FIRST_ACTIONS_MIN = 3
FIRST_ACTIONS_MAX = 5


@dataclass(frozen=True)
class FileFacts:
    """A file attached to an answer as evidence, as the report names it (the report is read
    offline: it lists the file, it does not link to it)."""

    name: str
    size: int


@dataclass(frozen=True)
class AnswerFacts:
    """One stored answer as the report shows it."""

    value: object = None
    not_applicable: bool = False
    reason: str | None = None
    comment: str | None = None
    evidence: tuple[str, ...] = ()
    files: tuple[FileFacts, ...] = ()
    # Number answers (indicators): the year the figure describes and where it comes from.
    data_year: int | None = None
    data_source: str | None = None
    # Copied from an earlier cycle (that cycle, where known) and not confirmed or changed since.
    carried_over: bool = False
    carried_over_from: int | None = None

    @property
    def documented(self) -> bool:
        """Whether the figure has both the year of its data and its source."""
        return bool(self.data_year and self.data_source)

    @property
    def evidence_lines(self) -> tuple[instrument.EvidenceLine, ...]:
        """The evidence, each line split into its address and description."""
        return tuple(instrument.EvidenceLine.parse(line) for line in self.evidence)


@dataclass(frozen=True)
class ActionFacts:
    """One action of the city's plan as the report shows it: planned in `planned_in` (a
    cycle), for the recommendation of `question_id` (None: an action of the city's own)."""

    title: str
    status: str  # planned, in_progress, done, dropped
    planned_in: int
    area_id: str | None = None
    question_id: str | None = None
    department: str | None = None
    responsible: str | None = None
    start_on: date | None = None
    due_on: date | None = None
    # The day it was done or dropped.
    closed_on: date | None = None
    dropped_reason: str | None = None
    budget_line: str | None = None
    # The amount as written, with its currency ("IDR 250,000,000.00").
    budget: str | None = None
    last_note: str | None = None

    @property
    def open(self) -> bool:
        return self.status in ("planned", "in_progress")


@dataclass(frozen=True)
class Spread:
    """The middle of a cohort's scores in one area (or overall): median and quartiles."""

    lower_quartile: float
    median: float
    upper_quartile: float


@dataclass(frozen=True)
class CohortFacts:
    """The city's cohort in the same questionnaire and cycle (approved assessments): how many
    cities have a score, and per area id (and overall) its spread, None where fewer than
    `minimum` cities have a score (no figure then: a single city could be inferred)."""

    name: str
    cities: int
    minimum: int
    areas: Mapping[str, Spread | None] = field(default_factory=dict)
    overall: Spread | None = None

    @property
    def enough(self) -> bool:
        """Whether enough cities have a score for the cohort's figures to be printed."""
        return self.cities >= self.minimum


@dataclass(frozen=True)
class FirstAction:
    """One line of the council's first actions: an open action of the plan, or (where the
    city has none for it yet) a top recommendation without an owner."""

    text: str
    area: str | None
    action: ActionFacts | None = None
    recommendation: PriorityRecommendation | None = None


@dataclass(frozen=True)
class Report:
    """One assessment's report: facts, scores, and what to do first."""

    template = "report.html"

    city: str
    country: str
    cycle: int
    status: str  # draft, submitted, returned, approved
    questionnaire_title: str
    questionnaire_version: str
    card: Scorecard
    answers: Mapping[str, AnswerFacts]
    # The date the report speaks for, on its cover: the approval, or an open assessment's
    # last change (never the day it is rendered, so a stored PDF stays right).
    as_of: date
    previous_cycle: int | None = None
    previous_scores: Mapping[str, float | None] = field(default_factory=dict)
    # When the previous cycle used another version: each area on what the two versions share.
    previous_version: str | None = None
    previous_comparison: Mapping[str, AreaComparison] = field(default_factory=dict)
    paper: str = "A4"
    language: str = "en"
    # The state of the language's translation ("source", "draft", "reviewed"), and how many
    # of the questionnaire's texts it does not translate yet (printed in English), of how many.
    translation: str = "source"
    in_english: tuple[int, int] = (0, 0)
    # The city's action plan for this cycle: the actions planned in it, and those of earlier
    # cycles still open when it began or closed since (carried over), by due date.
    actions: tuple[ActionFacts, ...] = ()
    # Who approved the assessment and when (None for a draft).
    approved_by: str | None = None
    approved_on: date | None = None
    previous_overall: float | None = None
    cohort: CohortFacts | None = None

    @property
    def draft(self) -> bool:
        """Anything not approved by the network is a draft, and says so on every page."""
        return self.status != "approved"

    @property
    def title(self) -> str:
        return f"{self.city}: {self.questionnaire_title} {self.cycle}"

    @property
    def priorities(self) -> tuple[PriorityRecommendation, ...]:
        """The recommendations the executive summary names first."""
        return self.card.recommendations[:TOP_PRIORITIES]

    @property
    def strengths(self) -> list[AreaScore]:
        """The best-scored areas, strongest first."""
        scored = [a for a in self.card.areas if a.score is not None]
        return sorted(scored, key=lambda a: -a.score)[:STRENGTHS]

    @property
    def changes(self) -> list[AreaChange]:
        """Each area now and in the previous cycle (empty without a previous cycle)."""
        if self.previous_cycle is None:
            return []
        return [
            AreaChange(
                a, self.previous_scores.get(a.area.id), self.previous_comparison.get(a.area.id)
            )
            for a in self.card.areas
        ]

    @cached_property
    def numbers(self) -> dict[str, str]:
        """The number people see for each area, sub-area and question ("3.2.1"), never its id."""
        return numbers_of(self.card.questionnaire)

    @property
    def overall_change(self) -> float | None:
        """Overall points gained (or lost) since the previous cycle; None without one, or when
        an area does not compare across the two cycles' versions."""
        if self.previous_overall is None or self.card.overall is None:
            return None
        if not all(c.comparable for c in self.changes):
            return None
        return self.card.overall - self.previous_overall

    @property
    def fallen(self) -> list[AreaChange]:
        """The areas whose score fell since the previous cycle, the largest fall first."""
        fell = [c for c in self.changes if c.change is not None and c.change < 0]
        return sorted(fell, key=lambda c: c.change)

    def _rank(self, action: ActionFacts) -> int:
        ranks = {r.question.id: r.rank for r in self.card.recommendations}
        return ranks.get(action.question_id, len(ranks) + 1)

    @property
    def first_actions(self) -> list[FirstAction]:
        """What the council is asked to back first: the open actions, those answering the
        highest-priority recommendations first, then by due date; where fewer than
        FIRST_ACTIONS_MIN are open, the top recommendations nobody has an action for yet."""
        open_actions = sorted(
            (a for a in self.actions if a.open),
            key=lambda a: (self._rank(a), a.due_on is None, a.due_on or date.max),
        )
        first = [
            FirstAction(a.title, self._area_name(a.area_id), action=a)
            for a in open_actions[:FIRST_ACTIONS_MAX]
        ]
        # A recommendation with an action under way or done has its owner; a dropped one not.
        planned = {a.question_id for a in self.actions if a.status != "dropped"}
        for r in self.card.recommendations:
            if len(first) >= FIRST_ACTIONS_MIN:
                break
            if r.question.id not in planned:
                name = r.area.name.get(self.language)
                first.append(FirstAction(r.text.get(self.language), name, recommendation=r))
        return first

    def _area_name(self, area_id: str | None) -> str | None:
        if area_id is None:
            return None
        return next(
            (a.area.name.get(self.language) for a in self.card.areas if a.area.id == area_id),
            None,
        )

    def overdue(self, action: ActionFacts) -> bool:
        """Whether an open action was due before the day the report speaks for."""
        return action.open and action.due_on is not None and action.due_on < self.as_of

    @property
    def planned_recommendations(
        self,
    ) -> list[tuple[PriorityRecommendation, list[ActionFacts]]]:
        """Each ranked recommendation with the plan's actions for it (maybe none)."""
        return [
            (r, [a for a in self.actions if a.question_id == r.question.id])
            for r in self.card.recommendations
        ]

    @property
    def own_actions(self) -> list[ActionFacts]:
        """The plan's actions that answer no ranked recommendation: the city's own."""
        ranked = {r.question.id for r in self.card.recommendations}
        return [a for a in self.actions if a.question_id not in ranked]

    @property
    def done_since(self) -> list[tuple[ActionFacts, AreaChange | None]]:
        """The actions planned in an earlier cycle and done since, each with its area's score
        then and now (None for an action of no area, or without a previous cycle)."""
        by_area = {c.area.area.id: c for c in self.changes}
        return [
            (a, by_area.get(a.area_id))
            for a in self.actions
            if a.planned_in < self.cycle and a.status == "done"
        ]

    @property
    def indicators(self) -> list[tuple[QuestionScore, AnswerFacts]]:
        """Every answered number question (an indicator) with its answer, in questionnaire
        order: where the method annex says each figure comes from."""
        return [
            (r, self.answers[r.question.id])
            for a in self.card.areas
            for s in a.sub_areas
            for r in s.questions
            if r.question.type == "number"
            and r.status == ANSWERED
            and r.question.id in self.answers
        ]

    @property
    def frameworks(self) -> tuple[FrameworkGroup, ...]:
        """The question results by global framework (SDGs, Sendai, New Urban Agenda, Paris),
        goal and target: the report's frameworks chapter."""
        return grouped(self.card)

    def radar(self, title: str, description: str, no_score: str):
        """The six areas, with the previous cycle dashed where there is one."""
        lines = [(str(self.cycle), {a.area.id: a.score for a in self.card.areas}, "primary")]
        if self.previous_cycle is not None:
            # An area that does not compare across versions has no earlier point.
            before = {c.area.area.id: c.before if c.comparable else None for c in self.changes}
            lines.append((str(self.previous_cycle), before, "comparison"))
        areas = {a.area.id: a.area.name.get(self.language) for a in self.card.areas}
        return area_radar(areas, lines, title=title, description=description, no_score=no_score)

    def cohort_radar(
        self, labels: tuple[str, str, str], title: str, description: str, no_score: str
    ):
        """The six areas against the cohort: its median, and its middle half shaded, where the
        cohort has enough scored cities (`labels`: the city's line, the median's, the band's)."""
        areas = {a.area.id: a.area.name.get(self.language) for a in self.card.areas}
        mine, median, middle = labels
        lines = []
        band = None
        spread = self.cohort.areas if self.cohort else {}
        if all(spread.get(a) for a in areas):
            band = (
                middle,
                {a: spread[a].lower_quartile for a in areas},
                {a: spread[a].upper_quartile for a in areas},
            )
        medians = {a: spread[a].median for a in areas if spread.get(a)}
        if medians:
            lines.append((median, medians, "comparison"))
        lines.append((mine, {a.area.id: a.score for a in self.card.areas}, "primary"))
        return area_radar(
            areas, lines, band=band, title=title, description=description, no_score=no_score
        )


def canonical(report: Report) -> str:
    """Everything the report prints, as one JSON text that is the same for the same report on
    every host: two reports print alike exactly when their texts are equal.

    Parts of the questionnaire (questions, areas, stages) are named by their id, and the
    questionnaire by the digest of its own canonical text (made once per questionnaire),
    which holds their content.
    """
    return _json(_canonical(report, by_id=True))


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_QUESTIONNAIRES: dict[int, tuple[Questionnaire, str]] = {}


def _questionnaire_digest(questionnaire: Questionnaire) -> str:
    # Kept with its questionnaire, whose id() therefore stays its own.
    known = _QUESTIONNAIRES.get(id(questionnaire))
    if known is None:
        text = _json(_canonical(questionnaire, by_id=False))
        known = (questionnaire, hashlib.sha256(text.encode()).hexdigest())
        _QUESTIONNAIRES[id(questionnaire)] = known
    return known[1]


# Not printed, and different from host to host: the file the questionnaire was read from, and
# where in it a text or an item map entry stands.
_HOST_FIELDS = {"source", "line"}


@cache
def _printed_fields(kind: type) -> tuple[str, ...]:
    return tuple(
        f.name for f in fields(kind) if not f.name.startswith("_") and f.name not in _HOST_FIELDS
    )


@cache
def _part_of_questionnaire(kind: type) -> bool:
    return kind.__module__ == instrument.__name__ and "id" in _printed_fields(kind)


def _canonical(value, by_id: bool):
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_canonical(item, by_id) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _canonical(item, by_id) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    if not is_dataclass(value):
        raise TypeError(f"a report cannot hold a {type(value).__name__}")
    kind = type(value)
    if by_id and kind is Questionnaire:
        return ["Questionnaire", _questionnaire_digest(value)]
    if by_id and _part_of_questionnaire(kind):
        return [kind.__name__, value.id]
    printed = {name: _canonical(getattr(value, name), by_id) for name in _printed_fields(kind)}
    return {"__type__": kind.__name__, **printed}


@dataclass(frozen=True)
class NetworkRow:
    """One city in the network report's heatmap."""

    city: str
    country: str
    status: str
    overall: float | None
    scores: Mapping[str, float | None]
    version: str = ""


@dataclass(frozen=True)
class NetworkReport:
    """The network's view of one filter: heatmap, spread per area, the cohort's figures.

    `spread` maps area id to an object with cities, minimum, lower_quartile, median,
    upper_quartile and maximum, or None when too few cities have a score.
    """

    template = "network.html"

    questionnaire_title: str
    cycle: int
    selection: str  # the filter in words: "approved, Viet Nam, cohort Coastal cities"
    area_names: Mapping[str, str]
    rows: Sequence[NetworkRow]
    spread: Mapping[str, object]
    minimum: int
    generated: date = field(default_factory=date.today)
    # When the selection mixes questionnaire versions: what does not compare, in words.
    version_notes: Sequence[str] = ()
    paper: str = "A4"
    language: str = "en"
    draft = False
