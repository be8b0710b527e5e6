"""The home page: what each role needs first."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from . import instrument
from .extensions import db
from .models import CITY_ROLES, City, Country

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """City people see their city's assessments; network staff and admins see every city."""
    if current_user.role in CITY_ROLES:
        return render_template("home/city.html", city=current_user.city, titles=instrument.titles())
    countries = db.session.execute(
        db.select(Country.code, Country.name).order_by(Country.name)
    ).all()
    country = request.args.get("country", "")
    query = (
        db.select(City)
        .join(City.country)
        .options(selectinload(City.assessments), selectinload(City.country))
        .order_by(Country.name, City.name)
    )
    if country:
        query = query.where(Country.code == country)
    cities = db.session.execute(query).scalars().all()
    return render_template(
        "home/network.html",
        cities=cities,
        countries=countries,
        country=country,
        titles=instrument.titles(),
    )
