"""Exports that load cleanly into a spreadsheet or Power BI: numbers as numbers, blanks as blank
cells, the header frozen with an autofilter, the version as text, a README sheet with every
column's unit and the selection, a UTF-8 byte order mark on CSV, and file names that carry the
filter; through the real app and database."""

import csv
import io

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from toolkit.core.models import utcnow
from toolkit.jobs.models import Job
from toolkit.network.models import Cohort

DA_NANG, BANGKOK = "Đà Nẵng", "กรุงเทพมหานคร"


@pytest.fixture
def exported(make_city, make_user, make_assessment, db):
    """Da Nang and Bangkok, coastal, with approved 2026 assessments that leave most areas
    without a score; Hue (not coastal) too; a cohort of coastal cities; a network user."""
    da_nang = make_city("da-nang", "VN", name=DA_NANG, tags=["coastal"])
    bangkok = make_city("bangkok", "TH", name=BANGKOK, tags=["coastal"])
    hue = make_city("hue", "VN", name="Huế", tags=["riverine"])
    answers = {"se_drr_plan": 3, "cs_women_senior_posts": 37.5}
    assessments = {
        city.slug: make_assessment(city, answers=answers, status="approved")
        for city in (da_nang, bangkok, hue)
    }
    cohort = Cohort(name="Coastal", tags=["coastal"])
    db.session.add(cohort)
    staff = make_user("network")
    db.session.commit()
    return staff, cohort, assessments


def saved_as(response) -> tuple[str, str]:
    """The name a browser saves a download under (`filename*`, RFC 6266), and the ASCII one
    of `filename` for those that do not read it."""
    assert response.status_code == 200, response.data[:300]
    header = response.headers["Content-Disposition"]
    assert header.isascii() and header.startswith("attachment;")
    fallback = parse_options_header(header.split("; filename*=")[0])[1]["filename"]
    return parse_options_header(header)[1]["filename"], fallback


def workbook(response):
    assert response.status_code == 200, response.data[:300]
    return load_workbook(io.BytesIO(response.data))


def readme_of(book) -> dict:
    return {row[0]: row[1:] for row in book["README"].iter_rows(values_only=True) if row[0]}


def test_xlsx_area_scores_are_typed_blank_where_empty_frozen_and_filtered(client, login, exported):
    staff, cohort, assessments = exported
    login(client, staff)
    response = client.get(f"/network/export/area-scores.xlsx?cohort={cohort.id}&sort=-overall")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="area-scores-asus-quick-2026-cohort-coastal.xlsx"'
    )
    book = workbook(response)
    sheet = book["data"]
    header = [cell.value for cell in sheet[1]]
    assert header[:11] == [
        "assessment_id", "city", "city_slug", "country", "country_code", "questionnaire",
        "version", "cycle", "status", "overall", "completeness",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:Q{sheet.max_row}"
    rows = {row[2].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"da-nang", "bangkok"}  # Hue is not coastal
    bangkok = rows["bangkok"]
    assert bangkok["assessment_id"].value == assessments["bangkok"].id
    assert (bangkok["city"].value, bangkok["country_code"].value) == (BANGKOK, "TH")
    assert bangkok["version"].value == "2026.2" and bangkok["version"].data_type == "s"
    for number in ("assessment_id", "cycle", "overall", "completeness", "security"):
        assert bangkok[number].data_type == "n", number
        assert isinstance(bangkok[number].value, int | float), number
    assert bangkok["security"].value == 100.0 and 0 < bangkok["completeness"].value < 1
    # No score is a blank cell: no value at all, not an empty text.
    blank = bangkok["built_infrastructure"]
    assert blank.value is None and blank.data_type == "n"

    readme = readme_of(book)
    assert readme["column"] == ("meaning", "unit")
    assert readme["overall"] == (
        "Overall score: the weighted mean of the scored areas (blank: none).",
        "points, 0 to 100",
    )
    assert readme["completeness"][1] == "share, 0 to 1"
    assert all(readme[column][0] for column in header)
    assert readme["questionnaire"][0] == "asus-quick (ASUS quick screening)"
    assert readme["cycle"][0] == "2026" and readme["country"][0] == "all countries"
    assert readme["cohort"][0] == f"Coastal (id {cohort.id})"
    assert readme["status"][0] == "approved" and readme["order"][:2] == ("overall", "descending")
    assert readme["assessments"][0] == 2 and "nothing found" not in readme
    assert "apostrophe (')" in readme["formulas"][0] and "=, +, -, @" in readme["formulas"][0]


def test_xlsx_answers_carry_units_and_numbers(client, login, exported, db):
    from toolkit.assessments.answering import AnswerInput, save_answers

    staff, cohort, assessments = exported
    source = "=HYPERLINK() Cục Thống kê Đà Nẵng, Niên giám 2025"
    figure = AnswerInput(value=37.5, data_year=2024, data_source=source)
    save_answers(assessments["da-nang"], {"cs_women_senior_posts": figure}, None)
    db.session.commit()
    login(client, staff)
    response = client.get(f"/network/export/answers.xlsx?cohort={cohort.id}&country=VN")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="answers-asus-quick-2026-country-vn-cohort-coastal.xlsx"'
    )
    book = workbook(response)
    sheet = book["data"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:V{sheet.max_row}"
    assert header[-3:] == ["data_year", "data_source", "carried_over"]
    rows = {row[11].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)}
    assert {row["city"].value for row in rows.values()} == {DA_NANG}
    women = rows["cs_women_senior_posts"]
    assert (women["value"].value, women["value"].data_type) == (37.5, "n")
    assert women["unit"].value == "%" and women["score_fraction"].data_type == "n"
    assert (women["data_year"].value, women["data_year"].data_type) == (2024, "n")
    assert women["data_source"].value == "'" + source  # a formula stays text
    assert women["carried_over"].value == "no"
    assert women["version"].value == "2026.2" and women["version"].data_type == "s"
    plan = rows["se_drr_plan"]
    assert (plan["value"].value, plan["unit"].value, plan["score_fraction"].value) == (
        3,
        "level 0-3",
        1.0,
    )
    assert plan["comment"].value is None and plan["reason"].value is None
    assert plan["not_applicable"].value == "no"
    assert plan["data_year"].value is None and plan["data_source"].value is None
    readme = readme_of(book)
    assert readme["data_year"] == (
        "Number answers: the year the figure describes (blank: not given).",
        "year",
    )
    assert readme["data_source"][0].startswith("Number answers: the publication or office")
    assert readme["carried_over"][0].startswith("yes when the answer was copied")
    assert readme["unit"][0].startswith("The unit of the answer")
    assert readme["country"][0] == "VN" and readme["cohort"][0] == f"Coastal (id {cohort.id})"


def test_csv_starts_with_a_bom_and_keeps_thai_and_vietnamese_names(client, login, exported):
    staff, _, assessments = exported
    login(client, staff)
    scores = client.get("/network/export/area-scores.csv?status=any")
    assert scores.headers["Content-Disposition"] == (
        'attachment; filename="area-scores-asus-quick-2026-status-any.csv"'
    )
    assert scores.mimetype == "text/csv" and scores.mimetype_params["charset"] == "utf-8"
    assert scores.data.startswith(b"\xef\xbb\xbfassessment_id,city,city_slug,country,")
    rows = list(csv.DictReader(io.StringIO(scores.data.decode("utf-8-sig"))))
    by_slug = {row["city_slug"]: row for row in rows}
    assert by_slug["da-nang"]["city"] == DA_NANG and by_slug["bangkok"]["city"] == BANGKOK
    assert by_slug["hue"]["city"] == "Huế" and by_slug["bangkok"]["country_code"] == "TH"
    assert by_slug["bangkok"]["assessment_id"] == str(assessments["bangkok"].id)
    assert by_slug["bangkok"]["version"] == "2026.2"
    assert by_slug["bangkok"]["built_infrastructure"] == ""

    answers = client.get("/network/export/answers.csv?country=TH")
    assert answers.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answers.data.decode("utf-8-sig"))))
    women = next(row for row in rows if row["question_id"] == "cs_women_senior_posts")
    assert (women["city"], women["value"], women["unit"]) == (BANGKOK, "37.5", "%")

    book = workbook(client.get("/network/export/area-scores.xlsx?country=TH"))
    assert book["data"]["B2"].value == BANGKOK


# The export runs in a thread of its own, on a connection of its own.
@pytest.mark.usefixtures("real_commits")
def test_a_large_export_made_in_the_background_is_the_same_file(make_app, login, exported):
    from test_jobs import wait_for

    staff, cohort, _ = exported
    app = make_app(EXPORT_JOB_ROWS=0)
    with app.app_context():
        client = app.test_client()
        login(client, staff)
        started = client.get(f"/network/export/area-scores.csv?cohort={cohort.id}")
        assert started.status_code == 303
        state = wait_for(client, started.headers["Location"])
        assert state["status"] == "finished", state
        download = client.get(state["download"])
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="area-scores-asus-quick-2026-cohort-coastal.csv"'
    )
    assert download.data.startswith(b"\xef\xbb\xbfassessment_id,")
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert {row["city"] for row in rows} == {DA_NANG, BANGKOK}


@pytest.mark.parametrize(
    "name, fallback",
    [
        ("รายงาน กรุงเทพมหานคร.csv", "_" * 6 + " " + "_" * 13 + ".csv"),
        ('the "coast".csv', "the 'coast'.csv"),
    ],
)
def test_a_download_named_in_thai_or_with_a_quote_keeps_its_name(
    client, login, exported, db, name, fallback
):
    staff = exported[0]
    job = Job(id="named", kind="export", title="Export", requested_by_id=staff.id)
    job.status, job.finished_at = "finished", utcnow()
    job.result_name, job.result_type, job.result = name, "text/csv", b"a,b\r\n"
    db.session.add(job)
    db.session.commit()
    login(client, staff)
    assert saved_as(client.get("/jobs/named/download")) == (name, fallback)
