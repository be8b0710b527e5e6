"""The assessment workbook round trip through the real app and database: download, fill it in as
a person would (openpyxl, finding rows by question text), upload, preview, confirm; columns and
rows moved, conflicts, bad values, other cities' workbooks, files that are not workbooks,
languages and CSRF."""

import io
import os
import re
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm.attributes import set_committed_value

from toolkit.assessments.models import Answer, AnswerRevision, StoredAreaScore, WorkbookUpload
from toolkit.assessments.workbook import apply_upload
from toolkit.core import instrument
from toolkit.core.models import AuditEvent, utcnow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def da_nang(make_city, make_user, db):
    city = make_city("da-nang", name="Da Nang")
    lead = make_user("city_lead", city, name="Lan Lead")
    editor = make_user("city_editor", city, name="Eddy Editor")
    db.session.commit()
    return city, lead, editor


def text_of(response) -> str:
    """A page's text, without tags, as a person reads it."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def download(client, assessment, area_id=None):
    path = f"/assessments/{assessment.id}" + (f"/areas/{area_id}" if area_id else "") + "/workbook"
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data))


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, assessment, data, name="answers.xlsx", **fields):
    """POST the workbook as a browser does. The body is made here: the test client spools a
    large one to a temporary file that it never closes."""
    if not isinstance(data, bytes):
        data = saved(data)
    boundary = "workbook-boundary-7f3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="{name}"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/assessments/{assessment.id}/workbook/upload",
        data=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def confirm_path(preview) -> str:
    """Where the preview's form confirms the upload."""
    return re.search(r'action="(/assessments/\d+/workbook/uploads/\d+)"', preview.text).group(1)


def confirm(client, assessment, preview):
    return client.post(confirm_path(preview))


def find(book, question_text):
    """The sheet and row of a question, found by its text as a person finds it."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                if isinstance(cell.value, str) and question_text in cell.value:
                    return sheet, cell.row
    raise AssertionError(f"no row for {question_text!r}")


def fill(book, question_text, **cells):
    """Write into a question's row, in the columns named by their visible headers ("Answer",
    "Comment", ...). Returns the addresses written."""
    sheet, row = find(book, question_text)
    headers = {cell.value: cell.column for cell in sheet[2] if cell.value}
    written = {}
    for header, value in cells.items():
        cell = sheet.cell(row, headers[header.replace("_", " ")])
        cell.value = value
        written[header] = f"{sheet.title}!{cell.coordinate}"
    return written


def question(question_id, questionnaire="asus-quick"):
    return instrument.latest(questionnaire).question(question_id)


def answers_of(db, assessment):
    db.session.expire_all()
    rows = db.session.execute(db.select(Answer).filter_by(assessment_id=assessment.id)).scalars()
    return {a.question_id: a for a in rows}


def test_the_workbook_explains_itself_and_opens_the_answer_cells_only(
    client, login, da_nang, make_assessment, db
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2, "cs_women_senior_posts": 35})
    login(client, editor)

    response = client.get(f"/assessments/{assessment.id}/workbook")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="da-nang-asus-quick-2026.xlsx"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    book = load_workbook(io.BytesIO(response.data))
    questionnaire = instrument.latest("asus-quick")
    visible = [s.title for s in book.worksheets if s.sheet_state == "visible"]
    assert visible == ["README"] + [a.name.en for a in questionnaire.areas]
    readme = "\n".join(str(c.value) for row in book["README"].iter_rows() for c in row if c.value)
    title = questionnaire.title.en
    for words in ("Da Nang", title, "2026.2", "Eddy Editor", "not applicable", "drop-down"):
        assert words.lower() in readme.lower(), words
    assert "upload the workbook on the assessment" in readme.lower()

    security = book["Security"]
    assert security.row_dimensions[1].hidden  # the machine keys
    assert [c.value for c in security[1]][:2] == ["question_id", "based_on"]
    assert security.freeze_panes == "C3"
    assert security.protection.sheet and not security.protection.password
    sheet, row = find(book, question("se_drr_plan").text.en)
    headers = {cell.value: cell.column_letter for cell in sheet[2]}
    answer = sheet[f"{headers['Answer']}{row}"]
    assert answer.value.startswith("2: ")  # the level with its meaning
    assert not answer.protection.locked
    question_cell = sheet[f"{headers['Question']}{row}"]
    assert question_cell.protection.locked and question_cell.alignment.wrap_text
    assert sheet.column_dimensions["A"].hidden and sheet.column_dimensions["B"].hidden
    assert sheet[f"B{row}"].value == 1  # the answer version the row was made from
    rule = next(r for r in sheet.data_validations.dataValidation if answer.coordinate in r.sqref)
    assert rule.type == "list"
    drop_down = rule.formula1
    lists, cells = drop_down.split("!")
    column = lists.strip("'")
    first, last = cells.replace("$", "").split(":")
    entries = [c.value for row in book[column][f"{first}:{last}"] for c in row]
    assert entries[0].startswith("0: ") and len(entries) == len(question("se_drr_plan").levels)
    # Not applicable only where the question allows it.
    na_column = headers["Not applicable"]
    allowing = find(book, question("cs_social_registry").text.en)
    refusing = find(book, question("cs_participation").text.en)
    assert not allowing[0][f"{na_column}{allowing[1]}"].protection.locked
    assert refusing[0][f"{na_column}{refusing[1]}"].protection.locked

    sheet, row = find(book, question("cs_women_senior_posts").text.en)
    headers = {cell.value: cell.column_letter for cell in sheet[2]}
    cell = sheet[f"{headers['Answer']}{row}"]
    assert cell.value == 35
    rule = next(r for r in sheet.data_validations.dataValidation if cell.coordinate in r.sqref)
    assert (rule.type, rule.formula1, rule.formula2) == ("decimal", "0.0", "100.0")
    assert sheet[f"{headers['Unit']}{row}"].value == "%"

    area = client.get(f"/assessments/{assessment.id}/areas/security/workbook")
    assert area.headers["Content-Disposition"].endswith('da-nang-asus-quick-2026-security.xlsx"')
    one = load_workbook(io.BytesIO(area.data))
    assert [s.title for s in one.worksheets if s.sheet_state == "visible"] == ["README", "Security"]
    assert client.get(f"/assessments/{assessment.id}/areas/nowhere/workbook").status_code == 404

    page = client.get(f"/assessments/{assessment.id}")
    assert "Download workbook" in page.text and "Upload workbook" in page.text
    assert (
        "Download this area as a workbook"
        in client.get(f"/assessments/{assessment.id}/areas/security").text
    )


def test_a_filled_workbook_is_previewed_then_saved_as_the_uploader(
    client, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 1}, by=lead)
    login(client, editor)
    book = download(client, assessment)
    drr = question("se_drr_plan")
    fill(book, drr.text.en, Answer=f"3: {drr.levels[3].descriptor.en}"[:60], Comment="Adopted 2025")
    fill(
        book,
        question("cs_women_senior_posts").text.en,
        Answer=41.5,
        **{"Year of the data": 2025, "Source of the data": "BKD Da Nang"},
    )
    fill(
        book,
        question("cs_social_registry").text.en,
        **{"Not applicable": "Yes", "Why it does not apply": "The province keeps the registry"},
    )
    fill(
        book,
        question("se_early_warning").text.en,
        Answer=3,
        **{"Evidence links (one per line)": "https://example.org/sirens Sirens\nhttps://x.org"},
    )

    preview = upload(client, assessment, book)
    assert preview.status_code == 200, text_of(preview)
    page = text_of(preview)
    assert "The workbook changes 4 answers." in page
    assert f"level 1: {drr.levels[1].descriptor.en}" in page
    assert f"level 3: {drr.levels[3].descriptor.en}" in page
    assert "Lan Lead" in page  # who changed the stored answer last
    assert "41.5 %" in page and "Not applicable" in page
    assert answers_of(db, assessment)["se_drr_plan"].value == 1  # nothing saved yet
    before = db.session.get(StoredAreaScore, assessment.scores_by_area()["security"].id).score

    done = confirm(client, assessment, preview)
    assert done.status_code == 200
    assert "4 answers saved, 0 conflicts." in text_of(done)
    answers = answers_of(db, assessment)
    assert answers["se_drr_plan"].value == 3 and answers["se_drr_plan"].comment == "Adopted 2025"
    women = answers["cs_women_senior_posts"]
    assert (women.value, women.data_year, women.data_source) == (41.5, 2025, "BKD Da Nang")
    registry = answers["cs_social_registry"]
    assert registry.not_applicable and registry.not_applicable_reason.startswith("The province")
    assert answers["se_early_warning"].evidence == [
        "https://example.org/sirens Sirens",
        "https://x.org",
    ]
    revision = (
        db.session.execute(
            db.select(AnswerRevision)
            .filter_by(answer_id=answers["se_drr_plan"].id)
            .order_by(AnswerRevision.id.desc())
        )
        .scalars()
        .first()
    )
    assert revision.changed_by_id == editor.id and revision.old["value"] == 1
    db.session.refresh(assessment)
    assert assessment.scores_by_area()["security"].score > before

    again = confirm(client, assessment, preview)
    assert "saved already" in text_of(again)
    assert answers_of(db, assessment)["se_drr_plan"].version == 2  # nothing applied twice
    # The same workbook uploaded afresh changes nothing either: its answers are saved.
    unchanged = upload(client, assessment, book)
    assert "The workbook changes no answer" in text_of(unchanged)


def test_columns_and_rows_moved_and_an_extra_sheet_still_load(
    client, login, da_nang, make_assessment, db
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    book = download(client, assessment, "security")
    fill(book, question("se_drr_plan").text.en, Answer=2, Comment="Moved around")
    fill(book, question("se_early_warning").text.en, Answer=3)
    sheet = book["Security"]
    # Re-saved as a spreadsheet program would after the columns were reordered and the rows
    # sorted: a new sheet with the columns reversed and the question rows upside down.
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    moved = [list(reversed(r)) for r in rows[:2] + list(reversed(rows[2:]))]
    index = book.index(sheet)
    book.remove(sheet)
    again = book.create_sheet("Security", index)
    for values in moved:
        again.append(values)
    again.row_dimensions[1].hidden = True
    notes = book.create_sheet("My notes", 0)
    notes.append(["question_id? no: just notes", "call the disaster office"])

    preview = upload(client, assessment, book)
    assert preview.status_code == 200, text_of(preview)
    assert "The workbook changes 2 answers." in text_of(preview)
    assert confirm(client, assessment, preview).status_code == 200
    answers = answers_of(db, assessment)
    assert answers["se_drr_plan"].value == 2 and answers["se_drr_plan"].comment == "Moved around"
    assert answers["se_early_warning"].value == 3


def test_an_answer_changed_on_the_web_since_the_download_is_a_conflict_not_overwritten(
    client, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 1, "se_early_warning": 1})
    login(client, editor)
    book = download(client, assessment)
    # Meanwhile the lead changes it on the area page.
    login(other := client.application.test_client(), lead)
    web = other.post(
        f"/assessments/{assessment.id}/questions/se_drr_plan",
        data={"se_drr_plan__value": "3", "se_drr_plan__version": "1"},
        headers={"Accept": "application/json"},
    )
    assert web.status_code == 200
    fill(book, question("se_drr_plan").text.en, Answer=2)
    fill(book, question("se_early_warning").text.en, Answer=2)

    preview = upload(client, assessment, book)
    page = text_of(preview)
    assert "The workbook changes 1 answer." in page
    assert "1 more answer was changed by someone else" in page
    drr = question("se_drr_plan")
    assert (
        f"Answer: changed by both of you. Theirs, kept: level 3: {drr.levels[3].descriptor.en} · "
        f"Yours, from the workbook, not saved: level 2: {drr.levels[2].descriptor.en}"
    ) in page
    assert "Changed by Lan Lead" in page

    done = confirm(client, assessment, preview)
    assert done.status_code == 409
    page = text_of(done)
    assert "1 answer saved, 1 conflict." in page
    assert f"/assessments/{assessment.id}/areas/security#q-se_drr_plan" in done.text
    answers = answers_of(db, assessment)
    assert answers["se_drr_plan"].value == 3  # the lead's answer stands
    assert answers["se_drr_plan"].updated_by_id == lead.id
    assert answers["se_early_warning"].value == 2


def test_bad_values_are_all_listed_by_cell_and_nothing_is_saved(
    client, login, da_nang, make_assessment, db
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 1})
    login(client, editor)
    book = download(client, assessment)
    maybe = fill(book, question("se_drr_plan").text.en, Answer="maybe")
    women = fill(book, question("cs_women_senior_posts").text.en, Answer=130)
    refused = fill(book, question("cs_participation").text.en, Not_applicable="Yes")
    no_reason = fill(
        book,
        question("cs_social_registry").text.en,
        Not_applicable="Yes",
        Why_it_does_not_apply=None,
    )
    link = fill(
        book,
        question("se_early_warning").text.en,
        Answer=2,
        **{"Evidence links (one per line)": "javascript:alert(1)"},
    )
    year = fill(book, question("hw_water_connections").text.en, Year_of_the_data=1800)
    sheet, row = find(book, question("qe_air_quality").text.en)
    unknown = f"{sheet.title}!A{row}"
    sheet[f"A{row}"] = "qe_no_such_question"

    response = upload(client, assessment, book)
    assert response.status_code == 400
    page = text_of(response)
    assert "The workbook has 7 problems. Nothing was saved" in page
    level_0 = question("se_drr_plan").levels[0].descriptor.en
    assert f"{maybe['Answer']}: “maybe” is not one of the allowed answers (0: {level_0}" in page
    assert f"{women['Answer']}: 130 is outside the accepted range. Accepted: 0 to 100." in page
    assert f"{refused['Not_applicable']}: this question cannot be marked not applicable." in page
    assert f"{no_reason['Why_it_does_not_apply']}: say why this does not apply to the city." in page
    assert f"{link['Evidence links (one per line)']}: Each line starts with a link" in page
    assert f"{year['Year_of_the_data']}: Enter the year the figure describes" in page
    assert f"{unknown}: “qe_no_such_question” is not a question of this questionnaire." in page
    assert answers_of(db, assessment)["se_drr_plan"].value == 1
    assert "se_early_warning" not in answers_of(db, assessment)
    assert db.session.execute(db.select(WorkbookUpload)).first() is None


def test_several_choices_go_in_one_cell(client, login, da_nang, make_assessment, db):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, "asus-detailed")
    login(client, editor)
    questionnaire = instrument.latest("asus-detailed")
    q = next(
        q
        for q in questionnaire.questions()
        if q.type == "multi_choice" and any(c.exclusive for c in q.choices) and not q.show_if
    )
    plain = [c for c in q.choices if not c.exclusive]
    alone = next(c for c in q.choices if c.exclusive)
    book = download(client, assessment, q.area_id)
    fill(book, q.text.en, Answer=f"{plain[1].label.en}; {plain[0].label.en}")
    preview = upload(client, assessment, book)
    assert preview.status_code == 200, text_of(preview)
    assert f"{plain[0].label.en}; {plain[1].label.en}" in text_of(preview)
    confirm(client, assessment, preview)
    assert answers_of(db, assessment)[q.id].value == [plain[0].id, plain[1].id]

    book = download(client, assessment, q.area_id)
    sheet, row = find(book, q.text.en)
    headers = {cell.value: cell.column_letter for cell in sheet[2]}
    assert sheet[f"{headers['Answer']}{row}"].value == f"{plain[0].label.en}; {plain[1].label.en}"
    where = fill(book, q.text.en, Answer=f"{alone.label.en}; {plain[0].label.en}; Perhaps")[
        "Answer"
    ]
    bad = upload(client, assessment, book)
    assert f"{where}: “Perhaps” is not one of the allowed answers" in text_of(bad)
    fill(book, q.text.en, Answer=f"{alone.label.en}; {plain[0].label.en}")
    bad = upload(client, assessment, book)
    assert f"{where}: “{alone.label.en}” cannot be chosen together with other answers" in text_of(
        bad
    )


def test_another_citys_workbook_and_another_citys_editor_get_not_found(
    client, login, da_nang, make_assessment, make_city, make_user, db
):
    city, _lead, editor = da_nang
    cebu = make_city("cebu", country="PH", name="Cebu")
    theirs = make_assessment(cebu)
    cebu_editor = make_user("city_editor", cebu)
    ours = make_assessment(city)
    other_cycle = make_assessment(city, cycle=2025)
    db.session.commit()

    login(client, cebu_editor)
    cebu_book = saved(download(client, theirs))
    assert client.get(f"/assessments/{ours.id}/workbook").status_code == 404
    assert client.get(f"/assessments/{ours.id}/areas/security/workbook").status_code == 404
    assert client.get(f"/assessments/{ours.id}/workbook/upload").status_code == 404
    assert upload(client, ours, cebu_book).status_code == 404

    login(client, editor)
    assert upload(client, ours, cebu_book).status_code == 404
    assert upload(client, ours, saved(download(client, other_cycle))).status_code == 404
    preview = upload(client, ours, saved(download(client, ours)))
    assert preview.status_code == 200
    action = re.search(r'action="(/assessments/\d+/workbook/uploads/\d+)"', preview.text).group(1)
    login(client, make_user("city_lead", city))
    assert client.post(action).status_code == 404  # only the uploader confirms


@pytest.mark.parametrize(
    "content, message",
    [
        (os.urandom(3000), "This file is not an Excel workbook (.xlsx)"),
        ("zip", "This file is not an Excel workbook (.xlsx)"),
        ("bomb", "This file is not an Excel workbook (.xlsx)"),
        ("plain", "does not say which assessment it belongs to"),
        (b"", "This file is not an Excel workbook (.xlsx)"),
        (None, "Choose the workbook file to upload."),
    ],
)
def test_what_is_not_the_workbook_gets_a_clear_message(
    client, login, da_nang, make_assessment, content, message
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    if content in ("zip", "bomb"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            size = 100 * 2**20 if content == "bomb" else 10
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
        content = out.getvalue()
    elif content == "plain":
        book = Workbook()
        book.active.append(["question_id", "based_on", "answer"])
        content = saved(book)
    if content is None:
        response = client.post(f"/assessments/{assessment.id}/workbook/upload", data={})
    else:
        response = upload(client, assessment, content)
    assert response.status_code == 400
    assert message in text_of(response)


def test_a_workbook_too_large_is_refused(client, login, da_nang, make_assessment):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    five_and_a_bit = upload(client, assessment, b"x" * (5 * 2**20 + 10))
    assert five_and_a_bit.status_code == 400
    assert "larger than 5 MB" in text_of(five_and_a_bit)
    ten = client.post(
        f"/assessments/{assessment.id}/workbook/upload",
        data=b"x" * (10 * 2**20),
        content_type="multipart/form-data; boundary=x",
    )
    assert ten.status_code == 413
    assert "nothing was saved" in text_of(ten)


@pytest.mark.parametrize("language", ["th", "vi"])
def test_the_workbook_is_in_the_persons_language(
    client, login, da_nang, make_assessment, db, language
):
    city, _lead, editor = da_nang
    editor.language = language
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    db.session.commit()
    login(client, editor)
    book = download(client, assessment)
    questionnaire = instrument.latest("asus-quick")
    drr = questionnaire.question("se_drr_plan")
    security = questionnaire.area("security").name.get(language)
    assert security != "Security" and security[:31] in book.sheetnames
    sheet, row = find(book, drr.text.get(language))
    assert drr.text.get(language) != drr.text.en
    headers = [c.value for c in sheet[2]]
    assert "Answer" not in headers  # the interface words are translated too
    answer = sheet.cell(row, [c.value for c in sheet[1]].index("answer") + 1).value
    assert answer.startswith(f"2: {drr.levels[2].descriptor.get(language)[:30]}")
    # Read back in that language: unchanged, so nothing to save.
    assert "<table" not in upload(client, assessment, book).text


def test_an_upload_needs_its_csrf_token(make_app, login, da_nang, make_assessment, db):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    browser = app.test_client()
    login(browser, editor)
    data = saved(download(browser, assessment))
    assert upload(browser, assessment, data).status_code == 400
    page = browser.get(f"/assessments/{assessment.id}/workbook/upload").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    preview = upload(browser, assessment, data, csrf_token=token)
    assert preview.status_code == 200
    assert confirm(browser, assessment, preview).status_code == 400  # the confirm form too


def test_a_submitted_assessment_is_downloaded_but_not_uploaded(
    client, login, da_nang, make_assessment, make_user, db
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2}, status="submitted")
    network = make_user("network")
    db.session.commit()
    login(client, editor)
    data = saved(download(client, assessment))
    refused = upload(client, assessment, data)
    assert refused.status_code == 403
    assert "This assessment is submitted: its answers can no longer be changed" in text_of(refused)
    assert "Upload workbook" not in client.get(f"/assessments/{assessment.id}").text

    login(client, network)
    assert client.get(f"/assessments/{assessment.id}/workbook").status_code == 200
    assessment.status = "draft"
    db.session.commit()
    assert upload(client, assessment, data).status_code == 403  # network staff do not answer


def test_a_question_shown_after_an_earlier_answer_says_when_it_applies(
    client, login, da_nang, make_assessment
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, "asus-detailed")
    login(client, editor)
    questionnaire = instrument.latest("asus-detailed")
    q = next(q for q in questionnaire.questions() if q.show_if)
    controller = questionnaire.question(q.show_if.question)
    sheet, row = find(download(client, assessment, q.area_id), q.text.en)
    keys = [c.value for c in sheet[1]]
    about = sheet.cell(row, keys.index("about") + 1).value
    assert f"Applies only when the answer to “{controller.text.en}” is one of:" in about


def test_an_upload_waits_a_day_for_its_confirmation(client, login, da_nang, make_assessment, db):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    book = download(client, assessment)
    fill(book, question("se_drr_plan").text.en, Answer=2)
    preview = upload(client, assessment, book)
    kept = db.session.execute(db.select(WorkbookUpload)).scalar_one()
    assert kept.user_id == editor.id and len(kept.sha256) == 64
    kept.created_at -= timedelta(days=2)
    db.session.commit()
    assert confirm(client, assessment, preview).status_code == 404
    assert "se_drr_plan" not in answers_of(db, assessment)
    upload(client, assessment, book)  # a new upload drops the old one
    left = db.session.execute(db.select(WorkbookUpload.created_at)).scalars().all()
    assert len(left) == 1 and left[0] > utcnow() - timedelta(hours=1)


def test_a_person_keeps_one_upload_to_confirm_and_none_once_confirmed(
    client, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, lead)
    book = download(client, assessment)
    upload(client, assessment, book)  # the lead's upload is not the editor's to replace
    login(client, editor)
    fill(book, question("se_drr_plan").text.en, Answer=2)
    first = upload(client, assessment, book)
    fill(book, question("se_drr_plan").text.en, Answer=3)
    second = upload(client, assessment, book)
    kept = db.session.execute(db.select(WorkbookUpload).filter_by(user_id=editor.id)).scalars()
    assert [u.id for u in kept] == [int(confirm_path(second).rsplit("/", 1)[1])]
    assert db.session.execute(db.select(WorkbookUpload).filter_by(user_id=lead.id)).scalar_one()
    assert confirm(client, assessment, first).status_code == 404  # replaced by the second

    assert confirm(client, assessment, second).status_code == 200
    assert answers_of(db, assessment)["se_drr_plan"].value == 3
    applied = db.session.execute(db.select(WorkbookUpload).filter_by(user_id=editor.id))
    applied = applied.scalar_one()
    assert applied.applied_at is not None and applied.data == b""  # the file is not kept


def test_a_workbook_confirmed_meanwhile_is_applied_and_recorded_once(
    client, login, da_nang, make_assessment, db
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    book = download(client, assessment)
    fill(book, question("se_drr_plan").text.en, Answer=2)
    preview = upload(client, assessment, book)
    stale = db.session.execute(db.select(WorkbookUpload)).scalar_one()
    assert confirm(client, assessment, preview).status_code == 200
    assert "saved already" in text_of(confirm(client, assessment, preview))
    events = db.select(AuditEvent).filter_by(action="workbook_applied")
    assert len(db.session.execute(events).all()) == 1

    # A confirmation that read the upload before another applied it waits for the lock and
    # reads it again: it applies nothing.
    set_committed_value(stale, "applied_at", None)
    assert apply_upload(stale, assessment, editor) is None
    assert answers_of(db, assessment)["se_drr_plan"].version == 1


@pytest.mark.parametrize("damage", [b"abc", b"&#0;"])
def test_a_workbook_with_a_damaged_cell_is_not_an_xlsx(
    client, login, da_nang, make_assessment, db, damage
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 1})
    login(client, editor)
    book = download(client, assessment)
    sheet, row = find(book, question("se_drr_plan").text.en)
    index = book.sheetnames.index(sheet.title)
    good, bad = io.BytesIO(saved(book)), io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == f"xl/worksheets/sheet{index + 1}.xml":
                part, count = re.subn(
                    rb'(<c r="B%d"[^>]*><v>)1(</v>)' % row, rb"\g<1>" + damage + rb"\g<2>", part
                )
                assert count == 1
            target.writestr(info, part)

    response = upload(client, assessment, bad.getvalue())
    assert response.status_code == 400
    assert "This file is not an Excel workbook (.xlsx)" in text_of(response)
    assert db.session.execute(db.select(WorkbookUpload)).first() is None
    assert answers_of(db, assessment)["se_drr_plan"].version == 1


@pytest.mark.parametrize("language", ["zz_ZZ", "not a locale!", ""])
def test_a_workbook_whose_hidden_language_was_changed_is_read_in_english(
    client, login, da_nang, make_assessment, db, language
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    book = download(client, assessment)
    book["_workbook"]["B5"] = language
    fill(
        book,
        question("cs_social_registry").text.en,
        **{"Not applicable": "Yes", "Why it does not apply": "The province keeps the registry"},
    )
    preview = upload(client, assessment, book)
    assert preview.status_code == 200, text_of(preview)
    assert "The workbook changes 1 answer." in text_of(preview)


@pytest.mark.parametrize("version", [-1, 2.5, "one", "1" * 11, True])
def test_a_changed_hidden_answer_version_is_refused(
    client, login, da_nang, make_assessment, db, version
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 1})
    login(client, editor)
    book = download(client, assessment)
    sheet, row = find(book, question("se_drr_plan").text.en)
    sheet[f"B{row}"] = version
    response = upload(client, assessment, book)
    assert response.status_code == 400
    assert f"{sheet.title}!B{row}: the hidden answer version was changed" in text_of(response)


def test_a_figure_of_more_digits_than_a_spreadsheet_keeps_is_not_a_change(
    client, login, da_nang, make_assessment
):
    city, _lead, editor = da_nang
    assessment = make_assessment(city, answers={"cs_women_senior_posts": 100 / 7})
    login(client, editor)
    unchanged = upload(client, assessment, download(client, assessment))
    assert "The workbook changes no answer" in text_of(unchanged)
