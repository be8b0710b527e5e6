"""Security: no SQL injection (sqlmap against a real server), a fresh session at sign-in, failed
sign-ins in the audit log, the security headers on every response, and no secret in the logs."""

import http.cookiejar
import logging
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
from conftest import PASSWORD
from test_access import ROUTES, build_world

from toolkit.core.logs import JsonFormatter
from toolkit.core.models import AuditEvent
from toolkit.jobs.models import Job
from toolkit.network.models import Cohort

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)

# -- SQL injection: sqlmap against the live server -----------------------------------------------


def run_sqlmap(tmp_path, database_url: str, *options: str) -> str:
    """Run sqlmap in batch mode with a short set of tests for the test database's DBMS; its
    console output."""
    dbms = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    command = [
        *(sys.executable, "-m", "sqlmap.sqlmap", "--batch", "--flush-session"),
        *("--disable-coloring", f"--output-dir={tmp_path / 'sqlmap'}", f"--dbms={dbms}"),
        *("--level=2", "--risk=1", "--technique=BEUST", "--time-sec=1"),
        *options,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout + done.stderr


def assert_nothing_injectable(output: str, place: str, parameters: list[str]) -> None:
    """sqlmap tested every parameter, and found none injectable."""
    for name in parameters:
        assert f"testing for SQL injection on {place} parameter '{name}'" in output
        assert f"{place} parameter '{name}' does not seem to be injectable" in output
    assert "all tested parameters do not appear to be injectable" in output
    assert "identified the following injection point" not in output


def served(caplog, method: str, path: str) -> list[int]:
    """The statuses the live server answered to `method path...` (read from werkzeug's log)."""
    statuses = []
    for record in caplog.records:
        if record.name == "werkzeug" and isinstance(record.args, tuple) and len(record.args) == 3:
            line, status, _size = record.args
            if ANSI.sub("", str(line)).startswith(f"{method} {path}"):
                statuses.append(int(status))
    return statuses


def signed_in_cookie(base: str, email: str) -> str:
    """Sign in through the form as a browser does; the session cookie as `name=value`."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{base}/auth/login").read().decode()
    form = {"email": email, "password": PASSWORD, "csrf_token": CSRF_FIELD.search(page)[1]}
    browser.open(f"{base}/auth/login", data=urllib.parse.urlencode(form).encode())
    (cookie,) = (c for c in jar if c.name == "session")
    return f"{cookie.name}={cookie.value}"


def test_sqlmap_finds_no_injection_in_the_sign_in_form(
    live_server, database_url, db, tmp_path, caplog
):
    base, _users = live_server
    output = run_sqlmap(
        tmp_path,
        database_url,
        f"--url={base}/auth/login",
        "--data=email=someone%40example.org&password=a+password&csrf_token=",
        # A fresh token for every request, from the sign-in page, in sqlmap's session cookie.
        "--csrf-token=csrf_token",
        f"--csrf-url={base}/auth/login",
        "--ignore-code=401",  # a failed sign-in answers 401, which sqlmap stops at by default
        "-p",
        "email,password",
    )
    assert_nothing_injectable(output, "POST", ["email", "password"])
    # Every attempt passed the CSRF check (a refused token is a 400) and reached the password
    # check, which audits each failure with the email sqlmap sent.
    statuses = served(caplog, "POST", "/auth/login")
    assert len(statuses) > 50 and set(statuses) == {401}, statuses
    emails = {event.details["email"] for event in failed_sign_ins(db)}
    assert len(emails) > 20 and "someone@example.org" in emails


def test_sqlmap_finds_no_injection_in_the_dashboard_filters(
    live_server, database_url, db, tmp_path, caplog
):
    base, users = live_server
    cohort = Cohort(name="Peers", countries=["VN"])
    db.session.add(cohort)
    db.session.commit()
    cookie = signed_in_cookie(base, users["network"].email)
    query = {
        "questionnaire": "asus-quick",
        "cycle": "2026",
        "country": "VN",
        "cohort": str(cohort.id),
        "status": "any",
        "sort": "city",
        "page": "1",
    }
    url = f"{base}/network/?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as page:
        assert page.url == url and "Da Nang" in page.read().decode()  # signed in: no redirect

    output = run_sqlmap(
        tmp_path,
        database_url,
        f"--url={url}",
        f"--cookie={cookie}",
        "-p",
        ",".join(query),
        "--answers=follow=N",  # a redirect (to the sign-in page) is not followed
    )
    assert_nothing_injectable(output, "GET", list(query))
    # Every request was served signed in: answered, or refused as a bad filter value (400).
    statuses = served(caplog, "GET", "/network/")
    assert len(statuses) > 100 and set(statuses) <= {200, 400}, statuses
    assert statuses.count(200) > 50


def failed_sign_ins(db) -> list[AuditEvent]:
    """The committed audit events of failed sign-ins, oldest first."""
    db.session.rollback()  # forget anything not committed: see what the server kept
    found = db.select(AuditEvent).filter_by(action="sign_in_failed").order_by(AuditEvent.id)
    return list(db.session.execute(found).scalars())


# -- a fresh session at sign-in, none left at sign-out -------------------------------------------


def csrf_token(response) -> str:
    """The CSRF token of the first form on the page."""
    return CSRF_FIELD.search(response.get_data(as_text=True))[1]


def session_cookie(browser) -> str | None:
    """The browser's session cookie for the test app's host, if any."""
    cookie = browser.get_cookie("session", domain="toolkit.test")
    return cookie.value if cookie else None


def test_sign_in_starts_a_fresh_session(make_app, make_user, db):
    app = make_app(WTF_CSRF_ENABLED=True)
    email = make_user("network", password=PASSWORD).email
    db.session.commit()
    browser = app.test_client()
    token_before = csrf_token(browser.get("/auth/login"))
    cookie_before = session_cookie(browser)  # what an attacker could have planted

    signed_in = browser.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token_before}
    )
    assert signed_in.status_code == 302
    assert session_cookie(browser) not in (None, cookie_before)
    with browser.session_transaction() as session:
        assert "_user_id" in session and "csrf_token" not in session

    token_after = csrf_token(browser.get("/"))  # the sign-out form of every page
    assert token_after != token_before
    refused = browser.post("/auth/logout", data={"csrf_token": token_before})
    assert refused.status_code == 400
    assert browser.get("/").status_code == 200  # still signed in
    assert browser.post("/auth/logout", data={"csrf_token": token_after}).status_code == 302

    attacker = app.test_client()
    attacker.set_cookie("session", cookie_before, domain="toolkit.test")
    assert attacker.get("/").headers["Location"] == "/auth/login?next=%2F"


def test_sign_out_clears_the_session(make_app, make_user, db):
    app = make_app(WTF_CSRF_ENABLED=True)
    email = make_user("network", password=PASSWORD).email
    db.session.commit()
    browser = app.test_client()
    form = {"email": email, "password": PASSWORD, "remember": "y"}
    form["csrf_token"] = csrf_token(browser.get("/auth/login"))
    assert browser.post("/auth/login", data=form).status_code == 302
    assert browser.get_cookie("remember_token", domain="toolkit.test") is not None

    token = csrf_token(browser.get("/"))
    assert browser.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    with browser.session_transaction() as session:
        assert set(session) == {"_flashes"}  # "You are signed out." and nothing else
    assert browser.get_cookie("remember_token", domain="toolkit.test") is None
    assert browser.get("/").status_code == 302


# -- failed sign-ins in the audit log ------------------------------------------------------------


def test_failed_sign_ins_are_audited_without_the_password(client, make_user, db):
    user = make_user("network", email="n@example.org", password=PASSWORD)
    db.session.commit()
    attempts = [("N@example.org", "wrong password 1"), ("nobody@example.org", "wrong password 2")]
    for email, password in attempts:
        response = client.post("/auth/login", data={"email": email, "password": password})
        assert response.status_code == 401

    events = failed_sign_ins(db)
    assert [(e.user_id, e.object_type, e.object_id, e.details) for e in events] == [
        (None, "user", str(user.id), {"email": "N@example.org"}),
        (None, None, None, {"email": "nobody@example.org"}),
    ]
    everything = str([e.details for e in db.session.execute(db.select(AuditEvent)).scalars()])
    assert "wrong password" not in everything and PASSWORD not in everything


# -- the security headers on every response -------------------------------------------------------


def get_urls(app) -> list[str]:
    """A URL for every GET route of the app, taken from the access table of test_access."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            found = [url for method, url, _ in ROUTES.get(rule.endpoint, []) if method == "GET"]
            assert found, f"test_access.ROUTES has no GET request for {rule.endpoint}"
            urls += found
    return list(dict.fromkeys(urls))


@pytest.fixture
def world(db):
    """The world of test_access's matrix: users by actor, and ROUTES' placeholders."""
    people, names = build_world()
    db.session.commit()
    return people, names


@pytest.mark.parametrize("actor", ["anonymous", "admin"])
def test_every_response_has_the_security_headers(app, client, login, world, actor):
    people, names = world
    if actor != "anonymous":
        login(client, people[actor])
    urls = [url.format(**names) for url in get_urls(app)]
    # Two 404s (a page and the API's problem details), a 405 and the routing's redirect (308).
    urls += ["/no-such-page", "/api/v1/no-such-thing", "/auth/logout", "/network"]
    statuses, lacking, wrongly_cached = set(), {}, {}
    for url in urls:
        response = client.get(url)
        response.close()
        statuses.add(response.status_code)
        missing = [name for name in SECURITY_HEADERS if name not in response.headers]
        if missing:
            lacking[f"{url} ({response.status_code})"] = missing
        # No cache keeps what a signed-in person sees, nor any API answer; static files and
        # the public pages keep their caching.
        cacheable = url.startswith(("/static/", "/report-assets/")) or (
            actor == "anonymous" and not url.startswith("/api/")
        )
        # An evidence file's download says "private, no-store": no-store all the same.
        stored = "no-store" not in (response.headers.get("Cache-Control") or "").split(", ")
        if stored != cacheable:
            wrongly_cached[f"{url} ({response.status_code})"] = response.headers.get(
                "Cache-Control"
            )
    assert not lacking
    assert not wrongly_cached
    assert {200, 308, 404, 405} <= statuses


def test_a_crash_has_the_security_headers(make_app):
    app = make_app()
    app.add_url_rule("/crash", "crash", lambda: 1 / 0)
    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert [name for name in SECURITY_HEADERS if name not in response.headers] == []


def test_downloads_are_stored_by_no_cache(client, login, make_user, db):
    user = make_user("network")
    job = Job(
        id="0123456789abcdef0123456789abcdef", kind="export", title="Export", status="finished"
    )
    job.requested_by_id, job.result = user.id, b"city,score\n"
    job.result_name, job.result_type = "area-scores.csv", "text/csv"
    db.session.add(job)
    login(client, user)
    for url in (f"/jobs/{job.id}/download", "/network/export/area-scores.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "no-store", url


HSTS = "max-age=31536000; includeSubDomains"


def test_strict_transport_security_only_over_https(make_app):
    def hsts(app, **options):
        return (
            app.test_client().get("/auth/login", **options).headers.get("Strict-Transport-Security")
        )

    direct = make_app()
    assert hsts(direct) is None
    assert hsts(direct, base_url="https://toolkit.test") == HSTS
    # Without a trusted proxy, anyone could send the header: it means nothing.
    assert hsts(direct, headers={"X-Forwarded-Proto": "https"}) is None

    proxied = make_app(TRUSTED_PROXIES=1)
    assert hsts(proxied, headers={"X-Forwarded-Proto": "https"}) == HSTS
    assert hsts(proxied, headers={"X-Forwarded-Proto": "http"}) is None


# -- the request log: no secret, a request id for every request ----------------------------------


def logged(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "toolkit.requests"]


def test_the_request_log_names_the_user_by_number_alone(client, login, make_user, caplog):
    user = make_user("network")
    login(client, user)
    key, token = user.session_key, user.session_token
    with caplog.at_level(logging.INFO, logger="toolkit.requests"):
        assert client.get("/").status_code == 200
    (record,) = logged(caplog)
    assert record.fields["user_id"] == user.id and isinstance(record.fields["user_id"], int)
    line = JsonFormatter().format(record)
    assert key not in line and token not in line


def test_every_request_gets_a_request_id_even_a_refused_one(make_app, caplog):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="toolkit.requests"):
        refused = client.post("/auth/login", data={"email": "a@example.org", "password": "x"})
        missing = client.get("/no-such-page")
        traced = client.post("/auth/login", headers={"X-Request-ID": "proxy-42"})
    assert [refused.status_code, missing.status_code, traced.status_code] == [400, 404, 400]
    assert b"This form has expired" in refused.data
    records = logged(caplog)
    assert [r.fields["status"] for r in records] == [400, 404, 400]
    for response, record in zip((refused, missing, traced), records, strict=True):
        assert response.headers["X-Request-ID"] == record.fields["request_id"]
        assert record.fields["duration_ms"] is not None
    assert len(refused.headers["X-Request-ID"]) == 32
    assert traced.headers["X-Request-ID"] == "proxy-42"
