"""The two shipped questionnaires load, pass `check`, and meet the content rules of issue 3."""

import re
from collections import Counter

import pytest

from questionnaires import AREA_IDS, catalogue

SDG_TAG = re.compile(r"^SDG \d{1,2}\.[0-9a-d]{1,2}$")
OTHER_TAGS = {"Sendai", "NUA", "Paris"}


@pytest.fixture(scope="module")
def shipped():
    return {q.id: q for q in catalogue()}


def test_both_questionnaires_are_in_the_catalogue(shipped):
    assert set(shipped) == {"asus-quick", "asus-detailed"}
    for q in shipped.values():
        assert [a.id for a in q.areas] == list(AREA_IDS)


def test_quick_screening_shape(shipped):
    q = shipped["asus-quick"]
    questions = list(q.questions())
    assert 30 <= len(questions) <= 42
    for area in q.areas:
        assert 5 <= len(list(area.questions())) <= 7, area.id
    assert [lv.number for lv in q.levels] == [0, 1, 2, 3]
    for question in questions:
        assert question.max_points == 3 or question.type == "yes_no", question.id


def test_detailed_assessment_shape(shipped):
    q = shipped["asus-detailed"]
    questions = list(q.questions())
    assert len(questions) >= 120
    assert [lv.number for lv in q.levels] == [0, 1, 2, 3, 4, 5]
    for area in q.areas:
        assert 3 <= len(area.sub_areas) <= 6, area.id
        numbers = [x for x in area.questions() if x.type == "number"]
        assert len(numbers) >= 2, area.id
        assert all(x.unit for x in numbers)


@pytest.mark.parametrize("questionnaire_id", ["asus-quick", "asus-detailed"])
def test_every_scored_question_is_complete(shipped, questionnaire_id):
    for question in shipped[questionnaire_id].questions():
        assert question.help and question.evidence, question.id
        if question.scored:
            assert question.recommendations, question.id
            assert question.tags, question.id
        for tag in question.tags:
            assert SDG_TAG.match(tag) or tag in OTHER_TAGS, (question.id, tag)


@pytest.mark.parametrize("questionnaire_id", ["asus-quick", "asus-detailed"])
def test_level_descriptors_are_written_for_each_question(shipped, questionnaire_id):
    q = shipped[questionnaire_id]
    descriptors = Counter(str(level.descriptor) for x in q.questions() for level in x.levels)
    repeated = [d for d, n in descriptors.items() if n > 1]
    assert not repeated, repeated
    texts = Counter(str(x.text) for x in q.questions())
    assert all(n == 1 for n in texts.values())
