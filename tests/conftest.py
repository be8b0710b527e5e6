"""Shared fixtures. `example_text` is the complete example of questionnaires/FORMAT.md."""

import itertools
import os
import re
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent


def format_example() -> str:
    """The YAML of the complete example in FORMAT.md (so the documentation stays true)."""
    text = (ROOT / "questionnaires" / "FORMAT.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if b.startswith("id: example"))


@pytest.fixture
def example_text() -> str:
    return format_example()


@pytest.fixture
def write_questionnaire(tmp_path):
    """Write YAML text to a file and return its path."""

    def write(text: str | bytes, name: str = "example.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


# -- the web app on SQLite and PostgreSQL --------------------------------------------------------


IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def service_missing(what: str) -> None:
    """Fail under CI=true (nothing may be skipped there); skip with the reason elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is not reachable, and CI must not skip it")
    pytest.skip(f"{what} is not reachable (under CI=true this fails)")


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    with new_postgres_database("toolkit_test") as url:
        yield url


@contextmanager
def new_postgres_database(prefix: str):
    """A new, empty database on the test server (TEST_DATABASE_URL), dropped on leaving."""
    server = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        service_missing(f"PostgreSQL at {server}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """The database every web-app test runs on: once on SQLite, once on PostgreSQL.

    Migrations (not create_all) build the schema, once per database.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    from flask_migrate import upgrade

    app = _make_app(url)
    with app.app_context():
        upgrade()
        from toolkit.core.extensions import db

        db.engine.dispose()
    return url


def _make_app(url, connection=None, **config):
    """The app under test; with a `connection`, it works on that connection alone."""
    from toolkit import create_app
    from toolkit.core.extensions import db

    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "toolkit.test",
        "SESSION_COOKIE_SECURE": False,
    }
    settings.update(config)
    if "REDIS_URL" not in config:
        settings["RATELIMIT_STORAGE_URI"] = "memory://"
    app = create_app(settings)
    app.test_client_class = FreshUserClient
    if connection is not None:
        with app.app_context():
            db.engines[None] = connection
    return app


class FreshUserClient(FlaskClient):
    """A test client that loads the signed-in user afresh for every request.

    Tests keep one app context (and so one `g`) pushed across requests, where production has
    one per request; without this, Flask-Login would reuse the user of the previous request,
    and Flask-Babel its language. Like a browser set to English, it asks for English pages
    unless a test sends its own Accept-Language.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def database_engine(database_url):
    """The engine of the rolled-back tests' connections, one per test database."""
    from toolkit.core.extensions import db

    # The app's commits on a connection already in a transaction become savepoints.
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    # Pinged as the app's are: a fault test terminates every connection to the database.
    engine = sa.create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _sqlite_savepoints(engine)
    yield engine
    engine.dispose()


def _sqlite_savepoints(engine) -> None:
    """pysqlite begins a transaction only before it writes, so a savepoint would become the
    outermost transaction and its release a commit: SQLAlchemy emits BEGIN itself instead
    (the recipe of SQLAlchemy's SQLite documentation)."""

    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


@pytest.fixture
def database_connection(database_engine):
    """The connection a rolled-back test works on, in a transaction rolled back after it.

    A module may override it to share data built once (see tests/test_access.py): each test
    then runs in a savepoint of the module's transaction.
    """
    with database_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def real_commits():
    """Ask for this (`@pytest.mark.usefixtures("real_commits")`) when other connections must see
    the test's commits: a server in a thread or process, a worker, a second session, a backup.

    Such a test commits for real, and its rows are deleted after it; every other test runs in a
    transaction that is rolled back.
    """


@pytest.fixture
def make_app(request, database_url, database_engine):
    """make_app(**config) -> an app on the test database, with extra configuration.

    Every app of a test works on the test's `database_connection`, so nothing it commits
    outlives the test; under `real_commits` the apps have their own engines and the rows are
    deleted after the test instead. Either way the tables are checked to be empty after it.

    On the one connection each session's transaction is a savepoint, and savepoints nest: a
    rollback of the test's own session after another app's request has committed undoes that
    commit too. Such a test asks for `real_commits`.
    """
    from toolkit.core.extensions import db

    committed = "real_commits" in request.fixturenames
    connection = None if committed else request.getfixturevalue("database_connection")
    apps = []

    def make(**config):
        app = _make_app(database_url, connection, **config)
        apps.append(app)
        return app

    yield make
    if committed:
        for app in apps[:1]:
            with app.app_context():
                db.session.remove()
                with db.engine.begin() as rows:
                    for table in reversed(db.metadata.sorted_tables):
                        rows.execute(table.delete())
        for app in apps:
            with app.app_context():
                db.engine.dispose()
    # Before the rollback, on a connection of its own: what it sees is committed.
    assert_no_rows(database_engine)


def assert_no_rows(engine) -> None:
    """Fail if any table has a row: a test left some behind for the next one."""
    from toolkit.core.extensions import db

    counts = [
        sa.select(sa.literal(table.name).label("name"), sa.func.count().label("rows")).select_from(
            table
        )
        for table in db.metadata.sorted_tables
    ]
    with engine.connect() as connection:
        found = connection.execute(sa.union_all(*counts)).all()
    left = {name: rows for name, rows in found if rows}
    assert not left, f"rows left behind by a test: {left}"


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    from toolkit.core.extensions import db

    return db


COUNTRIES = {"VN": "Viet Nam", "ID": "Indonesia", "PH": "Philippines", "TH": "Thailand"}
EMAIL_NUMBERS = itertools.count(1)


def add_city(slug="da-nang", country="VN", **fields):
    """A new city, flushed (its country is created if needed): what `make_city` makes, also
    for data built once per module."""
    from toolkit.cities.models import City, Country
    from toolkit.core.extensions import db

    found = db.session.execute(db.select(Country).filter_by(code=country)).scalar_one_or_none()
    found = found or Country(code=country, name=COUNTRIES.get(country, country))
    fields.setdefault("name", slug.replace("-", " ").title())
    fields.setdefault("population", 1_000_000)
    city = City(slug=slug, country=found, **fields)
    db.session.add(city)
    db.session.flush()
    return city


def add_user(role="city_editor", city=None, email=None, password=None, **fields):
    """A new user, flushed: what `make_user` makes, also for data built once per module."""
    from toolkit.accounts.models import User
    from toolkit.core.extensions import db

    user = User(
        email=email or f"{role}.{next(EMAIL_NUMBERS)}@example.org",
        name=fields.pop("name", role.replace("_", " ").title()),
        role=role,
        city=city,
        **fields,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def add_assessment(
    city, questionnaire_id="asus-quick", cycle=2026, answers=None, status="draft", by=None
):
    """A new assessment, flushed: what `make_assessment` makes, also for data built once per
    module."""
    from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
    from toolkit.core import instrument
    from toolkit.core.extensions import db

    assessment = create_assessment(city, instrument.latest(questionnaire_id), cycle, by)
    if answers:
        given = {qid: AnswerInput(value=value) for qid, value in answers.items()}
        save_answers(assessment, given, by)
    assessment.status = status
    db.session.flush()
    return assessment


@pytest.fixture
def make_city(db):
    """make_city(slug, country_code="VN", **fields) -> City (the country is created if needed)."""
    return add_city


@pytest.fixture
def make_user(db):
    """make_user(role, city=None, email=None, password=None) -> User.

    Without a password no slow hash is computed; sign such users in with `login`.
    """
    return add_user


@pytest.fixture
def make_assessment(db):
    """make_assessment(city, questionnaire_id, cycle, answers={question id: value}, status)."""
    return add_assessment


@pytest.fixture
def login(db):
    """login(client, user): sign in without a password round trip (that is tested in auth), on
    a real sign-in session of its own."""
    from toolkit.accounts.service import start_session

    def sign_in(client, user):
        start_session(user, "test client")
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    return sign_in


# -- a real browser: Debian's Chromium through Playwright ----------------------------------------

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
def live_server(real_commits, make_app, db, make_city, make_user, make_assessment):
    """Da Nang with one draft assessment, its lead and an editor, and a network user; served on
    127.0.0.1.

    Returns (base URL, {"lead": user, "editor": user, "network": user}). Runs on SQLite and on
    PostgreSQL. Rows a test commits later are seen by the server too.
    """
    city = make_city("da-nang", name="Da Nang")
    make_city("cebu", country="PH", name="Cebu")
    make_assessment(city, cycle=2026)
    users = {
        "lead": make_user("city_lead", city=city, password=PASSWORD, name="Lan Lead"),
        "editor": make_user("city_editor", city=city, password=PASSWORD, name="Eddy Editor"),
        "network": make_user("network", password=PASSWORD),
    }
    db.session.commit()  # the server's own app and connections must see the rows

    # A real host:port (not the test client's toolkit.test), and CSRF checked as in production.
    with serve(make_app(SERVER_NAME=None, WTF_CSRF_ENABLED=True)) as base:
        yield base, users


@contextmanager
def serve(app):
    """Serve `app` on 127.0.0.1 (a free port), a thread per request; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
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
