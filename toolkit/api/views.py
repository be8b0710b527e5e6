"""The JSON API `/api/v1/` (read-only) and the page where people manage their API tokens.

A token is sent as `Authorization: Bearer <token>` and carries its owner's rights: the same
access rules as the pages (toolkit/core/access.py). Errors are problem details (RFC 9457).
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from questionnaires import AREA_IDS
from questionnaires.scoring import scorecard_as_dict
from toolkit.api import service as api
from toolkit.api.forms import TokenForm
from toolkit.api.models import ApiToken
from toolkit.api.openapi import document
from toolkit.assessments.models import STATUSES, Answer, Assessment
from toolkit.assessments.scores import scorecard
from toolkit.cities.models import City
from toolkit.core.access import authorize, can
from toolkit.core.extensions import db
from toolkit.core.guards import whole_number
from toolkit.network import comparison

bp = Blueprint("api", __name__)

MAX_PER_PAGE = 100


def api_login_required(view):
    """Like login_required, but a missing or wrong token is a 401 problem, not a redirect."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, _("Send a valid API token: Authorization: Bearer <token>."))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


@bp.get("/api/v1/cities")
@api_login_required
def cities():
    """The cities the token's owner may see: every city for network staff, else their own."""
    return jsonify(items=[_city(c) for c in api.visible_cities(current_user)])


@bp.get("/api/v1/assessments")
@api_login_required
def assessments():
    """Assessments, filtered and paginated; city people get their own city's only."""
    args = request.args
    page, per_page = _positive("page", 1), _positive("per_page", 20)
    if per_page > MAX_PER_PAGE:
        abort(400, _("per_page is at most %(num)d.", num=MAX_PER_PAGE))
    filters = {}
    try:
        if args.get("questionnaire"):
            filters["questionnaire"] = comparison.questionnaire_of(args)
        if args.get("cycle"):
            filters["cycle"] = comparison.cycle_of(args)
    except comparison.FilterError as error:
        abort(400, str(error))
    if args.get("status"):
        if args["status"] not in STATUSES:
            abort(400, _("status is one of %(values)s.", values=", ".join(STATUSES)))
        filters["status"] = args["status"]
    if args.get("country"):
        filters["country"] = args["country"].upper()
    if args.get("city"):
        filters["city"] = args["city"]
    found, total = api.find_assessments(current_user, filters, page, per_page)
    return jsonify(items=[_assessment(a) for a in found], page=page, per_page=per_page, total=total)


@bp.get("/api/v1/assessments/<int:assessment_id>")
@api_login_required
def assessment(assessment_id: int):
    """One assessment with its whole scorecard (every number with its explanation's inputs) and
    its answers (a number's with the year and source of its data)."""
    found = db.session.get(Assessment, assessment_id)
    if found is None:
        abort(404, _("No such assessment, or it is not shared with you."))
    authorize("view_assessment", found)
    card = scorecard(found)
    answers = {a.question_id: a for a in found.answers}
    return jsonify(
        _assessment(found)
        | {
            "scorecard": scorecard_as_dict(card),
            "answers": [
                _answer(answers[q.id], found)
                for q in card.questionnaire.questions()
                if q.id in answers
            ],
        }
    )


@bp.get("/api/v1/compare")
@api_login_required
def compare():
    """The dashboard's comparison: one row per assessment, and each area's spread (null for
    fewer than five cities). Network staff and administrators."""
    authorize("view_network")
    try:
        f = comparison.resolved(comparison.parse_filter(request.args))
    except comparison.FilterError as error:
        abort(400, str(error))
    rows = [
        {
            "assessment_id": r.assessment_id,
            "city": r.city,
            "city_slug": r.city_slug,
            "country": r.country,
            "cycle": r.cycle,
            "status": r.status,
            "overall": _round(r.overall),
            "areas": {a: _round(s) for a, s in r.scores.items()},
        }
        for r in comparison.all_rows(f)
    ]
    spread = {
        area_id: None
        if s is None
        else {
            "cities": s.cities,
            "minimum": _round(s.minimum),
            "lower_quartile": _round(s.lower_quartile),
            "median": _round(s.median),
            "upper_quartile": _round(s.upper_quartile),
            "maximum": _round(s.maximum),
        }
        for area_id, s in comparison.area_statistics(f).items()
    }
    return jsonify(
        questionnaire=f.questionnaire,
        cycle=f.cycle,
        status=f.status,
        country=f.country or None,
        cohort=f.cohort.name if f.cohort else None,
        rows=rows,
        statistics=spread,
        nothing_found=None if rows else comparison.why_empty(f),
    )


def _positive(name: str, default: int) -> int:
    """A whole number from the query string; anything else is a 400 that names it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    number = whole_number(raw, 1_000_000)
    if number is None:
        abort(400, _("%(name)s must be a whole number from 1.", name=name))
    return number


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _city(city: City) -> dict:
    return {
        "slug": city.slug,
        "name": city.name,
        "country": city.country.code,
        "population": city.population,
        "tags": list(city.tags or []),
    }


def _assessment(a: Assessment) -> dict:
    scores = a.scores_by_area()
    return {
        "id": a.id,
        "city": a.city.slug,
        "cycle": a.cycle,
        "questionnaire": a.questionnaire_id,
        "questionnaire_version": a.questionnaire_version,
        "status": a.status,
        "overall": _round(a.overall_score),
        "completeness": round(a.completeness, 4),
        "areas": {
            area_id: _round(scores[area_id].score) if area_id in scores else None
            for area_id in AREA_IDS
        },
    }


def _answer(a: Answer, assessment: Assessment) -> dict:
    return {
        "question": a.question_id,
        "value": a.value,
        "not_applicable": a.not_applicable,
        "data_year": a.data_year,
        "data_source": a.data_source,
        "carried_over": a.carried_over,
        "carried_over_from": assessment.carried_over_cycle if a.carried_over else None,
        "version": a.version,
    }


# -- the page where people create and revoke their tokens --------------------------------------


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """A person's API tokens: create one (shown once), see when each was last used."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = api.create_token(current_user, form.name.data)
    return render_template(
        "api/tokens.html",
        form=form,
        tokens=api.tokens_of(current_user),
        new_token=new_token,
        can_compare=can(current_user, "view_network"),
    ), (400 if form.errors else 200)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of one's own tokens: it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    api.revoke_token(token)
    flash(_("Token revoked: it no longer works."), "success")
    return redirect(url_for("api.tokens"))
