"""`toolkit report`: the PDF report of an assessment, or (`toolkit report blank`) a blank
questionnaire to print, written to a file."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from reports import PAPER_SIZES, render_pdf
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.i18n.languages import CODES
from toolkit.i18n.service import city_language
from toolkit.reporting.service import blank_file_name, blank_of, blank_pdf, file_name, report_pdf


class ReportCommands(click.Group):
    """`toolkit report ID -o FILE` (or `--city ... --cycle ...`) is an assessment's report, as
    it always was; `toolkit report blank ...` a blank questionnaire."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["assessment", *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=ReportCommands)
def report_command():
    """PDFs: an assessment's report (`report ID -o FILE`) or a blank questionnaire."""


@report_command.command("assessment")
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
def assessment_command(assessment_id, city, cycle, questionnaire, paper, language, output):
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


@report_command.command("blank")
@click.argument("questionnaire_id")
@click.option("--version", help="The questionnaire's version (default: the newest).")
@click.option("--area", help="One area's id (default: the whole questionnaire).")
@click.option("--language", type=click.Choice(CODES), default="en", show_default=True)
@click.option("--paper", type=click.Choice(list(PAPER_SIZES)), default="A4", show_default=True)
@click.option("--city", help="A city's name to print in the cover's city box.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def blank_command(questionnaire_id, version, area, language, paper, city, output):
    """Write the blank questionnaire QUESTIONNAIRE_ID (or one --area of it) to OUTPUT, to print
    and answer on paper."""
    try:
        if version:
            questionnaire = instrument.questionnaire(questionnaire_id, version)
        else:
            questionnaire = instrument.latest(questionnaire_id)
    except KeyError:
        raise click.ClickException("No such questionnaire or version.") from None
    try:
        blank = blank_of(questionnaire, area, paper, language, city)
    except KeyError:
        areas = ", ".join(a.id for a in questionnaire.areas)
        raise click.ClickException(f"No such area; the areas are: {areas}.") from None
    # One with a city's name is that city's alone: not kept for everyone.
    data = render_pdf(blank) if city else blank_pdf(blank)
    db.session.commit()
    with open(output, "wb") as file:
        file.write(data)
    click.echo(f"Wrote {output} ({len(data) // 1024} KB): {blank_file_name(blank)}")
