"""An assessment as a workbook to fill offline, and that workbook read back: checked whole,
previewed, then saved through `save_answers` as the area page saves (revisions, merges with
other people's changes, conflicts kept apart, stored scores).

Each area sheet has a hidden first row of column keys (KEYS) and a hidden column with the answer
version each row was made from; a hidden sheet names the assessment and the city. Reading finds
the columns by those keys and the rows by question id, so a workbook re-saved with its columns
or rows moved, or with sheets added, still reads.

Services flush; the request boundary commits.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import zipfile
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import force_locale, get_translations
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from wtforms import ValidationError

from questionnaires import Question, Questionnaire
from reports import words
from toolkit.accounts.models import User
from toolkit.assessments.answering import AnswerInput, answers_to, lock, save_answers
from toolkit.assessments.differences import changes, differences
from toolkit.assessments.forms import MAX_TEXT, data_year, parse_evidence, show_if_values
from toolkit.assessments.models import MAX_SOURCE, Assessment, WorkbookUpload
from toolkit.assessments.scores import questionnaire_of
from toolkit.core.extensions import db
from toolkit.core.guards import MAX_ID, whole_number
from toolkit.core.models import utcnow
from toolkit.core.templating import city_time_zone, format_when, number
from toolkit.i18n.languages import CODES
from toolkit.i18n.service import language_code

# The machine keys of an area sheet's hidden first row, in the order the columns are written.
KEYS = (
    "question_id",
    "based_on",
    "question",
    "about",
    "allowed",
    "answer",
    "unit",
    "not_applicable",
    "reason",
    "comment",
    "evidence",
    "data_year",
    "data_source",
)
HIDDEN_KEYS = ("question_id", "based_on")
# The cells a person fills; the others are locked.
FILLED = ("answer", "not_applicable", "reason", "comment", "evidence", "data_year", "data_source")
WIDTHS = {
    "question": 50,
    "about": 45,
    "allowed": 45,
    "answer": 28,
    "reason": 30,
    "comment": 30,
    "evidence": 40,
    "data_source": 25,
}
IDENTITY_SHEET = "_workbook"
LISTS_SHEET = "_lists"
# Several choices of a multi-choice question go in one cell, separated by this.
SEPARATOR = ";"
# An xlsx is a ZIP: what its parts may unpack to at most, so a small file cannot unpack into
# gigabytes.
MAX_UNPACKED = 60 * 2**20
# A level's meaning in a drop-down, cut to this many characters (the meaning is in full in
# the "allowed answers" column).
LIST_LABEL = 90
# The largest workbook taken, and how long an upload waits for its confirmation.
MAX_WORKBOOK = 5 * 2**20
KEPT = timedelta(days=1)
CHARACTERS_NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\]")


class WorkbookProblems(Exception):
    """A workbook that cannot be used, with every problem found (`Sheet!Cell: what is wrong`,
    or one message about the file)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class NotThisAssessment(Exception):
    """A workbook of another assessment (or city): answered as not found."""


@dataclass(frozen=True)
class Change:
    """One answer a workbook changes: its parts from and to in words, and who changed the
    stored answer last, when."""

    question: Question
    parts: list[dict]
    by: User | None
    at: datetime | None


@dataclass(frozen=True)
class Conflict:
    """An answer someone else changed since the workbook was downloaded, in a part the
    workbook changes too: both values, for the person to settle on the area page."""

    question: Question
    differences: list[dict]
    by: User | None
    at: datetime | None


@dataclass
class WorkbookChanges:
    """What a workbook changes (or changed, once applied) and the answers in conflict."""

    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


# -- writing ------------------------------------------------------------------------------------


def build_workbook(
    assessment: Assessment, user: User, area_id: str | None = None, language: str = "en"
) -> bytes:
    """The assessment (or one area of it) as an XLSX workbook in `language`: a README sheet,
    then a sheet per area with a row per question, its current answer filled in."""
    questionnaire = questionnaire_of(assessment)
    areas = [questionnaire.area(area_id)] if area_id else list(questionnaire.areas)
    ids = [q.id for a in areas for q in a.questions()]
    answers = answers_to(assessment, ids)
    with force_locale(language):
        book = Workbook()
        styles = _Styles()
        _readme(book.active, assessment, questionnaire, user, areas, language, styles)
        lists = _Lists(book.create_sheet(LISTS_SHEET))
        titles = {book.active.title}
        for area in areas:
            title = _sheet_title(area.name.get(language), titles)
            titles.add(title.lower())
            _area_sheet(book.create_sheet(title), lists, questionnaire, area, answers, styles)
        _identity(book.create_sheet(IDENTITY_SHEET), assessment, area_id, language)
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


class _Styles:
    """The few styles a workbook uses, made once; a cell of a kind takes a copy of the first
    such cell's style (setting each part on each cell costs most of a workbook's time)."""

    def __init__(self):
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.bold = Font(bold=True)
        self.title = Font(bold=True, size=14)
        self.header = PatternFill("solid", fgColor="DDE4EE")
        self.fill = PatternFill("solid", fgColor="FFF7D6")
        self.unlocked = Protection(locked=False)
        self.made: dict[str, object] = {}

    def open(self, cell) -> None:
        """A cell the person fills: unlocked, yellow, wrapped."""
        self._style(cell, "open", protection=self.unlocked, fill=self.fill, alignment=self.wrap)

    def text(self, cell) -> None:
        """A locked text, wrapped."""
        self._style(cell, "text", alignment=self.wrap)

    def _style(self, cell, kind: str, **parts) -> None:
        if kind in self.made:
            cell._style = copy(self.made[kind])
            return
        for name, value in parts.items():
            setattr(cell, name, value)
        self.made[kind] = copy(cell._style)


class _Lists:
    """The hidden sheet of the drop-downs' answers, a column per list (questions with the same
    answers share one): Excel takes at most 255 characters of answers written in the rule."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.ranges: dict[tuple[str, ...], str] = {}
        sheet.sheet_state = "hidden"
        sheet.protection.sheet = True

    def range_of(self, labels: list[str]) -> str:
        """The cells that hold these answers, as a formula's range."""
        key = tuple(labels)
        if key not in self.ranges:
            column = len(self.ranges) + 1
            for row, label in enumerate(labels, start=1):
                self.sheet.cell(row, column, label).data_type = "s"
            letter = get_column_letter(column)
            self.ranges[key] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(labels)}"
        return self.ranges[key]


def _sheet_title(name: str, taken: set[str]) -> str:
    """An area's name as a sheet title: without the characters Excel refuses, at most 31
    characters, and unlike the sheets before it (Excel compares titles ignoring case)."""
    base = CHARACTERS_NOT_IN_TITLES.sub(" ", name).strip().strip("'")[:31] or "Area"
    title, n = base, 2
    while title.lower() in taken or title in (IDENTITY_SHEET, LISTS_SHEET):
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    return title


def _readme(sheet, assessment, questionnaire, user, areas, language, styles) -> None:
    sheet.title = _("README")
    city = assessment.city
    lines = [
        (_("How to fill in this workbook and return it"), styles.title),
        (
            _(
                "Each area of the assessment has its own sheet, with one row per question. "
                "Fill in the yellow cells only: the answer, and where you need them, not "
                "applicable with its reason, a comment, evidence, and for figures the year and "
                "source of the data. The other cells are locked so that they are not changed "
                "by accident."
            ),
            None,
        ),
        (
            _(
                "Where a cell offers a drop-down list, choose one of its answers. A question "
                "whose choices can be combined takes several, separated by “%(separator)s”.",
                separator=SEPARATOR,
            ),
            None,
        ),
        (
            _(
                "“Not applicable” can be chosen only where the question allows it, and it needs "
                "the reason in the next column."
            ),
            None,
        ),
        (
            _(
                "Evidence: one link per line (Alt+Enter starts a new line in a cell), the link "
                "first, beginning with http:// or https://, then a short description."
            ),
            None,
        ),
        (
            _(
                "Do not change the hidden rows, columns and sheets: they say which question "
                "each row answers and which version of the answer you started from, so that "
                "nobody's later change is overwritten. You may sort rows, move columns and add "
                "sheets."
            ),
            None,
        ),
        (
            _(
                "When you are done, upload the workbook on the assessment's page (“Upload "
                "workbook”). You will see every change before it is saved."
            ),
            None,
        ),
        ("", None),
    ]
    facts = [
        (_("City"), f"{city.name} ({city.country.name})"),
        (
            _("Questionnaire"),
            f"{questionnaire.title.get(language)} {questionnaire.version}",
        ),
        (_("Cycle"), str(assessment.cycle)),
        (_("Areas"), ", ".join(a.name.get(language) for a in areas)),
        (_("Downloaded"), format_when(utcnow(), city_time_zone(city))),
        (_("Downloaded by"), f"{user.name} <{user.email}>"),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, text)
        cell.alignment = styles.wrap
        if font is not None:
            cell.font = font
    for row, (name, value) in enumerate(facts, start=len(lines) + 1):
        sheet.cell(row, 1, name).font = styles.bold
        _text_cell(sheet, row, 2, value)
    sheet.column_dimensions["A"].width = 100
    sheet.column_dimensions["B"].width = 60
    sheet.protection.sheet = True


def _identity(sheet, assessment: Assessment, area_id: str | None, language: str) -> None:
    for row, (key, value) in enumerate(
        [
            ("assessment_id", assessment.id),
            ("city_id", assessment.city_id),
            ("questionnaire", f"{assessment.questionnaire_id} {assessment.questionnaire_version}"),
            ("area", area_id or ""),
            ("language", language),
        ],
        start=1,
    ):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, value)
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True


def _area_sheet(sheet, lists, questionnaire, area, answers, styles) -> None:
    column = {key: i for i, key in enumerate(KEYS, start=1)}
    headers = {
        "question_id": _("Question id"),
        "based_on": _("Answer version"),
        "question": _("Question"),
        "about": _("Help"),
        "allowed": _("Allowed answers"),
        "answer": _("Answer"),
        "unit": _("Unit"),
        "not_applicable": _("Not applicable"),
        "reason": _("Why it does not apply"),
        "comment": _("Comment"),
        "evidence": _("Evidence links (one per line)"),
        "data_year": _("Year of the data"),
        "data_source": _("Source of the data"),
    }
    for key, i in column.items():
        sheet.cell(1, i, key)
        cell = sheet.cell(2, i, headers[key])
        cell.font, cell.fill, cell.alignment = styles.bold, styles.header, styles.wrap
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = WIDTHS.get(key, 18)
        if key in HIDDEN_KEYS:
            sheet.column_dimensions[letter].hidden = True
    sheet.row_dimensions[1].hidden = True
    sheet.freeze_panes = sheet.cell(3, column["question"])
    yes = _("Yes")
    not_applicable = _validation(
        sheet, f'"{yes}"', _("Choose “%(yes)s” or leave it empty.", yes=yes)
    )
    year = DataValidation(type="whole", operator="between", formula1="1950", formula2="2100")
    sheet.add_data_validation(year)
    language = language_code()
    phrases = _Words()
    drop_downs: dict[str, DataValidation] = {}
    row = 2
    for sub_area in area.sub_areas:
        for q in sub_area.questions:
            row += 1
            answer = answers.get(q.id)
            snapshot = answer.snapshot() if answer is not None else None
            sheet.cell(row, column["question_id"], q.id)
            sheet.cell(row, column["based_on"], answer.version if answer is not None else 0)
            texts = {
                "question": f"{sub_area.name.get(language)}\n{q.text.get(language)}",
                "about": _about(questionnaire, q, language, phrases),
                "allowed": _allowed(q, language),
            }
            for key, text in texts.items():
                _text_cell(sheet, row, column[key], text)
                styles.text(sheet.cell(row, column[key]))
            _text_cell(sheet, row, column["unit"], q.unit.get(language) if q.unit else "")
            answer_cell = sheet.cell(row, column["answer"])
            if snapshot is not None and snapshot["value"] is not None:
                _answer_value(answer_cell, q, snapshot["value"], language)
            _answer_validation(sheet, lists, drop_downs, q, answer_cell, language)
            if snapshot is not None:
                if snapshot["not_applicable"]:
                    sheet.cell(row, column["not_applicable"], yes)
                _text_cell(sheet, row, column["reason"], snapshot["reason"])
                _text_cell(sheet, row, column["comment"], snapshot["comment"])
                _text_cell(sheet, row, column["evidence"], "\n".join(snapshot["evidence"]))
                if q.type == "number":
                    sheet.cell(row, column["data_year"], snapshot["data_year"])
                    _text_cell(sheet, row, column["data_source"], snapshot["data_source"])
            for key in FILLED:
                if _fillable(q, key):
                    styles.open(sheet.cell(row, column[key]))
            if q.allow_na:
                not_applicable.add(sheet.cell(row, column["not_applicable"]))
            if q.type == "number":
                year.add(sheet.cell(row, column["data_year"]))
    sheet.protection.sheet = True
    # People may still widen columns and rows, and sort or filter, on the protected sheet.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.sort = False
    sheet.protection.autoFilter = False


def _fillable(q: Question, key: str) -> bool:
    if key in ("not_applicable", "reason"):
        return q.allow_na
    if key in ("data_year", "data_source"):
        return q.type == "number"
    return True


def _text_cell(sheet, row: int, column: int, text: str | None) -> None:
    """A text written as text, even when it starts with "=": never a formula."""
    if not text:
        return
    cell = sheet.cell(row, column, text)
    cell.data_type = "s"


class _Words:
    """The words every question's help may use, translated once per sheet."""

    def __init__(self):
        self.ask = _("Who usually holds the answer:")
        self.evidence = _("Evidence expected:")
        self.several = _(
            "Several answers may be given, separated by “%(separator)s”.", separator=SEPARATOR
        )
        self.not_applicable = _("May be marked not applicable, with the reason.")
        self.optional = _("Optional.")


def _about(questionnaire: Questionnaire, q: Question, language: str, phrases: _Words) -> str:
    """The question's help, what it expects and when it applies, in words."""
    parts = [q.help.get(language) if q.help else ""]
    if q.ask:
        parts.append(phrases.ask + " " + q.ask.get(language))
    if q.evidence:
        parts.append(phrases.evidence + " " + q.evidence.get(language))
    if q.type == "number" and (q.minimum is not None or q.maximum is not None):
        parts.append(_limits(q))
    if q.type == "multi_choice":
        parts.append(phrases.several)
    if q.allow_na:
        parts.append(phrases.not_applicable)
    if q.show_if:
        controller = questionnaire.question(q.show_if.question)
        values = [
            words.answer_words(controller, _canonical(controller, v), get_translations(), language)
            for v in show_if_values(questionnaire, q)
        ]
        parts.append(
            _(
                "Applies only when the answer to “%(question)s” is one of: %(values)s.",
                question=controller.text.get(language),
                values=", ".join(values),
            )
        )
    if not q.required:
        parts.append(phrases.optional)
    return "\n".join(p for p in parts if p)


def _canonical(q: Question, form_value: str):
    """A form value of `q` (see show_if_values) as its canonical answer."""
    return (form_value,) if q.type == "multi_choice" else q.parse_answer(form_value)


def _limits(q: Question) -> str:
    if q.minimum is not None and q.maximum is not None:
        return _("Accepted: %(low)s to %(high)s.", low=number(q.minimum), high=number(q.maximum))
    if q.minimum is not None:
        return _("Accepted: at least %(low)s.", low=number(q.minimum))
    return _("Accepted: at most %(high)s.", high=number(q.maximum))


def _allowed(q: Question, language: str) -> str:
    """The answers a question takes, each with its meaning."""
    if q.type == "level":
        return "\n".join(f"{lv.number}: {lv.descriptor.get(language)}" for lv in q.levels)
    if q.type in ("yes_no", "choice", "multi_choice"):
        return "\n".join(label for label, _value in _options(q, language))
    if q.type == "number":
        return _("A number")
    return _("Text")


def _options(q: Question, language: str) -> list[tuple[str, object]]:
    """The drop-down entries of a question, each with the answer it stands for."""
    if q.type == "level":
        return [(_cut(f"{lv.number}: {lv.descriptor.get(language)}"), lv.number) for lv in q.levels]
    if q.type == "yes_no":
        return [(_("Yes"), "yes"), (_("No"), "no")]
    if q.type in ("choice", "multi_choice"):
        return [(c.label.get(language), c.id) for c in q.choices]
    return []


def _cut(text: str) -> str:
    return text if len(text) <= LIST_LABEL else text[: LIST_LABEL - 1].rstrip() + "…"


def _answer_value(cell, q: Question, value, language: str) -> None:
    """A stored answer as the person reads and picks it in the workbook."""
    if q.type == "number":
        cell.value = value
        return
    if q.type == "multi_choice":
        labels = dict((v, label) for label, v in _options(q, language))
        text = f"{SEPARATOR} ".join(labels[v] for v in value if v in labels)
    elif q.type == "text":
        text = str(value)
    else:
        text = next((label for label, v in _options(q, language) if v == value), str(value))
    cell.value = text
    cell.data_type = "s"


def _answer_validation(
    sheet, lists: _Lists, drop_downs: dict, q: Question, cell, language: str
) -> None:
    """The drop-down of a question's answers (one rule for the questions of a sheet with the
    same answers), or a number's limits."""
    if q.type in ("level", "yes_no", "choice"):
        labels = [label for label, _value in _options(q, language)]
        formula = lists.range_of(labels)
        if formula not in drop_downs:
            message = _("Choose one of the allowed answers: %(answers)s", answers=", ".join(labels))
            drop_downs[formula] = _validation(sheet, formula, message)
        drop_downs[formula].add(cell)
    elif q.type == "number" and (q.minimum is not None or q.maximum is not None):
        if q.minimum is not None and q.maximum is not None:
            rule = {"operator": "between", "formula1": repr(q.minimum), "formula2": repr(q.maximum)}
        elif q.minimum is not None:
            rule = {"operator": "greaterThanOrEqual", "formula1": repr(q.minimum)}
        else:
            rule = {"operator": "lessThanOrEqual", "formula1": repr(q.maximum)}
        check = DataValidation(type="decimal", allow_blank=True, showErrorMessage=True, **rule)
        check.error = _limits(q)
        sheet.add_data_validation(check)
        check.add(cell)


def _validation(sheet, formula: str, message: str) -> DataValidation:
    check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    check.error = message[:255]
    sheet.add_data_validation(check)
    return check


# -- reading ------------------------------------------------------------------------------------


def read_workbook(data: bytes, assessment: Assessment, user: User) -> WorkbookChanges:
    """What an uploaded workbook would change, without saving anything: every change, and the
    answers in conflict with someone else's change since the download. It runs the very save
    `apply_workbook` does, in a savepoint rolled back, so the preview follows the same rules.

    Raises WorkbookProblems with every problem found, or NotThisAssessment."""
    given = workbook_answers(data, assessment)
    savepoint = db.session.begin_nested()
    try:
        return _save(assessment, given, user)
    finally:
        savepoint.rollback()


def apply_workbook(data: bytes, assessment: Assessment, user: User) -> WorkbookChanges:
    """Save what an uploaded workbook changes through `save_answers`; answers in conflict are
    left as they are and returned with both values. Unchanged rows change nothing."""
    return _save(assessment, workbook_answers(data, assessment), user)


def _save(assessment: Assessment, given: dict[str, AnswerInput], user: User) -> WorkbookChanges:
    """Save `given`, and say what changed in words (read before the savepoint may go)."""
    questionnaire = questionnaire_of(assessment)
    stored = answers_to(assessment, list(given))
    given = _as_stored(given, stored)
    before = {qid: (a.snapshot(), a.updated_by_id, a.updated_at) for qid, a in stored.items()}
    result = save_answers(assessment, given, user)
    ids = {by for _snapshot, by, _at in before.values()}
    ids |= {c.answer.updated_by_id for c in result.conflicts}
    ids.discard(None)
    people = {}
    if ids:
        people = {
            u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()
        }
    found = WorkbookChanges()
    for answer in result.saved:
        q = questionnaire.question(answer.question_id)
        old, by, at = before.get(q.id, (None, None, None))
        found.changes.append(Change(q, changes(q, old, answer.snapshot()), people.get(by), at))
    for conflict in result.conflicts:
        q = questionnaire.question(conflict.answer.question_id)
        found.conflicts.append(
            Conflict(
                q,
                differences(q, conflict),
                people.get(conflict.answer.updated_by_id),
                conflict.answer.updated_at,
            )
        )
    return found


def workbook_answers(data: bytes, assessment: Assessment) -> dict[str, AnswerInput]:
    """Every question row of an uploaded workbook as the answer it gives, based on the answer
    version the row was made from. Raises WorkbookProblems listing every problem found, or
    NotThisAssessment for a workbook of another assessment."""
    book = _open(data)
    try:
        identity = _identity_of(book)
        if identity.get("assessment_id") != str(assessment.id) or identity.get("city_id") != str(
            assessment.city_id
        ):
            raise NotThisAssessment
        language = identity.get("language")
        reader = _Reader(questionnaire_of(assessment), language if language in CODES else "en")
        for sheet in book.worksheets:
            reader.sheet(sheet)
    except (WorkbookProblems, NotThisAssessment):
        raise
    except Exception as error:  # read-only openpyxl parses a sheet (and its damage) as it reads
        raise _not_xlsx() from error
    finally:
        book.close()
    if not reader.rows and not reader.problems:
        reader.problems.append(_("The workbook has no question rows: was it made by the toolkit?"))
    if reader.problems:
        raise WorkbookProblems(reader.problems)
    return reader.given


def _as_stored(given: dict[str, AnswerInput], stored: dict) -> dict[str, AnswerInput]:
    """`given` with the `stored` figure where the workbook holds it as a spreadsheet does, to
    15 significant digits: 14.285714285714286 comes back 14.28571428571429, the same figure."""
    for qid, item in given.items():
        answer = stored.get(qid)
        if answer is None or not isinstance(item.value, float):
            continue
        if isinstance(answer.value, int | float) and math.isclose(
            answer.value, item.value, rel_tol=1e-14
        ):
            given[qid] = replace(item, value=answer.value)
    return given


def _not_xlsx() -> WorkbookProblems:
    """The refusal of a file that is not an xlsx, or not one that can be read."""
    return WorkbookProblems(
        [
            _(
                "This file is not an Excel workbook (.xlsx). Upload the workbook downloaded from "
                "this assessment, saved as .xlsx."
            )
        ]
    )


def _open(data: bytes):
    """The uploaded bytes as a workbook to read; WorkbookProblems when they are not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise _not_xlsx()
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WorkbookProblems:
        raise
    except Exception as error:  # openpyxl raises many kinds on what is not an xlsx
        raise _not_xlsx() from error


def _identity_of(book) -> dict[str, str]:
    if IDENTITY_SHEET not in book.sheetnames:
        raise WorkbookProblems(
            [
                _(
                    "The workbook does not say which assessment it belongs to (its hidden sheet "
                    "“%(sheet)s” is missing). Download the workbook again and fill that one.",
                    sheet=IDENTITY_SHEET,
                )
            ]
        )
    found = {}
    for row in book[IDENTITY_SHEET].iter_rows(min_row=1, max_row=10, max_col=2, values_only=True):
        if row and row[0] is not None:
            value = row[1] if len(row) > 1 else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            found[str(row[0])] = "" if value is None else str(value)
    return found


class _Reader:
    """Reads the question rows of each sheet, collecting every problem."""

    def __init__(self, questionnaire: Questionnaire, language: str):
        self.questionnaire = questionnaire
        self.language = language
        self.problems: list[str] = []
        self.given: dict[str, AnswerInput] = {}
        self.rows: dict[str, str] = {}  # question id -> where its row is
        with force_locale(language):
            self.yes = _("Yes").casefold()
            self.no = _("No").casefold()
            self.options = {
                q.id: {label.casefold(): v for label, v in _options(q, language)}
                for q in questionnaire.questions()
            }

    def sheet(self, sheet) -> None:
        if sheet.title in (IDENTITY_SHEET, LISTS_SHEET):
            return
        rows = sheet.iter_rows(values_only=True)
        keys, headers = None, None
        for number_, values in enumerate(rows, start=1):
            if headers is None and keys is not None:
                headers = number_  # the visible column names, under the keys
                continue
            if keys is None:
                if values and "question_id" in values:
                    keys = {str(v): i for i, v in enumerate(values) if v is not None}
                    missing = [k for k in ("question_id", "based_on", "answer") if k not in keys]
                    if missing:
                        self.problems.append(
                            _(
                                "%(sheet)s: the hidden row of column names lacks %(names)s; "
                                "download the workbook again.",
                                sheet=sheet.title,
                                names=", ".join(missing),
                            )
                        )
                        return
                elif number_ >= 5:
                    return  # not a sheet of questions: one the person added
                continue
            self.row(sheet.title, number_, keys, values)

    def row(self, title: str, row: int, keys: dict[str, int], values: tuple) -> None:
        def cell(key):
            i = keys.get(key)
            return values[i] if i is not None and i < len(values) else None

        def where(key):
            return f"{title}!{get_column_letter(keys[key] + 1)}{row}"

        question_id = cell("question_id")
        if question_id in (None, ""):
            if any(cell(k) not in (None, "") for k in FILLED):
                self.problems.append(
                    _(
                        "%(cell)s: this row has no question id; answers belong in the rows of "
                        "the questions.",
                        cell=where("question_id"),
                    )
                )
            return
        question_id = str(question_id).strip()
        q = self.questionnaire.find(question_id)
        if not isinstance(q, Question):
            self.problems.append(
                _(
                    "%(cell)s: “%(id)s” is not a question of this questionnaire.",
                    cell=where("question_id"),
                    id=question_id[:64],
                )
            )
            return
        if question_id in self.rows:
            self.problems.append(
                _(
                    "%(cell)s: question %(id)s has a row already, at %(other)s.",
                    cell=where("question_id"),
                    id=question_id,
                    other=self.rows[question_id],
                )
            )
            return
        self.rows[question_id] = where("question_id")
        found = len(self.problems)
        based_on = whole_number(cell("based_on"), MAX_ID, smallest=0)
        if based_on is None:
            self.problems.append(
                _(
                    "%(cell)s: the hidden answer version was changed; download the workbook again.",
                    cell=where("based_on"),
                )
            )
        value = self.answer(q, cell("answer"), where("answer"))
        not_applicable = False
        flag = cell("not_applicable")
        if flag not in (None, "") and "not_applicable" in keys:
            not_applicable = self.flag(flag, where("not_applicable"))
            if not_applicable and not q.allow_na:
                self.problems.append(
                    _(
                        "%(cell)s: this question cannot be marked not applicable.",
                        cell=where("not_applicable"),
                    )
                )
        reason = self.text(cell("reason"), where, "reason", MAX_TEXT) if "reason" in keys else None
        if not_applicable and q.allow_na and not reason:
            self.problems.append(
                _(
                    "%(cell)s: say why this does not apply to the city.",
                    cell=where("reason") if "reason" in keys else where("not_applicable"),
                )
            )
        comment = (
            self.text(cell("comment"), where, "comment", MAX_TEXT) if "comment" in keys else None
        )
        evidence = ()
        if "evidence" in keys:
            try:
                evidence = parse_evidence(self.text(cell("evidence"), where, "evidence", MAX_TEXT))
            except ValidationError as error:
                self.problems.append(f"{where('evidence')}: {error}")
        year, source = None, None
        if "data_year" in keys and cell("data_year") not in (None, ""):
            if q.type != "number":
                self.problems.append(
                    _("%(cell)s: only figures have a year of the data.", cell=where("data_year"))
                )
            else:
                raw = cell("data_year")
                whole = whole_number(raw, MAX_ID)
                try:
                    year = data_year(str(whole) if whole is not None else str(raw))
                except ValidationError as error:
                    self.problems.append(f"{where('data_year')}: {error}")
        if "data_source" in keys and cell("data_source") not in (None, ""):
            if q.type != "number":
                self.problems.append(
                    _(
                        "%(cell)s: only figures have a source of the data.",
                        cell=where("data_source"),
                    )
                )
            else:
                source = self.text(cell("data_source"), where, "data_source", MAX_SOURCE)
                if source and any(unicodedata.category(c) == "Cc" for c in source):
                    self.problems.append(
                        _(
                            "%(cell)s: write the source on one line, without line breaks.",
                            cell=where("data_source"),
                        )
                    )
        if len(self.problems) > found:
            return
        self.given[q.id] = AnswerInput(
            value=None if not_applicable else value,
            not_applicable=not_applicable,
            reason=reason if q.allow_na else None,
            comment=comment,
            evidence=evidence,
            data_year=year,
            data_source=source,
            based_on=based_on,
        )

    def answer(self, q: Question, raw, where: str):
        """The canonical answer in an answer cell (None when empty); a problem when it is not
        one the question takes."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        shown = _shown(raw)
        if q.type == "number":
            value = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
            if value is None:
                try:
                    value = float(str(raw).strip())
                except ValueError:
                    value = None
            if value is None or not math.isfinite(value):
                self.problems.append(
                    _("%(cell)s: “%(value)s” is not a number.", cell=where, value=shown)
                )
                return None
            if (q.minimum is not None and value < q.minimum) or (
                q.maximum is not None and value > q.maximum
            ):
                self.problems.append(
                    _(
                        "%(cell)s: %(value)s is outside the accepted range. %(limits)s",
                        cell=where,
                        value=number(value),
                        limits=_limits(q),
                    )
                )
                return None
            return float(value)
        if q.type == "text":
            if len(str(raw)) > MAX_TEXT:
                self.problems.append(
                    _(
                        "%(cell)s: the text is longer than %(max)d characters.",
                        cell=where,
                        max=MAX_TEXT,
                    )
                )
                return None
            return str(raw).strip()
        options = self.options[q.id]
        allowed = ", ".join(label for label, _v in _options(q, language_code()))
        if q.type == "multi_choice":
            chosen, unknown = [], []
            for part in re.split(r"[;\n]", str(raw)):
                part = part.strip()
                if not part:
                    continue
                value = options.get(
                    part.casefold(), part if part in (c.id for c in q.choices) else None
                )
                (chosen if value is not None else unknown).append(
                    value if value is not None else part
                )
            if unknown:
                self.problems.append(
                    _(
                        "%(cell)s: “%(value)s” is not one of the allowed answers (%(allowed)s).",
                        cell=where,
                        value=_shown(unknown[0]),
                        allowed=allowed,
                    )
                )
                return None
            alone = q.exclusive_choice_in(tuple(c.id for c in q.choices if c.id in chosen))
            if alone is not None:
                self.problems.append(
                    _(
                        "%(cell)s: “%(choice)s” cannot be chosen together with other answers.",
                        cell=where,
                        choice=alone.label.get(language_code()),
                    )
                )
                return None
            return [c.id for c in q.choices if c.id in chosen]
        value = self.option(q, raw, options)
        if value is None:
            self.problems.append(
                _(
                    "%(cell)s: “%(value)s” is not one of the allowed answers (%(allowed)s).",
                    cell=where,
                    value=shown,
                    allowed=allowed,
                )
            )
        return value

    def option(self, q: Question, raw, options: dict):
        """The answer a drop-down entry (or what a person typed instead) stands for."""
        if isinstance(raw, bool):
            return ("yes" if raw else "no") if q.type == "yes_no" else None
        text = str(raw).strip()
        if text.casefold() in options:
            return options[text.casefold()]
        if q.type == "level":
            whole = whole_number(raw, MAX_ID) if not isinstance(raw, str) else None
            match = re.match(r"\s*(\d+)\s*(:|$)", text)
            number_ = whole if whole is not None else (int(match.group(1)) if match else None)
            return number_ if number_ in [lv.number for lv in q.levels] else None
        if q.type == "yes_no":
            return {"yes": "yes", "no": "no"}.get(text.casefold())
        return text if text in (c.id for c in q.choices) else None

    def flag(self, raw, where: str) -> bool:
        """Whether a "not applicable" cell says yes; a problem unless it is yes or empty."""
        if raw is True or (
            isinstance(raw, str) and raw.strip().casefold() in (self.yes, "yes", "x")
        ):
            return True
        if raw is False or (isinstance(raw, str) and raw.strip().casefold() in (self.no, "no")):
            return False
        self.problems.append(
            _(
                "%(cell)s: “%(value)s”: choose “%(yes)s” or leave the cell empty.",
                cell=where,
                value=_shown(raw),
                yes=_("Yes"),
            )
        )
        return False

    def text(self, raw, where, key: str, longest: int) -> str | None:
        if raw in (None, ""):
            return None
        text = _shown_number(raw) if isinstance(raw, int | float) else str(raw)
        text = text.strip()
        if len(text) > longest:
            self.problems.append(
                _(
                    "%(cell)s: the text is longer than %(max)d characters.",
                    cell=where(key),
                    max=longest,
                )
            )
        return text or None


def _shown_number(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _shown(raw) -> str:
    """What a cell holds, as a message quotes it (cut short)."""
    text = _shown_number(raw) if isinstance(raw, int | float) else str(raw)
    return text if len(text) <= 40 else text[:39] + "…"


# -- uploads between preview and confirmation ---------------------------------------------------


def keep_upload(assessment: Assessment, user: User, data: bytes) -> WorkbookUpload:
    """Keep an uploaded workbook for its confirmation, in place of the person's earlier ones
    to this assessment not yet confirmed; uploads older than a day go."""
    db.session.execute(db.delete(WorkbookUpload).where(WorkbookUpload.created_at < utcnow() - KEPT))
    upload = WorkbookUpload(
        assessment_id=assessment.id,
        user_id=user.id,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(upload)
    db.session.flush()
    # Deleted after the new one is added: SQLite would give a deleted last id to the new one,
    # and the earlier preview's form would then confirm this file.
    db.session.execute(
        db.delete(WorkbookUpload).where(
            WorkbookUpload.assessment_id == assessment.id,
            WorkbookUpload.user_id == user.id,
            WorkbookUpload.applied_at.is_(None),
            WorkbookUpload.id != upload.id,
        )
    )
    return upload


def kept_upload(assessment: Assessment, user: User, upload_id: int) -> WorkbookUpload | None:
    """The person's own upload to this assessment, while it is kept; None otherwise."""
    return db.session.execute(
        db.select(WorkbookUpload).where(
            WorkbookUpload.id == upload_id,
            WorkbookUpload.assessment_id == assessment.id,
            WorkbookUpload.user_id == user.id,
            WorkbookUpload.created_at >= utcnow() - KEPT,
        )
    ).scalar_one_or_none()


def apply_upload(
    upload: WorkbookUpload, assessment: Assessment, user: User
) -> WorkbookChanges | None:
    """Apply a kept upload once (see apply_workbook), then let its file go; None when it was
    applied already. Confirmations of one upload wait for each other on the assessment's lock
    and read the upload afresh, so only the first applies it."""
    lock(assessment)
    upload = db.session.execute(
        db.select(WorkbookUpload)
        .where(WorkbookUpload.id == upload.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if upload.applied_at is not None:
        return None
    changed = apply_workbook(upload.data, assessment, user)
    upload.applied_at = utcnow()
    upload.data = b""
    return changed
