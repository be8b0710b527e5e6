"""Filters that match nothing say so, on pages, exports and the API alike. One rule:

- a value that is not valid (`cohort=abc`, `cycle=1e309`) or names nothing that exists (an
  unknown cohort id or questionnaire) is a 400 that names the filter and the value: an HTML page,
  or problem details on the API; never a 500, and never silently every city;
- a valid cycle without assessments is an empty result that says so: "No assessments in cycle
  2031." on the page, headers only in the export with the README saying it, and
  `nothing_found` in the API.
"""

import csv
import io

import pytest
from openpyxl import load_workbook

BAD_FILTERS = [
    ("cohort=999", "Unknown cohort: '999'."),
    ("cohort=abc", "cohort must be a cohort's number; got 'abc'."),
    ("cohort=99999999999", "cohort must be a cohort's number; got '99999999999'."),
    ("cycle=1e309", "cycle must be a year such as 2026; got '1e309'."),
    ("cycle=%C2%B2", "cycle must be a year such as 2026; got '²'."),
    ("cycle=20260", "cycle must be a year such as 2026; got '20260'."),
    ("questionnaire=asus-long", "Unknown questionnaire: 'asus-long'."),
]
PAGES = [
    "/network/",
    "/network/export/area-scores.csv",
    "/network/export/area-scores.xlsx",
    "/network/export/answers.csv",
    "/network/export/answers.xlsx",
    "/network/report.pdf",
    "/network/compare?city=da-nang",
]


@pytest.fixture
def staff(make_city, make_user, make_assessment, db):
    """Da Nang and Cebu with approved 2026 assessments; a network user."""
    for slug, country in (("da-nang", "VN"), ("cebu", "PH")):
        make_assessment(make_city(slug, country), answers={"se_drr_plan": 2}, status="approved")
    user = make_user("network")
    db.session.commit()
    return user


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS, ids=[q for q, _ in BAD_FILTERS])
def test_a_bad_filter_is_a_400_naming_it_on_every_page_and_export(
    client, login, staff, query, message
):
    login(client, staff)
    for page in PAGES:
        url = f"{page}{'&' if '?' in page else '?'}{query}"
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "text/html", url
        assert message in response.data.decode().replace("&#39;", "'"), url
    zipped = client.post(f"/network/reports.zip?{query}")
    assert zipped.status_code == 400 and message in zipped.data.decode().replace("&#39;", "'")
    if not query.startswith("cycle"):  # a city's page has no cycle filter
        city = client.get(f"/network/cities/da-nang?{query}")
        assert city.status_code == 400 and message in city.data.decode().replace("&#39;", "'")


def test_a_cycle_without_assessments_is_an_empty_result_that_says_so(client, login, staff):
    login(client, staff)
    page = client.get("/network/?cycle=2031").data.decode()
    assert "0 cities, cycle 2031" in page and "No assessments in cycle 2031." in page
    assert '<option value="2031" selected>2031</option>' in page  # the form shows the choice
    returned = client.get("/network/?status=returned").data.decode()
    assert "No assessment in cycle 2026 matches these filters: status returned." in returned

    scores = client.get("/network/export/area-scores.csv?cycle=2031")
    assert scores.status_code == 200
    assert scores.headers["Content-Disposition"].endswith('"area-scores-asus-quick-2031.csv"')
    rows = list(csv.reader(io.StringIO(scores.data.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][:2] == ["assessment_id", "city"]

    response = client.get("/network/export/answers.xlsx?cycle=2031")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert [row[1] for row in book["data"].iter_rows(values_only=True)] == ["city"]
    readme = {row[0]: row[1] for row in book["README"].iter_rows(values_only=True) if row[0]}
    assert readme["cycle"] == "2031" and readme["assessments"] == 0
    assert readme["nothing found"] == "No assessments in cycle 2031."


def test_the_api_answers_bad_filters_with_problem_details_and_empty_cycles_with_a_note(
    app, login, staff
):
    from test_api import bearer, create_token

    token = create_token(app.test_client(), login, staff)
    api = app.test_client()
    for query, message in BAD_FILTERS:
        for path in ("/api/v1/compare", "/api/v1/assessments"):
            if path.endswith("assessments") and query.startswith("cohort"):
                continue  # the list of assessments has no cohort filter
            response = api.get(f"{path}?{query}", headers=bearer(token))
            assert response.status_code == 400, (path, query)
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["detail"].startswith(message), (path, query)

    empty = api.get("/api/v1/compare?cycle=2031", headers=bearer(token)).get_json()
    assert empty["cycle"] == 2031 and empty["rows"] == []
    assert empty["nothing_found"] == "No assessments in cycle 2031."
    full = api.get("/api/v1/compare?country=vn", headers=bearer(token)).get_json()
    assert [row["city_slug"] for row in full["rows"]] == ["da-nang"]
    assert full["nothing_found"] is None and full["country"] == "VN"
    listed = api.get("/api/v1/assessments?cycle=2031", headers=bearer(token)).get_json()
    assert listed["items"] == [] and listed["total"] == 0
