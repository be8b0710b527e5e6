"""The blank questionnaire: printed to answer on paper, read back with poppler and pypdf. Every
question in order with each level's words, page numbers, no internal ids, "Not applicable" only
where a question allows it; in Thai with its font; on Letter; tagged. Then the download (kept
once rendered, long ones in the background) and the command."""

import io
import re
import shutil
import subprocess
from functools import cache

import pytest
from conftest import service_missing
from pypdf import PdfReader
from test_jobs import wait_for
from test_reports import pdftotext

from questionnaires import catalogue
from reports import BlankQuestionnaire, render_pdf

URL = "/questionnaires/asus-quick/2026.2/blank.pdf"
# se_risk_assessment in questionnaires/translations/th/asus-quick.po
THAI_QUESTION = "เมืองประเมินความเสี่ยงจากภัยพิบัติและสภาพภูมิอากาศได้ดีเพียงใด"


def questionnaire(qid="asus-quick", version="2026.2"):
    return next(q for q in catalogue() if (q.id, q.version) == (qid, version))


@cache
def blank(qid="asus-quick", area=None, language="en", paper="A4", version="2026.2") -> bytes:
    """The PDF of a blank questionnaire, rendered once for the module."""
    return render_pdf(BlankQuestionnaire(questionnaire(qid, version), area, language, paper))


def words(pdf: bytes) -> str:
    """The PDF's text on one line, as -layout breaks and pads it."""
    return " ".join(pdftotext(pdf).split())


def positions(text: str, parts) -> list[int]:
    """Where each part first stands in `text` after the one before (-1 once one is missing)."""
    found, start = [], 0
    for part in parts:
        at = text.find(" ".join(str(part).split()), start)
        found.append(at)
        if at < 0:
            return found
        start = at + 1
    return found


def test_an_area_prints_every_question_in_order_with_each_level_to_tick():
    pdf, area = blank(area="security"), questionnaire().area("security")
    text = words(pdf)
    expected = []
    for sub in area.sub_areas:
        expected.append(sub.name)
        for question in sub.questions:
            expected += [question.text, question.help]
            expected += [level.descriptor for level in question.levels]
    assert -1 not in positions(text, expected), expected[len(positions(text, expected)) - 1]
    # The numbers people see, counted over the whole questionnaire (security is area 3).
    assert "3. Security" in text and "3.1 Disaster risk reduction" in text
    assert all(f"3.{s}.{n}" in text for s, n in ((1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)))
    # Never an internal id, of this area or another.
    ids = [item for q in questionnaire().questions() for item in (q.id, q.sub_area_id)]
    assert not [i for i in ids if i in text]
    # On the cover: the questionnaire, its version, the area and the boxes to fill in.
    cover = " ".join(pdftotext(pdf, 1).split())
    assert "ASUS quick screening" in cover and "Version 2026.2 · Area 3: Security" in cover
    assert all(label in cover for label in ("City", "Your name", "Department", "Date"))


def test_pages_are_numbered_page_x_of_y_and_none_is_left_nearly_empty():
    pdf = blank(area="security")
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in pdftotext(pdf, page)
    # Six questions, two to a page after the cover.
    assert pages <= 5
    header = pdftotext(pdf, 2)
    assert "ASUS quick screening · version 2026.2" in header and "3. Security" in header


def test_not_applicable_is_offered_only_where_the_question_allows_it():
    text = words(blank(area="security"))
    area = list(questionnaire().area("security").questions())
    allowed = [q.text.en for q in area if q.allow_na]
    assert allowed and text.count("Not applicable to our city") == len(allowed)
    for question, after in zip(area, [*area[1:], None], strict=True):
        start = text.index(question.text.en)
        end = text.index(after.text.en) if after else len(text)
        assert ("Not applicable to our city" in text[start:end]) == question.allow_na
        assert "Comment" in text[start:end] and "Evidence" in text[start:end]


def test_the_whole_questionnaire_has_every_question_and_each_figure_its_unit_range_and_source():
    pdf, q = blank(), questionnaire()
    text = words(pdf)
    assert -1 not in positions(text, [question.text for question in q.questions()])
    reader = PdfReader(io.BytesIO(pdf))
    bookmarks = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [b for b in bookmarks if re.match(r"\d\. ", b)] == [
        f"{n}. {area.name}" for n, area in enumerate(q.areas, 1)
    ]
    for question in (q for q in q.questions() if q.type == "number"):
        block = text[text.index(question.text.en) :]
        assert block.index(str(question.unit)) < block.index("Year of the data")
        assert block.index("Year of the data") < block.index("Source")
        if question.minimum is not None and question.maximum is not None:
            assert f"Accepted: {question.minimum:g} to {question.maximum:g}." in block[:2000]


def test_choices_say_tick_all_that_apply_and_a_question_with_a_condition_says_when():
    text = words(blank("asus-detailed", "quality_environment"))
    # qe_ghg_per_resident is shown only at level 3 to 5 of qe_ghg_inventory (4.1.1).
    assert "Answer only if the answer to question 4.1.1 is: level 3; level 4; level 5." in text
    assert text.count("Tick all that apply.") == 2  # qe_ghg_adaptation_finance, qe_waste_plastics
    assert "None of these (tick it alone)" in text


def test_in_thai_the_questions_are_thai_in_the_thai_font():
    pdf = blank(area="security", language="th")
    assert THAI_QUESTION in "".join(pdftotext(pdf).split())
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "th"
    if shutil.which("pdffonts") is None:
        service_missing("poppler's pdffonts (Debian package poppler-utils, installed by make test)")
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True, text=False
    ).stdout.decode()
    thai = [line.split() for line in fonts.splitlines() if "Noto-Sans-Thai" in line]
    assert thai and all(row[-5:-2] == ["yes", "yes", "yes"] for row in thai)  # emb sub uni


def test_letter_paper_and_a_tagged_pdf():
    reader = PdfReader(io.BytesIO(blank(area="security", paper="Letter")))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject): tagged
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"
    assert reader.metadata.title == "ASUS quick screening · Security"


# -- the download and the command -----------------------------------------------------------


@pytest.fixture
def editor(make_city, make_user, db):
    user = make_user("city_editor", make_city("da-nang", name="Da Nang"))
    db.session.commit()
    return user


def test_anyone_signed_in_downloads_it_and_the_second_time_it_comes_from_the_store(
    client, login, editor, db, monkeypatch
):
    from toolkit.reporting import service
    from toolkit.reporting.models import BlankQuestionnaireFile

    assert client.get(f"{URL}?area=security").status_code == 302  # to the sign-in page
    renders = []
    real = service.render_pdf
    monkeypatch.setattr(service, "render_pdf", lambda blank: renders.append(1) or real(blank))
    login(client, editor)
    response = client.get(f"{URL}?area=security&language=th&paper=Letter")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="asus-quick-2026.2-security-blank-th.pdf"'
    )
    assert THAI_QUESTION in "".join(pdftotext(response.data).split())
    again = client.get(f"{URL}?area=security&language=th&paper=Letter")
    assert again.data == response.data and len(renders) == 1
    assert db.session.execute(db.select(db.func.count(BlankQuestionnaireFile.id))).scalar() == 1
    # Another paper is another file.
    client.get(f"{URL}?area=security&language=th")
    assert len(renders) == 2


@pytest.mark.parametrize(
    "url, status, message",
    [
        (f"{URL}?area=nowhere", 404, b""),
        ("/questionnaires/asus-quick/1999.9/blank.pdf", 404, b""),
        ("/questionnaires/no-such/2026.2/blank.pdf", 404, b""),
        (f"{URL}?area=security&paper=A0", 400, b"The paper size must be one of A4, Letter."),
        (f"{URL}?area=security&language=xx", 400, b"language must be one of en, id"),
    ],
)
def test_what_does_not_exist_is_a_404_and_a_bad_paper_or_language_a_clear_400(
    client, login, editor, url, status, message
):
    login(client, editor)
    response = client.get(url)
    assert response.status_code == status and message in response.data


# The job's thread and the test's requests use the database at once: on connections of their own.
@pytest.mark.usefixtures("real_commits")
def test_a_long_questionnaire_is_rendered_in_the_background_then_served_at_once(
    make_app, login, editor
):
    app = make_app(REPORT_JOB_QUESTIONS=5)  # the area's six questions count as long here
    with app.app_context():
        client = app.test_client()
        login(client, editor)
        first = client.get(f"{URL}?area=security")
        assert first.status_code == 303
        state = wait_for(client, first.headers["Location"])
        assert state["status"] == "finished", state
        download = client.get(state["download"])
        assert download.data.startswith(b"%PDF-")
        assert "3.1.1" in pdftotext(download.data)
        again = client.get(f"{URL}?area=security")
        assert again.status_code == 200 and again.data == download.data


def test_the_overview_and_the_area_page_offer_it(client, login, make_assessment, editor):
    assessment = make_assessment(editor.city)
    login(client, editor)
    overview = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Print a blank questionnaire" in overview
    assert f'action="{URL}"' in overview and '<option value="security">Security' in overview
    area = client.get(f"/assessments/{assessment.id}/areas/security").get_data(as_text=True)
    assert "Print this area blank" in area
    assert '<input type="hidden" name="area" value="security">' in area


def test_the_command_writes_it(runner, db, tmp_path):
    output = tmp_path / "blank.pdf"
    options = ["--area", "security", "--city", "Đà Nẵng", "--paper", "Letter", "-o", str(output)]
    result = runner.invoke(args=["report", "blank", "asus-quick", *options])
    assert result.exit_code == 0, result.output
    assert "asus-quick-2026.2-security-blank.pdf" in result.output  # the newest version
    cover = pdftotext(output.read_bytes(), 1)
    assert "Đà Nẵng" in cover and "Area 3: Security" in cover
    whole = runner.invoke(
        args=["report", "blank", "asus-quick", "--version", "2026.1", "-o", str(output)]
    )
    assert whole.exit_code == 0 and "asus-quick-2026.1-blank.pdf" in whole.output
    missing = runner.invoke(args=["report", "blank", "asus-quick", "--area", "x", "-o", "x"])
    assert missing.exit_code != 0 and "No such area" in missing.output
