"""Answering an assessment: start it, see where it stands, give areas to people, answer an
area (page by page, or one answer at a time from answers.js)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache, wraps

from babel import Locale
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from questionnaires import Area, Question
from questionnaires.translations import untranslated
from toolkit.accounts.models import User
from toolkit.assessments.answering import (
    answers_to,
    assign_areas,
    assignable_people,
    create_assessment,
    last_change,
    offered_answers,
    save_answers,
    start_problems,
    take_offer,
    work_order,
)
from toolkit.assessments.differences import differences
from toolkit.assessments.forms import (
    StartForm,
    answer_fields,
    area_form_class,
    assignment_form,
    given_answers,
    question_form_class,
    show_if_values,
    stored_fields,
)
from toolkit.assessments.lifecycle import undocumented_figures
from toolkit.assessments.models import Answer, AreaAssignment, Assessment
from toolkit.assessments.scores import area_result, questionnaire_of, scorecard
from toolkit.assessments.views.common import bp, load_assessment, people_by_id
from toolkit.cities.service import find_city
from toolkit.core import instrument
from toolkit.core.access import authorize, can
from toolkit.core.audit import record
from toolkit.core.errors import SIGNED_OUT
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.page_cache import cached
from toolkit.core.templating import city_time_zone, describe_snapshot, format_when
from toolkit.i18n.service import language_code


@bp.route("/cities/<slug>/assessments/new", methods=["GET", "POST"])
@login_required
def start(slug: str):
    """A city lead starts an assessment of the city for a questionnaire and a cycle."""
    city = find_city(slug)
    if city is None:
        abort(404)
    authorize("start_assessment", city)
    titles = instrument.titles()
    form = StartForm(data={"cycle": utcnow().year})
    form.questionnaire.choices = list(titles.items())
    earlier = {str(a.id): a for a in city.assessments}
    form.carry_over.choices = [("", _("No: start with empty answers"))] + [
        (key, f"{titles.get(a.questionnaire_id, a.questionnaire_id)} {a.cycle}")
        for key, a in earlier.items()
    ]
    if form.validate_on_submit():
        source = earlier.get(form.carry_over.data)
        problems = start_problems(city, form.questionnaire.data, form.cycle.data, source)
        for name, message in problems.items():
            form[name].errors.append(message)
        if not problems:
            questionnaire = instrument.latest(form.questionnaire.data)
            assessment = create_assessment(
                city, questionnaire, form.cycle.data, current_user, carry_over_from=source
            )
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    versions = [(qid, title, instrument.latest(qid).version) for qid, title in titles.items()]
    return render_template("assessments/start.html", form=form, city=city, versions=versions), (
        400 if form.errors else 200
    )


@bp.get("/assessments/<int:assessment_id>")
@login_required
def overview(assessment_id: int):
    """The six areas with their progress, the provisional score, the next question to answer."""
    assessment = load_assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    work = work_order(assessment, card, current_user)
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        card=card,
        last=last_change(assessment),
        assigned=work.assigned,
        areas=work.areas,
        next_question=work.next_question,
        mine=work.mine,
        carried=[a for a in assessment.answers if a.carried_over],
        offered=offered_answers(assessment, list(card.questionnaire.questions())),
        undocumented=undocumented_figures(assessment, card),
    )


@bp.route("/assessments/<int:assessment_id>/areas/<area_id>", methods=["GET", "POST"])
@login_required
def area(assessment_id: int, area_id: str):
    """One area's questions. Each answer is saved as it changes (answers.js, see save_answer);
    without JavaScript, the Save button saves every changed answer on the page."""
    assessment = load_assessment(
        assessment_id,
        "view_assessment",
        with_answers=False,
        scores=False,
        load=[joinedload(Assessment.assignments).joinedload(AreaAssignment.user)],
    )
    questionnaire = questionnaire_of(assessment)
    area = _area(questionnaire, area_id)
    editable = can(current_user, "edit_assessment", assessment)
    form, conflicts = None, {}
    if request.method != "POST":  # GET, and HEAD
        # What the questions show changes only with the assessment's version (every save
        # raises it) and the city's time zone, so readers share them until the next save.
        zone, locale = city_time_zone(assessment.city), str(get_locale())
        key = ("area", assessment.id, assessment.version, area.id, editable, locale, zone)
        questions = cached(key, lambda: _questions(assessment, questionnaire, area, editable))
    else:
        authorize("edit_assessment", assessment)
        answers = answers_to(assessment, [q.id for q in area.questions()])
        form = _area_form(questionnaire, area, answers)
        if form.validate_on_submit():
            given = given_answers(area.questions(), form)
            taken = _question_in(area, request.form.get("take_offer", ""))
            if taken is not None:  # "Use this answer" under a question that changed
                given = take_offer(assessment, given, taken)
            result = save_answers(assessment, given, current_user)
            if result.saved:
                record("answers_saved", assessment, area=area.id, count=len(result.saved))
            if not result.conflicts:
                if result.saved:
                    message = ngettext(
                        "Saved %(num)d answer at %(time)s.",
                        "Saved %(num)d answers at %(time)s.",
                        len(result.saved),
                        time=format_when(utcnow(), city_time_zone(assessment.city)),
                    )
                else:  # each change was autosaved already
                    message = _("Your answers were already saved.")
                flash(message, "success")
                return redirect(
                    url_for("assessments.area", assessment_id=assessment.id, area_id=area_id)
                )
            # The answers without a conflict are saved although the page answers 409: the
            # request boundary commits what a view returns.
            answers = answers_to(assessment, [q.id for q in area.questions()])  # with the saved
            people = people_by_id(c.answer.updated_by_id for c in result.conflicts)
            for conflict in result.conflicts:
                question = questionnaire.question(conflict.answer.question_id)
                conflicts[question.id] = (
                    conflict,
                    people.get(conflict.answer.updated_by_id),
                    differences(question, conflict),
                )
                # The form keeps this person's answer with the other person's changes to the
                # other parts: saving the page again keeps theirs, knowingly, and loses nothing.
                resolved = conflict.resolved("yours")
                for name, value in answer_fields(
                    question, resolved, conflict.answer.version
                ).items():
                    if name in form:
                        form[name].raw_data, form[name].data = None, value
        questions = _questions(assessment, questionnaire, area, editable, answers, form, conflicts)
    assigned = sorted(
        (a.user for a in assessment.assignments if a.area_id == area.id), key=lambda u: u.name
    )
    status = 409 if conflicts else (400 if form and form.errors else 200)
    return render_template(
        "assessments/area.html",
        assessment=assessment,
        questionnaire=questionnaire,
        area=area,
        questions=questions,
        form=form,
        conflicts=conflicts,
        editable=editable,
        assigned=assigned,
        in_english=untranslated(questionnaire, language_code(), area.id),
    ), status


@dataclass(frozen=True)
class AreaQuestions:
    """An area's questions as HTML, with the figures of the area they were rendered with, and
    the messages answers.js shows while saving (none where the reader cannot edit)."""

    html: Markup
    messages: Markup
    answered: int
    applicable: int
    score: float | None

    def size(self) -> int:
        """Bytes it takes in the page cache (Python keeps text of Thai or Vietnamese answers
        at up to 4 bytes a character)."""
        return sys.getsizeof(self.html) + sys.getsizeof(self.messages)


def _questions(
    assessment: Assessment,
    questionnaire,
    area: Area,
    editable: bool,
    answers: dict[str, Answer] | None = None,
    form=None,
    conflicts=None,
) -> AreaQuestions:
    """Render the area's questions: from the stored answers, or from a submitted `form`."""
    if answers is None:
        answers = answers_to(assessment, [q.id for q in area.questions()])
    if form is None:
        form = _area_form(questionnaire, area, answers, formdata=None, meta={"csrf": False})
    result = area_result(assessment, area.id, answers.values())
    html = render_template(
        "assessments/_questions.html",
        assessment=assessment,
        questionnaire=questionnaire,
        area=area,
        result=result,
        form=form,
        answers=answers,
        conflicts=conflicts or {},
        editable=editable,
        notes={n.question_id: n for n in assessment.review_notes},
        offers=offered_answers(assessment, list(area.questions())),
        show_if={q.id: show_if_values(questionnaire, q) for q in area.questions() if q.show_if},
    )
    messages = ""
    if editable:
        messages = render_template(
            "assessments/_answer_messages.html", plural_samples=_plural_samples(str(get_locale()))
        )
    return AreaQuestions(
        Markup(html), Markup(messages), result.answered, result.applicable, result.score
    )


@cache
def _plural_samples(locale: str) -> dict[str, int]:
    """A number of each plural category of the language ("one": 1, "other": 0 in English): the
    page translates its counted messages once for each, and answers.js picks the form of a
    count with the browser's Intl.PluralRules, which follows the same rules (CLDR)."""
    rule = Locale.parse(locale).plural_form
    samples: dict[str, int] = {}
    for number in range(200):
        samples.setdefault(rule(number), number)
    return samples


def _question_in(area: Area, question_id: str):
    """The area's question with this id, or None."""
    return next((q for q in area.questions() if q.id == question_id), None)


def _area_form(questionnaire, area: Area, answers: dict[str, Answer], **kwargs):
    """The area's form filled with the stored answers (and, on a POST, what was submitted)."""
    data = {k: v for q in area.questions() for k, v in stored_fields(q, answers.get(q.id)).items()}
    return area_form_class(questionnaire, area)(data=data, **kwargs)


def _signed_in(view):
    """login_required, except that answers.js (asking for JSON) is answered 401 rather than
    sent to the sign-in page: it keeps the answer and offers to sign in again."""
    guarded = login_required(view)

    @wraps(view)
    def check(*args, **kwargs):
        if (
            not current_user.is_authenticated
            and request.accept_mimetypes.best == "application/json"
        ):
            abort(401, str(SIGNED_OUT))
        return guarded(*args, **kwargs)

    return check


@bp.get("/assessments/signed-in")
@_signed_in
def signed_in():
    """Who is signed in, and the CSRF token of their session: answers.js asks after the person
    signed in again in another tab (the token the page holds was the old session's), and
    sends nothing typed by someone else."""
    response = jsonify(user=current_user.id, name=current_user.name, csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/assessments/<int:assessment_id>/questions/<question_id>")
@_signed_in
def save_answer(assessment_id: int, question_id: str):
    """Autosave of one answer (form fields of one question, CSRF token in a header); JSON back.

    200 saved (or unchanged; with the answer's fields when someone else's changes to other
    parts were merged in), 400 with the messages per field, 409 with both answers, part by
    part, when someone else changed the same part since the version the page holds. 401 when
    the person is signed out.
    """
    assessment = load_assessment(assessment_id, "edit_assessment", with_answers=False)
    questionnaire = questionnaire_of(assessment)
    question = questionnaire.find(question_id)
    if not isinstance(question, Question):
        abort(404)
    # The CSRF token came in the X-CSRFToken header, checked by CSRFProtect for every POST.
    form = question_form_class(questionnaire, question)(meta={"csrf": False})
    if not form.validate():
        errors = {name: field.errors for name, field in form._fields.items() if field.errors}
        return jsonify(status="invalid", question=question_id, errors=errors), 400
    # Read before the save: after it, reading the city could flush the save inside the view,
    # where a failing write would not be reported as the commit's.
    zone = city_time_zone(assessment.city)
    result = save_answers(assessment, given_answers([question], form), current_user)
    if result.conflicts:
        conflict = result.conflicts[0]
        theirs = conflict.answer
        who = db.session.get(User, theirs.updated_by_id) if theirs.updated_by_id else None
        return jsonify(
            status="conflict",
            question=question_id,
            theirs={
                "text": describe_snapshot(question, conflict.theirs),
                "by": who.name if who else None,
                "at": theirs.updated_at.isoformat() + "Z",
                "at_text": format_when(theirs.updated_at, zone),
                "version": theirs.version,
                "fields": stored_fields(question, theirs),
            },
            yours={"text": describe_snapshot(question, conflict.yours)},
            differences=differences(question, conflict),
            # What the page sends for either choice, with every other change of both kept.
            keep=answer_fields(question, conflict.resolved("yours"), theirs.version),
            take=answer_fields(question, conflict.resolved("theirs"), theirs.version),
            take_is_theirs=conflict.resolved("theirs") == conflict.theirs,
        ), 409
    # Each change is in the question's history; the timeline is not flooded with one event
    # per autosave.
    if result.saved:
        answer = result.saved[0]
    else:
        answer = answers_to(assessment, [question_id]).get(question_id)
    progress = assessment.scores_by_area()[question.area_id]
    saved_at = answer.updated_at if answer else utcnow()
    return jsonify(
        status="saved" if result.saved else "unchanged",
        question=question_id,
        version=answer.version if answer else 0,
        saved_at=saved_at.isoformat() + "Z",
        # As the page shows times (answers.js shows this, not the browser's clock).
        saved_at_text=format_when(saved_at, zone),
        carried_over=bool(answer and answer.carried_over),
        merged=stored_fields(question, answer) if question_id in result.merged else None,
        area={
            "answered": progress.answered,
            "applicable": progress.applicable,
            "score": None if progress.score is None else round(progress.score, 1),
        },
    )


@bp.route("/assessments/<int:assessment_id>/assignments", methods=["GET", "POST"])
@login_required
def assignments(assessment_id: int):
    """The city lead gives each area to the people who answer it."""
    assessment = load_assessment(assessment_id, "assign_areas")
    card = scorecard(assessment)
    people = {str(u.id): u for u in assignable_people(assessment)}
    current = {}
    for assignment in assessment.assignments:
        current.setdefault(assignment.area_id, []).append(str(assignment.user_id))
    form = assignment_form(card.questionnaire, people, current)
    if form.validate_on_submit():
        assign_areas(assessment, form.people_by_area(), current_user)
        flash(_("Areas assigned. Each person sees their areas first."), "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/assignments.html", assessment=assessment, form=form, card=card
    ), (400 if form.errors else 200)


def _area(questionnaire, area_id: str) -> Area:
    try:
        return questionnaire.area(area_id)
    except KeyError:
        abort(404)
