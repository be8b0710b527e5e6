"""Form fields and forms more than one feature uses."""

from __future__ import annotations

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

# The messages of WTForms' own fields and validators that the toolkit's forms can show, word for
# word as WTForms writes them: listed here so that they are in the toolkit's catalogue, since
# WTForms ships none of our languages. `Form` translates them from it.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Field must be equal to %(other_name)s."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
    _l("Not a valid integer value."),
    _l("Not a valid float value."),
    _l("Not a valid decimal value."),
)


class _Messages:
    """WTForms' messages in the request's language, from the toolkit's catalogue."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    """The base of every form of the toolkit: WTForms' own messages ("This field is
    required.") are translated like the toolkit's. Alone, it is the form of a button that
    sends only the CSRF token (removing an evidence file)."""

    class Meta:
        def get_translations(self, form):
            return _Messages()


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; those in `exclusive` are ticked alone (choices.js)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, exclusive: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.exclusive = exclusive


class PersonForm(Form):
    """Name and email: what a city lead gives when inviting an editor (the city's team page),
    and the start of an administrator's account form."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
