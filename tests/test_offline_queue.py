"""Answers kept in the browser (answers.js) on a computer several people share: each person's
unsent answers are theirs alone, signing out sends them first, and an autosave after the
session ended keeps the answer and is sent after signing in again. Real Chromium, real server."""

import re

from conftest import PASSWORD, sign_in
from playwright.sync_api import expect
from test_browser import draft, level, open_area, state, stored  # noqa: F401 (a fixture)

QUEUE = "asus-unsent-answers:"


def queued(page) -> dict:
    """What answers.js keeps in localStorage, by key."""
    return page.evaluate(
        """prefix => Object.fromEntries(Object.keys(localStorage)
             .filter(k => k.startsWith(prefix)).map(k => [k, JSON.parse(localStorage[k])]))""",
        QUEUE,
    )


def revisions_by(db, user):
    from toolkit.assessments.models import AnswerRevision

    db.session.expire_all()
    return db.session.execute(db.select(AnswerRevision).filter_by(changed_by_id=user.id)).all()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_answers_typed_by_one_person_are_never_sent_as_the_next_persons(
    live_server,
    open_page,
    draft,  # noqa: F811 (the fixture imported above)
    db,
):
    """The editor answers two questions offline; they cannot be sent and the editor's session
    ends without a sign-out. The lead signs in on the same browser: nothing is sent under the lead's
    name, the page says whose answers wait, and the lead may discard them."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")
    page.context.set_offline(True)
    level(page, "se_drr_plan", 2).check()
    level(page, "se_early_warning", 3).check()
    expect(state(page, "se_early_warning")).to_have_text(re.compile("^Offline"))
    page.route("**/questions/**", lambda route: route.abort())  # the server takes no answer
    page.context.set_offline(False)
    expect(state(page, "se_drr_plan")).to_contain_text("Not saved: the server did not answer")
    # The editor walks away without signing out (a sign-out would clear this browser's storage:
    # Clear-Site-Data), and the session ends: nothing but the cookies is gone.
    page.context.clear_cookies()
    page.unroute("**/questions/**")

    sign_in(page, base, users["lead"].email)
    open_area(page, base, draft, "security")
    notice = page.locator("#unsent-others")
    expect(notice).to_contain_text("2 answers typed by Eddy Editor on this browser were not sent.")
    expect(level(page, "se_drr_plan", 2)).not_to_be_checked()
    page.wait_for_timeout(500)  # time enough to send, were anything sent
    assert revisions_by(db, users["lead"]) == []
    assert stored(db, draft, "se_drr_plan") is None

    notice.get_by_role("button", name="Discard the answers of Eddy Editor").click()
    expect(notice).to_be_hidden()
    assert queued(page) == {}
    page.reload()
    expect(page.locator("#unsent-others")).to_be_hidden()
    assert revisions_by(db, users["lead"]) == []
    assert [e for e in page.errors if "ERR_FAILED" not in e] == []


def test_signing_out_sends_the_unsent_answers_first_and_asks_before_deleting_the_rest(
    live_server,
    open_page,
    draft,  # noqa: F811 (the fixture imported above)
    db,
):
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")
    page.route("**/questions/**", lambda route: route.abort())
    level(page, "se_drr_plan", 2).check()
    expect(state(page, "se_drr_plan")).to_contain_text("Not saved: the server did not answer")
    page.unroute("**/questions/**")
    sign_out(page)  # sent on the way out, without a question
    answer = stored(db, draft, "se_drr_plan")
    assert (answer.value, answer.updated_by_id) == (2, users["editor"].id)

    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")
    page.context.set_offline(True)
    level(page, "se_early_warning", 3).check()
    expect(state(page, "se_early_warning")).to_have_text(re.compile("^Offline"))
    asked = []

    def answer_no_then_yes(dialog):
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer_no_then_yes)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")  # still here
    assert asked == [
        "1 answer is not sent yet and will be deleted from this browser if you sign out. "
        "Sign out anyway?"
    ]
    assert len(queued(page)) == 1
    page.context.set_offline(False)  # it is sent now; offline again, and sign out anyway
    expect(state(page, "se_early_warning")).to_have_text(re.compile(r"^Saved at"))
    page.context.set_offline(True)
    page.locator("#se_early_warning__value-0").check()
    expect(state(page, "se_early_warning")).to_have_text(re.compile("^Offline"))
    page.route("**/questions/**", lambda route: route.abort())  # back online, the server is not
    page.context.set_offline(False)
    expect(state(page, "se_early_warning")).to_contain_text("Not saved: the server did not")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert len(asked) == 2
    assert queued(page) == {}
    assert stored(db, draft, "se_early_warning").value == 3


def test_an_autosave_after_signing_out_elsewhere_is_kept_and_sent_after_signing_in_again(
    live_server,
    open_page,
    draft,  # noqa: F811 (the fixture imported above)
    db,
):
    """Signed out elsewhere, the editor's next answer says so, is kept, and offers to sign
    in again in a new tab. Retry sends nothing while someone else is signed in there, and
    sends the answer once the editor is."""
    base, users = live_server
    page = open_page()
    sign_in(page, base, users["editor"].email)
    open_area(page, base, draft, "security")
    # The session ends elsewhere (it expired, or was ended on the account page of another
    # device): the browser keeps its storage, only the cookies no longer sign anyone in.
    page.context.clear_cookies()

    level(page, "se_drr_plan", 2).check()
    saying = state(page, "se_drr_plan")
    expect(saying).to_contain_text(
        "Not saved: you are signed out. The answer is kept in this browser"
    )
    assert "expired" not in saying.inner_text()
    with page.expect_popup() as popup:
        saying.get_by_role("link", name="Sign in again (opens a new tab)").click()
    sign_in_tab = popup.value

    def sign_in_there(email):
        sign_in_tab.get_by_role("textbox", name="Email", exact=True).fill(email)
        sign_in_tab.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        sign_in_tab.get_by_role("button", name="Sign in").click()
        expect(sign_in_tab.get_by_role("button", name="Sign out")).to_be_visible()

    sign_in_there(users["lead"].email)  # someone else signs in on this browser
    saying.get_by_role("button", name="Retry").click()
    expect(saying).to_contain_text("Not sent: Lan Lead is signed in on this browser now")
    assert stored(db, draft, "se_drr_plan") is None

    page.context.clear_cookies()  # the lead's session ends too, without a sign-out
    sign_in_tab.goto(base + "/auth/login")
    sign_in_there(users["editor"].email)
    saying.get_by_role("button", name="Retry").click()
    expect(saying).to_have_text(re.compile(r"^Saved at"))
    answer = stored(db, draft, "se_drr_plan")
    assert (answer.value, answer.updated_by_id) == (2, users["editor"].id)
    # The page holds the new session's token: the next answer saves at once.
    level(page, "se_early_warning", 1).check()
    expect(state(page, "se_early_warning")).to_have_text(re.compile(r"^Saved at"))
    assert [e for e in page.errors if "401" not in e] == []
