"""What people see in a real browser: Debian's Chromium, driven through Playwright.

The app is served on a random local port by a real WSGI server, and every test signs in through
the form. Playwright never downloads a browser here: without /usr/bin/chromium the tests skip
(and fail under CI=true).
"""

import threading
from pathlib import Path

import pytest
from conftest import service_missing
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

expect.set_options(timeout=10_000)

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; each test opens its own context (no shared cookies)."""
    if not CHROMIUM.exists():
        service_missing(f"Debian chromium at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(make_app, db, make_city, make_user, make_assessment):
    """Da Nang with one draft assessment, an editor and a network user; served on 127.0.0.1.

    Returns (base URL, {"editor": user, "network": user}). Runs on SQLite and on PostgreSQL.
    """
    city = make_city("da-nang", name="Da Nang")
    make_city("cebu", country="PH", name="Cebu")
    make_assessment(city, cycle=2026)
    users = {
        "editor": make_user("city_editor", city=city, password=PASSWORD),
        "network": make_user("network", password=PASSWORD),
    }
    db.session.commit()  # the server's own app and connections must see the rows

    app = make_app(SERVER_NAME=None)  # a real host:port, not the test client's toolkit.test
    assert app.config["SERVER_NAME"] is None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", users
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def open_page(browser):
    """open_page(**context options) -> a new page whose console errors and page errors are kept.

    A CSP violation is reported by Chromium as a console error, so `page.errors` catches those too.
    """
    contexts = []

    def open_(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: _keep_error(page.errors, m))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    yield open_
    for context in contexts:
        context.close()


def _keep_error(errors, message):
    """Keep console errors, except the 404 of the /favicon.ico Chromium asks for by itself."""
    url = message.location.get("url", "")
    if message.type == "error" and not url.endswith("/favicon.ico"):
        errors.append(f"{message.text} ({url})")


def sign_in(page, base, email, password=PASSWORD):
    """Open the home page, get sent to the sign-in page, and submit the form."""
    page.goto(base + "/")
    expect(page).to_have_url(f"{base}/auth/login?next=%2F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


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
