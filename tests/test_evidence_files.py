"""Evidence files attached to answers, through the real app and database (SQLite and
PostgreSQL): upload from the area page's form, the kind read from the content, the size limit,
the virus scanner, downloads and their headers, access, revisions and history, autosave keeping
the files, the review page, the report, carry-over, and backup/restore with the files in the
database and in a file store."""

import html
import io
import re
import shlex
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import add_assessment, add_city, add_user, new_postgres_database, sign_in
from playwright.sync_api import expect
from test_backup import every_row, run, upgraded
from test_exports import saved_as
from test_reports import pdftotext
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from reports import fingerprint
from toolkit.assessments.answering import create_assessment
from toolkit.assessments.models import Answer, Assessment
from toolkit.core import extensions, instrument
from toolkit.core.models import AuditEvent
from toolkit.core.templating import file_changes
from toolkit.evidence import service
from toolkit.evidence.models import EvidenceContent, EvidenceFile
from toolkit.reporting.service import report_of

QUESTION = "cs_participation"  # a question of asus-quick, in civic_social
AREA = "civic_social"
JSON = {"Accept": "application/json"}
SCANNER = Path(__file__).with_name("scan_double.py")
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

# A one-page PDF, written by hand.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png(width=3, height=2) -> bytes:
    """A real PNG: red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def big_pdf(size: int) -> bytes:
    """A PDF of exactly `size` bytes (a comment pads it)."""
    return PDF + b"%" + b"x" * (size - len(PDF) - 2) + b"\n"


def office_zip(*names, first=None, stored=b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first), stored, compress_type=zipfile.ZIP_STORED)
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.fixture
def app(make_app):
    """The app with a limit of 1 MB a file, to keep the size tests fast."""
    app = make_app(EVIDENCE_MAX_MB=1)
    with app.app_context():
        yield app


@pytest.fixture
def da_nang(make_city, make_user, make_assessment, db):
    city = make_city("da-nang", name="Da Nang")
    lead = make_user("city_lead", city, name="Lan Lead")
    editor = make_user("city_editor", city, name="Eddy Editor")
    assessment = make_assessment(city, answers={QUESTION: 2}, by=lead)
    db.session.commit()
    return assessment, lead, editor


def attach(client, assessment, *files, question=QUESTION, follow=True, fields=()):
    """POST files as the area page's "Attach" button does: (name, bytes) pairs, and the
    form's other `fields` as (name, value) pairs."""
    # Encoded here: the test client would spool a large body to a file it never closes.
    parts = [("files", FileStorage(io.BytesIO(content), name)) for name, content in files]
    boundary, body = encode_multipart(MultiDict([*fields, *parts]))
    return client.post(
        f"/assessments/{assessment.id}/questions/{question}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow_redirects=follow,
    )


def files_of(db, assessment, question=QUESTION) -> list[EvidenceFile]:
    db.session.expire_all()
    return list(
        db.session.execute(
            db.select(EvidenceFile)
            .join(Answer)
            .where(Answer.assessment_id == assessment.id, Answer.question_id == question)
            .order_by(EvidenceFile.id)
        ).scalars()
    )


def answer_of(db, assessment, question=QUESTION) -> Answer:
    db.session.expire_all()
    return db.session.execute(
        db.select(Answer).filter_by(assessment_id=assessment.id, question_id=question)
    ).scalar_one()


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.data.decode())).split())


def test_a_pdf_and_a_png_are_attached_listed_and_downloaded_as_they_were(
    client, login, da_nang, db
):
    assessment, _, editor = da_nang
    version = assessment.version
    login(client, editor)
    image = png()

    response = attach(client, assessment, ("Adopted plan 2025.pdf", PDF), ("site photo", image))
    assert response.status_code == 200
    assert response.request.path == f"/assessments/{assessment.id}/areas/{AREA}"
    text = page_text(response)
    assert "Attached 2 files: Adopted plan 2025.pdf, site photo.png." in text
    # Listed with the question: name, size, who and when, and a Remove button for the editor.
    assert "Adopted plan 2025.pdf (1 kB) · attached by Eddy Editor," in text
    assert "site photo.png (1 kB)" in text
    assert text.count("Remove") >= 2
    markup = response.data.decode()
    assert f'<form id="attach-{QUESTION}" method="post" enctype="multipart/form-data"' in markup
    assert f'form="attach-{QUESTION}"' in markup

    pdf, photo = files_of(db, assessment)
    assert (pdf.name, pdf.content_type, pdf.size) == (
        "Adopted plan 2025.pdf",
        "application/pdf",
        len(PDF),
    )
    assert (photo.name, photo.content_type) == ("site photo.png", "image/png")
    answer = answer_of(db, assessment)
    assert answer.version == 2 and answer.value == 2  # the answer itself unchanged
    assert db.session.get(Assessment, assessment.id).version == version + 1
    revision = answer.revisions[-1]
    assert revision.changed_by_id == editor.id
    assert revision.old["files"] == [] and [f["name"] for f in revision.new["files"]] == [
        "Adopted plan 2025.pdf",
        "site photo.png",
    ]

    for file, content in ((pdf, PDF), (photo, image)):
        download = client.get(f"/assessments/{assessment.id}/files/{file.id}")
        assert download.status_code == 200
        assert download.data == content
        assert download.mimetype == file.content_type
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert download.headers["Cache-Control"] == "private, no-store"
    disposition = client.get(f"/assessments/{assessment.id}/files/{pdf.id}").headers[
        "Content-Disposition"
    ]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Adopted%20plan%202025.pdf" in disposition


@pytest.mark.parametrize(
    "sent, name, fallback",
    [
        ("แผนพัฒนาเมือง 2026.pdf", "แผนพัฒนาเมือง 2026.pdf", "_" * 13 + " 2026.pdf"),
        # A browser sends a quote in a file's name as %22 (HTML's form encoding).
        ("plan %22final%22.pdf", 'plan "final".pdf', "plan 'final'.pdf"),
    ],
)
def test_a_thai_name_or_a_quote_reaches_the_saved_file_whole(
    client, login, da_nang, db, sent, name, fallback
):
    assessment, _lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, (sent, PDF))
    (file,) = files_of(db, assessment)
    assert file.name == name
    download = client.get(f"/assessments/{assessment.id}/files/{file.id}")
    assert saved_as(download) == (name, fallback)


def test_an_upload_without_its_form_token_attaches_nothing(make_app, login, da_nang, db):
    assessment, _lead, editor = da_nang
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login(client, editor)
    refused = attach(client, assessment, ("plan.pdf", PDF))
    assert "The form has expired. Reload the page and attach the file again." in page_text(refused)
    assert files_of(db, assessment) == []


def test_a_file_that_is_not_what_its_name_says_or_empty_is_refused_and_nothing_is_kept(
    client, login, da_nang, db
):
    assessment, _, editor = da_nang
    login(client, editor)
    cases = {
        "setup.pdf": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,  # a program renamed
        "photo.png": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "x.exe": b"MZ\x90\x00" + b"\x00" * 100,
        "notes.txt": b"\xff\xfe not UTF-8",
        "archive.docx": office_zip("a.txt"),  # a ZIP, but no office document
    }
    for name, content in cases.items():
        text = page_text(attach(client, assessment, (name, content)))
        assert (
            f"{name}: this kind of file cannot be attached: attach a PDF, an image or an "
            "office document." in text
        ), name
    assert "empty.pdf is empty" in page_text(attach(client, assessment, ("empty.pdf", b"")))
    assert "Choose a file to attach first." in page_text(attach(client, assessment))
    assert files_of(db, assessment) == []
    assert answer_of(db, assessment).version == 1
    assert db.session.execute(db.select(EvidenceContent)).first() is None


def test_the_kind_is_read_from_the_content_and_a_zip_is_never_unpacked():
    docx = office_zip("[Content_Types].xml", "word/document.xml")
    assert service.kind_of("plan", docx).extensions == (".docx",)
    assert service.kind_of(
        "x.xlsx", office_zip("[Content_Types].xml", "xl/workbook.xml")
    ).content_type.endswith(".sheet")
    odt = office_zip(
        "content.xml", first="mimetype", stored=b"application/vnd.oasis.opendocument.text"
    )
    assert service.kind_of("x.odt", odt).extensions == (".odt",)
    ole2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500
    assert service.kind_of("budget.xls", ole2).content_type == "application/vnd.ms-excel"
    assert service.kind_of("budget.bin", ole2) is None
    assert service.kind_of("data.csv", b"year,rate\n2025,3.5\n").content_type == "text/csv"
    assert service.kind_of("data.json", b"{}") is None  # text, but not a .csv or .txt
    assert service.kind_of("scan", b"II*\x00" + b"\x00" * 20).content_type == "image/tiff"
    assert service.kind_of("a", b"RIFF\x00\x00\x00\x00WEBPVP8 ").content_type == "image/webp"
    assert service.kind_of("a", b"GIF89a" + b"\x00" * 10).content_type == "image/gif"
    assert service.kind_of("a", b"\xff\xd8\xff\xe0" + b"\x00" * 10).extensions[0] == ".jpg"
    # A bomb: 200 MB of zeros in 200 kB. Only the central directory's names are read.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(bytes(1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    assert service.kind_of("bomb.docx", bomb.getvalue()).extensions == (".docx",)
    # Names lose folders and control characters, and keep their extension when cut.
    assert service.clean_name("C:\\Users\\lan\\plan.pdf") == "plan.pdf"
    assert service.clean_name("../../etc/pass\x00wd\u202egnp.pdf") == "passwdgnp.pdf"
    long = service.clean_name("a" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith("a.pdf")


def test_a_file_over_the_limit_gets_a_clear_413_and_one_at_the_limit_is_attached(
    client, login, da_nang, db
):
    assessment, _, editor = da_nang
    login(client, editor)
    over = attach(client, assessment, ("plan.pdf", big_pdf(1024 * 1024 + 100 * 1024)))
    assert over.status_code == 413
    assert "The file is larger than 1 MB" in page_text(over)
    assert files_of(db, assessment) == []

    at_limit = attach(client, assessment, ("plan.pdf", big_pdf(1024 * 1024)))
    assert at_limit.status_code == 200
    assert "plan.pdf (1.0 MB)" in page_text(at_limit)
    assert [f.size for f in files_of(db, assessment)] == [1024 * 1024]


def test_the_default_limit_takes_a_10_mb_file_and_refuses_an_11_mb_one(
    app, client, login, da_nang, db
):
    app.config["EVIDENCE_MAX_MB"] = 10
    assessment, _, editor = da_nang
    login(client, editor)
    over = attach(client, assessment, ("plan.pdf", big_pdf(11 * 1024 * 1024)))
    assert over.status_code == 413
    assert "The file is larger than 10 MB" in page_text(over)
    ten = big_pdf(10 * 1024 * 1024)
    assert attach(client, assessment, ("plan.pdf", ten)).status_code == 200
    (file,) = files_of(db, assessment)
    assert client.get(f"/assessments/{assessment.id}/files/{file.id}").data == ten


def test_another_city_gets_404_and_a_signed_out_person_the_sign_in_page(
    client, login, da_nang, make_city, make_user, db
):
    assessment, _, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    cebu_editor = make_user("city_editor", make_city("cebu", country="PH"))
    db.session.commit()
    urls = {
        "download": f"/assessments/{assessment.id}/files/{file.id}",
        "remove": f"/assessments/{assessment.id}/files/{file.id}/remove",
    }

    login(client, cebu_editor)
    assert client.get(urls["download"]).status_code == 404
    assert client.post(urls["remove"]).status_code == 404
    assert attach(client, assessment, ("x.pdf", PDF), follow=False).status_code == 404

    with client.session_transaction() as session:
        session.clear()
    for response in (
        client.get(urls["download"]),
        client.post(urls["remove"]),
        attach(client, assessment, ("x.pdf", PDF), follow=False),
    ):
        assert response.status_code == 302 and "/auth/login" in response.location
    assert len(files_of(db, assessment)) == 1 and files_of(db, assessment)[0].removed_at is None


def test_a_file_of_another_assessment_huge_ids_and_nul_are_404(
    client, login, da_nang, make_assessment, db
):
    assessment, _lead, editor = da_nang
    other = make_assessment(assessment.city, cycle=2025)
    db.session.commit()
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    assert client.get(f"/assessments/{other.id}/files/{file.id}").status_code == 404
    assert client.post(f"/assessments/{other.id}/files/{file.id}/remove").status_code == 404
    assert client.get(f"/assessments/{assessment.id}/files/99999999999999999999").status_code == 404
    assert client.get(f"/assessments/{assessment.id}/files/2147483648").status_code == 404
    assert client.get(f"/assessments/{assessment.id}/files/1%00").status_code in (400, 404)
    nul = attach(client, assessment, ("x.pdf", PDF), question="cs%00x", follow=False)
    assert nul.status_code in (400, 404)
    assert (
        attach(client, assessment, ("x.pdf", PDF), question="nope", follow=False).status_code == 404
    )
    # The guard leaves an upload's body to the view, which refuses a NUL in its fields too.
    nul = attach(client, assessment, ("x.pdf", PDF), fields=[("csrf_token", "a\x00b")])
    assert nul.status_code == 400
    assert "contains a null character (U+0000)" in page_text(nul)
    assert [f.name for f in files_of(db, assessment)] == ["plan.pdf"]


def test_removing_keeps_a_revision_with_the_remover_and_the_history_says_both(
    client, login, da_nang, db
):
    assessment, lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    login(client, lead)
    removed = client.post(
        f"/assessments/{assessment.id}/files/{file.id}/remove", follow_redirects=True
    )
    assert "Removed plan.pdf. The answer's history keeps it." in page_text(removed)
    assert "plan.pdf (1 kB)" not in page_text(removed)
    (file,) = files_of(db, assessment)
    assert file.removed_by_id == lead.id and file.removed_at is not None
    answer = answer_of(db, assessment)
    revision = answer.revisions[-1]
    assert revision.changed_by_id == lead.id
    assert [f["name"] for f in revision.old["files"]] == ["plan.pdf"] and revision.new[
        "files"
    ] == []

    history = page_text(client.get(f"/assessments/{assessment.id}/questions/{QUESTION}/history"))
    assert re.search(r"Lan Lead Changed File removed: plan\.pdf", history)
    assert re.search(r"Eddy Editor Changed File attached: plan\.pdf", history)
    # The removed file stays readable for who may read the history.
    assert client.get(f"/assessments/{assessment.id}/files/{file.id}").data == PDF
    timeline = page_text(client.get(f"/assessments/{assessment.id}/timeline"))
    assert "plan.pdf, from question cs_participation." in timeline
    assert "plan.pdf, to question cs_participation." in timeline


def test_removing_a_removed_file_again_changes_nothing(client, login, da_nang, db):
    # A double click on Remove: the second request finds the file removed once it holds the
    # assessment's lock, and leaves it as the first one left it.
    assessment, lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    remove = f"/assessments/{assessment.id}/files/{file.id}/remove"
    client.post(remove)
    removed_at = files_of(db, assessment)[0].removed_at
    answer = answer_of(db, assessment)
    versions = answer.version, db.session.get(Assessment, assessment.id).version
    revisions = len(answer.revisions)
    login(client, lead)
    again = client.post(remove, follow_redirects=True)
    assert "Removed plan.pdf. The answer's history keeps it." in page_text(again)
    (file,) = files_of(db, assessment)
    assert file.removed_at == removed_at and file.removed_by_id == editor.id
    answer = answer_of(db, assessment)
    assert (answer.version, db.session.get(Assessment, assessment.id).version) == versions
    assert len(answer.revisions) == revisions
    removals = db.select(AuditEvent).filter_by(action="evidence_removed")
    assert [e.user_id for e in db.session.execute(removals).scalars()] == [editor.id]


def test_a_text_autosave_after_the_upload_keeps_the_file_without_a_conflict(
    client, login, da_nang, db
):
    assessment, _lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    # The page was loaded before the upload: it still holds version 1 of the answer.
    saved = client.post(
        f"/assessments/{assessment.id}/questions/{QUESTION}",
        data={
            f"{QUESTION}__value": "2",
            f"{QUESTION}__comment": "See the plan",
            f"{QUESTION}__version": "1",
        },
        headers=JSON,
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["status"] == "saved"
    answer = answer_of(db, assessment)
    assert answer.comment == "See the plan" and answer.version == 3
    assert [f.name for f in answer.attached_files] == ["plan.pdf"]
    assert [f["name"] for f in answer.revisions[-1].new["files"]] == ["plan.pdf"]
    # The page's Save button (no files in the form) keeps them too.
    page = client.post(
        f"/assessments/{assessment.id}/areas/{AREA}",
        data={f"{QUESTION}__value": "3", f"{QUESTION}__version": "3"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert [f.name for f in answer_of(db, assessment).attached_files] == ["plan.pdf"]
    # Revisions from before files could be attached have no "files": they changed none.
    assert file_changes({"value": 1}, {"value": 2}) == []


def test_a_network_reader_sees_the_files_without_the_buttons_and_the_review_page_lists_them(
    client, login, da_nang, make_user, db
):
    assessment, _lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    assessment = db.session.get(Assessment, assessment.id)
    assessment.status = "submitted"
    network = make_user("network")
    db.session.commit()
    login(client, network)
    area = client.get(f"/assessments/{assessment.id}/areas/{AREA}")
    assert "plan.pdf (1 kB)" in page_text(area)
    assert "Remove" not in page_text(area) and 'type="file"' not in area.data.decode()
    review = client.get(f"/assessments/{assessment.id}/review")
    assert "plan.pdf (1 kB)" in page_text(review)
    assert f'href="/assessments/{assessment.id}/files/{file.id}"' in review.data.decode()
    assert client.get(f"/assessments/{assessment.id}/files/{file.id}").data == PDF
    # Submitted: the city can no longer change the files either.
    login(client, editor)
    assert attach(client, assessment, ("x.pdf", PDF), follow=False).status_code == 403


def test_the_report_lists_the_files_and_its_fingerprint_changes_with_them(
    client, login, da_nang, db
):
    assessment, _, editor = da_nang
    before = fingerprint(report_of(assessment))
    login(client, editor)
    attach(client, assessment, ("Rencana Aksi Daerah 2025.pdf", big_pdf(250 * 1024)))
    db.session.expire_all()
    assessment = db.session.get(Assessment, assessment.id)
    assert fingerprint(report_of(assessment)) != before
    pdf = client.get(f"/assessments/{assessment.id}/report.pdf").data
    text = " ".join(pdftotext(pdf).split())
    assert "File: Rencana Aksi Daerah 2025.pdf (250 kB)" in text


def scanner(*args) -> str:
    return shlex.join([sys.executable, str(SCANNER), *args])


def test_the_virus_scanner_passes_a_clean_file_and_refuses_an_infected_one(
    app, client, login, da_nang, db
):
    app.config["EVIDENCE_SCAN_COMMAND"] = scanner()
    assessment, _, editor = da_nang
    login(client, editor)
    clean = attach(client, assessment, ("plan.pdf", PDF))
    assert "Attached 1 file: plan.pdf." in page_text(clean)
    infected = attach(client, assessment, ("eicar.txt", EICAR))
    assert "eicar.txt was refused by the virus scanner: EICAR test file" in page_text(infected)
    assert [f.name for f in files_of(db, assessment)] == ["plan.pdf"]
    assert db.session.execute(db.select(db.func.count()).select_from(EvidenceContent)).scalar() == 1


@pytest.mark.parametrize("args", [("fail",), ("sleep", "5")], ids=["failing", "timing-out"])
def test_a_failing_or_silent_scanner_refuses_the_file_and_logs_it(
    app, client, login, da_nang, db, caplog, args
):
    app.config["EVIDENCE_SCAN_COMMAND"] = scanner(*args)
    app.config["EVIDENCE_SCAN_SECONDS"] = 1
    assessment, _, editor = da_nang
    login(client, editor)
    response = attach(client, assessment, ("plan.pdf", PDF))
    assert "plan.pdf could not be checked for viruses, try again later." in page_text(response)
    assert files_of(db, assessment) == []
    assert db.session.execute(db.select(EvidenceContent)).first() is None
    assert any("virus scanner" in r.getMessage() for r in caplog.records)


def test_the_next_cycle_carries_the_files_over_sharing_their_content(client, login, da_nang, db):
    assessment, lead, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF), ("photo.png", png()))
    (first, second) = files_of(db, assessment)
    client.post(f"/assessments/{assessment.id}/files/{second.id}/remove")
    db.session.expire_all()
    source = db.session.get(Assessment, assessment.id)
    later = create_assessment(
        source.city, instrument.latest("asus-quick"), 2027, lead, carry_over_from=source
    )
    db.session.commit()
    (carried,) = files_of(db, later)
    assert carried.id != first.id
    assert (carried.name, carried.sha256, carried.uploaded_by_id) == (
        "plan.pdf",
        first.sha256,
        editor.id,
    )
    revision = answer_of(db, later).revisions[0]
    assert revision.kind == "carried_over" and revision.new["files"] == [
        {"id": carried.id, "name": "plan.pdf", "size": len(PDF)}
    ]
    assert db.session.execute(db.select(db.func.count()).select_from(EvidenceContent)).scalar() == 2
    assert client.get(f"/assessments/{later.id}/files/{carried.id}").data == PDF


def test_a_file_store_keeps_the_files_on_disk_and_the_database_their_facts(
    app, client, login, da_nang, db, tmp_path
):
    app.config["EVIDENCE_STORE"] = str(tmp_path / "store")
    assessment, _, editor = da_nang
    login(client, editor)
    attach(client, assessment, ("plan.pdf", PDF))
    (file,) = files_of(db, assessment)
    path = tmp_path / "store" / file.sha256[:2] / file.sha256
    assert path.read_bytes() == PDF
    assert [p.name for p in path.parent.iterdir()] == [file.sha256]  # no temporary left
    assert db.session.get(EvidenceContent, file.sha256).data is None
    assert client.get(f"/assessments/{assessment.id}/files/{file.id}").data == PDF


def fill() -> dict[str, bytes]:
    """A city whose answer has two files (one of 3 MB); returns their contents by hash."""
    city = add_city("da-nang", name="Da Nang")
    editor = add_user("city_editor", city, name="Eddy Editor")
    assessment = add_assessment(city, answers={QUESTION: 2}, by=editor)
    large = big_pdf(3 * 1024 * 1024)
    checked = [service.check("plan.pdf", large), service.check("photo.png", png())]
    service.attach(assessment, QUESTION, checked, editor)
    extensions.db.session.commit()
    return {c.sha256: c.data for c in checked}


@pytest.mark.usefixtures("real_commits")
@pytest.mark.parametrize("in_store", [False, True], ids=["in-the-database", "in-a-file-store"])
def test_backup_and_restore_keep_the_files(tmp_path, in_store):
    archive = tmp_path / "toolkit.zip"
    with upgraded(f"sqlite:///{tmp_path / 'source.db'}") as source:
        source.config["EVIDENCE_STORE"] = str(tmp_path / "store") if in_store else None
        contents = fill()
        before = every_row()
        result = run(source, "backup", archive)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as files:
        evidence = sorted(n for n in files.namelist() if n.startswith("evidence/"))
    if in_store:
        assert evidence == sorted(f"evidence/{h[:2]}/{h}" for h in contents)
        assert all(row[1] is None for row in before["evidence_content"])
    else:
        assert evidence == []
        assert {row[0]: row[1] for row in before["evidence_content"]} == contents

    with new_postgres_database("toolkit_evidence") as url, upgraded(url) as target:
        target_store = tmp_path / "restored"
        target.config["EVIDENCE_STORE"] = str(target_store) if in_store else None
        result = run(target, "restore", archive)
        assert result.exit_code == 0, result.output
        assert every_row() == before
        for sha256, data in contents.items():
            (file,) = [f for f in EvidenceFile.query.all() if f.sha256 == sha256]
            assert service.content_of(file) == data
        if in_store:
            assert {p.name for p in target_store.glob("*/*")} == set(contents)


@pytest.mark.usefixtures("real_commits")
def test_a_restore_of_store_files_without_a_store_is_refused(tmp_path):
    archive = tmp_path / "toolkit.zip"
    with upgraded(f"sqlite:///{tmp_path / 'source.db'}") as source:
        source.config["EVIDENCE_STORE"] = str(tmp_path / "store")
        fill()
        assert run(source, "backup", archive).exit_code == 0
    with upgraded(f"sqlite:///{tmp_path / 'target.db'}") as target:
        result = run(target, "restore", archive)
        assert result.exit_code != 0
        assert "set EVIDENCE_STORE" in result.output
        assert not any(every_row().values())


def test_an_editor_attaches_a_file_on_the_area_page_in_a_browser(
    live_server, open_page, db, tmp_path
):
    base, users = live_server
    assessment = db.session.execute(db.select(Assessment)).scalar_one()
    plan = tmp_path / "Adopted plan.pdf"
    plan.write_bytes(PDF)
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{assessment.id}/areas/{AREA}")
    question = page.locator(f"#q-{QUESTION}")
    question.locator("summary").click()
    question.get_by_label("Attach files").set_input_files(str(plan))
    question.get_by_role("button", name=f"Attach to question {QUESTION}").click()
    expect(page.locator(".flash").first).to_contain_text("Attached 1 file: Adopted plan.pdf.")
    expect(page).to_have_url(re.compile(rf"/areas/{AREA}#q-{QUESTION}$"))
    expect(question.get_by_role("link", name="Adopted plan.pdf")).to_be_visible()
    # The file input is no answer: choosing a file saves nothing, and the answers still save.
    question.locator(f"input[name='{QUESTION}__value'][value='2']").check()
    expect(page.locator(f"#{QUESTION}-state")).to_have_text(re.compile(r"^Saved at"))
    question.get_by_role("button", name="Remove Adopted plan.pdf").click()
    expect(page.locator(".flash").first).to_contain_text("Removed Adopted plan.pdf.")
    assert page.errors == []


def test_a_comment_typed_just_before_attaching_is_saved_first_in_a_browser(
    live_server, open_page, db, tmp_path
):
    base, users = live_server
    assessment = db.session.execute(db.select(Assessment)).scalar_one()
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(PDF)
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{assessment.id}/areas/{AREA}")
    question = page.locator(f"#q-{QUESTION}")
    question.locator("summary").click()
    question.get_by_label("Attach files").set_input_files(str(plan))
    # Attached at once, before the pause after typing that would have saved the comment.
    question.locator(f"textarea[name='{QUESTION}__comment']").fill("See the adopted plan")
    question.get_by_role("button", name=f"Attach to question {QUESTION}").click()
    expect(page.locator(".flash").first).to_contain_text("Attached 1 file: plan.pdf.")
    answer = answer_of(db, assessment)
    assert answer.comment == "See the adopted plan"
    assert [f.name for f in answer.attached_files] == ["plan.pdf"]
    assert page.evaluate("Object.keys(localStorage)") == []
    assert page.errors == []
