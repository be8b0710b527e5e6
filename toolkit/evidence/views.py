"""Evidence files of answers: attach (from the area page, without JavaScript too), remove,
download. Blueprint `evidence`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from questionnaires import Question
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import questionnaire_of
from toolkit.core.access import authorize
from toolkit.core.downloads import attachment
from toolkit.core.extensions import csrf, db
from toolkit.core.forms import Form
from toolkit.core.guards import check_texts, takes_files
from toolkit.evidence import service
from toolkit.evidence.forms import AttachForm

bp = Blueprint("evidence", __name__)

# Room in an upload's body for what is not the file: the multipart headers and the CSRF token.
FORM_ROOM = 64 * 1024
# What the browser may do with a downloaded file opened in it: nothing (no script, no form, no
# request anywhere).
SANDBOX = "sandbox; default-src 'none'"


def _assessment(assessment_id: int, action: str) -> Assessment:
    """The assessment, or 404 (and another city's is a 404 too: access.authorize)."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    authorize(action, assessment)
    return assessment


def _back(assessment: Assessment, question: Question):
    """To the question on its area page."""
    url = url_for(
        "assessments.area",
        assessment_id=assessment.id,
        area_id=question.area_id,
        _anchor=f"q-{question.id}",
    )
    return redirect(url, 303)


@bp.post("/assessments/<int:assessment_id>/questions/<question_id>/files")
@takes_files
@csrf.exempt  # the form checks its token itself, once the body's limit is raised
@login_required
def attach(assessment_id: int, question_id: str):
    """Attach one or several files to the answer to a question (the area page's "Attach
    files"); back to the question with what was attached and what was refused."""
    assessment = _assessment(assessment_id, "edit_assessment")
    question = questionnaire_of(assessment).find(question_id)
    if not isinstance(question, Question):
        abort(404)
    # An upload may be larger than other forms: the file's limit and room for the form.
    request.max_content_length = service.largest() + FORM_ROOM
    try:
        check_texts()
        form = AttachForm()
        valid = form.validate_on_submit()
        uploads = [(f.filename, f.read()) for f in form.files.data or [] if f and f.filename]
    except RequestEntityTooLarge:
        abort(
            413,
            _(
                "The file is larger than %(mb)s MB (files sent together count together). "
                "Nothing was attached.",
                mb=current_app.config["EVIDENCE_MAX_MB"],
            ),
        )
    if not valid:
        flash(
            _("The form has expired. Reload the page and attach the file again."),
            "error",
        )
        return _back(assessment, question)
    if not uploads:
        flash(_("Choose a file to attach first."), "error")
        return _back(assessment, question)
    checked = []
    for name, data in uploads:
        try:
            checked.append(service.check(name, data))
        except service.EvidenceRefused as refused:
            flash(str(refused), "error")
    if checked:
        service.attach(assessment, question.id, checked, current_user)
        flash(
            ngettext(
                "Attached %(num)d file: %(names)s.",
                "Attached %(num)d files: %(names)s.",
                len(checked),
                names=", ".join(c.name for c in checked),
            ),
            "success",
        )
    return _back(assessment, question)


@bp.post("/assessments/<int:assessment_id>/files/<int:file_id>/remove")
@login_required
def remove(assessment_id: int, file_id: int):
    """Remove a file from its answer; it stays in the answer's history. A file removed
    already (a double click) is left as it is, with the same message."""
    assessment = _assessment(assessment_id, "edit_assessment")
    file = service.find_file(assessment, file_id)
    if file is None:
        abort(404)
    question = questionnaire_of(assessment).find(file.answer.question_id)
    if not Form().validate_on_submit():
        flash(_("The form has expired. Reload the page and remove the file again."), "error")
        return _back(assessment, question)
    service.remove(assessment, file, current_user)
    flash(_("Removed %(name)s. The answer's history keeps it.", name=file.name), "success")
    return _back(assessment, question)


@bp.get("/assessments/<int:assessment_id>/files/<int:file_id>")
@login_required
def download(assessment_id: int, file_id: int):
    """The file as it was attached, to save (never to run in the toolkit's pages). A removed
    file is still there for whoever may read the answer's history."""
    assessment = _assessment(assessment_id, "view_assessment")
    file = service.find_file(assessment, file_id)
    data = service.content_of(file) if file is not None else None
    if data is None:
        abort(404)
    response = attachment(data, file.content_type, file.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = "private, no-store"
    return response
