"""The action plan pages: an assessment's plan and a city's across cycles, an action with its
notes, its form, the plan's exports, and the network's counts across cities."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from toolkit.accounts.models import User
from toolkit.actions import service
from toolkit.actions.forms import ActionForm, NoteForm
from toolkit.actions.models import ACTION_STATUSES, Action
from toolkit.assessments.scores import questionnaire_of, scorecard
from toolkit.assessments.views.common import load_assessment
from toolkit.cities.service import find_city
from toolkit.core import guards, instrument
from toolkit.core.access import authorize
from toolkit.core.downloads import attachment
from toolkit.core.extensions import db
from toolkit.i18n.service import language_code
from toolkit.network import comparison, exports

bp = Blueprint("actions", __name__)

EXPORT_COLUMNS = [
    "city",
    "planned_in",
    "area",
    "question_id",
    "title",
    "department",
    "responsible",
    "start",
    "due",
    "status",
    "overdue",
    "closed_on",
    "dropped_reason",
    "budget_line",
    "amount",
    "currency",
    "last_note",
]


@bp.get("/assessments/<int:assessment_id>/actions")
@login_required
def plan(assessment_id: int):
    """The cycle's action plan, carried-over actions included, filtered and sorted, and what
    was done since the last cycle."""
    assessment = load_assessment(assessment_id, "view_assessment", with_answers=False)
    card = scorecard(assessment)
    f = service.PlanFilter.of(request.args)
    actions = service.plan_of(assessment)
    return render_template(
        "actions/plan.html",
        assessment=assessment,
        card=card,
        f=f,
        everything=actions,
        actions=service.filtered_plan(actions, f, card),
        done=service.done_since_last_cycle(assessment),
        **_words(),
    )


@bp.get("/assessments/<int:assessment_id>/actions.<any(csv, xlsx):kind>")
@login_required
def export(assessment_id: int, kind: str):
    """The plan as the page shows it (same filters and order), as CSV or XLSX."""
    assessment = load_assessment(assessment_id, "view_assessment", with_answers=False)
    f = service.PlanFilter.of(request.args)
    actions = service.filtered_plan(service.plan_of(assessment), f, scorecard(assessment))
    name = f"actions-{assessment.city.slug}-{assessment.cycle}.{kind}"
    return _export(actions, kind, name)


@bp.get("/cities/<slug>/actions")
@login_required
def city_plan(slug: str):
    """Every action of the city, of every cycle."""
    city = find_city(slug)
    if city is None:
        abort(404)
    authorize("view_city", city)
    f = service.PlanFilter.of(request.args)
    actions = service.city_actions(city)
    if request.args.get("format") in ("csv", "xlsx"):
        kind = request.args["format"]
        return _export(service.filtered_plan(actions, f, None), kind, f"actions-{slug}.{kind}")
    return render_template(
        "actions/city.html",
        city=city,
        f=f,
        everything=actions,
        actions=service.filtered_plan(actions, f, None),
        **_words(),
    )


@bp.route("/assessments/<int:assessment_id>/actions/new", methods=["GET", "POST"])
@login_required
def new(assessment_id: int):
    """A new action: for one of the scorecard's recommendations (`question`), starting from
    its text, area and suggested office, or of the city's own (optionally in an `area`)."""
    assessment = load_assessment(assessment_id, "manage_actions", with_answers=False)
    questionnaire = questionnaire_of(assessment)
    source = request.form if request.method == "POST" else request.args
    question_id = source.get("question") or None
    area_id = source.get("area") or None
    question = questionnaire.find(question_id) if question_id else None
    if question_id and (question is None or not hasattr(question, "area_id")):
        abort(400, _("There is no question %(id)s in this questionnaire.", id=question_id[:64]))
    if question is not None:
        area_id = question.area_id
    elif area_id and area_id not in instrument.area_names():
        abort(400, _("There is no area %(id)s.", id=area_id[:40]))
    form = _form(assessment.city, None)
    if request.method == "GET":
        language = language_code()
        recommendation = (
            service.recommendation_of(scorecard(assessment), question_id) if question_id else None
        )
        if recommendation is not None:
            form.title.data = recommendation.text.get(language)[: form.title.flags.maxlength]
            form.department.data = recommendation.who.get(language) if recommendation.who else None
        form.budget_currency.data = service.default_currency(assessment.city)
    elif form.validate_on_submit():
        action = service.new_action(
            assessment, form.values(), current_user, question_id=question_id, area_id=area_id
        )
        flash(_("Action saved."), "success")
        return redirect(url_for("actions.show", action_id=action.id), 303)
    return render_template(
        "actions/form.html",
        form=form,
        assessment=assessment,
        action=None,
        question=question,
        area_id=area_id,
        differences=[],
        **_words(),
    ), (400 if form.errors else 200)


@bp.get("/actions/<int:action_id>")
@login_required
def show(action_id: int):
    """An action, its progress notes and the form to add one."""
    action = _load(action_id, "view_assessment")
    return _show(action, NoteForm())


@bp.post("/actions/<int:action_id>/notes")
@login_required
def note(action_id: int):
    """Add a progress note: the city's own people may, editors included."""
    action = _load(action_id, "note_action")
    if service.is_history(action):
        abort(403, _("This action was closed in an earlier cycle: it is kept as it was."))
    form = NoteForm()
    if not form.validate_on_submit():
        return _show(action, form, 400)
    service.add_note(action, form.text.data.strip(), current_user)
    flash(_("Note added."), "success")
    return redirect(url_for("actions.show", action_id=action.id), 303)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@login_required
def edit(action_id: int):
    """Change an action, close it (done or dropped) or reopen it; refused, with both values
    shown, when someone else changed it since the form was opened."""
    action = _load(action_id, "manage_actions")
    if service.is_history(action):
        abort(403, _("This action was closed in an earlier cycle: it is kept as it was."))
    form = _form(action.city, action)
    differences = []
    if request.method == "POST" and form.validate_on_submit():
        version = guards.whole_number(form.version.data, guards.MAX_ID) or 0
        try:
            service.update_action(action, form.values(), version, current_user)
        except service.StaleAction as stale:
            differences = [
                (form[name].label.text, _shown(form, name, theirs), _shown(form, name, yours))
                for name, theirs, yours in stale.differences
            ]
            form.version.data = str(action.version)
        else:
            flash(_("Action saved."), "success")
            return redirect(url_for("actions.show", action_id=action.id), 303)
    question = questionnaire_of(action.assessment).find(action.question_id or "")
    status = 409 if differences else (400 if form.errors else 200)
    return render_template(
        "actions/form.html",
        form=form,
        assessment=action.assessment,
        action=action,
        question=question if action.question_id else None,
        area_id=action.area_id,
        differences=differences,
        **_words(),
    ), status


@bp.get("/network/actions")
@login_required
def network():
    """Actions across cities by area and status, for network staff; a count's actions below."""
    authorize("view_network")
    # The network filter's own values: status and area here are the actions'.
    names = ("questionnaire", "cycle", "country", "cohort")
    args = {name: request.args[name] for name in names if request.args.get(name)}
    try:
        f = comparison.resolved(replace(comparison.parse_filter(args), status="any"))
    except comparison.FilterError as error:
        abort(400, str(error))
    status = request.args.get("status", "")
    status = status if status in ACTION_STATUSES else ""
    area = request.args.get("area")
    area = area if area is None or area == "" or area in instrument.area_names() else None
    overdue = request.args.get("overdue") == "yes"
    listed = area is not None or status or overdue
    return render_template(
        "actions/network.html",
        f=f,
        options=comparison.filter_options(f),
        counts=service.network_counts(f),
        listed=service.network_list(f, area, status, overdue) if listed else None,
        chosen={"area": area, "status": status, "overdue": overdue},
        base_args=args,
        **_words(),
    )


def _load(action_id: int, what: str) -> Action:
    """The action, 404 when there is none or it is another city's, 403 when `what` (an
    access action, on the action or its assessment) is not the person's to do."""
    action = service.find_action(action_id)
    if action is None:
        abort(404)
    authorize("view_assessment", action.assessment)
    if what != "view_assessment":
        authorize(what, action)
    return action


def _show(action: Action, form: NoteForm, status: int = 200):
    return render_template(
        "actions/action.html",
        action=action,
        form=form,
        question=questionnaire_of(action.assessment).find(action.question_id or "")
        if action.question_id
        else None,
        history=service.is_history(action),
        **_words(),
    ), status


def _form(city, action: Action | None) -> ActionForm:
    """The action form, with the city's people and the statuses as choices."""
    form = ActionForm(obj=action) if action else ActionForm()
    # The person responsible now stays a choice even once their account is closed, so that
    # saving an unrelated change never unlinks them.
    current = action.responsible_id if action else None
    people = db.session.scalars(
        db.select(User)
        .where(User.city_id == city.id, sa.or_(User.active, User.id == current))
        .order_by(User.name)
    )
    form.responsible_id.choices = [
        SelectChoice(0, _("No account")),
        *(SelectChoice(u.id, u.name) for u in people),
    ]
    form.status.choices = [SelectChoice(*pair) for pair in service.status_names().items()]
    if action is not None and request.method == "GET":
        form.version.data = str(action.version)
        form.responsible_id.data = action.responsible_id or 0
    return form


def _shown(form: ActionForm, name: str, value) -> str:
    """A field's value as the conflict message shows it."""
    if value is None or value == "":
        return "–"
    if name in ("status", "responsible_id"):
        return next((str(c.label) for c in form[name].choices if c.value == value), str(value))
    return str(value)


def _words() -> dict:
    return {
        "status_names": service.status_names(),
        "area_names": instrument.area_names(),
        "is_overdue": service.is_overdue,
        "budget_words": service.budget_words,
    }


def _export(actions: list[Action], kind: str, name: str):
    rows = (_row(a) for a in actions)
    if kind == "csv":
        return attachment(exports.csv_chunks(EXPORT_COLUMNS, rows), exports.FORMATS[kind], name)
    file = exports.xlsx_file(EXPORT_COLUMNS, rows, help=EXPORT_HELP)
    with file:
        content = file.read()
    return attachment(content, exports.FORMATS[kind], name)


def _row(a: Action) -> list:
    return [
        a.city.name,
        a.assessment.cycle,
        a.area_id,
        a.question_id,
        a.title,
        a.department,
        a.responsible or (a.responsible_user.name if a.responsible_user else None),
        a.start_on.isoformat() if a.start_on else None,
        a.due_on.isoformat() if a.due_on else None,
        a.status,
        "yes" if service.is_overdue(a) else "no",
        a.closed_on.isoformat() if a.closed_on else None,
        a.dropped_reason,
        a.budget_line,
        float(a.budget_amount) if a.budget_amount is not None else None,
        a.budget_currency,
        service.last_note(a),
    ]


# What each exported column means and its unit, for the README sheet of the XLSX file.
EXPORT_HELP = {
    "city": (_l("The city's name."), ""),
    "planned_in": (_l("The cycle whose plan the action was made in."), _l("year")),
    "area": (_l("The ASUS core area of the action (blank: none)."), ""),
    "question_id": (
        _l("The question whose recommendation it answers (blank: the city's own)."),
        "",
    ),
    "title": (_l("What the city will do."), ""),
    "department": (_l("The office that carries it out."), ""),
    "responsible": (_l("The person who answers for it."), ""),
    "start": (_l("The day it starts (YYYY-MM-DD)."), ""),
    "due": (_l("The day it is due (YYYY-MM-DD)."), ""),
    "status": (_l("planned, in_progress, done or dropped."), ""),
    "overdue": (_l("yes when it is open and past its due date."), ""),
    "closed_on": (_l("The day it was done or dropped."), ""),
    "dropped_reason": (_l("Why it was dropped."), ""),
    "budget_line": (_l("The budget line that pays for it."), ""),
    "amount": (_l("The amount budgeted, in the currency of the column currency."), ""),
    "currency": (_l("The ISO 4217 code of the amount's currency."), ""),
    "last_note": (_l("The latest progress note."), ""),
}
