"""Form fields and forms more than one feature uses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; those in `exclusive` are ticked alone (choices.js)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, exclusive: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.exclusive = exclusive


class PersonForm(FlaskForm):
    """Name and email: what a city lead gives when inviting an editor (the city's team page),
    and the start of an administrator's account form."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
