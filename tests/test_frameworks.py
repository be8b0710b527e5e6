"""Results by global framework: the tag vocabulary, the grouping by framework, goal and target,
the assessment's page and export for a Voluntary Local Review, the report's chapter and the
network's view per SDG target."""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook

from questionnaires import score
from questionnaires.framework_data import SDG_GOALS, SDG_TARGETS
from questionnaires.frameworks import grouped, parse_tag, tag_problem, vocabulary
from questionnaires.scoring import ANSWERED, GivenAnswer
from toolkit.cli.demo import answer_for
from toolkit.core import instrument

SOURCE = "BPS Kota, Statistics in Figures 2025, table 4.1"
EVIDENCE = "https://example.org/waste-report-2025.pdf The waste report"
QUESTIONNAIRES = ("asus-quick", "asus-detailed")


# -- the vocabulary --------------------------------------------------------------------------


def test_the_vocabulary_holds_every_sdg_target_and_the_other_frameworks():
    assert len(SDG_GOALS) == 17 and len(SDG_TARGETS) == 169
    for text in ("SDG 11", "SDG 11.6", "SDG 11.a", "SDG 17.19", "Sendai", "Sendai A"):
        assert parse_tag(text) is not None, text
    for text in ("Sendai G", "Sendai P1", "Sendai P4", "NUA", "NUA 1", "NUA 175", "Paris 29"):
        assert parse_tag(text) is not None, text
    for text in ("SDG 11.12", "SGD 11.6", "sdg 11.6", "NUA 999", "NUA 0", "Sendai H", "SDG 18"):
        assert parse_tag(text) is None and tag_problem(text).startswith(f'unknown tag "{text}"')
    assert 'did you mean "SDG 11.6"?' in tag_problem("sdg  11.6")


# -- the grouping ----------------------------------------------------------------------------

TAGS = list(vocabulary())


@st.composite
def tagged_cards(draw):
    """A real questionnaire with random tags on its questions, scored with random answers:
    some answered, some not applicable, some left empty."""
    questionnaire = instrument.latest(draw(st.sampled_from(QUESTIONNAIRES)))
    tag_lists = st.lists(st.sampled_from(TAGS), max_size=3)
    areas = tuple(
        replace(
            area,
            sub_areas=tuple(
                replace(
                    sub,
                    questions=tuple(replace(q, tags=tuple(draw(tag_lists))) for q in sub.questions),
                )
                for sub in area.sub_areas
            ),
        )
        for area in questionnaire.areas
    )
    questionnaire = replace(questionnaire, areas=areas)
    rng = random.Random(draw(st.integers(0, 1000)))
    answers = {}
    for q in questionnaire.questions():
        kind = draw(st.sampled_from(["answer", "answer", "na", "empty"]))
        if kind == "answer" and q.scored:
            answers[q.id] = GivenAnswer(answer_for(q, rng.random(), rng))
        elif kind == "na" and q.allow_na:
            answers[q.id] = GivenAnswer(not_applicable=True, reason="not here")
    return score(questionnaire, answers)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tagged_cards())
def test_every_tagged_question_appears_under_each_of_its_tags_and_nowhere_else(card):
    results = [r for a in card.areas for s in a.sub_areas for r in s.questions]
    frameworks = grouped(card)
    placed: dict[str, list[str]] = {}
    for framework in frameworks:
        for goal in framework.goals:
            for target in goal.targets:
                assert target.tag.framework == framework.framework
                assert target.tag.goal == goal.goal
                assert target.questions, "a target without questions is left out"
                for r in target.questions:
                    placed.setdefault(r.question.id, []).append(str(target.tag))
                answered = [r for r in target.questions if r.status == ANSWERED]
                assert target.answered == len(answered)
                scores = [r.score for r in answered if r.score is not None]
                if scores:
                    assert target.score == pytest.approx(sum(scores) / len(scores))
                    assert 0 <= target.score <= 100
                else:
                    assert target.score is None
    for r in results:
        assert sorted(placed.get(r.question.id, [])) == sorted(set(r.question.tags))
    assert sum(len(t) for t in placed.values()) == sum(len(set(r.question.tags)) for r in results)
    # The frameworks' own order: goals by number, targets as the UN numbers them.
    order = {tag: n for n, tag in enumerate(TAGS)}
    for framework in frameworks:
        tags = [str(t.tag) for t in framework.targets()]
        assert tags == sorted(tags, key=order.get)
