"""The forms of action plans: an action, and a progress note."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from toolkit.actions.models import MAX_NAME, MAX_TITLE
from toolkit.actions.service import CURRENCIES, FIELDS
from toolkit.core.forms import Form

# Numeric(18, 2): sixteen digits before the point.
LARGEST_AMOUNT = Decimal(10) ** 16


def _amount(raw: str | None) -> Decimal | None:
    """The amount typed (spaces and thousands commas allowed), or None when blank."""
    text = (raw or "").replace(",", "").replace(" ", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            _l("Write the amount as a number, such as 250000000 or 1500.50.")
        ) from None
    if not amount.is_finite() or amount < 0 or amount >= LARGEST_AMOUNT:
        raise ValueError(_l("The amount must be 0 or more, and less than 10,000 trillion."))
    if amount.as_tuple().exponent < -2:
        raise ValueError(_l("The amount may have at most 2 decimals."))
    return amount


class AmountField(StringField):
    """An amount of money, 0 or more with at most two decimals, as a Decimal."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw = valuelist[0]
            self.data = _amount(valuelist[0])

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:.2f}"


class ActionForm(Form):
    """An action of the plan: what, who, when, its status and its budget."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10_000)])
    department = StringField(_l("Department"), validators=[Optional(), Length(max=MAX_NAME)])
    responsible = StringField(
        _l("Responsible person"), validators=[Optional(), Length(max=MAX_NAME)]
    )
    responsible_id = SelectField(_l("Responsible person's account"), coerce=int, choices=[])
    start_on = DateField(_l("Start"), validators=[Optional()])
    due_on = DateField(_l("Due"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[])
    dropped_reason = TextAreaField(_l("Why it is dropped"), validators=[Length(max=10_000)])
    budget_line = StringField(_l("Budget line"), validators=[Optional(), Length(max=MAX_NAME)])
    budget_amount = AmountField(_l("Amount"))
    budget_currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in sorted(CURRENCIES.values())]
    )
    version = HiddenField()

    def validate_due_on(self, field):
        if field.data and self.start_on.data and field.data < self.start_on.data:
            raise ValidationError(_l("The due date cannot be before the start date."))

    def validate_dropped_reason(self, field):
        if self.status.data == "dropped" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the action is dropped."))

    def values(self) -> dict:
        """The fields as the action stores them (blank text is None)."""
        values = {}
        for name in FIELDS:
            value = self[name].data
            values[name] = (value.strip() or None) if isinstance(value, str) else value
        values["responsible_id"] = self.responsible_id.data or None
        if values["budget_amount"] is None:
            values["budget_currency"] = None
        if values["status"] != "dropped":
            values["dropped_reason"] = None
        return values


class NoteForm(Form):
    """A progress note on an action."""

    text = TextAreaField(_l("Progress note"), validators=[DataRequired(), Length(max=10_000)])
