"""The assessment workbook: time to build the XLSX of a fully answered asus-detailed assessment,
and to read it back (open, check every cell, preview the changes through save_answers in a
savepoint rolled back), against a floor measured in the same run: openpyxl writing, and
reading back, a plain workbook of the same cells (the question sheets' values, texts as long,
in one sheet without styles, drop-downs or protection), on SQLite and on PostgreSQL.

Two uploads are read: the workbook as downloaded (every row compared, nothing to save), and the
same with every tenth answer changed (those saved and rescored in the savepoint).

Target: each within 4x its floor. Exits 1 on a miss.
Run: .venv/bin/python bench/workbook.py [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

from databases import each_database
from flask_migrate import upgrade
from openpyxl import Workbook, load_workbook

from toolkit import create_app
from toolkit.accounts.models import User
from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
from toolkit.assessments.models import Assessment
from toolkit.assessments.workbook import build_workbook, read_workbook
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.extensions import db

TARGET = 4.0


def answer_for(q, i: int) -> AnswerInput:
    """A valid answer to every question, with a comment and evidence; figures with their year
    and source."""
    if q.type == "level":
        value = q.levels[i % len(q.levels)].number
    elif q.type == "yes_no":
        value = "yes" if i % 2 else "no"
    elif q.type == "choice":
        value = q.choices[i % len(q.choices)].id
    elif q.type == "multi_choice":
        value = [c.id for c in q.choices if not c.exclusive][:2]
    elif q.type == "number":
        low = q.minimum if q.minimum is not None else 0.0
        high = q.maximum if q.maximum is not None else low + 100
        value = low + (high - low) * (i % 7) / 7
    else:
        value = f"Answer {i}"
    number = q.type == "number"
    return AnswerInput(
        value=value,
        comment=f"Checked with the planning office, note {i}",
        evidence=(f"https://example.org/evidence/{i} The plan, page {i}",),
        data_year=2025 if number else None,
        data_source="City statistics office" if number else None,
    )


def seed(app) -> tuple[int, int]:
    """A city, its editor, and a fully answered asus-detailed draft; their ids."""
    with app.app_context():
        upgrade()
        country = Country(code="VN", name="Viet Nam")
        city = City(slug="da-nang", name="Da Nang", country=country)
        editor = User(email="editor@example.org", name="Eddy", role="city_editor", city=city)
        db.session.add_all([country, city, editor])
        db.session.flush()
        questionnaire = instrument.latest("asus-detailed")
        assessment = create_assessment(city, questionnaire, 2026, editor)
        given = {q.id: answer_for(q, i) for i, q in enumerate(questionnaire.questions())}
        save_answers(assessment, given, editor)
        db.session.commit()
        return editor.id, assessment.id


def changed(data: bytes) -> bytes:
    """The workbook with every tenth answer's comment rewritten, as a person would."""
    book = load_workbook(io.BytesIO(data))
    n = 0
    for sheet in book.worksheets:
        keys = [c.value for c in sheet[1]]
        if "comment" not in keys:
            continue
        column = keys.index("comment") + 1
        for row in range(3, sheet.max_row + 1):
            n += 1
            if n % 10 == 0:
                sheet.cell(row, column, f"Changed offline {n}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cells_of(data: bytes) -> list[list]:
    """The values of the question sheets' rows: what the floor writes, plainly."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = []
    for sheet in book.worksheets:
        found = list(sheet.iter_rows(values_only=True))
        if found and found[0][:1] == ("question_id",):
            rows += [list(r) for r in found]
    book.close()
    return rows


def plain_write(rows: list[list]) -> bytes:
    """The same values in one sheet: no styles, drop-downs, protection or other sheets."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plain_read(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(
        1 for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for _ in row
    )
    book.close()
    return count


def median_ms(work, rounds: int) -> float:
    for _ in range(3):  # warm caches
        work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def measure(url: str, rounds: int) -> dict[str, float]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    editor_id, assessment_id = seed(app)
    figures = {}
    with app.test_request_context():
        editor = db.session.get(User, editor_id)
        assessment = db.session.get(Assessment, assessment_id)
        data = build_workbook(assessment, editor, None, "en")
        edited = changed(data)
        preview = read_workbook(edited, assessment, editor)
        assert preview.changes and not preview.conflicts, "the edited workbook changes answers"
        assert not read_workbook(data, assessment, editor).changes
        rows = cells_of(data)
        plain = plain_write(rows)
        figures["floor write"] = median_ms(lambda: plain_write(rows), rounds)
        figures["build"] = median_ms(lambda: build_workbook(assessment, editor, None, "en"), rounds)
        figures["floor read"] = median_ms(lambda: plain_read(plain), rounds)
        figures["read unchanged"] = median_ms(
            lambda: read_workbook(data, assessment, editor), rounds
        )
        figures["read changed"] = median_ms(
            lambda: read_workbook(edited, assessment, editor), rounds
        )
        figures["cells"] = sum(len(r) for r in rows)
        figures["changes"] = len(preview.changes)
        db.session.rollback()
    with app.app_context():
        db.engine.dispose()
    return figures


def report(label: str, f: dict[str, float]) -> bool:
    print(f"{label}: {int(f['cells'])} cells of questions")
    ok = True
    for name, floor, what in (
        ("build", "floor write", "build the workbook"),
        ("read unchanged", "floor read", "read back as downloaded"),
        ("read changed", "floor read", f"read back, {int(f['changes'])} answers changed"),
    ):
        ratio = f[name] / f[floor]
        verdict = "PASS" if ratio <= TARGET else "MISS"
        ok = ok and ratio <= TARGET
        print(
            f"  {what}: {f[name]:.1f} ms; floor ({floor}) {f[floor]:.1f} ms; "
            f"{ratio:.2f}x (target <= {TARGET:g}x) {verdict}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    results = [
        report(label, measure(url, args.rounds)) for label, url in each_database(args.postgres)
    ]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
