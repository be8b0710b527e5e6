"""What people see in a real browser: Debian's Chromium, driven through Playwright.

The app is served on a random local port by a real WSGI server, and every test signs in through
the form. Playwright never downloads a browser here: without /usr/bin/chromium the tests skip
(and fail under CI=true).
"""

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
