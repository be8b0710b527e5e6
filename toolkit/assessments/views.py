"""Filling an assessment: start it, see where it stands, answer an area, submit, see results."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache, wraps

from babel import Locale
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from questionnaires import Area, Question
from reports.charts import Series, radar
from toolkit.accounts.models import User
from toolkit.assessments import service as workflow
from toolkit.assessments.forms import (
    ReopenForm,
    ReplyForm,
    StartForm,
    area_form_class,
    assignment_form,
    parse_evidence,
    question_form_class,
    review_form_class,
    show_if_values,
)
from toolkit.assessments.models import Answer, AreaAssignment, Assessment, ReviewNote
from toolkit.assessments.service import (
    AnswerInput,
    TransitionRefused,
    answers_to,
    area_result,
    assign_areas,
    create_assessment,
    earlier_assessments,
    questionnaire_of,
    save_answers,
    scorecard,
)
from toolkit.assessments.timeline import timeline_entries
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.core.access import authorize, can
from toolkit.core.audit import record
from toolkit.core.errors import SIGNED_OUT
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.page_cache import cached
from toolkit.core.templating import city_time_zone, describe_snapshot, format_when

bp = Blueprint("assessments", __name__)


@bp.route("/cities/<slug>/assessments/new", methods=["GET", "POST"])
@login_required
def start(slug: str):
    """A city lead starts an assessment of the city for a questionnaire and a cycle."""
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
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
        exists = any(
            a.questionnaire_id == form.questionnaire.data and a.cycle == form.cycle.data
            for a in city.assessments
        )
        if exists:
            form.cycle.errors.append(_("The city already has this assessment for this cycle."))
        elif source is not None and (
            source.questionnaire_id != form.questionnaire.data or source.cycle >= form.cycle.data
        ):
            form.carry_over.errors.append(
                _(
                    "Answers can only be carried over from an earlier cycle of the same "
                    "questionnaire."
                )
            )
        else:
            questionnaire = instrument.latest(form.questionnaire.data)
            assessment = create_assessment(
                city, questionnaire, form.cycle.data, current_user, carry_over_from=source
            )
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template("assessments/start.html", form=form, city=city), (
        400 if form.errors else 200
    )


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
    assigned = {}
    for assignment in assessment.assignments:
        assigned.setdefault(assignment.area_id, []).append(assignment.user)
    mine = [a for a in card.areas if current_user in assigned.get(a.area.id, [])]
    areas = mine + [a for a in card.areas if a not in mine]
    unanswered = (
        r.question
        for a in areas
        for s in a.sub_areas
        for r in s.questions
        if r.status == "unanswered"
    )
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        card=card,
        last=last,
        assigned=assigned,
        areas=areas,
        next_question=next(unanswered, None),
        mine={a.area.id for a in mine},
        carried=[a for a in assessment.answers if a.carried_over],
        can_assign=can(current_user, "assign_areas", assessment),
        can_edit=can(current_user, "edit_assessment", assessment),
        can_submit=can(current_user, "submit_assessment", assessment),
        can_review=can(current_user, "review_assessment", assessment),
        can_reopen=can(current_user, "reopen_assessment", assessment),
    )


@bp.route("/assessments/<int:assessment_id>/areas/<area_id>", methods=["GET", "POST"])
@login_required
def area(assessment_id: int, area_id: str):
    """One area's questions. Each answer is saved as it changes (answers.js, see save_answer);
    without JavaScript, the Save button saves every changed answer on the page."""
    assessment = _assessment(
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
            result = save_answers(assessment, _given(area.questions(), form), current_user)
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
            # The answers without a conflict are saved although the page answers 409 (which
            # the request boundary does not commit).
            db.session.commit()
            answers = answers_to(assessment, [q.id for q in area.questions()])  # with the saved
            people = _people(c.answer.updated_by_id for c in result.conflicts)
            for conflict in result.conflicts:
                question = questionnaire.question(conflict.answer.question_id)
                conflicts[question.id] = (
                    conflict,
                    people.get(conflict.answer.updated_by_id),
                    _differences(question, conflict),
                )
                # The form keeps this person's answer with the other person's changes to the
                # other parts: saving the page again keeps theirs, knowingly, and loses nothing.
                resolved = conflict.resolved("yours")
                for name, value in _fields(question, resolved, conflict.answer.version).items():
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


def _area_form(questionnaire, area: Area, answers: dict[str, Answer], **kwargs):
    """The area's form filled with the stored answers (and, on a POST, what was submitted)."""
    data = {k: v for q in area.questions() for k, v in _form_data(q, answers.get(q.id)).items()}
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
    assessment = _assessment(assessment_id, "edit_assessment", with_answers=False)
    questionnaire = questionnaire_of(assessment)
    question = questionnaire.find(question_id)
    if not isinstance(question, Question):
        abort(404)
    # The CSRF token came in the X-CSRFToken header, checked by CSRFProtect for every POST.
    form = question_form_class(questionnaire, question)(meta={"csrf": False})
    if not form.validate():
        errors = {name: field.errors for name, field in form._fields.items() if field.errors}
        return jsonify(status="invalid", question=question_id, errors=errors), 400
    result = save_answers(assessment, _given([question], form), current_user)
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
                "at_text": format_when(theirs.updated_at, city_time_zone(assessment.city)),
                "version": theirs.version,
                "fields": _form_data(question, theirs),
            },
            yours={"text": describe_snapshot(question, conflict.yours)},
            differences=_differences(question, conflict),
            # What the page sends for either choice, with every other change of both kept.
            keep=_fields(question, conflict.resolved("yours"), theirs.version),
            take=_fields(question, conflict.resolved("theirs"), theirs.version),
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
        saved_at_text=format_when(saved_at, city_time_zone(assessment.city)),
        carried_over=bool(answer and answer.carried_over),
        merged=_form_data(question, answer) if question_id in result.merged else None,
        area={
            "answered": progress.answered,
            "applicable": progress.applicable,
            "score": None if progress.score is None else round(progress.score, 1),
        },
    )


@bp.get("/assessments/<int:assessment_id>/questions/<question_id>/history")
@login_required
def history(assessment_id: int, question_id: str):
    """Every change of one answer: who, when, the old and the new answer."""
    assessment = _assessment(assessment_id, "view_assessment")
    question = questionnaire_of(assessment).find(question_id)
    if not isinstance(question, Question):
        abort(404)
    answer = next((a for a in assessment.answers if a.question_id == question_id), None)
    revisions = list(reversed(answer.revisions)) if answer else []
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        question=question,
        area=questionnaire_of(assessment).area(question.area_id),
        revisions=revisions,
        people=_people(r.changed_by_id for r in revisions),
        card=scorecard(assessment),
    )


@bp.route("/assessments/<int:assessment_id>/assignments", methods=["GET", "POST"])
@login_required
def assignments(assessment_id: int):
    """The city lead gives each area to the people who answer it."""
    assessment = _assessment(assessment_id, "assign_areas")
    card = scorecard(assessment)
    people = db.session.execute(
        db.select(User)
        .filter_by(city_id=assessment.city_id, active=True)
        .order_by(User.role, User.name)
    ).scalars()
    people = {str(u.id): u for u in people}
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


@bp.post("/assessments/<int:assessment_id>/submit")
@login_required
def submit(assessment_id: int):
    """The city lead submits the assessment for review once every required answer is given."""
    assessment = _assessment(assessment_id, "view_assessment")
    authorize("submit_assessment", assessment)
    card = scorecard(assessment)
    carried = sum(a.carried_over for a in assessment.answers)
    if carried:
        flash(
            _(
                "%(count)d answer(s) carried over from the previous cycle still need to be "
                "confirmed or changed: see the list below.",
                count=carried,
            ),
            "error",
        )
        return redirect(url_for("assessments.overview", assessment_id=assessment.id) + "#carried")
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
    """Scores, stages and the ranked recommendations, each number with its explanation, and
    the change per area since the city's previous cycle of the same questionnaire."""
    assessment = _assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    previous = next(
        iter(earlier_assessments(assessment.city, assessment.questionnaire_id, assessment.cycle)),
        None,
    )
    before = {a: row.score for a, row in previous.scores_by_area().items()} if previous else {}
    series = [Series(str(assessment.cycle), tuple(a.score for a in card.areas))]
    if previous:
        series.append(
            Series(
                str(previous.cycle),
                tuple(before.get(a.area.id) for a in card.areas),
                style="comparison",
            )
        )
    chart = radar(
        [str(a.area.name) for a in card.areas],
        series,
        title=_("Scores of the six areas, 0 to 100"),
        description=_("The same numbers are in the table below."),
        no_score=_("no score"),
    )
    return render_template(
        "assessments/results.html",
        assessment=assessment,
        card=card,
        chart=chart,
        previous=previous,
        before=before,
    )


@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
@login_required
def review(assessment_id: int):
    """Network staff approve a submitted assessment or return it with comments; the notes of
    the last return, the city's replies and what changed since are beside each question."""
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
    previous = workflow.last_return(assessment)
    return render_template(
        "assessments/review.html",
        assessment=assessment,
        form=form,
        card=scorecard(assessment),
        answers={a.question_id: a for a in assessment.answers},
        previous=previous,
        previous_notes={n.question_id: n for n in previous.decision.notes} if previous else {},
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


@bp.errorhandler(TransitionRefused)
def transition_refused(error: TransitionRefused):
    """A workflow step the assessment's status does not allow (now): say so on its overview."""
    db.session.rollback()
    flash(error.message(), "error")
    assessment_id = request.view_args["assessment_id"]
    return redirect(url_for("assessments.overview", assessment_id=assessment_id), 303)


@bp.get("/assessments/<int:assessment_id>/notes")
@login_required
def notes(assessment_id: int):
    """Every round of review notes with the city's replies; the city replies to the open ones."""
    return _notes_page(_assessment(assessment_id, "view_assessment"))


@bp.post("/assessments/<int:assessment_id>/notes/<int:note_id>/replies")
@login_required
def reply(assessment_id: int, note_id: int):
    """The city's lead or an editor answers a reviewer's note while the assessment is returned."""
    assessment = _assessment(assessment_id, "view_assessment")
    note = db.session.get(ReviewNote, note_id)
    if note is None or note.assessment_id != assessment.id:
        abort(404)
    if note not in assessment.review_notes:
        flash(
            _(
                "This note takes no more replies: it is from an earlier round of review, or "
                "the assessment is no longer back with the city."
            ),
            "error",
        )
        return redirect(url_for("assessments.notes", assessment_id=assessment.id), 303)
    authorize("reply_to_note", assessment)
    form = ReplyForm(prefix=f"note-{note.id}")
    if not form.validate_on_submit():
        return _notes_page(assessment, {note.id: form}, 400)
    workflow.reply_to_note(note, current_user, form.text.data.strip())
    flash(_("Your reply is kept with the note; the reviewer reads it."), "success")
    url = url_for("assessments.notes", assessment_id=assessment.id, _anchor=f"note-{note.id}")
    return redirect(url, 303)


def _notes_page(assessment: Assessment, forms=None, status: int = 200):
    """The notes page, with a reply form (or the one given, with its errors) per open note."""
    forms = dict(forms or {})
    if can(current_user, "reply_to_note", assessment):
        for note in assessment.review_notes:
            forms.setdefault(note.id, ReplyForm(prefix=f"note-{note.id}", formdata=None))
    return render_template(
        "assessments/notes.html",
        assessment=assessment,
        card=scorecard(assessment),
        rounds=list(reversed(workflow.review_rounds(assessment))),
        forms=forms,
    ), status


@bp.get("/assessments/<int:assessment_id>/timeline")
@login_required
def timeline(assessment_id: int):
    """Every event of the assessment in words: created, answers saved, submitted, reviewed
    (with that round's notes), reopened."""
    assessment = _assessment(assessment_id, "view_assessment")
    card = scorecard(assessment)
    return render_template(
        "assessments/timeline.html",
        assessment=assessment,
        entries=timeline_entries(assessment, card.questionnaire),
        card=card,
    )


def _assessment(
    assessment_id: int, action: str, with_answers: bool = True, scores: bool = True, load=()
) -> Assessment:
    """The assessment with its city (and its answers and stored scores unless told not to, and
    what `load` says); 404 when there is none, 404 or 403 when the user may not do `action`."""
    query = (
        db.select(Assessment)
        .filter_by(id=assessment_id)
        .options(joinedload(Assessment.city).joinedload(City.country), *load)
    )
    if with_answers:
        query = query.options(selectinload(Assessment.answers))
    if scores:
        query = query.options(joinedload(Assessment.area_scores))
    assessment = db.session.execute(query).unique().scalar_one_or_none()
    if assessment is None:
        abort(404)
    authorize(action, assessment)
    return assessment


def _area(questionnaire, area_id: str) -> Area:
    try:
        return questionnaire.area(area_id)
    except KeyError:
        abort(404)


def _form_data(q: Question, answer: Answer | None) -> dict:
    """The form fields of one question filled from its stored answer."""
    if answer is None:
        return {f"{q.id}__version": "0"}
    return _fields(q, answer.snapshot(), answer.version)


def _fields(q: Question, snapshot: dict, version: int) -> dict:
    """The form fields of one question saying `snapshot` (see Answer.snapshot) at `version`."""
    value = snapshot["value"]
    if q.type in ("level", "yes_no", "choice") and value is not None:
        value = str(value)
    return {
        f"{q.id}__version": str(version),
        f"{q.id}__value": value,
        f"{q.id}__na": snapshot["not_applicable"],
        f"{q.id}__reason": snapshot["reason"],
        f"{q.id}__comment": snapshot["comment"],
        f"{q.id}__evidence": "\n".join(snapshot["evidence"] or []),
    }


PART_NAMES = {
    "value": _l("Answer"),
    "not_applicable": _l("Not applicable to our city"),
    "comment": _l("Comment"),
    "evidence": _l("Evidence links"),
}


def _differences(q: Question, conflict) -> list[dict]:
    """Each part in which the two answers of a conflict differ, both in words, and whose change
    is kept whatever the person chooses ("yours", "theirs"; None where they must choose)."""
    return [
        {
            "part": str(PART_NAMES[part]),
            "theirs": _describe_part(q, part, conflict.theirs),
            "yours": _describe_part(q, part, conflict.yours),
            "kept": kept,
        }
        for part, kept in conflict.differences()
    ]


def _describe_part(q: Question, part: str, snapshot: dict) -> str:
    if part == "value":
        return describe_snapshot(q, {**snapshot, "not_applicable": False})
    if part == "not_applicable":
        if not snapshot["not_applicable"]:
            return _("No")
        return _("Yes: %(reason)s", reason=snapshot["reason"] or "")
    text = "; ".join(snapshot["evidence"]) if part == "evidence" else snapshot["comment"]
    return text or _("none")


def _given(questions, form) -> dict[str, AnswerInput]:
    given = {}
    for q in questions:
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
            confirm=bool(form[f"{q.id}__confirm"].data),
        )
    return given


def _people(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    users = db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()
    return {u.id: u for u in users}
