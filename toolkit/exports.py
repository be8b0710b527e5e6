"""Exports of the network's data as CSV or XLSX: the dashboard's rows and every answer.

A table is a header and rows read lazily from the database; the writers turn it into chunks
to stream (CSV) or a file on disk (XLSX), for a download now or for a background job.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook

from questionnaires import AREA_IDS

from . import comparison, instrument
from .models import utcnow

TABLES = ("area-scores", "answers")
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table(name: str, f: comparison.Filter) -> tuple[str, list[str], Iterable[list]]:
    """The export `name` of the compared assessments: (file name without suffix, header, rows)."""
    if name == "answers":
        return (
            f"asus-answers-{f.questionnaire}-{f.cycle}",
            comparison.ANSWER_COLUMNS,
            comparison.answer_rows(f),
        )
    rows = (
        [
            row.city,
            row.country,
            row.cycle,
            row.status,
            _number(row.overall),
            _number(row.completeness),
            *(_number(row._mapping[area_id]) for area_id in AREA_IDS),
        ]
        for row in comparison.export_rows(f)
    )
    return f"asus-area-scores-{f.questionnaire}-{f.cycle}", comparison.AREA_SCORE_COLUMNS, rows


def row_count(name: str, f: comparison.Filter) -> int:
    """How many rows the export will have, to decide whether it runs in the background."""
    assessments = comparison.count(f)
    if name == "answers":
        return assessments * len(list(instrument.latest(f.questionnaire).questions()))
    return assessments


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks of about 64 KB, written while the rows are read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(header: list[str], rows: Iterable[list]):
    """The workbook as an open temporary file, at its start: a data sheet and a README sheet
    explaining every column. openpyxl's write-only mode keeps rows on disk."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.append(header)
    for row in rows:
        data.append([safe_cell(value) for value in row])
    readme = workbook.create_sheet("README")
    readme.append(["column", "meaning"])
    for column in header:
        readme.append([column, comparison.COLUMN_HELP.get(column, "")])
    readme.append([])
    readme.append(
        [
            "source",
            _(
                "ASUS City Self-Assessment Toolkit, exported %(when)s UTC",
                when=utcnow().strftime("%Y-%m-%d %H:%M"),
            ),
        ]
    )
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    workbook.save(file)
    file.seek(0)
    return file


def export_bytes(name: str, kind: str, f: comparison.Filter) -> tuple[str, str, bytes]:
    """The whole export in memory, for a background job: (file name, media type, content)."""
    base, header, rows = table(name, f)
    if kind == "xlsx":
        with xlsx_file(header, rows) as file:
            content = file.read()
    else:
        content = "".join(csv_chunks(header, rows)).encode()
    return f"{base}.{kind}", FORMATS[kind], content


def safe_cell(value):
    """A spreadsheet shows text starting with = + - @ (or a tab or return) as a formula: such
    text gets a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
