"""PDF reports: what a mayor receives. Rendered for real with WeasyPrint, read back with pypdf
and poppler's pdftotext; the renderer's URL fetcher is attacked from user text and from markup."""

import io
import logging
import shutil
import socket
import subprocess
import threading

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reports.fetcher import ASSETS, AssetsOnlyFetcher, RefusedURL

AREAS = (
    "Civic and Social",
    "Health and Well-being",
    "Security",
    "Quality Environment",
    "Built Infrastructure",
    "Industry and Innovation",
)


def pdftotext(pdf: bytes, page: int | None = None) -> str:
    """The text of the PDF (or of one page), as poppler reads it."""
    if shutil.which("pdftotext") is None:
        from conftest import service_missing

        service_missing("poppler's pdftotext (Debian package poppler-utils)")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def da_nang(make_city, make_user, make_assessment, db):
    city = make_city("da-nang", name="Da Nang")
    editor = make_user("city_editor", city, name="Eddy Editor")
    make_assessment(city, cycle=2025, answers={"se_drr_plan": 1}, status="approved")
    assessment = make_assessment(
        city, cycle=2026, answers={"se_drr_plan": 3, "cs_participation": 2}
    )
    db.session.commit()
    return assessment, editor


def test_the_pdf_is_named_tagged_bookmarked_and_served_again_from_the_store(
    client, login, da_nang, db, monkeypatch
):
    from toolkit.reporting import service as report_service
    from toolkit.reporting.models import ReportFile

    renders = []
    real_render = report_service.render_pdf
    monkeypatch.setattr(
        report_service, "render_pdf", lambda report: renders.append(1) or real_render(report)
    )
    assessment, editor = da_nang
    login(client, editor)
    response = client.get(f"/assessments/{assessment.id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="asus-da-nang-2026-asus-quick.pdf"'
    )
    pdf = response.data
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Da Nang: ASUS quick screening 2026"
    assert reader.metadata.author == "Da Nang, Viet Nam"
    assert "ASEAN Sustainable Urbanisation Strategy" in reader.metadata.subject
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject): tagged
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"
    bookmarks = [item.title for item in reader.outline if not isinstance(item, list)]
    for title in ("Executive summary", *AREAS, "Priority action plan", "Methodology"):
        assert title in bookmarks
    assert "Change since 2025" in bookmarks
    # Page 1 is the cover; every other page carries the city and "Page X of Y".
    pages = len(reader.pages)
    assert f"Page 2 of {pages}" in pdftotext(pdf, 2) and "Da Nang" in pdftotext(pdf, 2)

    again = client.get(f"/assessments/{assessment.id}/report.pdf")
    assert again.data == pdf and len(renders) == 1  # served from the store
    assert db.session.execute(db.select(db.func.count(ReportFile.id))).scalar() == 1

    # A new answer makes a new version: the report is rendered again, the old file goes.
    client.post(
        f"/assessments/{assessment.id}/questions/se_early_warning",
        data={"se_early_warning__value": "2", "se_early_warning__version": "0"},
        headers={"Accept": "application/json"},
    )
    client.get(f"/assessments/{assessment.id}/report.pdf")
    assert len(renders) == 2
    db.session.expire_all()
    files = db.session.execute(db.select(ReportFile)).scalars().all()
    assert [f.assessment_version for f in files] == [assessment.version]


def test_every_page_of_a_draft_says_draft_and_an_approved_report_does_not(
    client, login, da_nang, make_user, db
):
    from toolkit.assessments.models import Assessment

    assessment, _ = da_nang
    login(client, make_user("network"))
    draft = client.get(f"/assessments/{assessment.id}/report.pdf").data
    for page in range(1, len(PdfReader(io.BytesIO(draft)).pages) + 1):
        assert "DRAFT" in pdftotext(draft, page), page
    approved = db.session.execute(db.select(Assessment).filter_by(cycle=2025)).scalar_one()
    text = pdftotext(client.get(f"/assessments/{approved.id}/report.pdf").data)
    assert "DRAFT" not in text and "Approved" in text


def test_us_letter_on_request_and_a_clear_refusal_of_other_papers(client, login, da_nang):
    assessment, editor = da_nang
    login(client, editor)
    letter = client.get(f"/assessments/{assessment.id}/report.pdf?paper=Letter").data
    box = PdfReader(io.BytesIO(letter)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    refused = client.get(f"/assessments/{assessment.id}/report.pdf?paper=A0")
    assert refused.status_code == 400
    assert b"The paper size must be one of A4, Letter." in refused.data


def test_asean_scripts_print_and_read_back(
    client, login, make_city, make_user, make_assessment, db
):
    """Thai, Lao, Khmer, Myanmar and Vietnamese text in city names and comments comes out of the
    PDF as the same text (Noto fonts embedded)."""
    from toolkit.assessments.answering import AnswerInput, save_answers

    city = make_city("chiang-mai", country="TH", name="เชียงใหม่")
    assessment = make_assessment(city)
    comments = {
        "cs_participation": "ວຽງຈັນ ປະຊາຊົນ",  # Lao
        "se_drr_plan": "ភ្នំពេញ ក្រុង",  # Khmer
        "se_early_warning": "မန္တလေး ရန်ကုန်",  # Myanmar
        "hw_primary_care": "Đà Nẵng: trạm y tế phường",  # Vietnamese
    }
    save_answers(
        assessment,
        {qid: AnswerInput(value=1, comment=text) for qid, text in comments.items()},
        None,
    )
    editor = make_user("city_editor", city)
    login(client, editor)
    pdf = client.get(f"/assessments/{assessment.id}/report.pdf").data
    # poppler puts spaces between some Khmer and Myanmar clusters, so spaces are not compared.
    text = "".join(pdftotext(pdf).split())
    for expected in ("เชียงใหม่", *comments.values()):
        assert "".join(expected.split()) in text, expected


def test_the_preview_is_the_same_report_as_a_page(client, login, da_nang, db):
    from toolkit.assessments.answering import AnswerInput, save_answers

    assessment, editor = da_nang
    save_answers(
        assessment,
        {"se_early_warning": AnswerInput(value=1, comment='<script>alert("x")</script>')},
        None,
    )
    login(client, editor)
    response = client.get(f"/assessments/{assessment.id}/report")
    page = response.data.decode()
    assert response.status_code == 200
    assert '<link rel="stylesheet" href="/report-assets/report.css">' in page
    assert "Executive summary" in page and "Priority action plan" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_each_figure_prints_the_year_and_source_of_its_data_and_the_method_says_where(
    client, login, da_nang, db
):
    """The answers annex gives a number's year and source under it; the method annex lists
    every figure with both, flagged where one is missing or the figure was carried over."""
    from toolkit.assessments.answering import AnswerInput, save_answers

    assessment, editor = da_nang
    source = "BPS Kota Da Nang, Da Nang in Figures 2025, table 4.1"
    given = {
        "cs_women_senior_posts": AnswerInput(value=37.5, data_year=2024, data_source=source),
        "hw_water_connections": AnswerInput(value=81),
    }
    save_answers(assessment, given, None)
    db.session.commit()
    login(client, editor)
    pdf = client.get(f"/assessments/{assessment.id}/report.pdf").data
    text = " ".join(pdftotext(pdf).split())  # one line, as -layout breaks and pads them
    assert f"Year of the data: 2024 · Source: {source}" in text
    assert "Year of the data: No year given · Source: No source given" in text
    assert "Where the indicator data come from" in text
    assert "without the year of their data or their source: 1 of 2." in text
    assert "Carried over and not yet confirmed: 0." in text
    assert "No source given no year; no" in text  # its row of the table, flagged


def test_the_command_writes_the_report(runner, da_nang, tmp_path):
    assessment, _ = da_nang
    by_id = tmp_path / "by-id.pdf"
    result = runner.invoke(args=["report", str(assessment.id), "-o", str(by_id)])
    assert result.exit_code == 0, result.output
    # In the city's language unless another is asked for: Da Nang's is its country's.
    assert "asus-da-nang-2026-asus-quick-vi.pdf" in result.output
    assert by_id.read_bytes().startswith(b"%PDF-")
    by_city = tmp_path / "by-city.pdf"
    in_english = ["--language", "en", "-o", str(by_city)]
    result = runner.invoke(args=["report", "--city", "da-nang", "--cycle", "2025", *in_english])
    assert "asus-da-nang-2025-asus-quick.pdf" in result.output
    assert result.exit_code == 0 and "DRAFT" not in pdftotext(by_city.read_bytes())
    missing = runner.invoke(args=["report", "--city", "nowhere", "--cycle", "2025", "-o", "x"])
    assert missing.exit_code != 0 and "No such assessment." in missing.output


# -- the locked URL fetcher ------------------------------------------------------------------


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that records every connection it receives."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            received.append(connection.recv(1024))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_the_fetcher_serves_only_the_reports_own_assets(caplog):
    fetcher = AssetsOnlyFetcher()
    css = fetcher.fetch((ASSETS / "report.css").as_uri())
    assert css.read().startswith(b"/* The printed report")
    refused = [
        "file:///etc/passwd",
        (ASSETS / ".." / "fetcher.py").as_uri(),
        (ASSETS / "missing.css").as_uri(),
        "file://evil.example/etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.org/logo.png",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "ftp://example.org/x",
    ]
    with caplog.at_level(logging.WARNING, logger="reports.fetcher"):
        for url in refused:
            with pytest.raises(RefusedURL):
                fetcher.fetch(url)
    assert len([r for r in caplog.records if "refused to fetch" in r.getMessage()]) == len(refused)


def test_markup_asking_for_files_or_the_network_gets_nothing(listener, caplog):
    """Images and CSS url() pointing at local files or a local listener: nothing is read, the
    listener receives no connection, every attempt is logged, the PDF is still made."""
    port, received = listener
    html = f"""<html><head><style>
        body {{ background: url(http://127.0.0.1:{port}/bg.png); }}
        p {{ background: url(file:///etc/passwd); }}
        @import url(http://127.0.0.1:{port}/more.css);
      </style><link rel="stylesheet" href="http://127.0.0.1:{port}/linked.css"></head>
      <body><p>Report</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/i.png">
      <img src="data:image/png;base64,iVBORw0KGgo="></body></html>"""
    with caplog.at_level(logging.WARNING, logger="reports.fetcher"):
        pdf = HTML(
            string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnlyFetcher()
        ).write_pdf()
    assert pdf.startswith(b"%PDF-")
    assert received == []
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"http://127.0.0.1:{port}/i.png" in logged and "file:///etc/passwd" in logged


def test_user_text_is_printed_as_text_and_fetches_nothing(listener, client, login, da_nang, db):
    from toolkit.assessments.answering import AnswerInput, save_answers

    port, received = listener
    assessment, editor = da_nang
    attack = f'<img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/x.png">'
    save_answers(
        assessment,
        {
            "se_early_warning": AnswerInput(
                value=1,
                comment=attack,
                evidence=(f"http://127.0.0.1:{port}/evidence.pdf Minutes {attack}",),
            )
        },
        None,
    )
    login(client, editor)
    text = pdftotext(client.get(f"/assessments/{assessment.id}/report.pdf").data)
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")
    assert received == [] and "root:x:0:0" not in text


# The other request stores its report on a connection of its own.
@pytest.mark.usefixtures("real_commits")
def test_two_first_downloads_at_once_both_get_the_report(client, login, da_nang, db, monkeypatch):
    """While this request renders, another stores the same report: no error, one file kept."""
    from reports import fingerprint
    from toolkit.reporting import service as report_service
    from toolkit.reporting.models import ReportFile

    assessment, editor = da_nang
    real_render = report_service.render_pdf

    def render_while_another_request_stores(report):
        pdf = real_render(report)
        with db.engine.begin() as other:
            other.execute(
                ReportFile.__table__.insert().values(
                    assessment_id=assessment.id,
                    assessment_version=assessment.version,
                    paper="A4",
                    language="en",
                    report_hash=fingerprint(report),
                    pdf=pdf,
                    render_seconds=1.0,
                    created_at=assessment.created_at,
                )
            )
        return pdf

    monkeypatch.setattr(report_service, "render_pdf", render_while_another_request_stores)
    login(client, editor)
    response = client.get(f"/assessments/{assessment.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(ReportFile.id))).scalar() == 1


# -- a stored report is served only while it still prints the same ---------------------------


def cover(pdf: bytes) -> str:
    """The cover's text, as pypdf reads it."""
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.fixture
def renders(monkeypatch):
    """The reports rendered during the test (each a Report), with the real renderer."""
    from toolkit.reporting import service as report_service

    made, real_render = [], report_service.render_pdf
    monkeypatch.setattr(
        report_service, "render_pdf", lambda report: made.append(report) or real_render(report)
    )
    return made


def test_renaming_the_city_or_its_country_gives_a_new_report(
    client, login, da_nang, make_user, db, renders
):
    from toolkit.reporting.models import ReportFile

    assessment, _ = da_nang
    login(client, make_user("admin"))
    url = f"/assessments/{assessment.id}/report.pdf"
    first = client.get(url).data
    assert "Da Nang" in cover(first) and "Viet Nam" in cover(first)
    assert client.get(url).data == first and len(renders) == 1  # nothing changed: the store

    edit = {"slug": "da-nang", "name": "Đà Nẵng City", "country": "VN", "active": "y"}
    assert client.post("/cities/da-nang/edit", data=edit).status_code == 302
    renamed = client.get(url).data
    assert len(renders) == 2
    assert "Đà Nẵng City" in cover(renamed) and "Đà Nẵng City" in pdftotext(renamed, 2)
    assert client.get(url).data == renamed and len(renders) == 2
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(ReportFile.id))).scalar() == 1

    assessment.city.country.name = "Socialist Republic of Viet Nam"
    db.session.commit()
    assert "Socialist Republic of Viet Nam" in cover(client.get(url).data)
    assert len(renders) == 3


def test_a_change_to_the_previous_cycle_gives_a_new_report(client, login, da_nang, db, renders):
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.assessments.models import Assessment

    assessment, editor = da_nang
    login(client, editor)
    url = f"/assessments/{assessment.id}/report.pdf"
    first = client.get(url).data
    previous = db.session.execute(db.select(Assessment).filter_by(cycle=2025)).scalar_one()
    before = renders[-1].previous_scores
    # An administrator reopened 2025 and the city corrected an answer of that cycle.
    previous.status = "returned"
    save_answers(previous, {"se_drr_plan": AnswerInput(value=3)}, None)
    db.session.commit()

    again = client.get(url).data
    assert len(renders) == 2 and again != first
    assert renders[-1].previous_scores != before
    security = renders[-1].previous_scores["security"]
    assert f"{security:.1f}" in pdftotext(again)


def test_the_cover_is_dated_by_the_approval_and_a_draft_by_its_last_change(
    client, login, make_city, make_user, make_assessment, db, renders
):
    from datetime import datetime

    from toolkit.assessments.lifecycle import approve

    city = make_city("da-nang", name="Da Nang")
    draft = make_assessment(city, cycle=2026, answers={"se_drr_plan": 2})
    submitted = make_assessment(city, cycle=2025, answers={"se_drr_plan": 1}, status="submitted")
    staff = make_user("network")
    approve(submitted, staff, None, at=datetime(2026, 3, 14, 9, 30))
    # The draft's answers were last changed a while ago: its cover says so, not today.
    for answer in draft.answers:
        answer.updated_at = datetime(2026, 2, 2, 8, 0)
    draft.created_at = datetime(2026, 1, 5, 8, 0)
    db.session.commit()
    login(client, staff)

    approved = cover(client.get(f"/assessments/{submitted.id}/report.pdf").data)
    assert "Approved on" in approved and "14 March 2026" in approved
    text = cover(client.get(f"/assessments/{draft.id}/report.pdf").data)
    assert "Answers as of" in text and "02 February 2026" in text
    # Nothing printed depends on the day of rendering: downloaded again, it is the stored file.
    client.get(f"/assessments/{draft.id}/report.pdf")
    assert len(renders) == 2


def test_pages_and_reports_write_scores_and_shares_alike_in_every_language(app):
    """One definition of the `score` and `percent` formats, the report's: a page and its PDF
    write a number alike, with the language's decimal sign, and round it the same whatever
    the language."""
    from flask import g

    from reports import render

    for code in app.config["LANGUAGES"]:
        g.pop("_flask_babel", None)
        with app.test_request_context(headers={"Accept-Language": code}):
            filters = app.jinja_env.filters
            assert filters["score"](72.25) == render.score(72.25, code)
            assert filters["percent"](0.456) == render.percent(0.456, code)
            assert render.score(72.25, code).replace(",", ".") == "72.2"
    assert (render.score(None), render.score(72.0), render.percent(0.456)) == ("–", "72.0", "46%")
    assert (render.score(72.0, "vi"), render.signed(-1.5, "id")) == ("72,0", "-1,5")
