"""Exports of the network's data as CSV or XLSX: the dashboard's rows and every answer.

A table is a header and rows read lazily from the database; the writers turn it into chunks
to stream (CSV) or a file on disk (XLSX), for a download now or for a background job. Numbers
stay numbers and nothing is None (a blank cell), so that spreadsheets and Power BI type the
columns by themselves; text that a spreadsheet would run as a formula is defused (`safe_cell`).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from questionnaires import AREA_IDS
from toolkit.core import instrument
from toolkit.core.models import utcnow
from toolkit.network import comparison

TABLES = ("area-scores", "answers")
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel reads a CSV file as UTF-8 (Vietnamese and Thai names) only when it starts with this.
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def table(name: str, f: comparison.Filter) -> tuple[str, list[str], Iterable[list]]:
    """The export `name` of the compared assessments: (file name without suffix, header, rows)."""
    f = comparison.resolved(f)
    base = f"{name}-{comparison.file_stem(f)}"
    if name == "answers":
        return base, comparison.ANSWER_COLUMNS, comparison.answer_rows(f)
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
        for row in comparison.export_rows(f)
    )
    return base, comparison.AREA_SCORE_COLUMNS, rows


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


def xlsx_file(header: list[str], rows: Iterable[list], f: comparison.Filter):
    """The workbook as an open temporary file, at its start: a data sheet (header row frozen,
    with an autofilter) and a README sheet explaining every column, the selection `f` and how
    formulas are defused. openpyxl's write-only mode keeps rows on disk."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.freeze_panes = "A2"
    data.append(header)
    written = 0
    for row in rows:
        data.append([safe_cell(value) for value in row])
        written += 1
    data.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written + 1}"
    _readme(workbook.create_sheet("README"), header, f)
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    workbook.save(file)
    file.seek(0)
    return file


def _readme(sheet, header: list[str], f: comparison.Filter) -> None:
    """What a reader of the file needs: each column's meaning and unit, the selection, how
    formula-like text was defused, and where and when the file was made."""
    sheet.append(["column", "meaning", "unit"])
    for column in header:
        meaning, unit = comparison.COLUMN_HELP[column]
        sheet.append([column, str(meaning), str(unit) or None])
    sheet.append([])
    sheet.append(["selection", _("The filters of this export:")])
    for name, value in comparison.selection(f):
        sheet.append([name, safe_cell(value)])
    order = _("descending") if f.descending else _("ascending")
    sheet.append(["order", f"{f.sort}, {order}"])
    assessments = comparison.count(f)
    sheet.append(["assessments", assessments])
    if not assessments:
        sheet.append(["nothing found", comparison.why_empty(f)])
    sheet.append([])
    sheet.append(
        [
            "formulas",
            _(
                "Text that starts with =, +, -, @, a tab or a line break has an apostrophe (') "
                "put in front of it, so that a spreadsheet shows it as text instead of running "
                "it as a formula. Remove the apostrophe only from text you trust."
            ),
        ]
    )
    sheet.append(
        [
            "source",
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
