"""Printing an area page or the review page gives the questions with the chosen answers, the
comments (in full) and the evidence, without the header, buttons or the sticky save bar."""

import subprocess

import pytest
from conftest import sign_in
from playwright.sync_api import expect

QUESTION = "What kind of disaster risk reduction plan has the city adopted?"
CHOSEN = "The council has adopted a DRR plan"
# Longer than the two rows of the comment box: all of it must be on paper.
COMMENT_LINES = [f"Line {n} of the comment on the plan." for n in range(1, 9)]
EVIDENCE = "https://example.org/drr-plan.pdf The adopted plan"


@pytest.fixture
def answered(live_server, db):
    """Da Nang's draft with se_drr_plan answered (level 2), a long comment and evidence."""
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.assessments.models import Assessment

    base, users = live_server
    draft = db.session.execute(db.select(Assessment)).scalar_one()
    given = AnswerInput(value=2, comment="\n".join(COMMENT_LINES), evidence=(EVIDENCE,))
    save_answers(draft, {"se_drr_plan": given}, None)
    db.session.commit()
    return base, users, draft


def pdf_text(page, tmp_path, name):
    """The page printed to PDF by Chromium, as text (a PNG of page 1 is kept beside it)."""
    pdf = tmp_path / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 1000
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / name)],
        check=True,
    )
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return " ".join(result.stdout.split())


def test_an_area_page_prints_its_questions_answers_comments_and_evidence(
    answered, open_page, tmp_path
):
    base, users, draft = answered
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{draft.id}/areas/security")
    # Typed after the page loaded: printed too.
    page.locator("#q-se_early_warning summary").click()
    page.locator("#se_early_warning__comment").fill("Sirens in every ward")
    page.emulate_media(media="print")

    question = page.locator("#q-se_drr_plan")
    expect(question.get_by_text(QUESTION)).to_be_visible()
    chosen = question.locator('input[name="se_drr_plan__value"][value="2"]')
    expect(chosen).to_be_visible()
    expect(chosen).to_be_checked()
    expect(question.get_by_text(CHOSEN)).to_be_visible()
    copy = question.locator('[data-print-of="se_drr_plan__comment"]')
    expect(copy).to_be_visible()
    expect(copy).to_have_text("\n".join(COMMENT_LINES))
    assert copy.bounding_box()["height"] > 8 * 12  # every line, not a two-row scrolled box
    expect(question.locator("#se_drr_plan__comment")).to_be_hidden()
    expect(question.get_by_role("link", name="https://example.org/drr-plan.pdf")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Assessment")).to_be_hidden()
    expect(page.get_by_role("button", name="Save this page")).to_be_hidden()
    expect(page.locator(".sticky-save")).to_be_hidden()
    # A question without a comment prints no empty "Comment and evidence" line.
    expect(page.locator("#q-se_risk_assessment details")).to_be_hidden()

    text = pdf_text(page, tmp_path, "area")
    assert QUESTION in text
    assert CHOSEN in text
    assert all(line in text for line in COMMENT_LINES)
    assert "https://example.org/drr-plan.pdf The adopted plan" in text
    assert "Sirens in every ward" in text
    assert "Save this page" not in text and "Sign out" not in text
    assert page.errors == []


def test_the_review_page_prints_the_answers_without_the_buttons(answered, open_page, tmp_path, db):
    from toolkit.assessments.models import Assessment

    base, users, draft = answered
    db.session.get(Assessment, draft.id).status = "submitted"
    db.session.commit()
    page = open_page()
    sign_in(page, base, users["network"].email)
    page.goto(f"{base}/assessments/{draft.id}/review")
    page.emulate_media(media="print")

    question = page.locator("#q-se_drr_plan")
    expect(question.get_by_text(QUESTION)).to_be_visible()
    expect(question.get_by_text(CHOSEN)).to_be_visible()
    expect(question.get_by_text(COMMENT_LINES[0])).to_be_visible()
    expect(question.get_by_text("Add a note")).to_be_hidden()
    expect(page.get_by_role("button", name="Send the decision")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()

    text = pdf_text(page, tmp_path, "review")
    assert QUESTION in text and CHOSEN in text and COMMENT_LINES[-1] in text
    assert "Send the decision" not in text


@pytest.fixture
def detailed(live_server, db, make_assessment):
    """Da Nang's detailed assessment with, in Civic and Social, a figure with its year and
    source, two choices of a multi-choice question, a question not applicable with its reason,
    and the rest unanswered."""
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.cities.models import City

    base, users = live_server
    city = db.session.execute(db.select(City).filter_by(slug="da-nang")).scalar_one()
    assessment = make_assessment(city, "asus-detailed", cycle=2026)
    save_answers(
        assessment,
        {
            "cs_pb_vote_share": AnswerInput(
                value=2.5, data_year=2025, data_source="Budget office, adopted budget 2025"
            ),
            "cs_data_disaggregation": AnswerInput(value=["sex", "disability"]),
            "cs_ancestral_domain": AnswerInput(
                not_applicable=True, reason="No indigenous peoples live in the city."
            ),
        },
        None,
    )
    db.session.commit()
    return base, users, assessment


def test_a_printed_area_shows_figures_choices_not_applicable_and_what_is_unanswered(
    detailed, open_page, tmp_path
):
    base, users, assessment = detailed
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{assessment.id}/areas/civic_social")
    # Answered after the page loaded: printed as answered.
    page.locator('#q-cs_women_senior_posts input[name="cs_women_senior_posts__value"]').fill("31")
    page.emulate_media(media="print")

    figure = page.locator("#q-cs_pb_vote_share")
    expect(figure.locator('input[name="cs_pb_vote_share__value"]')).to_have_value("2.5")
    expect(figure.get_by_text("Year of the data: 2025")).to_be_visible()
    expect(figure.locator(".print-unanswered")).to_be_hidden()
    choices = page.locator("#q-cs_data_disaggregation")
    expect(choices.locator('input[value="sex"]')).to_be_checked()
    expect(choices.locator('input[value="disability"]')).to_be_checked()
    expect(choices.locator('input[value="age"]')).not_to_be_checked()
    expect(choices.locator(".print-unanswered")).to_be_hidden()
    not_applicable = page.locator("#q-cs_ancestral_domain")
    expect(not_applicable.locator('input[name="cs_ancestral_domain__na"]')).to_be_checked()
    reason = not_applicable.locator('[data-print-of="cs_ancestral_domain__reason"]')
    expect(reason).to_have_text("No indigenous peoples live in the city.")
    expect(not_applicable.locator(".print-unanswered")).to_be_hidden()
    # An unanswered question says so on paper, rather than looking like one left blank.
    unanswered = page.locator("#q-cs_service_access")
    expect(unanswered.get_by_text("Not answered yet.")).to_be_visible()
    typed = page.locator("#q-cs_women_senior_posts")
    expect(typed.locator(".print-unanswered")).to_be_hidden()
    # The form to print the area blank is not on paper.
    expect(page.locator(".blank-questionnaire")).to_be_hidden()

    text = pdf_text(page, tmp_path, "filled")
    answered = 4  # three saved, one typed
    assert text.count("Not answered yet.") == 26 - answered
    assert "Budget office, adopted budget 2025" in text
    assert "No indigenous peoples live in the city." in text
    assert "Print this area blank" not in text
    assert page.errors == []
