"""What a council decides from: the report's "Decisions for council" page, its action plan
from the city's actions, the city against its cohort, page breaks that leave no page nearly
empty, and the PDF's accessible details. Reports are rendered for real and read back with
poppler's pdftotext and pypdf."""

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from reports import ActionFacts, render_pdf
from reports.pagefill import page_fill

# A page is "nearly empty" below this share of its content height filled (cover and last
# page excepted): a list's or a table's tail left alone on a page.
LEAST_FILL = 0.30


def text_of(pdf: bytes, page: int | None = None) -> str:
    """The PDF's (or one page's) text as poppler reads it, its spaces and lines joined."""
    if shutil.which("pdftotext") is None:
        from conftest import service_missing

        service_missing("poppler's pdftotext (Debian package poppler-utils)")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(
        ["pdftotext", "-layout", *pages, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_with(pdf: bytes, words: str) -> int:
    """The number of the first page holding `words`."""
    return next(n for n in range(1, pages_of(pdf) + 1) if words in text_of(pdf, n))


# Level questions of the quick screening, two per area.
LEVEL_QUESTIONS = (
    "cs_participation",
    "cs_global_agendas",
    "hw_primary_care",
    "hw_surveillance",
    "se_risk_assessment",
    "se_drr_plan",
    "qe_ghg_inventory",
    "qe_low_emission_plan",
    "bi_land_use_plan",
    "bi_mobility_plan",
    "ii_led_strategy",
    "ii_business_permits",
)


def levels(level, **given):
    """Answers at `level` to LEVEL_QUESTIONS, with the `given` ones instead."""
    return {q: given.get(q, level) for q in LEVEL_QUESTIONS}


def approve(assessment, reviewer, day=datetime(2026, 3, 30, 9, 0)):
    assessment.status = "approved"
    assessment.reviewed_by_id = reviewer.id
    assessment.reviewed_at = day


@pytest.fixture
def hue(make_city, make_user, make_assessment, db):
    """Hue (Viet Nam), approved in 2025 and 2026: security fell (DRR plan from level 3 to 1),
    civic and social rose; in the cohort "Vietnamese cities" with four other scored cities."""
    from toolkit.network.models import Cohort

    reviewer = make_user("network", name="Nguyen Reviewer")
    city = make_city("hue", name="Hue")
    before = make_assessment(
        city, cycle=2025, answers=levels(2, se_drr_plan=3, cs_participation=1), status="approved"
    )
    now = make_assessment(
        city, cycle=2026, answers=levels(2, se_drr_plan=1, cs_participation=3), status="approved"
    )
    approve(before, reviewer, datetime(2025, 3, 1))
    approve(now, reviewer)
    for n, level in enumerate((0, 1, 2, 3)):
        other = make_city(f"vn-city-{n}", name=f"Vietnamese city {n}")
        make_assessment(other, cycle=2026, answers=levels(level), status="approved")
    db.session.add(Cohort(name="Vietnamese cities", countries=["VN"]))
    db.session.commit()
    return now


def actions_for(report):
    """Actions for the first, second and fourth recommendations, one of the city's own, one
    done from 2025, one overdue from 2025."""
    recs = report.card.recommendations
    area = recs[0].area.id
    return (
        ActionFacts(
            "Own: repaint the ward offices",
            "planned",
            2026,
            due_on=date(2026, 5, 1),
            department="Works",
        ),
        ActionFacts(
            "Fourth: action",
            "planned",
            2026,
            area_id=recs[3].area.id,
            question_id=recs[3].question.id,
            due_on=date(2026, 4, 1),
        ),
        ActionFacts(
            "Second: train the wards",
            "in_progress",
            2025,
            area_id=recs[1].area.id,
            question_id=recs[1].question.id,
            due_on=date(2026, 1, 15),
            department="Civil defence",
            responsible="Tran Thi B",
            budget="VND 5,000,000",
        ),
        ActionFacts(
            "First: adopt the plan",
            "planned",
            2026,
            area_id=area,
            question_id=recs[0].question.id,
            due_on=date(2026, 9, 30),
            department="Planning office",
            responsible="Le Van A",
        ),
        ActionFacts(
            "Done: sirens installed", "done", 2025, area_id="security", closed_on=date(2025, 11, 2)
        ),
    )


def test_the_council_page_gives_the_score_its_change_what_fell_first_actions_cohort_and_approval(
    hue, db
):
    from toolkit.reporting.service import report_of

    report = report_of(hue)
    report = replace(report, actions=actions_for(report))
    pdf = render_pdf(report)
    council = text_of(pdf, 2)
    assert council.startswith("Decisions for council") or "Decisions for council" in council
    card = report.card
    assert f"{card.overall:.1f} / 100" in council
    assert f"{report.overall_change:+.1f} points since 2025" in council
    assert "Fell: Security" in council and "▼" in council
    assert "Fell: Civic" not in council
    # Highest-priority recommendation first, then by due date; the city's own last.
    order = [council.index(t) for t in ("First: adopt", "Second: train", "Fourth:", "Own: repaint")]
    assert order == sorted(order)
    assert "Done: sirens" not in council  # done is not a first action
    assert "Planning office, Le Van A" in council and "30 September 2026" in council
    assert "overdue" in council and "from 2025" in council
    # Five scored cities: the median is printed.
    median = report.cohort.overall.median
    assert report.cohort.cities == 5
    assert f"Median of Vietnamese cities (5 cities): {median:.1f}" in council
    assert "Approved by Nguyen Reviewer on 30 March 2026" in council
    assert page_with(pdf, "Executive summary") == 3  # the sheet is one page


def test_without_actions_the_top_recommendations_have_no_owner_and_four_cities_give_no_figure(
    hue, db
):
    from toolkit.assessments.models import Assessment
    from toolkit.reporting.service import report_of

    four = db.session.execute(db.select(Assessment).filter_by(cycle=2026)).scalars().all()
    four[-1].status = "submitted"
    db.session.commit()
    report = report_of(hue)
    pdf = render_pdf(report)
    council = text_of(pdf, 2)
    first = report.card.recommendations[0].text.en
    assert first[:40] in council and "no owner yet" in council
    assert "Too few cities for figures: 4 of Vietnamese cities have a score, at least 5" in council
    assert "Median of" not in council
    # The cohort chapter says the same, with no radar.
    assert "Too few cities for figures" in text_of(pdf, page_with(pdf, "Against the cohort"))


def test_a_draft_says_it_is_not_approved(hue, db):
    from toolkit.reporting.service import report_of

    hue.status = "submitted"
    db.session.commit()
    report = report_of(hue)
    assert report.approved_by is None and report.approved_on is None
    assert "Not approved: this is a draft." in text_of(render_pdf(report), 2)


def test_the_plan_lists_actions_per_recommendation_the_citys_own_and_what_was_done_since(hue, db):
    from toolkit.reporting.service import report_of

    report = report_of(hue)
    report = replace(report, actions=actions_for(report))
    pdf = render_pdf(report)
    start = page_with(pdf, "Priority action plan The next step")
    plan = " ".join(text_of(pdf, n) for n in range(start, pages_of(pdf) + 1))
    plan = plan[: plan.index("Against the cohort")]
    recs = report.card.recommendations
    assert plan.index("First: adopt") < plan.index("Second: train") < plan.index("Fourth:")
    assert "No action planned yet." in plan  # the third recommendation
    assert "Civil defence" in plan and "Tran Thi B" in plan and "VND 5,000,000" in plan
    assert "in progress" in plan and "planned" in plan
    # Carried over from 2025 and overdue on the day the report speaks for (30 March 2026): the
    # only one.
    assert "Second: train the wards · from 2025 ·" in plan and plan.count("overdue") == 1
    assert "The city's own actions" in plan and "Own: repaint" in plan
    done = plan[plan.index("Done since the last cycle") :]
    security = next(c for c in report.changes if c.area.area.id == "security")
    assert "Done: sirens installed (from 2025)" in done and "02 November" in done
    assert f"Security {security.before:.1f} {security.area.score:.1f}" in done
    # No question id reaches the council: the questions' numbers instead.
    text = text_of(pdf)
    for r in recs:
        assert r.question.id not in text
    assert re.search(r"question \d\.\d\.\d", plan)


def test_the_change_table_has_an_overall_row_and_the_method_names_completeness(hue, db):
    from toolkit.reporting.service import report_of

    report = report_of(hue)
    pdf = render_pdf(report)
    change = text_of(pdf, page_with(pdf, "Change since 2025 Area"))
    previous = report.previous_overall
    assert f"Overall {previous:.1f} {report.card.overall:.1f} {report.overall_change:+.1f}" in (
        change
    )
    method = text_of(pdf, page_with(pdf, "How complete each area is"))
    security = report.card.area("security")
    assert f"Security {security.answered} {security.applicable}" in method


def test_the_cohort_radar_states_the_values_and_the_tables_carry_header_scopes(hue, db):
    from reports import render_html
    from toolkit.reporting.service import report_of

    report = report_of(hue)
    html = render_html(report)
    radar = html[html.index('id="cohort"') :]
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", radar).group(1)
    security = report.card.area("security").score
    assert f"Security {security:.1f}" in desc and "Cohort median:" in desc
    assert "Middle half of the cohort:" in desc
    summary = re.search(r"<desc[^>]*>(.*?)</desc>", html).group(1)
    assert "2026: Civic and Social" in summary and "2025: Civic and Social" in summary
    assert not re.search(r"<th(?=[\s>])(?![^>]*scope=)", html), "every header cell has its scope"


def demo_like(db, questionnaire):
    """A city with every question of `questionnaire` answered in 2025 and 2026 (both approved),
    as the demo answers them."""
    import random

    from conftest import add_assessment, add_city

    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.cli.demo import answer_for
    from toolkit.core import instrument

    city = add_city("demo-city", name="Demo City")
    rng = random.Random(7)
    made = []
    for cycle, fraction in ((2025, 0.4), (2026, 0.6)):
        assessment = add_assessment(city, questionnaire, cycle)
        given = {}
        for q in instrument.latest(questionnaire).questions():
            value = answer_for(q, fraction, rng)
            if value is not None:
                given[q.id] = AnswerInput(
                    value=value,
                    data_year=2025 if q.type == "number" else None,
                    data_source="Statistics office" if q.type == "number" else None,
                )
        save_answers(assessment, given, None)
        assessment.status = "approved"
        made.append(assessment)
    db.session.commit()
    return made


@pytest.mark.parametrize("questionnaire", ["asus-quick", "asus-detailed"])
def test_no_page_is_nearly_empty(db, questionnaire):
    """The page-fill rule: on the quick and the detailed report, fully answered, with and
    without a previous cycle and actions, every page but the cover and the last is filled to at
    least LEAST_FILL of its content height (the lowest text block's bottom, read back with
    `pdftotext -bbox-layout`, against the height between the page's margins)."""
    from toolkit.reporting.service import report_of

    first, second = demo_like(db, questionnaire)
    alone = report_of(first)
    later = report_of(second)
    for report in (alone, later, replace(later, actions=actions_for(later))):
        fills = page_fill(render_pdf(report))
        empty = [(n, round(f, 2)) for n, f in enumerate(fills[1:-1], 2) if f < LEAST_FILL]
        assert not empty, f"{questionnaire}, previous cycle {report.previous_cycle}: {empty}"


@pytest.mark.parametrize(("language", "paper"), [("th", "A4"), ("my", "Letter"), ("en", "Letter")])
def test_the_council_page_is_one_page_in_thai_and_burmese_on_a4_and_letter(
    hue, db, language, paper
):
    """Thai and Burmese set taller lines than English: the sheet still fits its one page, the
    executive summary starting on the next."""
    from toolkit.reporting.service import report_of

    report = report_of(hue, paper=paper, language=language)
    long_title = "ปรับปรุงระบบเตือนภัยน้ำท่วมในทุกชุมชนและฝึกอบรมเจ้าหน้าที่ " * 2
    actions = actions_for(report)
    report = replace(report, actions=(*actions[:3], replace(actions[3], title=long_title)))
    pdf = render_pdf(report)
    sheet = text_of(pdf, 2)
    assert "Nguyen Reviewer" in sheet and "Le Van A" in sheet and "Own: repaint" in sheet
    assert "Tran Thi B" in sheet
    assert "Hue" in text_of(pdf, 3) and "Nguyen Reviewer" not in text_of(pdf, 3)


def test_a_screen_reader_starts_with_the_cover_and_hears_where_each_contents_link_goes(hue, db):
    """The running header and the DRAFT mark are not the first structure elements (the header
    is in the margin boxes, outside the tree; the mark comes last), and the contents page's
    links carry their words in /Contents, not an id."""
    from toolkit.reporting.service import report_of

    hue.status = "submitted"
    db.session.commit()
    pdf = render_pdf(report_of(hue))
    reader = PdfReader(io.BytesIO(pdf))
    document = reader.trailer["/Root"]["/StructTreeRoot"]["/K"]
    document = document[0] if isinstance(document, list) else document
    kids = document.get_object()["/K"]
    first = kids[0].get_object()
    assert first["/S"] == "/Sect"  # the cover, not the header's words or the mark
    assert "DRAFT" in text_of(pdf, 1)  # the mark and the header are still on every page
    contents = page_with(pdf, "Contents")
    links = [a.get_object().get("/Contents") for a in reader.pages[contents - 1]["/Annots"]]
    assert "Decisions for council" in links and "Security" in links
    assert "Executive summary" in links and not any(link.startswith("area-") for link in links)
