"""Forms built at runtime from the questionnaire: one form class per area.

A registry maps each question type to the WTForms field it makes; field names are derived from
question ids (`<id>__value`, `<id>__na`, ...), and one generic macro renders any of them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from questionnaires import Area, EvidenceLine, Question, Questionnaire, Text
from toolkit.assessments.answering import AnswerInput
from toolkit.assessments.models import MAX_SOURCE, Answer
from toolkit.core.forms import CheckboxesField, Form
from toolkit.core.models import utcnow
from toolkit.i18n.service import InPageLanguage, language_code

MAX_TEXT = 4000
# The earliest year a number's data may describe; the latest is next year (a plan, a budget).
FIRST_DATA_YEAR = 1950


def _text(text: Text) -> InPageLanguage:
    """A questionnaire text as a label, in the language of the page that shows it."""
    return InPageLanguage(text.get)


def _level_label(number: int, descriptor: Text) -> InPageLanguage:
    return InPageLanguage(lambda language: f"{number}. {descriptor.get(language)}")


def _level_field(q: Question):
    # Escaped once here, as the class is built once: an area page shows a hundred of these.
    choices = [
        SelectChoice(str(lv.number), _level_label(lv.number, lv.descriptor)) for lv in q.levels
    ]
    return RadioField(_text(q.text), choices=choices, validators=[Optional()])


def _yes_no_field(q: Question):
    choices = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
    return RadioField(_text(q.text), choices=choices, validators=[Optional()])


def _choice_field(q: Question):
    choices = [SelectChoice(c.id, _text(c.label)) for c in q.choices]
    return RadioField(_text(q.text), choices=choices, validators=[Optional()])


def _multi_choice_field(q: Question):
    choices = [SelectChoice(c.id, _text(c.label)) for c in q.choices]
    exclusive = tuple(c.id for c in q.choices if c.exclusive)
    validators = [Optional(), _exclusive_validator(q)] if exclusive else [Optional()]
    return CheckboxesField(
        _text(q.text), choices=choices, validators=validators, exclusive=exclusive
    )


def _exclusive_validator(q: Question):
    """Refuses "None of these" ticked with other choices (see Question.exclusive_choice_in)."""

    def check(form, field):
        alone = q.exclusive_choice_in(tuple(field.data or ()))
        if alone is not None:
            raise ValidationError(
                _(
                    "“%(choice)s” cannot be ticked together with other choices: untick it, "
                    "or untick the others.",
                    choice=alone.label.get(language_code()),
                )
            )

    return check


def _finite(form, field):
    """Python reads "1e309", "inf" and "nan" as numbers; no answer is one of those."""
    if field.data is not None and not math.isfinite(field.data):
        raise StopValidation(
            _(
                "Enter a number such as 42 or 3.5: %(value)s is too large or not a number.",
                value=str((field.raw_data or [field.data])[0])[:20],
            )
        )


def _number_field(q: Question):
    low, high = _whole(q.minimum), _whole(q.maximum)
    validators = [Optional(), _finite]
    if low is not None or high is not None:
        validators.append(NumberRange(min=low, max=high))
    render_kw = {"inputmode": "decimal", "step": "any"}
    if low is not None:
        render_kw["min"] = low
    if high is not None:
        render_kw["max"] = high
    return FloatField(_text(q.text), validators=validators, render_kw=render_kw)


def _whole(number: float | None) -> float | int | None:
    """2.0 -> 2, so that messages say "0 to 100", not "0.0 to 100.0"."""
    return int(number) if number is not None and float(number).is_integer() else number


def last_data_year() -> int:
    """The latest year a number's data may describe: next year."""
    return utcnow().year + 1


def data_year(raw: str | None) -> int | None:
    """The year of a number's data as typed ("2024", " 2024 "), or None when blank; anything
    but a whole year from FIRST_DATA_YEAR to next year raises ValidationError. Only up to four
    ASCII digits reach int()."""
    text = (raw or "").strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{4}", text) and FIRST_DATA_YEAR <= int(text) <= last_data_year():
        return int(text)
    raise ValidationError(
        _(
            "Enter the year the figure describes as four digits, from %(first)d to %(last)d: "
            "%(value)s is not such a year.",
            first=FIRST_DATA_YEAR,
            last=last_data_year(),
            value=text[:20],
        )
    )


def _data_year_validator(form, field):
    data_year(field.data)


def _no_control_characters(form, field):
    """One line of text: tabs, line breaks and other control characters are refused (NUL is
    refused for every field, see core/guards.py)."""
    if any(unicodedata.category(c) == "Cc" for c in field.data or ""):
        raise ValidationError(
            _("Write the source on one line, without tabs, line breaks or control characters.")
        )


def _text_field(q: Question):
    return TextAreaField(_text(q.text), validators=[Optional(), Length(max=MAX_TEXT)])


FIELD_FOR_TYPE = {
    "level": _level_field,
    "yes_no": _yes_no_field,
    "choice": _choice_field,
    "multi_choice": _multi_choice_field,
    "number": _number_field,
    "text": _text_field,
}


def parse_evidence(text: str | None) -> tuple[str, ...]:
    """Evidence lines "https://address description"; only http and https links are accepted."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in lines:
        if not EvidenceLine.parse(line).is_link:
            raise ValidationError(
                _(
                    "Each line starts with a link beginning with http:// or https://: %(line)s",
                    line=line[:80],
                )
            )
    return tuple(lines)


def _evidence_validator(form, field):
    parse_evidence(field.data)


def stored_fields(q: Question, answer: Answer | None) -> dict:
    """The form fields of one question filled from its stored answer."""
    if answer is None:
        return {f"{q.id}__version": "0"}
    return answer_fields(q, answer.snapshot(), answer.version)


def answer_fields(q: Question, snapshot: dict, version: int) -> dict:
    """The form fields of one question saying `snapshot` (see Answer.snapshot) at `version`."""
    value = snapshot["value"]
    if q.type in ("level", "yes_no", "choice") and value is not None:
        value = str(value)
    return {
        f"{q.id}__version": str(version),
        f"{q.id}__value": value,
        f"{q.id}__na": snapshot["not_applicable"],
        f"{q.id}__reason": snapshot["reason"],
        f"{q.id}__comment": snapshot["comment"],
        f"{q.id}__evidence": "\n".join(snapshot["evidence"] or []),
        **(
            {
                f"{q.id}__year": str(snapshot.get("data_year") or ""),
                f"{q.id}__source": snapshot.get("data_source") or "",
            }
            if q.type == "number"
            else {}
        ),
    }


def given_answers(questions, form) -> dict[str, AnswerInput]:
    """What a validated area (or question) form says for each of `questions`."""
    given = {}
    for q in questions:
        value = form[f"{q.id}__value"].data
        if value in ("", [], None):
            value = None
        not_applicable = q.allow_na and form[f"{q.id}__na"].data
        version = form[f"{q.id}__version"].data
        number = q.type == "number"
        given[q.id] = AnswerInput(
            value=None if not_applicable else value,
            not_applicable=bool(not_applicable),
            reason=(form[f"{q.id}__reason"].data or "").strip() or None if q.allow_na else None,
            comment=(form[f"{q.id}__comment"].data or "").strip() or None,
            evidence=parse_evidence(form[f"{q.id}__evidence"].data),
            data_year=data_year(form[f"{q.id}__year"].data) if number else None,
            data_source=(form[f"{q.id}__source"].data or "").strip() or None if number else None,
            based_on=int(version) if version and version.isdigit() else 0,
            confirm=bool(form[f"{q.id}__confirm"].data),
        )
    return given


class AreaForm(Form):
    """The answers of one area, or of one question: subclasses get the question fields (see
    `area_form_class` and `question_form_class`)."""

    questions: tuple[Question, ...] = ()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for q in self.questions:
            if q.allow_na and self[f"{q.id}__na"].data and not self[f"{q.id}__reason"].data:
                self[f"{q.id}__reason"].errors.append(_("Say why this does not apply to the city."))
                ok = False
        return ok


def _question_fields(q: Question) -> dict:
    """The form fields of one question, named after its id."""
    fields = {f"{q.id}__value": FIELD_FOR_TYPE[q.type](q)}
    if q.type == "number":
        fields[f"{q.id}__year"] = StringField(
            _l("Year of the data"),
            validators=[Optional(), _data_year_validator],
            render_kw={"inputmode": "numeric", "autocomplete": "off"},
        )
        fields[f"{q.id}__source"] = StringField(
            _l("Source"),
            validators=[Optional(), Length(max=MAX_SOURCE), _no_control_characters],
        )
    if q.allow_na:
        fields[f"{q.id}__na"] = BooleanField(_l("Not applicable to our city"))
        fields[f"{q.id}__reason"] = TextAreaField(
            _l("Why it does not apply"), validators=[Optional(), Length(max=MAX_TEXT)]
        )
    fields[f"{q.id}__comment"] = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    fields[f"{q.id}__evidence"] = TextAreaField(
        _l("Evidence links"),
        validators=[Optional(), Length(max=MAX_TEXT), _evidence_validator],
    )
    fields[f"{q.id}__confirm"] = BooleanField(_l("Confirm: this still holds for this cycle"))
    fields[f"{q.id}__version"] = HiddenField()
    return fields


@cache
def area_form_class(questionnaire: Questionnaire, area: Area) -> type[AreaForm]:
    """The form class of one area of one questionnaire version (built once)."""
    fields = {name: f for q in area.questions() for name, f in _question_fields(q).items()}
    fields["questions"] = tuple(area.questions())
    return type(f"AreaForm_{questionnaire.id}_{area.id}", (AreaForm,), fields)


@cache
def question_form_class(questionnaire: Questionnaire, question: Question) -> type[AreaForm]:
    """The form class of one question alone, for saving one answer (built once)."""
    fields = _question_fields(question)
    fields["questions"] = (question,)
    return type(f"QuestionForm_{questionnaire.id}_{question.id}", (AreaForm,), fields)


def show_if_values(questionnaire: Questionnaire, q: Question) -> list[str]:
    """The form values of the controlling question that show `q` (for answers.js)."""
    target = questionnaire.question(q.show_if.question)
    if target.type == "multi_choice":
        return [c.id for c in target.choices if q.show_if.matches(target, (c.id,))]
    options = {
        "level": [str(lv.number) for lv in target.levels],
        "yes_no": ["yes", "no"],
        "choice": [c.id for c in target.choices],
    }.get(target.type, [])
    return [v for v in options if q.show_if.matches(target, target.parse_answer(v))]


class StartForm(Form):
    """A city lead starts an assessment, empty or from an earlier cycle's answers."""

    questionnaire = SelectField(_l("Questionnaire"), choices=[])
    cycle = IntegerField(
        _l("Cycle (year)"), validators=[DataRequired(), NumberRange(min=2015, max=2100)]
    )
    carry_over = SelectField(
        _l("Carry over the answers of an earlier cycle"), choices=[], default=""
    )


class AssignmentForm(Form):
    """Who answers which area: one set of checkboxes per area (see `assignment_form`)."""

    areas: tuple[Area, ...] = ()

    def people_by_area(self) -> dict[str, set[int]]:
        """Area id -> the ids of the people given that area."""
        return {a.id: {int(i) for i in self[f"area__{a.id}"].data or ()} for a in self.areas}


@cache
def _assignment_form_class(questionnaire: Questionnaire) -> type[AssignmentForm]:
    fields = {
        f"area__{a.id}": CheckboxesField(_text(a.name), validators=[Optional()])
        for a in questionnaire.areas
    }
    fields["areas"] = questionnaire.areas
    return type(f"AssignmentForm_{questionnaire.id}", (AssignmentForm,), fields)


def assignment_form(questionnaire: Questionnaire, people: dict, current: dict) -> AssignmentForm:
    """The assignment form of an assessment: `people` maps user id (str) to the city's users,
    `current` maps area id to the ids assigned now."""
    form = _assignment_form_class(questionnaire)(
        data={f"area__{a}": ids for a, ids in current.items()}
    )
    for a in questionnaire.areas:
        form[f"area__{a.id}"].choices = [(key, u.name) for key, u in people.items()]
    return form


class ReviewForm(Form):
    """A reviewer's decision; subclasses get a note field per question (`review_form_class`)."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve: the assessment becomes read-only")),
            SelectChoice("return", _l("Return to the city with comments")),
        ],
        validators=[DataRequired(message=_l("Choose approve or return."))],
    )
    comment = TextAreaField(_l("Comment to the city"), validators=[Length(max=MAX_TEXT)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.decision.data == "return" and not (self.comment.data or "").strip():
            self.comment.errors.append(_("Say what the city should change."))
            ok = False
        return ok

    def notes(self) -> dict[str, str]:
        """Question id -> the reviewer's note, for the questions that have one."""
        return {
            name.removeprefix("note__"): field.data.strip()
            for name, field in self._fields.items()
            if name.startswith("note__") and (field.data or "").strip()
        }


@cache
def review_form_class(questionnaire: Questionnaire) -> type[ReviewForm]:
    """The review form of one questionnaire version: a note field per question."""
    fields = {
        f"note__{q.id}": TextAreaField(
            _l("Note on this question"), validators=[Optional(), Length(max=MAX_TEXT)]
        )
        for q in questionnaire.questions()
    }
    return type(f"ReviewForm_{questionnaire.id}", (ReviewForm,), fields)


class ReopenForm(Form):
    """An administrator reopens an approved assessment, saying why."""

    reason = TextAreaField(
        _l("Why it is reopened"), validators=[DataRequired(), Length(max=MAX_TEXT)]
    )


class ReplyForm(Form):
    """The city's reply to a reviewer's note (one form per note: prefix `note-<id>`)."""

    text = TextAreaField(
        _l("Your reply to the reviewer"),
        validators=[DataRequired(message=_l("Write your reply first.")), Length(max=MAX_TEXT)],
    )


class WorkbookUploadForm(Form):
    """A filled workbook of the assessment, to preview before its answers are saved."""

    workbook = FileField(
        _l("Workbook (.xlsx)"),
        validators=[FileRequired(message=_l("Choose the workbook file to upload."))],
    )


class ConfirmForm(Form):
    """A confirmation: a button, and the CSRF token."""
