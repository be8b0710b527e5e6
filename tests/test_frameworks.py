"""Results by global framework: the tag vocabulary, the grouping by framework, goal and target,
the assessment's page and export for a Voluntary Local Review, the report's chapter and the
network's view per SDG target."""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
import subprocess
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
from reports.blank import numbers_of
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


# -- the page and the export -----------------------------------------------------------------


def answered(city, questionnaire_id, status="draft"):
    """An assessment with every scored question answered: number questions with their year
    and source, every answer with evidence."""
    from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
    from toolkit.core.extensions import db

    questionnaire = instrument.latest(questionnaire_id)
    assessment = create_assessment(city, questionnaire, 2026, None)
    rng = random.Random(questionnaire_id)
    given = {}
    for q in questionnaire.questions():
        if not q.scored:
            continue
        number = q.type == "number"
        given[q.id] = AnswerInput(
            value=answer_for(q, 0.6, rng),
            evidence=(EVIDENCE,),
            data_year=2024 if number else None,
            data_source=SOURCE if number else None,
        )
    save_answers(assessment, given, None)
    assessment.status = status
    db.session.flush()
    return assessment


def add_action(assessment, question_id, title):
    from toolkit.actions.models import Action
    from toolkit.core.extensions import db

    action = Action(
        city_id=assessment.city_id,
        assessment_id=assessment.id,
        question_id=question_id,
        title=title,
    )
    db.session.add(action)
    db.session.flush()
    return action


def sections(html: str) -> dict[str, str]:
    """The page's target sections by tag."""
    parts = re.split(r'<section class="panel framework-target" id="target-([^"]+)">', html)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def section_id(tag: str) -> str:
    return tag.replace(" ", "-").replace(".", "-")


@pytest.mark.parametrize("questionnaire_id", QUESTIONNAIRES)
def test_the_page_and_export_show_every_tagged_question_under_each_of_its_targets(
    client, db, make_city, make_user, login, questionnaire_id
):
    city = make_city("surabaya", "ID")
    assessment = answered(city, questionnaire_id)
    questionnaire = instrument.latest(questionnaire_id)
    tagged = [q for q in questionnaire.questions() if q.tags]
    numbers = numbers_of(questionnaire)
    number = next(q for q in tagged if q.type == "number")
    add_action(assessment, number.id, '=HYPERLINK("x") Start the waste census')
    db.session.commit()
    login(client, make_user("city_lead", city))

    page = client.get(f"/assessments/{assessment.id}/frameworks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = sections(html)
    for q in tagged:
        for tag in q.tags:
            assert f"Question {numbers[q.id]}</a>" in found[section_id(tag)], (q.id, tag)
    for tag in found:
        assert all(
            f"Question {numbers[q.id]}</a>" not in found[tag]
            for q in tagged
            if tag not in {section_id(t) for t in q.tags}
        )
    # Goals as sections with their number and title; an indicator with its year and source.
    assert "Goal 11: Sustainable cities and communities" in html
    block = found[section_id(number.tags[0])]
    assert "Year of the data: 2024" in block and str(escape(SOURCE)) in block
    assert "waste-report-2025.pdf" in block
    assert "Start the waste census" in block
    for name in ("Sendai Framework", "New Urban Agenda", "Paris Agreement"):
        assert name in html
    # People read the questions' numbers, never their ids.
    assert not any(q.id in html.replace(f"#q-{q.id}", "") for q in tagged)

    xlsx = client.get(f"/assessments/{assessment.id}/frameworks.xlsx")
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.data))
    assert workbook.sheetnames[0] == "SDG"
    rows = [r for name in workbook.sheetnames for r in workbook[name].iter_rows(values_only=True)]
    header = rows[0]
    pairs = {(r[2], r[4]) for r in rows if r != header}
    for q in tagged:
        for tag in q.tags:
            assert (tag, numbers[q.id]) in pairs
    row = next(r for r in rows if r[4] == numbers[number.id])
    column = dict(zip(header, row, strict=True))
    assert column["year of the data"] == 2024 and column["source"] == SOURCE
    assert column["unit"] == number.unit.get("en") and isinstance(column["value"], int | float)
    assert EVIDENCE in column["evidence"]
    # A title a spreadsheet would run as a formula is kept as text.
    assert column["actions"].startswith("'=HYPERLINK")

    text = client.get(f"/assessments/{assessment.id}/frameworks.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0][0] == "framework"
    assert {(line[3], line[5]) for line in lines[1:]} == pairs


def test_another_citys_assessment_is_not_found(client, db, make_city, make_user, login):
    mine, theirs = make_city("surabaya", "ID"), make_city("da-nang", "VN")
    assessment = answered(theirs, "asus-quick")
    db.session.commit()
    login(client, make_user("city_editor", mine))
    for url in ("frameworks", "frameworks.xlsx", "frameworks.csv"):
        assert client.get(f"/assessments/{assessment.id}/{url}").status_code == 404
    assert client.get("/network/frameworks").status_code == 403
    assert client.get("/assessments/99999999999999999999/frameworks").status_code == 404


# -- the network's view ----------------------------------------------------------------------


def test_the_network_view_hides_the_spread_below_five_cities_and_shows_it_at_five(
    client, db, make_city, make_user, login
):
    for n in range(4):
        answered(make_city(f"city-{n}", "ID"), "asus-quick", status="approved")
    answered(make_city("draft-city", "ID"), "asus-quick")  # not approved: not counted
    db.session.commit()
    login(client, make_user("network"))
    html = client.get("/network/frameworks").get_data(as_text=True)
    assert "fewer than 5 cities report on it" in html
    assert '<td class="number">4</td>' not in html

    answered(make_city("city-4", "ID"), "asus-quick", status="approved")
    db.session.commit()
    html = client.get("/network/frameworks").get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">SDG 11.6 .*?</tr>", html, re.S).group(0)
    assert '<td class="number">5</td>' in row
    assert "fewer than" not in row
    assert client.get("/network/frameworks?status=nonsense").status_code == 400


# -- the report's chapter --------------------------------------------------------------------


def raw_text(pdf: bytes) -> str:
    """The PDF's text in the order it is drawn (a table cell's lines stay together)."""
    if shutil.which("pdftotext") is None:
        from conftest import service_missing

        service_missing("poppler's pdftotext (Debian package poppler-utils)")
    return subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_report_has_a_compact_frameworks_chapter(app, db, make_city, tmp_path):
    from reports import render_pdf
    from toolkit.reporting.service import report_of

    assessment = answered(make_city("surabaya", "ID"), "asus-quick")
    questionnaire = instrument.latest("asus-quick")
    numbers = numbers_of(questionnaire)
    number = next(q for q in questionnaire.questions() if q.tags and q.type == "number")
    add_action(assessment, number.id, "Start the waste census")
    pdf = render_pdf(report_of(assessment))
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = raw_text(pdf).split("\f")
    chapter = [
        n
        for n, page in enumerate(pages)
        if "Sustainable Development Goals and other frameworks" in page and "Contents" not in page
    ]
    assert chapter, "the chapter is in the report"
    first = chapter[0]
    method = next(n for n, page in enumerate(pages) if "Methodology\n" in page and n > first)
    body = " ".join(" ".join(p.split()) for p in pages[first:method])
    assert "Goal 11: Sustainable cities and communities" in body
    assert "11.6 Reduce the environmental impact of cities" in body
    assert "Sendai Framework for Disaster Risk Reduction" in body
    assert f"Year of the data: 2024 · Source: {SOURCE}" in body
    assert "Action: Start the waste census (planned)" in body
    for q in questionnaire.questions():
        if q.tags:
            assert numbers[q.id] in body and q.id not in body
    # Compact: no page of the chapter but its last is near-empty.
    for page in pages[first : method - 1]:
        assert len(page.split()) > 150, page
