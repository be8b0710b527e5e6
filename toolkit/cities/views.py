"""Cities: the city profile with its assessments, its team, and the administrators' list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.cities import service as cities
from toolkit.cities.forms import CityForm
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.core.access import authorize
from toolkit.core.extensions import db
from toolkit.core.forms import PersonForm
from toolkit.core.templating import city_time_zone
from toolkit.people.service import show_link

bp = Blueprint("cities", __name__, url_prefix="/cities")


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
            return show_link(accounts.issue_link(user, "invitation", current_user), current_user)
    people = db.session.execute(
        db.select(User).filter_by(city_id=city.id).order_by(User.role, User.name)
    ).scalars()
    return render_template("cities/team.html", city=city, people=people, form=form)


@bp.get("/")
@login_required
def index():
    """Every city, for administrators."""
    authorize("manage_cities")
    found = db.session.execute(
        db.select(City).options(selectinload(City.country)).order_by(City.name)
    ).scalars()
    return render_template("cities/index.html", cities=found)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a city to the network."""
    authorize("manage_cities")
    form = CityForm()
    if form.validate_on_submit():
        if cities.find_city(form.slug.data) is not None:
            form.slug.errors.append(_("Another city already uses this short name."))
        else:
            city = cities.add_city(form.slug.data, form.facts())
            flash(_("Added %(city)s.", city=city.name), "success")
            return redirect(url_for("cities.index"))
    return render_template("cities/form.html", form=form, city=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    """Change a city's facts; its short name stays, so addresses keep working."""
    authorize("manage_cities")
    city = _city_or_404(slug)
    form = CityForm.of(city)
    if form.validate_on_submit():
        cities.change_city(city, form.facts())
        flash(_("Saved %(city)s.", city=city.name), "success")
        return redirect(url_for("cities.index"))
    return render_template("cities/form.html", form=form, city=city, zone=city_time_zone(city))


def _city_or_404(slug: str) -> City:
    city = cities.find_city(slug)
    if city is None:
        abort(404)
    return city
