"""Answers, points and scores in words, in the reader's language: for the web pages and the
report alike.

The instrument (questionnaires/) writes them in English for the command line; these take the
catalogue's `translations` (a `babel.support.NullTranslations` or `Translations`: the web app
passes Flask-Babel's, the report its own) and the `language` of the questionnaire's texts.
"""

from __future__ import annotations

from questionnaires import Question, Scorecard
from questionnaires.model import Area, SubArea, _fmt
from questionnaires.scoring import HIDDEN, NOT_APPLICABLE, UNANSWERED, AreaScore, SubAreaScore


def answer_words(question: Question, value: object, translations, language: str = "en") -> str:
    """An answer as an official reads it back: a level with its descriptor, yes or no, the
    choices' labels, a number with its unit, or the text."""
    _ = translations.ugettext
    if question.type == "level":
        descriptor = question.levels[value].descriptor.get(language)
        return _("level %(level)s: %(descriptor)s") % {"level": value, "descriptor": descriptor}
    if question.type == "yes_no":
        return _("Yes") if value == "yes" else _("No")
    if question.type == "choice":
        return question.choice(value).label.get(language)
    if question.type == "multi_choice":
        labels = [question.choice(i).label.get(language) for i in value]
        return "; ".join(labels) or _("none selected")
    if question.type == "number":
        return _number(value, question)
    return str(value)


def points_words(question: Question, points: float, translations, language: str = "en") -> str:
    """The answer that gives `points`, in words: a level, a choice or a band of figures."""
    _ = translations.ugettext
    if question.type == "level":
        return _("level %(level)s") % {"level": _fmt(points)}
    if question.type == "yes_no":
        return _("Yes") if points == question.yes_points else _("No")
    if question.type == "choice":
        reached = [c for c in question.choices if c.points >= points]
        return min(reached, key=lambda c: c.points).label.get(language)
    if question.type == "number":
        if points == 0:
            return _("below band 1 of %(bands)d") % {"bands": len(question.bands)}
        figure = _number(dict(question.bands)[int(points)], question)
        if question.direction == "higher_is_better":
            words = _("band %(band)s (at least %(figure)s)")
        else:
            words = _("band %(band)s (at most %(figure)s)")
        return words % {"band": _fmt(points), "figure": figure}
    return _("%(points)s of %(most)s points") % {
        "points": _fmt(points),
        "most": _fmt(question.max_points),
    }


def explanation(card: Scorecard, path: str, translations, language: str = "en") -> str:
    """Why the number at `path` ("overall", or an area, sub-area or question id) is what it
    is: the formula, then each input, then what was left out and why."""
    _ = translations.ugettext
    item_id = path.rsplit(".", 1)[-1]
    if item_id == "overall":
        subject, value = _("Overall"), card.overall
        inputs = [
            (a.area.name.get(language), a.score, a.area.weight, _stage(a, language))
            for a in card.areas
            if a.score is not None
        ]
        notes = [
            _("%(name)s has no answers yet and is left out.") % {"name": a.area.name.get(language)}
            for a in card.areas
            if a.score is None
        ]
        formula = _mean(inputs, "areas", translations)
        notes.append(_completeness(card, card.questionnaire, translations))
        return _lines(subject, value, formula, inputs, notes, translations)
    item = card.questionnaire.find(item_id)
    if isinstance(item, Area):
        return _area(card.area(item_id), card, translations, language)
    if isinstance(item, SubArea):
        return _sub_area(card.sub_area(item_id), translations, language)
    return _question(card, item_id, translations, language)


def _area(result: AreaScore, card: Scorecard, translations, language: str) -> str:
    _ = translations.ugettext
    inputs = [
        (s.sub_area.name.get(language), s.score, s.sub_area.weight, "")
        for s in result.sub_areas
        if s.score is not None
    ]
    notes = [
        _("%(name)s has no answers yet and is left out.") % {"name": s.sub_area.name.get(language)}
        for s in result.sub_areas
        if s.score is None
    ]
    notes.append(_completeness(result, card.questionnaire, translations))
    if result.stage:
        notes.append(_("Maturity stage: %(stage)s.") % {"stage": result.stage.name.get(language)})
    formula = _mean(inputs, "sub-areas", translations)
    return _lines(
        result.area.name.get(language), result.score, formula, inputs, notes, translations
    )


def _sub_area(result: SubAreaScore, translations, language: str) -> str:
    _ = translations.ugettext
    inputs, notes = [], []
    for r in result.questions:
        q = r.question
        name = q.text.get(language)
        if r.score is not None:
            points = {"points": _fmt(r.points), "most": _fmt(q.max_points)}
            inputs.append(
                (name, r.score, q.weight, " " + _("(%(points)s of %(most)s points)") % points)
            )
        elif r.status == NOT_APPLICABLE and r.reason:
            notes.append(
                _("Left out, not applicable: %(reason)s: %(question)s")
                % {"reason": r.reason, "question": name}
            )
        elif r.status == NOT_APPLICABLE:
            notes.append(_("Left out, not applicable: %(question)s") % {"question": name})
        elif r.status == HIDDEN:
            notes.append(
                _("Left out, does not apply after an earlier answer: %(question)s")
                % {"question": name}
            )
        elif r.status == UNANSWERED and q.scored:
            notes.append(
                _("Not answered yet (incomplete, not counted as 0): %(question)s")
                % {"question": name}
            )
    formula = _mean(inputs, "questions", translations)
    name = result.sub_area.name.get(language)
    return _lines(name, result.score, formula, inputs, notes, translations)


def _question(card: Scorecard, question_id: str, translations, language: str) -> str:
    _ = translations.ugettext
    result = card.question(question_id)
    q = result.question
    if result.score is not None:
        formula = _("%(points)s of %(most)s points × 100; answer: %(answer)s") % {
            "points": _fmt(result.points),
            "most": _fmt(q.max_points),
            "answer": answer_words(q, result.value, translations, language),
        }
    elif not q.scored:
        formula = _("this question is not scored")
    elif result.status == NOT_APPLICABLE and result.reason:
        formula = _("marked not applicable, so left out of the score (reason: %(reason)s)") % {
            "reason": result.reason
        }
    elif result.status == NOT_APPLICABLE:
        formula = _("marked not applicable, so left out of the score")
    elif result.status == HIDDEN:
        formula = _("does not apply after an earlier answer, so left out of the score")
    else:
        formula = _("not answered yet: left out of the score and counted as incomplete")
    notes = (
        [_("Weight %(weight)s in its sub-area.") % {"weight": _fmt(q.weight)}] if q.scored else []
    )
    return _lines(q.text.get(language), result.score, formula, [], notes, translations)


def _stage(result: AreaScore, language: str) -> str:
    return f" ({result.stage.name.get(language)})" if result.stage else ""


def _score(value: float | None, translations) -> str:
    return translations.ugettext("not scored yet") if value is None else f"{value:.1f}"


def _mean(inputs: list, kind: str, translations) -> str:
    """The formula of a mean of `inputs` (name, score, weight, note) of a `kind`: areas,
    sub-areas or questions."""
    _, ngettext = translations.ugettext, translations.ungettext
    count = len(inputs)
    if kind == "areas":
        nothing = _("nothing to score yet: no area has answers")
        mean = ngettext("mean of %(num)d area", "mean of %(num)d areas", count)
        weighted = ngettext(
            "weighted mean of %(num)d area", "weighted mean of %(num)d areas", count
        )
    elif kind == "sub-areas":
        nothing = _("nothing to score yet: no sub-area has answers")
        mean = ngettext("mean of %(num)d sub-area", "mean of %(num)d sub-areas", count)
        weighted = ngettext(
            "weighted mean of %(num)d sub-area", "weighted mean of %(num)d sub-areas", count
        )
    else:
        nothing = _("nothing to score yet: no answered question has answers")
        mean = ngettext(
            "mean of %(num)d answered question", "mean of %(num)d answered questions", count
        )
        weighted = ngettext(
            "weighted mean of %(num)d answered question",
            "weighted mean of %(num)d answered questions",
            count,
        )
    if not inputs:
        return nothing
    if len({weight for _name, _value, weight, _note in inputs}) == 1:
        return mean % {"num": count}
    total = sum(weight for _name, _value, weight, _note in inputs)
    parts = " + ".join(
        f"{_fmt(weight)} × {_score(value, translations)}" for _name, value, weight, _note in inputs
    )
    return f"{weighted % {'num': count}}: ({parts}) ÷ {_fmt(total)}"


def _completeness(group, questionnaire, translations) -> str:
    _ = translations.ugettext
    note = _(
        "Based on %(answered)d of %(applicable)d questions that apply (%(complete)s complete)."
    ) % {
        "answered": group.answered,
        "applicable": group.applicable,
        "complete": f"{group.completeness:.0%}",
    }
    if group.completeness * 100 < questionnaire.provisional_below:
        note += " " + _("Provisional: less than %(share)s%% of the questions are answered.") % {
            "share": _fmt(questionnaire.provisional_below)
        }
    return note


def _lines(subject, value, formula, inputs, notes, translations) -> str:
    lines = [f"{subject} {_score(value, translations)} = {formula}"]
    lines += [f"  - {name}: {_score(v, translations)}{note}" for name, v, _w, note in inputs]
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


def _number(value: float, question: Question) -> str:
    """A figure with the question's unit."""
    return f"{_fmt(value)} {question.unit or ''}".strip()


def action_status(status: str, translations) -> str:
    """An action's status in words, as a sentence reads it ("in progress")."""
    _ = translations.ugettext
    return {
        "planned": _("planned"),
        "in_progress": _("in progress"),
        "done": _("done"),
        "dropped": _("dropped"),
    }.get(status, status)
