"""Scoring: worked examples an official can check by hand, and properties over random input."""

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires import AREA_IDS, AnswerError, GivenAnswer, load, score, score_area, summarize
from questionnaires.model import (
    AnswerValueError,
    Area,
    Choice,
    Level,
    Question,
    Questionnaire,
    Recommendation,
    Stage,
    SubArea,
    Text,
)
from questionnaires.scoring import ANSWERED, scorecard_as_dict


@pytest.fixture
def example(example_text, write_questionnaire):
    return load(write_questionnaire(example_text))


def test_worked_example(example):
    card = score(
        example,
        {
            "cs_participatory_budget": 1,  # 1 of 3 -> 33.3
            "hw_piped_water": 80,  # band 2 of 3 -> 66.7
            "se_drr_plan": "yes",  # 1 of 1 -> 100; shows se_drr_plan_year, left unanswered
            "qe_waste_streams": ["organic", "hazardous"],  # 2 of 3 -> 66.7
            "bi_mobility_plan": GivenAnswer(not_applicable=True, reason="town of 20,000"),
            "ii_strategy_notes": "Tourism and fisheries.",
        },
    )

    assert card.area("civic_social").score == pytest.approx(100 / 3)
    assert card.area("health_wellbeing").score == pytest.approx(200 / 3)
    assert card.area("security").score == 100
    assert card.area("built_infrastructure").score is None
    assert card.overall == pytest.approx((100 / 3 + 200 / 3 + 100 + 200 / 3) / 4)
    assert card.stage.id == "developing"
    # se_drr_plan_year is shown (plan = yes) and unanswered; the N/A question does not apply.
    assert (card.answered, card.applicable) == (4, 5)
    assert card.area("security").completeness == 0.5
    assert not card.provisional
    assert [q.id for q in card.missing_required] == ["se_drr_plan_year"]


def test_unanswered_is_incomplete_never_zero(example):
    card = score(example, {"cs_participatory_budget": 3})
    assert card.overall == 100
    assert card.area("security").score is None
    assert card.completeness == pytest.approx(1 / 5)
    assert card.provisional
    assert card.area("civic_social").provisional is False


def test_hidden_question_counts_as_not_applicable(example):
    card = score(example, {"se_drr_plan": "no", "se_drr_plan_year": 2010})
    year = card.question("se_drr_plan_year")
    assert year.status == "hidden"
    assert card.area("security").score == 0
    assert (card.area("security").answered, card.area("security").applicable) == (1, 1)


def test_answers_that_do_not_fit_are_all_listed(example):
    with pytest.raises(AnswerError) as caught:
        score(
            example,
            {
                "cs_participatory_budget": 7,
                "nope": 1,
                "hw_piped_water": "lots",
                "se_drr_plan": GivenAnswer(not_applicable=True),
                "qe_waste_streams": ["glass"],
            },
        )
    assert caught.value.problems == [
        "cs_participatory_budget: must be a level from 0 to 3, got 7",
        "nope: no such question in example",
        "hw_piped_water: must be a number, got 'lots'",
        "se_drr_plan: this question cannot be marked not applicable",
        "qe_waste_streams: unknown choice 'glass'; choose from organic, recyclables, "
        "hazardous, none",
    ]


def test_recommendations_are_ranked_by_overall_gain(example):
    card = score(
        example,
        {"cs_participatory_budget": 0, "hw_piped_water": 60, "bi_mobility_plan": "drafting"},
    )
    ranked = [
        (r.question.id, r.current, r.target, round(r.overall_gain, 2)) for r in card.recommendations
    ]
    assert ranked == [
        # civic 0 -> target level 2: area +66.7, overall +66.7 / 3 areas
        ("cs_participatory_budget", "level 0", "level 2", 22.22),
        # both gain 33.3 in their area; the weaker area comes first (health 33.3 < built 50)
        ("hw_piped_water", "band 1 (>= 50 %)", "band 3 (>= 95 %)", 22.22),
        ("bi_mobility_plan", "Being drafted", "Adopted by the council", 16.67),
    ]
    assert card.recommendations[0].area_gain == pytest.approx(200 / 3)


def test_explain_says_where_every_number_comes_from(example):
    card = score(
        example,
        {
            "cs_participatory_budget": 2,
            "se_drr_plan": "yes",
            "bi_mobility_plan": GivenAnswer(not_applicable=True, reason="no buses"),
        },
    )
    assert str(card.explain("overall")) == (
        "Overall 83.3 = mean of 2 areas\n"
        "  - Civic and Social: 66.7 (Developing)\n"
        "  - Security: 100.0 (Advanced)\n"
        "  Health and Well-being has no answers yet and is left out.\n"
        "  Quality Environment has no answers yet and is left out.\n"
        "  Built Infrastructure has no answers yet and is left out.\n"
        "  Industry and Innovation has no answers yet and is left out.\n"
        "  Based on 2 of 5 questions that apply (40% complete). Provisional: less than 50% of the"
        " questions are answered."
    )
    assert str(card.explain("security.se_drr")) == (
        "Disaster risk reduction 100.0 = mean of 1 answered question\n"
        "  - Has the council adopted a local disaster risk reduction plan?: 100.0 (1 of 1 points)\n"
        "  Not answered yet (incomplete, not counted as 0): In which year was the plan last"
        " updated?"
    )
    assert str(card.explain("bi_mobility_plan")).startswith(
        "What is the status of the sustainable urban mobility plan? not scored yet = marked not"
        " applicable, so left out of the score (reason: no buses)"
    )
    assert card.explain("cs_participatory_budget").formula == (
        "2 of 3 points × 100; answer: level 2: Every district holds consultations and their"
        " proposals are recorded."
    )
    with pytest.raises(KeyError):
        card.explain("nothing_here")


def test_weighted_explanation_shows_the_weights():
    q = _questionnaire(
        [[[(3, 1.0, [(3, None)])], [(3, 1.0, [(3, None)])]]] + [[[(3, 1.0, [(3, None)])]]] * 5,
        sub_area_weights={"a0s0": 2.0},
    )
    card = score(q, {"a0s0q0": 3, "a0s1q0": 0})
    assert card.explain("civic_social").formula == (
        "weighted mean of 2 sub-areas: (2 × 100.0 + 1 × 0.0) ÷ 3"
    )
    assert card.area("civic_social").score == pytest.approx(200 / 3)


def test_scorecard_as_dict_is_plain_data(example):
    data = scorecard_as_dict(score(example, {"cs_participatory_budget": 1}))
    assert data["overall"] == {
        "score": 33.3,
        "stage": "emerging",
        "provisional": True,
        "answered": 1,
        "applicable": 5,
        "completeness": 20.0,
    }
    assert data["recommendations"][0]["question"] == "cs_participatory_budget"


# -- properties ------------------------------------------------------------------------------

STAGES = (
    Stage("low", Text("Low"), 0),
    Stage("mid", Text("Mid"), 40),
    Stage("high", Text("High"), 70),
)


def _questionnaire(shape, sub_area_weights=None, area_weights=None) -> Questionnaire:
    """shape[area][sub_area] = [(scale max, weight, recommendation steps), ...], where a step
    is (below, effort)."""
    sub_area_weights = sub_area_weights or {}
    area_weights = area_weights or {}
    areas = []
    for a, (area_id, sub_shapes) in enumerate(zip(AREA_IDS, shape, strict=True)):
        sub_areas = []
        for s, questions in enumerate(sub_shapes):
            sid = f"a{a}s{s}"
            sub_areas.append(
                SubArea(
                    sid,
                    Text(sid),
                    tuple(
                        Question(
                            id=f"{sid}q{i}",
                            type="level",
                            text=Text(f"{sid}q{i}"),
                            area_id=area_id,
                            sub_area_id=sid,
                            weight=weight,
                            allow_na=True,
                            levels=tuple(Level(n, Text(f"L{n}")) for n in range(top + 1)),
                            recommendations=tuple(
                                Recommendation(Text(f"step to {b}"), b, effort)
                                for b, effort in steps
                            ),
                        )
                        for i, (top, weight, steps) in enumerate(questions)
                    ),
                    weight=sub_area_weights.get(sid, 1.0),
                )
            )
        areas.append(
            Area(area_id, Text(area_id), tuple(sub_areas), weight=area_weights.get(area_id, 1.0))
        )
    return Questionnaire("prop", "1", Text("t"), Text("d"), STAGES, tuple(areas))


weights = st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0])


@st.composite
def question_shapes(draw):
    top = draw(st.integers(1, 5))
    belows = sorted(draw(st.sets(st.integers(1, top), max_size=top)))
    efforts = st.sampled_from([None, "low", "medium", "high"])
    return (top, draw(weights), [(b, draw(efforts)) for b in belows])


@st.composite
def scored_cases(draw):
    """A random questionnaire and random answers: some levels, some N/A, some left empty."""
    shape = draw(
        st.lists(
            st.lists(st.lists(question_shapes(), min_size=1, max_size=3), min_size=1, max_size=3),
            min_size=6,
            max_size=6,
        )
    )
    sub_ids = [f"a{a}s{s}" for a, subs in enumerate(shape) for s in range(len(subs))]
    q = _questionnaire(
        shape,
        sub_area_weights={sid: draw(weights) for sid in sub_ids},
        area_weights={aid: draw(weights) for aid in AREA_IDS},
    )
    answers = {}
    for question in q.questions():
        kind = draw(st.sampled_from(["level", "level", "level", "na", "empty"]))
        if kind == "level":
            answers[question.id] = draw(st.integers(0, int(question.max_points)))
        elif kind == "na":
            answers[question.id] = GivenAnswer(not_applicable=True, reason="r")
    return q, answers


def _all_scores(card):
    yield card.overall
    for a in card.areas:
        yield a.score
        for s in a.sub_areas:
            yield s.score
            for r in s.questions:
                yield r.score


@settings(max_examples=200, deadline=None)
@given(scored_cases())
def test_scores_stay_within_0_and_100(case):
    card = score(*case)
    assert all(0 <= value <= 100 for value in _all_scores(card) if value is not None)
    assert 0 <= card.completeness <= 1


@settings(max_examples=200, deadline=None)
@given(scored_cases(), st.data())
def test_raising_an_answer_never_lowers_a_score(case, data):
    q, answers = case
    raisable = [
        qid for qid, v in answers.items() if isinstance(v, int) and v < q.question(qid).max_points
    ]
    if not raisable:
        return
    qid = data.draw(st.sampled_from(raisable))
    higher = data.draw(st.integers(answers[qid] + 1, int(q.question(qid).max_points)))
    before, after = score(q, answers), score(q, {**answers, qid: higher})
    question = q.question(qid)
    pairs = [
        (before.sub_area(question.sub_area_id).score, after.sub_area(question.sub_area_id).score),
        (before.area(question.area_id).score, after.area(question.area_id).score),
        (before.overall, after.overall),
    ]
    for old, new in pairs:
        assert new >= old - 1e-9


@settings(max_examples=200, deadline=None)
@given(scored_cases(), st.data())
def test_marking_an_unanswered_question_na_changes_completeness_not_scores(case, data):
    q, answers = case
    empty = [question.id for question in q.questions() if question.id not in answers]
    if not empty:
        return
    qid = data.draw(st.sampled_from(empty))
    before = score(q, answers)
    after = score(q, {**answers, qid: GivenAnswer(not_applicable=True, reason="does not apply")})
    assert list(_all_scores(after)) == list(_all_scores(before))
    assert after.applicable == before.applicable - 1
    assert after.answered == before.answered
    assert after.completeness >= before.completeness
    if before.answered:
        assert after.completeness > before.completeness


def _scale_weights(q: Questionnaire, factor: float) -> Questionnaire:
    return replace(
        q,
        areas=tuple(
            replace(
                area,
                weight=area.weight * factor,
                sub_areas=tuple(
                    replace(
                        sub,
                        weight=sub.weight * factor,
                        questions=tuple(
                            replace(x, weight=x.weight * factor) for x in sub.questions
                        ),
                    )
                    for sub in area.sub_areas
                ),
            )
            for area in q.areas
        ),
    )


@settings(max_examples=200, deadline=None)
@given(scored_cases(), st.sampled_from([0.1, 2.0, 7.0, 1000.0]))
def test_multiplying_every_weight_by_one_factor_changes_nothing(case, factor):
    q, answers = case
    before, after = score(q, answers), score(_scale_weights(q, factor), answers)
    for old, new in zip(_all_scores(before), _all_scores(after), strict=True):
        assert (old is None and new is None) or math.isclose(old, new, abs_tol=1e-9)
    assert [r.question.id for r in before.recommendations] == [
        r.question.id for r in after.recommendations
    ]


@settings(max_examples=200, deadline=None)
@given(scored_cases())
def test_recommendation_ranking_equals_brute_force_recomputation(case):
    q, answers = case
    card = score(q, answers)
    order = {question.id: i for i, question in enumerate(q.questions())}
    expected = []
    for question in q.questions():
        result = card.question(question.id)
        # The step a city takes next: the first one above its answer.
        if result.status != ANSWERED:
            continue
        steps = [r for r in question.recommendations if result.points < r.below]
        if not steps:
            continue
        raised = score(q, {**answers, question.id: int(steps[0].below)})
        gain = raised.overall - card.overall
        area_gain = raised.area(question.area_id).score - card.area(question.area_id).score
        effort = ["low", "medium", "high", None].index(steps[0].effort)
        expected.append((question.id, gain, area_gain, card.area(question.area_id).score, effort))
    expected.sort(key=lambda e: (-round(e[1], 9), e[4], e[3], order[e[0]]))

    assert [r.question.id for r in card.recommendations] == [e[0] for e in expected]
    for r, (_, gain, area_gain, *_) in zip(card.recommendations, expected, strict=True):
        assert math.isclose(r.overall_gain, gain, abs_tol=1e-9)
        assert math.isclose(r.area_gain, area_gain, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(scored_cases())
def test_one_area_scored_alone_and_the_summary_equal_the_full_scorecard(case):
    """Saving one answer rescores only its area and rebuilds the overall figures from the stored
    areas (toolkit/assessments/scores.py): that must give exactly what scoring everything gives."""
    q, answers = case
    card = score(q, answers)
    alone = [score_area(q, area.id, answers) for area in q.areas]
    assert alone == list(card.areas)
    summary = summarize(q, [(a.area.id, a.score, a.answered, a.applicable) for a in alone])
    assert (summary.overall, summary.stage, summary.provisional) == (
        card.overall,
        card.stage,
        card.provisional,
    )
    assert (summary.answered, summary.applicable) == (card.answered, card.applicable)


def test_an_area_that_depends_on_another_area_is_scored_whole(example):
    """show_if across areas: score_area refuses rather than guess the other area's answer."""
    security = example.area("security")
    outside = next(example.area("civic_social").questions()).id
    first, question = security.sub_areas[0].questions
    moved = replace(question, show_if=replace(question.show_if, question=outside))
    sub = replace(security.sub_areas[0], questions=(first, moved))
    q = replace(
        example,
        areas=tuple(
            replace(a, sub_areas=(sub,)) if a.id == "security" else a for a in example.areas
        ),
    )
    with pytest.raises(ValueError, match="security depends on answers in other areas"):
        score_area(q, "security", {})
    assert score_area(example, "security", {}).area.id == "security"


# -- exclusive choices ("None of these") -----------------------------------------------------

WARNINGS = Question(
    id="warnings",
    type="multi_choice",
    text=Text("Which health warnings does the city issue?"),
    area_id="health_wellbeing",
    sub_area_id="hw",
    choices=(
        Choice("heat", Text("Extreme heat"), 1),
        Choice("dengue", Text("Dengue outbreak"), 1),
        Choice("haze", Text("Haze"), 1),
        Choice("none", Text("None of these"), 0, exclusive=True),
        Choice("unknown", Text("We do not know"), 0, exclusive=True),
    ),
)
ORDINARY = ["heat", "dengue", "haze"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["none", "unknown"]),
    st.lists(st.sampled_from([*ORDINARY, "none", "unknown"]), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_an_exclusive_choice_mixed_with_any_other_is_refused(alone, others, rng):
    mix = [*others, alone]
    if set(mix) == {alone}:
        assert WARNINGS.parse_answer(mix) == (alone,)
        return
    rng.shuffle(mix)
    with pytest.raises(AnswerValueError) as caught:
        WARNINGS.parse_answer(mix)
    named = WARNINGS.exclusive_choice_in(tuple(mix))
    assert str(caught.value).startswith(f"'{named.label}' cannot be chosen together with other")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(ORDINARY), unique=True))
def test_ordinary_choices_combine_freely(chosen):
    assert WARNINGS.parse_answer(chosen) == tuple(c for c in ORDINARY if c in chosen)


def test_an_exclusive_choice_alone_is_an_answer_worth_its_points(example):
    card = score(example, {"qe_waste_streams": ["none"]})
    assert card.area("quality_environment").score == 0
    with pytest.raises(AnswerError, match="qe_waste_streams: 'None of these' cannot be chosen"):
        score(example, {"qe_waste_streams": ["organic", "none"]})
