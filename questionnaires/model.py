"""The instrument as frozen dataclasses: what the loader returns and scoring reads."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

AREA_IDS = (
    "civic_social",
    "health_wellbeing",
    "security",
    "quality_environment",
    "built_infrastructure",
    "industry_innovation",
)

QUESTION_TYPES = ("level", "yes_no", "choice", "multi_choice", "number", "text")
DIRECTIONS = ("higher_is_better", "lower_is_better")
# How much a recommendation's step asks of the city, least first: equal gains rank by it.
EFFORTS = ("low", "medium", "high")
# What a new version did with each item of the version it replaces (see ItemChange).
CHANGES = ("same", "changed", "moved", "split", "merged", "retired", "added")


@dataclass(frozen=True)
class Text:
    """A text in English with optional translations, keyed by language code."""

    en: str
    translations: tuple[tuple[str, str], ...] = ()
    # Where the English stands in its file, for translators' reports; not part of the text.
    line: int = field(default=0, compare=False)

    def get(self, language: str = "en") -> str:
        """The text in `language`, falling back to English."""
        # An area page asks hundreds of times: a walk of a few pairs, no dict built each time.
        if language != "en":
            for code, text in self.translations:
                if code == language:
                    return text
        return self.en

    def has(self, language: str) -> bool:
        """Whether the text is written in `language` (English always is)."""
        return language == "en" or any(code == language for code, _ in self.translations)

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Level:
    """One level of a scale: its number and what it means (a questionnaire's scale may also
    give the `meaning` every question's level of that number shares)."""

    number: int
    descriptor: Text
    meaning: Text | None = None


@dataclass(frozen=True)
class Choice:
    """One option of a `choice` or `multi_choice` question. An `exclusive` option of a
    `multi_choice` question ("None of these") is chosen alone or not at all."""

    id: str
    label: Text
    points: float
    exclusive: bool = False


@dataclass(frozen=True)
class Stage:
    """A maturity stage: scores from `min` up to the next stage's `min`."""

    id: str
    name: Text
    min: float
    description: Text | None = None


@dataclass(frozen=True)
class Recommendation:
    """One step of a question's recommendations: the action for a city whose points are below
    `below` (and reach the step before, if any); `effort` is low, medium or high, `who` acts."""

    text: Text
    below: float
    effort: str | None = None
    who: Text | None = None


@dataclass(frozen=True)
class ItemChange:
    """One entry of a version's item map: what became of `old` (ids of the replaced version) in
    `new` (ids of this version). `same` and `changed` keep the id (old == new); `moved` gives it
    a new id or place; `split`, `merged`, `retired` and `added` say so. `comparable` says whether
    an answer to the old item means the same as one to the new item."""

    change: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    comparable: bool
    why: Text | None = None
    line: int = 0

    @property
    def copies_answer(self) -> bool:
        """Whether an answer to the old item is carried over as it is (the same question)."""
        return self.change in ("same", "moved")


@dataclass(frozen=True)
class ShowIf:
    """A question is shown only when `question`'s answer is one of `values`."""

    question: str
    values: tuple

    def matches(self, target: Question, value: object) -> bool:
        """Whether `target`'s canonical answer `value` is one that shows the question."""
        if target.type == "multi_choice":
            return any(v in value for v in self.values)
        wanted = []
        for v in self.values:
            try:
                wanted.append(target.parse_answer(v))
            except AnswerValueError:
                continue
        return value in wanted


@dataclass(frozen=True)
class EvidenceLine:
    """One line of an answer's evidence: an address, then what it is ("https://... The plan")."""

    address: str
    description: str = ""

    @classmethod
    def parse(cls, line: str) -> EvidenceLine:
        """The line's address (up to the first space) and its description (the rest)."""
        address, _space, description = line.strip().partition(" ")
        return cls(address, description.strip())

    @property
    def is_link(self) -> bool:
        """Whether the address is an http or https link with a host: only those are accepted
        and shown as links; anything else (javascript:, data:, //host, plain text) is text."""
        try:
            parts = urlsplit(self.address)
        except ValueError:  # such as an unclosed "[" of an IPv6 host
            return False
        return parts.scheme in ("http", "https") and bool(parts.netloc)


class AnswerValueError(ValueError):
    """An answer value that the question cannot take; the message says why."""


@dataclass(frozen=True)
class Question:
    """One question. `points(value)` turns a valid answer into points out of `max_points`."""

    def __hash__(self) -> int:
        return hash(self.id)

    id: str
    type: str
    text: Text
    area_id: str
    sub_area_id: str
    help: Text | None = None
    weight: float = 1.0
    required: bool = True
    allow_na: bool = False
    evidence: Text | None = None
    ask: Text | None = None
    recommendations: tuple[Recommendation, ...] = ()
    show_if: ShowIf | None = None
    tags: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()
    choices: tuple[Choice, ...] = ()
    yes_points: float = 1.0
    no_points: float = 0.0
    cap: float | None = None
    unit: Text | None = None
    direction: str | None = None
    bands: tuple[tuple[int, float], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    line: int = 0

    @property
    def scored(self) -> bool:
        """Whether answers to this question count towards the score."""
        return self.type != "text"

    @property
    def max_points(self) -> float:
        """The points of the best possible answer."""
        if self.type == "level":
            return float(self.levels[-1].number)
        if self.type == "yes_no":
            return max(self.yes_points, self.no_points)
        if self.type == "choice":
            return max(c.points for c in self.choices)
        if self.type == "multi_choice":
            return self.cap if self.cap is not None else sum(c.points for c in self.choices)
        if self.type == "number":
            return float(self.bands[-1][0])
        return 0.0

    @property
    def target(self) -> float | None:
        """The points its recommendations lead to (the last step's `below`), or None."""
        return self.recommendations[-1].below if self.recommendations else None

    def next_step(self, points: float) -> Recommendation | None:
        """The recommendation for an answer worth `points`: the first step above it."""
        return next((r for r in self.recommendations if points < r.below), None)

    def scoring_shape(self) -> tuple:
        """What turns an answer into points, apart from the texts: two questions with the same
        shape score every answer alike."""
        return (
            self.type,
            tuple(lv.number for lv in self.levels),
            tuple((c.id, c.points, c.exclusive) for c in self.choices),
            (self.yes_points, self.no_points) if self.type == "yes_no" else (),
            self.cap,
            self.unit.en if self.unit else None,
            self.direction,
            self.bands,
            self.minimum,
            self.maximum,
        )

    def choice(self, choice_id: str) -> Choice:
        """The choice with this id."""
        return next(c for c in self.choices if c.id == choice_id)

    def exclusive_choice_in(self, chosen: tuple[str, ...]) -> Choice | None:
        """The exclusive choice among several `chosen` ids, which makes them a mix that cannot
        be; None when the mix is fine."""
        if len(chosen) < 2:
            return None
        return next((c for c in self.choices if c.exclusive and c.id in chosen), None)

    def parse_answer(self, raw: object) -> object:
        """Return the canonical form of an answer value, or raise AnswerValueError.

        Canonical forms: level -> int, yes_no -> "yes"/"no", choice -> choice id,
        multi_choice -> tuple of choice ids in questionnaire order (an exclusive choice alone),
        number -> float, text -> str.
        """
        if self.type == "level":
            number = _as_int(raw)
            valid = [lv.number for lv in self.levels]
            if number not in valid:
                raise AnswerValueError(
                    f"must be a level from {valid[0]} to {valid[-1]}, got {raw!r}"
                )
            return number
        if self.type == "yes_no":
            if raw is True or (isinstance(raw, str) and raw.strip().lower() == "yes"):
                return "yes"
            if raw is False or (isinstance(raw, str) and raw.strip().lower() == "no"):
                return "no"
            raise AnswerValueError(f"must be yes or no, got {raw!r}")
        ids = [c.id for c in self.choices]
        if self.type == "choice":
            if raw not in ids:
                raise AnswerValueError(f"must be one of {', '.join(ids)}; got {raw!r}")
            return raw
        if self.type == "multi_choice":
            if not isinstance(raw, list | tuple) or any(not isinstance(r, str) for r in raw):
                raise AnswerValueError(
                    f"must be a list of choices from {', '.join(ids)}; got {raw!r}"
                )
            unknown = [r for r in raw if r not in ids]
            if unknown:
                raise AnswerValueError(
                    f"unknown choice {unknown[0]!r}; choose from {', '.join(ids)}"
                )
            chosen = tuple(i for i in ids if i in raw)
            alone = self.exclusive_choice_in(chosen)
            if alone is not None:
                raise AnswerValueError(
                    f"'{alone.label}' cannot be chosen together with other choices; "
                    f"got {', '.join(chosen)}"
                )
            return chosen
        if self.type == "number":
            value = _as_float(raw)
            if self.minimum is not None and value < self.minimum:
                raise AnswerValueError(f"must be at least {_fmt(self.minimum)}, got {_fmt(value)}")
            if self.maximum is not None and value > self.maximum:
                raise AnswerValueError(f"must be at most {_fmt(self.maximum)}, got {_fmt(value)}")
            return value
        if not isinstance(raw, str):
            raise AnswerValueError(f"must be text, got {raw!r}")
        return raw

    def points(self, value: object) -> float:
        """Points for a canonical answer value (see `parse_answer`)."""
        if self.type == "level":
            return float(value)
        if self.type == "yes_no":
            return self.yes_points if value == "yes" else self.no_points
        if self.type == "choice":
            return self.choice(value).points
        if self.type == "multi_choice":
            return min(sum(self.choice(i).points for i in value), self.max_points)
        if self.type == "number":
            return float(self.band_level(value))
        raise TypeError(f"question {self.id} is not scored")

    def band_level(self, value: float) -> int:
        """The highest band level whose threshold `value` reaches; 0 when none."""
        reached = 0
        for level, threshold in self.bands:
            ok = value >= threshold if self.direction == "higher_is_better" else value <= threshold
            if ok:
                reached = level
        return reached

    def describe(self, value: object) -> str:
        """An answer in words, as an official would read it back (English)."""
        if self.type == "level":
            return f"level {value}: {self.levels[value].descriptor}"
        if self.type == "yes_no":
            return "Yes" if value == "yes" else "No"
        if self.type == "choice":
            return str(self.choice(value).label)
        if self.type == "multi_choice":
            return "; ".join(str(self.choice(i).label) for i in value) or "none selected"
        if self.type == "number":
            return f"{_fmt(value)} {self.unit}".strip()
        return str(value)

    def describe_points(self, points: float) -> str:
        """The answer that gives `points`, in words: a level, a choice or a band."""
        if self.type == "level":
            return f"level {_fmt(points)}"
        if self.type == "yes_no":
            return "Yes" if points == self.yes_points else "No"
        if self.type == "choice":
            reached = [c for c in self.choices if c.points >= points]
            return str(min(reached, key=lambda c: c.points).label)
        if self.type == "number":
            if points == 0:
                return f"below band 1 of {len(self.bands)}"
            sign = ">=" if self.direction == "higher_is_better" else "<="
            return f"band {_fmt(points)} ({sign} {_fmt(dict(self.bands)[int(points)])} {self.unit})"
        return f"{_fmt(points)} of {_fmt(self.max_points)} points"


@dataclass(frozen=True)
class SubArea:
    """A sub-area of an area, holding its questions."""

    id: str
    name: Text
    questions: tuple[Question, ...]
    description: Text | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Area:
    """One of the six ASUS core areas."""

    def __hash__(self) -> int:
        return hash(self.id)

    id: str
    name: Text
    sub_areas: tuple[SubArea, ...]
    description: Text | None = None
    weight: float = 1.0

    def questions(self) -> Iterator[Question]:
        """Every question of the area, in order."""
        for sub_area in self.sub_areas:
            yield from sub_area.questions


@dataclass(frozen=True)
class Questionnaire:
    """One version of a questionnaire, as loaded from its file."""

    # Questionnaires, areas and questions are keys of caches (a form class per version): a hash
    # of their ids, not of every text they hold, keeps such lookups cheap.
    def __hash__(self) -> int:
        return hash((self.id, self.version))

    id: str
    version: str
    title: Text
    description: Text
    stages: tuple[Stage, ...]
    areas: tuple[Area, ...]
    levels: tuple[Level, ...] = ()
    provisional_below: float = 50.0
    source: str = ""
    # The version this one replaces, its item map and what changed in it, in words.
    replaces: str | None = None
    changes: tuple[ItemChange, ...] = ()
    summary: Text | None = None
    changes_line: int = 0
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        index = {}
        for area in self.areas:
            index[area.id] = area
            for sub_area in area.sub_areas:
                index[sub_area.id] = sub_area
                for question in sub_area.questions:
                    index[question.id] = question
        object.__setattr__(self, "_index", index)

    def questions(self) -> Iterator[Question]:
        """Every question, in questionnaire order."""
        for area in self.areas:
            yield from area.questions()

    def find(self, item_id: str) -> Area | SubArea | Question | None:
        """The area, sub-area or question with this id, or None."""
        return self._index.get(item_id)

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError when there is none)."""
        item = self._index.get(question_id)
        if not isinstance(item, Question):
            raise KeyError(question_id)
        return item

    def area(self, area_id: str) -> Area:
        """The area with this id (KeyError when there is none)."""
        item = self._index.get(area_id)
        if not isinstance(item, Area):
            raise KeyError(area_id)
        return item

    def stage_for(self, score: float | None) -> Stage | None:
        """The maturity stage a 0-100 score falls in."""
        if score is None:
            return None
        return [s for s in self.stages if s.min <= score + 1e-9][-1]


def version_key(version: str) -> tuple:
    """A version string as a sort key: "2026.10" comes after "2026.9"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))


def _as_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None


def _as_float(raw: object) -> float:
    if not isinstance(raw, bool) and isinstance(raw, int | float | str):
        try:
            value = float(str(raw).strip().replace(",", ""))
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    raise AnswerValueError(f"must be a number, got {raw!r}")


def _fmt(number: float) -> str:
    """A number without a needless '.0'."""
    return str(int(number)) if float(number).is_integer() else f"{number:.2f}".rstrip("0")
