"""Reports in the web app: the PDF download and the same report as an HTML page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reports import PAPER_SIZES, fingerprint, render_html
from reports.fetcher import ASSETS
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import questionnaire_of
from toolkit.core import instrument
from toolkit.core.access import authorize
from toolkit.core.downloads import attachment
from toolkit.core.extensions import db
from toolkit.i18n.service import language_code, offered
from toolkit.jobs import service as jobs
from toolkit.reporting.service import (
    blank_file_name,
    blank_of,
    file_name,
    render_and_store,
    render_and_store_blank,
    report_of,
    stored_blank,
    stored_pdf,
)

bp = Blueprint("report", __name__, static_folder=str(ASSETS), static_url_path="/report-assets")


@bp.get("/assessments/<int:assessment_id>/report.pdf")
@login_required
def pdf(assessment_id: int):
    """The report as a PDF download (A4, or ?paper=Letter), in the person's language or the
    one asked for (?language=th). A long report not rendered before is rendered in the
    background: the job page offers it when it is ready."""
    assessment = _assessment(assessment_id)
    report = report_of(assessment, _paper(), _language())
    data = stored_pdf(assessment, report)
    if data is None and _long(questionnaire_of(assessment).questions()):
        job = jobs.start(
            "report",
            _("Report of %(city)s, %(cycle)s", city=assessment.city.name, cycle=assessment.cycle),
            {"assessment": assessment.id, "paper": report.paper, "language": report.language},
            current_user,
            key=f"report:{assessment.id}:{fingerprint(report)}",
        )
        return redirect(url_for("jobs.job", job_id=job.id), 303)
    if data is None:
        data = render_and_store(assessment, report)
    return attachment(data, "application/pdf", file_name(assessment, report.language))


@bp.get("/assessments/<int:assessment_id>/report")
@login_required
def preview(assessment_id: int):
    """The report's own template as a web page, to read before downloading."""
    assessment = _assessment(assessment_id)
    report = report_of(assessment, language=_language())
    return render_html(report, assets_url=url_for("report.static", filename=""))


@bp.get("/questionnaires/<questionnaire_id>/<version>/blank.pdf")
@login_required
def blank(questionnaire_id: str, version: str):
    """The questionnaire (or one area, ?area=) blank, to print and answer on paper, in the
    person's language or the one asked for (?language=), on A4 or ?paper=Letter. The
    questionnaire is not a city's data: anyone signed in may print it. A long one not rendered
    before is rendered in the background, as a long report is."""
    try:
        questionnaire = instrument.questionnaire(questionnaire_id, version)
        area_id = request.args.get("area") or None
        blank = blank_of(questionnaire, area_id, _paper(), _language())
    except KeyError:
        abort(404)
    data = stored_blank(blank)
    questions = blank.area.questions() if blank.area else questionnaire.questions()
    if data is None and _long(questions):
        what = blank.area.name.get(blank.language) if blank.area else blank.title
        job = jobs.start(
            "blank",
            _("Blank questionnaire: %(what)s", what=what),
            {
                "questionnaire": questionnaire.id,
                "version": questionnaire.version,
                "area": blank.area_id,
                "paper": blank.paper,
                "language": blank.language,
            },
            current_user,
            key=f"blank:{blank_file_name(blank)}:{blank.paper}",
        )
        return redirect(url_for("jobs.job", job_id=job.id), 303)
    if data is None:
        data = render_and_store_blank(blank)
    return attachment(data, "application/pdf", blank_file_name(blank))


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    authorize("view_assessment", assessment)
    return assessment


def _long(questions) -> bool:
    """Whether a document of these questions takes long to render (seconds: see
    `REPORT_JOB_QUESTIONS`)."""
    return len(list(questions)) > current_app.config["REPORT_JOB_QUESTIONS"]


def _paper() -> str:
    """The paper asked for (?paper=), A4 by default."""
    paper = request.args.get("paper", "A4")
    if paper not in PAPER_SIZES:
        abort(400, _("The paper size must be one of %(sizes)s.", sizes=", ".join(PAPER_SIZES)))
    return paper


def _language() -> str:
    """The language asked for (?language=), else the page's."""
    asked = request.args.get("language")
    if asked is None:
        return language_code()
    if asked not in offered():
        abort(400, f"language must be one of {', '.join(offered())}")
    return asked
