"""The loader: the FORMAT.md example loads; every planted mistake is named with file and line."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import QuestionnaireError, load
from questionnaires.loader import MAX_BYTES

Q0 = "areas[0].sub_areas[0].questions[0]"

# (what is planted, text to replace, replacement, expected problems as (marker, path: message)).
# The marker is text on the line the problem must point at; None points at line 1.
PLANTED = [
    (
        "YAML syntax error",
        "title: Example screening",
        "title: [Example screening",
        [
            (
                "description: A five",
                "(file): YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow "
                "sequence started on line 3)",
            )
        ],
    ),
    (
        "misspelt key",
        "            evidence: Minutes",
        "            evidnce: Minutes",
        [("evidnce", f"{Q0}.evidnce: unknown key of a level question (did you mean 'evidence'?)")],
    ),
    (
        "key of another question type",
        "            evidence: Minutes or reports of budget consultations.",
        "            cap: 3",
        [("cap: 3\n            tags: [SDG 16", f"{Q0}.cap: unknown key of a level question")],
    ),
    (
        "missing required field",
        'version: "2026.1"\n',
        "",
        [(None, "version: is required")],
    ),
    (
        "version that is no file name",
        'version: "2026.1"',
        'version: "../2026.1"',
        [
            (
                'version: "../',
                "version: must be at most 32 letters, digits, ., _ or -, starting with a letter "
                "or digit, got '../2026.1'",
            )
        ],
    ),
    (
        "missing question text",
        "            text: How do residents take part in deciding the city budget?\n",
        "",
        [("- id: cs_participatory_budget", f"{Q0}.text: is required")],
    ),
    (
        "weight of the wrong type",
        "            type: level\n",
        "            type: level\n            weight: heavy\n",
        [("weight: heavy", f"{Q0}.weight: must be a positive number, got 'heavy'")],
    ),
    (
        "negative weight",
        "    name: Security\n",
        "    name: Security\n    weight: -2\n",
        [("weight: -2", "areas[2].weight: must be a positive number, got '-2'")],
    ),
    (
        "duplicate id",
        "id: se_drr_plan_year",
        "id: se_drr_plan",
        [
            (
                "- id: se_drr_plan\n            type: number",
                "areas[2].sub_areas[0].questions[1].id: duplicate id 'se_drr_plan' "
                "(first used on line {line:se_drr_plan\n})",
            )
        ],
    ),
    (
        "an area missing",
        "  - id: industry_innovation",
        "  - id: civic_social",
        [
            (
                "  - id: civic_social\n    name: Industry",
                "areas[5].id: duplicate id 'civic_social' "
                "(first used on line {line:civic_social\n})",
            ),
            ("areas:\n", "areas: the ASUS core area 'industry_innovation' is missing"),
        ],
    ),
    (
        "an extra area",
        "  - id: industry_innovation",
        "  - id: industry_innovations",
        [
            (
                "industry_innovations",
                "areas[5].id: 'industry_innovations' is not an ASUS core area; did you mean "
                "'industry_innovation'? the six are civic_social, health_wellbeing, security, "
                "quality_environment, built_infrastructure, industry_innovation",
            ),
            ("areas:\n", "areas: the ASUS core area 'industry_innovation' is missing"),
        ],
    ),
    (
        "levels that skip a number",
        "              2: Every district",
        "              4: Every district",
        [
            (
                "levels:\n              0: Residents",
                f"{Q0}.levels: levels must be numbered 0, 1, ... without gaps; 2 is missing",
            )
        ],
    ),
    (
        "a level without a descriptor",
        "              3: A published share of the budget is decided by residents and results are"
        " reported back.",
        "              3:",
        [("              3:", f"{Q0}.levels.3: level has no descriptor")],
    ),
    (
        "levels unlike the questionnaire's scale",
        "              3: A published share",
        "              4: Even more.\n              3: A published share",
        [
            (
                "levels:\n              0: Residents",
                f"{Q0}.levels: must have levels 0 to 3 like the questionnaire's scale, got 0 to 4",
            )
        ],
    ),
    (
        "recommendation threshold outside the scale",
        "              below: 2",
        "              below: 5",
        [
            (
                "    below: 5",
                f"{Q0}.recommendation.below: must be above 0 and at most 3 (the question's "
                "scale), got 5",
            )
        ],
    ),
    (
        "show_if naming an unknown question",
        "show_if: {question: se_drr_plan, equals: yes}",
        "show_if: {question: se_drr_plans, equals: yes}",
        [
            (
                "show_if:",
                "areas[2].sub_areas[0].questions[1].show_if.question: 'se_drr_plans' is an "
                "unknown question; show_if must name an earlier one",
            )
        ],
    ),
    (
        "show_if naming a later question",
        "show_if: {question: se_drr_plan, equals: yes}",
        "show_if: {question: qe_waste_streams, equals: organic}",
        [
            (
                "show_if:",
                "areas[2].sub_areas[0].questions[1].show_if.question: 'qe_waste_streams' is"
                " a later question; show_if must name an earlier one",
            )
        ],
    ),
    (
        "show_if with a value the question cannot take",
        "show_if: {question: se_drr_plan, equals: yes}",
        "show_if: {question: se_drr_plan, equals: maybe}",
        [
            (
                "show_if:",
                "areas[2].sub_areas[0].questions[1].show_if: value 'maybe' for "
                "'se_drr_plan' must be yes or no, got 'maybe'",
            )
        ],
    ),
    (
        "a language map without en",
        "title: Example screening",
        "title: {vi: Sàng lọc mẫu}",
        [("title:", "title: language map has no 'en': English text is required")],
    ),
    (
        "a language code that is not one",
        "title: Example screening",
        "title: {en: Example screening, Vietnamese: Sàng lọc mẫu}",
        [("title:", "title.Vietnamese: is not a language code (en, vi, th, ...)")],
    ),
    (
        "a misspelt question type",
        "type: yes_no",
        "type: yesno",
        [
            (
                "type: yesno",
                "areas[2].sub_areas[0].questions[0].type: must be one of level, yes_no, "
                "choice, multi_choice, number, text (did you mean 'yes_no'?)",
            )
        ],
    ),
    (
        "bands against the direction",
        "bands: {1: 50, 2: 75, 3: 95}",
        "bands: {1: 50, 2: 95, 3: 75}",
        [
            (
                "bands:",
                "areas[1].sub_areas[0].questions[0].bands: thresholds must rise with the "
                "level (higher_is_better)",
            )
        ],
    ),
    (
        "stages out of order",
        "name: Advanced, min: 67",
        "name: Advanced, min: 20",
        [("min: 20", "stages[2].min: must be above the previous stage's 34 and below 100")],
    ),
    (
        "a key given twice",
        "    name: Security\n",
        "    name: Security\n    name: Safety\n",
        [("name: Safety", "areas[2].name: is given twice")],
    ),
    (
        "an alias",
        "title: Example screening",
        "title: &t Example screening\ndescription2: *t",
        [
            (
                "title:",
                "(file): YAML syntax error: anchors and aliases (&name, *name) are not allowed",
            )
        ],
    ),
    (
        "a choice id used twice",
        "{id: drafting, label: Being drafted, points: 1}",
        "{id: none, label: Being drafted, points: 1}",
        [
            (
                "id: none, label: Being",
                "areas[4].sub_areas[0].questions[0].choices[1].id: duplicate choice id 'none'",
            )
        ],
    ),
    (
        "a cap above what the choices give",
        "            cap: 3",
        "            cap: 4",
        [
            (
                "cap: 4",
                "areas[3].sub_areas[0].questions[0].cap: is more than all choices together"
                " give (3)",
            )
        ],
    ),
    (
        "an exclusive choice of a choice question",
        "{id: none, label: No plan, points: 0}",
        "{id: none, label: No plan, points: 0, exclusive: true}",
        [
            (
                "id: none, label: No plan",
                "areas[4].sub_areas[0].questions[0].choices[0].exclusive: only the choices of a "
                "multi_choice question can be exclusive (a choice question takes one choice "
                "anyway)",
            )
        ],
    ),
    (
        "exclusive that is not true or false",
        "points: 0, exclusive: true}",
        "points: 0, exclusive: sometimes}",
        [
            (
                "exclusive: sometimes",
                "areas[3].sub_areas[0].questions[0].choices[3].exclusive: must be true or false, "
                "got 'sometimes'",
            )
        ],
    ),
    (
        "every choice exclusive",
        "              - {id: organic, label: Organic waste, points: 1}\n"
        "              - {id: recyclables, label: Dry recyclables, points: 1}\n"
        "              - {id: hazardous, label: Household hazardous waste, points: 1}\n",
        "              - {id: organic, label: Organic waste, points: 1, exclusive: true}\n",
        [
            (
                "choices:\n              - {id: organic",
                "areas[3].sub_areas[0].questions[0].choices: every choice is exclusive: make it a "
                "choice question, or let some be combined",
            )
        ],
    ),
    (
        "a recommendation on a text question",
        "            required: false\n",
        "            required: false\n            recommendation: {text: Do more.}\n",
        [
            (
                "recommendation: {text: Do",
                "areas[5].sub_areas[0].questions[0].recommendation: unknown key of a text question",
            )
        ],
    ),
    (
        "a misspelt SDG target",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, SDG 11.12]",
        [
            (
                "tags: [SDG 6.1, SDG 11.12]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "SDG 11.12" (did you mean "SDG 11.2", "SDG 11.1", "SDG 17.12"?)',
            )
        ],
    ),
    (
        "a misspelt framework",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, SGD 11.6]",
        [
            (
                "tags: [SDG 6.1, SGD 11.6]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "SGD 11.6" (did you mean "SDG 11.6", "SDG 17.6", "SDG 16.6"?)',
            )
        ],
    ),
    (
        "a tag in the wrong case",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, sdg 11.6]",
        [
            (
                "tags: [SDG 6.1, sdg 11.6]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "sdg 11.6" (did you mean "SDG 11.6"?)',
            )
        ],
    ),
    (
        "a New Urban Agenda paragraph that does not exist",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, NUA 999]",
        [
            (
                "tags: [SDG 6.1, NUA 999]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "NUA 999" (the New Urban Agenda\'s paragraphs run from 1 to 175)',
            )
        ],
    ),
    (
        "a Sendai target that does not exist",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, Sendai H]",
        [
            (
                "tags: [SDG 6.1, Sendai H]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "Sendai H" (did you mean "Sendai G", "Sendai F", "Sendai E"?)',
            )
        ],
    ),
    (
        "a Paris Agreement article that does not exist",
        "tags: [SDG 6.1]",
        "tags: [SDG 6.1, Paris 30]",
        [
            (
                "tags: [SDG 6.1, Paris 30]",
                "areas[1].sub_areas[0].questions[0].tags[1]: "
                'unknown tag "Paris 30" (the Paris Agreement\'s articles run from 1 to 29)',
            )
        ],
    ),
]


def _line_of(text: str, marker: str | None) -> int:
    if marker is None:
        return 1
    assert text.count(marker) >= 1, f"marker {marker!r} not in the planted file"
    return text[: text.index(marker)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [row[1:] for row in PLANTED],
    ids=[row[0] for row in PLANTED],
)
def test_planted_mistake_is_reported_with_file_line_and_path(
    example_text, write_questionnaire, old, new, expected
):
    assert old in example_text, "the FORMAT.md example changed: update this table"
    text = example_text.replace(old, new, 1)
    path = write_questionnaire(text)

    with pytest.raises(QuestionnaireError) as caught:
        load(path)

    def fill(message):
        return re.sub(
            r"\{line:(.*?)\}", lambda m: str(_line_of(text, m.group(1))), message, flags=re.S
        )

    wanted = sorted(
        f"{path}:{_line_of(text, marker)}: {fill(message)}" for marker, message in expected
    )
    assert sorted(str(p) for p in caught.value.problems) == wanted


def test_the_format_example_loads(example_text, write_questionnaire):
    questionnaire = load(write_questionnaire(example_text))

    assert questionnaire.id == "example"
    assert [a.id for a in questionnaire.areas][:2] == ["civic_social", "health_wellbeing"]
    assert questionnaire.question("se_drr_plan_year").show_if.question == "se_drr_plan"
    assert questionnaire.question("hw_piped_water").bands == ((1, 50.0), (2, 75.0), (3, 95.0))
    streams = questionnaire.question("qe_waste_streams")
    assert [c.id for c in streams.choices if c.exclusive] == ["none"]


def test_every_problem_is_listed_at_once(example_text, write_questionnaire):
    text = example_text.replace("type: yes_no", "type: yesno").replace("below: 2", "below: 9")
    text = text.replace('version: "2026.1"\n', "")
    with pytest.raises(QuestionnaireError) as caught:
        load(write_questionnaire(text))
    assert [(p.path, p.message[:20]) for p in caught.value.problems] == [
        ("version", "is required"),
        (f"{Q0}.recommendation.below", "must be above 0 and "),
        ("areas[2].sub_areas[0].questions[0].type", "must be one of level"),
        ("areas[4].sub_areas[0].questions[0].recommendation.below", "must be above 0 and "),
    ]


def test_language_maps_give_translations_with_english_fallback(example_text, write_questionnaire):
    text = example_text.replace(
        "title: Example screening", "title: {en: Example screening, vi: Sàng lọc mẫu}"
    )
    questionnaire = load(write_questionnaire(text))
    assert questionnaire.title.get("vi") == "Sàng lọc mẫu"
    assert questionnaire.title.get("th") == "Example screening"


GARBAGE = [
    ("empty file", b"", "(file): is empty; a questionnaire starts with id, version, title, ..."),
    (
        "only a comment",
        b"# nothing\n",
        "(file): is empty; a questionnaire starts with id, version, title, ...",
    ),
    ("binary", bytes(range(256)) * 4, "(file): is not UTF-8 text (is it a binary file?)"),
    (
        "a control character",
        b"id: a\n\x00",
        "(file): contains a control character that YAML does not allow",
    ),
    (
        "a list at the top",
        b"- id: x\n- id: y\n",
        "(file): must be a mapping with id, version, title, ...; got a list",
    ),
    (
        "a bare string",
        b"hello\n",
        "(file): must be a mapping with id, version, title, ...; got 'hello'",
    ),
    (
        "deep nesting",
        b"a: " + b"[" * 5000 + b"]" * 5000,
        "(file): YAML syntax error: nested more than 40 levels deep",
    ),
    (
        "deep block nesting",
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)).encode(),
        "(file): YAML syntax error: nested more than 40 levels deep",
    ),
    (
        "alias bomb",
        b'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n",
        "(file): YAML syntax error: anchors and aliases (&name, *name) are not allowed",
    ),
    (
        "two documents",
        b"id: a\n---\nid: b\n",
        "(file): YAML syntax error: expected a single document in the stream, "
        "but found another document",
    ),
    ("a python tag", b"id: !!python/object:os.system x\n", None),
    ("huge", b"#" * (MAX_BYTES + 10), "(file): is larger than 2 MB; is it a questionnaire?"),
]


@pytest.mark.parametrize(
    ("data", "expected"), [g[1:] for g in GARBAGE], ids=[g[0] for g in GARBAGE]
)
def test_garbage_gives_a_clear_message_never_a_traceback(write_questionnaire, data, expected):
    path = write_questionnaire(data)
    with pytest.raises(QuestionnaireError) as caught:
        load(path)
    problems = [str(p) for p in caught.value.problems]
    assert problems
    if expected:
        assert any(p.endswith(expected) for p in problems), problems
    assert all(p.startswith(f"{path}:") for p in problems)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(QuestionnaireError, match=r"nothing\.yaml:1: \(file\): cannot be read"):
        load(tmp_path / "nothing.yaml")


PROBLEM_FORMAT = re.compile(r"^.+\.yaml:\d+: \S.*: .+$")


def _check_never_crashes(path):
    try:
        load(path)
    except QuestionnaireError as error:
        assert error.problems, "a rejected file must say why"
        for problem in error.problems:
            assert PROBLEM_FORMAT.match(str(problem)), str(problem)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_fuzz_random_bytes_never_crash_the_loader(write_questionnaire, data):
    _check_never_crashes(write_questionnaire(data))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 40),
            st.text(":-[]{}&*!|>#'\" \nab0_", max_size=8),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fuzz_mutated_example_never_crashes_the_loader(example_text, write_questionnaire, cuts):
    text = example_text
    for start, length, insert in cuts:
        start %= len(text) + 1
        text = text[:start] + insert + text[start + length :]
    _check_never_crashes(write_questionnaire(text))


def test_every_questionnaire_of_the_toolkit_loads_with_its_tags():
    from questionnaires import catalogue
    from questionnaires.frameworks import parse_tag

    questionnaires = catalogue()
    assert {q.id for q in questionnaires} >= {"asus-quick", "asus-detailed"}
    for questionnaire in questionnaires:
        tags = [t for q in questionnaire.questions() for t in q.tags]
        assert tags and all(parse_tag(t) for t in tags)
