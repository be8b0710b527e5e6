"""Bad input never gives a 500: NUL bytes, ids beyond the database's integers, numbers that
are not finite, files sent into text fields, bodies too large, a commit the database refuses.

Each gets a clear 400/404/413 in the route's own format: a page of the site, JSON for the
autosave (it asks for application/json), problem details under /api/.
"""

import io
import re
from functools import partial
from hashlib import sha256
from urllib.parse import quote, urlencode

import pytest

from toolkit.actions.models import Action
from toolkit.api.models import ApiToken
from toolkit.assessments.models import Answer
from toolkit.evidence import service as evidence
from toolkit.jobs.models import Job
from toolkit.network.models import Cohort

JSON = {"Accept": "application/json"}
PROBLEM = "application/problem+json"
NUMBER_QUESTION = "cs_women_senior_posts"  # a number question of asus-quick's civic_social area
TEN_MB = b"comment=" + b"x" * (10 * 1024 * 1024)

# Put into every URL argument, one argument at a time (the others keep their real values).
HOSTILE_SEGMENTS = [
    "%00",
    "da%00nang",
    "2147483648",
    "99999999999999999999",
    "-1",
    "0",
    quote("Đà Nẵng ✓ \u202e ไทย"),
    "x" * 3000,
]
# ("nan" and "inf" are sent to the number answer in their own test.)
HOSTILE_VALUES = ["a\x00b", "99999999999999999999", "1e309", "²", "ไทย" * 100]
# Query parameters the pages and the API read, besides the names found in their forms.
QUERY_NAMES = ["next", "page", "per_page", "paper", "role", "city", "cycle", "cohort", "country"]


@pytest.fixture
def world(db, make_city, make_user, make_assessment):
    """Da Nang with a draft assessment (answered in part), its people, a cohort, an API token,
    a job; the real ids every URL argument gets when it is not the hostile one."""
    city = make_city("da-nang")
    make_city("cebu", "PH")
    assessment = make_assessment(city, answers={"se_drr_plan": 1, NUMBER_QUESTION: 20})
    users = {
        "admin": make_user("admin"),
        "network": make_user("network"),
        "lead": make_user("city_lead", city),
    }
    editor = make_user("city_editor", city)
    cohort = Cohort(name="Coastal", countries=["VN"])
    token = ApiToken(user_id=users["lead"].id, name="script", token_hash="0" * 64)
    job = Job(id="a" * 32, kind="csv", title="Export", requested_by_id=users["admin"].id)
    action = Action(
        city_id=city.id, assessment=assessment, title="Plan", area_id="security", version=1
    )
    db.session.add_all([cohort, token, job, action])
    plan = evidence.check("plan.pdf", b"%PDF-1.4\n%%EOF\n")
    attached = evidence.attach(assessment, "se_drr_plan", [plan], users["lead"])
    db.session.commit()
    real = {
        "assessment_id": str(assessment.id),
        "user_id": str(editor.id),
        "cohort_id": str(cohort.id),
        "token_id": str(token.id),
        # No session, note or workbook upload of these ids: their routes answer 404 for the
        # real values too.
        "session_id": "1",
        "note_id": "1",
        "notification_id": "1",
        "upload_id": "1",
        "file_id": str(attached.files[0].id),
        "job_id": job.id,
        "action_id": str(action.id),
        "slug": "da-nang",
        "area_id": "civic_social",
        "question_id": NUMBER_QUESTION,
        "token": "not-a-real-link",
        "filename": "report.css",
        "name": "answers",
        "kind": "csv",
        "questionnaire_id": "asus-quick",
        "version": "2026.2",
    }
    return type("World", (), {"assessment": assessment, "users": users, "real": real})


# Actions that change who may do what come last, so that the other routes see the draft.
LAST = ("assessments.submit", "assessments.review", "assessments.reopen", "auth.logout")
LAST += ("people.deactivate", "api.revoke")


def rules(app):
    """The route table, the actions that change the assessment's state last."""
    found = [r for r in app.url_map.iter_rules()]
    return sorted(found, key=lambda r: (r.endpoint in LAST, r.rule))


def url_for_rule(rule, values: dict) -> str:
    """The rule's URL with each `<converter:name>` replaced by `values[name]` (raw text)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def field_names(client, app, real) -> set[str]:
    """Every form field name of every page, as the signed-in user sees them."""
    names = set()
    for rule in rules(app):
        if "GET" in rule.methods and rule.endpoint not in ("static", "report.static"):
            with client.get(url_for_rule(rule, real)) as page:
                if page.mimetype == "text/html":
                    names |= set(re.findall(r'\bname="([^"]+)"', page.get_data(as_text=True)))
    return names - {"csrf_token"}


def hostile_requests(app, real, fields):
    """(rule, method, url, keyword arguments of the test client's open, what is sent), for
    every rule."""
    fields = sorted(fields)
    for rule in rules(app):
        for name in rule.arguments:
            for segment in HOSTILE_SEGMENTS:
                url = url_for_rule(rule, {**real, name: segment})
                for method in methods(rule):
                    yield rule, method, url, {}, f"{name}={segment[:20]}"
        url = url_for_rule(rule, real)
        first = "GET" if "GET" in rule.methods else methods(rule)[0]
        for value in HOSTILE_VALUES:
            query = urlencode({n: value for n in [*QUERY_NAMES, *fields]})
            yield rule, first, f"{url}?{query}", {}, f"{value[:20]!r} in the query"
        yield rule, first, url + "?a%00=1", {}, "NUL in a query name"
        for method in methods(rule):
            if method == "GET":
                continue
            for value in ("a\x00b", "1e309"):
                data = {n: value for n in fields}
                yield rule, method, url, {"data": data}, f"{value!r} in every field"
            yield rule, method, url, {"files": fields}, "a file in every field"
            big = {"data": TEN_MB, "content_type": "application/x-www-form-urlencoded"}
            yield rule, method, url, big, "10 MB"


def faults(client, requests, sign_in=None) -> tuple[list[str], set]:
    """Each request that got a 5xx, or an API error that is not problem details, or an
    autosave error that is not JSON; and every (endpoint, status) seen. `sign_in` runs before
    each rule's requests (a rule may have signed the user out)."""
    found, seen, last = [], set(), None
    for rule, method, url, kwargs, sent in requests:
        if rule is not last and sign_in:
            sign_in()
        last = rule
        autosave = rule.endpoint == "assessments.save_answer"
        if "files" in kwargs:  # a fresh file per field and request: the test client reads them
            files = {n: (io.BytesIO(b"not text"), "answers.txt") for n in kwargs["files"]}
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        response = client.open(url, method=method, headers=JSON if autosave else {}, **kwargs)
        response.close()
        status, mimetype = response.status_code, response.mimetype
        seen.add((rule.endpoint, status))
        expected = PROBLEM if url.startswith("/api/") else "application/json" if autosave else None
        if status >= 500 or (status >= 400 and expected not in (None, mimetype)):
            found.append(f"{method} {rule.rule} ({sent}): {status} {mimetype}")
    return found, seen


def test_hostile_input_to_every_route_never_gives_a_server_error(app, world, login):
    fields = set()
    for role in ("admin", "lead"):
        client = app.test_client()
        login(client, world.users[role])
        fields |= field_names(client, app, world.real)
    assert f"{NUMBER_QUESTION}__value" in fields and "email" in fields  # the forms were found

    requests = list(hostile_requests(app, world.real, fields))
    found, seen = {}, {}
    for role in (None, "lead", "network", "admin"):
        client = app.test_client()
        user = world.users.get(role)
        found[role], seen[role] = faults(client, requests, user and partial(login, client, user))
    assert found == {None: [], "lead": [], "network": [], "admin": []}
    # The lead's requests reached the pages of the real assessment, not only its 404s.
    assert {("assessments.overview", 200), ("assessments.area", 200)} <= seen["lead"]


# -- each kind of bad input, in each route's own format ------------------------------------------


def answer_of(db, assessment, question_id):
    db.session.expire_all()
    return db.session.execute(
        db.select(Answer).filter_by(assessment_id=assessment.id, question_id=question_id)
    ).scalar_one()


def autosave(client, assessment, question_id, **fields):
    """POST one answer as answers.js does (form fields, Accept: application/json)."""
    data = {f"{question_id}__{name}": value for name, value in fields.items()}
    return client.post(
        f"/assessments/{assessment.id}/questions/{question_id}", data=data, headers=JSON
    )


def test_a_nul_byte_is_a_400_in_the_routes_format(app, client, world, login, db):
    page = client.post("/auth/login", data={"email": "lan\x00@example.org", "password": "x"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "null character (U+0000)" in page.get_data(as_text=True)
    assert client.get("/cities/da%00nang").status_code == 400

    problem = client.get("/api/v1/assessments?city=da%00nang")
    assert problem.status_code == 400 and problem.mimetype == PROBLEM
    assert "null character" in problem.get_json()["detail"]

    login(client, world.users["lead"])
    saved = autosave(client, world.assessment, "se_drr_plan", value="2", comment="a\x00b")
    assert saved.status_code == 400 and saved.get_json()["status"] == "error"
    assert "null character" in saved.get_json()["message"]
    answer = answer_of(db, world.assessment, "se_drr_plan")
    assert (answer.value, answer.comment) == (1, None)


def test_ids_beyond_the_database_integers_are_404_in_the_routes_format(
    app, client, world, login, db
):
    db.session.add(
        ApiToken(user_id=world.users["admin"].id, name="ci", token_hash=sha256(b"t0k").hexdigest())
    )
    login(client, world.users["admin"])
    for url in (
        "/assessments/2147483648",
        "/assessments/99999999999999999999/areas/civic_social",
        "/people/2147483648/edit",
        "/network/cohorts/2147483648/edit",
    ):
        page = client.get(url)
        assert page.status_code == 404 and page.mimetype == "text/html", url
    assert client.post("/account/api-tokens/2147483648/revoke").status_code == 404
    assert client.get(f"/assessments/{world.assessment.id}").status_code == 200  # still found
    api = app.test_client()
    for url in ("/api/v1/assessments/2147483648", "/api/v1/assessments/99999999999999999999"):
        problem = api.get(url, headers={"Authorization": "Bearer t0k"})
        assert problem.status_code == 404 and problem.mimetype == PROBLEM, url
    for query in ("page=99999999999999999999", "cycle=2147483648", "per_page=²"):
        problem = api.get(f"/api/v1/assessments?{query}", headers={"Authorization": "Bearer t0k"})
        assert problem.status_code == 400 and problem.mimetype == PROBLEM, query
    # A cohort id no database holds names no cohort: a 400 naming the filter (item 14).
    assert client.get("/network/?cohort=99999999999999999999&page=²").status_code == 400


@pytest.mark.parametrize("number", ["1e309", "-1e309", "nan", "inf", "-Infinity"])
def test_a_number_answer_that_is_not_finite_is_refused_and_never_stored(
    client, world, login, db, number
):
    login(client, world.users["lead"])
    version = answer_of(db, world.assessment, NUMBER_QUESTION).version
    saved = autosave(client, world.assessment, NUMBER_QUESTION, value=number, version=version)
    assert saved.status_code == 400 and saved.mimetype == "application/json"
    assert saved.get_json()["errors"] == {
        f"{NUMBER_QUESTION}__value": [
            f"Enter a number such as 42 or 3.5: {number} is too large or not a number."
        ]
    }
    area = f"/assessments/{world.assessment.id}/areas/civic_social"
    page = client.post(area, data={f"{NUMBER_QUESTION}__value": number})
    assert page.status_code == 400
    assert "is too large or not a number" in page.get_data(as_text=True)
    assert answer_of(db, world.assessment, NUMBER_QUESTION).value == 20


def test_a_file_sent_into_a_text_field_is_a_400(client, world, login, db):
    login(client, world.users["lead"])
    url = f"/assessments/{world.assessment.id}/questions/se_drr_plan"
    file = {"se_drr_plan__comment": (io.BytesIO(b"notes"), "notes.txt"), "se_drr_plan__value": "2"}
    saved = client.post(url, data=file, headers=JSON, content_type="multipart/form-data")
    assert saved.status_code == 400 and saved.get_json()["status"] == "error"
    assert "does not take files" in saved.get_json()["message"]
    file = {"name": (io.BytesIO(b"x"), "city.txt")}
    page = client.post("/cities/da-nang/edit", data=file, content_type="multipart/form-data")
    assert page.status_code == 400 and "does not take files" in page.get_data(as_text=True)
    assert answer_of(db, world.assessment, "se_drr_plan").value == 1


def test_a_body_larger_than_max_content_length_is_a_413_in_the_routes_format(
    app, client, world, login
):
    login(client, world.users["lead"])
    big = {"data": TEN_MB, "content_type": "application/x-www-form-urlencoded"}
    area = client.post(f"/assessments/{world.assessment.id}/areas/civic_social", **big)
    assert area.status_code == 413 and area.mimetype == "text/html"
    assert "larger than 6 MB" in area.get_data(as_text=True)
    url = f"/assessments/{world.assessment.id}/questions/se_drr_plan"
    saved = client.post(url, headers=JSON, **big)
    assert saved.status_code == 413 and saved.get_json()["status"] == "error"
    assert "larger than 6 MB" in saved.get_json()["message"]


def test_max_content_length_is_set_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("TOOLKIT_MAX_CONTENT_LENGTH", "1048576")
    app = make_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    with app.app_context():
        page = app.test_client().post("/auth/login", data={"email": "x" * 2 * 1024 * 1024})
    assert page.status_code == 413 and "larger than 1 MB" in page.get_data(as_text=True)


def test_the_largest_valid_form_fits_under_the_default_limit(app):
    """The review page of the detailed questionnaire, every note as long as allowed, in Thai
    (percent-encoded: 9 bytes a character)."""
    from toolkit.assessments.forms import MAX_TEXT
    from toolkit.core import instrument

    longest = "ไ" * MAX_TEXT
    questions = instrument.latest("asus-detailed").questions()
    form = {f"note__{q.id}": longest for q in questions} | {"comment": longest}
    assert len(urlencode(form)) < app.config["MAX_CONTENT_LENGTH"]


def test_csrf_refusals_are_400s_in_the_routes_format(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        page = client.post("/auth/login", data={"email": "x@example.org", "password": "x"})
        assert page.status_code == 400 and "This form has expired" in page.get_data(as_text=True)
        nul = client.post("/auth/login", data={"email": "x", "csrf_token": "a\x00b"})
        assert nul.status_code == 400
        url = f"/assessments/{world.assessment.id}/questions/se_drr_plan"
        saved = client.post(url, data={"se_drr_plan__value": "2"}, headers=JSON)
        # Nobody is signed in: the autosave is told so, in JSON (item 16).
        assert saved.status_code == 401 and saved.get_json()["status"] == "error"


@pytest.fixture
def refusing_commit(real_commits, db, database_url):
    """Make the database refuse, at COMMIT, any transaction that updates an area's score or
    an API token (its last use).

    PostgreSQL checks a deferred constraint trigger at COMMIT. SQLite has none; its trigger
    fires on the UPDATE of the score, which the session sends only when the request commits.
    Either needs a real COMMIT, and the triggers are made on a connection of their own.
    """
    tables = ("area_score", "api_token")
    if database_url.startswith("postgresql"):
        statements = [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            *(
                f"CREATE CONSTRAINT TRIGGER refuse AFTER UPDATE ON {table} DEFERRABLE"
                " INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()"
                for table in tables
            ),
        ]
        undo = [*(f"DROP TRIGGER refuse ON {table}" for table in tables), "DROP FUNCTION refuse()"]
    else:
        statements = [
            f"CREATE TRIGGER refuse_{table} BEFORE UPDATE ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            for table in tables
        ]
        undo = [f"DROP TRIGGER refuse_{table}" for table in tables]
    db.session.commit()
    with db.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    yield
    db.session.rollback()
    with db.engine.begin() as connection:
        for statement in undo:
            connection.exec_driver_sql(statement)


def test_a_save_whose_commit_fails_answers_in_the_routes_format_and_loses_nothing(
    app, client, world, login, db, refusing_commit, caplog
):
    login(client, world.users["lead"])
    saved = autosave(client, world.assessment, "se_drr_plan", value="3", version="1")
    assert saved.status_code == 500 and saved.mimetype == "application/json"
    assert saved.get_json()["status"] == "error"
    assert "Nothing saved before is lost" in saved.get_json()["message"]
    assert "Content-Security-Policy" in saved.headers
    assert "The commit failed" in caplog.text and "disk full" in caplog.text

    area = f"/assessments/{world.assessment.id}/areas/civic_social"
    page = client.post(area, data={f"{NUMBER_QUESTION}__value": "30"})
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Something went wrong" in page.get_data(as_text=True)

    db.session.add(
        ApiToken(user_id=world.users["admin"].id, name="ci", token_hash=sha256(b"t0k").hexdigest())
    )
    db.session.commit()
    problem = app.test_client().get("/api/v1/cities", headers={"Authorization": "Bearer t0k"})
    assert problem.status_code == 500 and problem.mimetype == PROBLEM

    # Rolled back: the answers saved before stay as they were, and the session works again.
    assert answer_of(db, world.assessment, "se_drr_plan").value == 1
    assert answer_of(db, world.assessment, NUMBER_QUESTION).value == 20
    assert client.get(f"/assessments/{world.assessment.id}").status_code == 200
