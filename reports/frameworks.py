"""A report's results by global framework (SDGs, Sendai, New Urban Agenda, Paris): what the
report's chapter, the web page and the export a city lifts into its Voluntary Local Review
show, computed from the report's scorecard, answers and actions."""

from __future__ import annotations

from collections.abc import Iterator

from questionnaires.scoring import ANSWERED, QuestionScore
from reports.model import ActionFacts, AnswerFacts, Report
from reports.words import action_status, answer_words


def actions_by_question(actions: tuple[ActionFacts, ...]) -> dict[str, list[ActionFacts]]:
    """The actions of the plan that answer a question's recommendation, by question id."""
    found: dict[str, list[ActionFacts]] = {}
    for action in actions:
        if action.question_id:
            found.setdefault(action.question_id, []).append(action)
    return found


def answer_in_words(result: QuestionScore, translations, language: str) -> str:
    """The answer as the official gave it (a level with its descriptor, a figure with its
    unit...), or why there is none."""
    _ = translations.ugettext
    if result.status == ANSWERED:
        return answer_words(result.question, result.value, translations, language)
    return {
        "unanswered": _("not answered"),
        "not_applicable": _("not applicable"),
        "hidden": _("does not apply"),
    }.get(result.status, result.status)


def framework_name(framework: str, translations) -> str:
    """A framework's name in words."""
    _ = translations.ugettext
    return {
        "SDG": _("Sustainable Development Goals"),
        "Sendai": _("Sendai Framework for Disaster Risk Reduction"),
        "NUA": _("New Urban Agenda"),
        "Paris": _("Paris Agreement"),
    }[framework]


def target_title(target, translations) -> str:
    """A target's title as printed: the official short title of an SDG goal or target or a
    Sendai target (English data), the framework's name for the framework as a whole, and the
    paragraph or article of the New Urban Agenda or the Paris Agreement."""
    _ = translations.ugettext
    tag = target.tag
    if tag.target is None and tag.goal is None:
        return framework_name(tag.framework, translations)
    if tag.framework == "NUA":
        return _("Paragraph %(number)s") % {"number": tag.target}
    if tag.framework == "Paris":
        return _("Article %(number)s") % {"number": tag.target}
    return target.title


def header(translations) -> list[str]:
    """The columns of the export, one row per target and question."""
    _ = translations.ugettext
    return [
        _("goal"),
        _("goal title"),
        _("target"),
        _("target title"),
        _("question"),
        _("question text"),
        _("answer"),
        _("score (0-100)"),
        _("value"),
        _("unit"),
        _("year of the data"),
        _("source"),
        _("evidence"),
        _("actions"),
    ]


def sheets(report: Report, translations) -> Iterator[tuple[str, list[list]]]:
    """Per framework, its name (a sheet of the workbook) and its rows, as `header` names
    them: every tagged question under each of its targets, with its indicator value, year,
    source, evidence and the city's actions for it."""
    language = report.language
    actions = actions_by_question(report.actions)
    for framework in report.frameworks:
        rows = []
        for goal in framework.goals:
            for target in goal.targets:
                for result in target.questions:
                    question = result.question
                    facts = report.answers.get(question.id) or AnswerFacts()
                    number = question.type == "number" and result.status == ANSWERED
                    rows.append(
                        [
                            f"{framework.framework} {goal.goal}" if goal.goal else None,
                            goal.title,
                            str(target.tag),
                            target_title(target, translations),
                            report.numbers[question.id],
                            question.text.get(language),
                            answer_in_words(result, translations, language),
                            None if result.score is None else round(result.score, 1),
                            result.value if number else None,
                            question.unit.get(language) if question.unit else None,
                            facts.data_year if number else None,
                            facts.data_source if number else None,
                            "\n".join((*facts.evidence, *(f.name for f in facts.files))) or None,
                            "\n".join(
                                f"{a.title} ({action_status(a.status, translations)})"
                                for a in actions.get(question.id, ())
                            )
                            or None,
                        ]
                    )
        yield framework.framework, rows
