"""An assessment's way through review: submit, approve or return, reopen, the notes and the
city's replies to them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from toolkit.assessments import lifecycle
from toolkit.assessments.forms import ReopenForm, ReplyForm, review_form_class
from toolkit.assessments.models import Assessment, ReviewNote
from toolkit.assessments.scores import questionnaire_of, scorecard
from toolkit.assessments.views.common import bp, load_assessment
from toolkit.assessments.workflow import TransitionRefused
from toolkit.core.access import authorize, can
from toolkit.core.extensions import db
from toolkit.core.transaction import rollback

# What keeps the city from submitting (lifecycle.submit_blocked): the overview's list that
# shows it.
_SUBMIT_BLOCKED = {"carried_over": "carried", "missing_required": "missing"}


def _blocked_message(what: str, count: int) -> str:
    """What keeps the city from submitting, in words."""
    if what == "carried_over":
        return ngettext(
            "%(num)d answer carried over from the previous cycle still needs to be confirmed "
            "or changed: see the list below.",
            "%(num)d answers carried over from the previous cycle still need to be confirmed "
            "or changed: see the list below.",
            count,
        )
    return ngettext(
        "%(num)d required question still needs an answer: see the list below.",
        "%(num)d required questions still need an answer: see the list below.",
        count,
    )


@bp.post("/assessments/<int:assessment_id>/submit")
@login_required
def submit(assessment_id: int):
    """The city lead submits the assessment for review once every required answer is given."""
    assessment = load_assessment(assessment_id, "view_assessment")
    authorize("submit_assessment", assessment)
    blocked = lifecycle.submit_blocked(assessment, scorecard(assessment))
    if blocked is not None:
        anchor = _SUBMIT_BLOCKED[blocked.what]
        flash(_blocked_message(blocked.what, blocked.count), "error")
        url = url_for("assessments.overview", assessment_id=assessment.id, _anchor=anchor)
        return redirect(url)
    lifecycle.submit(assessment, current_user)
    flash(
        _("Submitted for review. The network will approve it or return it with comments."),
        "success",
    )
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
@login_required
def review(assessment_id: int):
    """Network staff approve a submitted assessment or return it with comments; the notes of
    the last return, the city's replies and what changed since are beside each question."""
    assessment = load_assessment(assessment_id, "review_assessment")
    questionnaire = questionnaire_of(assessment)
    form = review_form_class(questionnaire)()
    if form.validate_on_submit():
        comment = (form.comment.data or "").strip() or None
        if form.decision.data == "approve":
            lifecycle.approve(assessment, current_user, comment)
            flash(_("Approved. The assessment is now read-only."), "success")
        else:
            lifecycle.return_to_city(assessment, current_user, comment, form.notes())
            flash(_("Returned to the city with your comments."), "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    previous = lifecycle.last_return(assessment)
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
    assessment = load_assessment(assessment_id, "reopen_assessment")
    form = ReopenForm()
    if form.validate_on_submit():
        lifecycle.reopen(assessment, current_user, form.reason.data.strip())
        flash(_("Reopened: the city can change its answers again."), "success")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/reopen.html", assessment=assessment, form=form, card=scorecard(assessment)
    )


@bp.errorhandler(TransitionRefused)
def transition_refused(error: TransitionRefused):
    """A workflow step the assessment's status does not allow (now): say so on its overview."""
    rollback()
    flash(error.message(), "error")
    assessment_id = request.view_args["assessment_id"]
    return redirect(url_for("assessments.overview", assessment_id=assessment_id), 303)


@bp.get("/assessments/<int:assessment_id>/notes")
@login_required
def notes(assessment_id: int):
    """Every round of review notes with the city's replies; the city replies to the open ones."""
    return _notes_page(load_assessment(assessment_id, "view_assessment"))


@bp.post("/assessments/<int:assessment_id>/notes/<int:note_id>/replies")
@login_required
def reply(assessment_id: int, note_id: int):
    """The city's lead or an editor answers a reviewer's note while the assessment is returned."""
    assessment = load_assessment(assessment_id, "view_assessment")
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
    lifecycle.reply_to_note(note, current_user, form.text.data.strip())
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
        rounds=list(reversed(lifecycle.review_rounds(assessment))),
        forms=forms,
    ), status
