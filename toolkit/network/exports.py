"""Exports of the network's data as CSV or XLSX: the dashboard's rows and every answer.

A table is its columns (each explained in the README sheet) and rows read lazily from the
database; the writers turn it into chunks to stream (CSV) or a file on disk (XLSX), for a
download now or for a background job. Numbers stay numbers and nothing is None (a blank cell),
so that spreadsheets and Power BI type the columns by themselves; text that a spreadsheet would
run as a formula is defused (`safe_cell`).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from questionnaires import AREA_IDS
from toolkit.assessments.models import Answer, Assessment
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.network import comparison

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel reads a CSV file as UTF-8 (Vietnamese and Thai names) only when it starts with this.
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The columns that say which assessment a row is of, first in both exports.
ASSESSMENT_COLUMNS = [
    "assessment_id",
    "city",
    "city_slug",
    "country",
    "country_code",
    "questionnaire",
    "version",
    "cycle",
    "status",
]
AREA_SCORE_COLUMNS = [*ASSESSMENT_COLUMNS, "overall", "completeness", *AREA_IDS]
ANSWER_COLUMNS = [
    *ASSESSMENT_COLUMNS,
    "area",
    "sub_area",
    "question_id",
    "question",
    "value",
    "unit",
    "score_fraction",
    "not_applicable",
    "reason",
    "comment",
    "data_year",
    "data_source",
    "carried_over",
]

POINTS, SHARE = _l("points, 0 to 100"), _l("share, 0 to 1")
# What each exported column means and its unit, for the README sheet of the XLSX files.
COLUMN_HELP = {
    "assessment_id": (_l("The assessment's number in the toolkit (its page: /assessments/N)."), ""),
    "city": (_l("The city's name."), ""),
    "city_slug": (_l("The city's short name in addresses, which does not change."), ""),
    "country": (_l("The ASEAN member state of the city."), ""),
    "country_code": (_l("The country's ISO 3166-1 alpha-2 code."), ""),
    "questionnaire": (_l("The questionnaire's id (asus-quick or asus-detailed)."), ""),
    "version": (_l("The questionnaire's version the assessment was made with (text)."), ""),
    "cycle": (_l("The year of the assessment cycle."), _l("year")),
    "status": (_l("draft, submitted, returned or approved (by the network)."), ""),
    "overall": (_l("Overall score: the weighted mean of the scored areas (blank: none)."), POINTS),
    "completeness": (_l("Share of the questions that apply which are answered."), SHARE),
    **{area_id: (_l("Score of this area (blank: no score)."), POINTS) for area_id in AREA_IDS},
    "area": (_l("The ASUS core area of the question."), ""),
    "sub_area": (_l("The sub-area of the question."), ""),
    "question_id": (_l("The question's stable id."), ""),
    "question": (_l("The question's text."), ""),
    "value": (
        _l("The answer: a level, a number (in the unit of the column unit), yes/no or choices."),
        _l("see the column unit"),
    ),
    "unit": (_l("The unit of the answer: the question's unit, or the range of its levels."), ""),
    "score_fraction": (_l("The answer's points divided by the question's maximum."), SHARE),
    "not_applicable": (_l("yes when the city marked the question not applicable."), ""),
    "reason": (_l("Why the question does not apply, in the city's words."), ""),
    "comment": (_l("The city's comment on its answer."), ""),
    "data_year": (
        _l("Number answers: the year the figure describes (blank: not given)."),
        _l("year"),
    ),
    "data_source": (
        _l("Number answers: the publication or office the figure comes from (blank: not given)."),
        "",
    ),
    "carried_over": (
        _l(
            "yes when the answer was copied from an earlier cycle and nobody has confirmed or "
            "changed it since."
        ),
        "",
    ),
}


def table(name: str, f: comparison.Filter) -> tuple[str, list[str], Iterable[list]]:
    """The export `name` of the compared assessments: (file name without suffix, header, rows)."""
    f = comparison.resolved(f)
    base = f"{name}-{comparison.file_stem(f)}"
    if name == "answers":
        return base, ANSWER_COLUMNS, answer_rows(f)
    rows = (
        [
            row.id,
            row.city,
            row.slug,
            row.country,
            row.country_code,
            row.questionnaire_id,
            row.questionnaire_version,
            row.cycle,
            row.status,
            _rounded(row.overall, 2),
            _rounded(row.completeness, 4),
            *(_rounded(row._mapping[area_id], 2) for area_id in AREA_IDS),
        ]
        for row in area_score_rows(f)
    )
    return base, AREA_SCORE_COLUMNS, rows


def row_count(name: str, f: comparison.Filter) -> int:
    """How many rows the export will have, to decide whether it runs in the background."""
    assessments = comparison.count(f)
    if name == "answers":
        return assessments * len(list(instrument.latest(f.questionnaire).questions()))
    return assessments


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks of about 64 KB, written while the rows are read; it starts with
    a byte order mark, and None is an empty field."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(
    header: list[str],
    rows: Iterable[list],
    f: comparison.Filter | None = None,
    help: dict | None = None,
):
    """The workbook as an open temporary file, at its start: a data sheet (header row frozen,
    with an autofilter) and a README sheet explaining every column (from `help`, by default
    the network exports' COLUMN_HELP), the selection `f` (if any) and how formulas are
    defused. openpyxl's write-only mode keeps rows on disk."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.freeze_panes = "A2"
    data.append(header)
    written = 0
    for row in rows:
        data.append([safe_cell(value) for value in row])
        written += 1
    data.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written + 1}"
    _readme(workbook.create_sheet("README"), header, f, help or COLUMN_HELP)
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    workbook.save(file)
    file.seek(0)
    return file


def _readme(sheet, header: list[str], f: comparison.Filter | None, help: dict) -> None:
    """What a reader of the file needs: each column's meaning and unit, the selection (if
    any), how formula-like text was defused, and where and when the file was made."""
    sheet.append([_("column"), _("meaning"), _("unit")])
    for column in header:
        meaning, unit = help[column]
        sheet.append([column, str(meaning), str(unit) or None])
    sheet.append([])
    if f is not None:
        _selection(sheet, f)
    _formulas_and_source(sheet)


def _selection(sheet, f: comparison.Filter) -> None:
    """The README's lines on the network selection `f` the export holds."""
    sheet.append([_("selection"), _("The filters of this export:")])
    for name, value in comparison.selection(f):
        sheet.append([name, safe_cell(value)])
    order = _("descending") if f.descending else _("ascending")
    sheet.append([_("order"), f.sort, order])
    assessments = comparison.count(f)
    sheet.append([_("assessments"), assessments])
    if not assessments:
        sheet.append([_("nothing found"), comparison.why_empty(f)])
    sheet.append([])


def _formulas_and_source(sheet) -> None:
    """The README's lines on defused formulas and where the file comes from."""
    sheet.append(
        [
            _("formulas"),
            _(
                "Text that starts with =, +, -, @, a tab or a line break has an apostrophe (') "
                "put in front of it, so that a spreadsheet shows it as text instead of running "
                "it as a formula. Remove the apostrophe only from text you trust."
            ),
        ]
    )
    sheet.append(
        [
            _("source"),
            _(
                "ASUS City Self-Assessment Toolkit, exported %(when)s UTC",
                when=utcnow().strftime("%Y-%m-%d %H:%M"),
            ),
        ]
    )


def export_bytes(name: str, kind: str, f: comparison.Filter) -> tuple[str, str, bytes]:
    """The whole export in memory, for a background job: (file name, media type, content)."""
    base, header, rows = table(name, f)
    if kind == "xlsx":
        with xlsx_file(header, rows, f) as file:
            content = file.read()
    else:
        content = "".join(csv_chunks(header, rows)).encode()
    return f"{base}.{kind}", FORMATS[kind], content


def safe_cell(value):
    """A spreadsheet shows text starting with = + - @ (or a tab or return) as a formula: such
    text gets a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def area_score_rows(f: comparison.Filter) -> Iterator:
    """The heatmap rows for an export, fetched in batches so memory stays flat."""
    result = db.session.execute(
        comparison.heatmap_query(comparison.resolved(f)).execution_options(
            yield_per=500, stream_results=True
        )
    )
    yield from result


def answer_rows(f: comparison.Filter) -> Iterator[list]:
    """The answers of the compared assessments in long format (ANSWER_COLUMNS), numbers as
    numbers and None where there is nothing, read from the database in batches: memory stays
    flat whatever the number of rows."""
    query = (
        sa.select(
            Assessment.id,
            City.name,
            City.slug,
            Country.name,
            Country.code,
            Assessment.questionnaire_id,
            Assessment.questionnaire_version,
            Assessment.cycle,
            Assessment.status,
            Answer.question_id,
            Answer.value,
            Answer.not_applicable,
            Answer.not_applicable_reason,
            Answer.comment,
            Answer.data_year,
            Answer.data_source,
            Answer.carried_over,
        )
        .join(Assessment, Answer.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .order_by(City.name, Assessment.id, Answer.question_id)
    )
    result = db.session.execute(
        comparison.filtered(query, comparison.resolved(f)).execution_options(
            yield_per=1000, stream_results=True
        )
    )
    for row in result:
        *assessment, qid, version, cycle, status, question_id, value, na, reason, comment = row[:-3]
        data_year, data_source, carried_over = row[-3:]
        questionnaire = instrument.questionnaire(qid, version)
        question = questionnaire.find(question_id)
        if question is None:
            continue  # an answer to a question this version no longer has
        fraction = None
        if not na and value is not None and question.scored:
            points = question.points(question.parse_answer(value))
            fraction = round(points / question.max_points, 4)
        yield [
            *assessment,
            qid,
            version,
            cycle,
            status,
            str(questionnaire.area(question.area_id).name),
            str(questionnaire.find(question.sub_area_id).name),
            question_id,
            str(question.text),
            _answer_value(value),
            _unit(question),
            fraction,
            "yes" if na else "no",
            reason or None,
            comment or None,
            data_year,
            data_source or None,
            "yes" if carried_over else "no",
        ]


def _answer_value(value):
    """The answer as one cell: choice ids joined by "; ", None where there is nothing."""
    if isinstance(value, list):
        return "; ".join(map(str, value)) or None
    return None if value == "" else value


def _unit(question) -> str | None:
    if question.type == "level":
        return f"level {question.levels[0].number}-{question.levels[-1].number}"
    return question.unit.en if question.unit else None
