"""Cities: the city profile with its assessments, its team, and the administrators' list."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, FloatField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.access import authorize
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.templating import TIME_ZONES, city_time_zone, utc_offset
from toolkit.people.views import PersonForm, show_link

bp = Blueprint("cities", __name__, url_prefix="/cities")

KNOWN_TAGS = ("capital", "coastal", "island", "riverine", "secondary", "ascn_member")


class CityForm(FlaskForm):
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
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = db.session.execute(db.select(Country).order_by(Country.name)).scalars()
        self.country.choices = [SelectChoice(c.code, c.name) for c in countries]
        self.time_zone.choices = [SelectChoice("", _("The main time zone of the country"))] + [
            SelectChoice(zone, _time_zone_label(zone)) for zone in TIME_ZONES
        ]

    def tag_list(self) -> list[str]:
        return sorted({t for t in re.split(r"[\s,]+", (self.tags.data or "").lower()) if t})


@bp.get("/<slug>")
@login_required
def city(slug: str):
    """A city's facts and assessments, with area scores."""
    city = _city_or_404(slug)
    authorize("view_city", city)
    return render_template(
        "cities/city.html",
        city=city,
        titles=instrument.titles(),
        area_names=instrument.area_names(),
    )


@bp.route("/<slug>/team", methods=["GET", "POST"])
@login_required
def team(slug: str):
    """The city lead's page: the city's people, and inviting a new editor."""
    city = _city_or_404(slug)
    authorize("manage_team", city)
    form = PersonForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.name.data, "city_editor", city, current_user
            )
        except accounts.AccountError:
            # Said without naming where the account is: a lead must not learn who else exists.
            form.email.errors.append(
                _(
                    "This email cannot be invited. If the person already has an account, ask "
                    "the network administrator."
                )
            )
        else:
            return show_link(accounts.issue_link(user, "invitation", current_user))
    people = db.session.execute(
        db.select(User).filter_by(city_id=city.id).order_by(User.role, User.name)
    ).scalars()
    return render_template("cities/team.html", city=city, people=people, form=form)


@bp.get("/")
@login_required
def index():
    """Every city, for administrators."""
    authorize("manage_cities")
    cities = db.session.execute(
        db.select(City).options(selectinload(City.country)).order_by(City.name)
    ).scalars()
    return render_template("cities/index.html", cities=cities)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a city to the network."""
    authorize("manage_cities")
    form = CityForm()
    if form.validate_on_submit():
        if _city(form.slug.data) is not None:
            form.slug.errors.append(_("Another city already uses this short name."))
        else:
            city = City(slug=form.slug.data)
            _fill(city, form)
            db.session.add(city)
            db.session.flush()
            record("city_created", city)
            flash(_("Added %(city)s.", city=city.name), "success")
            return redirect(url_for("cities.index"))
    return render_template("cities/form.html", form=form, city=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    """Change a city's facts; its short name stays, so addresses keep working."""
    authorize("manage_cities")
    city = _city_or_404(slug)
    form = CityForm(
        data={
            "slug": city.slug,
            "name": city.name,
            "country": city.country.code,
            "population": city.population,
            "land_area_km2": city.land_area_km2,
            "tags": ", ".join(city.tags or []),
            "time_zone": city.time_zone or "",
            "active": city.active,
        }
    )
    form.slug.data = city.slug
    if form.validate_on_submit():
        _fill(city, form)
        record("city_changed", city)
        flash(_("Saved %(city)s.", city=city.name), "success")
        return redirect(url_for("cities.index"))
    return render_template("cities/form.html", form=form, city=city, zone=city_time_zone(city))


def _fill(city: City, form: CityForm) -> None:
    city.name = form.name.data.strip()
    city.country = db.session.execute(
        db.select(Country).filter_by(code=form.country.data)
    ).scalar_one()
    city.population = form.population.data
    city.land_area_km2 = form.land_area_km2.data
    city.tags = form.tag_list()
    city.time_zone = form.time_zone.data or None
    city.active = form.active.data


def _time_zone_label(zone: str) -> str:
    """A zone as the city form lists it: "Asia/Makassar (UTC+8, WITA)"."""
    now = datetime.now(ZoneInfo(zone))
    abbreviation = now.tzname() or ""
    extra = f", {abbreviation}" if abbreviation.isalpha() else ""
    return f"{zone} ({utc_offset(now)}{extra})"


def _city(slug: str) -> City | None:
    return db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()


def _city_or_404(slug: str) -> City:
    city = _city(slug)
    if city is None:
        abort(404)
    return city
