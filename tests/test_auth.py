"""Signing in, one-time links, rate limits, CSRF and the security headers."""

import re
from datetime import timedelta

import pytest
import redis

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD, **query):
    return client.post(
        "/auth/login", query_string=query, data={"email": email, "password": password}
    )


def test_sign_in_and_out(client, make_city, make_user, db):
    make_user("city_lead", make_city("da-nang"), email="lead@example.org", password=PASSWORD)
    db.session.commit()

    response = sign_in(client, "  Lead@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert b"Da Nang" in home.data

    assert client.get("/auth/logout").status_code == 405  # a link cannot sign anyone out
    response = client.post("/auth/logout", follow_redirects=True)
    assert b"You are signed out." in response.data
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("lead@example.org", "wrong password!", True),
        ("nobody@example.org", PASSWORD, True),
        ("lead@example.org", PASSWORD, False),
    ],
    ids=["wrong password", "unknown email", "deactivated"],
)
def test_every_failed_sign_in_says_the_same(client, make_user, db, email, password, active):
    make_user("network", email="lead@example.org", password=PASSWORD, active=active)
    db.session.commit()
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert b"Invalid email or password." in response.data
    assert b"nobody@example.org" not in response.data or email == "nobody@example.org"


def test_next_only_leads_to_this_site(client, make_user, db):
    make_user("network", email="n@example.org", password=PASSWORD)
    db.session.commit()
    assert sign_in(client, "n@example.org", next="/cities/").headers["Location"] == "/cities/"
    client.post("/auth/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in(client, "n@example.org", next=target).headers["Location"] == "/"
        client.post("/auth/logout")


def test_invitation_link_lets_the_user_choose_a_password_once(
    client, login, make_city, make_user, db
):
    city = make_city("da-nang")
    lead = make_user("city_lead", city)
    login(client, lead)
    page = client.post(
        "/cities/da-nang/team", data={"name": "Tran Thi B", "email": "b@example.org"}
    )
    assert page.status_code == 200
    link = re.search(rb'id="link">http://toolkit\.test(/auth/set-password/[^<]+)<', page.data)
    path = link.group(1).decode()
    client.post("/auth/logout")

    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert b"Field must be between 10 and 200 characters long." in short.data
    done = client.post(
        path, data={"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=True
    )
    assert b"Your password is set. Welcome, Tran Thi B." in done.data
    assert b"Da Nang" in done.data

    client.post("/auth/logout")
    again = client.get(path)
    assert again.status_code == 404
    assert b"This link has expired or was already used." in again.data
    assert sign_in(client, "b@example.org").status_code == 302


def test_an_expired_link_does_not_work(app, client, make_user, db):
    from toolkit.accounts import service as accounts
    from toolkit.core.models import utcnow

    user = make_user("network")
    issued = accounts.issue_link(user, "invitation", None)
    db.session.flush()
    link = accounts.valid_link(issued.token)
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/auth/set-password/{issued.token}").status_code == 404


def test_a_new_password_signs_out_every_other_session(app, login, make_user, db):
    user = make_user("network", password=PASSWORD)
    browser_a, browser_b = app.test_client(), app.test_client()
    login(browser_a, user)
    assert browser_a.get("/").status_code == 200
    user.set_password("another good password")
    db.session.commit()
    assert browser_a.get("/").status_code == 302
    assert sign_in(browser_b, user.email, "another good password").status_code == 302


def test_deactivating_a_user_ends_their_sessions(app, login, make_user, db):
    admin, network = make_user("admin"), make_user("network")
    admin_browser, network_browser = app.test_client(), app.test_client()
    login(admin_browser, admin)
    login(network_browser, network)
    assert admin_browser.post(f"/people/{network.id}/deactivate").status_code == 302
    assert network_browser.get("/").status_code == 302


def test_sign_in_is_rate_limited(make_app, make_user):
    from toolkit.core.extensions import db

    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        make_user("network", email="n@example.org", password=PASSWORD)
        db.session.commit()
    client = app.test_client()
    statuses = [sign_in(client, "n@example.org", "wrong password!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = sign_in(client, "n@example.org")
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


def test_rate_limits_are_kept_in_redis_when_configured(make_app, make_user):
    from toolkit.core.extensions import db

    url = "redis://127.0.0.1:6379/15"
    server = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        from tests.conftest import service_missing

        service_missing(f"Redis at {url}")
    server.flushdb()
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", REDIS_URL=url)
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    with app.app_context():
        make_user("network", email="n@example.org", password=PASSWORD)
        db.session.commit()
    statuses = [
        sign_in(app.test_client(), "n@example.org", "nope, wrong").status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    assert any(b"auth.login" in key or b"LIMITS" in key for key in server.keys("*"))
    server.flushdb()


def test_forms_refuse_a_post_without_its_csrf_token(make_app, make_user):
    from toolkit.core.extensions import db

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user("admin", password=PASSWORD)
        db.session.commit()
        email = admin.email
    client = app.test_client()
    refused = sign_in(client, email)
    assert refused.status_code == 400
    assert b"This form has expired or was sent from another page." in refused.data

    page = client.get("/auth/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
    signed_in = client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token.decode()}
    )
    assert signed_in.status_code == 302
    for url in ("/auth/logout", "/people/new", "/cities/new", f"/people/{admin.id}/deactivate"):
        assert client.post(url).status_code == 400, url


def test_security_headers_and_cookie_flags(make_app, make_user):
    from toolkit.core.extensions import db

    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        user = make_user("network", password=PASSWORD)
        db.session.commit()
        email = user.email
    client = app.test_client()
    response = sign_in(client, email)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_cookies_are_secure_unless_debugging(database_url):
    from toolkit import create_app

    url = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}
    assert create_app(url).config["SESSION_COOKIE_SECURE"] is True
