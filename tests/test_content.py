"""The shipped questionnaires load, pass `check`, and meet the content rules: those of issue 3
for every version, and those of 2026.2 (issue 17: one ladder, steps with effort, who to ask)."""

import re
from collections import Counter

import pytest

from questionnaires import AREA_IDS, catalogue

SDG_TAG = re.compile(r"^SDG \d{1,2}\.[0-9a-d]{1,2}$")
OTHER_TAGS = {"Sendai", "NUA", "Paris"}


VERSIONS = [
    (qid, version) for qid in ("asus-quick", "asus-detailed") for version in ("2026.1", "2026.2")
]
NEWEST = [("asus-quick", "2026.2"), ("asus-detailed", "2026.2")]


@pytest.fixture(scope="module")
def every_version():
    return {(q.id, q.version): q for q in catalogue()}


@pytest.fixture(scope="module")
def shipped(every_version):
    """The newest version of each questionnaire, by id."""
    return {qid: q for (qid, _), q in every_version.items()}


def test_both_questionnaires_are_in_the_catalogue_in_both_versions(every_version):
    assert set(every_version) == set(VERSIONS)
    for q in every_version.values():
        assert [a.id for a in q.areas] == list(AREA_IDS)
    for qid, version in NEWEST:
        assert every_version[(qid, version)].replaces == "2026.1"


def test_quick_screening_shape(shipped):
    q = shipped["asus-quick"]
    questions = list(q.questions())
    assert 30 <= len(questions) <= 40
    for area in q.areas:
        assert 5 <= len(list(area.questions())) <= 8, area.id
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


@pytest.mark.parametrize("key", VERSIONS)
def test_every_scored_question_is_complete(every_version, key):
    for question in every_version[key].questions():
        assert question.help and question.evidence, question.id
        if question.scored:
            assert question.recommendations, question.id
            assert question.tags, question.id
        for tag in question.tags:
            assert SDG_TAG.match(tag) or tag in OTHER_TAGS, (question.id, tag)


@pytest.mark.parametrize("key", VERSIONS)
def test_level_descriptors_are_written_for_each_question(every_version, key):
    q = every_version[key]
    descriptors = Counter(str(level.descriptor) for x in q.questions() for level in x.levels)
    repeated = [d for d, n in descriptors.items() if n > 1]
    assert not repeated, repeated
    texts = Counter(str(x.text) for x in q.questions())
    assert all(n == 1 for n in texts.values())


@pytest.mark.parametrize("key", NEWEST)
def test_one_ladder_each_level_builds_on_the_one_below(every_version, key):
    q = every_version[key]
    if key[0] == "asus-detailed":
        assert [str(lv.descriptor) for lv in q.levels] == [
            "Not in place",
            "Ad hoc",
            "Drafted or partial",
            "Adopted and in force",
            "Implemented and monitored",
            "Reviewed and improved",
        ]
        assert all(lv.meaning for lv in q.levels)
    for question in q.questions():
        for level in question.levels[3:]:
            assert str(level.descriptor).startswith(f"As level {level.number - 1}, and "), (
                question.id,
                level.number,
            )


@pytest.mark.parametrize("key", NEWEST)
def test_recommendations_come_in_steps_with_effort_and_every_question_says_whom_to_ask(
    every_version, key
):
    for question in every_version[key].questions():
        assert question.ask, question.id
        if not question.scored:
            continue
        steps = question.recommendations
        assert steps, question.id
        if question.type == "level":
            # A city at level 0 gets a first step, not the text aimed at the target.
            assert steps[0].below == 1 and len(steps) >= 2, question.id
        assert all(step.effort in ("low", "medium", "high") for step in steps), question.id
        for choice in question.choices:
            if choice.id.startswith("none") and question.type == "multi_choice":
                assert choice.exclusive, (question.id, choice.id)


def test_one_topic_sits_in_one_area_in_both_questionnaires(shipped):
    """Participatory budgeting, land records and informal settlements: civic and social."""
    quick, detailed = shipped["asus-quick"], shipped["asus-detailed"]
    for q, ids in (
        (quick, ("cs_participation", "cs_land_records", "cs_informal_settlements")),
        (detailed, ("cs_participatory_budget", "cs_land_titled_share", "cs_settlement_upgrading")),
    ):
        for question_id in ids:
            assert q.question(question_id).area_id == "civic_social", (q.id, question_id)
    assert "offices" in str(quick.description)
