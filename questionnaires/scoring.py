"""Scoring: answers in, a Scorecard out. Pure and deterministic.

- A question's score is its points divided by its maximum points (0-100).
- A sub-area's score is the weighted mean of its answered scored questions.
- An area's score is the weighted mean of its scored sub-areas; the overall score the weighted
  mean of the scored areas.
- Not applicable (and hidden) questions leave the denominator. Unanswered questions are reported as
  incomplete, never counted as 0. Completeness = answered / questions that apply, where a question
  applies when it is scored, shown, not marked not applicable, and required or answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import (
    EFFORTS,
    AnswerValueError,
    Area,
    Question,
    Questionnaire,
    Stage,
    SubArea,
    Text,
    _fmt,
)

ANSWERED, UNANSWERED, NOT_APPLICABLE, HIDDEN = "answered", "unanswered", "not_applicable", "hidden"


@dataclass(frozen=True)
class GivenAnswer:
    """What an official gave for one question: a value, or not applicable with a reason."""

    value: object = None
    not_applicable: bool = False
    reason: str = ""


class AnswerError(ValueError):
    """Answers that do not fit the questionnaire; `problems` says which and why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class QuestionScore:
    """The result for one question."""

    question: Question
    status: str
    value: object = None
    points: float | None = None
    reason: str = ""

    @property
    def score(self) -> float | None:
        """0-100, or None when the question is unscored, unanswered, N/A or hidden."""
        if self.points is None:
            return None
        return 100.0 * self.points / self.question.max_points

    @property
    def applies(self) -> bool:
        """Whether the question counts towards completeness."""
        q = self.question
        if not q.scored or self.status in (NOT_APPLICABLE, HIDDEN):
            return False
        return self.status == ANSWERED or q.required


@dataclass(frozen=True)
class _Group:
    answered: int
    applicable: int

    @property
    def completeness(self) -> float:
        """Share (0-1) of the questions that apply which are answered."""
        return self.answered / self.applicable if self.applicable else 1.0


@dataclass(frozen=True)
class SubAreaScore(_Group):
    """The result for one sub-area."""

    sub_area: SubArea
    score: float | None
    questions: tuple[QuestionScore, ...]


@dataclass(frozen=True)
class AreaScore(_Group):
    """The result for one area."""

    area: Area
    score: float | None
    stage: Stage | None
    provisional: bool
    sub_areas: tuple[SubAreaScore, ...]

    def question(self, question_id: str) -> QuestionScore:
        """The result for one question of the area."""
        return next(q for s in self.sub_areas for q in s.questions if q.question.id == question_id)


@dataclass(frozen=True)
class PriorityRecommendation:
    """A question's next recommended step (the one above its answer), with what reaching the
    step gains, how much effort it takes and who acts."""

    rank: int
    question: Question
    area: Area
    sub_area: SubArea
    current_points: float
    target_points: float
    current: str
    target: str
    area_gain: float
    overall_gain: float
    text: Text
    effort: str | None = None
    who: Text | None = None


@dataclass(frozen=True)
class ExplanationInput:
    """One input of a number: what it is, its value and its weight."""

    name: str
    value: float | None
    weight: float
    note: str = ""


@dataclass(frozen=True)
class Explanation:
    """Why a number is what it is, in words a city official understands."""

    subject: str
    value: float | None
    formula: str
    inputs: tuple[ExplanationInput, ...]
    notes: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"{self.subject} {_score_text(self.value)} = {self.formula}"]
        lines += [f"  - {i.name}: {_score_text(i.value)}{i.note}" for i in self.inputs]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Scorecard(_Group):
    """Every number the app and the report show for one set of answers."""

    questionnaire: Questionnaire
    overall: float | None
    stage: Stage | None
    provisional: bool
    areas: tuple[AreaScore, ...]
    recommendations: tuple[PriorityRecommendation, ...]
    missing_required: tuple[Question, ...]

    def area(self, area_id: str) -> AreaScore:
        """The result for one area."""
        return next(a for a in self.areas if a.area.id == area_id)

    def sub_area(self, sub_area_id: str) -> SubAreaScore:
        """The result for one sub-area."""
        return next(s for a in self.areas for s in a.sub_areas if s.sub_area.id == sub_area_id)

    def question(self, question_id: str) -> QuestionScore:
        """The result for one question."""
        return next(
            q
            for a in self.areas
            for s in a.sub_areas
            for q in s.questions
            if q.question.id == question_id
        )

    def explain(self, path: str = "overall", language: str = "en") -> Explanation:
        """Explain the number at `path`: "overall", or an area, sub-area or question id.

        A dotted path such as "security.se_drr" is accepted; its last part names the number.
        """
        item_id = path.rsplit(".", 1)[-1]
        if item_id == "overall":
            return self._explain_overall(language)
        item = self.questionnaire.find(item_id)
        if isinstance(item, Area):
            return _explain_area(self.area(item_id), self.questionnaire, language)
        if isinstance(item, SubArea):
            return _explain_sub_area(self.sub_area(item_id), language)
        if isinstance(item, Question):
            return _explain_question(self.question(item_id), language)
        raise KeyError(f"nothing called {path!r} in {self.questionnaire.id}")

    def _explain_overall(self, language: str) -> Explanation:
        inputs = tuple(
            ExplanationInput(
                a.area.name.get(language), a.score, a.area.weight, _stage_note(a.stage)
            )
            for a in self.areas
            if a.score is not None
        )
        notes = [
            f"{a.area.name.get(language)} has no answers yet and is left out."
            for a in self.areas
            if a.score is None
        ]
        notes.append(_completeness_note(self, self.questionnaire))
        return Explanation(
            "Overall", self.overall, _mean_words(inputs, "area"), inputs, tuple(notes)
        )


def score(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Scorecard:
    """Score `answers` (question id -> GivenAnswer, or a bare value) against `questionnaire`.

    Raises AnswerError listing every answer that does not fit (unknown question, invalid value,
    not applicable where the question does not allow it).
    """
    parsed = _parse_answers(questionnaire, answers)
    results: dict[str, QuestionScore] = {}
    for question in questionnaire.questions():
        results[question.id] = _question_score(question, parsed.get(question.id), results)

    areas = [_area_score(questionnaire, area, results) for area in questionnaire.areas]
    summary = summarize(
        questionnaire, [(a.area.id, a.score, a.answered, a.applicable) for a in areas]
    )
    return Scorecard(
        answered=summary.answered,
        applicable=summary.applicable,
        questionnaire=questionnaire,
        overall=summary.overall,
        stage=summary.stage,
        provisional=summary.provisional,
        areas=tuple(areas),
        recommendations=_recommendations(areas),
        missing_required=tuple(
            r.question for r in results.values() if r.status == UNANSWERED and r.question.required
        ),
    )


def score_area(
    questionnaire: Questionnaire, area_id: str, answers: Mapping[str, object]
) -> AreaScore:
    """Score one area from the answers to its questions: the same result as `score` gives for
    it, at a sixth of the work (answers to other areas' questions are ignored).

    Raises ValueError when a question of the area is shown only after an answer in another
    area (`show_if`): score the whole questionnaire then.
    """
    area = questionnaire.area(area_id)
    own = {q.id for q in area.questions()}
    if any(q.show_if and q.show_if.question not in own for q in area.questions()):
        raise ValueError(f"{area_id} depends on answers in other areas: use score()")
    parsed = _parse_answers(questionnaire, {k: v for k, v in answers.items() if k in own})
    results: dict[str, QuestionScore] = {}
    for question in area.questions():
        results[question.id] = _question_score(question, parsed.get(question.id), results)
    return _area_score(questionnaire, area, results)


@dataclass(frozen=True)
class Summary(_Group):
    """The overall figures, from the results of the areas."""

    overall: float | None
    stage: Stage | None
    provisional: bool


def summarize(
    questionnaire: Questionnaire, areas: Sequence[tuple[str, float | None, int, int]]
) -> Summary:
    """The overall score, stage, completeness and provisional flag from each area's
    (id, score, answered, applicable), in the questionnaire's order of areas.

    `score` uses it too, so stored area scores and a full scoring give the same overall figures.
    """
    weights = {a.id: a.weight for a in questionnaire.areas}
    overall = _weighted_mean([(s, weights[a]) for a, s, _, _ in areas if s is not None])
    group = _Group(sum(a[2] for a in areas), sum(a[3] for a in areas))
    return Summary(
        answered=group.answered,
        applicable=group.applicable,
        overall=overall,
        stage=questionnaire.stage_for(overall),
        provisional=_provisional(group, questionnaire),
    )


def _area_score(questionnaire: Questionnaire, area: Area, results) -> AreaScore:
    sub_areas = []
    for sub_area in area.sub_areas:
        q_scores = tuple(results[q.id] for q in sub_area.questions)
        scored = [(r.score, r.question.weight) for r in q_scores if r.score is not None]
        sub_areas.append(
            SubAreaScore(
                answered=sum(r.applies and r.status == ANSWERED for r in q_scores),
                applicable=sum(r.applies for r in q_scores),
                sub_area=sub_area,
                score=_weighted_mean(scored),
                questions=q_scores,
            )
        )
    group = _totals(sub_areas)
    area_score = _weighted_mean(
        [(s.score, s.sub_area.weight) for s in sub_areas if s.score is not None]
    )
    return AreaScore(
        answered=group.answered,
        applicable=group.applicable,
        area=area,
        score=area_score,
        stage=questionnaire.stage_for(area_score),
        provisional=_provisional(group, questionnaire),
        sub_areas=tuple(sub_areas),
    )


def _parse_answers(questionnaire, answers) -> dict[str, GivenAnswer]:
    parsed, problems = {}, []
    for question_id, answer in answers.items():
        if not isinstance(answer, GivenAnswer):
            answer = GivenAnswer(value=answer)
        try:
            question = questionnaire.question(question_id)
        except KeyError:
            problems.append(f"{question_id}: no such question in {questionnaire.id}")
            continue
        if answer.not_applicable:
            if not question.allow_na:
                problems.append(f"{question_id}: this question cannot be marked not applicable")
            else:
                parsed[question_id] = GivenAnswer(None, True, answer.reason)
            continue
        if answer.value is None:
            continue
        try:
            parsed[question_id] = GivenAnswer(question.parse_answer(answer.value))
        except AnswerValueError as error:
            problems.append(f"{question_id}: {error}")
    if problems:
        raise AnswerError(problems)
    return parsed


def _question_score(question, answer, earlier) -> QuestionScore:
    condition = question.show_if
    if condition:
        controller = earlier[condition.question]
        if controller.status != ANSWERED or not condition.matches(
            controller.question, controller.value
        ):
            return QuestionScore(question, HIDDEN)
    if answer is None:
        return QuestionScore(question, UNANSWERED)
    if answer.not_applicable:
        return QuestionScore(question, NOT_APPLICABLE, reason=answer.reason)
    points = question.points(answer.value) if question.scored else None
    return QuestionScore(question, ANSWERED, answer.value, points)


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total else None


def _totals(groups) -> _Group:
    return _Group(sum(g.answered for g in groups), sum(g.applicable for g in groups))


def _provisional(group: _Group, questionnaire: Questionnaire) -> bool:
    return group.completeness * 100 < questionnaire.provisional_below


def _recommendations(areas: list[AreaScore]) -> tuple[PriorityRecommendation, ...]:
    """The next step of every answered question below its target, ranked by the overall points
    the step would gain, then by its effort (the least first).

    The share of a question in its sub-area, of a sub-area in its area and of an area in the
    overall score are fixed while the question stays answered, so the gains are exact.
    """
    area_weights = sum(a.area.weight for a in areas if a.score is not None)
    candidates = []
    for a in areas:
        sub_weights = sum(s.sub_area.weight for s in a.sub_areas if s.score is not None)
        for s in a.sub_areas:
            question_weights = sum(r.question.weight for r in s.questions if r.score is not None)
            for r in s.questions:
                q = r.question
                step = q.next_step(r.points) if r.score is not None else None
                if step is None:
                    continue
                rise = 100 * (step.below - r.points) / q.max_points
                area_gain = rise * q.weight / question_weights * s.sub_area.weight / sub_weights
                overall_gain = area_gain * a.area.weight / area_weights
                candidates.append((a, s, r, step, area_gain, overall_gain))
    order = {id(c[2]): i for i, c in enumerate(candidates)}
    # Equal gains rank by effort, the least first: a step nobody has costed comes after them.
    effort = {name: i for i, name in enumerate(EFFORTS)}
    candidates.sort(
        key=lambda c: (
            -round(c[5], 9),
            effort.get(c[3].effort, len(EFFORTS)),
            c[0].score,
            order[id(c[2])],
        )
    )
    return tuple(
        PriorityRecommendation(
            rank=rank,
            question=r.question,
            area=a.area,
            sub_area=s.sub_area,
            current_points=r.points,
            target_points=step.below,
            current=r.question.describe_points(r.points),
            target=r.question.describe_points(step.below),
            area_gain=area_gain,
            overall_gain=overall_gain,
            text=step.text,
            effort=step.effort,
            who=step.who,
        )
        for rank, (a, s, r, step, area_gain, overall_gain) in enumerate(candidates, start=1)
    )


def _score_text(value: float | None) -> str:
    return "not scored yet" if value is None else f"{value:.1f}"


def _stage_note(stage: Stage | None) -> str:
    return f" ({stage.name})" if stage else ""


def _mean_words(inputs: tuple[ExplanationInput, ...], noun: str) -> str:
    if not inputs:
        return f"nothing to score yet: no {noun} has answers"
    plural = f"{len(inputs)} {noun}s" if len(inputs) != 1 else f"1 {noun}"
    weights = {i.weight for i in inputs}
    if len(weights) == 1:
        return f"mean of {plural}"
    total = sum(i.weight for i in inputs)
    parts = " + ".join(f"{_fmt(i.weight)} × {_score_text(i.value)}" for i in inputs)
    return f"weighted mean of {plural}: ({parts}) ÷ {_fmt(total)}"


def _completeness_note(group: _Group, questionnaire: Questionnaire) -> str:
    note = (
        f"Based on {group.answered} of {group.applicable} questions that apply "
        f"({group.completeness:.0%} complete)."
    )
    if group.completeness * 100 < questionnaire.provisional_below:
        note += (
            f" Provisional: less than {_fmt(questionnaire.provisional_below)}% of the questions"
            " are answered."
        )
    return note


def _explain_area(result: AreaScore, questionnaire, language) -> Explanation:
    inputs = tuple(
        ExplanationInput(s.sub_area.name.get(language), s.score, s.sub_area.weight)
        for s in result.sub_areas
        if s.score is not None
    )
    notes = [
        f"{s.sub_area.name.get(language)} has no answers yet and is left out."
        for s in result.sub_areas
        if s.score is None
    ]
    notes.append(_completeness_note(result, questionnaire))
    if result.stage:
        notes.append(f"Maturity stage: {result.stage.name.get(language)}.")
    return Explanation(
        result.area.name.get(language),
        result.score,
        _mean_words(inputs, "sub-area"),
        inputs,
        tuple(notes),
    )


def _explain_sub_area(result: SubAreaScore, language) -> Explanation:
    inputs, notes = [], []
    for r in result.questions:
        q = r.question
        name = q.text.get(language)
        if r.score is not None:
            note = f" ({_fmt(r.points)} of {_fmt(q.max_points)} points)"
            inputs.append(ExplanationInput(name, r.score, q.weight, note))
        elif r.status == NOT_APPLICABLE:
            reason = f": {r.reason}" if r.reason else ""
            notes.append(f"Left out, not applicable{reason}: {name}")
        elif r.status == HIDDEN:
            notes.append(f"Left out, does not apply after an earlier answer: {name}")
        elif r.status == UNANSWERED and q.scored:
            notes.append(f"Not answered yet (incomplete, not counted as 0): {name}")
    return Explanation(
        result.sub_area.name.get(language),
        result.score,
        _mean_words(tuple(inputs), "answered question"),
        tuple(inputs),
        tuple(notes),
    )


def _explain_question(result: QuestionScore, language) -> Explanation:
    q = result.question
    if result.score is not None:
        formula = (
            f"{_fmt(result.points)} of {_fmt(q.max_points)} points × 100; "
            f"answer: {q.describe(result.value)}"
        )
    elif not q.scored:
        formula = "this question is not scored"
    elif result.status == NOT_APPLICABLE:
        formula = "marked not applicable, so left out of the score" + (
            f" (reason: {result.reason})" if result.reason else ""
        )
    elif result.status == HIDDEN:
        formula = "does not apply after an earlier answer, so left out of the score"
    else:
        formula = "not answered yet: left out of the score and counted as incomplete"
    notes = (f"Weight {_fmt(q.weight)} in its sub-area.",) if q.scored else ()
    return Explanation(q.text.get(language), result.score, formula, (), notes)


def scorecard_as_dict(scorecard: Scorecard) -> dict:
    """The scorecard as plain data (for JSON exports and the API); numbers rounded to 0.1."""

    def rounded(value):
        return None if value is None else round(value, 1)

    def stage(result_stage):
        return result_stage.id if result_stage else None

    def group(g):
        return {
            "answered": g.answered,
            "applicable": g.applicable,
            "completeness": round(g.completeness * 100, 1),
        }

    q = scorecard.questionnaire
    return {
        "questionnaire": {"id": q.id, "version": q.version},
        "overall": {
            "score": rounded(scorecard.overall),
            "stage": stage(scorecard.stage),
            "provisional": scorecard.provisional,
            **group(scorecard),
        },
        "areas": [
            {
                "id": a.area.id,
                "score": rounded(a.score),
                "stage": stage(a.stage),
                "provisional": a.provisional,
                **group(a),
                "sub_areas": [
                    {"id": s.sub_area.id, "score": rounded(s.score), **group(s)}
                    for s in a.sub_areas
                ],
            }
            for a in scorecard.areas
        ],
        "recommendations": [
            {
                "rank": r.rank,
                "area": r.area.id,
                "question": r.question.id,
                "current": r.current,
                "target": r.target,
                "area_gain": rounded(r.area_gain),
                "overall_gain": rounded(r.overall_gain),
                "text": r.text.en,
            }
            for r in scorecard.recommendations
        ],
        "missing_required": [question.id for question in scorecard.missing_required],
    }
