"""The administrators' city form."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from toolkit.cities.models import City
from toolkit.cities.service import CityFacts, countries
from toolkit.core.forms import Form
from toolkit.core.templating import TIME_ZONES, utc_offset
from toolkit.i18n.service import offered_languages


class CityForm(Form):
    """A city's facts: its short name (fixed once made), name, country, size, tags, zone."""

    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(
                r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
                message=_l("Lowercase letters, digits and hyphens."),
            ),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    country = SelectField(_l("Country"), choices=[])
    # The bounds keep typing mistakes out (and numbers the database cannot hold).
    population = IntegerField(
        _l("Population"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    land_area_km2 = FloatField(
        _l("Land area (km²)"), validators=[Optional(), NumberRange(min=0, max=100_000)]
    )
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=300)])
    # Only the listed zones are accepted (SelectField checks the choice).
    time_zone = SelectField(_l("Time zone"), choices=[], default="")
    language = SelectField(_l("Language of its people and reports"), choices=[], default="")
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in countries()]
        self.time_zone.choices = [SelectChoice("", _("The main time zone of the country"))] + [
            SelectChoice(zone, _time_zone_label(zone)) for zone in TIME_ZONES
        ]
        self.language.choices = [
            SelectChoice("", _("The main language of the country")),
            *(SelectChoice(lang.code, lang.name) for lang in offered_languages()),
        ]

    @classmethod
    def of(cls, city: City) -> CityForm:
        """The form filled in with `city`'s facts, to change them."""
        form = cls(
            data={
                "slug": city.slug,
                "name": city.name,
                "country": city.country.code,
                "population": city.population,
                "land_area_km2": city.land_area_km2,
                "tags": ", ".join(city.tags or []),
                "time_zone": city.time_zone or "",
                "language": city.language or "",
                "active": city.active,
            }
        )
        form.slug.data = city.slug
        return form

    def tag_list(self) -> list[str]:
        """The tags typed, lower case, without repeats, sorted."""
        return sorted({t for t in re.split(r"[\s,]+", (self.tags.data or "").lower()) if t})

    def facts(self) -> CityFacts:
        """What the form says of the city."""
        return CityFacts(
            name=self.name.data.strip(),
            country_code=self.country.data,
            population=self.population.data,
            land_area_km2=self.land_area_km2.data,
            tags=self.tag_list(),
            time_zone=self.time_zone.data or None,
            active=self.active.data,
            language=self.language.data or None,
        )


def _time_zone_label(zone: str) -> str:
    """A zone as the city form lists it: "Asia/Makassar (UTC+8, WITA)"."""
    now = datetime.now(ZoneInfo(zone))
    abbreviation = now.tzname() or ""
    extra = f", {abbreviation}" if abbreviation.isalpha() else ""
    return f"{zone} ({utc_offset(now)}{extra})"
