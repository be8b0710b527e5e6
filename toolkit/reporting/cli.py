"""`toolkit report`: the PDF report of an assessment, written to a file."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from reports import PAPER_SIZES
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City
from toolkit.core.extensions import db
from toolkit.i18n.languages import CODES
from toolkit.i18n.service import city_language
from toolkit.reporting.service import file_name, report_pdf


@click.command("report")
@click.argument("assessment_id", type=int, required=False)
@click.option("--city", help="City slug, with --cycle, instead of an assessment id.")
@click.option("--cycle", type=int)
@click.option("--questionnaire", default="asus-quick", show_default=True)
@click.option("--paper", type=click.Choice(list(PAPER_SIZES)), default="A4", show_default=True)
@click.option(
    "--language",
    type=click.Choice(CODES),
    help="The report's language (default: the city's).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def report_command(assessment_id, city, cycle, questionnaire, paper, language, output):
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
    language = language or city_language(assessment.city)
    data = report_pdf(assessment, paper, language)
    db.session.commit()
    with open(output, "wb") as file:
        file.write(data)
    click.echo(f"Wrote {output} ({len(data) // 1024} KB): {file_name(assessment, language)}")
