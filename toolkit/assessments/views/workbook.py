"""The assessment as a workbook: download it (whole or one area), fill it offline, upload it,
see every change it makes, and confirm."""

from __future__ import annotations

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from toolkit.assessments.forms import ConfirmForm, WorkbookUploadForm
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import questionnaire_of
from toolkit.assessments.views.common import bp, load_assessment
from toolkit.assessments.workbook import (
    MAX_WORKBOOK,
    NotThisAssessment,
    WorkbookChanges,
    WorkbookProblems,
    apply_upload,
    build_workbook,
    keep_upload,
    kept_upload,
    read_workbook,
)
from toolkit.assessments.workflow import EDITABLE, STATUS_NAMES
from toolkit.core.access import authorize
from toolkit.core.audit import record
from toolkit.core.downloads import attachment
from toolkit.core.guards import check_texts, takes_files
from toolkit.i18n.service import language_code

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/assessments/<int:assessment_id>/workbook")
@login_required
def workbook(assessment_id: int):
    """The whole assessment as a workbook to fill offline."""
    return _download(load_assessment(assessment_id, "view_assessment"), None)


@bp.get("/assessments/<int:assessment_id>/areas/<area_id>/workbook")
@login_required
def area_workbook(assessment_id: int, area_id: str):
    """One area of the assessment as a workbook."""
    assessment = load_assessment(assessment_id, "view_assessment")
    if area_id not in {a.id for a in questionnaire_of(assessment).areas}:
        abort(404)
    return _download(assessment, area_id)


def _download(assessment: Assessment, area_id: str | None):
    data = build_workbook(assessment, current_user, area_id, language_code())
    parts = [assessment.city.slug, assessment.questionnaire_id, str(assessment.cycle), area_id]
    name = "-".join(p for p in parts if p) + ".xlsx"
    return attachment(data, XLSX, name)


@bp.route("/assessments/<int:assessment_id>/workbook/upload", methods=["GET", "POST"])
@takes_files
@login_required
def upload_workbook(assessment_id: int):
    """Upload a filled workbook: its problems, all at once (400), or the preview of every
    change it makes, to confirm."""
    assessment = _editable(assessment_id)
    if request.method == "POST":
        check_texts()
    form, problems = WorkbookUploadForm(), []
    if form.validate_on_submit():
        data = form.workbook.data.read(MAX_WORKBOOK + 1)
        if len(data) > MAX_WORKBOOK:
            form.workbook.errors.append(
                _("The workbook is larger than 5 MB, the most taken: upload it per area.")
            )
        else:
            try:
                found = read_workbook(data, assessment, current_user)
            except NotThisAssessment:
                abort(404)
            except WorkbookProblems as refused:
                problems = refused.problems
            else:
                upload = keep_upload(assessment, current_user, data)
                return render_template(
                    "assessments/workbook_changes.html",
                    assessment=assessment,
                    questionnaire=questionnaire_of(assessment),
                    found=found,
                    upload=upload,
                    form=ConfirmForm(),
                    applied=False,
                )
    status = 400 if form.errors or problems else 200
    return render_template(
        "assessments/workbook_upload.html",
        assessment=assessment,
        questionnaire=questionnaire_of(assessment),
        form=form,
        problems=problems,
        max_size=MAX_WORKBOOK // 2**20,
    ), status


@bp.post("/assessments/<int:assessment_id>/workbook/uploads/<int:upload_id>")
@login_required
def confirm_workbook(assessment_id: int, upload_id: int):
    """Save the changes of a previewed workbook; conflicts are shown, not saved."""
    assessment = _editable(assessment_id)
    upload = kept_upload(assessment, current_user, upload_id)
    if upload is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    found = apply_upload(upload, assessment, current_user)
    if found is None:
        found = WorkbookChanges()
        flash(_("This workbook was saved already: nothing more to save."), "success")
    else:
        record(
            "workbook_applied",
            assessment,
            saved=len(found.changes),
            conflicts=len(found.conflicts),
            sha256=upload.sha256,
        )
        saved = ngettext("%(num)d answer saved", "%(num)d answers saved", len(found.changes))
        conflicts = ngettext("%(num)d conflict", "%(num)d conflicts", len(found.conflicts))
        flash(f"{saved}, {conflicts}.", "error" if found.conflicts else "success")
    return render_template(
        "assessments/workbook_changes.html",
        assessment=assessment,
        questionnaire=questionnaire_of(assessment),
        found=found,
        upload=upload,
        form=None,
        applied=True,
    ), (409 if found.conflicts else 200)


def _editable(assessment_id: int) -> Assessment:
    """The assessment, when the person may change its answers; a submitted or approved one is
    refused with the reason (it can still be downloaded)."""
    assessment = load_assessment(assessment_id, "view_assessment")
    if assessment.status not in EDITABLE:
        abort(
            403,
            _(
                "This assessment is %(status)s: its answers can no longer be changed, so a "
                "workbook cannot be uploaded. You can still download it.",
                status=str(STATUS_NAMES.get(assessment.status, assessment.status)).lower(),
            ),
        )
    authorize("edit_assessment", assessment)
    return assessment
