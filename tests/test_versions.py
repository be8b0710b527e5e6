"""Questionnaire versions: the item map is checked against the version it replaces with file and
line, and two versions compare through it, area by area, saying where they cannot."""

import pytest

from questionnaires import GivenAnswer, QuestionnaireError, catalogue
from questionnaires.versions import bridge, changelog, compare

MAP = """
replaces: "2026.1"
summary: The budget question follows the one ladder; the notes question asks for sectors by name.
changes:
  - {old: cs_participatory_budget, change: changed, comparable: false, why: Levels moved.}
  - {old: hw_piped_water, new: hw_safe_water, change: moved, why: Named for what it measures.}
  - {old: se_drr_plan, change: same}
  - {old: se_drr_plan_year, change: same}
  - {old: qe_waste_streams, change: same}
  - {old: bi_mobility_plan, change: same}
  - {old: ii_strategy_notes, change: retired, why: Nobody could answer it in one line.}
  - {new: ii_sectors, change: added, why: Asks for the sectors by name.}
"""


def second_version(example_text: str) -> str:
    """The FORMAT.md example as version 2026.2, with its item map."""
    text = example_text.replace('version: "2026.1"', 'version: "2026.2"')
    text = text.replace("- id: hw_piped_water", "- id: hw_safe_water")
    text = text.replace("- id: ii_strategy_notes", "- id: ii_sectors")
    return text + MAP


@pytest.fixture
def versions(example_text, write_questionnaire):
    write_questionnaire(example_text, "example-2026.1.yaml")
    write_questionnaire(second_version(example_text), "example-2026.2.yaml")
    return catalogue(write_questionnaire(example_text, "example-2026.1.yaml").parent)


def test_a_complete_map_loads_and_reads_as_a_changelog(versions):
    old, new = versions
    assert (old.version, new.version, new.replaces) == ("2026.1", "2026.2", "2026.1")
    assert [c.change for c in new.changes].count("same") == 4
    text = changelog(new)
    assert text.startswith("# Example screening 2026.2\n\nReplaces 2026.1. The budget question")
    assert "1 added, 1 changed, 1 moved, 1 retired, 4 same." in text
    assert "- `hw_piped_water` moved to `hw_safe_water`: Named for what it measures." in text
    assert "- `cs_participatory_budget` changed (not comparable): Levels moved." in text
    assert "se_drr_plan`" not in text  # same: nothing to say


def test_the_bridge_says_which_areas_compare(versions):
    link = bridge(*versions, versions)
    assert link.pairs["hw_piped_water"] == "hw_safe_water"
    assert "cs_participatory_budget" not in link.pairs
    assert link.note("civic_social") == (
        "Civic and Social: not comparable with 2026.1, 1 of 1 items changed"
    )
    # Moved within its area, unchanged, or unscored (a text question): the area compares.
    for area_id in ("health_wellbeing", "security", "industry_innovation"):
        assert link.note(area_id) is None, area_id
    assert link.copies == {
        "hw_safe_water": "hw_piped_water",
        "se_drr_plan": "se_drr_plan",
        "se_drr_plan_year": "se_drr_plan_year",
        "qe_waste_streams": "qe_waste_streams",
        "bi_mobility_plan": "bi_mobility_plan",
    }
    change, origins = link.offers["cs_participatory_budget"]
    assert (change.change, origins) == ("changed", ("cs_participatory_budget",))


def test_a_trend_across_versions_compares_what_they_share(versions):
    old, new = versions
    link = bridge(old, new, versions)
    before = {"cs_participatory_budget": 3, "hw_piped_water": 60, "se_drr_plan": "no"}
    after = {"cs_participatory_budget": 1, "hw_safe_water": 80, "se_drr_plan": "yes"}
    areas = {
        c.area.id: c
        for c in compare(
            link,
            {k: GivenAnswer(v) for k, v in before.items()},
            {k: GivenAnswer(v) for k, v in after.items()},
        )
    }
    water = areas["health_wellbeing"]
    assert (water.comparable, water.before, water.now) == (
        True,
        pytest.approx(100 / 3),
        pytest.approx(200 / 3),
    )
    assert water.change == pytest.approx(100 / 3, abs=0.1)
    assert areas["security"].change == 100.0
    budget = areas["civic_social"]
    assert not budget.comparable and budget.shared == 0 and budget.change is None
    assert budget.note == "Civic and Social: not comparable with 2026.1, 1 of 1 items changed"


def test_a_comparison_ignores_hidden_answers_and_unscored_questions(
    example_text, write_questionnaire
):
    # A text question kept as it was, answered in both cycles: shared, never scored.
    text = second_version(example_text).replace("- id: ii_sectors", "- id: ii_strategy_notes")
    text = text.replace(
        "  - {old: ii_strategy_notes, change: retired, why: Nobody could answer it in one line.}\n"
        "  - {new: ii_sectors, change: added, why: Asks for the sectors by name.}\n",
        "  - {old: ii_strategy_notes, change: same}\n",
    )
    write_questionnaire(example_text, "example-2026.1.yaml")
    path = write_questionnaire(text, "example-2026.2.yaml")
    versions = catalogue(path.parent)
    link = bridge(*versions, versions)
    # The plan's year is stored from before the plan was marked as not adopted: it is hidden.
    before = {"se_drr_plan": "no", "se_drr_plan_year": 2024, "ii_strategy_notes": "Tourism"}
    after = {"se_drr_plan": "yes", "se_drr_plan_year": 2024, "ii_strategy_notes": "Ports"}
    areas = {
        c.area.id: c
        for c in compare(
            link,
            {k: GivenAnswer(v) for k, v in before.items()},
            {k: GivenAnswer(v) for k, v in after.items()},
        )
    }
    security = areas["security"]
    assert (security.before, security.now) == (0.0, 100.0)
    assert areas["industry_innovation"].before is None and areas["industry_innovation"].comparable


# (what is planted, text to replace in the map, replacement, expected (marker, message) pairs;
# the marker is text on the line the problem must point at).
PLANTED = [
    (
        "an old question left out",
        "  - {old: se_drr_plan, change: same}\n",
        "",
        [
            ("changes:", "changes: the 2026.1 question 'se_drr_plan' ("),
            ("- id: se_drr_plan\n", "se_drr_plan: is not in the item map: mark it 'added'"),
        ],
    ),
    (
        "an old question mapped twice",
        "  - {old: se_drr_plan, change: same}\n",
        "  - {old: se_drr_plan, change: same}\n  - {old: se_drr_plan, change: same}\n",
        [
            (
                "{old: se_drr_plan, change: same}\n  - {old: se_drr_plan_year",
                "'se_drr_plan' is mapped twice",
            )
        ],
    ),
    (
        "a move onto a question that stays",
        "  - {old: se_drr_plan, change: same}\n",
        "  - {old: se_drr_plan_year, new: se_drr_plan, change: moved, why: Same thing.}\n"
        "  - {old: se_drr_plan, change: same}\n",
        [
            ("{old: se_drr_plan_year, new", "'se_drr_plan' scores answers differently"),
            ("{old: se_drr_plan_year, change: same}", "'se_drr_plan_year' is mapped twice"),
            ("{old: se_drr_plan, change: same}", "'se_drr_plan' is mapped twice"),
        ],
    ),
    (
        "an id the old version does not have",
        "{old: qe_waste_streams, change: same}",
        "{old: qe_waste_stream, change: same}",
        [
            ("qe_waste_stream,", "changes[4].old: 'qe_waste_stream' is not a question of 2026.1"),
            ("changes:", "the 2026.1 question 'qe_waste_streams'"),
            ("- id: qe_waste_streams", "qe_waste_streams: is not in the item map"),
        ],
    ),
    (
        "same on a question that scores differently",
        "{id: adopted, label: Adopted by the council, points: 2}",
        "{id: adopted, label: Adopted by the council, points: 3}",
        [
            (
                "{old: bi_mobility_plan",
                "'bi_mobility_plan' scores answers differently from 'bi_mobility_plan' of 2026.1",
            )
        ],
    ),
    (
        "retired while still there",
        "{old: se_drr_plan_year, change: same}",
        "{old: se_drr_plan_year, change: retired, why: Old.}",
        [
            ("{old: se_drr_plan_year", "'se_drr_plan_year' is still a question of 2026.2"),
            ("- id: se_drr_plan_year", "se_drr_plan_year: is not in the item map"),
        ],
    ),
    (
        "moved to the same place",
        "{old: se_drr_plan, change: same}",
        "{old: se_drr_plan, new: se_drr_plan, change: moved, why: Tidier.}",
        [("{old: se_drr_plan, new", "'se_drr_plan' is in the same place in both versions")],
    ),
    (
        "no reason given",
        "{old: ii_strategy_notes, change: retired, why: Nobody could answer it in one line.}",
        "{old: ii_strategy_notes, change: retired}",
        [("{old: ii_strategy_notes", "changes[6].why: is required: say why the item is retired")],
    ),
    (
        "comparable on a move",
        "change: moved, why: Named",
        "change: moved, comparable: false, why: Named",
        [("comparable: false, why: Named", "changes[1].comparable: only a 'changed' entry")],
    ),
    (
        "a split into one",
        "{old: se_drr_plan, change: same}",
        "{old: se_drr_plan, new: [se_drr_plan], change: split, why: Two topics.}",
        [("new: [se_drr_plan]", "changes[2].new: must be a list of at least two question ids")],
    ),
    (
        "a misspelt change",
        "{old: se_drr_plan, change: same}",
        "{old: se_drr_plan, change: sam}",
        [("change: sam}", "changes[2].change: must be one of same, changed, moved, split")],
    ),
    (
        "a replaced version that is not there",
        'replaces: "2026.1"',
        'replaces: "2025.9"',
        [("changes:", "replaces: example 2025.9 is not there")],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [p[1:] for p in PLANTED], ids=[p[0] for p in PLANTED]
)
def test_every_planted_mistake_in_a_map_is_named_with_its_line(
    example_text, write_questionnaire, old, new, expected
):
    text = second_version(example_text)
    assert old in text, "the planted text is not in the file"
    text = text.replace(old, new, 1)
    write_questionnaire(example_text, "example-2026.1.yaml")
    path = write_questionnaire(text, "example-2026.2.yaml")
    with pytest.raises(QuestionnaireError) as raised:
        catalogue(path.parent)
    problems = [p for p in raised.value.problems if p.file == str(path)]
    lines = text.splitlines()
    for marker, message in expected:
        line = text[: text.index(marker)].count("\n") + 1
        found = [p for p in problems if message in f"{p.path}: {p.message}"]
        assert found, f"{message!r} not in {[str(p) for p in problems]}"
        assert found[0].line == line, (str(found[0]), lines[line - 1])
    assert len(problems) == len(expected), [str(p) for p in problems]
