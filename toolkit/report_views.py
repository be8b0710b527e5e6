"""Reports in the web app: the PDF download and the same report as an HTML page."""

from __future__ import annotations

import click
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask.cli import with_appcontext
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reports import PAPER_SIZES, fingerprint, render_html
from reports.fetcher import ASSETS

from . import jobs
from .access import authorize
from .answers import questionnaire_of
from .downloads import attachment
from .extensions import db
from .models import Assessment, City
from .report_service import file_name, render_and_store, report_of, report_pdf, stored_pdf

bp = Blueprint("report", __name__, static_folder=str(ASSETS), static_url_path="/report-assets")


@bp.get("/assessments/<int:assessment_id>/report.pdf")
@login_required
def pdf(assessment_id: int):
    """The report as a PDF download (A4, or ?paper=Letter). A long report not rendered before
    is rendered in the background: the job page offers it when it is ready."""
    assessment = _assessment(assessment_id)
    paper = request.args.get("paper", "A4")
    if paper not in PAPER_SIZES:
        abort(400, f"paper must be one of {', '.join(PAPER_SIZES)}")
    report = report_of(assessment, paper, _language())
    data = stored_pdf(assessment, report)
    if data is None and _long(assessment):
        job = jobs.start(
            "report",
            _("Report of %(city)s, %(cycle)s", city=assessment.city.name, cycle=assessment.cycle),
            {"assessment": assessment.id, "paper": paper, "language": report.language},
            current_user,
            key=f"report:{assessment.id}:{fingerprint(report)}",
        )
        return redirect(url_for("jobs.job", job_id=job.id), 303)
    if data is None:
        data = render_and_store(assessment, report)
    return attachment(data, "application/pdf", file_name(assessment))


@bp.get("/assessments/<int:assessment_id>/report")
@login_required
def preview(assessment_id: int):
    """The report's own template as a web page, to read before downloading."""
    assessment = _assessment(assessment_id)
    report = report_of(assessment, language=_language())
    return render_html(report, assets_url=url_for("report.static", filename=""))


@click.command("report")
@click.argument("assessment_id", type=int, required=False)
@click.option("--city", help="City slug, with --cycle, instead of an assessment id.")
@click.option("--cycle", type=int)
@click.option("--questionnaire", default="asus-quick", show_default=True)
@click.option("--paper", type=click.Choice(list(PAPER_SIZES)), default="A4", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def report_command(assessment_id, city, cycle, questionnaire, paper, output):
    """Write the PDF report of an assessment to OUTPUT."""
    if assessment_id is not None:
        assessment = db.session.get(Assessment, assessment_id)
    elif city and cycle:
        assessment = db.session.execute(
            db.select(Assessment)
            .join(Assessment.city)
            .where(City.slug == city, Assessment.cycle == cycle)
            .filter_by(questionnaire_id=questionnaire)
        ).scalar_one_or_none()
    else:
        raise click.UsageError("Give an ASSESSMENT_ID, or --city and --cycle.")
    if assessment is None:
        raise click.ClickException("No such assessment.")
    data = report_pdf(assessment, paper)
    db.session.commit()
    with open(output, "wb") as file:
        file.write(data)
    click.echo(f"Wrote {output} ({len(data) // 1024} KB): {file_name(assessment)}")


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    authorize("view_assessment", assessment)
    return assessment


def _long(assessment: Assessment) -> bool:
    questions = list(questionnaire_of(assessment).questions())
    return len(questions) > current_app.config["REPORT_JOB_QUESTIONS"]


def _language() -> str:
    return str(get_locale() or "en")
