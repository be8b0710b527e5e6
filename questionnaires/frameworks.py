"""The global frameworks a question can be tagged with, and a scorecard's results grouped by
them: framework -> goal -> target, so that a city can lift its evidence per SDG target into
its Voluntary Local Review.

Tags (see FORMAT.md): `SDG 11` (a goal) or `SDG 11.6` (a target); `Sendai`, `Sendai A` to
`Sendai G` (global targets) or `Sendai P1` to `Sendai P4` (priorities for action); `NUA` or
`NUA 13` (a paragraph); `Paris` or `Paris 7` (an article).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from statistics import fmean

from questionnaires.framework_data import (
    NUA_PARAGRAPHS,
    PARIS_ARTICLES,
    SDG_GOALS,
    SDG_TARGETS,
    SENDAI_PRIORITIES,
    SENDAI_TARGETS,
)
from questionnaires.scoring import ANSWERED, QuestionScore, Scorecard

SDG, SENDAI, NUA, PARIS = "SDG", "Sendai", "NUA", "Paris"
FRAMEWORKS: dict[str, str] = {
    SDG: "Sustainable Development Goals",
    SENDAI: "Sendai Framework for Disaster Risk Reduction",
    NUA: "New Urban Agenda",
    PARIS: "Paris Agreement",
}


@dataclass(frozen=True, order=True)
class Tag:
    """One framework reference: the framework, the SDG goal (SDG only) and the target,
    paragraph or article (None for the goal or framework as a whole)."""

    framework: str
    goal: str | None = None
    target: str | None = None

    def __str__(self) -> str:
        part = self.target or self.goal
        return f"{self.framework} {part}" if part else self.framework


@cache
def vocabulary() -> dict[str, Tag]:
    """Every valid tag, by its text, in the frameworks' own order."""
    tags = []
    for goal in SDG_GOALS:
        tags.append(Tag(SDG, goal))
        tags += [Tag(SDG, goal, t) for t in SDG_TARGETS if t.split(".")[0] == goal]
    tags += [Tag(SENDAI)] + [
        Tag(SENDAI, None, key) for key in (*SENDAI_TARGETS, *SENDAI_PRIORITIES)
    ]
    tags += [Tag(NUA)] + [Tag(NUA, None, str(n)) for n in range(1, NUA_PARAGRAPHS + 1)]
    tags += [Tag(PARIS)] + [Tag(PARIS, None, str(n)) for n in range(1, PARIS_ARTICLES + 1)]
    return {str(tag): tag for tag in tags}


def parse_tag(text: str) -> Tag | None:
    """The tag this text names, None when it names none (spelling and case count)."""
    return vocabulary().get(text)


def tag_problem(text: str) -> str | None:
    """Why this text is not a valid tag (with the likeliest one meant), None when it is one."""
    if text in vocabulary():
        return None
    known = vocabulary()
    by_case = {key.casefold(): key for key in known}
    meant = by_case.get(" ".join(text.split()).casefold())
    if meant is None:
        close = difflib.get_close_matches(text, list(known), n=3, cutoff=0.6)
        meant = ", ".join(f'"{c}"' for c in close) if close else None
    else:
        meant = f'"{meant}"'
    number = re.fullmatch(r"(NUA|Paris) (\d+)", text)
    if number:
        most, what = (
            (NUA_PARAGRAPHS, "paragraphs") if number[1] == NUA else (PARIS_ARTICLES, "articles")
        )
        hint = f" (the {FRAMEWORKS[number[1]]}'s {what} run from 1 to {most})"
    elif meant:
        hint = f" (did you mean {meant}?)"
    else:
        hint = " (write e.g. SDG 11.6, SDG 11, Sendai A, Sendai P1, NUA 13, Paris 7)"
    return f'unknown tag "{text}"{hint}'


def title(tag: Tag) -> str:
    """The official short title of a tag's target or goal (English); the framework's name for
    a bare framework tag, the paragraph or article for NUA and Paris."""
    if tag.framework == SDG:
        return SDG_TARGETS[tag.target] if tag.target else SDG_GOALS[tag.goal]
    if tag.target is None:
        return FRAMEWORKS[tag.framework]
    if tag.framework == SENDAI:
        return {**SENDAI_TARGETS, **SENDAI_PRIORITIES}[tag.target]
    if tag.framework == NUA:
        return f"Paragraph {tag.target}"
    return f"Article {tag.target}"


@dataclass(frozen=True)
class TargetResult:
    """A target (or a goal or framework as a whole) with the results of its questions."""

    tag: Tag
    title: str
    questions: tuple[QuestionScore, ...]

    @property
    def answered(self) -> int:
        """How many of its questions are answered."""
        return sum(r.status == ANSWERED for r in self.questions)

    @property
    def score(self) -> float | None:
        """The mean score (0-100) of its answered scored questions; None without any."""
        scores = [r.score for r in self.questions if r.status == ANSWERED and r.score is not None]
        return fmean(scores) if scores else None


@dataclass(frozen=True)
class GoalGroup:
    """An SDG goal with its targets; for the other frameworks, the one group of them all
    (`goal` None)."""

    goal: str | None
    title: str
    targets: tuple[TargetResult, ...]


@dataclass(frozen=True)
class FrameworkGroup:
    """A framework with the goals its tagged questions fall under."""

    framework: str
    name: str
    goals: tuple[GoalGroup, ...]

    def targets(self) -> list[TargetResult]:
        """Its targets, goal by goal."""
        return [t for g in self.goals for t in g.targets]


def grouped(card: Scorecard) -> tuple[FrameworkGroup, ...]:
    """The scorecard's question results by framework, goal and target, in the frameworks' own
    order: a question appears once under each of its tags; untagged questions nowhere."""
    order = {tag: n for n, tag in enumerate(vocabulary().values())}
    by_tag: dict[Tag, list[QuestionScore]] = {}
    for area in card.areas:
        for sub in area.sub_areas:
            for result in sub.questions:
                for tag in dict.fromkeys(filter(None, map(parse_tag, result.question.tags))):
                    by_tag.setdefault(tag, []).append(result)
    frameworks = []
    for framework, name in FRAMEWORKS.items():
        tags = sorted((t for t in by_tag if t.framework == framework), key=order.get)
        goals: dict[str | None, list[TargetResult]] = {}
        for tag in tags:
            goals.setdefault(tag.goal, []).append(TargetResult(tag, title(tag), tuple(by_tag[tag])))
        if goals:
            frameworks.append(
                FrameworkGroup(
                    framework,
                    name,
                    tuple(
                        GoalGroup(goal, SDG_GOALS[goal] if goal else name, tuple(targets))
                        for goal, targets in goals.items()
                    ),
                )
            )
    return tuple(frameworks)
