"""The administrator's account form (a city lead's invitation is `core.forms.PersonForm`)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from toolkit.accounts.models import CITY_ROLES, ROLES
from toolkit.cities.models import City
from toolkit.cities.service import find_city
from toolkit.core.extensions import db
from toolkit.core.forms import PersonForm
from toolkit.core.templating import ROLE_NAMES


class UserForm(PersonForm):
    """What an administrator sets for any account."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES])
    city = SelectField(_l("City"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = db.session.execute(db.select(City).order_by(City.name)).scalars()
        self.city.choices = [SelectChoice("", _("— none (network staff and administrators) —"))]
        self.city.choices += [SelectChoice(c.slug, f"{c.name} ({c.country.code})") for c in cities]

    def validate_city(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose a city from the list."))
        if (self.role.data in CITY_ROLES) != bool(field.data):
            raise ValidationError(
                _("City leads and editors need a city; network staff and administrators have none.")
            )

    def chosen_city(self) -> City | None:
        """The city chosen (validated: it exists), or None for network staff and admins."""
        return find_city(self.city.data) if self.city.data else None
