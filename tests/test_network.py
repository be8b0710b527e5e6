"""Comparing cities: the dashboard's heatmap, its filters and sorting, cohort statistics (never
for fewer than five cities) and the CSV export, through the real app and database."""

import csv
import io
import re
import statistics

import pytest

# One question per area of asus-quick: a level 0-3 there gives the area 0, 33.3, 66.7 or 100.
ONE_PER_AREA = (
    "cs_participation",
    "hw_primary_care",
    "se_drr_plan",
    "qe_ghg_inventory",
    "bi_land_use_plan",
    "ii_led_strategy",
)


@pytest.fixture
def network(make_city, make_user, make_assessment, db):
    """Seven cities: six approved 2026 assessments with security levels 0..3, one draft."""
    cities = [
        ("da-nang", "VN", "Da Nang", 1_200_000, ["coastal"], 3),
        ("hue", "VN", "Hue", 650_000, ["riverine"], 2),
        ("surabaya", "ID", "Surabaya", 2_900_000, ["coastal"], 2),
        ("makassar", "ID", "Makassar", 1_500_000, ["coastal"], 1),
        ("cebu", "PH", "Cebu", 960_000, ["coastal", "island"], 0),
        ("iloilo", "PH", '=HYPERLINK("http://x")', 450_000, ["coastal"], 1),
    ]
    for slug, country, name, population, tags, level in cities:
        city = make_city(slug, country, name=name, population=population, tags=tags)
        answers = {qid: 2 for qid in ONE_PER_AREA} | {"se_drr_plan": level}
        make_assessment(city, answers=answers, status="approved")
    draft_city = make_city("vientiane", "LA", name="Vientiane", population=950_000)
    make_assessment(draft_city, answers={"se_drr_plan": 3})
    network_user = make_user("network")
    db.session.commit()
    return network_user


def rows_of(page: str) -> list[str]:
    """The city names of the heatmap, in order."""
    body = page[page.index('<table class="heatmap">') :].split("</table>")[0]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', body)


def test_the_dashboard_shows_approved_assessments_sorted_and_filtered(client, login, network):
    login(client, network)
    page = client.get("/network/").data.decode()
    assert "6 cities, cycle 2026" in page and "Vientiane" not in rows_of(page)
    by_security = rows_of(client.get("/network/?sort=-security").data.decode())
    assert by_security[0] == "Da Nang" and by_security[-1] == "Cebu"
    assert rows_of(client.get("/network/?sort=security").data.decode())[0] == "Cebu"
    indonesia = rows_of(client.get("/network/?country=ID").data.decode())
    assert indonesia == ["Makassar", "Surabaya"]
    every_status = client.get("/network/?status=any").data.decode()
    assert "Vientiane" in rows_of(every_status) and "7 cities, cycle 2026" in every_status
    # Each cell shows its number; the colour band is only a class on it.
    assert '<td class="number heat heat-4">100.0</td>' in page
    bad = client.get("/network/?sort=password")
    assert bad.status_code == 400 and b"sort must be one of" in bad.data


def test_the_dashboard_defaults_to_the_latest_cycle_with_approved_assessments(
    client, app, login, network, make_assessment, db
):
    """One city's draft for next year must not empty everyone's dashboard ("0 cities")."""
    from test_api import bearer, create_token

    from toolkit.cities.models import City

    hue = db.session.execute(db.select(City).filter_by(slug="hue")).scalar_one()
    make_assessment(hue, cycle=2027, answers={"se_drr_plan": 1})
    make_assessment(hue, "asus-detailed", cycle=2028, status="approved")
    db.session.commit()
    login(client, network)
    page = client.get("/network/").data.decode()
    assert "6 cities, cycle 2026" in page and '<option value="2027">2027</option>' in page
    drafts = client.get("/network/?cycle=2027&status=any").data.decode()
    assert rows_of(drafts) == ["Hue"] and "1 city, cycle 2027" in drafts
    detailed = client.get("/network/?questionnaire=asus-detailed").data.decode()
    assert rows_of(detailed) == ["Hue"] and "1 city, cycle 2028" in detailed
    export = client.get("/network/export/area-scores.csv")
    assert export.headers["Content-Disposition"].endswith('"area-scores-asus-quick-2026.csv"')

    api = app.test_client()
    compared = api.get("/api/v1/compare", headers=bearer(create_token(client, login, network)))
    assert compared.get_json()["cycle"] == 2026 and len(compared.get_json()["rows"]) == 6


def test_statistics_need_five_cities_and_follow_the_cohort(client, login, network, db):
    from toolkit.network.models import Cohort

    login(client, network)
    page = client.get("/network/").data.decode()
    security = page[page.index('<th scope="row">Security</th>') :].split("</tr>")[0]
    cells = re.findall(r'<td class="number">([^<]+)</td>', security)
    values = [0.0, 33.3333, 66.6667, 66.6667, 33.3333, 100.0]
    lower, median, upper = statistics.quantiles(values, n=4, method="inclusive")
    assert cells == ["6", "0.0", f"{lower:.1f}", f"{median:.1f}", f"{upper:.1f}", "100.0"]

    islands = Cohort(name="Island cities", tags=["island"])
    big_coastal = Cohort(name="Big coastal", tags=["coastal"], population_min=900_000)
    db.session.add_all([islands, big_coastal])
    db.session.commit()
    few = client.get(f"/network/?cohort={islands.id}").data.decode()
    assert rows_of(few) == ["Cebu"]
    assert (
        few.count("Too few cities to compare.") == 6
        and "0.0</td>" not in few.split("Spread of the area scores")[1]
    )
    coastal = rows_of(client.get(f"/network/?cohort={big_coastal.id}").data.decode())
    assert coastal == ["Cebu", "Da Nang", "Makassar", "Surabaya"]
    cohorts = client.get("/network/cohorts").data.decode()
    assert "4 cities: Cebu, Da Nang, Makassar, Surabaya" in cohorts
    assert "too few to compare" in cohorts


def test_an_administrator_defines_a_cohort(client, login, network, make_user, db):
    from toolkit.network.models import Cohort

    login(client, make_user("admin"))
    refused = client.post(
        "/network/cohorts/new",
        data={"name": "Mid-size", "population_min": "900000", "population_max": "500000"},
    )
    assert refused.status_code == 400 and b"The upper bound is below the lower one." in refused.data
    saved = client.post(
        "/network/cohorts/new",
        data={
            "name": "Mid-size coastal",
            "countries": ["VN", "ID", "PH"],
            "population_min": "500000",
            "population_max": "2000000",
            "tags": ["coastal"],
        },
    )
    assert saved.status_code == 302
    cohort = db.session.execute(db.select(Cohort)).scalar_one()
    assert cohort.countries == ["VN", "ID", "PH"] and cohort.tags == ["coastal"]
    page = client.get("/network/cohorts").data.decode()
    assert "3 cities: Cebu, Da Nang, Makassar" in page
    again = client.post("/network/cohorts/new", data={"name": "Mid-size coastal"})
    assert again.status_code == 400 and b"Another cohort has this name." in again.data


def read_csv(response) -> list[dict]:
    """The rows of a CSV download as dicts; the file starts with a UTF-8 byte order mark."""
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_csv_export_follows_the_filter_streams_and_defuses_formulas(client, login, network):
    login(client, network)
    response = client.get("/network/export/area-scores.csv?country=PH&sort=-overall")
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="area-scores-asus-quick-2026-country-ph.csv"'
    )
    rows = read_csv(response)
    assert list(rows[0])[:11] == [
        "assessment_id", "city", "city_slug", "country", "country_code", "questionnaire",
        "version", "cycle", "status", "overall", "completeness",
    ]  # fmt: skip
    assert [r["city"] for r in rows] == ['\'=HYPERLINK("http://x")', "Cebu"]
    cebu = rows[1]
    assert (cebu["city_slug"], cebu["country_code"], cebu["version"]) == ("cebu", "PH", "2026.2")
    assert (cebu["cycle"], cebu["status"], cebu["security"]) == ("2026", "approved", "0.0")


def test_the_answers_export_is_long_format_and_defuses_formulas(client, login, network, db):
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.assessments.models import Assessment
    from toolkit.cities.models import City

    cebu = db.session.execute(
        db.select(Assessment).join(City).where(City.slug == "cebu")
    ).scalar_one()
    save_answers(
        cebu,
        {
            "cs_informal_settlements": AnswerInput(
                not_applicable=True, reason="No informal settlements"
            ),
            "hw_primary_care": AnswerInput(value=2, comment="=cmd|' /C calc'!A0"),
        },
        None,
    )
    db.session.commit()
    login(client, network)
    response = client.get("/network/export/answers.csv?country=PH")
    assert response.is_streamed
    rows = read_csv(response)
    assert list(rows[0]) == [
        "assessment_id", "city", "city_slug", "country", "country_code", "questionnaire",
        "version", "cycle", "status", "area", "sub_area", "question_id", "question", "value",
        "unit", "score_fraction", "not_applicable", "reason", "comment", "data_year",
        "data_source", "carried_over",
    ]  # fmt: skip
    cebu_rows = {r["question_id"]: r for r in rows if r["city"] == "Cebu"}
    assert len(cebu_rows) == 7  # six answered questions and the one marked N/A
    care = cebu_rows["hw_primary_care"]
    assert care["area"] == "Health and Well-being"
    assert care["sub_area"] == "Primary health care and disease surveillance"
    assert (care["value"], care["unit"], care["score_fraction"]) == ("2", "level 0-3", "0.6667")
    assert care["not_applicable"] == "no" and care["comment"] == "'=cmd|' /C calc'!A0"
    na = cebu_rows["cs_informal_settlements"]
    assert [na[k] for k in ("value", "score_fraction", "not_applicable", "reason")] == [
        "", "", "yes", "No informal settlements",
    ]  # fmt: skip
    assert {r["city"] for r in rows} == {"Cebu", '\'=HYPERLINK("http://x")'}


def test_a_city_against_its_cohort_without_naming_other_cities(
    client, login, network, make_user, db
):
    from toolkit.cities.models import City
    from toolkit.network.models import Cohort

    db.session.add(Cohort(name="Coastal cities", tags=["coastal"]))
    db.session.commit()
    login(client, network)
    page = client.get("/network/cities/da-nang").data.decode()
    assert "Compared with the approved assessments of the cohort Coastal cities" in page
    security = page[page.index('<th scope="row">Security</th>') :].split("</tr>")[0]
    # Da Nang 100; the five coastal cities' security: 0, 33.3, 33.3, 66.7, 100 -> median 33.3.
    assert re.findall(r'<td class="number">([^<]+)</td>', security) == [
        "100.0",
        "33.3",
        "33.3–66.7",
        "5",
    ]
    assert "Security: 66.7 points above the median." in page
    assert "radar-band" in page and "Cohort median" in page

    lead = make_user(
        "city_lead", db.session.execute(db.select(City).filter_by(slug="da-nang")).scalar_one()
    )
    login(client, lead)
    own = client.get("/network/cities/da-nang").data.decode()
    assert "33.3" in own and "Middle half of the cohort" not in own and "radar-band" not in own
    for other in ("Surabaya", "Makassar", "Cebu", "Hue", "HYPERLINK"):
        assert other not in own
    assert client.get("/network/cities/surabaya").status_code == 404

    islands = Cohort(name="Island cities", tags=["island"])
    db.session.add(islands)
    db.session.commit()
    login(client, network)
    few = client.get(f"/network/cities/cebu?cohort={islands.id}").data.decode()
    assert "Too few cities of the cohort Island cities" in few


def test_up_to_five_cities_side_by_side(client, login, network):
    login(client, network)
    page = client.get(
        "/network/compare?city=da-nang&city=cebu&city=surabaya&city=nowhere"
    ).data.decode()
    assert page.count("radar-series radar-") >= 3 and "radar-second" in page
    header = page[page.index("<thead>") : page.index("</thead>")]
    assert [n for n in ("Da Nang", "Cebu", "Surabaya") if n in header] == [
        "Da Nang",
        "Cebu",
        "Surabaya",
    ]
    security = page[page.index('<th scope="row">Security</th>') :].split("</tr>")[0]
    assert re.findall(r"<strong>([^<]+)</strong>", security) == ["100.0", "0.0", "66.7"]
    assert "Disaster risk reduction and climate adaptation" in page  # a sub-area row
    assert "No assessment of this questionnaire and cycle for: nowhere." in page
    too_many = client.get("/network/compare?" + "&".join(f"city=c{i}" for i in range(6)))
    assert too_many.status_code == 400 and b"Compare at most 5 cities at a time." in too_many.data
    dashboard = client.get("/network/").data.decode()
    assert '<input type="checkbox" name="city" value="da-nang"' in dashboard


def test_the_xlsx_exports_explain_every_column_and_keep_formulas_as_text(client, login, network):
    from openpyxl import load_workbook

    login(client, network)
    response = client.get("/network/export/area-scores.xlsx?country=PH")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="area-scores-asus-quick-2026-country-ph.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.data))
    data = list(book["data"].iter_rows(values_only=True))
    assert data[0][:3] == ("assessment_id", "city", "city_slug")
    assert {row[1] for row in data[1:]} == {"Cebu", '\'=HYPERLINK("http://x")'}
    assert book["data"]["B2"].data_type == "s" and book["data"]["B3"].data_type == "s"
    readme = {row[0]: row[1:] for row in book["README"].iter_rows(values_only=True) if row}
    assert readme["completeness"][0].startswith("Share of the questions that apply")
    assert all(readme[column][0] for column in data[0])
    answers = load_workbook(io.BytesIO(client.get("/network/export/answers.xlsx").data))
    header = next(answers["data"].iter_rows(values_only=True))
    assert header[:3] == ("assessment_id", "city", "city_slug") and "score_fraction" in header


def test_the_network_pdf_prints_the_selection(client, login, network):
    import subprocess

    from pypdf import PdfReader

    login(client, network)
    response = client.get("/network/report.pdf?country=PH")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="asus-network-asus-quick-2026-country-ph.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == "ASUS network comparison: ASUS quick screening 2026"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] == True  # noqa: E712
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Selection: Approved, PH. 2 cities." in text
    assert "Cebu" in text and "=HYPERLINK" in text and "Da Nang" not in text
    assert "Too few cities to compare." in text
