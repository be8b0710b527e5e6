"""Sign-in sessions kept on the server: signing out ends one for good (its cookies replayed open
nothing), the account page lists them and signs out one device or every device."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import PASSWORD

from toolkit.accounts.models import SignInSession
from toolkit.api.models import ApiToken
from toolkit.core.models import AuditEvent, utcnow

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
HOST = "toolkit.test"


def csrf_token(response) -> str:
    return CSRF_FIELD.search(response.get_data(as_text=True))[1]


def signed_in_browser(app, email, remember=False, user_agent="Werkzeug test"):
    """A test client signed in through the form, with CSRF checked as in production."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = user_agent
    form = {
        "email": email,
        "password": PASSWORD,
        "csrf_token": csrf_token(browser.get("/auth/login")),
    }
    if remember:
        form["remember"] = "y"
    assert browser.post("/auth/login", data=form).status_code == 302
    return browser


def cookie(browser, name) -> str | None:
    found = browser.get_cookie(name, domain=HOST)
    return found.value if found else None


def with_cookie(app, name, value):
    """A new browser that has nothing but one copied cookie."""
    other = app.test_client()
    other.set_cookie(name, value, domain=HOST)
    return other


def sign_out(browser):
    response = browser.post("/auth/logout", data={"csrf_token": csrf_token(browser.get("/"))})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    return response


@pytest.fixture
def secure_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def lead(secure_app, db, make_city, make_user):
    """A city lead with a password."""
    user = make_user("city_lead", make_city("da-nang", name="Da Nang"), password=PASSWORD)
    db.session.commit()
    return user


def test_a_replayed_session_cookie_opens_nothing_after_sign_out(
    secure_app, lead, make_assessment, db
):
    assessment = f"/assessments/{make_assessment(lead.city).id}"
    db.session.commit()
    browser = signed_in_browser(secure_app, lead.email)
    page = browser.get("/account/api-tokens")  # the token form: its CSRF token is in the cookie
    token = csrf_token(page)
    assert browser.get(assessment).status_code == 200
    stolen = cookie(browser, "session")

    sign_out(browser)

    attacker = with_cookie(secure_app, "session", stolen)
    opened = attacker.get(assessment)
    assert opened.status_code == 302
    assert opened.headers["Location"].startswith("/auth/login?next=")
    created = attacker.post("/account/api-tokens", data={"name": "mine now", "csrf_token": token})
    assert created.status_code == 302 and created.headers["Location"].startswith("/auth/login")
    api = attacker.get("/api/v1/cities")
    assert api.status_code == 401
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar() == 0


def test_the_remember_cookie_alone_signs_nobody_in_after_sign_out(secure_app, lead):
    browser = signed_in_browser(secure_app, lead.email, remember=True)
    remembered = cookie(browser, "remember_token")
    assert remembered is not None
    # Before signing out, the cookie alone does sign in (so the check below means something).
    assert with_cookie(secure_app, "remember_token", remembered).get("/").status_code == 200

    sign_out(browser)

    replayed = with_cookie(secure_app, "remember_token", remembered).get("/")
    assert replayed.status_code == 302
    assert replayed.headers["Location"] == "/auth/login?next=%2F"


def test_the_sign_out_response_clears_the_sites_storage(secure_app, lead):
    browser = signed_in_browser(secure_app, lead.email)
    assert sign_out(browser).headers["Clear-Site-Data"] == '"storage"'
    assert "Clear-Site-Data" not in browser.get("/auth/login").headers


# This test's session reads while secure_app's requests commit, then rolls back: on one
# rolled-back connection that would undo their commits too.
@pytest.mark.usefixtures("real_commits")
def test_signing_out_one_device_leaves_the_other_signed_in(secure_app, lead, db):
    laptop = signed_in_browser(secure_app, lead.email, user_agent=FIREFOX_ON_WINDOWS)
    phone = signed_in_browser(secure_app, lead.email, remember=True, user_agent=CHROME_ON_ANDROID)

    sign_out(laptop)
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200

    db.session.rollback()
    events = (
        db.session.execute(sa.select(AuditEvent).filter_by(action="signed_out")).scalars().all()
    )
    assert [(e.user_id, e.details["device"]) for e in events] == [(lead.id, "Firefox · Windows")]


def test_the_account_page_lists_the_devices_and_signs_one_out(secure_app, lead, make_user, db):
    laptop = signed_in_browser(secure_app, lead.email, user_agent=FIREFOX_ON_WINDOWS)
    phone = signed_in_browser(secure_app, lead.email, remember=True, user_agent=CHROME_ON_ANDROID)
    other = make_user("network", password=PASSWORD)
    db.session.commit()
    signed_in_browser(secure_app, other.email)

    home = laptop.get("/")
    assert 'href="/account"' in home.get_data(as_text=True)
    page = laptop.get("/account")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", page.get_data(as_text=True), flags=re.S)
    assert len(rows) == 2  # this person's two devices, nobody else's
    assert any("Firefox · Windows" in row and "this device" in row for row in rows)
    assert any("Chrome · Android" in row and "this device" not in row for row in rows)

    sessions = db.session.execute(
        sa.select(SignInSession).where(SignInSession.user_id.in_([lead.id, other.id]))
    ).scalars()
    by_device = {s.device: s for s in sessions}
    token = csrf_token(page)
    refused = laptop.post(f"/account/sessions/{by_device['Chrome · Android'].id}/sign-out")
    assert refused.status_code == 400  # no CSRF token: nothing ends
    assert phone.get("/").status_code == 200
    theirs = by_device["Werkzeug"].id
    foreign = laptop.post(f"/account/sessions/{theirs}/sign-out", data={"csrf_token": token})
    assert foreign.status_code == 404

    ended = laptop.post(
        f"/account/sessions/{by_device['Chrome · Android'].id}/sign-out",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "That device is signed out." in ended.get_data(as_text=True)
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200

    mine = laptop.post(
        f"/account/sessions/{by_device['Firefox · Windows'].id}/sign-out",
        data={"csrf_token": token},
    )
    assert mine.headers["Location"] == "/auth/login"
    assert mine.headers["Clear-Site-Data"] == '"storage"'
    assert laptop.get("/").status_code == 302


# This test's session reads while secure_app's requests commit, then rolls back: on one
# rolled-back connection that would undo their commits too.
@pytest.mark.usefixtures("real_commits")
def test_sign_out_on_every_device_ends_every_session(secure_app, lead, db):
    laptop = signed_in_browser(secure_app, lead.email)
    phone = signed_in_browser(secure_app, lead.email, remember=True)
    remembered = cookie(phone, "remember_token")
    token_before = lead.session_token

    refused = laptop.post("/account/sign-out-everywhere")
    assert refused.status_code == 400
    response = laptop.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(laptop.get("/account"))}
    )
    assert response.headers["Location"] == "/auth/login"
    assert response.headers["Clear-Site-Data"] == '"storage"'

    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert with_cookie(secure_app, "remember_token", remembered).get("/").status_code == 302
    db.session.rollback()
    assert db.session.get(type(lead), lead.id).session_token != token_before
    assert (
        db.session.execute(sa.select(SignInSession).filter_by(user_id=lead.id, ended_at=None)).all()
        == []
    )
    (event,) = db.session.execute(
        sa.select(AuditEvent).filter_by(action="signed_out_everywhere")
    ).scalars()
    assert event.user_id == lead.id
    # Signing in again works, on a new session.
    assert signed_in_browser(secure_app, lead.email).get("/").status_code == 200


def test_a_session_is_read_in_one_query_and_last_seen_written_every_few_minutes(
    app, client, login, make_user, db
):
    user = make_user("network")
    login(client, user)
    (row,) = db.session.execute(sa.select(SignInSession).filter_by(user_id=user.id)).scalars()
    statements = []

    def keep(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        a_minute_ago = utcnow() - timedelta(minutes=1)
        row.last_seen_at = a_minute_ago
        db.session.commit()
        statements.clear()
        assert client.get("/jobs/").status_code == 200
        touching = [s for s in statements if "sign_in_session" in s]
        assert len(touching) == 1 and touching[0].lstrip().startswith("SELECT")
        # The user, their city and the session at once.
        assert "email" in touching[0] and "JOIN city" in touching[0]
        db.session.expire_all()
        assert row.last_seen_at == a_minute_ago

        row.last_seen_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
        assert client.get("/jobs/").status_code == 200
        db.session.expire_all()
        assert row.last_seen_at > utcnow() - timedelta(minutes=1)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)


@pytest.mark.parametrize(("remembered", "signed_in"), [(False, False), (True, True)])
def test_a_session_left_alone_ends_unless_kept_signed_in(
    app, login, make_user, db, remembered, signed_in
):
    user = make_user("network")
    browser = app.test_client()
    login(browser, user)
    (row,) = db.session.execute(sa.select(SignInSession).filter_by(user_id=user.id)).scalars()
    row.remembered = remembered
    row.last_seen_at = utcnow() - timedelta(hours=app.config["SESSION_IDLE_HOURS"] + 1)
    db.session.commit()
    assert browser.get("/").status_code == (200 if signed_in else 302)
