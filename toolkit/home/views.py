"""The home page: what each role needs first; the review queue of network staff."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from toolkit.accounts.models import CITY_ROLES
from toolkit.assessments.lifecycle import review_queue, review_queue_count
from toolkit.cities.service import countries
from toolkit.core import instrument
from toolkit.core.access import authorize
from toolkit.core.models import utcnow
from toolkit.home.service import cities_with_latest

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """City people see their city's assessments; network staff and admins see every city, with
    the latest assessment of each questionnaire."""
    if current_user.role in CITY_ROLES:
        return render_template("home/city.html", city=current_user.city, titles=instrument.titles())
    country = request.args.get("country", "")
    return render_template(
        "home/network.html",
        cities=cities_with_latest(country),
        countries=countries(),
        country=country,
        titles=instrument.titles(),
    )


@bp.get("/reviews")
@login_required
def reviews():
    """Submitted assessments waiting for review, the longest waiting first."""
    authorize("view_network")
    return render_template(
        "home/reviews.html", waiting=review_queue(), titles=instrument.titles(), now=utcnow()
    )


@bp.app_context_processor
def _review_count():
    """The header's count of assessments to review: a function, so that the COUNT runs only
    where the header asks for it (once a page, for network staff and admins), not for every
    template rendered."""
    return {"review_queue_count": review_queue_count}


@bp.get("/questionnaires/<questionnaire_id>/<version>/changes")
@login_required
def questionnaire_changes(questionnaire_id: str, version: str):
    """What a version of a questionnaire changed from the one it replaces, and why: its item
    map in words, and which areas still compare across the two."""
    try:
        questionnaire = instrument.questionnaire(questionnaire_id, version)
    except KeyError:
        abort(404)
    link = None
    if questionnaire.replaces is not None:
        link = instrument.bridge_between(questionnaire.replaces, version, questionnaire_id)
    return render_template("home/changes.html", questionnaire=questionnaire, link=link)
