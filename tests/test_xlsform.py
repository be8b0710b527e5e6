"""Questionnaires as XLSForms: every shipped version survives export and import unchanged (its
translations too), pyxform converts the export without a warning, the commands work end to end,
and a bad workbook is explained cell by cell."""

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert

import questionnaires
from questionnaires import catalogue, load, translations, xlsform
from toolkit.cli import main

SHIPPED = sorted(Path(questionnaires.__file__).parent.glob("*.yaml"))
LANGUAGES = ["id", "vi", "th"]
XFORMS = "{http://www.w3.org/2002/xforms}"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def without_lines(value):
    """A questionnaire (or a part of it) with the file and lines it was read from left out:
    two files of one questionnaire differ in nothing else."""
    if isinstance(value, tuple):
        return tuple(without_lines(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: without_lines(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        for name in ("line", "source", "changes_line"):
            if name in fields:
                fields[name] = type(fields[name])()
        return dataclasses.replace(value, **fields)
    return value


@pytest.fixture(scope="module")
def shipped():
    return {Path(q.source).name: q for q in catalogue()}


@pytest.fixture(scope="module", params=[path.name for path in SHIPPED])
def exported(request, shipped, tmp_path_factory):
    """A shipped version (with its catalogues' translations) and its XLSForm."""
    questionnaire = shipped[request.param]
    path = tmp_path_factory.mktemp("xlsform") / f"{Path(request.param).stem}.xlsx"
    xlsform.to_xlsform(questionnaire, LANGUAGES).save(path)
    return questionnaire, path


def test_every_shipped_version_survives_the_round_trip_with_its_translations(exported, tmp_path):
    questionnaire, path = exported
    imported = xlsform.read_xlsform(path)
    yaml_path = tmp_path / "imported.yaml"
    yaml_path.write_text(xlsform.dump_yaml(imported.document), encoding="utf-8")

    english = load(yaml_path)
    assert without_lines(english) == without_lines(load(questionnaire.source))

    written = xlsform.store_translations(english, imported.translations, tmp_path / "translations")
    assert sorted(p.parent.name for p in written) == sorted(LANGUAGES)
    found = translations.catalogues(questionnaire.id, tmp_path / "translations")
    assert without_lines(translations.translated(english, found)) == without_lines(questionnaire)


def test_pyxform_converts_every_export_without_a_warning(exported):
    questionnaire, path = exported
    warnings = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == []

    model = ET.fromstring(result.xform).find(".//" + XFORMS + "model")
    bound = [bind.get("nodeset").rsplit("/", 1)[1] for bind in model.iter(XFORMS + "bind")]
    questions = list(questionnaire.questions())
    companions = [f"{q.id}_{part}" for q in questions if q.allow_na for part in ("na", "na_reason")]
    assert sorted(bound) == sorted([q.id for q in questions] + companions + ["instanceID"])

    languages = {t.get("lang"): t for t in model.iter(XFORMS + "translation")}
    assert sorted(languages) == [
        "English (en)",
        "Indonesian (id)",
        "Thai (th)",
        "Vietnamese (vi)",
    ]
    first = questions[0]
    thai = {
        text.get("id"): text.findtext(XFORMS + "value")
        for text in languages["Thai (th)"].iter(XFORMS + "text")
    }
    label = next(value for key, value in thai.items() if key.endswith(f"/{first.id}:label"))
    assert label == first.text.get("th") != first.text.en


def test_the_format_example_keeps_yes_no_show_if_exclusive_choices_and_limits(
    write_questionnaire, example_text, tmp_path
):
    """The example of FORMAT.md holds what the shipped files do not: a yes/no question, a
    show_if on it, an exclusive choice with a cap, a range, a choice that may be not applicable."""
    original = load(write_questionnaire(example_text))
    path = tmp_path / "example.xlsx"
    xlsform.to_xlsform(original).save(path)

    warnings = []
    xform = convert(xlsform=str(path), warnings=warnings).xform
    assert warnings == []
    binds = {
        bind.get("nodeset").rsplit("/", 1)[1]: bind
        for bind in ET.fromstring(xform).iter(XFORMS + "bind")
    }
    assert (
        binds["se_drr_plan_year"].get("relevant") == " /data/security/se_drr/se_drr_plan  = 'yes'"
    )
    assert binds["hw_piped_water"].get("constraint") == ". >= 0 and . <= 100"
    assert binds["qe_waste_streams"].get("constraint") == (
        "(not(selected(., 'none')) or count-selected(.) = 1)"
    )
    na = " /data/built_infrastructure/bi_mobility/bi_mobility_plan_na "
    assert binds["bi_mobility_plan"].get("relevant") == f"not(selected({na}, 'na'))"
    assert binds["bi_mobility_plan_na_reason"].get("relevant") == f"selected({na}, 'na')"
    assert binds["ii_strategy_notes"].get("required") is None

    document = xlsform.from_xlsform(path)
    yaml_path = tmp_path / "example.yaml"
    yaml_path.write_text(xlsform.dump_yaml(document), encoding="utf-8")
    assert without_lines(load(yaml_path)) == without_lines(original)


def test_the_commands_export_and_import_a_questionnaire(tmp_path, shipped):
    workbook = tmp_path / "quick.xlsx"
    exported = run("questionnaire", "export-xlsform", "asus-quick", "--output", str(workbook))
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"{workbook}: asus-quick 2026.2, 39 questions, in en, id, vi, th\n"
    book = openpyxl.load_workbook(workbook)
    tick = next(
        row for row in book["survey"].iter_rows(values_only=True) if row[0].endswith("asus_na")
    )
    thai = next(i for i, c in enumerate(next(book["survey"].values)) if c == "label::Thai (th)")
    assert tick[thai] == "ไม่เกี่ยวข้องกับเมืองของเรา"  # the web form's words, from its catalogue

    only_thai = tmp_path / "thai.xlsx"
    run("questionnaire", "export-xlsform", "asus-quick", "--version", "2026.1", "--output",
        str(only_thai), "--language", "th")  # fmt: skip
    header = next(openpyxl.load_workbook(only_thai)["survey"].values)
    assert [c for c in header if c.startswith("label::")] == [
        "label::English (en)",
        "label::Thai (th)",
    ]
    assert openpyxl.load_workbook(only_thai)["settings"]["C2"].value == "2026.1"

    refused = run("questionnaire", "export-xlsform", "asus-quick", "--language", "xx")
    assert refused.exit_code == 1
    assert "not a language offered: xx" in refused.output

    target = tmp_path / "quick.yaml"
    imported = run(
        "questionnaire", "import-xlsform", str(workbook), "--output", str(target),
        "--translations", str(tmp_path / "translations"),
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    lines = imported.output.splitlines()
    assert lines[0] == f"{target}: ok: asus-quick 2026.2, 39 questions in 6 areas"
    assert lines[1:] == [
        f"{tmp_path / 'translations' / code / 'asus-quick.po'}: 616 texts translated"
        for code in ("id", "th", "vi")
    ]
    found = translations.catalogues("asus-quick", tmp_path / "translations")
    again = translations.translated(load(target), found)
    assert without_lines(again) == without_lines(shipped["asus-quick-2026.2.yaml"])


def test_a_bad_workbook_gets_every_problem_with_its_sheet_row_and_column(tmp_path, shipped):
    path = tmp_path / "bad.xlsx"
    xlsform.to_xlsform(shipped["asus-quick-2026.2.yaml"]).save(path)
    book = openpyxl.load_workbook(path)
    survey, choices = book["survey"], book["choices"]
    columns = {cell.value: cell.column for cell in survey[1]}
    question_row = next(
        row[0].row for row in survey.iter_rows(min_row=2) if row[1].value == "cs_participation"
    )
    survey.cell(question_row, columns["type"], "geopoint")
    number_row = next(
        row[0].row for row in survey.iter_rows(min_row=2) if row[0].value == "decimal"
    )
    survey.cell(number_row, columns["bands"], "15; lots; 40")
    choice_row = next(
        row[0].row for row in choices.iter_rows(min_row=2) if row[0].value == "cs_global_agendas"
    )
    points = next(cell.column for cell in choices[1] if cell.value == "points")
    choices.cell(choice_row, points, "two")
    book.save(path)

    result = run("questionnaire", "import-xlsform", str(path), "--output", str(tmp_path / "x.yaml"))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: 3 problem(s)",
        f"  {path}:choices:{choice_row}: points: must be a number, got 'two'",
        f"  {path}:survey:{question_row}: type: unknown type 'geopoint'; use "
        "select_one LIST, select_multiple LIST, decimal, integer, text, begin/end group",
        f"  {path}:survey:{number_row}: bands: band 2: 'lots' is not a number",
    ]
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    "form_id, version, column, message",
    [
        ("../../escaped", "2026.2", "form_id", "must be an id of lowercase letters"),
        ("asus-quick", "../../../tmp/escaped", "version", "must be at most 32 letters"),
        ("/tmp/escaped", "/x", "form_id", "must be an id of lowercase letters"),
    ],
)
def test_an_id_or_version_that_is_no_file_name_is_refused_before_anything_is_written(
    tmp_path, shipped, monkeypatch, form_id, version, column, message
):
    path = tmp_path / "form.xlsx"
    book = xlsform.to_xlsform(shipped["asus-quick-2026.2.yaml"])
    settings = book["settings"]
    columns = {cell.value: cell.column for cell in settings[1]}
    settings.cell(2, columns["form_id"], form_id)
    settings.cell(2, columns["version"], version)
    book.save(path)
    here = tmp_path / "a" / "b" / "c"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)

    result = run("questionnaire", "import-xlsform", str(path))
    assert result.exit_code == 1
    problems = result.output.splitlines()[1:]
    assert problems[0].startswith(f"  {path}:settings:2: {column}: {message}")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["form.xlsx"]


def test_a_workbook_without_survey_sheet_or_columns_and_a_file_that_is_none(tmp_path, shipped):
    path = tmp_path / "no-survey.xlsx"
    book = xlsform.to_xlsform(shipped["asus-quick-2026.2.yaml"])
    book.remove(book["survey"])
    book["choices"].delete_cols(1)  # list_name
    book.save(path)
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.from_xlsform(path)
    assert [str(p) for p in error.value.problems] == [
        f"{path}:survey:0: (sheet): the sheet is missing",
    ]

    book.create_sheet("survey").append(["type", "name"])
    book.save(path)
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.from_xlsform(path)
    assert [str(p) for p in error.value.problems] == [
        f"{path}:choices:1: list_name: the column is missing",
        f"{path}:survey:1: label: the column is missing",
    ]

    text = tmp_path / "questionnaire.xlsx"
    text.write_text("id: asus-quick\n", encoding="utf-8")
    result = run("questionnaire", "import-xlsform", str(text))
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == (
        f"  {text}:(workbook):0: (file): is not an Excel workbook: save it as .xlsx and try again"
    )


def test_a_form_made_in_kobo_is_read_with_the_types_it_implies(tmp_path):
    """A form written in Kobo has no asus_type column: a list of numbers is a level question,
    yes and no a yes/no question; the loader then says what the toolkit still needs."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (
        ["type", "name", "label", "required"],
        ["begin group", "civic_social", "Civic and Social"],
        ["begin group", "cs_budget", "Budget"],
        ["select_one scale", "cs_levels", "How far is the plan?", "yes"],
        ["select_one yn", "cs_published", "Is it published?", "yes"],
        ["text", "cs_notes", "Notes"],
        ["end group"],
        ["end group"],
    ):
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["scale", 0, "None"], ["scale", 1, "Some"]):
        choices.append(row)
    choices.append(["yn", "yes", "Yes"])
    choices.append(["yn", "no", "No"])
    book.create_sheet("settings").append(["form_title", "form_id", "version"])
    book["settings"].append(["Budget check", "budget", "1"])
    path = tmp_path / "kobo.xlsx"
    book.save(path)

    document = xlsform.from_xlsform(path)
    assert document["title"] == "Budget check"
    questions = document["areas"][0]["sub_areas"][0]["questions"]
    assert [(q["id"], q["type"], q.get("required", True)) for q in questions] == [
        ("cs_levels", "level", True),
        ("cs_published", "yes_no", True),
        ("cs_notes", "text", False),
    ]
    assert questions[0]["levels"] == {0: "None", 1: "Some"}


def test_what_the_loader_refuses_in_an_imported_workbook_is_listed_too(
    write_questionnaire, example_text, tmp_path
):
    path = tmp_path / "example.xlsx"
    book = xlsform.to_xlsform(load(write_questionnaire(example_text)))
    survey = book["survey"]
    area = next(row for row in survey.iter_rows(min_row=2) if row[1].value == "security")
    area[1].value = "safety"
    book.save(path)

    target = tmp_path / "example.yaml"
    result = run("questionnaire", "import-xlsform", str(path), "--output", str(target))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{target}: 2 problem(s)"
    assert lines[1].endswith("areas: the ASUS core area 'security' is missing")
    assert lines[2].startswith(f"  {target}:") and "'safety' is not an ASUS core area" in lines[2]


def test_translations_read_back_into_the_shipped_catalogues_change_nothing(tmp_path, shipped):
    """An editor's round trip through a spreadsheet leaves the translators' files as they were,
    entries of the other version, comments and flags included."""
    folder = tmp_path / "translations"
    shipped_folder = Path(questionnaires.__file__).parent / "translations"
    for po in shipped_folder.glob("*/asus-quick.po"):
        (folder / po.parent.name).mkdir(parents=True)
        (folder / po.parent.name / po.name).write_bytes(po.read_bytes())
    path = tmp_path / "quick.xlsx"
    xlsform.to_xlsform(shipped["asus-quick-2026.1.yaml"], LANGUAGES).save(path)

    imported = xlsform.read_xlsform(path)
    xlsform.store_translations(
        load(shipped["asus-quick-2026.1.yaml"].source), imported.translations, folder
    )
    assert sorted(po.parent.name for po in folder.glob("*/asus-quick.po")) == sorted(LANGUAGES)
    for po in folder.glob("*/asus-quick.po"):
        assert po.read_bytes() == (shipped_folder / po.parent.name / po.name).read_bytes()
