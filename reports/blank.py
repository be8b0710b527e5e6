"""The blank questionnaire: the questions of a questionnaire (or of one of its areas) to print
and answer on paper, with boxes to tick and lines to write on, before typing the answers in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from questionnaires import Questionnaire
from questionnaires.model import Area, Question


def numbers_of(questionnaire: Questionnaire) -> dict[str, str]:
    """The number people see for each area ("3"), sub-area ("3.2") and question ("3.2.1"):
    counted over the whole questionnaire, so that one area printed alone keeps the numbers it
    has in the whole, and no internal id reaches paper."""
    numbers = {}
    for a, area in enumerate(questionnaire.areas, 1):
        numbers[area.id] = str(a)
        for s, sub_area in enumerate(area.sub_areas, 1):
            numbers[sub_area.id] = f"{a}.{s}"
            for q, question in enumerate(sub_area.questions, 1):
                numbers[question.id] = f"{a}.{s}.{q}"
    return numbers


@dataclass(frozen=True)
class BlankQuestionnaire:
    """A questionnaire version to print blank: the whole of it, or the area `area_id`, in
    `language` on `paper`; `city` is printed in the cover's city box when given."""

    template = "blank.html"

    questionnaire: Questionnaire
    area_id: str | None = None
    language: str = "en"
    paper: str = "A4"
    city: str | None = None

    def __post_init__(self):
        if self.area_id is not None:
            self.questionnaire.area(self.area_id)  # KeyError for an area it does not have

    @property
    def title(self) -> str:
        """The questionnaire's title in the language."""
        return self.questionnaire.title.get(self.language)

    @property
    def area(self) -> Area | None:
        """The one area printed, or None for the whole questionnaire."""
        return None if self.area_id is None else self.questionnaire.area(self.area_id)

    @property
    def areas(self) -> tuple[Area, ...]:
        """The areas printed, in questionnaire order."""
        return self.questionnaire.areas if self.area is None else (self.area,)

    @cached_property
    def numbers(self) -> dict[str, str]:
        """The numbers people see (see `numbers_of`)."""
        return numbers_of(self.questionnaire)

    def condition(self, question: Question) -> tuple[Question, list] | None:
        """When `question` applies: the question it depends on and the answers to it that show
        it (level numbers, "yes"/"no", or the choices); None when it always applies."""
        if question.show_if is None:
            return None
        target = self.questionnaire.question(question.show_if.question)
        rule = question.show_if
        if target.type == "level":
            shown = [lv.number for lv in target.levels if rule.matches(target, lv.number)]
        elif target.type == "yes_no":
            shown = [v for v in ("yes", "no") if rule.matches(target, v)]
        elif target.type == "multi_choice":
            shown = [c for c in target.choices if rule.matches(target, (c.id,))]
        else:
            shown = [c for c in target.choices if rule.matches(target, c.id)]
        return target, shown
