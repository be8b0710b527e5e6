"""The network's forms: an administrator's cohort."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from toolkit.cities import service as cities
from toolkit.cities.models import KNOWN_TAGS
from toolkit.core.forms import CheckboxesField, Form


class CohortForm(Form):
    """An administrator defines a cohort from city facts."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    countries = CheckboxesField(_l("Countries (none ticked: all)"), choices=[])
    population_min = IntegerField(
        _l("Population from"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    population_max = IntegerField(
        _l("Population up to"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    tags = CheckboxesField(
        _l("Tags (a member has every one ticked)"),
        choices=[SelectChoice(t, t.replace("_", " ")) for t in KNOWN_TAGS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.countries.choices = [SelectChoice(code, name) for code, name in cities.countries()]

    def validate_population_max(self, field):
        low = self.population_min.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_("The upper bound is below the lower one."))
