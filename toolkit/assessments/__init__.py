"""Filling an assessment: start it, see where it stands, answer an area, submit, see results."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from questionnaires import Area

from .. import answers as workflow
from .. import instrument
from ..access import authorize, can
from ..answers import AnswerInput, create_assessment, questionnaire_of, save_answers, scorecard
from ..audit import record
from ..extensions import db
from ..models import Answer, Assessment, AuditEvent, City, User, utcnow
from .forms import ReopenForm, StartForm, area_form_class, parse_evidence, review_form_class

bp = Blueprint("assessments", __name__)


@bp.route("/cities/<slug>/assessments/new", methods=["GET", "POST"])
@login_required
def start(slug: str):
    """A city lead starts an assessment of the city for a questionnaire and a cycle."""
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    authorize("start_assessment", city)
    form = StartForm(data={"cycle": utcnow().year})
    form.questionnaire.choices = [(qid, title) for qid, title in instrument.titles().items()]
    if form.validate_on_submit():
        exists = db.session.execute(
            db.select(Assessment).filter_by(
                city_id=city.id, questionnaire_id=form.questionnaire.data, cycle=form.cycle.data
            )
        ).scalar_one_or_none()
        if exists is not None:
            form.cycle.errors.append(_("The city already has this assessment for this cycle."))
        else:
            questionnaire = instrument.latest(form.questionnaire.data)
            assessment = create_assessment(city, questionnaire, form.cycle.data, current_user)
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template("assessments/start.html", form=form, city=city)


@bp.get("/assessments/<int:assessment_id>")
@login_required
def overview(assessment_id: int):
    """The six areas with their progress, the provisional score, the next question to answer."""
    assessment = _assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    last = db.session.execute(
        db.select(Answer, User)
        .outerjoin(User, Answer.updated_by_id == User.id)
        .where(Answer.assessment_id == assessment.id)
        .order_by(Answer.updated_at.desc(), Answer.id.desc())
        .limit(1)
    ).first()
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        card=card,
        last=last,
        can_edit=can(current_user, "edit_assessment", assessment),
        can_submit=can(current_user, "submit_assessment", assessment),
        can_review=can(current_user, "review_assessment", assessment),
        can_reopen=can(current_user, "reopen_assessment", assessment),
    )


@bp.route("/assessments/<int:assessment_id>/areas/<area_id>", methods=["GET", "POST"])
@login_required
def area(assessment_id: int, area_id: str):
    """One area's questions; the Save button saves every changed answer on the page."""
    assessment = _assessment(assessment_id, "view_assessment")
    questionnaire = questionnaire_of(assessment)
    try:
        area = questionnaire.area(area_id)
    except KeyError:
        abort(404)
    form_class = area_form_class(questionnaire, area)
    answers = {a.question_id: a for a in assessment.answers}
    editable = can(current_user, "edit_assessment", assessment)
    conflicts = {}
    if editable:
        form = form_class(data=_form_data(area, answers))
    else:
        form = form_class(formdata=None, data=_form_data(area, answers))
    if form.is_submitted():
        authorize("edit_assessment", assessment)
    if editable and form.validate_on_submit():
        result = save_answers(assessment, _given(area, form), current_user)
        if result.saved:
            record("answers_saved", assessment, area=area.id, count=len(result.saved))
        if not result.conflicts:
            flash(
                _(
                    "Saved %(count)d answer(s) at %(time)s UTC.",
                    count=len(result.saved),
                    time=utcnow().strftime("%H:%M"),
                ),
                "success",
            )
            return redirect(
                url_for("assessments.area", assessment_id=assessment.id, area_id=area_id)
            )
        people = _people(c.answer.updated_by_id for c in result.conflicts)
        for conflict in result.conflicts:
            conflicts[conflict.answer.question_id] = (
                conflict,
                people.get(conflict.answer.updated_by_id),
            )
            # Saving the page again now keeps this person's answer, knowingly.
            form[f"{conflict.answer.question_id}__version"].data = str(conflict.answer.version)
    status = 409 if conflicts else (400 if form.errors else 200)
    return render_template(
        "assessments/area.html",
        assessment=assessment,
        area=area,
        form=form,
        answers=answers,
        conflicts=conflicts,
        editable=editable,
        card=scorecard(assessment),
        notes={n.question_id: n for n in assessment.review_notes},
    ), status


@bp.post("/assessments/<int:assessment_id>/submit")
@login_required
def submit(assessment_id: int):
    """The city lead submits the assessment for review once every required answer is given."""
    assessment = _assessment(assessment_id, "view_assessment")
    authorize("submit_assessment", assessment)
    card = scorecard(assessment)
    if card.missing_required:
        flash(
            _(
                "%(count)d required question(s) still need an answer: see the list below.",
                count=len(card.missing_required),
            ),
            "error",
        )
        return redirect(url_for("assessments.overview", assessment_id=assessment.id) + "#missing")
    workflow.submit(assessment, current_user)
    flash(
        _("Submitted for review. The network will approve it or return it with comments."),
        "success",
    )
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


@bp.get("/assessments/<int:assessment_id>/results")
@login_required
def results(assessment_id: int):
    """Scores, stages and the ranked recommendations, each number with its explanation."""
    assessment = _assessment(assessment_id, "view_assessment")
    return render_template(
        "assessments/results.html", assessment=assessment, card=scorecard(assessment)
    )


@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
@login_required
def review(assessment_id: int):
    """Network staff approve a submitted assessment or return it with comments."""
    assessment = _assessment(assessment_id, "review_assessment")
    questionnaire = questionnaire_of(assessment)
    form = review_form_class(questionnaire)()
    if form.validate_on_submit():
        comment = (form.comment.data or "").strip() or None
        if form.decision.data == "approve":
            workflow.approve(assessment, current_user, comment)
            flash(_("Approved. The assessment is now read-only."), "success")
        else:
            workflow.return_to_city(assessment, current_user, comment, form.notes())
            flash(_("Returned to the city with your comments."), "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/review.html",
        assessment=assessment,
        form=form,
        card=scorecard(assessment),
        answers={a.question_id: a for a in assessment.answers},
    ), 400 if form.errors else 200


@bp.route("/assessments/<int:assessment_id>/reopen", methods=["GET", "POST"])
@login_required
def reopen(assessment_id: int):
    """An administrator reopens an approved assessment, with a reason the city will read."""
    assessment = _assessment(assessment_id, "reopen_assessment")
    form = ReopenForm()
    if form.validate_on_submit():
        workflow.reopen(assessment, current_user, form.reason.data.strip())
        flash(_("Reopened: the city can change its answers again."), "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/reopen.html", assessment=assessment, form=form, card=scorecard(assessment)
    )


@bp.get("/assessments/<int:assessment_id>/timeline")
@login_required
def timeline(assessment_id: int):
    """Every event of the assessment: created, answers saved, submitted, reviewed, reopened."""
    assessment = _assessment(assessment_id, "view_assessment")
    events = db.session.execute(
        db.select(AuditEvent, User)
        .outerjoin(User, AuditEvent.user_id == User.id)
        .where(AuditEvent.object_type == "assessment", AuditEvent.object_id == str(assessment.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    return render_template(
        "assessments/timeline.html",
        assessment=assessment,
        events=events,
        card=scorecard(assessment),
    )


def _assessment(assessment_id: int, action: str) -> Assessment:
    assessment = db.session.execute(
        db.select(Assessment)
        .options(selectinload(Assessment.answers), selectinload(Assessment.area_scores))
        .filter_by(id=assessment_id)
    ).scalar_one_or_none()
    if assessment is None:
        abort(404)
    authorize(action, assessment)
    return assessment


def _form_data(area: Area, answers: dict[str, Answer]) -> dict:
    data = {}
    for q in area.questions():
        answer = answers.get(q.id)
        data[f"{q.id}__version"] = str(answer.version) if answer else "0"
        if answer is None:
            continue
        value = answer.value
        if q.type in ("level", "yes_no", "choice") and value is not None:
            value = str(value)
        data[f"{q.id}__value"] = value
        data[f"{q.id}__na"] = answer.not_applicable
        data[f"{q.id}__reason"] = answer.not_applicable_reason
        data[f"{q.id}__comment"] = answer.comment
        data[f"{q.id}__evidence"] = "\n".join(answer.evidence or [])
    return data


def _given(area: Area, form) -> dict[str, AnswerInput]:
    given = {}
    for q in area.questions():
        value = form[f"{q.id}__value"].data
        if value in ("", [], None):
            value = None
        not_applicable = q.allow_na and form[f"{q.id}__na"].data
        version = form[f"{q.id}__version"].data
        given[q.id] = AnswerInput(
            value=None if not_applicable else value,
            not_applicable=bool(not_applicable),
            reason=(form[f"{q.id}__reason"].data or "").strip() or None if q.allow_na else None,
            comment=(form[f"{q.id}__comment"].data or "").strip() or None,
            evidence=parse_evidence(form[f"{q.id}__evidence"].data),
            based_on=int(version) if version and version.isdigit() else 0,
        )
    return given


def _people(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    users = db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()
    return {u.id: u for u in users}
