"""The JSON API: tokens people create and revoke, the access rules through tokens, problem
details for every error, and a schemathesis run against the OpenAPI document."""

import hashlib
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from toolkit.api.models import ApiToken
from toolkit.assessments.answering import AnswerInput, save_answers


@pytest.fixture
def world(make_city, make_user, make_assessment, db):
    """Two cities with approved assessments, their people and a network user."""
    da_nang, cebu = make_city("da-nang", name="Da Nang"), make_city("cebu", "PH", name="Cebu")
    own = make_assessment(da_nang, answers={"se_drr_plan": 3}, status="approved")
    figure = AnswerInput(value=37.5, data_year=2024, data_source="Da Nang in Figures 2025")
    save_answers(own, {"cs_women_senior_posts": figure}, None)
    other = make_assessment(cebu, answers={"se_drr_plan": 1}, status="approved")
    people = {
        "editor": make_user("city_editor", da_nang),
        "network": make_user("network"),
    }
    db.session.commit()
    return people, own, other


def create_token(client, login, user) -> str:
    """Create a token on the tokens page, as a person does, and read it off the page."""
    login(client, user)
    page = client.post("/account/api-tokens", data={"name": "Dashboard"}).data.decode()
    return re.search(r'<code class="token">([^<]+)</code>', page).group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_kept_hashed_and_stops_working_when_revoked(app, login, world, db):
    people, own, _ = world
    page_client, api = app.test_client(), app.test_client()
    token = create_token(page_client, login, people["editor"])
    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in page_client.get("/account/api-tokens").data.decode()

    response = api.get(f"/api/v1/assessments/{own.id}", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["city"] == "da-nang" and body["areas"]["security"] == 100.0
    assert body["scorecard"]["overall"] is not None

    page_client.post(f"/account/api-tokens/{stored.id}/revoke")
    refused = api.get("/api/v1/cities", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["status"] == 401 and "Bearer" in problem["detail"]
    assert api.get("/api/v1/cities", headers=bearer("made-up")).status_code == 401


def test_an_assessment_gives_its_answers_with_the_year_and_source_of_each_figure(app, login, world):
    people, own, _ = world
    token = create_token(app.test_client(), login, people["editor"])
    body = app.test_client().get(f"/api/v1/assessments/{own.id}", headers=bearer(token))
    answers = body.get_json()["answers"]
    assert [a["question"] for a in answers] == ["cs_women_senior_posts", "se_drr_plan"]
    assert answers[0] == {
        "question": "cs_women_senior_posts",
        "value": 37.5,
        "not_applicable": False,
        "data_year": 2024,
        "data_source": "Da Nang in Figures 2025",
        "carried_over": False,
        "carried_over_from": None,
        "version": 1,
    }
    assert (answers[1]["value"], answers[1]["data_year"], answers[1]["data_source"]) == (
        3,
        None,
        None,
    )
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    described = document["components"]["schemas"]["Answer"]["properties"]
    assert {"data_year", "data_source", "carried_over"} <= described.keys()


def test_a_city_token_sees_only_its_city(app, login, world):
    people, own, other = world
    token = create_token(app.test_client(), login, people["editor"])
    api = app.test_client()
    cities = api.get("/api/v1/cities", headers=bearer(token)).get_json()["items"]
    assert [c["slug"] for c in cities] == ["da-nang"]
    listed = api.get("/api/v1/assessments", headers=bearer(token)).get_json()
    assert [a["id"] for a in listed["items"]] == [own.id] and listed["total"] == 1
    hidden = api.get(f"/api/v1/assessments/{other.id}", headers=bearer(token))
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    assert api.get("/api/v1/compare", headers=bearer(token)).status_code == 403


def test_network_tokens_list_filter_page_and_compare(app, login, world):
    people, _, _ = world
    token = create_token(app.test_client(), login, people["network"])
    api = app.test_client()
    page = api.get("/api/v1/assessments?per_page=1&page=2", headers=bearer(token)).get_json()
    assert page["total"] == 2 and [a["city"] for a in page["items"]] == ["da-nang"]
    philippines = api.get("/api/v1/assessments?country=ph", headers=bearer(token)).get_json()
    assert [a["city"] for a in philippines["items"]] == ["cebu"]
    compared = api.get("/api/v1/compare", headers=bearer(token)).get_json()
    assert compared["cycle"] == 2026 and len(compared["rows"]) == 2
    assert compared["statistics"]["security"] is None  # fewer than five cities
    bad = api.get("/api/v1/assessments?per_page=500", headers=bearer(token))
    assert bad.status_code == 400 and bad.get_json()["detail"] == "per_page is at most 100."


def test_the_api_keeps_to_its_openapi_document(app, make_app, login, world):
    """Requests generated from the OpenAPI document, for every operation: never a server
    error, every response (status, headers, body) as the document says, and nothing without a
    token. The requests go to an app of their own, each in a fresh context, as in production."""
    people, _, _ = world
    token = create_token(app.test_client(), login, people["network"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", make_app())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case):
            # A cohort id is well formed whether or not a cohort has it: an unknown one is the
            # documented 400, which this check would take for a valid request refused.
            compare = case.operation.path == "/api/v1/compare"
            excluded = [positive_data_acceptance] if compare else []
            case.call_and_validate(headers=bearer(token), excluded_checks=excluded)

        conforms()


@pytest.mark.parametrize("page", ["٣", "1" * 5000, "0", "1000001", "-1", "1.0"])
def test_a_page_number_is_ascii_digits_from_one(app, login, world, page):
    """page and per_page are read like the filters' numbers (toolkit.core.guards.whole_number):
    other digits (Arabic-Indic three) or thousands of them are the documented 400, not a page
    or a server error."""
    people, _, _ = world
    token = create_token(app.test_client(), login, people["network"])
    response = app.test_client().get(
        "/api/v1/assessments", query_string={"page": page}, headers=bearer(token)
    )
    assert response.status_code == 400
    assert response.get_json()["detail"] == "page must be a whole number from 1."
