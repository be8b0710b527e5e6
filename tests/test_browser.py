"""What people see in a real browser: Debian's Chromium, driven through Playwright.

The app is served on a random local port by a real WSGI server, and every test signs in through
the form. Playwright never downloads a browser here: without /usr/bin/chromium the tests skip
(and fail under CI=true).
"""

import re

import pytest
from conftest import sign_in
from playwright.sync_api import expect


def test_editor_signs_in_and_sees_their_city(live_server, open_page, tmp_path):
    """An editor opening / is asked to sign in, then sees Da Nang and its assessments.

    The first Tab shows the "Skip to main content" link, which moves focus to <main>. The pages
    log no console error (so no CSP violation either).
    """
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)

    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Da Nang")
    table = page.get_by_role("table", name="Assessments of Da Nang")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first).to_contain_text("2026")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    shot = tmp_path / "editor-home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert page.errors == []


def test_wrong_password_is_refused(live_server, open_page):
    """A wrong password shows "Invalid email or password." and stays on the sign-in page."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email, password="not the password")

    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password.")
    expect(page).to_have_url(f"{base}/auth/login?next=%2F")
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value(
        users["editor"].email
    )


def test_network_user_on_a_phone_sees_the_cities(live_server, open_page):
    """On a 390x844 phone a network user sees the cities table; the page never scrolls sideways.

    Only the table may scroll, inside its .table-wrap.
    """
    base, users = live_server
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, base, users["network"].email)

    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cities of the network")
    table = page.get_by_role("table", name="2 cities")
    expect(table).to_be_visible()
    expect(table.get_by_role("link", name="Da Nang")).to_be_visible()
    expect(table.get_by_role("link", name="Cebu")).to_be_visible()

    widths = page.evaluate(
        "({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["page"] <= widths["window"], widths
    assert page.errors == []


# -- filling an area: autosave, reloads, conflicts, offline, without JavaScript ----------------


@pytest.fixture
def draft(live_server, db):
    """The draft 2026 assessment of Da Nang that live_server serves."""
    from toolkit.assessments.models import Assessment

    return db.session.execute(db.select(Assessment)).scalar_one()


def open_area(page, base, draft, area="civic_social"):
    page.goto(f"{base}/assessments/{draft.id}/areas/{area}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def level(page, question_id, number):
    return page.locator(f'input[name="{question_id}__value"][value="{number}"]')


def state(page, question_id):
    return page.locator(f"#{question_id}-state")


def stored(db, draft, question_id):
    from toolkit.assessments.models import Answer

    db.session.expire_all()
    return db.session.execute(
        db.select(Answer).filter_by(assessment_id=draft.id, question_id=question_id)
    ).scalar_one_or_none()


def test_an_editor_fills_an_area_and_the_answers_survive_a_reload(
    live_server, open_page, draft, db
):
    """Each answer saves as it changes, with "Saved at <date, time and zone of the city>."
    beside it; a reload shows them."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft)

    level(page, "cs_participation", 2).check()
    expect(state(page, "cs_participation")).to_have_text(
        re.compile(r"^Saved at [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d \(UTC\+7\)\.$")
    )
    expect(page.locator("#area-progress")).to_contain_text("1 of 8 questions")
    page.locator("#q-cs_participation summary").click()
    page.locator("#cs_participation__comment").fill("Budget hearings in all 8 districts")
    expect(state(page, "cs_participation")).to_have_text(re.compile(r"^Saved at"))
    page.locator("#cs_women_senior_posts__value").fill("31.5")
    page.locator("#cs_women_senior_posts__value").blur()
    expect(state(page, "cs_women_senior_posts")).to_have_text(re.compile(r"^Saved at"))

    page.reload()
    expect(level(page, "cs_participation", 2)).to_be_checked()
    expect(page.locator("#cs_participation__comment")).to_have_value(
        "Budget hearings in all 8 districts"
    )
    expect(page.locator("#cs_women_senior_posts__value")).to_have_value("31.5")
    answer = stored(db, draft, "cs_participation")
    assert (answer.value, answer.comment) == (2, "Budget hearings in all 8 districts")
    assert page.errors == []


def test_two_people_on_one_question_choose_between_both_answers(live_server, open_page, draft, db):
    """The second saver sees both answers, who made the other and when; keeps theirs or takes
    the other's. Nothing is overwritten without their choice."""
    base, users = live_server
    lead, editor = open_page(), open_page()
    sign_in(lead, base, users["lead"].email)
    sign_in(editor, base, users["editor"].email)
    open_area(lead, base, draft, "security")
    open_area(editor, base, draft, "security")

    level(lead, "se_drr_plan", 3).check()
    expect(state(lead, "se_drr_plan")).to_have_text(re.compile(r"^Saved at"))
    level(editor, "se_drr_plan", 1).check()
    conflict = editor.locator("#q-se_drr_plan .conflict-live")
    expect(conflict).to_contain_text("Changed by Lan Lead at")
    expect(conflict).to_contain_text("Their answer: level 3:")
    expect(conflict).to_contain_text("Your answer: level 1:")
    assert stored(db, draft, "se_drr_plan").value == 3

    conflict.get_by_role("button", name="Keep mine").click()
    expect(state(editor, "se_drr_plan")).to_have_text(re.compile(r"^Saved at"))
    assert stored(db, draft, "se_drr_plan").value == 1

    # Now the lead is behind: their next change meets the editor's answer, and they take it.
    level(lead, "se_drr_plan", 0).check()
    conflict = lead.locator("#q-se_drr_plan .conflict-live")
    expect(conflict).to_contain_text("Changed by Eddy Editor at")
    conflict.get_by_role("button", name="Take theirs").click()
    expect(level(lead, "se_drr_plan", 1)).to_be_checked()
    expect(state(lead, "se_drr_plan")).to_have_text("Their answer is now in the form.")
    lead.reload()
    expect(level(lead, "se_drr_plan", 1)).to_be_checked()  # nothing left queued to resend
    assert stored(db, draft, "se_drr_plan").value == 1
    # Chromium logs every 409 as a failed resource; those are the conflicts shown above.
    for page in (lead, editor):
        assert [e for e in page.errors if "status of 409" not in e] == []


def test_answers_made_offline_are_sent_when_the_connection_returns(
    live_server, open_page, draft, db
):
    """Offline, the answer is kept in the browser; back online it is sent. A failed save offers
    a retry, and an answer not yet sent survives a reload and is sent then."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")

    page.context.set_offline(True)
    level(page, "se_drr_plan", 2).check()
    expect(state(page, "se_drr_plan")).to_have_text(
        "Offline: kept in this browser and sent when the connection returns."
    )
    assert stored(db, draft, "se_drr_plan") is None
    page.context.set_offline(False)
    expect(state(page, "se_drr_plan")).to_have_text(re.compile(r"^Saved at"))
    assert stored(db, draft, "se_drr_plan").value == 2

    # The server does not answer: "failed - retry"; the answer waits in the browser.
    page.route("**/questions/se_early_warning", lambda route: route.abort())
    level(page, "se_early_warning", 3).check()
    expect(state(page, "se_early_warning")).to_contain_text("Not saved: the server did not")
    expect(state(page, "se_early_warning").get_by_role("button", name="Retry")).to_be_visible()
    page.unroute("**/questions/se_early_warning")
    page.reload()
    expect(level(page, "se_early_warning", 3)).to_be_checked()
    expect(state(page, "se_early_warning")).to_have_text(re.compile(r"^Saved at"))
    assert stored(db, draft, "se_early_warning").value == 3
    assert [e for e in page.errors if "ERR_FAILED" not in e and "ERR_INTERNET" not in e] == []


def test_without_javascript_the_save_button_saves_the_page(live_server, open_page, draft, db):
    base, users = live_server
    page = open_page(java_script_enabled=False)
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")

    level(page, "se_drr_plan", 2).check()
    page.locator("#q-se_drr_plan summary").click()
    page.locator("#se_drr_plan__comment").fill("Adopted in 2024")
    page.get_by_role("button", name="Save this page").click()
    expect(page.get_by_role("status")).to_contain_text("Saved 1 answer at")
    expect(level(page, "se_drr_plan", 2)).to_be_checked()
    assert stored(db, draft, "se_drr_plan").comment == "Adopted in 2024"


def test_a_returned_assessment_shows_the_reviewers_comments(live_server, open_page, draft, db):
    from toolkit.accounts.models import User
    from toolkit.assessments.lifecycle import return_to_city

    base, users = live_server
    reviewer = db.session.get(User, users["network"].id)
    draft.status = "submitted"
    return_to_city(
        draft,
        reviewer,
        "Please add evidence for the risk assessment.",
        {"se_risk_assessment": "Which hazards does the 2023 assessment cover?"},
    )
    db.session.commit()
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{draft.id}")
    expect(page.get_by_role("note").first).to_contain_text(
        "Returned by the reviewer: Please add evidence for the risk assessment."
    )
    page.get_by_role(
        "link", name=re.compile("assessed its disaster and climate risks")
    ).first.click()
    question = page.locator("#q-se_risk_assessment")
    expect(question.get_by_role("note")).to_contain_text(
        "Reviewer's note: Which hazards does the 2023 assessment cover?"
    )
    level(page, "se_risk_assessment", 2).check()
    expect(state(page, "se_risk_assessment")).to_have_text(re.compile(r"^Saved at"))
    assert page.errors == []


def test_an_area_is_answered_with_the_keyboard_alone(live_server, open_page, draft, db):
    """Tab from the top of the page to the first question, choose a level with the arrow keys."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")

    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "se_risk_assessment__value":
            break
    else:
        raise AssertionError("Tab never reached the first question")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(level(page, "se_risk_assessment", 1)).to_be_checked()
    expect(state(page, "se_risk_assessment")).to_have_text(re.compile(r"^Saved at"))
    assert stored(db, draft, "se_risk_assessment").value == 1
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused control is visibly marked


def test_zip_of_approved_reports_shows_progress_then_downloads(
    live_server, open_page, db, make_assessment
):
    """Network staff ask for every approved report as a ZIP: the job page's progress bar moves
    on its own (job.js), then the download appears and gives the ZIP."""
    base, users = live_server
    city = users["editor"].city
    make_assessment(city, cycle=2025, status="approved", answers={"se_drr_plan": 2})
    db.session.commit()
    page = open_page(accept_downloads=True)
    sign_in(page, base, users["network"].email)
    page.goto(base + "/network/?cycle=2025")
    page.get_by_role("button", name=re.compile("every approved report")).click()

    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "1 approved report: ASUS quick screening, 2025"
    )
    expect(page.get_by_role("progressbar")).to_be_visible()
    download_link = page.get_by_role("link", name="Download asus-reports-asus-quick-2025.zip")
    expect(download_link).to_be_visible(timeout=60_000)  # no reload: the page follows the job
    expect(page.get_by_role("status")).to_have_text("Ready.")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == "asus-reports-asus-quick-2025.zip"
    with open(download.value.path(), "rb") as file:
        assert file.read(2) == b"PK"

    page.get_by_role("link", name="All your downloads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your downloads")
    expect(page.get_by_role("row")).to_have_count(2)
    assert page.errors == []


def test_a_conflict_shows_each_part_and_take_theirs_keeps_the_typed_comment(
    live_server, open_page, draft, db
):
    """The editor, offline, changes the level and writes a comment; meanwhile the lead changes
    the level. Back online the editor sees the level both changed, with both values, and the
    comment only they changed; "Take theirs" takes the lead's level and saves the comment."""
    base, users = live_server
    lead, editor = open_page(), open_page()
    sign_in(lead, base, users["lead"].email)
    sign_in(editor, base, users["editor"].email)
    open_area(lead, base, draft, "security")
    open_area(editor, base, draft, "security")

    editor.context.set_offline(True)
    level(editor, "se_drr_plan", 1).check()
    editor.locator("#q-se_drr_plan summary").click()
    editor.locator("#se_drr_plan__comment").fill("Only a draft so far")
    expect(state(editor, "se_drr_plan")).to_have_text(re.compile("^Offline"))
    level(lead, "se_drr_plan", 3).check()
    expect(state(lead, "se_drr_plan")).to_have_text(re.compile(r"^Saved at"))
    editor.context.set_offline(False)

    conflict = editor.locator("#q-se_drr_plan .conflict-live")
    expect(conflict).to_contain_text("Changed by Lan Lead at")
    expect(conflict).to_contain_text("Answer: changed by both of you.")
    expect(conflict).to_contain_text("Their answer: level 3:")
    expect(conflict).to_contain_text("Your answer: level 1:")
    expect(conflict).to_contain_text(
        "Comment: only you changed it; yours is kept: Only a draft so far"
    )
    conflict.get_by_role("button", name="Take theirs").click()
    expect(level(editor, "se_drr_plan", 3)).to_be_checked()
    expect(editor.locator("#se_drr_plan__comment")).to_have_value("Only a draft so far")
    expect(state(editor, "se_drr_plan")).to_have_text(re.compile(r"^Saved at"))
    answer = stored(db, draft, "se_drr_plan")
    assert (answer.value, answer.comment) == (3, "Only a draft so far")
    assert answer.updated_by_id == users["editor"].id
    editor.reload()
    expect(level(editor, "se_drr_plan", 3)).to_be_checked()
    expect(editor.locator("#se_drr_plan__comment")).to_have_value("Only a draft so far")
    for page in (lead, editor):
        assert [e for e in page.errors if "status of 409" not in e] == []


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}], ids=str
)
def test_the_save_bar_never_covers_the_focused_control(
    live_server, open_page, db, make_assessment, viewport, tmp_path
):
    """WCAG 2.2, 2.4.11: Tab through every stop of a detailed area page, at a phone's and a
    desktop's size; the sticky "Save this page" bar covers none of them."""
    base, users = live_server
    detailed = make_assessment(users["editor"].city, questionnaire_id="asus-detailed", cycle=2025)
    db.session.commit()
    page = open_page(viewport=viewport)
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{detailed.id}/areas/security")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    covered, stops = [], 0
    first = None
    for _ in range(600):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || el === document.body) return null;
              const bar = document.querySelector(".sticky-save").getBoundingClientRect();
              const box = el.getBoundingClientRect();
              const inBar = !!el.closest(".sticky-save");
              const overlap = Math.min(box.bottom, bar.bottom) - Math.max(box.top, bar.top);
              return {
                name: el.id || el.name || el.textContent.trim().slice(0, 40),
                covered: !inBar && overlap > 0 && box.right > bar.left && box.left < bar.right,
              };
            }"""
        )
        if stop is None or stop == first:
            break
        first = first or stop
        stops += 1
        if stop["covered"]:
            covered.append(stop["name"])
    page.screenshot(path=str(tmp_path / "focus.png"))
    assert stops > 60  # the whole page was walked
    assert covered == [], f"{len(covered)} of {stops} stops under the bar: {covered[:10]}"
