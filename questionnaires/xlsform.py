"""A questionnaire as an XLSForm (https://xlsform.org) and back, for field teams who work in Kobo or
ODK and for editors of the instrument who work in a spreadsheet.

`to_xlsform` writes the `survey`, `choices` and `settings` sheets that pyxform, Kobo and ODK read,
with extra columns of our own on them (pyxform ignores unknown columns) and `asus_*` sheets for
what an XLSForm cannot hold (the scale, the stages, the recommendations, the item map).
`read_xlsform` reads such a workbook back into the YAML document the loader reads (in English)
and the texts in other languages by catalogue key, collecting every mistake as
`FILE:SHEET:ROW: COLUMN: what is wrong`. The mapping is documented in FORMAT.md
("XLSForm").
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import yaml
from babel import Locale, UnknownLocaleError
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook import Workbook

from . import translations
from .loader import ID_PATTERN, ID_RULE, VERSION_PATTERN, VERSION_RULE
from .model import Question, Questionnaire, ShowIf, SubArea, Text

ENGLISH = "en"
# The companion questions of a question that may be marked not applicable: a tick box before
# it, which hides it, and the reason after it. Their rows say so in `asus_role`.
NOT_APPLICABLE_LIST = "asus_na"
NOT_APPLICABLE = "na"
ROLE_NOT_APPLICABLE = "not_applicable"
ROLE_REASON = "not_applicable_reason"
SELECT_TYPES = {"select_one": ("level", "yes_no", "choice"), "select_multiple": ("multi_choice",)}
NUMBER_TYPES = ("decimal", "integer")
KNOWN_TYPES = "select_one LIST, select_multiple LIST, decimal, integer, text, begin/end group"
# What a form made in Kobo or ODK records by itself (when, on which device): no question of ours.
METADATA_TYPES = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit"}
LANGUAGE_COLUMN = re.compile(
    r"^(?P<column>[a-z_]+)::[^()]*\((?P<code>[a-z]{2,3}(-[a-z0-9]{2,8})?)\)$"
)
NUMBER = r"(-?\d+(?:\.\d+)?)"
RANGE = re.compile(rf"^\.\s*>=\s*{NUMBER}(?:\s+and\s+\.\s*<=\s*{NUMBER})?$|^\.\s*<=\s*{NUMBER}$")
CONDITION = re.compile(
    r"^(?:\$\{(?P<q1>[^}]+)\}\s*=\s*(?:'(?P<v1>[^']*)'|(?P<n1>-?[\d.]+))"
    r"|selected\(\s*\$\{(?P<q2>[^}]+)\}\s*,\s*'(?P<v2>[^']*)'\s*\))$"
)
# The form's own words, which no questionnaire holds: the labels of yes/no and of the companion
# questions of a question that may be marked not applicable (the web form's words).
WORDS = {
    "yes": "Yes",
    "no": "No",
    "not_applicable": "Not applicable",
    "tick": "Not applicable to our city",
    "reason": "Why it does not apply",
}
TRUE = {"yes", "true", "true()", "1"}
FALSE = {"", "no", "false", "false()", "0"}


@dataclass(frozen=True, order=True)
class SheetProblem:
    """One mistake in a workbook: its sheet, row (0: the sheet as a whole, 1: the header) and
    column."""

    file: str
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.sheet}:{self.row}: {self.column}: {self.message}"


class XLSFormError(Exception):
    """A workbook that cannot be read as a questionnaire; `problems` lists every mistake."""

    def __init__(self, problems: list[SheetProblem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def language_name(code: str) -> str:
    """A language as XLSForm names it, in English with its code: "Thai (th)"."""
    try:
        name = Locale.parse(code).get_display_name(ENGLISH)
    except (UnknownLocaleError, ValueError):
        name = code
    return f"{name} ({code})"


def language_column(column: str, code: str) -> str:
    """The header of a column's text in a language: "label::Thai (th)"."""
    return f"{column}::{language_name(code)}"


# -- export ------------------------------------------------------------------------------------


def to_xlsform(
    questionnaire: Questionnaire,
    languages: Sequence[str] = (),
    words: Mapping[str, Text] | None = None,
) -> Workbook:
    """The questionnaire as an XLSForm workbook, its texts in English and in each of `languages`
    (codes; a text not translated into one stays empty there); `words` are the form's own
    words (keys of WORDS) with their translations, English only when not given."""
    codes = [ENGLISH, *(c for c in languages if c != ENGLISH)]
    return _Writer(questionnaire, codes, words or {}).workbook()


def _fmt(number: float | None) -> int | float | None:
    """A number as a cell shows it best: 2, not 2.0."""
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


class _Writer:
    def __init__(self, questionnaire: Questionnaire, languages: list[str], words):
        self.q = questionnaire
        self.languages = languages
        self.words = {key: words.get(key, Text(english)) for key, english in WORDS.items()}

    def columns(self, *names: str) -> list[str]:
        return [language_column(name, code) for name in names for code in self.languages]

    def texts(self, name: str, text: Text | None) -> dict[str, str]:
        if text is None:
            return {}
        return {
            language_column(name, code): text.get(code) for code in self.languages if text.has(code)
        }

    def workbook(self) -> Workbook:
        book = Workbook()
        book.remove(book.active)
        survey, choices = self.survey()
        self.sheet(
            book,
            "survey",
            [
                *("type", "name", *self.columns("label", "hint"), "required", "relevant"),
                *("constraint", *self.columns("constraint_message"), "asus_type", "weight"),
                *("allow_na", "tags", *self.columns("unit"), "direction", "bands", "cap"),
                *self.columns("ask", "evidence", "description"),
                "asus_role",
            ],
            survey,
        )
        self.sheet(
            book,
            "choices",
            ["list_name", "name", *self.columns("label"), "points", "exclusive"],
            choices,
        )
        self.sheet(
            book,
            "settings",
            ["form_title", "form_id", "version", "default_language"],
            [
                {
                    "form_title": self.q.title.en,
                    "form_id": self.q.id,
                    "version": self.q.version,
                    "default_language": language_name(ENGLISH),
                }
            ],
        )
        self.sheet(book, "asus_questionnaire", ["field", *self.columns("value")], self.metadata())
        self.sheet(
            book,
            "asus_levels",
            ["number", *self.columns("name", "meaning")],
            [
                {"number": lv.number, **self.texts("name", lv.descriptor)}
                | self.texts("meaning", lv.meaning)
                for lv in self.q.levels
            ],
        )
        self.sheet(
            book,
            "asus_stages",
            ["id", "min", *self.columns("name", "description")],
            [
                {"id": s.id, "min": _fmt(s.min), **self.texts("name", s.name)}
                | self.texts("description", s.description)
                for s in self.q.stages
            ],
        )
        self.sheet(
            book,
            "asus_recommendations",
            ["question", "below", "effort", *self.columns("text", "who")],
            [
                {"question": q.id, "below": _fmt(r.below), "effort": r.effort}
                | self.texts("text", r.text)
                | self.texts("who", r.who)
                for q in self.q.questions()
                for r in q.recommendations
            ],
        )
        self.sheet(
            book,
            "asus_changes",
            ["change", "old", "new", "comparable", *self.columns("why")],
            [
                {
                    "change": c.change,
                    "old": ", ".join(c.old),
                    "new": ", ".join(c.new) if c.change not in ("same", "changed") else "",
                    "comparable": ("yes" if c.comparable else "no")
                    if c.change == "changed"
                    else "",
                }
                | self.texts("why", c.why)
                for c in self.q.changes
            ],
        )
        return book

    @staticmethod
    def sheet(book: Workbook, title: str, header: list[str], rows: Iterable[dict]) -> None:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column) for column in header])
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            # Texts get room to be read; ids, numbers and flags stay narrow.
            width = 40 if "::" in cell.value else 24 if cell.value in ("type", "name") else 12
            sheet.column_dimensions[cell.column_letter].width = width

    def metadata(self) -> list[dict]:
        english = language_column("value", ENGLISH)
        rows = [{"field": "title", **self.texts("value", self.q.title)}]
        rows.append({"field": "description", **self.texts("value", self.q.description)})
        rows.append({"field": "provisional_below", english: _fmt(self.q.provisional_below)})
        if self.q.replaces:
            rows.append({"field": "replaces", english: self.q.replaces})
            rows.append({"field": "summary", **self.texts("value", self.q.summary)})
        return rows

    def survey(self) -> tuple[list[dict], list[dict]]:
        survey, choices = [], []
        for area in self.q.areas:
            for item in (area, *area.sub_areas):
                survey.append(
                    {"type": "begin group", "name": item.id, "weight": _fmt(item.weight)}
                    | self.texts("label", item.name)
                    | self.texts("description", item.description)
                )
                if isinstance(item, SubArea):
                    for question in item.questions:
                        survey.extend(self.question_rows(question))
                        choices.extend(self.choice_rows(question))
                    survey.append({"type": "end group", "name": item.id})
            survey.append({"type": "end group", "name": area.id})
        if any(q.allow_na for q in self.q.questions()):
            choices.append(
                {"list_name": NOT_APPLICABLE_LIST, "name": NOT_APPLICABLE}
                | self.texts("label", self.words["not_applicable"])
            )
        return survey, choices

    def question_rows(self, q: Question) -> list[dict]:
        shown = _relevant(q.show_if, self.q)
        row = {
            "type": _xlsform_type(q),
            "name": q.id,
            "required": "yes" if q.required else None,
            "asus_type": q.type,
            "weight": _fmt(q.weight),
            "allow_na": "yes" if q.allow_na else None,
            "tags": "; ".join(q.tags) or None,
            **self.texts("label", q.text),
            **self.texts("hint", q.help),
            **self.texts("unit", q.unit),
            **self.texts("ask", q.ask),
            **self.texts("evidence", q.evidence),
        }
        row |= self.limits(q)
        if q.type == "number":
            row["direction"] = q.direction
            row["bands"] = "; ".join(str(_fmt(threshold)) for _level, threshold in q.bands)
        if q.cap is not None:
            row["cap"] = _fmt(q.cap)
        if not q.allow_na:
            return [row | {"relevant": shown}]
        ticked = f"selected(${{{q.id}_na}}, '{NOT_APPLICABLE}')"
        tick = {
            "type": f"select_multiple {NOT_APPLICABLE_LIST}",
            "name": f"{q.id}_na",
            "relevant": shown,
            "asus_role": ROLE_NOT_APPLICABLE,
        } | self.texts("label", self.words["tick"])
        reason = {
            "type": "text",
            "name": f"{q.id}_na_reason",
            "required": "yes",
            "relevant": _all_of(shown, ticked),
            "asus_role": ROLE_REASON,
        } | self.texts("label", self.words["reason"])
        return [tick, row | {"relevant": _all_of(shown, f"not({ticked})")}, reason]

    def limits(self, q: Question) -> dict:
        """The constraint of a number's valid range, or of a multi_choice's exclusive choices."""
        if q.type == "number" and (q.minimum is not None or q.maximum is not None):
            low, high = _fmt(q.minimum), _fmt(q.maximum)
            if high is None:
                return {"constraint": f". >= {low}"} | self.message(f"Must be at least {low}")
            if low is None:
                return {"constraint": f". <= {high}"} | self.message(f"Must be at most {high}")
            return {"constraint": f". >= {low} and . <= {high}"} | self.message(
                f"Must be between {low} and {high}"
            )
        alone = [c for c in q.choices if c.exclusive]
        if not alone:
            return {}
        return {
            "constraint": " and ".join(
                f"(not(selected(., '{c.id}')) or count-selected(.) = 1)" for c in alone
            )
        } | self.message(
            " ".join(f"'{c.label}' cannot be chosen together with other choices." for c in alone)
        )

    def message(self, english: str) -> dict:
        return self.texts("constraint_message", Text(english))

    def choice_rows(self, q: Question) -> list[dict]:
        if q.type == "level":
            options = [(str(lv.number), lv.descriptor, lv.number, False) for lv in q.levels]
        elif q.type == "yes_no":
            options = [
                ("yes", self.words["yes"], q.yes_points, False),
                ("no", self.words["no"], q.no_points, False),
            ]
        else:
            options = [(c.id, c.label, c.points, c.exclusive) for c in q.choices]
        return [
            {
                "list_name": q.id,
                "name": name,
                "points": _fmt(points),
                "exclusive": "yes" if exclusive else None,
            }
            | self.texts("label", label)
            for name, label, points, exclusive in options
        ]


def _xlsform_type(q: Question) -> str:
    if q.type in ("level", "yes_no", "choice"):
        return f"select_one {q.id}"
    if q.type == "multi_choice":
        return f"select_multiple {q.id}"
    return "decimal" if q.type == "number" else "text"


def _relevant(show_if: ShowIf | None, questionnaire: Questionnaire) -> str | None:
    """Our show_if as an XLSForm `relevant` expression."""
    if show_if is None:
        return None
    target = questionnaire.question(show_if.question)
    values = [
        target.parse_answer([v] if target.type == "multi_choice" else v) for v in show_if.values
    ]
    if target.type == "multi_choice":
        parts = [f"selected(${{{target.id}}}, '{v[0]}')" for v in values]
    elif target.type == "number":
        parts = [f"${{{target.id}}} = {_fmt(v)}" for v in values]
    else:
        parts = [f"${{{target.id}}} = '{v}'" for v in values]
    return " or ".join(parts)


def _all_of(*conditions: str | None) -> str:
    given = [c for c in conditions if c]
    if len(given) == 1:
        return given[0]
    return " and ".join(f"({c})" if " or " in c else c for c in given)


# -- import ------------------------------------------------------------------------------------


@dataclass
class Imported:
    """What a workbook holds: the questionnaire document (as the loader reads it from YAML, in
    English) and the texts in other languages, by catalogue key (`cs_budget/levels/3`, see
    translations.py) and language."""

    document: dict
    translations: dict[str, dict[str, str]]


def read_xlsform(path: str | Path) -> Imported:
    """Read an XLSForm workbook; raise XLSFormError with every mistake found."""
    reader = _Reader(Path(path))
    return Imported(reader.document(), reader.translations)


def from_xlsform(path: str | Path) -> dict:
    """The questionnaire document of an XLSForm workbook (its English; see `read_xlsform`)."""
    return read_xlsform(path).document


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Writes every value in full: the loader refuses anchors and aliases. (libyaml's emitter
    when PyYAML has it: a detailed questionnaire is written in a fraction of the time.)"""

    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(document: dict) -> str:
    """The document as questionnaire YAML."""
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def store_translations(
    questionnaire: Questionnaire, found: dict[str, dict[str, str]], folder: Path
) -> dict[Path, int]:
    """Write the translations `found` of the questionnaire's texts (by key, then language) into
    its catalogues under `folder` (`<language>/<id>.po`), keeping what they hold for other
    versions; how many texts each catalogue got."""
    languages = sorted({code for by_language in found.values() for code in by_language})
    existing = translations.catalogues(questionnaire.id, folder)
    template = translations.template([questionnaire]) if set(languages) - set(existing) else None
    written = {}
    for language in languages:
        catalogue = existing.get(language) or translations.updated(None, template, language)
        count = 0
        for key, text in translations.texts(questionnaire):
            translated = found.get(key, {}).get(language)
            if translated is None:
                continue
            message = catalogue.get(text.en, context=key)
            if message is None:
                message = catalogue.add(
                    text.en, context=key, locations=[(Path(questionnaire.source).name, text.line)]
                )
            message.string = translated
            message.flags.discard("fuzzy")
            count += 1
        path = folder / language / f"{questionnaire.id}.po"
        translations.write_catalogue(catalogue, path)
        written[path] = count
    return written


@dataclass
class _Row:
    sheet: str
    number: int
    cells: dict[str, object]


class _Sheet:
    """One sheet's rows as column -> value, with its texts' columns by language."""

    def __init__(self, reader: _Reader, title: str, rows: list[tuple]):
        self.reader, self.title = reader, title
        header = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else ())]
        self.header = header
        self.languages: dict[str, dict[str, str]] = {}  # column -> code -> header
        for name in header:
            match = LANGUAGE_COLUMN.match(name)
            if match:
                self.languages.setdefault(match["column"], {})[match["code"]] = name
        self.rows = [
            _Row(title, number, dict(zip(header, values, strict=False)))
            for number, values in enumerate(rows[1:], 2)
            if any(v not in (None, "") for v in values)
        ]

    def has(self, column: str) -> bool:
        return column in self.header or column in self.languages

    def in_languages(self, column: str) -> dict[str, str]:
        """The headers of a text column by language; a plain `label` is the English."""
        found = dict(self.languages.get(column, {}))
        if ENGLISH not in found and column in self.header:
            found[ENGLISH] = column
        return found

    def require(self, *columns: str) -> bool:
        missing = [c for c in columns if not self.has(c)]
        for column in missing:
            self.reader.error(self.title, 1, column, "the column is missing")
        return not missing


class _Reader:
    """Reads a workbook into the questionnaire document, collecting problems."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[SheetProblem] = []
        self.sheets: dict[str, _Sheet] = {}
        self.translations: dict[str, dict[str, str]] = {}

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.problems.append(SheetProblem(str(self.path), sheet, row, column, message))

    def fail(self, row: _Row, column: str, message: str) -> None:
        self.error(row.sheet, row.number, column, message)

    def document(self) -> dict:
        try:
            self.read_sheets()
        except OSError as error:
            self.error("(workbook)", 0, "(file)", f"cannot be read: {error.strerror or error}")
            raise XLSFormError(self.problems) from None
        # Not a zip, a zip of something else, or a damaged workbook (its XML cut short).
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError):
            self.error(
                "(workbook)",
                0,
                "(file)",
                "is not an Excel workbook: save it as .xlsx and try again",
            )
            raise XLSFormError(self.problems) from None
        for title in ("survey", "choices", "settings"):
            if title not in self.sheets:
                self.error(title, 0, "(sheet)", "the sheet is missing")
        if self.problems:
            raise XLSFormError(self.problems)
        document = self.questionnaire()
        if self.problems:
            raise XLSFormError(self.problems)
        return document

    def read_sheets(self) -> None:
        book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                self.sheets[sheet.title] = _Sheet(self, sheet.title, list(sheet.values))
        finally:
            book.close()

    # -- cells -------------------------------------------------------------------------------

    def plain(self, row: _Row, column: str) -> str | None:
        value = row.cells.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def text(self, sheet: _Sheet, row: _Row, column: str, key: str, required=False) -> str | None:
        """A text's English; its other languages are kept under its catalogue `key`."""
        return self.english(self.languages(sheet, row, column, required), key)

    def english(self, found: dict[str, str] | None, key: str) -> str | None:
        if not found:
            return None
        others = {code: text for code, text in found.items() if code != ENGLISH}
        if others:
            self.translations[key] = others
        return found[ENGLISH]

    def languages(self, sheet: _Sheet, row: _Row, column: str, required) -> dict[str, str] | None:
        """A text cell in every language given, English first."""
        found = {}
        for code, header in sheet.in_languages(column).items():
            value = self.plain(row, header)
            if value is not None:
                found[code] = value
        if not found:
            if required:
                self.fail(row, language_column(column, ENGLISH), "must not be empty")
            return None
        if ENGLISH not in found:
            self.fail(row, language_column(column, ENGLISH), "is empty; English text is required")
            return None
        return found

    def number(self, row: _Row, column: str) -> int | float | None:
        value = row.cells.get(column)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                self.fail(row, column, f"must be a number, got {value!r}")
                return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(row, column, f"must be a number, got {value!r}")
            return None
        return _fmt(value)

    def flag(self, row: _Row, column: str) -> bool | None:
        value = row.cells.get(column)
        word = str(value).strip().lower() if value is not None else ""
        if value is True or word in TRUE:
            return True
        if value is False or word in FALSE:
            return False
        self.fail(row, column, f"must be yes or no, got {value!r}")
        return None

    # -- sheets ------------------------------------------------------------------------------

    def questionnaire(self) -> dict:
        settings = self.sheets["settings"]
        document: dict = {}
        if settings.require("form_id", "version"):
            if not settings.rows:
                self.error("settings", 2, "form_id", "the row of settings is missing")
            else:
                row = settings.rows[0]
                # Checked here, before the id and version name a file to write.
                for key, column, pattern, rule in (
                    ("id", "form_id", ID_PATTERN, ID_RULE),
                    ("version", "version", VERSION_PATTERN, VERSION_RULE),
                ):
                    value = self.plain(row, column)
                    if value is None:
                        self.fail(row, column, "must not be empty")
                    elif not pattern.fullmatch(value):
                        self.fail(row, column, f"{rule}, got {value[:60]!r}")
                    document[key] = value
        document |= self.metadata()
        levels = self.scale()
        if levels:
            document["levels"] = levels
        document["stages"] = self.stages()
        if "provisional_below" in self.fields:
            document["provisional_below"] = self.fields.pop("provisional_below")
        choices = self.choice_lists()
        recommendations = self.recommendations()
        document["areas"] = self.areas(choices, recommendations)
        if document["areas"] is not None:
            named = {self.plain(row, "name") for row in self.sheets["survey"].rows}
            for question_id, (row, _steps) in recommendations.items():
                if question_id not in named:
                    self.fail(
                        row, "question", f"'{question_id}' is no question of the survey sheet"
                    )
        document |= self.fields
        changes = self.changes()
        if changes:
            document["changes"] = changes
        return document

    def metadata(self) -> dict:
        """title and description (the texts of asus_questionnaire), the rest in `self.fields`."""
        self.fields: dict = {}
        sheet = self.sheets.get("asus_questionnaire")
        if sheet is None or not sheet.require("field", "value"):
            title = self.sheets["settings"].rows[:1]
            if title and self.plain(title[0], "form_title"):
                return {"title": self.plain(title[0], "form_title")}
            return {}
        texts = {"title", "description", "summary"}
        numbers = {"provisional_below"}
        plain = sheet.in_languages("value").get(ENGLISH, "value")
        found = {}
        for row in sheet.rows:
            field = self.plain(row, "field")
            if field in texts:
                found[field] = self.text(sheet, row, "value", field, required=True)
            elif field in numbers:
                self.fields[field] = self.number(row, plain)
            elif field == "replaces":
                self.fields[field] = self.plain(row, plain)
            else:
                known = ", ".join(sorted(texts | numbers | {"replaces"}))
                self.fail(row, "field", f"unknown field {field!r}; the fields are {known}")
        for key in ("summary",):
            if key in found:
                self.fields[key] = found.pop(key)
        return found

    def optional_sheet(self, title: str, *columns: str) -> _Sheet | None:
        sheet = self.sheets.get(title)
        if sheet is None or not sheet.require(*columns):
            return None
        return sheet

    def scale(self) -> dict:
        sheet = self.optional_sheet("asus_levels", "number", "name")
        levels = {}
        for row in sheet.rows if sheet else ():
            number = self.number(row, "number")
            key = f"levels/{number}"
            name = self.text(sheet, row, "name", f"{key}/name", required=True)
            meaning = self.text(sheet, row, "meaning", f"{key}/meaning")
            if number is not None:
                levels[number] = {"name": name, "meaning": meaning} if meaning else name
        return levels

    def stages(self) -> list:
        sheet = self.optional_sheet("asus_stages", "id", "min", "name")
        stages = []
        for row in sheet.rows if sheet else ():
            key = f"stages/{self.plain(row, 'id')}"
            stage = {
                "id": self.plain(row, "id"),
                "name": self.text(sheet, row, "name", f"{key}/name", required=True),
                "min": self.number(row, "min"),
            }
            description = self.text(sheet, row, "description", f"{key}/description")
            stages.append(stage | ({"description": description} if description else {}))
        return stages

    def choice_lists(self) -> dict[str, list[tuple[_Row, dict]]]:
        sheet = self.sheets["choices"]
        lists: dict[str, list[tuple[_Row, dict]]] = {}
        if not sheet.require("list_name", "name", "label"):
            return lists
        for row in sheet.rows:
            list_name, name = self.plain(row, "list_name"), self.plain(row, "name")
            if list_name is None or name is None:
                self.fail(row, "list_name" if list_name is None else "name", "must not be empty")
                continue
            # A list may serve several questions: its labels' keys are the questions'.
            choice = {"id": name, "label": self.languages(sheet, row, "label", required=True)}
            if sheet.has("points"):
                choice["points"] = self.number(row, "points")
            if sheet.has("exclusive") and self.flag(row, "exclusive"):
                choice["exclusive"] = True
            lists.setdefault(list_name, []).append((row, choice))
        return lists

    def recommendations(self) -> dict[str, tuple[_Row, list]]:
        sheet = self.optional_sheet("asus_recommendations", "question", "below", "text")
        found: dict[str, tuple[_Row, list]] = {}
        for row in sheet.rows if sheet else ():
            question = self.plain(row, "question")
            if question is None:
                self.fail(row, "question", "must not be empty")
                continue
            steps = found.setdefault(question, (row, []))[1]
            key = f"{question}/recommendations/{len(steps) + 1}"
            step = {
                "below": self.number(row, "below"),
                "text": self.text(sheet, row, "text", f"{key}/text", required=True),
            }
            effort = self.plain(row, "effort")
            who = self.text(sheet, row, "who", f"{key}/who")
            steps.append(
                step | ({"effort": effort} if effort else {}) | ({"who": who} if who else {})
            )
        return found

    def changes(self) -> list:
        sheet = self.optional_sheet("asus_changes", "change", "old", "new")
        changes = []
        for row in sheet.rows if sheet else ():
            change: dict = {}
            named = {}
            for key in ("old", "new"):
                ids = [i.strip() for i in (self.plain(row, key) or "").split(",") if i.strip()]
                named[key] = ids
                if ids:
                    change[key] = ids[0] if len(ids) == 1 else ids
            change["change"] = self.plain(row, "change")
            if self.plain(row, "comparable") is not None:
                change["comparable"] = self.flag(row, "comparable")
            why = self.text(
                sheet, row, "why", f"changes/{'+'.join(named['old'] or named['new'])}/why"
            )
            changes.append(change | ({"why": why} if why else {}))
        return changes

    # -- the survey --------------------------------------------------------------------------

    def areas(self, choices, recommendations) -> list | None:
        """The areas of the survey sheet's groups; None when it lacks a column it needs."""
        sheet = self.sheets["survey"]
        if not sheet.require("type", "name", "label"):
            return None
        areas: list = []
        groups: list[tuple[_Row, dict]] = []
        asked: dict[str, dict] = {}
        for row in sheet.rows:
            kind = (self.plain(row, "type") or "").replace("_", " ")
            if kind in ("begin group", "end group"):
                self.group(sheet, row, kind, groups, areas)
                continue
            if kind in METADATA_TYPES:
                continue
            if self.plain(row, "asus_role") in (ROLE_NOT_APPLICABLE, ROLE_REASON):
                continue
            if self.plain(row, "name") is None:
                self.fail(row, "name", "must not be empty: it is the question's id")
                continue
            question = self.question(sheet, row, choices, asked)
            if question is None:
                continue
            if len(groups) != 2:
                self.fail(
                    row, "type", "a question belongs in a sub-area group inside an area group"
                )
                continue
            if question.get("id") in recommendations:
                question["recommendations"] = recommendations.pop(question["id"])[1]
            asked[question.get("id")] = question
            groups[-1][1]["questions"].append(question)
        for row, _group in groups:
            self.fail(row, "type", "this group has no 'end group'")
        return areas

    def group(self, sheet, row, kind, groups, areas) -> None:
        if kind == "end group":
            if not groups:
                self.fail(row, "type", "'end group' without a 'begin group' before it")
            else:
                groups.pop()
            return
        key = self.plain(row, "name")
        if key is None:
            self.fail(row, "name", "must not be empty: it is the area's or sub-area's id")
        item = {"id": key, "name": self.text(sheet, row, "label", f"{key}/name", required=True)}
        description = self.text(sheet, row, "description", f"{key}/description")
        weight = self.number(row, "weight")
        item |= {"description": description} if description else {}
        item |= {"weight": weight} if weight not in (None, 1) else {}
        if not groups:
            item["sub_areas"] = []
            areas.append(item)
        elif len(groups) == 1:
            item["questions"] = []
            groups[0][1]["sub_areas"].append(item)
        else:
            self.fail(row, "type", "groups nest two deep only: an area, then its sub-areas")
        groups.append((row, item))

    def question(self, sheet, row, choices, asked) -> dict | None:
        words = (self.plain(row, "type") or "").split()
        xlsform_type, list_name = [*words, None][:2] if words else (None, None)
        our_type = self.plain(row, "asus_type")
        options = None
        if xlsform_type in SELECT_TYPES and list_name:
            options = choices.get(list_name)
            if options is None:
                self.fail(row, "type", f"no choice list '{list_name}' in the choices sheet")
                return None
            allowed = SELECT_TYPES[xlsform_type]
            our_type = our_type or _select_type(xlsform_type, [c["id"] for _, c in options])
        elif xlsform_type in NUMBER_TYPES or xlsform_type == "text":
            allowed = ("number",) if xlsform_type in NUMBER_TYPES else ("text",)
            our_type = our_type or allowed[0]
        else:
            self.fail(row, "type", f"unknown type {' '.join(words)!r}; use {KNOWN_TYPES}")
            return None
        if our_type not in allowed:
            self.fail(
                row,
                "asus_type",
                f"must be {' or '.join(allowed)} for a {xlsform_type} question, got {our_type!r}",
            )
            return None
        qid = self.plain(row, "name")
        question = {
            "id": qid,
            "type": our_type,
            "text": self.text(sheet, row, "label", f"{qid}/text", required=True),
        }
        for key, column in (("help", "hint"), ("ask", "ask"), ("evidence", "evidence")):
            value = self.text(sheet, row, column, f"{qid}/{key}")
            if value is not None:
                question[key] = value
        weight = self.number(row, "weight")
        if weight not in (None, 1):
            question["weight"] = weight
        if not self.flag(row, "required"):
            question["required"] = False
        allow_na = self.flag(row, "allow_na")
        if allow_na:
            question["allow_na"] = True
        tags = [t.strip() for t in (self.plain(row, "tags") or "").split(";") if t.strip()]
        if tags:
            question["tags"] = tags
        show_if = self.show_if(row, question["id"], bool(allow_na), asked)
        if show_if:
            question["show_if"] = show_if
        question |= self.typed(sheet, row, qid, our_type, options or [])
        return question

    def typed(self, sheet, row, qid, our_type, options) -> dict:
        if our_type == "level":
            levels = {}
            for choice_row, choice in options:
                if not choice["id"].isdigit():
                    self.fail(
                        choice_row, "name", f"a level is a whole number, got {choice['id']!r}"
                    )
                    continue
                number = int(choice["id"])
                if choice.get("points") not in (None, number):
                    self.fail(choice_row, "points", f"a level's points are its number ({number})")
                levels[number] = self.english(choice["label"], f"{qid}/levels/{number}")
            return {"levels": levels}
        if our_type == "yes_no":
            points = {c["id"]: c.get("points") for _, c in options}
            if set(points) != {"yes", "no"}:
                self.fail(row, "type", "a yes_no question's list has the choices yes and no")
                return {}
            if (points["yes"], points["no"]) in ((1, 0), (None, None)):
                return {}
            return {"points": points}
        if our_type in ("choice", "multi_choice"):
            found = {
                "choices": [
                    choice
                    | {"label": self.english(choice["label"], f"{qid}/choices/{choice['id']}")}
                    for _, choice in options
                ]
            }
            cap = self.number(row, "cap")
            return found | ({"cap": cap} if cap is not None else {})
        if our_type == "text":
            return {}
        found = {"unit": self.text(sheet, row, "unit", f"{qid}/unit", required=True)}
        found["direction"] = self.plain(row, "direction")
        if found["direction"] is None:
            self.fail(row, "direction", "must be higher_is_better or lower_is_better")
        if self.plain(row, "bands") is None:
            self.fail(row, "bands", "give the thresholds of levels 1, 2, ... separated by ';'")
            return found
        bands = {}
        for level, cell in enumerate(self.plain(row, "bands").split(";"), 1):
            try:
                bands[level] = _fmt(float(cell.strip()))
            except ValueError:
                self.fail(row, "bands", f"band {level}: {cell.strip()!r} is not a number")
        found["bands"] = bands
        return found | self.number_range(row)

    def number_range(self, row) -> dict:
        constraint = self.plain(row, "constraint")
        if constraint is None:
            return {}
        match = RANGE.match(constraint)
        if match is None:
            self.fail(
                row,
                "constraint",
                "write the valid range as '. >= MINIMUM and . <= MAXIMUM' "
                f"(or one of them), got {constraint!r}",
            )
            return {}
        low, high, only_high = match.groups()
        found = {}
        if low is not None:
            found["minimum"] = _fmt(float(low))
        if (high or only_high) is not None:
            found["maximum"] = _fmt(float(high or only_high))
        return found

    def show_if(self, row, question_id, allow_na, asked) -> dict | None:
        """The show_if of a `relevant` expression: conditions on one earlier question, joined
        by `or`; with not applicable allowed, its tick box's condition is not part of it."""
        relevant = self.plain(row, "relevant")
        hidden = f"not(selected(${{{question_id}_na}}, '{NOT_APPLICABLE}'))"
        if relevant and allow_na and relevant.endswith(hidden):
            relevant = relevant.removesuffix(hidden).strip().removesuffix(" and").strip()
            if relevant.startswith("(") and relevant.endswith(")"):
                relevant = relevant[1:-1]
        if not relevant:
            return None
        targets, values = set(), []
        for part in relevant.split(" or "):
            match = CONDITION.match(part.strip())
            if match is None:
                self.fail(
                    row,
                    "relevant",
                    "the toolkit reads ${question} = 'value' or selected(${question}, 'value'), "
                    f"joined by 'or'; got {relevant!r}",
                )
                return None
            targets.add(match["q1"] or match["q2"])
            values.append(match["v1"] if match["v1"] is not None else match["n1"] or match["v2"])
        if len(targets) > 1:
            self.fail(row, "relevant", "may depend on one earlier question only")
            return None
        target = targets.pop()
        values = [_answer_value(asked.get(target), v) for v in values]
        return (
            {"question": target, "equals": values[0]}
            if len(values) == 1
            else {
                "question": target,
                "in": values,
            }
        )


def _select_type(xlsform_type: str, names: list[str]) -> str:
    """Our type of a select question written without `asus_type` (as in a form made in Kobo)."""
    if xlsform_type == "select_multiple":
        return "multi_choice"
    if names and all(n.isdigit() for n in names):
        return "level"
    return "yes_no" if sorted(names) == ["no", "yes"] else "choice"


def _answer_value(target: dict | None, value: str) -> object:
    """A show_if value as the YAML writes it for its question: a level as a number, yes and no
    as true and false (`equals: yes`)."""
    kind = target.get("type") if target else None
    if kind == "level" and value.lstrip("-").isdigit():
        return int(value)
    if kind == "yes_no" and value in ("yes", "no"):
        return value == "yes"
    if kind == "number":
        try:
            return _fmt(float(value))
        except ValueError:
            return value
    return value
